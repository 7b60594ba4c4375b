/**
 * Per-model GPU parameters. The H200 SXM set is fitted on the real NVML trace in
 * shared/fixtures/nvml-h200 (see docs/simulator.md, "Calibration"); the others start from the public figures in
 * REFERENCE-NUMBERS.md and borrow the H200's shape where no measurement exists (marked "estimate").
 */

import { TPU_MODEL_IDS, TPU_MODELS, type TpuModelId } from './tpu-params';

/** Accelerator models the simulator has: GPUs, and TPU chips (models/tpu-params.ts), which share the GPU's physics. */
export type GpuModelId = 'H100-SXM' | 'H200-SXM' | 'B200' | 'GB200' | 'L40S' | 'MI300X' | 'MI325X' | TpuModelId;

export const GPU_MODEL_IDS: readonly GpuModelId[] = ['H100-SXM', 'H200-SXM', 'B200', 'GB200', 'L40S', 'MI300X', 'MI325X', ...TPU_MODEL_IDS];

export interface GpuThermalParams {
  /** Heatsink / cold plate to local air (or coolant), °C per W of total board power. */
  sinkResistanceCPerW: number;
  /** Time constant of the heatsink node, s. */
  sinkTauS: number;
  /** Die sensor above the heatsink per W of base (idle / context) power, °C/W. */
  dieBaseResistanceCPerW: number;
  /** Die sensor above the heatsink per W of SM (tensor / ALU) dynamic power, °C/W: the hot spot sits in the SM array. */
  dieComputeResistanceCPerW: number;
  /** Die sensor above the heatsink per W of memory-traffic dynamic power, °C/W: much of it is dissipated in the HBM stacks. */
  dieMemoryResistanceCPerW: number;
  /** Time constant of the die node, s (the sensor follows a load step within a few hundred ms). */
  dieTauS: number;
  /** Memory (HBM) sensor above the heatsink per W of memory power, °C/W. */
  memResistanceCPerW: number;
  memTauS: number;
  /**
   * Both sensors read this much above the heatsink air even near zero power, °C. Fitted on the H200 trace together
   * with the resistances, with the heatsink air taken from the rig model (room inlet + chassis preheat): it carries
   * what the linear resistances miss (heat spreading at idle airflow) and the rig's unknown inlet (assumed at the room
   * model's default). It is relative to the air, so the temperatures still follow the inlet one for one.
   */
  sensorOffsetC: number;
}

/**
 * The memory system in physical terms, for predicting memory-bound power where no memory-bound load was measured.
 * Power of memory traffic = bits moved per second × energy per bit (docs/simulator.md, "The memory-bound model").
 */
export interface HbmFigures {
  /** Peak HBM bandwidth, TB/s (vendor datasheet). */
  peakBandwidthTBps: number;
  stacks: number;
  /** Data bits of the memory interface: 1,024 per HBM stack (JEDEC HBM3 / HBM3E). */
  busWidthBits: number;
  /** Energy per bit moved inside the DRAM stacks (cell array, TSVs, the stack's I/O), pJ/bit. */
  stackEnergyPjPerBit: number;
  /** Energy per bit moved end to end as the board meter sees it (stack plus the GPU side of the interface), pJ/bit. */
  pathEnergyPjPerBit: number;
}

/** Cited energy figures (docs/simulator.md, "The memory-bound model", has the sources). */
export const HBM3E_STACK_PJ_PER_BIT = 3.9;
/** Midpoint of the 7-9 pJ/bit quoted for an HBM3E access end to end. */
export const HBM3E_PATH_PJ_PER_BIT = 8;

/**
 * Dynamic power of memory traffic at a memory utilisation (0-1, the util_mem column as a bandwidth fraction), W, at
 * the datasheet bandwidth or at the one the running memory clock gives (hbmBandwidthTBps).
 */
export function memoryTrafficW(hbm: HbmFigures, utilMem: number, bandwidthTBps = hbm.peakBandwidthTBps): number {
  return bandwidthTBps * 1e12 * 8 * utilMem * hbm.pathEnergyPjPerBit * 1e-12;
}

/**
 * Peak bandwidth at a memory clock as the driver reports it, TB/s. How many transfers a data bit makes per reported
 * clock differs by vendor (NVIDIA reports the HBM clock, data on both edges; AMD a quarter of the data rate), so it is
 * read off the part's own datasheet bandwidth at its nominal clock, rounded to a whole number: H100 SXM 3.35 TB/s at
 * 2,619 MHz over 5,120 bits and H200 4.8 TB/s at 3,201 MHz over 6,144 bits give 2 (so the H100's datasheet figure
 * exactly, and 4.92 TB/s for the H200); MI300X 5.3 TB/s at 1,300 MHz over 8,192 bits gives 4.
 */
export function hbmBandwidthTBps(hbm: HbmFigures, memClockMhz: number, nominalClockMhz: number): number {
  const bytesPerClock = (mhz: number) => (mhz * 1e6 * hbm.busWidthBits) / 8;
  const transfersPerClock = Math.max(1, Math.round((hbm.peakBandwidthTBps * 1e12) / bytesPerClock(nominalClockMhz)));
  return (transfersPerClock * bytesPerClock(memClockMhz)) / 1e12;
}

/** Share of the memory-traffic power dissipated in the stacks rather than on the GPU die. */
export function stackShare(hbm: HbmFigures): number {
  return hbm.stackEnergyPjPerBit / hbm.pathEnergyPjPerBit;
}

/**
 * How the static power grows with the die temperature (leakage), measured with a context open and the clocks up.
 * The powers of a parameter set (idleWithContextW, computeBoundDemandW, memoryBoundW) hold at refDieC; the GPU model
 * adds leakageW at the die temperature it runs at, so a hotter die (warmer inlet, failed cooling, heavier load) draws
 * more power and warms further, and a cooler one draws less.
 */
export interface LeakageParams {
  /** Extra power per °C of die sensor temperature, W/°C (H200: fitted on the trace's idle intervals). */
  wPerC: number;
  /** Die sensor temperature at which the parameter set's powers hold, °C. */
  refDieC: number;
}

/**
 * The leakage term, the one formula the GPU model and the fit share: extra static power at a die temperature
 * relative to the reference, W (negative below it; 0 without leakage parameters).
 */
export function leakageW(leakage: LeakageParams | undefined, dieC: number): number {
  return leakage ? leakage.wPerC * (dieC - leakage.refDieC) : 0;
}

export interface GpuModelParams {
  id: GpuModelId;
  vendor: 'nvidia' | 'amd' | 'google';
  /** Name as the driver reports it (dcgm-exporter's modelName label). */
  modelName: string;
  memoryTotalMib: number;
  memoryReservedMib: number;
  /** Framebuffer a freshly opened CUDA context takes, MiB. */
  contextMemoryMib: number;
  /** Default enforced power limit, W. */
  powerLimitW: number;
  minPowerLimitW: number;
  /** Idle, no process holds a context: clocks parked. */
  idleNoContextW: number;
  /** Idle with a context open: clocks at maximum, nothing running. */
  idleWithContextW: number;
  /** Memory (HBM) share of the idle power, W. */
  idleMemoryPowerW: number;
  /**
   * Power a dense compute-bound load would draw at the maximum SM clock with no power limit, W. Not an operating point:
   * the power cap throttles the clock long before; it sets how deep the clock drops (fitted on the H200's ~1460 MHz).
   */
  computeBoundDemandW: number;
  /** Power of a fully memory-bandwidth-bound load at full clocks, W (below the cap on every listed model). */
  memoryBoundW: number;
  /** Fraction of the dynamic power that is spent in the memory stacks, compute-bound vs memory-bound. */
  computeMemoryShare: number;
  memoryBoundMemoryShare: number;
  smClockMaxMhz: number;
  smClockIdleMhz: number;
  memClockMhz: number;
  /** SM clock granularity, MHz (NVIDIA: 15 MHz). */
  clockStepMhz: number;
  /** Dynamic power ∝ f^exponent along the DVFS curve (f·V², V rising with f). */
  dvfsExponent: number;
  /** The power controller settles this fraction under the enforced limit (H200: median 692 W at 700 W). */
  capTargetRatio: number;
  /**
   * Ceiling on the busy power while the 1 s average is still under the cap target, as a fraction of the limit: the
   * controller acts on averaged power, so a burst after idle time runs above the target (H200: at ~1,500 MHz, ~734 W)
   * until its average catches up. Absent: no overshoot (the busy power is held at the target at once).
   */
  burstCapRatio?: number;
  /** Window of the reported (averaged) power, s: NVML's power reading on Hopper is a 1 s average. */
  powerAverageWindowS: number;
  /** The driver keeps clocks up this long after the last context closes, s. */
  contextReleaseDelayS: number;
  maxOperatingTempC: number;
  slowdownTempC: number;
  shutdownTempC: number;
  thermal: GpuThermalParams;
  /** GPU die area, mm² (die resistances scale with 1 / area between parts of one architecture). */
  dieAreaMm2?: number;
  /** The memory system in physical terms (where known). */
  hbm?: HbmFigures;
  /**
   * Leakage with a context open and the clocks up (absent: power does not follow the die temperature). Not applied
   * with the clocks parked (idle without a context): the slope was measured at the top clock only.
   */
  leakage?: LeakageParams;
  /** Where the numbers come from. */
  source: string;
}

// Fitted on the whole H200 trace (calibrate.ts, in sample); the other models borrow it where marked "estimate".
const HOPPER_THERMAL: GpuThermalParams = {
  sinkResistanceCPerW: 0.004,
  sinkTauS: 4,
  dieBaseResistanceCPerW: 0.0278,
  dieComputeResistanceCPerW: 0.0347,
  dieMemoryResistanceCPerW: 0.0156,
  dieTauS: 0.15,
  memResistanceCPerW: 0.1,
  memTauS: 5,
  sensorOffsetC: 5.91,
};

/** GH100, the die of both the H100 and the H200 (NVIDIA H100 Tensor Core GPU Architecture whitepaper), mm². */
const GH100_DIE_AREA_MM2 = 814;
/** H200 SXM: 4.8 TB/s over six HBM3e stacks (NVIDIA H200 datasheet). */
const H200_HBM: HbmFigures = {
  peakBandwidthTBps: 4.8,
  stacks: 6,
  busWidthBits: 6 * 1024,
  stackEnergyPjPerBit: HBM3E_STACK_PJ_PER_BIT,
  pathEnergyPjPerBit: HBM3E_PATH_PJ_PER_BIT,
};
/** H100 SXM: 3.35 TB/s over five active HBM3 stacks (NVIDIA H100 datasheet); no separate HBM3 energy figure, so HBM3e's. */
const H100_HBM: HbmFigures = { ...H200_HBM, peakBandwidthTBps: 3.35, stacks: 5, busWidthBits: 5 * 1024 };

/** H200 SXM as fitted on fixtures/nvml-h200 (all phases); simulator/calibrate.test.ts checks it equals the fit. */
const H200_SXM: GpuModelParams = {
  id: 'H200-SXM',
  vendor: 'nvidia',
  modelName: 'NVIDIA H200',
  memoryTotalMib: 143771,
  memoryReservedMib: 616,
  contextMemoryMib: 2833,
  powerLimitW: 700,
  minPowerLimitW: 200,
  idleNoContextW: 79.7,
  idleWithContextW: 122.6,
  idleMemoryPowerW: 40,
  computeBoundDemandW: 1326,
  memoryBoundW: 466.4,
  computeMemoryShare: 0.17,
  // The stacks' share of memory-traffic power (stack ÷ end-to-end energy per bit).
  memoryBoundMemoryShare: Math.round(stackShare(H200_HBM) * 100) / 100,
  smClockMaxMhz: 1980,
  smClockIdleMhz: 345,
  memClockMhz: 3201,
  clockStepMhz: 15,
  dvfsExponent: 2.5,
  capTargetRatio: 0.9884,
  // Busy power at the ~1,500 MHz a capped load starts at, before the 1 s average catches up (calibrate-fit.ts).
  burstCapRatio: 1.0488,
  powerAverageWindowS: 1,
  contextReleaseDelayS: 2,
  maxOperatingTempC: 87,
  slowdownTempC: 89,
  shutdownTempC: 95,
  thermal: HOPPER_THERMAL,
  dieAreaMm2: GH100_DIE_AREA_MM2,
  hbm: H200_HBM,
  // 0.58 W/°C from the trace's idle intervals, referred to the idle phases' die (39 °C): the powers above hold there.
  leakage: { wPerC: 0.58, refDieC: 39 },
  source: 'fitted on fixtures/nvml-h200 (real H200 SXM, driver 580.159.04)',
};

/**
 * H100 SXM transferred from the H200 fit by what carries over within one architecture, never fitted on the H100
 * captures (calibrate.ts predicts those out of sample):
 * - same GH100 die, clocks and power controller: compute demand, cap target, DVFS exponent and leakage carry over
 *   unchanged;
 *   die resistances scale with 1 / die area (ratio 1 here);
 * - memory: 5 HBM3 stacks instead of 6 HBM3e (the H200's idle memory power split per stack) and 3.35 instead of
 *   4.8 TB/s (memory-bound power from bandwidth × energy per bit, as for any part).
 */
const H100_HBM_SAVING_W = (H200_SXM.idleMemoryPowerW * (H200_HBM.stacks - H100_HBM.stacks)) / H200_HBM.stacks;
const H100_IDLE_WITH_CONTEXT_W = round1(H200_SXM.idleWithContextW - H100_HBM_SAVING_W);

/** Die resistances of a part of the same architecture with another die area (heat spreads over the area). */
export function scaleDieResistances(thermal: GpuThermalParams, fromAreaMm2: number, toAreaMm2: number): GpuThermalParams {
  const k = fromAreaMm2 / toAreaMm2;
  return {
    ...thermal,
    dieBaseResistanceCPerW: thermal.dieBaseResistanceCPerW * k,
    dieComputeResistanceCPerW: thermal.dieComputeResistanceCPerW * k,
    dieMemoryResistanceCPerW: thermal.dieMemoryResistanceCPerW * k,
  };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** MI300X: 5.3 TB/s over eight HBM3 stacks (AMD Instinct MI300X data sheet); no separate HBM3 energy figure, so HBM3e's as for the H100. */
const MI300X_HBM: HbmFigures = {
  peakBandwidthTBps: 5.3,
  stacks: 8,
  busWidthBits: 8 * 1024,
  stackEnergyPjPerBit: HBM3E_STACK_PJ_PER_BIT,
  pathEnergyPjPerBit: HBM3E_PATH_PJ_PER_BIT,
};
/** MI325X: 6 TB/s over eight HBM3E stacks (AMD Instinct MI325X data sheet). */
const MI325X_HBM: HbmFigures = { ...MI300X_HBM, peakBandwidthTBps: 6 };

const MI300X: GpuModelParams = {
  id: 'MI300X',
  vendor: 'amd',
  modelName: 'AMD Instinct MI300X',
  memoryTotalMib: 196592,
  memoryReservedMib: 0,
  contextMemoryMib: 1000,
  powerLimitW: 750,
  minPowerLimitW: 200,
  idleNoContextW: 140,
  idleWithContextW: 170,
  idleMemoryPowerW: 50,
  computeBoundDemandW: 1400,
  memoryBoundW: 520,
  computeMemoryShare: 0.17,
  memoryBoundMemoryShare: 0.47,
  smClockMaxMhz: 2100,
  smClockIdleMhz: 130,
  memClockMhz: 1300,
  clockStepMhz: 10,
  dvfsExponent: 2.5,
  capTargetRatio: 0.988,
  powerAverageWindowS: 1,
  contextReleaseDelayS: 2,
  maxOperatingTempC: 90,
  slowdownTempC: 95,
  shutdownTempC: 100,
  thermal: HOPPER_THERMAL,
  hbm: MI300X_HBM,
  source: '750 W, 192 GB OAM (REFERENCE-NUMBERS.md); the rest estimated from the H200 fit',
};

/**
 * MI325X transferred from the MI300X by what differs between the two (AMD: the same CDNA 3 package, 8 XCDs and 304
 * CUs at up to 2,100 MHz, on the same OAM platform; 256 GB HBM3E at 6 TB/s instead of 192 GB HBM3 at 5.3 TB/s;
 * 1,000 W instead of 750 W typical board power). Never fitted on an MI325X; docs/simulator.md cites the figures.
 * - same dies, clocks and power controller: compute demand, DVFS exponent, cap target and clock range carry over;
 *   die resistances scale with 1 / die area (ratio 1: the same package);
 * - memory: eight stacks either way, 12-high instead of 8-high, so the idle (refresh and standby) memory power scales
 *   with capacity; memory-bound power moves by the idle change plus the traffic power at the new bandwidth
 *   (bandwidth × energy per bit, as for any part); the memory clock by the bandwidth ratio;
 * - the reported VRAM total keeps the MI300X's firmware carve-out below the nominal capacity (16 MiB).
 */
const MI325X_IDLE_MEMORY_EXTRA_W = round1(MI300X.idleMemoryPowerW * (256 / 192 - 1));
const MI300X_CARVE_OUT_MIB = 192 * 1024 - MI300X.memoryTotalMib;

const MI325X: GpuModelParams = {
  ...MI300X,
  id: 'MI325X',
  modelName: 'AMD Instinct MI325X',
  memoryTotalMib: 256 * 1024 - MI300X_CARVE_OUT_MIB,
  powerLimitW: 1000,
  idleNoContextW: round1(MI300X.idleNoContextW + MI325X_IDLE_MEMORY_EXTRA_W),
  idleWithContextW: round1(MI300X.idleWithContextW + MI325X_IDLE_MEMORY_EXTRA_W),
  idleMemoryPowerW: round1(MI300X.idleMemoryPowerW + MI325X_IDLE_MEMORY_EXTRA_W),
  memoryBoundW: round1(MI300X.memoryBoundW + MI325X_IDLE_MEMORY_EXTRA_W + memoryTrafficW(MI325X_HBM, 1) - memoryTrafficW(MI300X_HBM, 1)),
  memClockMhz: Math.round((MI300X.memClockMhz * MI325X_HBM.peakBandwidthTBps) / MI300X_HBM.peakBandwidthTBps),
  // scaleDieResistances with an area ratio of 1 (the same dies): the MI300X's resistances as they are.
  thermal: MI300X.thermal,
  hbm: MI325X_HBM,
  source: '1,000 W, 256 GB HBM3E at 6 TB/s (AMD MI325X data sheet); transferred from the MI300X (same CDNA 3 dies; HBM capacity, bandwidth × energy per bit)',
};

export const GPU_MODELS: Record<GpuModelId, GpuModelParams> = {
  'H200-SXM': H200_SXM,
  'H100-SXM': {
    id: 'H100-SXM',
    vendor: 'nvidia',
    modelName: 'NVIDIA H100 80GB HBM3',
    memoryTotalMib: 81559,
    memoryReservedMib: 585,
    contextMemoryMib: 2400,
    powerLimitW: 700,
    minPowerLimitW: 200,
    idleNoContextW: round1(H200_SXM.idleNoContextW - H100_HBM_SAVING_W),
    idleWithContextW: H100_IDLE_WITH_CONTEXT_W,
    idleMemoryPowerW: round1(H200_SXM.idleMemoryPowerW - H100_HBM_SAVING_W),
    computeBoundDemandW: H200_SXM.computeBoundDemandW,
    memoryBoundW: round1(H100_IDLE_WITH_CONTEXT_W + memoryTrafficW(H100_HBM, 1)),
    computeMemoryShare: 0.17,
    memoryBoundMemoryShare: H200_SXM.memoryBoundMemoryShare,
    smClockMaxMhz: 1980,
    smClockIdleMhz: 345,
    memClockMhz: 2619,
    clockStepMhz: 15,
    dvfsExponent: 2.5,
    capTargetRatio: H200_SXM.capTargetRatio,
    burstCapRatio: H200_SXM.burstCapRatio,
    powerAverageWindowS: 1,
    contextReleaseDelayS: 2,
    maxOperatingTempC: 87,
    slowdownTempC: 89,
    shutdownTempC: 95,
    thermal: scaleDieResistances(HOPPER_THERMAL, GH100_DIE_AREA_MM2, GH100_DIE_AREA_MM2),
    dieAreaMm2: GH100_DIE_AREA_MM2,
    hbm: H100_HBM,
    // Same GH100 die at the same clocks; its context idle power is the H200's at the same reference temperature.
    leakage: H200_SXM.leakage,
    source: 'transferred from the H200 fit (same GH100 die; HBM stacks, bandwidth × energy per bit); not fitted on the H100 captures',
  },
  B200: {
    id: 'B200',
    vendor: 'nvidia',
    modelName: 'NVIDIA B200',
    memoryTotalMib: 183359,
    memoryReservedMib: 700,
    contextMemoryMib: 3000,
    powerLimitW: 1000,
    minPowerLimitW: 200,
    idleNoContextW: 140,
    idleWithContextW: 190,
    idleMemoryPowerW: 60,
    computeBoundDemandW: 1900,
    memoryBoundW: 680,
    computeMemoryShare: 0.17,
    memoryBoundMemoryShare: 0.47,
    smClockMaxMhz: 1965,
    smClockIdleMhz: 345,
    memClockMhz: 3996,
    clockStepMhz: 15,
    dvfsExponent: 2.5,
    capTargetRatio: 0.988,
    powerAverageWindowS: 1,
    contextReleaseDelayS: 2,
    maxOperatingTempC: 87,
    slowdownTempC: 89,
    shutdownTempC: 95,
    thermal: { ...HOPPER_THERMAL, dieComputeResistanceCPerW: 0.025, dieMemoryResistanceCPerW: 0.015, memResistanceCPerW: 0.07 },
    source: '1,000 W limit (secondary sources); all other figures are estimates scaled from the H200 fit',
  },
  GB200: {
    id: 'GB200',
    vendor: 'nvidia',
    modelName: 'NVIDIA GB200',
    memoryTotalMib: 189471,
    memoryReservedMib: 700,
    contextMemoryMib: 3000,
    powerLimitW: 1200,
    minPowerLimitW: 200,
    idleNoContextW: 160,
    idleWithContextW: 220,
    idleMemoryPowerW: 60,
    computeBoundDemandW: 2250,
    memoryBoundW: 760,
    computeMemoryShare: 0.17,
    memoryBoundMemoryShare: 0.47,
    smClockMaxMhz: 1965,
    smClockIdleMhz: 345,
    memClockMhz: 3996,
    clockStepMhz: 15,
    dvfsExponent: 2.5,
    capTargetRatio: 0.988,
    powerAverageWindowS: 1,
    contextReleaseDelayS: 2,
    maxOperatingTempC: 87,
    slowdownTempC: 89,
    shutdownTempC: 95,
    // Liquid cold plate: lower resistance to the coolant than an air heatsink has to air.
    thermal: {
      ...HOPPER_THERMAL,
      sinkResistanceCPerW: 0.006,
      dieComputeResistanceCPerW: 0.022,
      dieMemoryResistanceCPerW: 0.013,
      memResistanceCPerW: 0.06,
    },
    source: '~1,200 W per GPU, 186 GB (secondary sources); the rest estimated from the H200 fit',
  },
  L40S: {
    id: 'L40S',
    vendor: 'nvidia',
    modelName: 'NVIDIA L40S',
    memoryTotalMib: 46068,
    memoryReservedMib: 500,
    contextMemoryMib: 600,
    powerLimitW: 350,
    minPowerLimitW: 100,
    idleNoContextW: 32,
    idleWithContextW: 85,
    idleMemoryPowerW: 12,
    computeBoundDemandW: 620,
    memoryBoundW: 260,
    computeMemoryShare: 0.12,
    memoryBoundMemoryShare: 0.4,
    smClockMaxMhz: 2520,
    smClockIdleMhz: 210,
    memClockMhz: 9001,
    clockStepMhz: 15,
    dvfsExponent: 2.5,
    capTargetRatio: 0.988,
    powerAverageWindowS: 1,
    contextReleaseDelayS: 2,
    maxOperatingTempC: 87,
    slowdownTempC: 89,
    shutdownTempC: 95,
    thermal: {
      ...HOPPER_THERMAL,
      sinkResistanceCPerW: 0.02,
      dieComputeResistanceCPerW: 0.06,
      dieMemoryResistanceCPerW: 0.035,
      memResistanceCPerW: 0.15,
    },
    source: '350 W, 48 GB, PCIe air-cooled (REFERENCE-NUMBERS.md); the rest estimated',
  },
  MI300X: MI300X,
  MI325X: MI325X,
  ...TPU_MODELS,
};

export function gpuModelParams(id: GpuModelId): GpuModelParams {
  const params = GPU_MODELS[id];
  if (!params) throw new Error(`unknown GPU model ${id}`);
  return params;
}
