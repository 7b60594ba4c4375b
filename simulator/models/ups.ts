/**
 * Double-conversion UPS: efficiency curve by load fraction, battery state of charge, runtime estimate, battery
 * discharge on utility loss (with a Peukert-like penalty at high load) and recharge afterwards. Status values follow
 * RFC 1628 (UPS-MIB): upsOutputSource, upsBatteryStatus, upsEstimatedMinutesRemaining, upsEstimatedChargeRemaining.
 */

/** RFC 1628 upsOutputSource. */
export const UPS_OUTPUT_SOURCE = { other: 1, none: 2, normal: 3, bypass: 4, battery: 5, booster: 6, reducer: 7 } as const;
/** RFC 1628 upsBatteryStatus. */
export const UPS_BATTERY_STATUS = { unknown: 1, batteryNormal: 2, batteryLow: 3, batteryDepleted: 4 } as const;

export interface UpsParams {
  ratedW: number;
  runtimeAtFullLoadMin: number;
  /** Below this estimated runtime the battery reports "low", min (upsConfigLowBattTime). */
  lowBatteryMin: number;
  /** Recharge power as a fraction of the rating. */
  chargeRateFraction: number;
  /** Peukert-like exponent: drain = P × (P / P_rated)^k. */
  peukertExponent: number;
}

export function defaultUpsParams(ratedW: number, runtimeAtFullLoadMin = 10): UpsParams {
  return { ratedW, runtimeAtFullLoadMin, lowBatteryMin: 2, chargeRateFraction: 0.05, peukertExponent: 0.15 };
}

/**
 * Losses as a fraction of rated power: no-load + proportional + I²R terms, L(x) = 0.017 + 0.005x + 0.02x².
 * Efficiency x / (x + L(x)): 85 % at 10 % load, 93 % at 25 %, 95 % at 50 %, 96 % at full load (REFERENCE-NUMBERS:
 * 94-97 % near rated load, falling towards ~85 % at light load).
 */
export function upsLossFraction(loadFraction: number): number {
  const x = Math.max(0, loadFraction);
  return 0.017 + 0.005 * x + 0.02 * x * x;
}

export function upsEfficiency(loadFraction: number): number {
  if (loadFraction <= 0) return 0;
  return loadFraction / (loadFraction + upsLossFraction(loadFraction));
}

export interface UpsState {
  /** Battery energy, Wh. */
  batteryWh: number;
  outputSource: number;
  batteryStatus: number;
  outputPowerW: number;
  inputPowerW: number;
  lossW: number;
  chargingW: number;
  loadFraction: number;
  estimatedMinutesRemaining: number;
  estimatedChargeRemainingPct: number;
  /** Seconds on battery in the current event. */
  secondsOnBattery: number;
}

export class UpsSim {
  readonly capacityWh: number;
  private s: UpsState;

  constructor(readonly params: UpsParams) {
    // Sized so that the rated load runs for runtimeAtFullLoadMin (the Peukert factor is 1 at rated load).
    this.capacityWh = (params.ratedW / upsEfficiency(1)) * (params.runtimeAtFullLoadMin / 60);
    this.s = {
      batteryWh: this.capacityWh,
      outputSource: UPS_OUTPUT_SOURCE.normal,
      batteryStatus: UPS_BATTERY_STATUS.batteryNormal,
      outputPowerW: 0,
      inputPowerW: 0,
      lossW: 0,
      chargingW: 0,
      loadFraction: 0,
      estimatedMinutesRemaining: params.runtimeAtFullLoadMin,
      estimatedChargeRemainingPct: 100,
      secondsOnBattery: 0,
    };
  }

  get state(): UpsState {
    return this.s;
  }

  /** Can the UPS feed its output now (before this step's load is known)? */
  get outputLive(): boolean {
    return this.s.outputSource !== UPS_OUTPUT_SOURCE.none;
  }

  /** Battery drain rate for an output load, W (inverter losses and the Peukert penalty included). */
  drainW(outputW: number): number {
    const x = outputW / this.params.ratedW;
    if (x <= 0) return 0;
    const batteryW = outputW / upsEfficiency(x);
    return batteryW * x ** this.params.peukertExponent;
  }

  /**
   * Advance one step. inputLive: utility or generator present at the UPS input. outputLoadW: what the PDUs behind
   * it draw (ignored when the output is dead).
   */
  step(dtS: number, inputLive: boolean, outputLoadW: number): UpsState {
    const p = this.params;
    const s = { ...this.s };
    if (inputLive) {
      // Normal: rectifier feeds the inverter and recharges the battery.
      s.secondsOnBattery = 0;
      const load = outputLoadW;
      const x = load / p.ratedW;
      const missingWh = this.capacityWh - s.batteryWh;
      const chargingW = missingWh > 1e-6 ? Math.min(p.chargeRateFraction * p.ratedW, (missingWh * 3600) / dtS) : 0;
      s.batteryWh = Math.min(this.capacityWh, s.batteryWh + (chargingW * dtS) / 3600);
      const lossW = load > 0 ? load / upsEfficiency(x) - load : upsLossFraction(0) * p.ratedW;
      s.outputSource = UPS_OUTPUT_SOURCE.normal;
      s.outputPowerW = load;
      s.chargingW = chargingW;
      // Charger losses ~10 % of the charging power.
      s.lossW = lossW + chargingW * 0.1;
      s.inputPowerW = load + s.lossW + chargingW;
      s.loadFraction = x;
    } else if (s.batteryWh > 0) {
      s.secondsOnBattery += dtS;
      const load = outputLoadW;
      const drainW = this.drainW(load);
      s.batteryWh = Math.max(0, s.batteryWh - (drainW * dtS) / 3600);
      s.outputSource = s.batteryWh > 0 ? UPS_OUTPUT_SOURCE.battery : UPS_OUTPUT_SOURCE.none;
      s.outputPowerW = s.batteryWh > 0 ? load : 0;
      s.chargingW = 0;
      s.lossW = drainW - load;
      s.inputPowerW = 0;
      s.loadFraction = load / p.ratedW;
    } else {
      s.secondsOnBattery += dtS;
      s.outputSource = UPS_OUTPUT_SOURCE.none;
      s.outputPowerW = 0;
      s.chargingW = 0;
      s.lossW = 0;
      s.inputPowerW = 0;
      s.loadFraction = 0;
    }
    // Runtime estimate at the present load (reported on utility too, as upsEstimatedMinutesRemaining is).
    const estimateLoad = Math.max(s.outputPowerW, outputLoadW, 0.01 * p.ratedW);
    s.estimatedMinutesRemaining = (s.batteryWh / this.drainW(estimateLoad)) * 60;
    s.estimatedChargeRemainingPct = (s.batteryWh / this.capacityWh) * 100;
    s.batteryStatus =
      s.batteryWh <= 0
        ? UPS_BATTERY_STATUS.batteryDepleted
        : s.estimatedMinutesRemaining <= p.lowBatteryMin
          ? UPS_BATTERY_STATUS.batteryLow
          : UPS_BATTERY_STATUS.batteryNormal;
    this.s = s;
    return s;
  }
}
