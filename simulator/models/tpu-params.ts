/**
 * Google TPU chips as the simulator models them: the same power / thermal model as a GPU (models/gpu.ts: power from
 * busy time and compute vs memory share, a power ceiling, an RC thermal network over the inlet air or coolant), with
 * per-generation figures. Google publishes HBM capacity, chips per host and clocks, but no per-chip power for any
 * generation after v4; every figure marked "assumed" is a placeholder chosen to be plausible, not a measurement
 * (docs/simulator.md, "TPU hosts", lists them).
 */
import type { GpuModelParams, GpuThermalParams } from './gpu-params';

export type TpuModelId = 'TPU-v4' | 'TPU-v5e' | 'TPU-v5p' | 'TPU-v6e';

export const TPU_MODEL_IDS: readonly TpuModelId[] = ['TPU-v4', 'TPU-v5e', 'TPU-v5p', 'TPU-v6e'];

/** How a generation sits on its hosts and how GKE names it (label `model` of the device plugin's series). */
export interface TpuHostShape {
  chipsPerHost: number;
  /** The host's block of chips as the device plugin writes `tpu_topology` for a one-host slice. */
  hostTopology: string;
  /** GKE accelerator type (node label cloud.google.com/gke-tpu-accelerator), the device plugin's `model` label. */
  gkeAccelerator: string;
}

export const TPU_HOST_SHAPES: Record<TpuModelId, TpuHostShape> = {
  'TPU-v4': { chipsPerHost: 4, hostTopology: '2x2x1', gkeAccelerator: 'tpu-v4-podslice' },
  'TPU-v5e': { chipsPerHost: 8, hostTopology: '2x4', gkeAccelerator: 'tpu-v5-lite-podslice' },
  'TPU-v5p': { chipsPerHost: 4, hostTopology: '2x2x1', gkeAccelerator: 'tpu-v5p-slice' },
  'TPU-v6e': { chipsPerHost: 8, hostTopology: '2x4', gkeAccelerator: 'tpu-v6e-slice' },
};

export function isTpuModel(id: string | undefined): id is TpuModelId {
  return id !== undefined && (TPU_MODEL_IDS as readonly string[]).includes(id);
}

/** Cold plate to coolant (v4 / v5p are liquid-cooled); the die and HBM resistances are assumed, scaled to chip power. */
const TPU_THERMAL: GpuThermalParams = {
  sinkResistanceCPerW: 0.012,
  sinkTauS: 4,
  dieBaseResistanceCPerW: 0.05,
  dieComputeResistanceCPerW: 0.06,
  dieMemoryResistanceCPerW: 0.03,
  dieTauS: 0.15,
  memResistanceCPerW: 0.15,
  memTauS: 5,
  sensorOffsetC: 4,
};

/** The shape every generation shares: what the GPU model needs that a TPU does not report (clock steps, window). */
const COMMON = {
  vendor: 'google' as const,
  memoryReservedMib: 0,
  contextMemoryMib: 512,
  computeMemoryShare: 0.2,
  memoryBoundMemoryShare: 0.5,
  clockStepMhz: 25,
  dvfsExponent: 2.5,
  capTargetRatio: 0.98,
  powerAverageWindowS: 1,
  contextReleaseDelayS: 2,
  maxOperatingTempC: 85,
  slowdownTempC: 90,
  shutdownTempC: 100,
  thermal: TPU_THERMAL,
};

export const TPU_MODELS: Record<TpuModelId, GpuModelParams> = {
  'TPU-v4': {
    ...COMMON,
    id: 'TPU-v4',
    modelName: 'TPU v4',
    memoryTotalMib: 32 * 1024,
    powerLimitW: 192,
    minPowerLimitW: 90,
    idleNoContextW: 90,
    idleWithContextW: 100,
    idleMemoryPowerW: 20,
    computeBoundDemandW: 215,
    memoryBoundW: 150,
    smClockMaxMhz: 1050,
    smClockIdleMhz: 300,
    memClockMhz: 1200,
    source: '32 GiB HBM2, 1,050 MHz (Google Cloud TPU v4 docs); 90 W min, 170 W mean, 192 W max per chip (Jouppi et al., ISCA 2023); the split between compute and memory power is assumed',
  },
  'TPU-v5e': {
    ...COMMON,
    id: 'TPU-v5e',
    modelName: 'TPU v5e',
    memoryTotalMib: 16 * 1024,
    powerLimitW: 170,
    minPowerLimitW: 60,
    idleNoContextW: 60,
    idleWithContextW: 70,
    idleMemoryPowerW: 12,
    computeBoundDemandW: 190,
    memoryBoundW: 120,
    smClockMaxMhz: 1500,
    smClockIdleMhz: 300,
    memClockMhz: 1600,
    source: '16 GiB HBM2, 8 chips per host (Google Cloud TPU v5e docs); clocks and power figures assumed (Google publishes no power)',
  },
  'TPU-v5p': {
    ...COMMON,
    id: 'TPU-v5p',
    modelName: 'TPU v5p',
    memoryTotalMib: 95 * 1024,
    powerLimitW: 300,
    minPowerLimitW: 110,
    idleNoContextW: 110,
    idleWithContextW: 125,
    idleMemoryPowerW: 35,
    computeBoundDemandW: 340,
    memoryBoundW: 220,
    smClockMaxMhz: 1750,
    smClockIdleMhz: 300,
    memClockMhz: 1600,
    source: '95 GiB HBM2e, 4 chips per host (Google Cloud TPU v5p docs); clocks and power figures assumed (Google publishes no power)',
  },
  'TPU-v6e': {
    ...COMMON,
    id: 'TPU-v6e',
    modelName: 'TPU v6e',
    memoryTotalMib: 32 * 1024,
    powerLimitW: 280,
    minPowerLimitW: 90,
    idleNoContextW: 90,
    idleWithContextW: 100,
    idleMemoryPowerW: 20,
    computeBoundDemandW: 320,
    memoryBoundW: 190,
    smClockMaxMhz: 1750,
    smClockIdleMhz: 300,
    memClockMhz: 1600,
    source: '32 GiB HBM, 8 chips per host (Google Cloud TPU v6e docs); clocks and power figures assumed (Google publishes no power)',
  },
};
