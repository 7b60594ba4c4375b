import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type JobPower, fluidBound, inferenceActivity, peakActivityOver, reservationW, runFacility, shadowStartS } from './facility';
import { layOut } from './facility-model';
import { typicalWorkloadOf } from './openb';
import { makeJobs } from './queueing';
import { OPENB_TRACE_DIR } from './trace-dir';

const DAY = 86_400;

describe('forecast reservation', () => {
  it('finds the highest activity of the daily curve over an interval', () => {
    // Rising from midnight to 6 h: the end; falling from 6 h to 18 h: the start; across 6 h: the peak, 1.
    expect(peakActivityOver(0, 3600)).toBeCloseTo(inferenceActivity(3600), 12);
    expect(peakActivityOver(7 * 3600, 8 * 3600)).toBeCloseTo(inferenceActivity(7 * 3600), 12);
    expect(peakActivityOver(5 * 3600, 7 * 3600)).toBe(1);
    expect(peakActivityOver(DAY + 5.5 * 3600, DAY + 6.5 * 3600)).toBe(1);
    expect(peakActivityOver(20 * 3600, 22 * 3600)).toBeCloseTo(inferenceActivity(22 * 3600), 12);
    expect(peakActivityOver(100, 100 + DAY)).toBe(1);
    // Never below the curve anywhere inside the interval.
    for (let from = 0; from < DAY; from += 1234) {
      const peak = peakActivityOver(from, from + 3600);
      for (let t = from; t <= from + 3600; t += 60) expect(inferenceActivity(t)).toBeLessThanOrEqual(peak + 1e-12);
    }
  });

  it('reserves a whole-GPU pod at its peak, a share at its forecast peak within its time limit', () => {
    const training: JobPower = { staticW: 40, dynamicW: 700, inference: false };
    const share: JobPower = { staticW: 20, dynamicW: 350, inference: true };
    expect(reservationW(training, 0, 3600, 'forecast')).toBe(740);
    expect(reservationW(share, 0, 3600, 'peak')).toBe(370);
    // From midnight with a 1 h limit: 20 + 350 × activity(1 h) = 20 + 350 × (0.75 + 0.25 sin(π/12)).
    expect(reservationW(share, 0, 3600, 'forecast')).toBeCloseTo(20 + 350 * (0.75 + 0.25 * Math.sin(Math.PI / 12)), 9);
    // Over the daily peak it is the peak.
    expect(reservationW(share, 5.5 * 3600, 3600, 'forecast')).toBe(370);
  });
});

describe('shadow time of a held pod', () => {
  // One row limited to 20 kW; rack r0 (10 kW budget) has 9 kW reserved, r1 (10 kW) 8 kW: the row has 17 kW reserved.
  const racks = [
    { rack: 0, budgetW: 10_000, reservedW: 9_000 },
    { rack: 1, budgetW: 10_000, reservedW: 8_000 },
  ];
  const candidates = [
    { rack: 0, needW: 3_000 },
    { rack: 1, needW: 3_000 },
  ];

  it('is the end of the first running pod whose departure frees the pod\'s reservation in a candidate\'s rack and the row', () => {
    // At 30 s r0 frees 0.5 kW (1.5 kW free there, 3.5 kW in the row): not enough. At 50 s r1 frees 1 kW: 3 kW free in
    // r1 and 4 kW in the row, so the pod could start at 50 s. Given out of order: they are taken in end order.
    const ending = [
      { t: 80, rack: 0, w: 5_000 },
      { t: 50, rack: 1, w: 1_000 },
      { t: 30, rack: 0, w: 500 },
    ];
    expect(shadowStartS(10, 20_000, racks, candidates, ending)).toBe(50);
  });

  it('waits for the row when the rack alone would do', () => {
    // r1 frees 3 kW at 40 s: 5 kW free in r1. Under a 19 kW row limit the row then has 5 kW free: start at 40 s. Under
    // 16.5 kW it has 2.5 kW free, short of 3 kW, until r0 frees 2 kW at 60 s (4.5 kW free).
    const ending = [
      { t: 40, rack: 1, w: 3_000 },
      { t: 60, rack: 0, w: 2_000 },
    ];
    expect(shadowStartS(0, 19_000, racks, candidates, ending)).toBe(40);
    expect(shadowStartS(0, 16_500, racks, candidates, ending)).toBe(60);
  });

  it('is now when a candidate fits already, and never without candidates or enough departures', () => {
    expect(shadowStartS(7, 20_000, racks, [{ rack: 1, needW: 2_000 }], [])).toBe(7);
    expect(shadowStartS(7, 20_000, racks, [], [{ t: 9, rack: 0, w: 9_000 }])).toBe(Number.POSITIVE_INFINITY);
    expect(shadowStartS(7, 20_000, racks, candidates, [{ t: 9, rack: 0, w: 1_000 }])).toBe(Number.POSITIVE_INFINITY);
  });
});

const haveTrace = existsSync(`${OPENB_TRACE_DIR}/openb_pod_list_default.csv`);

describe.skipIf(!haveTrace)('bench:facility on the openb trace', () => {
  // Every 15th node (81), 3,000 pods at 1.0 × the GPU capacity: the rows reach their power limits, pods wait.
  const base = haveTrace ? makeJobs(7, 3000, 1.0, 3600, 15) : null;
  const setup = base
    ? {
        ...base,
        fgdWorkload: typicalWorkloadOf(base.pods, 'fgd'),
        plenumWorkload: typicalWorkloadOf(base.pods, 'plenum', base.nodes),
        timeLimitS: 3600,
      }
    : null;
  const facility = base ? layOut(base.nodes) : null;

  it('skipping blocked pods changes no decision', () => {
    for (const policy of ['plenum', 'plenum-peak'] as const) {
      const fast = runFacility(setup!, facility!, policy, 7);
      const slow = runFacility(setup!, facility!, policy, 7, { retryAll: true });
      expect(fast.starts_digest).toBe(slow.starts_digest);
      expect(fast.alloc_pct).toBe(slow.alloc_pct);
      expect(fast.schedule_calls).toBeLessThan(slow.schedule_calls);
      expect(slow.mean_wait_s).toBeGreaterThan(0); // pods did wait, so the skipping was exercised
    }
  }, 120_000);

  it('the forecast reservation keeps every limit, and the power-blind policy does not', () => {
    const plenum = runFacility(setup!, facility!, 'plenum', 7);
    const bestfit = runFacility(setup!, facility!, 'bestfit', 7);
    expect(plenum.mean_wait_s).toBeGreaterThan(0); // power bound: pods waited for headroom
    expect(plenum.rack_budget_episodes).toBe(0);
    expect(plenum.failover_episodes).toBe(0);
    expect(plenum.inlet_rack_min).toBe(0);
    expect(bestfit.rack_budget_episodes).toBeGreaterThan(0);
    // Refusals: the power-blind policy never meets a power filter; Plenum's waits here are for power, and every
    // refused call is counted once, under one cause.
    expect(bestfit.refused_power).toBe(0);
    expect(plenum.refused_power).toBeGreaterThan(0);
    expect(plenum.refused_power + plenum.refused_resources).toBe(plenum.schedule_calls - setup!.jobs.length);
    const queuedGpuH = Object.values(plenum.wait_gpu_h).reduce((s, h) => s + h, 0);
    expect(queuedGpuH).toBeGreaterThan(0);
    // A margin on the heat limit can only lower what the reservations allow.
    expect(fluidBound(setup!, facility!, 0).reservedPct).toBeGreaterThanOrEqual(fluidBound(setup!, facility!).reservedPct);
    // The bounds are ordered: actual draws ≥ Plenum's reservations ≥ every pod at its peak.
    const bound = fluidBound(setup!, facility!);
    expect(bound.actualPct).toBeGreaterThanOrEqual(bound.reservedPct);
    expect(bound.reservedPct).toBeGreaterThanOrEqual(bound.peakPct);
    expect(plenum.alloc_pct).toBeLessThanOrEqual(bound.actualPct);
  }, 120_000);

  it('holding a row for the first pod refused for power changes decisions and keeps every limit', () => {
    const plenum = runFacility(setup!, facility!, 'plenum', 7);
    const held = runFacility(setup!, facility!, 'plenum-hold', 7);
    expect(held.held_back).toBeGreaterThan(0); // pods that fitted in the held row were placed elsewhere or waited
    expect(plenum.held_back).toBe(0);
    expect(held.starts_digest).not.toBe(plenum.starts_digest);
    expect(held.rack_budget_episodes).toBe(0);
    expect(held.failover_episodes).toBe(0);
    expect(held.inlet_rack_min).toBe(0);
  }, 120_000);

  it('the hold variants keep every limit; the defaults are the held row as before', () => {
    const held = runFacility(setup!, facility!, 'plenum-hold', 7);
    const explicit = runFacility(setup!, facility!, 'plenum-hold', 7, { hold: { rows: 1, head: false, move: false, backfill: false, rack: false } });
    expect(explicit.starts_digest).toBe(held.starts_digest);
    expect(held.admitted_in_held_row).toBe(0);
    expect(held.holds).toBeGreaterThan(0);
    for (const hold of [{ rows: 2 }, { largest: true }, { move: true }, { backfill: true }, { rack: true }]) {
      const r = runFacility(setup!, facility!, 'plenum-hold', 7, { hold });
      expect(r.rack_budget_episodes + r.failover_episodes + r.inlet_rack_min).toBe(0);
      // Outside the held node's rack a pod may land in the held row while the row keeps the held pod's draw free.
      if (hold.rack) expect(r.admitted_in_held_row).toBeGreaterThan(0);
    }
  }, 240_000);
});
