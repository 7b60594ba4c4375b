/**
 * The simulator's Redfish service read by Plenum's own Redfish collector: the readings must be the cooling model's
 * values (CoolingUnitSim.readings), for a CDU under load and after it fails, and the air units answer too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleInventory } from '../simulator/example-inventory';
import { RedfishSimServer } from '../simulator/protocols/redfish-server';
import { World } from '../simulator/world';
import { redfishCollector } from '@/server/services/telemetry/collectors/redfish';
import type { CollectorTarget } from '@/server/services/telemetry/collectors/types';
import { TargetGuard } from '@/server/services/telemetry/target-guard';

function liquidWorld(): World {
  const inventory = exampleInventory();
  const site = inventory.sites[0]!;
  const hall = site.halls[0]!;
  for (const rack of hall.racks) rack.cooling = 'liquid';
  site.coolingUnits = [...(site.coolingUnits ?? []), { id: 'cdu-1', kind: 'cdu', capacityKw: 120, hallId: hall.id }];
  const world = new World(inventory, { seed: 3 });
  for (const host of world.hostnames()) for (const g of world.hostView(host)!.gpus) world.setWorkload(g.uuid, 'compute-bound', 1);
  world.step(600);
  return world;
}

describe('simulator Redfish service → Redfish collector', () => {
  const world = liquidWorld();
  const server = new RedfishSimServer(() => world);
  let url = '';
  beforeAll(async () => {
    url = await server.start('127.0.0.1', 0);
  });
  afterAll(() => server.stop());

  const collect = async () => {
    const target: CollectorTarget = { id: 1, url, dialect: 'redfish', timeoutMs: 5_000, options: {}, credentials: {}, facility: null };
    const samples = await redfishCollector.collect(target, { signal: new AbortController().signal, guard: new TargetGuard('127.0.0.1'), nowMs: Date.now() });
    return (device: string, name: string) => samples.find((s) => s.labels.device === device && s.name === `plenum_${name}`)?.value;
  };
  const unit = (id: string) => world.siteView(world.siteIds()[0]!)!.coolingUnits.find((u) => u.id === id)!;

  it('a CDU under load reads as the model computes it', async () => {
    const model = unit('cdu-1').readings;
    expect(model.heatRemovedW).toBeGreaterThan(1000);
    const read = await collect();
    expect(read('cdu-1', 'cdu_supply_temp_c')).toBeCloseTo(model.supplyTempC, 2);
    expect(read('cdu-1', 'cdu_return_temp_c')).toBeCloseTo(model.returnTempC, 2);
    expect(read('cdu-1', 'cdu_flow_l_per_min')).toBeCloseTo(model.flowLPerMin, 2);
    expect(read('cdu-1', 'cdu_supply_pressure_kpa')).toBeCloseTo(model.supplyPressureKpa, 2);
    expect(read('cdu-1', 'cdu_differential_pressure_kpa')).toBeCloseTo(model.differentialPressureKpa, 2);
    expect(read('cdu-1', 'cdu_return_pressure_kpa')).toBeCloseTo(model.supplyPressureKpa - model.differentialPressureKpa, 2);
    expect(read('cdu-1', 'cdu_heat_removed_w')).toBeCloseTo(model.heatRemovedW, 0);
    const hall = world.siteView(world.siteIds()[0]!)!.halls[0]!;
    expect(read('cdu-1', 'environment_temp_c')).toBeCloseTo(hall.airTempC, 2);
  });

  it('a failed CDU reads stopped: no flow, no heat removed', async () => {
    const fault = world.inject('cooling-unit-failure', 'cdu-1');
    world.step(120);
    const read = await collect();
    expect(unit('cdu-1').readings.running).toBe(false);
    expect(read('cdu-1', 'cdu_flow_l_per_min')).toBe(0);
    expect(read('cdu-1', 'cdu_heat_removed_w')).toBe(0);
    expect(read('cdu-1', 'cdu_supply_temp_c')).toBeCloseTo(unit('cdu-1').readings.supplyTempC, 2);
    world.clear(fault);
  });

  it('air units answer as heat exchangers with their environment', async () => {
    const read = await collect();
    for (const id of ['crah-1', 'crah-2', 'crah-3']) expect(read(id, 'environment_temp_c')).toBeTypeOf('number');
    expect(read('crah-1', 'cdu_supply_temp_c')).toBeUndefined();
  });
});
