/**
 * Maps a series to the inventory entity it measures: a GPU by UUID, then a host by hostname (or BMC address, or device
 * name); a facility series by its `device` name → rack PDU / UPS (power node), cooling unit, rack or site. Lookups are
 * scoped to the series' `site` label (the site slug) when it has one, since names are unique per site, not globally.
 * A series that matches nothing is 'unmapped' and is stored all the same.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { SeriesEntityKind } from '../../db/schema';
import { readPlantVersion } from '../plant-version';

export type EntityRef = {
  entityKind: SeriesEntityKind;
  acceleratorId: number | null;
  deviceId: number | null;
  rackId: number | null;
  powerNodeId: number | null;
  coolingUnitId: number | null;
  siteId: number | null;
};

/** What the mapper needs to know about a series (a subset of CanonicalSample, also rebuilt from stored labels). */
export type MappingInput = {
  gpuUuid?: string;
  hostname?: string;
  /**
   * The GPU's index on its host, for series that name a host and a GPU but no UUID (the AMD Device Metrics Exporter
   * sets no UUID label by default; its `gpu_id` is the physical GPU's index, logical partitions left out).
   */
  gpuIndex?: number;
  device?: string;
  labels: Record<string, string>;
};

export const UNMAPPED: EntityRef = {
  entityKind: 'unmapped',
  acceleratorId: null,
  deviceId: null,
  rackId: null,
  powerNodeId: null,
  coolingUnitId: null,
  siteId: null,
};

type Gpu = { id: number; deviceId: number; rackId: number | null; siteId: number | null };
type Host = { id: number; rackId: number | null; siteId: number | null };
type Named = { id: number; siteId: number; rackId: number | null };

/** name → entries (several when the same name exists on several sites). */
function addNamed(map: Map<string, Named[]>, name: string, entry: Named) {
  const key = name.toLowerCase();
  const list = map.get(key);
  if (list) list.push(entry);
  else map.set(key, [entry]);
}

function pick(list: Named[] | undefined, siteId: number | undefined): Named | undefined {
  if (!list) return undefined;
  if (siteId !== undefined) return list.find((e) => e.siteId === siteId);
  return list.length === 1 ? list[0] : undefined;
}

/** The GPU index a series names without a UUID: the AMD exporter's `gpu_id` label (see MappingInput.gpuIndex). */
export function gpuIndexHint(labels: Record<string, string>): number | undefined {
  const raw = labels.gpu_id;
  return raw !== undefined && /^\d{1,3}$/.test(raw) ? Number(raw) : undefined;
}

export class InventoryMapper {
  private gpus = new Map<string, Gpu>();
  /** Device id → GPU index → GPU. */
  private gpusByHost = new Map<number, Map<number, Gpu>>();
  private hosts = new Map<string, Host>();
  private powerNodes = new Map<string, Named[]>();
  private coolingUnits = new Map<string, Named[]>();
  private racks = new Map<string, Named[]>();
  private sitesBySlug = new Map<string, number>();
  /** Rack id → its effective security zone (own, else its hall's), for refusing samples outside a writer's zones. */
  private rackZones = new Map<number, number | null>();
  /**
   * A digest of everything loaded: it changes exactly when the mapping may (series mapped under an older version are
   * re-mapped, and the ingest's line caches are dropped).
   */
  version = '';
  /** plant_version as read before the last load (see `refresh`). */
  private plantVersion: string | undefined;

  /**
   * Loads the inventory again only when the plant changed since the last load: plant_version moves with every table
   * read here (statement triggers). At 100,800 GPUs a load costs about 0.75 s of Node CPU, mostly on the main thread,
   * and 0.2 s of PostgreSQL, and the mapping worker asks every 30 s (docs/BENCHMARKS.md). Returns whether the mapping
   * changed.
   */
  async refresh(pool: pg.Pool): Promise<boolean> {
    const plant = await readPlantVersion(pool);
    if (plant === this.plantVersion) return false;
    return this.load(pool, plant);
  }

  /** Loads the inventory; returns whether the mapping changed. `plant`: plant_version, when the caller read it first. */
  async load(pool: pg.Pool, plant?: string): Promise<boolean> {
    // Read before the rows: a change committed in between moves it again, and the next refresh loads once more.
    const plantRead = plant ?? (await readPlantVersion(pool));
    // In id order, so that the digest depends on the content, not on where updates left the rows in the table.
    const [gpus, hosts, nodes, units, racks, sites] = await Promise.all([
      pool.query<{ id: number; uuid: string; index: number; device_id: number; rack_id: number | null; site_id: number | null }>(
        `SELECT a.id, a.uuid, a.index, a.device_id, d.rack_id, h.site_id
           FROM accelerators a JOIN devices d ON d.id = a.device_id
           LEFT JOIN racks r ON r.id = d.rack_id LEFT JOIN halls h ON h.id = r.hall_id ORDER BY a.id`,
      ),
      pool.query<{ id: number; name: string; hostname: string | null; bmc_address: string | null; rack_id: number | null; site_id: number | null }>(
        `SELECT d.id, d.name, d.hostname, d.bmc_address, d.rack_id, h.site_id
           FROM devices d LEFT JOIN racks r ON r.id = d.rack_id LEFT JOIN halls h ON h.id = r.hall_id ORDER BY d.id`,
      ),
      pool.query<{ id: number; name: string; site_id: number; rack_id: number | null }>('SELECT id, name, site_id, rack_id FROM power_nodes ORDER BY id'),
      pool.query<{ id: number; name: string; site_id: number }>('SELECT id, name, site_id FROM cooling_units ORDER BY id'),
      pool.query<{ id: number; name: string; site_id: number; zone_id: number | null }>(
        'SELECT r.id, r.name, h.site_id, coalesce(r.security_zone_id, h.security_zone_id) AS zone_id FROM racks r JOIN halls h ON h.id = r.hall_id ORDER BY r.id',
      ),
      pool.query<{ id: number; slug: string }>('SELECT id, slug FROM sites ORDER BY id'),
    ]);
    this.gpus = new Map(gpus.rows.map((g) => [g.uuid.toLowerCase(), { id: g.id, deviceId: g.device_id, rackId: g.rack_id, siteId: g.site_id }]));
    this.gpusByHost = new Map();
    for (const g of gpus.rows) {
      const onHost = this.gpusByHost.get(g.device_id) ?? new Map<number, Gpu>();
      onHost.set(g.index, { id: g.id, deviceId: g.device_id, rackId: g.rack_id, siteId: g.site_id });
      this.gpusByHost.set(g.device_id, onHost);
    }
    this.hosts = new Map();
    // Device names first, so that a hostname or BMC address equal to another device's name wins.
    for (const d of hosts.rows) this.hosts.set(d.name.toLowerCase(), { id: d.id, rackId: d.rack_id, siteId: d.site_id });
    for (const d of hosts.rows) if (d.bmc_address) this.hosts.set(d.bmc_address.toLowerCase(), { id: d.id, rackId: d.rack_id, siteId: d.site_id });
    for (const d of hosts.rows) if (d.hostname) this.hosts.set(d.hostname.toLowerCase(), { id: d.id, rackId: d.rack_id, siteId: d.site_id });
    this.powerNodes = new Map();
    for (const n of nodes.rows) addNamed(this.powerNodes, n.name, { id: n.id, siteId: n.site_id, rackId: n.rack_id });
    this.coolingUnits = new Map();
    for (const u of units.rows) addNamed(this.coolingUnits, u.name, { id: u.id, siteId: u.site_id, rackId: null });
    this.racks = new Map();
    for (const r of racks.rows) addNamed(this.racks, r.name, { id: r.id, siteId: r.site_id, rackId: r.id });
    this.rackZones = new Map(racks.rows.map((r) => [r.id, r.zone_id]));
    this.sitesBySlug = new Map(sites.rows.map((s) => [s.slug.toLowerCase(), s.id]));
    const digest = createHash('sha256');
    for (const rows of [gpus.rows, hosts.rows, nodes.rows, units.rows, racks.rows, sites.rows]) {
      for (const row of rows) digest.update(JSON.stringify(Object.values(row)));
      digest.update('\n');
    }
    const version = digest.digest('base64url');
    const changed = version !== this.version;
    this.version = version;
    this.plantVersion = plantRead; // only once loaded: a failed load is tried again by the next refresh
    return changed;
  }

  /** The security zone of what a series measures: its rack's; null for unracked, facility, site and unmapped series. */
  zoneOf(ref: EntityRef): number | null {
    return ref.rackId == null ? null : (this.rackZones.get(ref.rackId) ?? null);
  }

  resolve(input: MappingInput): EntityRef {
    if (input.gpuUuid) {
      // MIG devices report their parent GPU's UUID in UUID; a bare MIG-… UUID has no inventory row.
      const gpu = this.gpus.get(input.gpuUuid.toLowerCase());
      if (gpu) return { ...UNMAPPED, entityKind: 'gpu', acceleratorId: gpu.id, deviceId: gpu.deviceId, rackId: gpu.rackId, siteId: gpu.siteId };
    }
    if (input.hostname) {
      const host = this.hosts.get(input.hostname.toLowerCase());
      const gpu = host && input.gpuIndex !== undefined ? this.gpusByHost.get(host.id)?.get(input.gpuIndex) : undefined;
      if (gpu) return { ...UNMAPPED, entityKind: 'gpu', acceleratorId: gpu.id, deviceId: gpu.deviceId, rackId: gpu.rackId, siteId: gpu.siteId };
      if (host) return { ...UNMAPPED, entityKind: 'device', deviceId: host.id, rackId: host.rackId, siteId: host.siteId };
    }
    const siteSlug = input.labels.site;
    const siteId = siteSlug ? this.sitesBySlug.get(siteSlug.toLowerCase()) : undefined;
    if (siteSlug && siteId === undefined) return UNMAPPED; // a site we do not have: nothing in it can match safely
    const device = input.device;
    if (device) {
      const node = pick(this.powerNodes.get(device.toLowerCase()), siteId);
      if (node) return { ...UNMAPPED, entityKind: 'power-node', powerNodeId: node.id, rackId: node.rackId, siteId: node.siteId };
      const unit = pick(this.coolingUnits.get(device.toLowerCase()), siteId);
      if (unit) return { ...UNMAPPED, entityKind: 'cooling-unit', coolingUnitId: unit.id, siteId: unit.siteId };
      const rack = pick(this.racks.get(device.toLowerCase()), siteId);
      if (rack) return { ...UNMAPPED, entityKind: 'rack', rackId: rack.id, siteId: rack.siteId };
      const site = this.sitesBySlug.get(device.toLowerCase());
      if (site !== undefined) return { ...UNMAPPED, entityKind: 'site', siteId: site };
    }
    if (siteId !== undefined && !device && !input.hostname) return { ...UNMAPPED, entityKind: 'site', siteId };
    return UNMAPPED;
  }
}
