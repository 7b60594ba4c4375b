/**
 * One GPU: power as a function of workload, utilisation and die temperature (leakage), the power-cap controller (SM
 * clock throttling), a three-node thermal model (die sensor, memory sensor, heatsink), the energy counter, NVML
 * clock-event reasons and the GPU faults (XID, fallen off the bus, thermal runaway). Pure: time only enters through
 * step(dtS, env).
 */
import type { Rng } from '../rng';
import { type GpuModelId, type GpuModelParams, gpuModelParams, leakageW } from './gpu-params';

export type { GpuModelId, GpuModelParams } from './gpu-params';

export type WorkloadKind =
  | 'idle-no-context'
  | 'idle-with-context'
  | 'compute-bound'
  | 'memory-bound'
  | 'bursty-inference'
  | 'busy-fraction';

export const WORKLOAD_KINDS: readonly WorkloadKind[] = [
  'idle-no-context',
  'idle-with-context',
  'compute-bound',
  'memory-bound',
  'bursty-inference',
  'busy-fraction',
];

export interface Workload {
  kind: WorkloadKind;
  /**
   * 0..1. Compute- and memory-bound: the fraction of full activity. Bursty inference: the duty cycle (fraction of
   * each burst period the GPU is busy). Busy fraction: the share of every step the GPU is busy at full activity (what
   * NVML's utilisation reading measures), spread evenly: the replay of a trace's utilisation column.
   */
  util: number;
  /** Bursty inference: one busy + idle period, s (default 1). */
  burstPeriodS?: number;
  /**
   * Bursty inference and busy fraction: share of the busy time that is compute-bound (prefill) rather than
   * memory-bound (decode); default 0.3 for bursty inference, 1 for busy fraction.
   */
  burstComputeShare?: number;
  /** Framebuffer the job holds, MiB (default depends on the kind). */
  memoryUsedMib?: number;
}

/** NVML clocks-event-reason bits. */
export const CLOCK_REASON = {
  gpuIdle: 0x1,
  applicationsClocksSetting: 0x2,
  swPowerCap: 0x4,
  hwSlowdown: 0x8,
  syncBoost: 0x10,
  swThermalSlowdown: 0x20,
  hwThermalSlowdown: 0x40,
  hwPowerBrakeSlowdown: 0x80,
} as const;

/** What NVML / DCGM would read from the GPU now. */
export interface GpuReadings {
  /** Reported power: the average over the last powerAverageWindowS, W. */
  powerW: number;
  /** Power averaged over the last step, W. */
  powerInstantW: number;
  powerLimitW: number;
  /** Total energy since boot, mJ (integer, like NVML). */
  energyMj: number;
  gpuTempC: number;
  memoryTempC: number;
  gpuUtilPct: number;
  memCopyUtilPct: number;
  fbUsedMib: number;
  fbFreeMib: number;
  fbReservedMib: number;
  smClockMhz: number;
  memClockMhz: number;
  clockEventReasons: number;
  /** Last XID error, 0 when none. */
  lastXid: number;
  /** DCGM profiling ratios, 0..1. */
  grEngineActive: number;
  tensorActive: number;
  dramActive: number;
  pcieTxBytesPerS: number;
  pcieRxBytesPerS: number;
}

export interface GpuEnvironment {
  /** Air (or coolant) temperature at the GPU's heatsink inlet, °C. */
  airTempC: number;
  /** False when the server has no power: the GPU draws nothing and reads nothing. */
  powered: boolean;
}

export interface GpuOptions {
  uuid: string;
  index: number;
  model: GpuModelId;
  /** Parameters to use instead of the model's published set (calibration folds). */
  params?: GpuModelParams;
  /** Seeded generator for the sensor noise. */
  rng: Rng;
  /** Energy counter at start, mJ (default: 0). */
  energyStartMj?: number;
  /** Initial temperature, °C (default: settled at idle in 25 °C air). */
  initialAirTempC?: number;
  /** Sensor noise on (default). Off gives exact model values (tests). */
  noise?: boolean;
}

/** Boxcar average over the last windowS seconds of a piecewise-constant signal. */
export class BoxcarAverage {
  private segments: { dtS: number; value: number }[] = [];
  private spanS = 0;

  constructor(private readonly windowS: number) {}

  push(dtS: number, value: number): void {
    if (dtS <= 0) return;
    if (dtS >= this.windowS) {
      // Steps at least a window long (the live world's, every few seconds) reuse the one segment: no garbage per GPU.
      if (this.segments.length !== 1) this.segments = [{ dtS: 0, value: 0 }];
      this.segments[0]!.dtS = this.windowS;
      this.segments[0]!.value = value;
      this.spanS = this.windowS;
      return;
    }
    this.segments.push({ dtS, value });
    this.spanS += dtS;
    while (this.spanS - this.segments[0].dtS >= this.windowS - 1e-9) {
      this.spanS -= this.segments[0].dtS;
      this.segments.shift();
    }
    const excess = this.spanS - this.windowS;
    if (excess > 1e-9) {
      this.segments[0].dtS -= excess;
      this.spanS = this.windowS;
    }
  }

  value(fallback = 0): number {
    if (this.spanS <= 0) return fallback;
    let sum = 0;
    for (const s of this.segments) sum += s.dtS * s.value;
    return sum / this.spanS;
  }
}

const DEFAULT_MEMORY_USE_FRACTION: Record<WorkloadKind, number> = {
  'idle-no-context': 0,
  'idle-with-context': 0,
  'compute-bound': 0.82,
  'memory-bound': 0.3,
  'bursty-inference': 0.9,
  'busy-fraction': 0.5,
};

/** Fraction of a square wave (on for duty·period at the start of each period) that is on within [t0, t0 + dt]. */
export function squareWaveOnFraction(t0S: number, dtS: number, periodS: number, duty: number): number {
  if (duty <= 0) return 0;
  if (duty >= 1) return 1;
  if (dtS <= 0) return isOn(t0S, periodS, duty) ? 1 : 0;
  const onTimeUpTo = (t: number): number => {
    const full = Math.floor(t / periodS);
    const rest = t - full * periodS;
    return full * duty * periodS + Math.min(rest, duty * periodS);
  };
  return (onTimeUpTo(t0S + dtS) - onTimeUpTo(t0S)) / dtS;
}

function isOn(tS: number, periodS: number, duty: number): boolean {
  const phase = tS - Math.floor(tS / periodS) * periodS;
  return phase < duty * periodS;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function relax(current: number, target: number, dtS: number, tauS: number): number {
  return target + (current - target) * Math.exp(-dtS / tauS);
}

export class GpuSim {
  readonly uuid: string;
  readonly index: number;
  readonly params: GpuModelParams;
  private readonly rng: Rng;
  private readonly noise: boolean;

  private workload: Workload = { kind: 'idle-no-context', util: 0 };
  private powerLimitW: number;
  private timeS = 0;
  private contextHoldS = 0;
  private hadContext = false;

  // State.
  private energyMj: number;
  private sinkTempC: number;
  private dieTempC: number;
  private memTempC: number;
  private stepPowerW = 0;
  private readonly powerAvg: BoxcarAverage;
  private readonly utilAvg: BoxcarAverage;
  private readonly memUtilAvg: BoxcarAverage;
  private smClockMhz: number;
  private reasons: number = CLOCK_REASON.gpuIdle;
  private activity = { grEngine: 0, tensor: 0, dram: 0 };

  // Faults.
  private lastXid = 0;
  private offBus = false;
  private thermalShutdown = false;
  private runawayS: number | null = null;
  private powered = true;

  constructor(options: GpuOptions) {
    this.uuid = options.uuid;
    this.index = options.index;
    this.params = options.params ?? gpuModelParams(options.model);
    this.rng = options.rng;
    this.noise = options.noise ?? true;
    this.energyMj = options.energyStartMj ?? 0;
    this.powerLimitW = this.params.powerLimitW;
    this.powerAvg = new BoxcarAverage(this.params.powerAverageWindowS);
    this.utilAvg = new BoxcarAverage(this.params.powerAverageWindowS);
    this.memUtilAvg = new BoxcarAverage(this.params.powerAverageWindowS);
    this.smClockMhz = this.params.smClockIdleMhz;
    const air = options.initialAirTempC ?? 25;
    const idle = this.params.idleNoContextW;
    const th = this.params.thermal;
    this.sinkTempC = air + th.sinkResistanceCPerW * idle;
    this.dieTempC = this.sinkTempC + th.sensorOffsetC + th.dieBaseResistanceCPerW * idle;
    this.memTempC = this.sinkTempC + th.sensorOffsetC + th.memResistanceCPerW * this.params.idleMemoryPowerW;
    this.stepPowerW = idle;
  }

  getWorkload(): Workload {
    return { ...this.workload };
  }

  setWorkload(workload: Workload): void {
    const util = clamp(workload.util, 0, 1);
    const w = this.workload;
    // The same workload again (the background profile sets one every step): keep it, no copy per GPU per step.
    if (
      w.kind === workload.kind &&
      w.util === util &&
      w.burstPeriodS === workload.burstPeriodS &&
      w.burstComputeShare === workload.burstComputeShare &&
      w.memoryUsedMib === workload.memoryUsedMib
    ) {
      return;
    }
    this.workload = { ...workload, util };
  }

  /** The utilisation the job asks for, 0..1: 0 while idle (what getWorkload().util means to the server model). */
  get demandedUtilization(): number {
    const w = this.workload;
    return w.kind === 'idle-no-context' || w.kind === 'idle-with-context' ? 0 : w.util;
  }

  getPowerLimitW(): number {
    return this.powerLimitW;
  }

  /** Like nvidia-smi -pl: clamped to [minPowerLimitW, default limit]. */
  setPowerLimitW(watts: number): void {
    this.powerLimitW = clamp(watts, this.params.minPowerLimitW, this.params.powerLimitW);
  }

  /** Power drawn from the server over the last step, W (0 when unpowered or shut down). */
  get drawW(): number {
    return this.stepPowerW;
  }

  get dieTemperatureC(): number {
    return this.dieTempC;
  }

  /** False when the GPU cannot be read (fallen off the bus, thermal shutdown, no power). */
  get readable(): boolean {
    return this.powered && !this.offBus && !this.thermalShutdown;
  }

  injectXid(xid: number): void {
    this.lastXid = xid;
  }

  clearXid(): void {
    this.lastXid = 0;
  }

  /** The GPU stops answering on PCIe (XID 79). It still draws its idle power; its work is lost. */
  setOffBus(off: boolean): void {
    this.offBus = off;
    if (off) this.lastXid = 79;
    else if (this.lastXid === 79) this.lastXid = 0;
  }

  /**
   * Thermal runaway: the heat path from the die degrades progressively (a failing cold-plate pump or a detached
   * heatsink): the heatsink resistance grows ×(1 + t/10 s). The SW thermal controller throttles, then HW slowdown, and
   * past the shutdown temperature the GPU shuts itself off (no readings, XID 79) until the fault is cleared.
   */
  setThermalRunaway(on: boolean): void {
    this.runawayS = on ? 0 : null;
    if (!on) {
      this.thermalShutdown = false;
      if (this.lastXid === 79 && !this.offBus) this.lastXid = 0;
    }
  }

  private sinkResistance(): number {
    const base = this.params.thermal.sinkResistanceCPerW;
    return this.runawayS === null ? base : base * (1 + this.runawayS / 10);
  }

  step(dtS: number, env: GpuEnvironment): void {
    if (dtS <= 0) return;
    const p = this.params;
    const th = p.thermal;
    const t0 = this.timeS;
    this.timeS += dtS;
    this.powered = env.powered;
    if (this.runawayS !== null) this.runawayS += dtS;

    // --- what the GPU is asked to do
    let kind = this.workload.kind;
    const working = env.powered && !this.offBus && !this.thermalShutdown;
    if (!working) kind = 'idle-no-context';
    const hasContext = kind !== 'idle-no-context';
    if (hasContext) {
      this.hadContext = true;
      this.contextHoldS = p.contextReleaseDelayS;
    } else if (this.hadContext) {
      this.contextHoldS -= dtS;
      if (this.contextHoldS <= 0) this.hadContext = false;
    }
    const clocksUp = hasContext || (this.hadContext && working);
    const util = this.workload.util;

    // Busy fraction within this step and the character of the busy time.
    let busyFraction = 0;
    let computeShare = 1;
    let busyUtil = 1;
    let endsBusy = false;
    if (kind === 'compute-bound' || kind === 'memory-bound') {
      busyFraction = util > 0 ? 1 : 0;
      busyUtil = util;
      computeShare = kind === 'compute-bound' ? 1 : 0;
      endsBusy = util > 0;
    } else if (kind === 'bursty-inference') {
      const period = this.workload.burstPeriodS ?? 1;
      busyFraction = squareWaveOnFraction(t0, dtS, period, util);
      computeShare = this.workload.burstComputeShare ?? 0.3;
      endsBusy = isOn(this.timeS - 1e-9, period, util);
    } else if (kind === 'busy-fraction') {
      busyFraction = util;
      computeShare = clamp(this.workload.burstComputeShare ?? 1, 0, 1);
      endsBusy = util > 0;
    }

    // Leakage (clocks up only): the context idle power at the die temperature the step starts from. The parameters'
    // powers hold at the leakage reference temperature, so the dynamic parts are taken relative to idleWithContextW
    // and the leakage sits in the base every busy power is built on. Hotter die → more power → hotter die: the loop
    // is closed one step late, which settles on the steady fixed point for any step length as long as the loop gain
    // (W/°C × the die's °C/W, ~0.02 on the H200) stays under 1.
    const contextW = p.idleWithContextW + (clocksUp ? leakageW(p.leakage, this.dieTempC) : 0);
    const baseW = clocksUp ? contextW : p.idleNoContextW;
    const computeDynW = busyUtil * computeShare * (p.computeBoundDemandW - p.idleWithContextW);
    const memoryDynW = busyUtil * (1 - computeShare) * (p.memoryBoundW - p.idleWithContextW);
    const demandBusyW = contextW + computeDynW + memoryDynW;

    // --- power cap and thermal controllers act on the busy part
    // The power controller holds the 1 s average at the cap target. While the window still holds idle time (the
    // start of a burst) it lets the busy power run above the target by the shortfall, up to the burst ceiling.
    const capTargetW = this.powerLimitW * p.capTargetRatio;
    const burstCeilingW = this.powerLimitW * (p.burstCapRatio ?? p.capTargetRatio);
    const shortfallW = Math.max(0, capTargetW - this.powerAvg.value(this.stepPowerW));
    const powerCapW = Math.max(capTargetW, Math.min(burstCeilingW, capTargetW + shortfallW));
    const rSink = this.sinkResistance();
    const dieR = computeShare * th.dieComputeResistanceCPerW + (1 - computeShare) * th.dieMemoryResistanceCPerW;
    // Highest busy power whose steady die temperature stays at the max operating temperature (SW thermal slowdown).
    const airTempC = env.airTempC;
    const thermalCapW =
      (p.maxOperatingTempC - airTempC - th.sensorOffsetC - (th.dieBaseResistanceCPerW - dieR) * contextW) /
      (rSink + dieR);
    let reasons = 0;
    let busyW = demandBusyW;
    let clockRatio = 1;
    const capW = Math.min(powerCapW, thermalCapW);
    if (busyFraction > 0 && demandBusyW > capW) {
      const dyn = demandBusyW - contextW;
      const allowedDyn = Math.max(capW - contextW, dyn * 0.05);
      clockRatio = clamp((allowedDyn / dyn) ** (1 / p.dvfsExponent), 0.2, 1);
      busyW = contextW + dyn * clockRatio ** p.dvfsExponent;
      reasons |= thermalCapW < powerCapW ? CLOCK_REASON.swThermalSlowdown : CLOCK_REASON.swPowerCap;
    }
    if (busyFraction > 0 && this.dieTempC >= p.slowdownTempC) {
      // HW slowdown halves the clock.
      const dyn = busyW - contextW;
      clockRatio *= 0.5;
      busyW = contextW + dyn * 0.5 ** p.dvfsExponent;
      reasons |= CLOCK_REASON.hwSlowdown | CLOCK_REASON.hwThermalSlowdown;
    }
    if (this.noise && busyFraction > 0 && reasons & CLOCK_REASON.swPowerCap) {
      busyW += this.rng.normal(0, 2.5);
    }

    let powerW = busyFraction * busyW + (1 - busyFraction) * baseW;
    if (this.noise) powerW *= 1 + this.rng.normal(0, 0.0008);
    if (!env.powered || this.thermalShutdown) powerW = 0;
    this.stepPowerW = powerW;
    this.energyMj += powerW * dtS * 1000;
    this.powerAvg.push(dtS, powerW);

    // --- thermal (exact exponential relaxation: stable for any dt)
    const dynActualW = Math.max(0, powerW - baseW);
    const busyComputeW = dynActualW * computeShare;
    const busyMemoryW = dynActualW * (1 - computeShare);
    const memSharedW =
      computeShare * p.computeMemoryShare * dynActualW + (1 - computeShare) * p.memoryBoundMemoryShare * dynActualW;
    const memPowerW = powerW > 0 ? p.idleMemoryPowerW + memSharedW : 0;
    const sinkTarget = airTempC + rSink * powerW;
    this.sinkTempC = relax(this.sinkTempC, sinkTarget, dtS, th.sinkTauS);
    // The sensors read above the heatsink air even at the lowest power (see GpuThermalParams.sensorOffsetC).
    const offsetC = powerW > 0 ? th.sensorOffsetC : 0;
    const dieTarget =
      this.sinkTempC +
      offsetC +
      th.dieBaseResistanceCPerW * Math.min(powerW, baseW) +
      th.dieComputeResistanceCPerW * busyComputeW +
      th.dieMemoryResistanceCPerW * busyMemoryW;
    this.dieTempC = relax(this.dieTempC, dieTarget, dtS, th.dieTauS);
    this.memTempC = relax(this.memTempC, this.sinkTempC + offsetC + th.memResistanceCPerW * memPowerW, dtS, th.memTauS);
    if (this.dieTempC >= p.shutdownTempC && !this.thermalShutdown) {
      this.thermalShutdown = true;
      this.lastXid = 79;
      // The job on the GPU dies with it.
      this.workload = { kind: 'idle-no-context', util: 0 };
    }

    // --- clocks and reasons as sampled at the end of the step
    let clock: number;
    if (!clocksUp || !working) {
      clock = p.smClockIdleMhz;
      reasons = CLOCK_REASON.gpuIdle;
    } else if (endsBusy) {
      clock = p.smClockMaxMhz * clockRatio;
      if (this.noise && clockRatio < 1) clock += this.rng.normal(0, 15);
      clock = Math.min(p.smClockMaxMhz, Math.round(clock / p.clockStepMhz) * p.clockStepMhz);
    } else {
      clock = p.smClockMaxMhz;
      reasons = 0;
    }
    this.smClockMhz = clock;
    this.reasons = reasons;

    // --- utilisation and profiling ratios
    const memActivity = computeShare * 0.25 + (1 - computeShare) * 1;
    const fullActivity = kind === 'bursty-inference' || kind === 'busy-fraction';
    this.utilAvg.push(dtS, busyFraction * (fullActivity ? 1 : busyUtil) * 100);
    this.memUtilAvg.push(dtS, busyFraction * busyUtil * memActivity * 100);
    const activity = this.activity;
    activity.grEngine = busyFraction * (fullActivity ? 1 : busyUtil);
    activity.tensor = busyFraction * busyUtil * computeShare * 0.85 * clockRatio;
    activity.dram = busyFraction * busyUtil * (computeShare * 0.25 + (1 - computeShare) * 0.92);
  }

  readings(): GpuReadings | null {
    if (!this.readable) return null;
    const p = this.params;
    const w = this.workload;
    const hasContext = w.kind !== 'idle-no-context' || this.hadContext;
    const jobMib = w.memoryUsedMib ?? Math.round(DEFAULT_MEMORY_USE_FRACTION[w.kind] * (p.memoryTotalMib - p.memoryReservedMib));
    const usable = p.memoryTotalMib - p.memoryReservedMib;
    const fbUsedMib = hasContext ? Math.min(usable, p.contextMemoryMib + (w.kind === 'idle-no-context' ? 0 : jobMib)) : 0;
    const busy = this.activity.grEngine;
    return {
      powerW: Math.round(this.powerAvg.value(this.stepPowerW) * 1000) / 1000,
      powerInstantW: Math.round(this.stepPowerW * 1000) / 1000,
      powerLimitW: this.powerLimitW,
      energyMj: Math.floor(this.energyMj),
      gpuTempC: Math.round(this.dieTempC),
      memoryTempC: Math.round(this.memTempC),
      gpuUtilPct: Math.round(this.utilAvg.value()),
      memCopyUtilPct: Math.round(this.memUtilAvg.value()),
      fbUsedMib,
      fbFreeMib: usable - fbUsedMib,
      fbReservedMib: p.memoryReservedMib,
      smClockMhz: this.smClockMhz,
      memClockMhz: p.memClockMhz,
      clockEventReasons: this.reasons,
      lastXid: this.lastXid,
      grEngineActive: round3(busy),
      tensorActive: round3(this.activity.tensor),
      dramActive: round3(this.activity.dram),
      pcieTxBytesPerS: Math.round(1.6e6 + busy * 40e6),
      pcieRxBytesPerS: Math.round(0.6e6 + busy * 120e6),
    };
  }
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
