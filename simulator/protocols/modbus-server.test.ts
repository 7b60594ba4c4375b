import { describe, expect, it } from 'vitest';
import { loadRegisterMap } from '../../src/telemetry/modbus/register-map';
import { exampleInventory } from '../example-inventory';
import type { SimCoolingUnit } from '../inventory';
import { World } from '../world';
import { coolingUnitIds, coolingUnitMapName, coolingUnitPointValue, MAX_MODBUS_UNITS } from './modbus-server';

describe('the simulator’s cooling units over Modbus', () => {
  it('every point of the generic CDU and CRAH maps has a value from the cooling model', () => {
    const inventory = exampleInventory();
    inventory.sites[0]!.coolingUnits!.push({ id: 'cdu-1', kind: 'cdu', capacityKw: 60, hallId: 'hall-1' });
    const world = new World(inventory, { seed: 1 });
    world.step(10);
    for (const unit of ['crah-1', 'cdu-1']) {
      const readings = world.coolingUnitReadings(unit)!;
      const map = loadRegisterMap(coolingUnitMapName(readings.kind));
      for (const p of map.points) expect(coolingUnitPointValue(p, readings), `${map.name}: ${p.metric} ${p.labels.alarm ?? ''}`).toBeTypeOf('number');
    }
    expect(world.coolingUnitReadings('no-such-unit')).toBeUndefined();
  });

  it('unit ids 1…247 in inventory order; units past the address’s 247 are not served by this instance', () => {
    const inventory = exampleInventory();
    const units: SimCoolingUnit[] = Array.from({ length: 250 }, (_, i) => ({ id: `crah-${i}`, kind: 'crah', capacityKw: 20, hallId: 'hall-1' }));
    inventory.sites[0]!.coolingUnits = units;
    const ids = coolingUnitIds(inventory);
    expect(ids.size).toBe(MAX_MODBUS_UNITS);
    expect(ids.get('crah-0')).toBe(1);
    expect(ids.get('crah-246')).toBe(247);
    expect(ids.has('crah-247')).toBe(false);
  });
});
