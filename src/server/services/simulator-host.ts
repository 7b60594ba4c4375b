/**
 * The live simulator: a World built from the database inventory, stepped on a SimClock (PLENUM_SIM_ACCEL), serving
 * exporter text over HTTP exactly like real exporters (dcgm-exporter per GPU host at /hosts/<hostname>/metrics,
 * Plenum facility metrics per site at /facility/<site-slug>/metrics), and registering those URLs as scrape targets
 * (managed_by = 'simulator'). Plenum then scrapes it like any exporter: one way in.
 *
 * Faults are injected on the World directly (`inject` / `clear`); in `npm start` the tRPC router reaches this host
 * through `getSimulatorHost()` (globalThis, because Next's bundle has its own module instances). A simulator in a
 * separate process would take the same commands from a `sim_commands` table it LISTENs for (see docs/telemetry.md).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { SimClock } from '../../../simulator/clock';
import { renderFacilityMetrics, renderGpuHostMetrics } from '../../../simulator/exporters';
import type { SimInventory } from '../../../simulator/inventory';
import { coolingUnitIds, coolingUnitMapName, type ModbusTcpServer, simulatorModbusServer } from '../../../simulator/protocols/modbus-server';
import { RedfishSimServer } from '../../../simulator/protocols/redfish-server';
import { FAULT_KINDS, type Fault, type FaultKind, type FaultOptions, World } from '../../../simulator/world';
import { loadSimInventory } from './telemetry/sim-inventory';
import type { Worker } from './workers';
import { defaultScrapeIntervalMs } from '../db/seed/plan';

export type SimulatorOptions = {
  accel: number;
  seed: number;
  /** Port of the exporter HTTP server; 0 picks a free one (the targets are re-registered with it at each start). */
  port: number;
  /** Port of the cooling units' Modbus TCP server; 0 (the default) picks a free one. */
  modbusPort?: number;
  /** Port of the Redfish service (cooling units); 0 or absent picks a free one. */
  redfishPort?: number;
  host: string;
  scrapeIntervalMs: number;
  /** How often the inventory is re-read and applied. */
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
    host: '127.0.0.1',
    scrapeIntervalMs: n('PLENUM_SCRAPE_INTERVAL_MS', defaultScrapeIntervalMs(process.env.PLENUM_SEED)),
    inventoryRefreshMs: n('PLENUM_SIM_INVENTORY_REFRESH_MS', 60_000),
  };
}

/** A simulator-registered target: exporter text over HTTP, or a facility collector reading one facility object. */
export type SimulatorTarget = {
  url: string;
  dialect: 'dcgm' | 'plenum' | 'modbus' | 'redfish';
  options?: Record<string, unknown>;
  /** The cooling unit a collector target reads (site slug and inventory name). */
  coolingUnit?: { siteSlug: string; name: string };
  /** Tells apart targets at one URL (scrape_targets.target_key, as the targets API writes it). */
  targetKey?: string;
  /** Source preference: the protocol readings win over the same readings in the plenum_* debug text (100). */
  preference?: number;
};

/** Readings over a device protocol win over the simulator's own plenum_* text of the same quantity. */
const PROTOCOL_TARGET_PREFERENCE = 150;

/** GPU faults that take the GPU out of service: the accelerator is marked failed so the scheduler avoids it. */
const GPU_FAILING_FAULTS: ReadonlySet<FaultKind> = new Set(['gpu-xid', 'gpu-off-bus', 'gpu-thermal-runaway']);
const STEP_MS = 500;
/**
 * Cooling unit kinds whose readings Plenum takes over Redfish (one `redfish` target for the simulator's service)
 * rather than from the facility text, which then leaves their coolant readings out.
 */
const REDFISH_COOLING_KINDS: ReadonlySet<string> = new Set(['cdu']);

export class SimulatorHost {
  private world: World | undefined;
  private clock: SimClock | undefined;
  private server: http.Server | undefined;
  private readonly redfish = new RedfishSimServer(() => this.world);
  /** The simulator's Redfish service root (set by start). */
  redfishUrl = '';
  private stepTimer: NodeJS.Timeout | undefined;
  private lastStepMs = 0;
  private inventoryJson = '';
  private modbus: ModbusTcpServer | undefined;
  /** Modbus unit id of each cooling unit served (inventory name → unit id). */
  private modbusUnitIds = new Map<string, number>();
  baseUrl = '';

  constructor(
    private readonly pool: pg.Pool,
    readonly options: SimulatorOptions,
  ) {}

  async start(): Promise<void> {
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
    this.modbus = simulatorModbusServer(() => ({ world: this.world, unitIds: this.modbusUnitIds }));
    await this.modbus.listen(this.options.modbusPort ?? 0, this.options.host);
    this.redfishUrl = await this.redfish.start(this.options.host, this.options.redfishPort ?? 0);
    await this.registerTargets(inventory);
    this.stepTimer = setInterval(() => this.advance(), STEP_MS);
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
    const facility = /^\/facility\/([^/]+)\/metrics$/.exec(url.pathname);
    try {
      if (!world || req.method !== 'GET' || (!host && !facility)) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      // No stepping here: the world advances on its own timer (STEP_MS) and a request reads the latest state, as a
      // real exporter serves its last sample. Stepping per request cost a whole-fleet step for each of ~130 scrapes/s.
      const body = host ? renderGpuHostMetrics(world, decodeURIComponent(host[1]!)) : renderFacilityMetrics(world, decodeURIComponent(facility![1]!), { coolingReadingsElsewhere: REDFISH_COOLING_KINDS });
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body);
    } catch (error) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`${error instanceof Error ? error.message : String(error)}\n`);
    }
  }

  /**
   * Where a simulated cooling unit answers Modbus TCP: built here only, so a scale-out simulator can resolve it
   * through its instance registry instead. Undefined for a unit this instance does not serve.
   */
  modbusEndpointOf(unitName: string): { url: string; unitId: number } | undefined {
    const unitId = this.modbusUnitIds.get(unitName);
    if (unitId === undefined || !this.modbus) return undefined;
    return { url: `modbus://${this.options.host}:${this.modbus.port}`, unitId };
  }

  /**
   * The targets of an inventory: one exporter URL per GPU host, one facility endpoint per site, and a Modbus target per
   * air cooling unit (CRAH, CRAC, in-row, rear door), read by the modbus collector. CDUs answer Modbus too but are
   * registered over Redfish.
   */
  targetUrls(inventory: SimInventory): SimulatorTarget[] {
    const urls: SimulatorTarget[] = [];
    // The Redfish service answers for every CDU of every site: one target.
    const redfishUnits = inventory.sites.some((site) => (site.coolingUnits ?? []).some((u) => REDFISH_COOLING_KINDS.has(u.kind)));
    if (redfishUnits && this.redfishUrl) urls.push({ url: this.redfishUrl, dialect: 'redfish', preference: PROTOCOL_TARGET_PREFERENCE });
    for (const site of inventory.sites) {
      urls.push({ url: `${this.baseUrl}/facility/${encodeURIComponent(site.id)}/metrics`, dialect: 'plenum' });
      for (const hall of site.halls)
        for (const rack of hall.racks) for (const s of rack.servers) urls.push({ url: `${this.baseUrl}/hosts/${encodeURIComponent(s.hostname)}/metrics`, dialect: 'dcgm' });
      for (const unit of site.coolingUnits ?? []) {
        const endpoint = unit.kind === 'cdu' ? undefined : this.modbusEndpointOf(unit.id);
        if (!endpoint) continue;
        urls.push({
          url: endpoint.url,
          dialect: 'modbus',
          options: { map: coolingUnitMapName(unit.kind), unitId: endpoint.unitId },
          coolingUnit: { siteSlug: site.id, name: unit.id },
          targetKey: `${site.id}/${unit.id}/unit ${endpoint.unitId}`,
          preference: PROTOCOL_TARGET_PREFERENCE,
        });
      }
    }
    return urls;
  }

  /** Makes the simulator-managed targets exactly the current set (other targets are never touched). */
  private async registerTargets(inventory: SimInventory): Promise<void> {
    const wanted = this.targetUrls(inventory);
    const keys = wanted.map((w) => w.targetKey ?? '');
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `DELETE FROM scrape_targets WHERE managed_by = 'simulator' AND (url, target_key) NOT IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
        [wanted.map((w) => w.url), keys],
      );
      await client.query(
        `INSERT INTO scrape_targets (url, dialect, interval_ms, timeout_ms, managed_by, options, cooling_unit_id, target_key, preference)
         SELECT u, d, $3, least(5000, greatest(1000, $3)), 'simulator', o,
                (SELECT cu.id FROM cooling_units cu JOIN sites s ON s.id = cu.site_id WHERE s.slug = cs AND cu.name = cn), k, p
           FROM unnest($1::text[], $2::text[], $4::jsonb[], $5::text[], $6::text[], $7::text[], $8::int[]) AS t(u, d, o, cs, cn, k, p)
         ON CONFLICT (url, target_key) DO UPDATE SET interval_ms = excluded.interval_ms, timeout_ms = excluded.timeout_ms, dialect = excluded.dialect,
           managed_by = 'simulator', options = excluded.options, cooling_unit_id = excluded.cooling_unit_id, preference = excluded.preference`,
        [
          wanted.map((w) => w.url),
          wanted.map((w) => w.dialect),
          this.options.scrapeIntervalMs,
          wanted.map((w) => JSON.stringify(w.options ?? {})),
          wanted.map((w) => w.coolingUnit?.siteSlug ?? null),
          wanted.map((w) => w.coolingUnit?.name ?? null),
          keys,
          wanted.map((w) => w.preference ?? 100),
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

  /** Re-reads the inventory; applies it (and re-registers targets) when it changed. */
  async refreshInventory(): Promise<boolean> {
    if (!this.world) return false;
    const inventory = await loadSimInventory(this.pool);
    const json = JSON.stringify(inventory);
    if (json === this.inventoryJson) return false;
    this.advance();
    this.world.applyInventory(inventory);
    this.inventoryJson = json;
    this.modbusUnitIds = coolingUnitIds(inventory);
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
    const { rows } = await this.pool.query<{ uuid: string; kind: string; milli: number }>(
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

  status(): { running: boolean; accel: number; baseUrl: string; simTime: string | null; hosts: number; faults: number } {
    return {
      running: Boolean(this.world),
      accel: this.options.accel,
      baseUrl: this.baseUrl,
      simTime: this.world ? new Date(this.world.nowMs).toISOString() : null,
      hosts: this.world?.hostnames().length ?? 0,
      faults: this.world?.listFaults().length ?? 0,
    };
  }

  async stop(): Promise<void> {
    if (this.stepTimer) clearInterval(this.stepTimer);
    this.stepTimer = undefined;
    this.server?.closeAllConnections();
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
    this.server = undefined;
    await this.modbus?.close();
    this.modbus = undefined;
    await this.redfish.stop();
    const holder = globalThis as unknown as { __plenumSimulator?: SimulatorHost };
    if (holder.__plenumSimulator === this) holder.__plenumSimulator = undefined;
  }
}

/** The simulator running in this process, if any. */
export function getSimulatorHost(): SimulatorHost | undefined {
  return (globalThis as unknown as { __plenumSimulator?: SimulatorHost }).__plenumSimulator;
}

/** The simulator as a worker: its heartbeat shows the simulated time; each tick follows inventory changes. */
export function simulatorWorker(host: SimulatorHost): Worker {
  let lastRefreshMs = Date.now();
  return {
    name: 'simulator',
    // Short enough that a placed job shows on the GPU within a couple of seconds.
    intervalMs: 2_000,
    tick: async () => {
      if (Date.now() - lastRefreshMs >= host.options.inventoryRefreshMs) {
        lastRefreshMs = Date.now();
        await host.refreshInventory();
      }
      const jobGpus = await host.applyJobWorkloads();
      const s = host.status();
      return `sim time ${s.simTime}, ×${s.accel}, ${s.hosts} hosts, ${s.faults} faults, ${jobGpus} GPUs running jobs, ${host.baseUrl}`;
    },
    stop: () => host.stop(),
  };
}
