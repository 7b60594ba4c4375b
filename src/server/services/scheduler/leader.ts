// One active scheduler loop at a time: the leader holds a session advisory lock on its own connection. A standby
// process keeps trying; when the leader dies its connection closes, PostgreSQL drops the lock, and a standby takes over.

import type { Db } from '../../db/client';
import { Leadership, type LockKey } from '../leadership';
import { selfMetrics } from '../self-metrics';
import { submitPlacedJobs } from '../clusters/executor';
import type { Worker } from '../workers';
import { createSchedulerService, type CycleResult } from './cycle';
import { SCHEDULER_INTERVAL_MS, SCHEDULER_LEADER_LOCK_KEY } from './defaults';

/** The scheduler's leadership on its own connection (a process without an instance registry, and the tests). */
export class SchedulerLeadership extends Leadership {
  constructor(url: string, key: LockKey = BigInt(SCHEDULER_LEADER_LOCK_KEY)) {
    super(url, key, 'plenum-scheduler-leader');
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
export function schedulerWorker(db: Db, url: string, options: { intervalMs?: number; leads?: () => boolean } = {}): Worker {
  // In `npm start` the instance's role manager holds the scheduler role (services/instances.ts); alone, its own lock.
  const leadership = options.leads ? undefined : new SchedulerLeadership(url);
  const leads = options.leads ?? (() => leadership!.tryLead());
  const service = createSchedulerService();
  return {
    name: 'scheduler',
    intervalMs: options.intervalMs ?? SCHEDULER_INTERVAL_MS,
    tick: async () => {
      if (!(await leads())) return 'standby: another instance leads the scheduler';
      const endTimer = selfMetrics().schedulerCycle.startTimer();
      const result = await service.runCycle(db);
      endTimer();
      // The executor step: committed placements of engine-run jobs go to their engine (after, never inside, a placement).
      const executed = await submitPlacedJobs(db);
      const handed = executed.submitted.length + executed.adopted.length;
      return `${summary(result)}${handed ? `; submitted ${handed} to engines` : ''}${executed.refused.length ? `; refused by engines ${executed.refused.length}` : ''}${executed.retrying.length ? `; ${executed.retrying.join('; ')}` : ''}`;
    },
    stop: async () => leadership?.release(),
  };
}
