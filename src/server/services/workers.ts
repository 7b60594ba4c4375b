import { hostname } from 'node:os';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';

/** A background loop: `tick` runs every `intervalMs`; a failed tick is reported and retried next time. */
export type Worker = {
  name: string;
  intervalMs: number;
  tick: () => Promise<string | undefined>;
  stop?: () => Promise<void>;
};

type WorkerState = {
  worker: Worker;
  timer?: NodeJS.Timeout;
  running?: Promise<void>;
  status: string;
  detail: string;
  /** The status last written to worker_heartbeats (undefined before the first write). */
  reportedStatus?: string;
};

/** Without an instance registry, a process names its worker rows host:pid. */
const DEFAULT_INSTANCE = `${hostname()}:${process.pid}`;
/**
 * Liveness and each worker's latest detail are reported on their own clock: a worker whose loop runs every few minutes
 * (partition maintenance) must not look stale to /api/health in between, and one that ticks every second must not
 * write a row every second (measured: ~3 heartbeat writes a second, each its own committed transaction, at the demo's
 * 10 s scrapes). A tick reports at once only when it changes the worker's status (first tick, a failure, a recovery).
 * Health calls a worker stale after 15 s without a report.
 */
const HEARTBEAT_MS = 5_000;

export class WorkerRunner {
  private readonly states: WorkerState[] = [];
  private readonly startedAt = new Date();
  private stopping = false;
  private heartbeat?: NodeJS.Timeout;

  /** `instance`: the registry id of this process (services/instances.ts), so its rows go when the instance does. */
  constructor(
    private readonly db: Db,
    private readonly instance = DEFAULT_INSTANCE,
  ) {}

  add(worker: Worker): void {
    this.states.push({ worker, status: 'starting', detail: '' });
  }

  start(): void {
    for (const state of this.states) this.schedule(state, 0);
    this.heartbeat = setInterval(() => {
      void this.report(this.states).catch(() => {});
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  private schedule(state: WorkerState, delayMs: number): void {
    if (this.stopping) return;
    state.timer = setTimeout(() => {
      state.running = this.runOnce(state).finally(() => {
        state.running = undefined;
        this.schedule(state, state.worker.intervalMs);
      });
    }, delayMs);
  }

  private async runOnce(state: WorkerState): Promise<void> {
    try {
      const detail = await state.worker.tick();
      state.status = 'running';
      state.detail = detail ?? '';
    } catch (error) {
      state.status = 'error';
      state.detail = error instanceof Error ? error.message : String(error);
    }
    if (state.status !== state.reportedStatus) await this.report([state]).catch(() => {});
  }

  /** One statement for any number of workers (the periodic heartbeat reports them all at once). */
  private async report(all: readonly WorkerState[]): Promise<void> {
    // One row per name (ON CONFLICT cannot touch a row twice in one statement): the last worker of a name reports.
    const states = [...new Map(all.map((s) => [s.worker.name, s])).values()];
    if (states.length === 0) return;
    const names = states.map((s) => s.worker.name);
    const statuses = states.map((s) => s.status);
    const details = states.map((s) => s.detail.slice(0, 500));
    await this.db.execute(
      sql`INSERT INTO worker_heartbeats (name, instance, pid, status, detail, started_at, heartbeat_at)
          SELECT u.name, ${this.instance}, ${process.pid}, u.status, u.detail, ${this.startedAt}, now()
            FROM unnest(${sql.param(names)}::text[], ${sql.param(statuses)}::text[], ${sql.param(details)}::text[]) AS u(name, status, detail)
          ON CONFLICT (name, instance) DO UPDATE
            SET status = excluded.status, detail = excluded.detail, heartbeat_at = excluded.heartbeat_at, pid = excluded.pid`,
    );
    states.forEach((s, i) => {
      s.reportedStatus = statuses[i];
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.heartbeat);
    for (const state of this.states) clearTimeout(state.timer);
    await Promise.all(this.states.map((state) => state.running));
    for (const state of this.states) {
      await state.worker.stop?.();
      state.status = 'stopped';
      await this.report([state]).catch(() => {});
    }
  }
}

/** Proves the loop machinery and the database round trip; its heartbeat is what /api/health shows first. */
export function heartbeatWorker(db: Db): Worker {
  return {
    name: 'heartbeat',
    intervalMs: 1000,
    tick: async () => {
      const result = await db.execute<{ now: string }>(sql`SELECT now()::text AS now`);
      return `database time ${result.rows[0]?.now ?? 'unknown'}`;
    },
  };
}
