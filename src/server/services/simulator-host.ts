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
import { FAULT_KINDS, type Fault, type FaultKind, type FaultOptions, World } from '../../../simulator/world';
import { loadSimInventory } from './telemetry/sim-inventory';
import type { Worker } from './workers';
import { defaultScrapeIntervalMs } from '../db/seed/plan';

export type SimulatorOptions = {
  accel: number;
  seed: number;
  /** Port of the exporter HTTP server; 0 picks a free one (the targets are re-registered with it at each start). */
  port: number;
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
    host: '127.0.0.1',
    scrapeIntervalMs: n('PLENUM_SCRAPE_INTERVAL_MS', defaultScrapeIntervalMs(process.env.PLENUM_SEED)),
    inventoryRefreshMs: n('PLENUM_SIM_INVENTORY_REFRESH_MS', 60_000),
  };
}

/** GPU faults that take the GPU out of service: the accelerator is marked failed so the scheduler avoids it. */
const GPU_FAILING_FAULTS: ReadonlySet<FaultKind> = new Set(['gpu-xid', 'gpu-off-bus', 'gpu-thermal-runaway']);
const STEP_MS = 500;

export class SimulatorHost {
  private world: World | undefined;
  private clock: SimClock | undefined;
  private server: http.Server | undefined;
  private stepTimer: NodeJS.Timeout | undefined;
  private lastStepMs = 0;
  private inventoryJson = '';
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
      const body = host ? renderGpuHostMetrics(world, decodeURIComponent(host[1]!)) : renderFacilityMetrics(world, decodeURIComponent(facility![1]!));
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body);
    } catch (error) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`${error instanceof Error ? error.message : String(error)}\n`);
    }
  }

  /** The exporter URLs of an inventory: one per GPU host, one facility endpoint per site. */
  targetUrls(inventory: SimInventory): { url: string; dialect: 'dcgm' | 'plenum' }[] {
    const urls: { url: string; dialect: 'dcgm' | 'plenum' }[] = [];
    for (const site of inventory.sites) {
      urls.push({ url: `${this.baseUrl}/facility/${encodeURIComponent(site.id)}/metrics`, dialect: 'plenum' });
      for (const hall of site.halls)
        for (const rack of hall.racks) for (const s of rack.servers) urls.push({ url: `${this.baseUrl}/hosts/${encodeURIComponent(s.hostname)}/metrics`, dialect: 'dcgm' });
    }
    return urls;
  }

  /** Makes the simulator-managed targets exactly the current set (other targets are never touched). */
  private async registerTargets(inventory: SimInventory): Promise<void> {
    const wanted = this.targetUrls(inventory);
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`DELETE FROM scrape_targets WHERE managed_by = 'simulator' AND NOT (url = ANY($1))`, [wanted.map((w) => w.url)]);
      await client.query(
        `INSERT INTO scrape_targets (url, dialect, interval_ms, timeout_ms, managed_by)
         SELECT u, d, $3, least(5000, greatest(1000, $3)), 'simulator' FROM unnest($1::text[], $2::text[]) AS t(u, d)
         ON CONFLICT (url) DO UPDATE SET interval_ms = excluded.interval_ms, timeout_ms = excluded.timeout_ms, dialect = excluded.dialect, managed_by = 'simulator'`,
        [wanted.map((w) => w.url), wanted.map((w) => w.dialect), this.options.scrapeIntervalMs],
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
