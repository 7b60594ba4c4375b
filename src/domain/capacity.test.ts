import { describe, expect, it } from 'vitest';
import { type CapacityModel, DEFAULT_STRAND_THRESHOLD_W, rackHeadrooms, strandThresholdW, totalHeadroom } from './capacity';
import { analyzeCooling } from './cooling';
import { analyzePowerChain, type PowerNode } from './power';

/**
 * Two 42 U racks in one hall, each on an A and a B rack PDU of 22 kW (fed by floor PDUs on two utility feeds), so each rack may carry 22 kW with one side lost.
 * r1 holds two 6 U servers of 10.2 kW nameplate (20.4 kW): 1.6 kW of headroom, 30 U free, 8 free 400G switch ports,
 * 20 free PDU outlets. r2 is empty: 22 kW of headroom, 42 U free, 4 free 400G ports, 48 free outlets. Cooling (2 × 200 kW CRAHs and 2 × 500 kW chillers, N+1) is never the limit.
 */
function model(): CapacityModel {
  const pdus = (rack: string): PowerNode[] => [
    { id: `${rack}-a`, kind: 'rack-pdu', parentIds: ['pdu-a'], capacityKw: 22, rackId: rack },
    { id: `${rack}-b`, kind: 'rack-pdu', parentIds: ['pdu-b'], capacityKw: 22, rackId: rack },
  ];
  const psus = [{ rackPduId: 'r1-a' }, { rackPduId: 'r1-b' }];
  const rack = (id: string, placements: CapacityModel['racks'][number]['placements'], freePortsByGbps: Record<string, number>, freeOutlets: number) => ({
    id,
    name: id.toUpperCase(),
    rowId: 'row1',
    rowName: 'Row 1',
    hallId: 'h1',
    hallName: 'Hall 1',
    heightU: 42,
    maxWeightKg: 1_360,
    placements,
    freePortsByGbps,
    freeOutlets,
    acceptsEquipment: true,
  });
  return {
    racks: [
      rack(
        'r1',
        [
          { id: 's1', positionU: 2, heightU: 6, face: 'front', isFullDepth: true, weightKg: 107 },
          { id: 's2', positionU: 9, heightU: 6, face: 'front', isFullDepth: true, weightKg: 107 },
        ],
        { '400': 8 },
        20,
      ),
      rack('r2', [], { '400': 4 }, 48),
    ],
    chain: {
      nodes: [
        { id: 'util-a', kind: 'utility-feed', parentIds: [], capacityKw: 1_000, side: 'A' },
        { id: 'util-b', kind: 'utility-feed', parentIds: [], capacityKw: 1_000, side: 'B' },
        { id: 'pdu-a', kind: 'pdu', parentIds: ['util-a'], capacityKw: 500 },
        { id: 'pdu-b', kind: 'pdu', parentIds: ['util-b'], capacityKw: 500 },
        ...pdus('r1'),
        ...pdus('r2'),
      ],
      racks: [
        { id: 'r1', powerBudgetW: 40_000 },
        { id: 'r2', powerBudgetW: 40_000 },
      ],
      devices: [
        { id: 's1', rackId: 'r1', nameplateW: 10_200, psus },
        { id: 's2', rackId: 'r1', nameplateW: 10_200, psus },
      ],
    },
    cooling: {
      racks: [
        { id: 'r1', hallId: 'h1', rowId: 'row1', itPowerW: 20_400 },
        { id: 'r2', hallId: 'h1', rowId: 'row1', itPowerW: 0 },
      ],
      units: [
        ...[1, 2].map((n) => ({ id: `crah-${n}`, kind: 'crah' as const, capacityKw: 200, redundancyGroup: 'crah-h1', supplySetpointC: 20, serves: [{ kind: 'hall' as const, id: 'h1' }] })),
        ...[1, 2].map((n) => ({ id: `ch-${n}`, kind: 'chiller' as const, capacityKw: 500, redundancyGroup: 'plant', serves: [{ kind: 'hall' as const, id: 'h1' }] })),
      ],
    },
  };
}

describe('stranded capacity', () => {
  it('the threshold is the smallest server nameplate on the site, or 1 kW with no servers', () => {
    expect(strandThresholdW([10_200, 6_500, 10_200])).toBe(6_500);
    expect(strandThresholdW([0])).toBe(DEFAULT_STRAND_THRESHOLD_W);
    expect(strandThresholdW([])).toBe(DEFAULT_STRAND_THRESHOLD_W);
  });

  it("1.6 kW of headroom cannot power a 10.2 kW server: the rack's free U, switch ports and PDU outlets are stranded", () => {
    const m = { ...model(), strandThresholdW: strandThresholdW([10_200]) };
    const racks = rackHeadrooms(m, analyzePowerChain(m.chain), analyzeCooling(m.cooling));
    const r1 = racks.find((r) => r.rackId === 'r1')!;
    const r2 = racks.find((r) => r.rackId === 'r2')!;
    expect(r1.powerHeadroomW).toBeCloseTo(1_600, 6);
    expect(r1.usablePowerW).toBeCloseTo(1_600, 6);
    expect(r1.freeU).toBe(30);
    expect(r1.stranded.spaceWithoutPowerU).toBe(30);
    expect(r1.stranded.portsWithoutPowerByGbps).toEqual({ '400': 8 });
    expect(r1.stranded.outletsWithoutPower).toBe(20);
    expect(r2.powerHeadroomW).toBeCloseTo(22_000, 6);
    expect(r2.stranded.spaceWithoutPowerU).toBe(0);
    expect(r2.stranded.portsWithoutPowerByGbps).toEqual({});
    expect(r2.stranded.outletsWithoutPower).toBe(0);
    const [site] = totalHeadroom(racks, 'site');
    expect(site!.freeU).toBe(72);
    expect(site!.stranded.spaceWithoutPowerU).toBe(30);
    expect(site!.stranded.portsWithoutPowerByGbps).toEqual({ '400': 8 });
    expect(site!.freePortsByGbps).toEqual({ '400': 12 });
    expect(site!.freeOutlets).toBe(68);
    expect(site!.stranded.outletsWithoutPower).toBe(20);
  });

  it('the old fixed 1 kW yardstick would call the same rack usable: nothing is stranded under it', () => {
    const m = model();
    const racks = rackHeadrooms(m, analyzePowerChain(m.chain), analyzeCooling(m.cooling));
    expect(racks.map((r) => r.stranded.spaceWithoutPowerU)).toEqual([0, 0]);
  });
});
