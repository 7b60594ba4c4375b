import { gpuModelParams } from '../../simulator/models/gpu-params';
import { describe, expect, it } from 'vitest';
import {
  ASHRAE_RECOMMENDED_MAX_C,
  type Facility,
  accountInterval,
  emptyTotals,
  layOut,
  newAccountingState,
  nodePowerOf,
  powerBoundGpus,
} from './facility-model';
import type { TraceNode } from './openb';

/** One row of two 10 kW racks; each feed carries 18 kW; cooling removes `coolingW`. */
function smallFacility(coolingW: number): Facility {
  return {
    power: [],
    rackOfNode: new Int32Array(0),
    racks: [
      { id: 'r0', row: 0, budgetW: 10_000, nodes: [] },
      { id: 'r1', row: 0, budgetW: 10_000, nodes: [] },
    ],
    rows: [{ id: 'row-0', hall: 0, racks: [0, 1], feedCapacityW: 18_000, coolingCapacityW: coolingW, marginalCooling: false }],
    halls: 1,
  };
}

const g2 = (name: string): TraceNode => ({ name, cpuMilli: 96_000, memoryMib: 786_432, gpuCount: 8, gpuModel: 'G2' });

describe('facility violation accounting', () => {
  it('counts rack-budget episodes once per excursion and integrates kW·minutes over budget', () => {
    const f = smallFacility(100_000);
    const state = newAccountingState(f);
    const totals = emptyTotals();
    accountInterval(f, [12_000, 5_000], 60, state, totals); // r0 2 kW over for 1 min; row 17 kW ≤ 18
    expect(totals).toMatchObject({ rackBudgetEpisodes: 1, rackBudgetKwMin: 2, failoverEpisodes: 0, failoverKwMin: 0 });
    accountInterval(f, [12_000, 7_000], 120, state, totals); // still over (same episode): +2 kW × 2 min; row 19 > 18
    expect(totals).toMatchObject({ rackBudgetEpisodes: 1, rackBudgetKwMin: 6, failoverEpisodes: 1, failoverKwMin: 2 });
    accountInterval(f, [9_000, 7_000], 60, state, totals); // back under; row 16
    accountInterval(f, [10_500, 7_000], 60, state, totals); // a new excursion: +0.5 kW × 1 min; row 17.5
    expect(totals.rackBudgetEpisodes).toBe(2);
    expect(totals.rackBudgetKwMin).toBeCloseTo(6.5, 9);
    expect(totals.failoverEpisodes).toBe(1);
    expect(totals.failoverKwMin).toBeCloseTo(2, 9);
    // Exactly at the budget and at the feed rating is not a violation.
    accountInterval(f, [10_000, 8_000], 60, state, totals);
    expect(totals.rackBudgetEpisodes).toBe(2);
    expect(totals.failoverEpisodes).toBe(1);
  });

  it('heats the inlet by recirculation when the heat exceeds the cooling, and counts rack·minutes above 27 °C', () => {
    // 20 kW of heat, 10 kW of cooling: half the exhaust recirculates, target = 20 + 1.5 + 0.5/0.5 × 12 = 33.5 °C.
    // From 21.5 °C with τ = 120 s: after 60 s 33.5 − 12·e^−0.5 = 26.22 °C (fine); after 120 s 33.5 − 12·e^−1 = 29.09 °C.
    const f = smallFacility(10_000);
    const state = newAccountingState(f);
    const totals = emptyTotals();
    accountInterval(f, [10_000, 10_000], 60, state, totals);
    expect(state.inletC[0]).toBeCloseTo(26.22, 2);
    expect(totals.inletRackMin).toBe(0);
    accountInterval(f, [10_000, 10_000], 60, state, totals);
    expect(state.inletC[0]).toBeCloseTo(29.09, 2);
    expect(state.inletC[0]).toBeGreaterThan(ASHRAE_RECOMMENDED_MAX_C);
    expect(totals.inletRackMin).toBe(2); // both racks of the row, one minute
    // Enough cooling: the inlet relaxes toward 21.5 °C and stops counting once under 27.
    for (let k = 0; k < 10; k++) accountInterval(f, [5_000, 5_000], 60, state, totals);
    expect(state.inletC[0]).toBeLessThan(ASHRAE_RECOMMENDED_MAX_C);
    expect(totals.maxInletC).toBeCloseTo(29.09, 2);
  });

  it('models an 8-GPU H100-class node at 6-10 kW and fills racks within their oversubscribed budget', () => {
    const p = nodePowerOf(g2('n'));
    // The GPU terms are the simulator's calibrated H100 (idle without a context, busy at its cap); the server's are
    // CPU idle 200 W + other 700 W + fans 15 % of 1,400 W at idle, CPUs +500 W and fans to full when busy, PSU 95 %.
    const h100 = gpuModelParams('H100-SXM');
    const idleW = (200 + 700 + 0.15 * 1400 + 8 * h100.idleNoContextW) / 0.95;
    const fullW = idleW + (8 * (h100.powerLimitW * h100.capTargetRatio - h100.idleNoContextW) + (1400 - 210)) / 0.95 + 500 / 0.95;
    expect(p.idleW).toBeCloseTo(idleW, 6);
    expect(p.fullW).toBeCloseTo(fullW, 6);
    expect(p.fullW).toBeGreaterThan(6_000);
    expect(p.fullW).toBeLessThan(10_000);
    const nodes = Array.from({ length: 40 }, (_, i) => g2(`n${i}`));
    const f = layOut(nodes, { rackOversubscription: 1.15 });
    for (const rack of f.racks) {
      expect(rack.budgetW).toBeGreaterThanOrEqual(30_000);
      expect(rack.budgetW).toBeLessThanOrEqual(40_000);
      const full = rack.nodes.reduce((s, i) => s + f.power[i].fullW, 0);
      expect(full).toBeLessThanOrEqual(1.15 * rack.budgetW);
    }
    expect(f.racks.flatMap((r) => r.nodes).sort((a, b) => a - b)).toEqual(nodes.map((_, i) => i));
  });
});

describe('powerBoundGpus', () => {
  it('fills the GPUs that draw least first, within each rack budget and the row feed', () => {
    // Two racks of 10 kW, feed 18 kW, cooling plenty. Rack 0: a node of 4 GPUs at 1 kW each, floor 2 kW; rack 1: a
    // node of 8 GPUs at 0.5 kW each, floor 1 kW. Rack 1: 8 × 0.5 = 4 kW fits (1 + 4 ≤ 10); rack 0: 4 GPUs = 4 kW fits
    // its rack (2 + 4 ≤ 10); the row: floors 3 kW + 4 + 4 = 11 kW ≤ 18. All 12 GPUs.
    const power = [
      { idleW: 2_000, gpuContextW: 0, gpuDynamicW: 1_000, cpuDynamicW: 0, cpuMilliTotal: 1, fullW: 6_000 },
      { idleW: 1_000, gpuContextW: 0, gpuDynamicW: 500, cpuDynamicW: 0, cpuMilliTotal: 1, fullW: 5_000 },
    ];
    const f: Facility = {
      power,
      rackOfNode: Int32Array.from([0, 1]),
      racks: [
        { id: 'r0', row: 0, budgetW: 10_000, nodes: [0] },
        { id: 'r1', row: 0, budgetW: 10_000, nodes: [1] },
      ],
      rows: [{ id: 'row-0', hall: 0, racks: [0, 1], feedCapacityW: 18_000, coolingCapacityW: 100_000, marginalCooling: false }],
      halls: 1,
    };
    const perGpu = (i: number) => power[i].gpuContextW + power[i].gpuDynamicW;
    expect(powerBoundGpus(f, [4, 8], perGpu)).toBeCloseTo(12, 9);
    // Feed 8 kW: 5 kW left after the floors; the cheap GPUs first (8 × 0.5 = 4 kW), then 1 kW buys one 1 kW GPU.
    f.rows[0].feedCapacityW = 8_000;
    expect(powerBoundGpus(f, [4, 8], perGpu)).toBeCloseTo(9, 9);
    // Rack 1 at 3 kW: its floor leaves 2 kW, 4 cheap GPUs; the feed's other 3 kW go to rack 0: 7 in all.
    f.racks[1].budgetW = 3_000;
    expect(powerBoundGpus(f, [4, 8], perGpu)).toBeCloseTo(7, 9);
  });
});
