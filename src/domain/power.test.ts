import { describe, expect, it } from 'vitest';
import {
  analyzePowerChain,
  type DeviceLoad,
  deviceLoadBasis,
  efficiencyAtPct,
  failoverCheck,
  feedAvailablePowerW,
  nodeCapacityW,
  type PowerChain,
  PowerChainError,
  type PowerNode,
  rackPowerHeadroomW,
  simulateFailure,
  validatePowerChain,
} from './power';

/** A 2N chain: utility + generator → ATS → switchgear → UPS A/B → floor PDU A/B → feeds → rack PDUs in rack r1. */
function chain2N(overrides: Partial<Record<string, Partial<PowerNode>>> = {}, devices?: DeviceLoad[]): PowerChain {
  const nodes: PowerNode[] = [
    { id: 'util', kind: 'utility-feed', parentIds: [], capacityKw: 2000 },
    { id: 'gen', kind: 'generator', parentIds: [], capacityKw: 1500 },
    { id: 'ats', kind: 'ats', parentIds: ['util', 'gen'], capacityKw: 2000 },
    { id: 'swg', kind: 'switchgear', parentIds: ['ats'], capacityKw: 2000 },
    { id: 'ups-a', kind: 'ups', parentIds: ['swg'], capacityKw: 500, side: 'A' },
    { id: 'ups-b', kind: 'ups', parentIds: ['swg'], capacityKw: 500, side: 'B' },
    { id: 'pdu-a', kind: 'pdu', parentIds: ['ups-a'], capacityKw: 450 },
    { id: 'pdu-b', kind: 'pdu', parentIds: ['ups-b'], capacityKw: 450 },
    { id: 'feed-a1', kind: 'power-feed', parentIds: ['pdu-a'], circuit: { voltageV: 415, amperageA: 60, phase: 'three' } },
    { id: 'feed-b1', kind: 'power-feed', parentIds: ['pdu-b'], circuit: { voltageV: 415, amperageA: 60, phase: 'three' } },
    { id: 'rpdu-a1', kind: 'rack-pdu', parentIds: ['feed-a1'], capacityKw: 22, rackId: 'r1' },
    { id: 'rpdu-b1', kind: 'rack-pdu', parentIds: ['feed-b1'], capacityKw: 22, rackId: 'r1' },
  ].map((node) => ({ ...node, ...(overrides[node.id] ?? {}) }) as PowerNode);
  return {
    nodes,
    racks: [{ id: 'r1', powerBudgetW: 40_000 }],
    devices: devices ?? [
      { id: 's1', rackId: 'r1', nameplateW: 10_200, measuredW: 8_000, allocatedW: 7_000, psus: [{ rackPduId: 'rpdu-a1' }, { rackPduId: 'rpdu-b1' }] },
      { id: 's2', rackId: 'r1', nameplateW: 10_200, allocatedW: 6_000, psus: [{ rackPduId: 'rpdu-a1' }, { rackPduId: 'rpdu-b1' }] },
    ],
  };
}

describe('capacity', () => {
  it('rates a three-phase feed like a NetBox PowerFeed (V × A × √3 × 80 %)', () => {
    expect(feedAvailablePowerW({ voltageV: 415, amperageA: 60, phase: 'three' })).toBeCloseTo(415 * 60 * Math.sqrt(3) * 0.8, 6);
    expect(feedAvailablePowerW({ voltageV: 230, amperageA: 32, phase: 'single', maxUtilizationPct: 100 })).toBe(7360);
  });
  it('takes the smaller of a kW rating and a circuit rating', () => {
    expect(nodeCapacityW({ id: 'x', kind: 'rack-pdu', parentIds: [], capacityKw: 22, circuit: { voltageV: 230, amperageA: 32, phase: 'single' } })).toBeCloseTo(5888, 6);
  });
  it('interpolates UPS efficiency and holds the ends flat', () => {
    const curve = [
      { loadPct: 20, efficiencyPct: 85 },
      { loadPct: 100, efficiencyPct: 95 },
    ];
    expect(efficiencyAtPct(curve, 60)).toBeCloseTo(90, 9);
    expect(efficiencyAtPct(curve, 5)).toBe(85);
    expect(efficiencyAtPct(curve, 120)).toBe(95);
  });
});

describe('load basis', () => {
  it('uses measured, else allocated, else nameplate', () => {
    expect(deviceLoadBasis({ nameplateW: 10, allocatedW: 5, measuredW: 3 })).toEqual({ loadW: 3, basis: 'measured' });
    expect(deviceLoadBasis({ nameplateW: 10, allocatedW: 5, measuredW: null })).toEqual({ loadW: 5, basis: 'allocated' });
    expect(deviceLoadBasis({ nameplateW: 10 })).toEqual({ loadW: 10, basis: 'nameplate' });
  });
  it('can keep an allocation that has not ramped up yet', () => {
    expect(deviceLoadBasis({ nameplateW: 10, allocatedW: 5, measuredW: 3 }, 'max-measured-allocated')).toEqual({ loadW: 5, basis: 'allocated' });
  });
});

describe('analyzePowerChain', () => {
  const analysis = analyzePowerChain(chain2N());
  if (!analysis.ok) throw new Error(JSON.stringify(analysis.issues));

  it('sums rack loads per basis', () => {
    const rack = analysis.racks.r1;
    expect(rack.loadW).toBe(14_000);
    expect(rack.nameplateW).toBe(20_400);
    expect(rack.allocatedW).toBe(13_000);
    expect(rack.measuredW).toBe(8_000);
    expect(rack.basisCounts).toEqual({ measured: 1, allocated: 1, nameplate: 0 });
    expect(rack.redundant).toBe(true);
    expect(rack.pduCapacityW).toBe(22_000);
    expect(rack.capacityW).toBe(40_000);
    expect(rack.headroomW).toBe(26_000);
    expect(rack.utilizationPct).toBeCloseTo(35, 9);
  });

  it('splits dual-corded load between the sides and adds UPS losses upstream', () => {
    expect(analysis.nodes['rpdu-a1'].loadW).toBe(7_000);
    expect(analysis.nodes['feed-b1'].loadW).toBe(7_000);
    const ups = analysis.nodes['ups-a'];
    expect(ups.loadW).toBe(7_000);
    // 7 kW on a 500 kW UPS is 1.4 % load: the default curve is flat at 85 % below 10 %.
    expect(ups.inputW).toBeCloseTo(7_000 / 0.85, 6);
    expect(ups.lossW).toBeCloseTo(7_000 / 0.85 - 7_000, 6);
    expect(analysis.nodes.swg.loadW).toBeCloseTo(14_000 / 0.85, 6);
    expect(analysis.nodes.util.loadW).toBeCloseTo(14_000 / 0.85, 6);
    expect(analysis.nodes.gen.loadW).toBe(0);
    expect(analysis.nodes['ups-a'].measuredW).toBe(4_000);
    expect(analysis.nodes.swg.measuredW).toBeCloseTo(8_000 / 0.85, 6);
    expect(analysis.nodes['rpdu-a1'].side).toBe('A');
    expect(analysis.nodes['rpdu-a1'].utilizationPct).toBeCloseTo((7_000 / 22_000) * 100, 9);
  });

  it('computes failover-adjusted headroom: the surviving side carries all of it', () => {
    const pdu = analysis.nodes['rpdu-b1'];
    expect(pdu.headroomW).toBe(15_000);
    expect(pdu.failoverWorstLoadW).toBe(14_000);
    expect(pdu.failoverHeadroomW).toBe(8_000);
    expect(pdu.failoverWorstScenarioId).toBe('side-A');
  });

  it('lists the scenarios: both sides and the ATS primary source', () => {
    expect(analysis.scenarios.map((s) => s.id).sort()).toEqual(['loss-of-util', 'side-A', 'side-B']);
    expect(analysis.failoverOk).toBe(true);
  });

  it('gives the scheduler the rack headroom that keeps 2N', () => {
    expect(analysis.racks.r1.powerHeadroomW).toBeCloseTo(8_000, 6);
    expect(analysis.racks.r1.powerHeadroomLimitedBy).toEqual({ kind: 'node', nodeId: 'rpdu-b1', scenarioId: 'side-A' });
    expect(rackPowerHeadroomW('r1', chain2N())).toBeCloseTo(8_000, 6);
  });
});

describe('failover check', () => {
  it('passes when the surviving side can carry the whole load', () => {
    // Single-phase 230 V 32 A feeds at 80 %: 5,888 W each; a 5 kW server fits on one side.
    const feed = { circuit: { voltageV: 230, amperageA: 32, phase: 'single' as const } };
    const devices: DeviceLoad[] = [
      { id: 's1', rackId: 'r1', nameplateW: 6_000, measuredW: 5_000, psus: [{ rackPduId: 'rpdu-a1' }, { rackPduId: 'rpdu-b1' }] },
    ];
    const result = failoverCheck(chain2N({ 'feed-a1': feed, 'feed-b1': feed }, devices));
    expect(result.ok).toBe(true);
    expect(result.scenarios.find((s) => s.id === 'side-A')!.loadW['feed-b1']).toBe(5_000);
  });

  it('flags overloads of the surviving side with the exact excess', () => {
    const feed = { circuit: { voltageV: 230, amperageA: 32, phase: 'single' as const } };
    const devices: DeviceLoad[] = [
      { id: 's1', rackId: 'r1', nameplateW: 10_200, measuredW: 8_000, psus: [{ rackPduId: 'rpdu-a1' }, { rackPduId: 'rpdu-b1' }] },
    ];
    const analysis = analyzePowerChain(chain2N({ 'feed-a1': feed, 'feed-b1': feed }, devices));
    if (!analysis.ok) throw new Error('invalid');
    // Normal: 4 kW per side, fine.
    expect(analysis.nodes['feed-a1'].headroomW).toBeCloseTo(1_888, 6);
    const sideB = analysis.scenarios.find((s) => s.id === 'side-B')!;
    expect(sideB.overloads.map((o) => o.nodeId)).toEqual(['feed-a1']);
    expect(sideB.overloads[0].overByW).toBeCloseTo(8_000 - 5_888, 6);
    expect(analysis.failoverOk).toBe(false);
    // The scheduler sees negative headroom: this rack must shed 2,112 W to keep 2N.
    expect(analysis.racks.r1.powerHeadroomW).toBeCloseTo(5_888 - 8_000, 6);
  });

  it('routes to the generator when the utility is lost, losses included', () => {
    const analysis = analyzePowerChain(chain2N({ gen: { capacityKw: 15 } }));
    if (!analysis.ok) throw new Error('invalid');
    const loss = analysis.scenarios.find((s) => s.id === 'loss-of-util')!;
    const gen = loss.overloads.find((o) => o.nodeId === 'gen')!;
    expect(gen.loadW).toBeCloseTo(14_000 / 0.85, 6);
    expect(gen.overByW).toBeCloseTo(14_000 / 0.85 - 15_000, 6);
    // Upstream of the UPS each extra rack watt costs 1/0.85 W, so the generator limits the rack to (15,000 − 16,470.6) × 0.85.
    expect(analysis.racks.r1.powerHeadroomW).toBeCloseTo((15_000 - 14_000 / 0.85) * 0.85, 6);
    expect(analysis.racks.r1.powerHeadroomLimitedBy).toEqual({ kind: 'node', nodeId: 'gen', scenarioId: 'loss-of-util' });
  });

  it('reports single-corded devices that go dark when their side is lost', () => {
    const devices: DeviceLoad[] = [
      { id: 'dual', rackId: 'r1', nameplateW: 1_000, psus: [{ rackPduId: 'rpdu-a1' }, { rackPduId: 'rpdu-b1' }] },
      { id: 'single', rackId: 'r1', nameplateW: 500, psus: [{ rackPduId: 'rpdu-a1' }] },
    ];
    const analysis = analyzePowerChain(chain2N({}, devices));
    if (!analysis.ok) throw new Error('invalid');
    expect(analysis.scenarios.find((s) => s.id === 'side-A')!.unpoweredDeviceIds).toEqual(['single']);
    expect(analysis.scenarios.find((s) => s.id === 'side-B')!.unpoweredDeviceIds).toEqual([]);
    expect(analysis.racks.r1.singleCordedDeviceIds).toEqual(['single']);
    // Side A carries 500 + 500 normally, B only 500.
    expect(analysis.nodes['rpdu-a1'].loadW).toBe(1_000);
    expect(analysis.nodes['rpdu-b1'].loadW).toBe(500);
  });

  it('simulates an arbitrary outage', () => {
    const scenario = simulateFailure(chain2N(), ['pdu-a']);
    expect(scenario.unpoweredNodeIds).toEqual(['feed-a1', 'rpdu-a1']);
    expect(scenario.loadW['rpdu-b1']).toBe(14_000);
    expect(scenario.loadW['ups-a']).toBe(0);
  });

  it('uses the rack budget when it is the tighter limit', () => {
    const c = chain2N();
    c.racks[0].powerBudgetW = 16_000;
    expect(rackPowerHeadroomW('r1', c)).toBe(2_000);
    const analysis = analyzePowerChain(c);
    expect(analysis.ok && analysis.racks.r1.powerHeadroomLimitedBy).toEqual({ kind: 'rack-budget' });
  });

  it('gives 0 to a rack with no budget and no rack PDU', () => {
    const c = chain2N();
    c.racks.push({ id: 'r2' });
    expect(rackPowerHeadroomW('r2', c)).toBe(0);
  });
});

describe('validatePowerChain', () => {
  const errors = (c: PowerChain) => validatePowerChain(c).filter((issue) => issue.severity === 'error');

  it('accepts the reference chain', () => {
    expect(errors(chain2N())).toEqual([]);
  });

  it('finds a cycle and names its nodes', () => {
    const issues = errors(chain2N({ swg: { parentIds: ['ats', 'pdu-a'] } }));
    const cycle = issues.find((issue) => issue.reason.startsWith('cycle'));
    expect(cycle?.reason).toMatch(/swg|pdu-a|ups-a/);
    expect(cycle?.reason).toContain('pdu-a');
  });

  it('rejects a PSU plugged into something that is not a rack PDU', () => {
    const c = chain2N({}, [{ id: 's1', rackId: 'r1', nameplateW: 100, psus: [{ name: 'PSU1', rackPduId: 'pdu-a' }] }]);
    const issue = errors(c)[0];
    expect(issue).toMatchObject({ subject: 'device', id: 's1', field: 'psus[0] (PSU1).rackPduId' });
    expect(issue.reason).toBe('"pdu-a" is a pdu; a PSU plugs into a rack-pdu');
  });

  it('rejects a PSU cabled to another rack, unknown parents, a feed without a rating, wrong parent kinds', () => {
    const c = chain2N({
      'feed-a1': { circuit: null },
      'rpdu-b1': { parentIds: ['nowhere'] },
      'ups-a': { parentIds: ['rpdu-a1'] },
    });
    c.racks.push({ id: 'r2' });
    c.devices.push({ id: 'x', rackId: 'r2', nameplateW: 1, psus: [{ rackPduId: 'rpdu-a1' }] });
    const text = errors(c).map((issue) => `${issue.id}: ${issue.field}: ${issue.reason}`);
    expect(text).toContain('feed-a1: circuit: a power-feed needs its circuit rating (voltageV, amperageA, phase)');
    expect(text).toContain('rpdu-b1: parentIds: parent "nowhere" does not exist');
    expect(text.some((t) => t.startsWith('ups-a: parentIds: a ups cannot be fed by rack-pdu "rpdu-a1"'))).toBe(true);
    expect(text).toContain('x: psus[0].rackPduId: rack PDU "rpdu-a1" is in rack "r1", the device is in rack "r2"');
    expect(analyzePowerChain(c).ok).toBe(false);
    expect(() => rackPowerHeadroomW('r1', c)).toThrow(PowerChainError);
  });

  it('rejects a PSU labelled with the other side than its rack PDU', () => {
    const c = chain2N({}, [{ id: 's1', rackId: 'r1', nameplateW: 100, psus: [{ rackPduId: 'rpdu-a1', side: 'B' }] }]);
    expect(errors(c).map((issue) => issue.reason)).toEqual(['the PSU is labelled side B but rack PDU "rpdu-a1" is on side A']);
  });

  it('rejects a B-side node under an A-side parent', () => {
    const text = errors(chain2N({ 'pdu-a': { side: 'B' } })).map((issue) => `${issue.id}: ${issue.reason}`);
    expect(text).toContain('pdu-a: is on side B but is fed by "ups-a" on side A');
  });

  it('warns about devices with no PSU connected', () => {
    const c = chain2N({}, [{ id: 'lonely', rackId: 'r1', nameplateW: 100, psus: [] }]);
    const issues = validatePowerChain(c);
    expect(issues).toEqual([expect.objectContaining({ severity: 'warning', id: 'lonely', field: 'psus' })]);
    const analysis = analyzePowerChain(c);
    expect(analysis.ok && analysis.racks.r1.loadW).toBe(100);
    expect(analysis.ok && analysis.nodes['rpdu-a1'].loadW).toBe(0);
  });
});
