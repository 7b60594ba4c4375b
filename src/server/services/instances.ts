/**
 * The instance registry and its roles: how several Plenum processes share one PostgreSQL.
 *
 * - Every process registers a row in `instances` and renews a 10 s lease every 2 s. It also holds a liveness advisory
 *   lock (`lock_key`) on its lock connection, so a killed process counts as gone as soon as its connection closes,
 *   not only when its lease runs out. Any live instance deletes expired instances and the heartbeats of their
 *   workers, so /api/health does not stay "degraded" after a crash.
 * - Singleton roles (SINGLETON_ROLES) are held under session advisory locks on that same connection
 *   (`AdvisoryLockSession`, the one leadership mechanism); a standby tries every second, so after a SIGKILL a
 *   survivor holds the role within about a second. Hooks start and stop what a role runs (the simulated world).
 * - `scrape` is sharded: every instance with it scrapes the targets that rendezvous hashing gives it over the live
 *   scrape instances (`scrapeMembership`, read by the scraper on each target reload).
 * - The simulated world's exporter endpoints are advertised here (`advertiseSimulatorEndpoint`), never baked into
 *   target rows: the scraper substitutes them into simulator targets' URLs at scrape time.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';
import { type Role, SINGLETON_ROLES, type SingletonRole } from '../config';
import type { InstanceEndpoints } from '../db/schema';
import { preparedQuery } from '../db/statement-params';
import { AdvisoryLockSession, type LockKey, lockKey } from './leadership';
import { SCHEDULER_LEADER_LOCK_KEY } from './scheduler/defaults';

export const HEARTBEAT_MS = 2_000;
export const LEASE_MS = 10_000;
/** How often a standby tries the singleton roles it does not hold: takeover within about this after a crash. */
export const ROLE_RETRY_MS = 1_000;

// Lock classes (the high 32 bits of the bigint key); any constants, the same in every Plenum process.
const ROLE_LOCK_CLASS = 7_042;
const LIVENESS_LOCK_CLASS = 7_043;

/** One lock per singleton role; the scheduler keeps the key it always had, so versions mix during an upgrade. */
export const ROLE_LOCK_KEYS: Record<SingletonRole, LockKey> = {
  scheduler: BigInt(SCHEDULER_LEADER_LOCK_KEY),
  rollups: lockKey(ROLE_LOCK_CLASS, 1),
  partitions: lockKey(ROLE_LOCK_CLASS, 2),
  alerts: lockKey(ROLE_LOCK_CLASS, 3),
  simulator: lockKey(ROLE_LOCK_CLASS, 4),
  clusters: lockKey(ROLE_LOCK_CLASS, 5),
};

const VERSION = process.env.npm_package_version ?? '0.1.0';

/** SQL: the instance `i` is live (lease running and liveness lock held). */
const LIVE = `i.lease_expires_at > now() AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted
  AND l.objsubid = 1 AND l.classid = ${LIVENESS_LOCK_CLASS}::oid AND l.objid = i.lock_key::oid)`;

export type LiveInstance = {
  id: string;
  hostname: string;
  pid: number;
  version: string;
  rolesRequested: string[];
  rolesHeld: string[];
  endpoints: InstanceEndpoints;
  shardSize: number | null;
  startedAt: Date;
  heartbeatAt: Date;
  leaseExpiresAt: Date;
};

/** The live instances, oldest first. */
export async function liveInstances(pool: pg.Pool): Promise<LiveInstance[]> {
  const { rows } = await preparedQuery<{
    id: string;
    hostname: string;
    pid: number;
    version: string;
    roles_requested: string[];
    roles_held: string[];
    endpoints: InstanceEndpoints;
    shard_size: number | null;
    started_at: Date;
    heartbeat_at: Date;
    lease_expires_at: Date;
  }>(
    pool,
    `SELECT id, hostname, pid, version, roles_requested, roles_held, endpoints, shard_size, started_at, heartbeat_at, lease_expires_at
       FROM instances i WHERE ${LIVE} ORDER BY started_at, id`,
  );
  return rows.map((r) => ({
    id: r.id,
    hostname: r.hostname,
    pid: r.pid,
    version: r.version,
    rolesRequested: r.roles_requested,
    rolesHeld: r.roles_held,
    endpoints: r.endpoints,
    shardSize: r.shard_size,
    startedAt: r.started_at,
    heartbeatAt: r.heartbeat_at,
    leaseExpiresAt: r.lease_expires_at,
  }));
}

/** What a scraper needs on each reload: who shares the targets, and where the simulated world answers. */
export type ScrapeMembership = {
  self: string;
  /** Live instances holding `scrape` (this one included once registered). */
  members: string[];
  /** The simulated world's endpoints per URL scheme (`http` → host:port); empty while no world runs. */
  simulatorEndpoints: Record<string, string>;
};

export async function scrapeMembership(pool: pg.Pool, self: string): Promise<ScrapeMembership> {
  const live = await liveInstances(pool);
  const world = live.find((i) => i.rolesHeld.includes('simulator'));
  return {
    self,
    members: live.filter((i) => i.rolesHeld.includes('scrape')).map((i) => i.id),
    simulatorEndpoints: { ...(world?.endpoints.simulator ?? {}) },
  };
}

/** The simulated world's endpoints per scheme, as the live instance holding the `simulator` role advertises them. */
export async function worldEndpoints(pool: pg.Pool): Promise<Record<string, string>> {
  const world = (await liveInstances(pool)).find((i) => i.rolesHeld.includes('simulator'));
  return { ...(world?.endpoints.simulator ?? {}) };
}

type RoleHooks = { acquire: () => Promise<void>; release: () => Promise<void> };

/** This process in the registry: its lease, its liveness lock and the singleton roles it holds. */
export class InstanceRegistry {
  readonly id = randomUUID();
  readonly hostname = hostname();
  readonly pid = process.pid;
  readonly startedAt = new Date();
  private readonly lockKeyId = randomInt(1, 2 ** 31 - 1);
  private readonly session: AdvisoryLockSession;
  private readonly held = new Set<Role>();
  private readonly hooks = new Map<SingletonRole, RoleHooks>();
  private endpoints: InstanceEndpoints = {};
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastHeartbeatMs = 0;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  /** The liveness lock was held at the last round: only then is the lease renewed. */
  private alive = false;
  private beating = false;
  private stopped = false;
  /** Scrape targets in this instance's shard (set by the scraper). */
  shardSize: number | null = null;

  constructor(
    private readonly pool: pg.Pool,
    url: string,
    readonly rolesRequested: readonly Role[],
    private readonly log: (line: string) => void = () => {},
  ) {
    this.session = new AdvisoryLockSession(url, 'plenum-instance');
  }

  /** Whether this instance holds `role` now (a singleton: its lock; `web`/`scrape`: requested and registered). */
  holds(role: Role): boolean {
    return this.held.has(role);
  }

  get rolesHeld(): Role[] {
    return this.rolesRequested.filter((role) => this.held.has(role));
  }

  /** What to start when this instance takes a singleton role and stop when it loses it (before `start`). */
  onRole(role: SingletonRole, hooks: RoleHooks): void {
    this.hooks.set(role, hooks);
  }

  /**
   * Registers, takes the roles it can, and keeps doing so every ROLE_RETRY_MS until `stop`. The lease is renewed on
   * its own timer, not by the round: taking a role can run far longer than a lease (the xl site's world takes about a
   * minute to start), and an instance that stopped renewing meanwhile was deleted by the others, its shard handed out.
   */
  async start(): Promise<void> {
    setProcessInstance(this);
    this.heartbeatTimer = setInterval(() => {
      if (!this.alive || this.stopped || this.beating) return;
      this.beating = true;
      void this.heartbeat()
        .catch(() => {})
        .finally(() => (this.beating = false));
    }, HEARTBEAT_MS);
    await this.tick();
    const loop = () => {
      this.timer = setTimeout(() => {
        this.running = this.tick().finally(() => {
          this.running = undefined;
          if (!this.stopped) loop();
        });
      }, ROLE_RETRY_MS);
    };
    loop();
  }

  private get livenessKey(): LockKey {
    return lockKey(LIVENESS_LOCK_CLASS, this.lockKeyId);
  }

  /** One round: check the locks really held, take free roles, renew the lease, clear out dead instances. */
  async tick(): Promise<void> {
    if (this.stopped) return;
    const before = this.rolesHeld.join(',');
    const locks = await this.session.refresh();
    const alive = locks.has(this.livenessKey) || (await this.session.tryAcquire(this.livenessKey));
    // Roles lost with the connection (or never taken) stop first, so two holders never overlap.
    for (const role of SINGLETON_ROLES) {
      if (this.held.has(role) && !this.session.holds(ROLE_LOCK_KEYS[role])) await this.lose(role);
    }
    this.alive = alive;
    if (!alive) {
      this.held.delete('web');
      this.held.delete('scrape');
      return;
    }
    for (const role of this.rolesRequested) {
      if (role === 'web' || role === 'scrape') this.held.add(role);
      else if (!this.held.has(role) && (await this.session.tryAcquire(ROLE_LOCK_KEYS[role]))) await this.gain(role);
    }
    const changed = this.rolesHeld.join(',') !== before;
    if (changed || Date.now() - this.lastHeartbeatMs >= HEARTBEAT_MS) await this.heartbeat().catch(() => {});
  }

  private async gain(role: SingletonRole): Promise<void> {
    try {
      await this.hooks.get(role)?.acquire();
      this.held.add(role);
      this.log(`took the ${role} role`);
    } catch (error) {
      // Could not start what the role runs (a busy port…): give the role up so another instance can try.
      this.log(`could not take the ${role} role: ${error instanceof Error ? error.message : String(error)}`);
      await this.session.release(ROLE_LOCK_KEYS[role]);
    }
  }

  private async lose(role: SingletonRole): Promise<void> {
    this.held.delete(role);
    this.log(`lost the ${role} role`);
    await this.hooks.get(role)?.release().catch(() => {});
  }

  /** Renews this instance's row and lease, and deletes instances (and their worker heartbeats) that are gone. */
  async heartbeat(): Promise<void> {
    this.lastHeartbeatMs = Date.now();
    // One statement (its parts see one snapshot: the instances it deletes were not live in it either). Workers report
    // every 5 s: a heartbeat older than a lease whose instance is not live belongs to a dead process.
    await preparedQuery(
      this.pool,
      `WITH renewed AS (
         INSERT INTO instances (id, hostname, pid, version, roles_requested, roles_held, endpoints, lock_key, shard_size, started_at, heartbeat_at, lease_expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now(), now() + make_interval(secs => $11 / 1000.0))
         ON CONFLICT (id) DO UPDATE SET roles_held = excluded.roles_held, endpoints = excluded.endpoints, shard_size = excluded.shard_size,
           heartbeat_at = excluded.heartbeat_at, lease_expires_at = excluded.lease_expires_at),
       gone AS (DELETE FROM instances i WHERE i.id <> $1 AND NOT (${LIVE})),
       stale AS (
         DELETE FROM worker_heartbeats w WHERE w.heartbeat_at < now() - make_interval(secs => $11 / 1000.0)
            AND NOT EXISTS (SELECT 1 FROM instances i WHERE i.id = w.instance AND ${LIVE}))
       SELECT 1`,
      [this.id, this.hostname, this.pid, VERSION, this.rolesRequested, this.rolesHeld, JSON.stringify(this.endpoints), this.lockKeyId, this.shardSize, this.startedAt, LEASE_MS],
    );
  }

  /** Records a simulator endpoint and publishes it at once (scrapers read it on their next reload). */
  async setSimulatorEndpoint(scheme: string, hostPort: string | undefined): Promise<void> {
    const simulator = { ...(this.endpoints.simulator ?? {}) };
    if (hostPort === undefined) delete simulator[scheme];
    else simulator[scheme] = hostPort;
    this.endpoints = { ...this.endpoints, simulator };
    if (!this.stopped) await this.heartbeat().catch(() => {});
  }

  /** Stops what every role runs, gives the locks up and leaves the registry. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.heartbeatTimer);
    await this.running;
    for (const role of SINGLETON_ROLES) if (this.held.has(role)) await this.lose(role);
    this.held.clear();
    await this.session.close();
    await this.pool.query('DELETE FROM instances WHERE id = $1', [this.id]).catch(() => {});
    if (getProcessInstance() === this) setProcessInstance(undefined);
  }

  /** The server process id of the lock connection (tests end it to simulate a lost connection). */
  backendPid(): number | undefined {
    return this.session.backendPid();
  }
}

// This process's registry and its advertised simulator endpoints, on globalThis (Next's bundle has its own modules).
type ProcessState = { __plenumInstance?: InstanceRegistry; __plenumSimulatorEndpoints?: Record<string, string> };
const processState = globalThis as unknown as ProcessState;

function setProcessInstance(registry: InstanceRegistry | undefined): void {
  processState.__plenumInstance = registry;
}

export function getProcessInstance(): InstanceRegistry | undefined {
  return processState.__plenumInstance;
}

/**
 * How a simulated-world server tells scrapers where it answers: `scheme` is the URL scheme of its simulator targets
 * (`http` for the exporter text; `snmp`, `modbus`, `redfish`… for other protocol servers) and `hostPort` where this
 * process listens for it. Simulator targets (managed_by = 'simulator') keep a placeholder host
 * (SIMULATOR_TARGET_HOST); the scraper puts the advertised host:port in its place at scrape time, so a world that
 * restarts elsewhere after a failover is found without touching a target row. Pass `undefined` to withdraw it.
 */
export async function advertiseSimulatorEndpoint(scheme: string, hostPort: string | undefined): Promise<void> {
  const endpoints = { ...(processState.__plenumSimulatorEndpoints ?? {}) };
  if (hostPort === undefined) delete endpoints[scheme];
  else endpoints[scheme] = hostPort;
  processState.__plenumSimulatorEndpoints = endpoints;
  await getProcessInstance()?.setSimulatorEndpoint(scheme, hostPort);
}

/** The simulator endpoints this process advertised (a scraper without a registry resolves through these). */
export function localSimulatorEndpoints(): Record<string, string> {
  return { ...(processState.__plenumSimulatorEndpoints ?? {}) };
}

/** The host every simulator target URL carries in place of the world's real address. */
export const SIMULATOR_TARGET_HOST = 'plenum-simulator';

/** A simulator target's URL with the world's current endpoint for its scheme; undefined while none is advertised. */
export function resolveSimulatorUrl(url: string, endpoints: Record<string, string>): string | undefined {
  const parsed = new URL(url);
  const scheme = parsed.protocol.replace(/:$/, '');
  const hostPort = endpoints[scheme];
  if (!hostPort) return undefined;
  parsed.host = hostPort;
  return parsed.toString();
}

/**
 * A worker that belongs to a role: left out where the instance does not take part in the role, and standing by
 * (a tick that does nothing) while another instance holds it. Without a registry (a single process) it always runs.
 */
export function roleWorker<W extends { tick: () => Promise<string | undefined> }>(registry: InstanceRegistry | undefined, role: Role, worker: W): W | undefined {
  if (!registry) return worker;
  if (!registry.rolesRequested.includes(role)) return undefined;
  return { ...worker, tick: async () => (registry.holds(role) ? worker.tick() : `standby: another instance holds the ${role} role`) };
}
