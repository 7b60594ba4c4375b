/**
 * Air (or coolant) zones: a hall's cold aisle, or the liquid loop behind its CDUs. When the running units remove all
 * the heat, the inlet sits a little above the supply temperature; when they fall short, the unremoved share of the
 * hot exhaust recirculates into the inlets: with recirculated fraction f = deficit / heat, mixing gives
 * T_inlet = T_supply + f / (1 − f) · ΔT_exhaust. The inlet follows that target with a first-order response (the room
 * air and everything in it have thermal mass: τ ≈ 2 min for a hall, 1 min for a liquid loop).
 */

export interface ZoneParams {
  /** Inlet above supply with full cooling (bypass, mixing), °C. */
  baseOffsetC: number;
  /** Time constant, s. */
  tauS: number;
  /** Cap on the recirculated fraction (some heat always leaves through the building). */
  maxRecirculation: number;
  /** Hard ceiling of the target, °C. */
  maxTempC: number;
}

export const AIR_ZONE: ZoneParams = { baseOffsetC: 1.5, tauS: 120, maxRecirculation: 0.9, maxTempC: 70 };
export const LIQUID_ZONE: ZoneParams = { baseOffsetC: 0, tauS: 60, maxRecirculation: 0.9, maxTempC: 80 };

export interface ZoneInput {
  heatW: number;
  /** Heat the running units can remove, W. */
  capacityW: number;
  /** Supply temperature of the running units (capacity-weighted), °C; ignored when none runs. */
  supplyTempC: number;
  /** Temperature rise across the servers (exhaust − inlet), or across the liquid loop, °C. */
  exhaustRiseC: number;
}

/** Steady-state inlet for the zone's current load and cooling. */
export function zoneTargetTempC(input: ZoneInput, params: ZoneParams, currentC: number): number {
  if (input.heatW <= 0) return input.capacityW > 0 ? input.supplyTempC + params.baseOffsetC : currentC;
  const deficitW = Math.max(0, input.heatW - input.capacityW);
  const f = Math.min(params.maxRecirculation, deficitW / input.heatW);
  const supply = input.capacityW > 0 ? input.supplyTempC : currentC;
  const target = supply + params.baseOffsetC + (f / (1 - f)) * Math.max(1, input.exhaustRiseC);
  return Math.min(params.maxTempC, target);
}

export class ThermalZone {
  constructor(
    readonly params: ZoneParams,
    public tempC: number,
  ) {}

  step(dtS: number, input: ZoneInput): number {
    const target = zoneTargetTempC(input, this.params, this.tempC);
    this.tempC = target + (this.tempC - target) * Math.exp(-dtS / this.params.tauS);
    return this.tempC;
  }
}

/** Saturation vapour pressure over water, hPa (Magnus formula). */
export function saturationVapourPressureHpa(tempC: number): number {
  return 6.112 * Math.exp((17.62 * tempC) / (243.12 + tempC));
}

/** Relative humidity at tempC of air conditioned to rhAtSupplyPct at supplyTempC (same absolute humidity), %. */
export function relativeHumidityPct(rhAtSupplyPct: number, supplyTempC: number, tempC: number): number {
  const rh = (rhAtSupplyPct * saturationVapourPressureHpa(supplyTempC)) / saturationVapourPressureHpa(tempC);
  return Math.min(100, Math.max(0, rh));
}
