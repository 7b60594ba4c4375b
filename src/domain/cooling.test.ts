import { describe, expect, it } from 'vitest';
import { analyzeCooling, classifyInletTempC, type CoolingModel, rackCoolingHeadroomW, rackHeatW, validateCoolingModel } from './cooling';

function model(): CoolingModel {
  return {
    racks: [
      { id: 'k1', hallId: 'h1', rowId: 'ra', itPowerW: 30_000 },
      { id: 'k2', hallId: 'h1', rowId: 'ra', itPowerW: 120_000, liquidCooled: true },
    ],
    units: [
      ...[1, 2, 3].map((n) => ({ id: `crah-${n}`, kind: 'crah' as const, capacityKw: 100, redundancyGroup: 'crah-h1', supplySetpointC: 20, serves: [{ kind: 'hall' as const, id: 'h1' }] })),
      ...[1, 2].map((n) => ({ id: `cdu-${n}`, kind: 'cdu' as const, capacityKw: 150, redundancyGroup: 'cdu-ra', serves: [{ kind: 'row' as const, id: 'ra' }] })),
      ...[1, 2].map((n) => ({ id: `ch-${n}`, kind: 'chiller' as const, capacityKw: 500, redundancyGroup: 'plant', serves: [{ kind: 'hall' as const, id: 'h1' }] })),
    ],
  };
}

describe('heat', () => {
  it('puts all of an air-cooled rack and 15 % of a liquid-cooled one into air by default', () => {
    expect(rackHeatW({ id: 'a', hallId: 'h', itPowerW: 10_000 })).toEqual({ airW: 10_000, liquidW: 0, totalW: 10_000 });
    const liquid = rackHeatW({ id: 'b', hallId: 'h', itPowerW: 100_000, liquidCooled: true });
    expect(liquid.airW).toBeCloseTo(15_000, 6);
    expect(liquid.liquidW).toBeCloseTo(85_000, 6);
    expect(rackHeatW({ id: 'b', hallId: 'h', itPowerW: 100_000, liquidCooled: true }, { liquidAirFraction: 0.2 }).airW).toBeCloseTo(20_000, 6);
  });
});

describe('analyzeCooling', () => {
  it('assigns heat per medium and checks N+1 per group', () => {
    const a = analyzeCooling(model());
    expect(a.issues).toEqual([]);
    expect(a.groups['crah-h1'].loadW).toBeCloseTo(48_000, 6);
    expect(a.groups['crah-h1'].n1Ok).toBe(true);
    expect(a.groups['crah-h1'].unitsItCanLose).toBe(2);
    expect(a.groups['cdu-ra'].loadW).toBeCloseTo(102_000, 6);
    expect(a.groups['cdu-ra'].redundantHeadroomW).toBeCloseTo(48_000, 6);
    expect(a.groups.plant.loadW).toBeCloseTo(150_000, 6);
    expect(a.units['crah-1'].loadW).toBeCloseTo(16_000, 6);
    const hall = a.areas.find((x) => x.area.kind === 'hall' && x.area.id === 'h1')!;
    expect(hall.heat.totalW).toBe(150_000);
    expect(hall.byMedium.air?.assignedW).toBeCloseTo(48_000, 6);
    expect(hall.byMedium.air?.capacityW).toBe(300_000);
    const row = a.areas.find((x) => x.area.kind === 'row')!;
    expect(row.byMedium.liquid?.utilizationPct).toBeCloseTo(34, 6);
  });

  it('gives each rack the headroom of its tightest group, keeping N+1', () => {
    const a = analyzeCooling(model());
    // k2: CDU group can take 48 kW more liquid heat with N+1; 85 % of an extra IT watt is liquid.
    expect(a.racks.k2.coolingHeadroomW).toBeCloseTo(48_000 / 0.85, 6);
    expect(a.racks.k2.limitedBy).toEqual({ groupId: 'cdu-ra', medium: 'liquid' });
    // k1 is air-cooled: the CRAH group has 200 − 48 = 152 kW left with N+1.
    expect(rackCoolingHeadroomW('k1', model())).toBeCloseTo(152_000, 6);
    expect(rackCoolingHeadroomW('k1', model(), undefined, { requireRedundancy: false })).toBeCloseTo(252_000, 6);
  });

  it('loses N+1 when a unit fails', () => {
    const m = model();
    m.units.find((u) => u.id === 'cdu-2')!.status = 'failed';
    const a = analyzeCooling(m);
    expect(a.groups['cdu-ra'].capacityW).toBe(150_000);
    expect(a.groups['cdu-ra'].n1Ok).toBe(false);
    expect(a.units['cdu-1'].loadW).toBeCloseTo(102_000, 6);
  });

  it('sends heat to the most specific working unit, and back to the room when a rear door fails', () => {
    const m = model();
    m.units.push({ id: 'rdhx-k1', kind: 'rear-door-hx', capacityKw: 40, serves: [{ kind: 'rack', id: 'k1' }] });
    let a = analyzeCooling(m);
    expect(a.units['rdhx-k1'].loadW).toBe(30_000);
    expect(a.groups['crah-h1'].loadW).toBeCloseTo(18_000, 6);
    // The door alone limits k1 to 10 kW more (a one-unit group is not held to N+1).
    expect(a.racks.k1.coolingHeadroomW).toBeCloseTo(10_000, 6);
    m.units.find((u) => u.id === 'rdhx-k1')!.status = 'failed';
    a = analyzeCooling(m);
    expect(a.units['rdhx-k1'].loadW).toBe(0);
    expect(a.groups['crah-h1'].loadW).toBeCloseTo(48_000, 6);
  });

  it('reports racks nothing cools, with zero headroom', () => {
    const m = model();
    m.racks.push({ id: 'k3', hallId: 'h2', itPowerW: 5_000 });
    const a = analyzeCooling(m);
    expect(a.racks.k3.uncooledW).toEqual({ air: 5_000, plant: 5_000 });
    expect(a.racks.k3.coolingHeadroomW).toBe(0);
  });
});

describe('validation and ASHRAE', () => {
  it('classifies inlet temperatures', () => {
    expect(classifyInletTempC(22)).toBe('recommended');
    expect(classifyInletTempC(30)).toBe('A1');
    expect(classifyInletTempC(34)).toBe('A2');
    expect(classifyInletTempC(44)).toBe('A4');
    expect(classifyInletTempC(50)).toBe('out-of-range');
  });
  it('names bad units and areas', () => {
    const m = model();
    m.units.push({ id: 'x', kind: 'crah', capacityKw: 0, supplySetpointC: 30, serves: [{ kind: 'row', id: 'nope' }] });
    expect(validateCoolingModel(m).map((i) => `${i.id}: ${i.field}: ${i.reason}`)).toEqual([
      'x: capacityKw: must be > 0, got 0',
      'x: serves[0]: no rack in the model is in row "nope"',
      'x: supplySetpointC: 30 °C supply air is outside the ASHRAE recommended inlet range 18-27 °C',
    ]);
  });
});
