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
  /** Air (coolant) coming back to the unit. */
  returnTempC: number;
  loadFraction: number;
}

/**
 * What a unit's controller reports (its Modbus registers, its Redfish CoolingUnit): temperatures, mover speed, flow,
 * pressures and alarm bits, derived from the model's state. Flow follows the mover speed (a CDU is sized for a 10 K
 * coolant rise at capacity), differential pressure the pump law (∝ flow²).
 */
export interface CoolingUnitReadings {
  running: boolean;
  supplyTempC: number;
  returnTempC: number;
  heatRemovedW: number;
  /** Fan (air units) or pump (CDU) speed, 0-100 %. */
  moverPct: number;
  /** Coolant flow (CDU; 0 for air units). */
  flowLPerMin: number;
  supplyPressureKpa: number;
  differentialPressureKpa: number;
  alarms: { highSupplyTemp: boolean; moverFailure: boolean; lowFlow: boolean; leakDetected: boolean };
}

const WATER_J_PER_L_K = 4186;
const CDU_DESIGN_RISE_K = 10;
const CDU_DESIGN_DIFFERENTIAL_KPA = 150;
const CDU_STATIC_PRESSURE_KPA = 200;
/** Supply this far above setpoint raises the high-supply-temperature alarm. */
const HIGH_SUPPLY_ALARM_K = 3;

export class CoolingUnitSim {
  private s: CoolingUnitState;

  constructor(readonly params: CoolingUnitParams) {
    this.s = {
      running: true,
      heatOfferedW: 0,
      heatRemovedW: 0,
      powerW: 0,
      supplyTempC: params.supplySetpointC,
      returnTempC: params.supplySetpointC,
      loadFraction: 0,
    };
  }

  /** The unit's readings as its controller reports them (see CoolingUnitReadings). */
  readings(): CoolingUnitReadings {
    const p = this.params;
    const s = this.s;
    // The same 30 % floor the mover power uses; a stopped unit's movers stand still.
    const moverFraction = s.running ? Math.max(0.3, s.loadFraction) : 0;
    const designFlowLPerMin = p.kind === 'cdu' ? (p.capacityW / (WATER_J_PER_L_K * CDU_DESIGN_RISE_K)) * 60 : 0;
    const flowLPerMin = designFlowLPerMin * moverFraction;
    const differentialPressureKpa = p.kind === 'cdu' ? CDU_DESIGN_DIFFERENTIAL_KPA * moverFraction ** 2 : 0;
    return {
      running: s.running,
      supplyTempC: s.supplyTempC,
      returnTempC: s.returnTempC,
      heatRemovedW: s.heatRemovedW,
      moverPct: moverFraction * 100,
      flowLPerMin,
      supplyPressureKpa: p.kind === 'cdu' ? CDU_STATIC_PRESSURE_KPA + differentialPressureKpa : 0,
      differentialPressureKpa,
      alarms: {
        highSupplyTemp: s.supplyTempC > p.supplySetpointC + HIGH_SUPPLY_ALARM_K,
        moverFailure: !s.running,
        lowFlow: p.kind === 'cdu' && s.running && flowLPerMin < 0.25 * designFlowLPerMin,
        leakDetected: false,
      },
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
    this.s = { running, heatOfferedW, heatRemovedW, powerW: moverW + plantW, supplyTempC, returnTempC, loadFraction };
    return this.s;
  }
}

/** N+1: the zone's load still fits when its largest running unit fails. */
export function redundancyOk(capacitiesW: number[], loadW: number): boolean {
  if (capacitiesW.length === 0) return loadW <= 0;
  const total = capacitiesW.reduce((a, b) => a + b, 0);
  return total - Math.max(...capacitiesW) >= loadW;
}
