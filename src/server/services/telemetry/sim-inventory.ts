/**
 * Builds the simulator's SimInventory from the database inventory: sites → halls → racks (with their rack PDUs, their
 * accelerator servers: GPU hosts and TPU hosts, and the steady loads of their other equipment: switches, storage) plus
 * UPSs, generators and cooling units. Simulator ids are the inventory NAMES the mapper looks up
 * (site slug, rack name, power node name, cooling unit name, hostname, GPU UUID or TPU chip id), so the simulated exporters' labels
 * map back onto the inventory with no side table.
 */
import type pg from 'pg';
import { feedAvailablePowerW } from '@/domain/power';
import type { CoolingUnitKind, SimCoolingUnit, SimGpu, SimHall, SimInventory, SimRack, SimSite } from '../../../../simulator/inventory';
import type { GpuModelId } from '../../../../simulator/models/gpu-params';

/** Accelerator model name (inventory) → simulator accelerator model (GPU or TPU chip); null for models the simulator has no model of. */
export function simGpuModel(name: string): GpuModelId | null {
  const n = name.toLowerCase();
  if (n.includes('gb200')) return 'GB200';
  if (n.includes('b200')) return 'B200';
  if (n.includes('h200')) return 'H200-SXM';
  if (n.includes('h100')) return 'H100-SXM';
  if (n.includes('l40s')) return 'L40S';
  if (n.includes('mi300x')) return 'MI300X';
  if (n.includes('mi325x')) return 'MI325X';
  // Google TPU chips (catalogue names "TPU v5p", "TPU v6e (Trillium)", …): the simulator's TPU host model.
  if (n.includes('tpu') || n.includes('trillium')) {
    if (n.includes('v5p')) return 'TPU-v5p';
    if (n.includes('v5e') || n.includes('v5 lite') || n.includes('v5litepod')) return 'TPU-v5e';
    if (n.includes('v6e') || n.includes('trillium')) return 'TPU-v6e';
    if (n.includes('v4')) return 'TPU-v4';
  }
  return null;
}

const COOLING_KINDS: Record<string, CoolingUnitKind | undefined> = { crah: 'crah', crac: 'crac', cdu: 'cdu', 'rear-door': 'rdhx' };

export async function loadSimInventory(pool: pg.Pool): Promise<SimInventory> {
  const [sites, halls, racks, pdus, upses, generators, edges, servers, gpus, units, served, steady] = await Promise.all([
    pool.query<{ id: number; slug: string; name: string }>('SELECT id, slug, name FROM sites ORDER BY id'),
    pool.query<{ id: number; site_id: number; slug: string; name: string }>('SELECT id, site_id, slug, name FROM halls ORDER BY id'),
    pool.query<{ id: number; hall_id: number; name: string; cooling_kind: string }>(
      `SELECT id, hall_id, name, cooling_kind FROM racks WHERE status IN ('active', 'maintenance') ORDER BY id`,
    ),
    pool.query<{ id: number; rack_id: number; name: string; side: string; capacity_kw: number | null; voltage_v: number | null; amperage_a: number | null; phase: 'single' | 'three' | null; max_utilization_pct: number; outlets: number | null }>(
      `SELECT id, rack_id, name, side, capacity_kw, voltage_v, amperage_a, phase, max_utilization_pct, outlets FROM power_nodes WHERE kind = 'rack-pdu' ORDER BY id`,
    ),
    pool.query<{ id: number; site_id: number; name: string; capacity_kw: number | null; battery_runtime_min: number | null }>(
      `SELECT id, site_id, name, capacity_kw, battery_runtime_min FROM power_nodes WHERE kind = 'ups' AND capacity_kw > 0 ORDER BY id`,
    ),
    pool.query<{ site_id: number; capacity_kw: number }>(`SELECT site_id, sum(capacity_kw)::float8 AS capacity_kw FROM power_nodes WHERE kind = 'generator' GROUP BY site_id`),
    pool.query<{ upstream_id: number; downstream_id: number }>('SELECT upstream_id, downstream_id FROM power_edges WHERE priority = 0'),
    pool.query<{ id: number; rack_id: number; hostname: string; model: string }>(
      `SELECT d.id, d.rack_id, d.hostname, dt.model FROM devices d JOIN device_types dt ON dt.id = d.device_type_id
        WHERE d.hostname IS NOT NULL AND d.rack_id IS NOT NULL AND d.status IN ('active', 'maintenance', 'failed')
          AND EXISTS (SELECT 1 FROM accelerators a WHERE a.device_id = d.id) ORDER BY d.id`,
    ),
    pool.query<{ device_id: number; uuid: string; index: number; model: string; compute_partition: string | null; memory_partition: string | null }>(
      'SELECT a.device_id, a.uuid, a.index, m.name AS model, a.compute_partition, a.memory_partition FROM accelerators a JOIN accelerator_models m ON m.id = a.model_id ORDER BY a.device_id, a.index',
    ),
    pool.query<{ id: number; site_id: number; kind: string; name: string; capacity_kw: number; supply_setpoint_c: number; status: string }>(
      'SELECT id, site_id, kind, name, capacity_kw, supply_setpoint_c, status FROM cooling_units ORDER BY id',
    ),
    pool.query<{ unit_id: number; hall_id: number | null; row_hall_id: number | null; rack_id: number | null; rack_hall_id: number | null }>(
      `SELECT c.unit_id, c.hall_id, rw.hall_id AS row_hall_id, c.rack_id, rk.hall_id AS rack_hall_id
         FROM cooling_served_areas c LEFT JOIN rows rw ON rw.id = c.row_id LEFT JOIN racks rk ON rk.id = c.rack_id`,
    ),
    // Racked equipment without GPUs (switches, storage, CPU servers) draws its type's typical power from the rack PDUs.
    pool.query<{ rack_id: number; name: string; typical_power_w: number }>(
      `SELECT d.rack_id, d.name, dt.typical_power_w FROM devices d JOIN device_types dt ON dt.id = d.device_type_id
        WHERE d.rack_id IS NOT NULL AND d.status IN ('active', 'maintenance') AND dt.typical_power_w > 0
          AND NOT EXISTS (SELECT 1 FROM accelerators a WHERE a.device_id = d.id) ORDER BY d.id`,
    ),
  ]);

  // Which UPS feeds each rack PDU: walk the primary (priority 0) edges upstream.
  const upstream = new Map<number, number[]>();
  for (const e of edges.rows) upstream.set(e.downstream_id, [...(upstream.get(e.downstream_id) ?? []), e.upstream_id]);
  const upsIds = new Map(upses.rows.map((u) => [u.id, u.name]));
  const upsOf = (nodeId: number): string | undefined => {
    const seen = new Set<number>();
    const queue = [nodeId];
    while (queue.length > 0) {
      const id = queue.shift()!;
      if (seen.has(id)) continue;
      seen.add(id);
      if (id !== nodeId && upsIds.has(id)) return upsIds.get(id);
      queue.push(...(upstream.get(id) ?? []));
    }
    return undefined;
  };

  const gpusByDevice = new Map<number, SimGpu[]>();
  for (const g of gpus.rows) {
    const model = simGpuModel(g.model);
    if (!model) continue;
    // AMD GPUs carry their partition modes, which the simulated AMD exporter puts in its partition labels.
    const partitions = g.compute_partition && g.memory_partition ? { computePartition: g.compute_partition, memoryPartition: g.memory_partition } : {};
    gpusByDevice.set(g.device_id, [...(gpusByDevice.get(g.device_id) ?? []), { uuid: g.uuid, index: g.index, model, ...partitions }]);
  }
  const rackById = new Map<number, SimRack>();
  const rackHall = new Map<number, number>();
  for (const r of racks.rows) {
    rackById.set(r.id, { id: r.name, name: r.name, cooling: r.cooling_kind === 'direct-liquid' ? 'liquid' : 'air', pdus: [], servers: [] });
    rackHall.set(r.id, r.hall_id);
  }
  for (const p of pdus.rows) {
    const rack = rackById.get(p.rack_id);
    if (!rack) continue;
    const capacityW =
      p.voltage_v && p.amperage_a && p.phase
        ? Math.min(
            feedAvailablePowerW({ voltageV: p.voltage_v, amperageA: p.amperage_a, phase: p.phase, maxUtilizationPct: p.max_utilization_pct }),
            p.capacity_kw ? p.capacity_kw * 1000 : Number.POSITIVE_INFINITY,
          )
        : (p.capacity_kw ?? 0) * 1000;
    if (!(capacityW > 0)) continue;
    const upsId = upsOf(p.id);
    // The plant records line-to-line voltage for three-phase feeds; the PDU's phase readings are phase-to-neutral.
    const phases = p.phase === 'single' ? 1 : 3;
    const phaseVoltageV = p.voltage_v ? (phases === 3 ? p.voltage_v / Math.sqrt(3) : p.voltage_v) : undefined;
    rack.pdus.push({
      id: p.name,
      name: p.name,
      feed: p.side === 'B' ? 'B' : 'A',
      capacityKw: capacityW / 1000,
      phases,
      ...(p.outlets ? { outlets: p.outlets } : {}),
      ...(phaseVoltageV ? { phaseVoltageV } : {}),
      ...(upsId ? { upsId } : {}),
    });
  }
  for (const s of servers.rows) {
    const rack = rackById.get(s.rack_id);
    const serverGpus = gpusByDevice.get(s.id);
    if (!rack || !serverGpus?.length) continue;
    rack.servers.push({ id: String(s.id), hostname: s.hostname, model: s.model, gpus: serverGpus });
  }

  for (const d of steady.rows) {
    const rack = rackById.get(d.rack_id);
    if (!rack) continue;
    rack.steadyLoads = [...(rack.steadyLoads ?? []), { id: d.name, typicalKw: d.typical_power_w / 1000 }];
  }

  const hallHasRacks = new Set([...rackHall.values()]);
  const unitHalls = new Map<number, { hallIds: Set<number>; rackNames: string[] }>();
  for (const a of served.rows) {
    const entry = unitHalls.get(a.unit_id) ?? { hallIds: new Set<number>(), rackNames: [] };
    const hallId = a.hall_id ?? a.row_hall_id ?? a.rack_hall_id;
    if (hallId !== null) entry.hallIds.add(hallId);
    if (a.rack_id !== null && rackById.has(a.rack_id)) entry.rackNames.push(rackById.get(a.rack_id)!.id);
    unitHalls.set(a.unit_id, entry);
  }

  const inventory: SimInventory = { sites: [] };
  for (const site of sites.rows) {
    const siteHalls: SimHall[] = [];
    const hallName = new Map<number, string>();
    for (const h of halls.rows.filter((h) => h.site_id === site.id)) {
      if (!hallHasRacks.has(h.id)) continue;
      const hallRacks = racks.rows.filter((r) => r.hall_id === h.id).map((r) => rackById.get(r.id)!).filter((r) => r.pdus.length > 0 || r.servers.length > 0);
      // A rack with servers needs a feed: a rack without PDUs in the inventory would be unpowered in the simulation.
      const powered = hallRacks.filter((r) => r.pdus.length > 0);
      // Hall slugs are unique per site only; the simulator wants world-wide ids.
      hallName.set(h.id, `${site.slug}/${h.slug}`);
      siteHalls.push({ id: `${site.slug}/${h.slug}`, name: h.name, racks: powered });
    }
    const coolingUnits: SimCoolingUnit[] = [];
    for (const u of units.rows.filter((u) => u.site_id === site.id)) {
      const kind = COOLING_KINDS[u.kind];
      const area = unitHalls.get(u.id);
      if (!kind || !area) continue;
      // A unit serving several halls is modelled in the first (the simulator's units belong to one hall).
      const hallId = [...area.hallIds].find((id) => hallName.has(id));
      if (hallId === undefined) continue;
      coolingUnits.push({
        id: u.name,
        name: u.name,
        kind,
        capacityKw: u.capacity_kw,
        hallId: hallName.get(hallId)!,
        supplyTempC: u.supply_setpoint_c,
        ...(area.rackNames.length ? { rackIds: area.rackNames } : {}),
        ...(kind === 'cdu' ? { onUps: true } : {}),
      });
    }
    const generator = generators.rows.find((g) => g.site_id === site.id);
    const simSite: SimSite = {
      id: site.slug,
      name: site.name,
      halls: siteHalls,
      upses: upses.rows.filter((u) => u.site_id === site.id).map((u) => ({ id: u.name, name: u.name, ratedKw: u.capacity_kw!, ...(u.battery_runtime_min ? { runtimeAtFullLoadMin: u.battery_runtime_min } : {}) })),
      coolingUnits,
      ...(generator ? { generator: { capacityKw: generator.capacity_kw, startDelayS: 10 } } : {}),
    };
    if (siteHalls.length > 0) inventory.sites.push(simSite);
  }
  return inventory;
}
