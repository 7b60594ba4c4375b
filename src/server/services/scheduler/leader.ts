// One active scheduler loop at a time: the leader holds a session advisory lock on its own connection. A standby
// process keeps trying; when the leader dies its connection closes, PostgreSQL drops the lock, and a standby takes over.

import pg from 'pg';
import type { Db } from '../../db/client';
import { selfMetrics } from '../self-metrics';
import { submitPlacedJobs } from '../clusters/executor';
import type { Worker } from '../workers';
import { createSchedulerService, type CycleResult } from './cycle';
import { SCHEDULER_INTERVAL_MS, SCHEDULER_LEADER_LOCK_KEY } from './defaults';

export class SchedulerLeadership {
  private client: pg.Client | null = null;
  private leading = false;

  constructor(
    private readonly url: string,
    private readonly lockKey = SCHEDULER_LEADER_LOCK_KEY,
  ) {}

  get isLeader(): boolean {
    return this.leading;
  }

  /** The server process id of the lock connection (tests end it to simulate a crash). */
  backendPid(): number | undefined {
    return (this.client as unknown as { processID?: number } | null)?.processID;
  }

  private drop(): void {
    const client = this.client;
    this.client = null;
    this.leading = false;
    client?.end().catch(() => {});
  }

  /** True while this instance holds the lock; tries to take it when it does not. */
  async tryLead(): Promise<boolean> {
    try {
      if (!this.client) {
        const client = new pg.Client({ connectionString: this.url, application_name: 'plenum-scheduler-leader' });
        // A lost connection means a lost lock: stop leading at once.
        client.on('error', () => this.drop());
        client.on('end', () => {
          if (this.client === client) this.drop();
        });
        await client.connect();
        this.client = client;
      }
      if (this.leading) {
        // Still connected and still holding it? (The server may have ended the session.)
        const held = await this.client.query<{ held: boolean }>(
          `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
             AND ((classid::bigint << 32) | objid::bigint) = $1::bigint) AS held`,
          [this.lockKey],
        );
        this.leading = held.rows[0]?.held === true;
        if (this.leading) return true;
      }
      const result = await this.client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [this.lockKey]);
      this.leading = result.rows[0]?.ok === true;
      return this.leading;
    } catch {
      this.drop();
      return false;
    }
  }

  async release(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.leading = false;
    if (client) await client.end().catch(() => {});
  }
}

function summary(result: CycleResult): string {
  const parts = [`placed ${result.placed.length}`, `unschedulable ${result.unschedulable}`];
  if (result.started) parts.push(`started ${result.started}`);
  if (result.succeeded) parts.push(`succeeded ${result.succeeded}`);
  if (result.preempted.length) parts.push(`preempted ${result.preempted.length}`);
  if (result.conflicts) parts.push(`conflicts ${result.conflicts}`);
  return `leader: ${parts.join(', ')}${result.warnings.length ? `; ${result.warnings.join('; ')}` : ''}`;
}

/** The scheduler loop as a background worker: a cycle per tick while leading, "standby" otherwise. */
export function schedulerWorker(db: Db, url: string, options: { intervalMs?: number } = {}): Worker {
  const leadership = new SchedulerLeadership(url);
  const service = createSchedulerService();
  return {
    name: 'scheduler',
    intervalMs: options.intervalMs ?? SCHEDULER_INTERVAL_MS,
    tick: async () => {
      if (!(await leadership.tryLead())) return 'standby: another process leads the scheduler';
      const endTimer = selfMetrics().schedulerCycle.startTimer();
      const result = await service.runCycle(db);
      endTimer();
      // The executor step: committed placements of engine-run jobs go to their engine (after, never inside, a placement).
      const executed = await submitPlacedJobs(db);
      const handed = executed.submitted.length + executed.adopted.length;
      return `${summary(result)}${handed ? `; submitted ${handed} to engines` : ''}${executed.refused.length ? `; refused by engines ${executed.refused.length}` : ''}${executed.retrying.length ? `; ${executed.retrying.join('; ')}` : ''}`;
    },
    stop: () => leadership.release(),
  };
}
