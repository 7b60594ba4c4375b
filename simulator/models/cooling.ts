/**
 * Cooling units (CRAH, CRAC, in-row, rear-door heat exchanger, CDU): heat removed against capacity, electrical power
 * (fans or pumps plus the share of the heat-rejection plant, by coefficient of performance), supply temperature and
 * N+1 redundancy.
 */
import type { CoolingUnitKind } from '../inventory';

export interface CoolingUnitParams {
  kind: CoolingUnitKind;
  capacityW: number;
  supplySetpointC: number;
  /** Fan / pump power at full capacity as a fraction of the capacity. */
  moverPowerFraction: number;
  /** Heat-rejection plant (chillers, towers, dry coolers) coefficient of performance: W of heat per W of electricity. */
  plantCop: number;
}

/**
 * Defaults: chilled-water CRAH with a chiller plant COP ≈ 4 (≈ 0.25 W per W of heat, an average-climate air-cooled
 * hall, PUE ≈ 1.3-1.4); warm-water CDU with dry coolers COP ≈ 12 (liquid-cooled AI hall, PUE ≈ 1.1-1.2).
 */
export function defaultCoolingParams(kind: CoolingUnitKind, capacityW: number, supplyTempC?: number): CoolingUnitParams {
  switch (kind) {
    case 'cdu':
      return { kind, capacityW, supplySetpointC: supplyTempC ?? 32, moverPowerFraction: 0.01, plantCop: 12 };
    case 'crac':
      return { kind, capacityW, supplySetpointC: supplyTempC ?? 22, moverPowerFraction: 0.03, plantCop: 3 };
    case 'inrow':
      return { kind, capacityW, supplySetpointC: supplyTempC ?? 22, moverPowerFraction: 0.025, plantCop: 4.5 };
    case 'rdhx':
      return { kind, capacityW, supplySetpointC: supplyTempC ?? 22, moverPowerFraction: 0.01, plantCop: 5 };
    default:
      return { kind, capacityW, supplySetpointC: supplyTempC ?? 22, moverPowerFraction: 0.03, plantCop: 4 };
  }
}

export interface CoolingUnitState {
  running: boolean;
  heatOfferedW: number;
  heatRemovedW: number;
  powerW: number;
  supplyTempC: number;
  loadFraction: number;
}

export class CoolingUnitSim {
  private s: CoolingUnitState;

  constructor(readonly params: CoolingUnitParams) {
    this.s = {
      running: true,
      heatOfferedW: 0,
      heatRemovedW: 0,
      powerW: 0,
      supplyTempC: params.supplySetpointC,
      loadFraction: 0,
    };
  }

  get state(): CoolingUnitState {
    return this.s;
  }

  /**
   * running: not failed and powered. heatOfferedW: the heat the zone hands this unit. returnTempC: air (coolant)
   * coming back, which a stopped unit passes through unchanged.
   */
  step(dtS: number, running: boolean, heatOfferedW: number, returnTempC: number): CoolingUnitState {
    const p = this.params;
    const heatRemovedW = running ? Math.min(heatOfferedW, p.capacityW) : 0;
    const loadFraction = heatRemovedW / p.capacityW;
    // Fans / pumps: a floor of 30 % speed, power following the cube law above it.
    const moverW = running ? p.moverPowerFraction * p.capacityW * Math.max(0.3, loadFraction) ** 3 : 0;
    const plantW = heatRemovedW / p.plantCop;
    // Supply drifts above setpoint when the unit is asked for more than it has; a stopped unit blows return air.
    const overload = Math.max(0, heatOfferedW / p.capacityW - 1);
    const target = running ? p.supplySetpointC + Math.min(6, 4 * overload) : returnTempC;
    const supplyTempC = target + (this.s.supplyTempC - target) * Math.exp(-dtS / 60);
    this.s = { running, heatOfferedW, heatRemovedW, powerW: moverW + plantW, supplyTempC, loadFraction };
    return this.s;
  }
}

/** N+1: the zone's load still fits when its largest running unit fails. */
export function redundancyOk(capacitiesW: number[], loadW: number): boolean {
  if (capacitiesW.length === 0) return loadW <= 0;
  const total = capacitiesW.reduce((a, b) => a + b, 0);
  return total - Math.max(...capacitiesW) >= loadW;
}
