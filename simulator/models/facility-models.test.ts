import { describe, expect, it } from 'vitest';
import { CoolingUnitSim, defaultCoolingParams, redundancyOk } from './cooling';
import { facilityPower } from './facility';
import { newRackPdu, overloadTripDelayS, splitServerLoad, stepPduBreaker } from './pdu';
import { AIR_ZONE, relativeHumidityPct, ThermalZone } from './room';
import { psuEfficiency } from './server';
import { defaultUpsParams, UPS_BATTERY_STATUS, UPS_OUTPUT_SOURCE, UpsSim, upsEfficiency } from './ups';

describe('UPS', () => {
  it('efficiency curve: ~85 % at 10 % load, ≥ 95 % at half load and above', () => {
    expect(upsEfficiency(0.1)).toBeGreaterThan(0.83);
    expect(upsEfficiency(0.1)).toBeLessThan(0.87);
    expect(upsEfficiency(0.5)).toBeGreaterThan(0.95);
    expect(upsEfficiency(1)).toBeGreaterThan(0.955);
    expect(upsEfficiency(1)).toBeLessThan(0.97);
  });

  it('runs for the rated runtime at full load; runtime counts down on utility loss; recharges after', () => {
    const ups = new UpsSim(defaultUpsParams(100_000, 10));
    ups.step(1, true, 100_000);
    expect(ups.state.estimatedMinutesRemaining).toBeCloseTo(10, 1);
    expect(ups.state.outputSource).toBe(UPS_OUTPUT_SOURCE.normal);
    const minutes: number[] = [];
    for (let t = 0; t < 300; t += 1) {
      ups.step(1, false, 100_000);
      minutes.push(ups.state.estimatedMinutesRemaining);
    }
    expect(ups.state.outputSource).toBe(UPS_OUTPUT_SOURCE.battery);
    expect(minutes[299]).toBeCloseTo(5, 1);
    for (let i = 1; i < minutes.length; i++) expect(minutes[i]).toBeLessThan(minutes[i - 1]);
    for (let t = 0; t < 300; t += 1) ups.step(1, false, 100_000);
    expect(ups.state.batteryStatus).toBe(UPS_BATTERY_STATUS.batteryDepleted);
    expect(ups.state.outputSource).toBe(UPS_OUTPUT_SOURCE.none);
    expect(ups.outputLive).toBe(false);
    ups.step(60, true, 50_000);
    expect(ups.state.chargingW).toBeGreaterThan(0);
    expect(ups.state.estimatedChargeRemainingPct).toBeGreaterThan(0);
    expect(ups.state.outputSource).toBe(UPS_OUTPUT_SOURCE.normal);
  });

  it('reports battery low below 2 minutes', () => {
    const ups = new UpsSim(defaultUpsParams(10_000, 3));
    for (let t = 0; t < 90; t++) ups.step(1, false, 10_000);
    expect(ups.state.batteryStatus).toBe(UPS_BATTERY_STATUS.batteryLow);
  });

  it('a light load lasts longer than proportionally (Peukert)', () => {
    const ups = new UpsSim(defaultUpsParams(100_000, 10));
    ups.step(1, true, 25_000);
    expect(ups.state.estimatedMinutesRemaining).toBeGreaterThan(40);
  });
});

describe('rack PDU', () => {
  it('splits a server load A/B and moves it all to the other side when a breaker trips', () => {
    const a = newRackPdu('a', 'A', 17_300);
    const b = newRackPdu('b', 'B', 17_300);
    let loads = splitServerLoad([7000, 8000], [a, b]);
    expect(loads.get('a')).toBe(7500);
    expect(loads.get('b')).toBe(7500);
    a.tripped = true;
    loads = splitServerLoad([7000, 8000], [a, b]);
    expect(loads.get('a')).toBe(0);
    expect(loads.get('b')).toBe(15000);
  });

  it('trips on overload after an inverse-time delay', () => {
    expect(overloadTripDelayS(1.05)).toBe(Number.POSITIVE_INFINITY);
    expect(overloadTripDelayS(1.25)).toBeCloseTo(5);
    const pdu = newRackPdu('p', 'A', 10_000);
    pdu.loadW = 15_000;
    let tripped = false;
    for (let t = 0; t < 10 && !tripped; t++) tripped = stepPduBreaker(pdu, 1);
    expect(tripped).toBe(true);
    expect(pdu.trippedByOverload).toBe(true);
  });
});

describe('cooling and room', () => {
  it('a unit removes at most its capacity; power rises with heat', () => {
    const crah = new CoolingUnitSim(defaultCoolingParams('crah', 100_000));
    const half = crah.step(1, true, 50_000, 35).powerW;
    const over = crah.step(1, true, 150_000, 35);
    expect(over.heatRemovedW).toBe(100_000);
    expect(over.powerW).toBeGreaterThan(half);
    expect(crah.step(1, false, 50_000, 35).heatRemovedW).toBe(0);
  });

  it('N+1 holds when the load fits without the largest unit', () => {
    expect(redundancyOk([100, 100, 100], 200)).toBe(true);
    expect(redundancyOk([100, 100, 100], 201)).toBe(false);
  });

  it('inlet temperature rises with a first-order response when cooling falls short', () => {
    const zone = new ThermalZone(AIR_ZONE, 23.5);
    const input = { heatW: 100_000, capacityW: 60_000, supplyTempC: 22, exhaustRiseC: 12 };
    const t1 = zone.step(60, input);
    const t2 = zone.step(60, input);
    const t3 = zone.step(6000, input);
    expect(t1).toBeGreaterThan(23.5);
    expect(t2).toBeGreaterThan(t1);
    // f = 0.4 ⇒ supply + offset + 0.4 / 0.6 × 12 = 31.5 °C.
    expect(t3).toBeCloseTo(31.5, 1);
    // Enough cooling: back towards supply + offset.
    expect(zone.step(6000, { ...input, capacityW: 200_000 })).toBeCloseTo(23.5, 1);
  });

  it('relative humidity falls as the same air warms', () => {
    expect(relativeHumidityPct(45, 22, 22)).toBeCloseTo(45);
    expect(relativeHumidityPct(45, 22, 40)).toBeLessThan(20);
  });
});

describe('server PSU and facility meter', () => {
  it('PSU efficiency peaks near half load', () => {
    expect(psuEfficiency(0.5)).toBeGreaterThan(psuEfficiency(0.1));
    expect(psuEfficiency(0.5)).toBeGreaterThan(psuEfficiency(1));
  });

  it('PUE = facility / IT > 1', () => {
    const f = facilityPower({ itW: 1_000_000, coolingW: 250_000, upsLossW: 40_000, upsChargingW: 0, lightingW: 10_000, distributionLossFraction: 0.01 });
    expect(f.facilityW).toBeCloseTo(1_313_000, -1);
    expect(f.pue).toBeCloseTo(1.313, 3);
    expect(f.pue).toBeGreaterThan(1);
  });
});
