/**
 * The live simulator: a World built from the database inventory, stepped on a SimClock (PLENUM_SIM_ACCEL), speaking
 * the protocols of the real gear: exporter text over HTTP (dcgm-exporter per GPU host, the GKE TPU device plugin per TPU
 * host, at /hosts/<hostname>/metrics,
 * the rest of the facility per site at /facility/<site-slug>/metrics) and SNMP, one agent per UPS (UPS-MIB) and rack
 * PDU (APC rPDU2) on its own UDP port (simulator/protocols/snmp-agent.ts). It registers all of them as scrape targets
 * (managed_by = 'simulator'; an SNMP target names its profile and its power node), so Plenum reads the simulator
 * through the same collectors as real hardware: one way in. /debug/facility/<site-slug>/metrics shows every facility
 * reading, UPS and PDU included, as plenum_* text; it is a debug view, never scraped.
 *
 * One world per database: in `npm start` the instance holding the `simulator` role runs it (services/instances.ts),
 * and a survivor restarts it from the database after a failover. Target rows carry a placeholder host
 * (SIMULATOR_TARGET_HOST); the world advertises where it listens (`advertiseSimulatorEndpoint('http', …)`), and
 * the scrapers put that address in at scrape time, so no port is ever baked into a target.
 *
 * Faults are injected on the World directly (`inject` / `clear`); in `npm start` the tRPC router reaches this host
 * through `getSimulatorHost()` (globalThis, because Next's bundle has its own module instances). A simulator in a
 * separate process would take the same commands from a `sim_commands` table it LISTENs for (see docs/telemetry.md).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type pg from 'pg';
import { SimClock } from '../../../simulator/clock';
import { renderAmdHostMetrics, renderFacilityMetrics, renderGpuHostMetrics, renderTpuHostMetrics, SNMP_SERVED_FAMILIES } from '../../../simulator/exporters';
import type { SimInventory, SimServer } from '../../../simulator/inventory';
import { gpuModelParams } from '../../../simulator/models/gpu-params';
import { isTpuModel } from '../../../simulator/models/tpu-params';
import { coolingUnitIds, coolingUnitMapName, type ModbusTcpServer, simulatorModbusServer } from '../../../simulator/protocols/modbus-server';
import { RedfishSimServer } from '../../../simulator/protocols/redfish-server';
import { SIM_SNMP_COMMUNITY, SimSnmpAgents } from '../../../simulator/protocols/snmp-agent';
import { FAULT_KINDS, type Fault, type FaultKind, type FaultOptions, World } from '../../../simulator/world';
import { snmpCollector, snmpOptionsSchema } from './telemetry/collectors/snmp';
import { advertiseSimulatorEndpoint, SIMULATOR_TARGET_HOST } from './instances';
import { readPlantVersion } from './plant-version';
import { loadSimInventory } from './telemetry/sim-inventory';
import type { Worker } from './workers';
import { defaultScrapeIntervalMs } from '../db/seed/plan';
import { preparedQuery } from '../db/statement-params';

export type SimulatorOptions = {
  accel: number;
  seed: number;
  /** Port of the exporter HTTP server; 0 picks a free one (advertised through the instance registry). */
  port: number;
  /** Port of the cooling units' Modbus TCP server; 0 (the default) picks a free one. */
  modbusPort?: number;
  /** Port of the Redfish service (cooling units); 0 or absent picks a free one. */
  redfishPort?: number;
  /** First UDP port of the SNMP agents (device i on snmpPort + i); 0 or absent picks a free port per device. */
  snmpPort?: number;
  /** Address the exporter server listens on (PLENUM_SIM_HOST). */
  host: string;
  /** Host name other instances reach it by (PLENUM_SIM_ADVERTISE_HOST; default: the listen address, or this host's name for 0.0.0.0). */
  advertiseHost?: string;
  scrapeIntervalMs: number;
  /** How often the inventory is re-read and applied whatever plant_version says (a backstop). */
  inventoryRefreshMs: number;
};

export function simulatorOptionsFromEnv(env: Record<string, string | undefined> = process.env): SimulatorOptions {
  const n = (name: string, fallback: number) => {
    const raw = env[name];
    const v = raw === undefined || raw === '' ? fallback : Number(raw);
    if (!Number.isFinite(v) || v < 0) throw new Error(`${name}: must be a non-negative number, got "${raw}"`);
    return v;
  };
  return {
    accel: n('PLENUM_SIM_ACCEL', 1) || 1,
    seed: n('PLENUM_SIM_SEED', 1),
    port: n('PLENUM_SIM_PORT', 0),
    modbusPort: n('PLENUM_SIM_MODBUS_PORT', 0),
    redfishPort: n('PLENUM_SIM_REDFISH_PORT', 0),
    snmpPort: n('PLENUM_SIM_SNMP_PORT', 0),
    host: env.PLENUM_SIM_HOST || '127.0.0.1',
    advertiseHost: env.PLENUM_SIM_ADVERTISE_HOST || undefined,
    scrapeIntervalMs: n('PLENUM_SCRAPE_INTERVAL_MS', defaultScrapeIntervalMs(env.PLENUM_SEED)),
    inventoryRefreshMs: n('PLENUM_SIM_INVENTORY_REFRESH_MS', 600_000),
  };
}

/** Readings over a device protocol win over the simulator's own plenum_* text of the same quantity. */
const PROTOCOL_TARGET_PREFERENCE = 150;

/** GPU faults that take the GPU out of service: the accelerator is marked failed so the scheduler avoids it. */
const GPU_FAILING_FAULTS: ReadonlySet<FaultKind> = new Set(['gpu-xid', 'gpu-off-bus', 'gpu-thermal-runaway']);
/**
 * How often the world advances: a sixth of the scrape interval, between 500 ms and the model's longest sub-step (5 s).
 * Nothing reads the world more often than its scrapes, and the models are stable for any step length (exact
 * exponential relaxation, the 1 s power window as a boxcar); what a longer step gives up is detail inside it (a duty
 * cycle shorter than the step reads as its mean). A step of the whole xl site (100,800 GPUs) costs 0.2-0.8 CPU-s, which
 * at 500 ms steps took a whole core. dcgm-exporter itself samples every 30 s by default, so a scrape reading a state a
 * few seconds old is what real sites see.
 */
export function worldStepMs(scrapeIntervalMs: number): number {
  return Math.min(5_000, Math.max(500, Math.round(scrapeIntervalMs / 6)));
}
/**
 * Cooling unit kinds whose readings Plenum takes over Redfish (one `redfish` target for the simulator's service)
 * rather than from the facility text, which then leaves their coolant readings out.
 */
const REDFISH_COOLING_KINDS: ReadonlySet<string> = new Set(['cdu']);

/**
 * The exporter a simulated host serves: the GKE TPU device plugin's text for TPU hosts, the AMD Device Metrics
 * Exporter's for AMD GPU hosts, dcgm-exporter's for the rest.
 */
export function hostExporterDialect(server: SimServer): 'dcgm' | 'amd' | 'tpu' {
  if (isTpuModel(server.gpus[0]?.model)) return 'tpu';
  return server.gpus.length > 0 && server.gpus.every((g) => gpuModelParams(g.model).vendor === 'amd') ? 'amd' : 'dcgm';
}

function tpuHostnames(inventory: SimInventory): Set<string> {
  const servers = inventory.sites.flatMap((site) => site.halls.flatMap((h) => h.racks.flatMap((r) => r.servers)));
  return new Set(servers.filter((srv) => hostExporterDialect(srv) === 'tpu').map((srv) => srv.hostname));
}

/** One scrape target the simulator registers: an exporter URL, or a device protocol endpoint reading facility objects. */
export type SimulatorTarget = {
  url: string;
  dialect: 'dcgm' | 'amd' | 'tpu' | 'plenum' | 'snmp' | 'modbus' | 'redfish';
  /** The collector's unique key beside the URL (SNMP profile, Modbus unit); '' for HTTP targets. */
  targetKey: string;
  options: Record<string, unknown>;
  credentials: Record<string, unknown>;
  /** The power node (SNMP) or cooling unit (Modbus) the target reads, by name within its site. */
  powerNode: { name: string; siteSlug: string } | null;
  coolingUnit: { name: string; siteSlug: string } | null;
  /** Source preference: protocol readings win over the same readings in the plenum_* text (100). */
  preference: number;
};

/** A simulator endpoint, before it has a URL. */
export type SimulatorEndpoint =
  | { kind: 'gpu-host'; hostname: string }
  | { kind: 'facility'; siteId: string }
  | { kind: 'snmp-agent'; port: number }
  | { kind: 'modbus' }
  | { kind: 'redfish' };

/** A GPU host's exporter text, in the format of the exporter its GPUs' vendor ships (see hostExporterDialect). */
function renderHostExporter(world: World, hostname: string): string {
  const view = world.hostView(hostname);
  const amd = view !== undefined && view.gpus.length > 0 && view.gpus.every((g) => g.vendor === 'amd');
  return amd ? renderAmdHostMetrics(world, hostname) : renderGpuHostMetrics(world, hostname);
}

export class SimulatorHost {
  private world: World | undefined;
  private clock: SimClock | undefined;
  private server: http.Server | undefined;
  private readonly redfish = new RedfishSimServer(() => this.world);
  /** The simulator's Redfish service root (set by start). */
  redfishUrl = '';
  private redfishPort = 0;
  private snmp: SimSnmpAgents | undefined;
  private stepTimer: NodeJS.Timeout | undefined;
  private lastStepMs = 0;
  private inventoryJson = '';
  /** plant_version (bumped by triggers on every plant table) when the inventory was last read. */
  private plantVersionSeen: string | undefined;
  private modbus: ModbusTcpServer | undefined;
  /** Modbus unit id of each cooling unit served (inventory name → unit id). */
  private modbusUnitIds = new Map<string, number>();
  /** Hosts whose accelerators are TPU chips: they serve the GKE TPU device plugin's text instead of dcgm-exporter's. */
  private tpuHosts = new Set<string>();
  baseUrl = '';

  /** The host name other instances reach this world's servers by (PLENUM_SIM_ADVERTISE_HOST, else the listen address). */
  get advertisedHost(): string {
    return this.options.advertiseHost ?? (['0.0.0.0', '::'].includes(this.options.host) ? hostname() : this.options.host);
  }

  constructor(
    private readonly pool: pg.Pool,
    readonly options: SimulatorOptions,
  ) {}

  async start(): Promise<void> {
    this.plantVersionSeen = await readPlantVersion(this.pool);
    const inventory = await loadSimInventory(this.pool);
    const nowMs = Date.now();
    this.world = new World(inventory, { seed: this.options.seed, startMs: nowMs });
    this.inventoryJson = JSON.stringify(inventory);
    this.clock = new SimClock({ startMs: nowMs, accel: this.options.accel });
    this.lastStepMs = nowMs;
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.port, this.options.host, resolve);
    });
    const port = (this.server.address() as AddressInfo).port;
    this.baseUrl = `http://${this.options.host}:${port}`;
    this.modbusUnitIds = coolingUnitIds(inventory);
    this.tpuHosts = tpuHostnames(inventory);
    this.modbus = simulatorModbusServer(() => ({ world: this.world, unitIds: this.modbusUnitIds }));
    await this.modbus.listen(this.options.modbusPort ?? 0, this.options.host);
    this.redfishUrl = await this.redfish.start(this.options.host, this.options.redfishPort ?? 0);
    this.redfishPort = Number(new URL(this.redfishUrl).port);
    this.snmp = new SimSnmpAgents(() => this.requireWorld(), { host: this.options.host, basePort: this.options.snmpPort ?? 0 });
    await this.snmp.sync();
    await this.registerTargets(inventory);
    const advertised = this.advertisedHost;
    await advertiseSimulatorEndpoint('http', `${advertised.includes(':') ? `[${advertised}]` : advertised}:${port}`);
    this.stepTimer = setInterval(() => this.advance(), worldStepMs(this.options.scrapeIntervalMs));
    (globalThis as unknown as { __plenumSimulator?: SimulatorHost }).__plenumSimulator = this;
  }

  /** Steps the World up to the present (wall clock × acceleration). */
  advance(): void {
    if (!this.world || !this.clock) return;
    const now = Date.now();
    const realDtS = (now - this.lastStepMs) / 1000;
    this.lastStepMs = now;
    if (realDtS > 0) this.world.step(this.clock.advanceReal(realDtS));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const world = this.world;
    const url = new URL(req.url ?? '/', 'http://sim');
    const host = /^\/hosts\/([^/]+)\/metrics$/.exec(url.pathname);
    const facility = /^\/(debug\/)?facility\/([^/]+)\/metrics$/.exec(url.pathname);
    try {
      if (!world || req.method !== 'GET' || (!host && !facility)) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      // No stepping here: the world advances on its own timer (worldStepMs) and a request reads the latest state, as a
      // real exporter serves its last sample. Stepping per request cost a whole-fleet step for each of ~130 scrapes/s.
      // UPSs and rack PDUs answer SNMP and CDUs Redfish: the scraped facility text leaves those readings out, the debug
      // view shows everything.
      const simHost = host ? decodeURIComponent(host[1]!) : '';
      const body = host
        ? this.tpuHosts.has(simHost)
          ? renderTpuHostMetrics(world, simHost)
          : renderHostExporter(world, simHost)
        : renderFacilityMetrics(world, decodeURIComponent(facility![2]!), facility![1] ? {} : { coolingReadingsElsewhere: REDFISH_COOLING_KINDS, without: SNMP_SERVED_FAMILIES });
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body);
    } catch (error) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`${error instanceof Error ? error.message : String(error)}\n`);
    }
  }

  /**
   * The one place a simulator endpoint becomes a URL. HTTP targets carry the placeholder host that scrapers replace
   * with the world's advertised endpoint; the device protocols (one UDP port per SNMP agent, the Modbus and Redfish
   * servers) carry this world's advertised address, and a world that takes over re-registers them with its own.
   */
  endpointUrl(endpoint: SimulatorEndpoint): string {
    const here = this.advertisedHost.includes(':') ? `[${this.advertisedHost}]` : this.advertisedHost;
    switch (endpoint.kind) {
      case 'gpu-host':
        return `http://${SIMULATOR_TARGET_HOST}/hosts/${encodeURIComponent(endpoint.hostname)}/metrics`;
      case 'facility':
        return `http://${SIMULATOR_TARGET_HOST}/facility/${encodeURIComponent(endpoint.siteId)}/metrics`;
      case 'snmp-agent':
        return `snmp://${here}:${endpoint.port}`;
      case 'modbus':
        return `modbus://${here}:${this.modbus?.port ?? 0}`;
      case 'redfish':
        return `http://${here}:${this.redfishPort}/redfish/v1`;
    }
  }

  /**
   * The scrape targets of an inventory: one dcgm endpoint per GPU host (tpu for a TPU host), one facility text endpoint per site (sensors,
   * servers, the site meter, air units' text), one SNMP agent per UPS and rack PDU, a Modbus unit per air cooling unit
   * (CRAH, CRAC, in-row, rear door) and the Redfish service for the CDUs (which answer Modbus too, unregistered).
   */
  simulatorTargets(inventory: SimInventory): SimulatorTarget[] {
    const base = { targetKey: '', options: {}, credentials: {}, powerNode: null, coolingUnit: null, preference: 100 };
    const out: SimulatorTarget[] = [];
    const redfishUnits = inventory.sites.some((site) => (site.coolingUnits ?? []).some((u) => REDFISH_COOLING_KINDS.has(u.kind)));
    if (redfishUnits && this.redfishUrl) out.push({ ...base, url: this.endpointUrl({ kind: 'redfish' }), dialect: 'redfish', preference: PROTOCOL_TARGET_PREFERENCE });
    for (const site of inventory.sites) {
      out.push({ ...base, url: this.endpointUrl({ kind: 'facility', siteId: site.id }), dialect: 'plenum' });
      for (const hall of site.halls)
        for (const rack of hall.racks)
          for (const s of rack.servers) out.push({ ...base, url: this.endpointUrl({ kind: 'gpu-host', hostname: s.hostname }), dialect: hostExporterDialect(s) });
      for (const d of this.snmp?.devices() ?? []) {
        if (d.siteId !== site.id) continue;
        out.push({
          ...base,
          url: this.endpointUrl({ kind: 'snmp-agent', port: d.port }),
          dialect: 'snmp',
          targetKey: snmpCollector.targetKey!(snmpOptionsSchema.parse({ profile: d.profile })),
          options: { profile: d.profile },
          credentials: { community: SIM_SNMP_COMMUNITY },
          powerNode: { name: d.name, siteSlug: d.siteId },
          preference: PROTOCOL_TARGET_PREFERENCE,
        });
      }
      for (const unit of site.coolingUnits ?? []) {
        const unitId = this.modbusUnitIds.get(unit.id);
        if (REDFISH_COOLING_KINDS.has(unit.kind) || unitId === undefined || !this.modbus) continue;
        out.push({
          ...base,
          url: this.endpointUrl({ kind: 'modbus' }),
          dialect: 'modbus',
          targetKey: `${site.id}/${unit.id}/unit ${unitId}`,
          options: { map: coolingUnitMapName(unit.kind), unitId },
          coolingUnit: { siteSlug: site.id, name: unit.id },
          preference: PROTOCOL_TARGET_PREFERENCE,
        });
      }
    }
    return out;
  }

  /** Makes the simulator-managed targets exactly the current set (other targets are never touched). */
  private async registerTargets(inventory: SimInventory): Promise<void> {
    const wanted = this.simulatorTargets(inventory);
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // A device-protocol target carries this world's address: a world that took over moves the existing rows to its
      // own (same id, so an operator's enabled flag and the series' target stay), in two steps so that two rows
      // trading addresses never collide on (url, target_key).
      const moves = await client.query<{ id: number; url: string }>(
        `SELECT t.id, w.u AS url
           FROM scrape_targets t
           JOIN unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS w(u, k, d, pn, site, cu)
             ON t.dialect = w.d AND t.target_key = w.k
          WHERE t.managed_by = 'simulator' AND w.d IN ('snmp', 'modbus', 'redfish') AND t.url <> w.u
            AND t.power_node_id IS NOT DISTINCT FROM (SELECT pn.id FROM power_nodes pn JOIN sites s ON s.id = pn.site_id WHERE pn.name = w.pn AND s.slug = w.site ORDER BY pn.id LIMIT 1)
            AND t.cooling_unit_id IS NOT DISTINCT FROM (SELECT cu.id FROM cooling_units cu JOIN sites s ON s.id = cu.site_id WHERE cu.name = w.cu AND s.slug = w.site ORDER BY cu.id LIMIT 1)`,
        [
          wanted.map((w) => w.url),
          wanted.map((w) => w.targetKey),
          wanted.map((w) => w.dialect),
          wanted.map((w) => w.powerNode?.name ?? null),
          wanted.map((w) => (w.powerNode ?? w.coolingUnit)?.siteSlug ?? null),
          wanted.map((w) => w.coolingUnit?.name ?? null),
        ],
      );
      if (moves.rows.length > 0) {
        const ids = moves.rows.map((m) => m.id);
        await client.query(`UPDATE scrape_targets SET url = url || '#moving-' || id WHERE id = ANY($1::int[])`, [ids]);
        await client.query(`UPDATE scrape_targets t SET url = m.u FROM unnest($1::int[], $2::text[]) AS m(id, u) WHERE t.id = m.id`, [ids, moves.rows.map((m) => m.url)]);
      }
      await client.query(
        `DELETE FROM scrape_targets WHERE managed_by = 'simulator'
            AND (url, target_key) NOT IN (SELECT u, k FROM unnest($1::text[], $2::text[]) AS w(u, k))`,
        [wanted.map((w) => w.url), wanted.map((w) => w.targetKey)],
      );
      // A collector target reads the power node or cooling unit of its name in its site (ids are looked up here, in one place).
      await client.query(
        `INSERT INTO scrape_targets (url, target_key, dialect, interval_ms, timeout_ms, managed_by, options, credentials, power_node_id, cooling_unit_id, preference)
         SELECT t.u, t.k, t.d, $8, least(5000, greatest(1000, $8)), 'simulator', t.o::jsonb, t.c::jsonb,
                (SELECT pn.id FROM power_nodes pn JOIN sites s ON s.id = pn.site_id WHERE pn.name = t.pn AND s.slug = t.site ORDER BY pn.id LIMIT 1),
                (SELECT cu.id FROM cooling_units cu JOIN sites s ON s.id = cu.site_id WHERE cu.name = t.cu AND s.slug = t.site ORDER BY cu.id LIMIT 1),
                t.p
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $9::text[], $10::int[]) AS t(u, k, d, o, c, pn, site, cu, p)
         ON CONFLICT (url, target_key) DO UPDATE SET interval_ms = excluded.interval_ms, timeout_ms = excluded.timeout_ms, dialect = excluded.dialect,
           managed_by = 'simulator', options = excluded.options, credentials = excluded.credentials, power_node_id = excluded.power_node_id,
           cooling_unit_id = excluded.cooling_unit_id, preference = excluded.preference`,
        [
          wanted.map((w) => w.url),
          wanted.map((w) => w.targetKey),
          wanted.map((w) => w.dialect),
          wanted.map((w) => JSON.stringify(w.options)),
          wanted.map((w) => JSON.stringify(w.credentials)),
          wanted.map((w) => w.powerNode?.name ?? null),
          wanted.map((w) => (w.powerNode ?? w.coolingUnit)?.siteSlug ?? null),
          this.options.scrapeIntervalMs,
          wanted.map((w) => w.coolingUnit?.name ?? null),
          wanted.map((w) => w.preference),
        ],
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * Whether a plant table (racks, devices, power, cooling, …) changed since the inventory was last read: an
   * `inventory import`, a device added in the UI. One single-row read, so the worker asks on every tick.
   */
  async plantChanged(): Promise<boolean> {
    return (await readPlantVersion(this.pool)) !== this.plantVersionSeen;
  }

  /** Re-reads the inventory; applies it (and re-registers targets) when it changed. */
  async refreshInventory(): Promise<boolean> {
    if (!this.world) return false;
    // Read before the inventory: a change committed in between is seen again on the next tick, never missed.
    this.plantVersionSeen = await readPlantVersion(this.pool);
    const inventory = await loadSimInventory(this.pool);
    const json = JSON.stringify(inventory);
    if (json === this.inventoryJson) return false;
    this.advance();
    this.world.applyInventory(inventory);
    this.inventoryJson = json;
    this.modbusUnitIds = coolingUnitIds(inventory);
    this.tpuHosts = tpuHostnames(inventory);
    await this.snmp?.sync();
    await this.registerTargets(inventory);
    return true;
  }

  /** GPUs currently driven by a job, so a released GPU can be handed back to the background profile. */
  private jobDrivenGpus = new Set<string>();

  /**
   * GPU utilisation follows the jobs the scheduler placed: training and batch run compute-bound, inference
   * bursty, each scaled by the share of the GPU it holds. GPUs without a job keep the background load profile
   * (work not scheduled by Plenum).
   */
  async applyJobWorkloads(): Promise<number> {
    if (!this.world) return 0;
    const { rows } = await preparedQuery<{ uuid: string; kind: string; milli: number }>(
      this.pool,
      `SELECT a.uuid, j.kind, sum(g.milli)::int AS milli
         FROM gpu_allocations g
         JOIN jobs j ON j.id = g.job_id
         JOIN accelerators a ON a.id = g.accelerator_id
        WHERE g.released_at IS NULL AND j.status IN ('scheduled', 'running')
        GROUP BY a.uuid, j.kind`,
    );
    const driven = new Set<string>();
    for (const row of rows) {
      const util = Math.min(1, row.milli / 1000);
      try {
        this.world.setWorkload(row.uuid, row.kind === 'inference' ? 'bursty-inference' : 'compute-bound', util);
        driven.add(row.uuid);
      } catch {
        // A GPU the simulator does not know (not yet in its inventory): picked up after the next refresh.
      }
    }
    for (const uuid of this.jobDrivenGpus) {
      if (!driven.has(uuid)) {
        try {
          this.world.clearWorkload(uuid);
        } catch {
          // Removed from the inventory meanwhile.
        }
      }
    }
    this.jobDrivenGpus = driven;
    return driven.size;
  }

  private requireWorld(): World {
    if (!this.world) throw new Error('the simulator is not running');
    return this.world;
  }

  listFaults(): Fault[] {
    return this.requireWorld().listFaults();
  }

  /** Injects a fault; a GPU fault also marks the accelerator failed in the database. */
  async inject(kind: FaultKind, target: string, options: FaultOptions = {}): Promise<Fault> {
    if (!FAULT_KINDS.includes(kind)) throw new Error(`unknown fault kind ${kind} (one of ${FAULT_KINDS.join(', ')})`);
    const world = this.requireWorld();
    this.advance();
    const id = world.inject(kind, target, options);
    if (GPU_FAILING_FAULTS.has(kind)) await this.pool.query(`UPDATE accelerators SET health = 'failed' WHERE uuid = $1`, [target]);
    return world.listFaults().find((f) => f.id === id)!;
  }

  /** Clears a fault; a GPU with no remaining GPU fault is marked healthy again. */
  async clear(faultId: string): Promise<Fault> {
    const world = this.requireWorld();
    const fault = world.listFaults().find((f) => f.id === faultId);
    if (!fault) throw new Error(`unknown fault ${faultId}`);
    this.advance();
    world.clear(faultId);
    if (GPU_FAILING_FAULTS.has(fault.kind) && !world.listFaults().some((f) => f.target === fault.target && GPU_FAILING_FAULTS.has(f.kind))) {
      await this.pool.query(`UPDATE accelerators SET health = 'healthy' WHERE uuid = $1 AND health = 'failed'`, [fault.target]);
    }
    return fault;
  }

  status(): { running: boolean; accel: number; baseUrl: string; snmpAgents: number; simTime: string | null; hosts: number; faults: number } {
    return {
      running: Boolean(this.world),
      accel: this.options.accel,
      baseUrl: this.baseUrl,
      snmpAgents: this.snmp?.devices().length ?? 0,
      simTime: this.world ? new Date(this.world.nowMs).toISOString() : null,
      hosts: this.world?.hostnames().length ?? 0,
      faults: this.world?.listFaults().length ?? 0,
    };
  }

  async stop(): Promise<void> {
    if (this.server) await advertiseSimulatorEndpoint('http', undefined);
    if (this.stepTimer) clearInterval(this.stepTimer);
    this.stepTimer = undefined;
    this.server?.closeAllConnections();
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
    this.server = undefined;
    await this.modbus?.close();
    this.modbus = undefined;
    await this.redfish.stop();
    await this.snmp?.stop();
    this.snmp = undefined;
    const holder = globalThis as unknown as { __plenumSimulator?: SimulatorHost };
    if (holder.__plenumSimulator === this) holder.__plenumSimulator = undefined;
  }
}

/** The simulator running in this process, if any. */
export function getSimulatorHost(): SimulatorHost | undefined {
  return (globalThis as unknown as { __plenumSimulator?: SimulatorHost }).__plenumSimulator;
}

/**
 * The simulator as a worker: its heartbeat shows the simulated time; each tick follows inventory changes. `current`
 * is the world this process runs now (none while another instance holds the simulator role).
 */
export function simulatorWorker(current: () => SimulatorHost | undefined): Worker {
  let lastRefreshMs = Date.now();
  return {
    name: 'simulator',
    // Short enough that a placed job shows on the GPU within a couple of seconds.
    intervalMs: 2_000,
    tick: async () => {
      const host = current();
      if (!host) return 'standby: another instance runs the simulated world';
      // At once after a plant change (an inventory import brings its hosts' telemetry within a tick; every table the
      // inventory reads bumps plant_version, GPU partition modes too since migration 0044), and every
      // inventoryRefreshMs as a backstop against changes made around the triggers.
      if ((await host.plantChanged()) || Date.now() - lastRefreshMs >= host.options.inventoryRefreshMs) {
        lastRefreshMs = Date.now();
        await host.refreshInventory();
      }
      const jobGpus = await host.applyJobWorkloads();
      const s = host.status();
      return `sim time ${s.simTime}, ×${s.accel}, ${s.hosts} hosts, ${s.snmpAgents} SNMP agents, ${s.faults} faults, ${jobGpus} GPUs running jobs, ${host.baseUrl}`;
    },
  };
}
