import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { makeJobs, simulate } from './queueing';
import { OPENB_TRACE_DIR } from './trace-dir';

const haveTrace = existsSync(`${OPENB_TRACE_DIR}/openb_pod_list_default.csv`);

describe.skipIf(!haveTrace)('queueing on the openb trace', () => {
  // 41 nodes (every 30th), 1,500 pods at 1.5 × capacity with durations up to 1 h: a queue forms within minutes.
  const setup = haveTrace ? makeJobs(42, 1500, 1.5, 3600, 30) : null;

  it('EASY keeps its promise: with exact durations, every pod given a reserved start starts by then', () => {
    const easy = simulate(setup!, 'easy', 42);
    expect(easy.jobs).toBe(1500);
    expect(easy.reserved).toBeGreaterThan(20); // the promise was made often enough to mean something
    expect(easy.reservations_missed).toBe(0);
  }, 60_000);

  it('greedy backfill without a reservation breaks that promise on the same arrivals', () => {
    // The same reservations, computed but not protected, are missed: what the guard in EasyBackfill.admits prevents.
    const unguarded = simulate(setup!, 'easy-unguarded', 42);
    expect(unguarded.reserved).toBeGreaterThan(20);
    expect(unguarded.reservations_missed).toBeGreaterThan(0);
  }, 60_000);
});
