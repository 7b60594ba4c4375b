// Every assumption the scheduler service makes where the inventory has no number, in one place.
// Change a value here and the snapshot, the API defaults and the docs follow.

import type { ZoneLevel } from '@/scheduler';

/**
 * CPU and memory a server offers to jobs when the inventory does not record them (it does not yet).
 * HGX-class servers (8 GPUs): 2 × 112-core CPUs and 2 TiB, as a DGX H100 / XE9680; NVL72 compute trays: 2 Grace CPUs
 * (72 cores each) and 960 GB LPDDR5X. Matched by accelerator count, the best proxy we have for the server class.
 */
export const SERVER_RESOURCES_BY_GPU_COUNT: ReadonlyArray<{ minGpus: number; cpuCores: number; memoryGib: number }> = [
  { minGpus: 8, cpuCores: 224, memoryGib: 2048 },
  { minGpus: 4, cpuCores: 144, memoryGib: 960 },
  { minGpus: 0, cpuCores: 64, memoryGib: 512 },
];

export function serverResources(gpuCount: number): { cpuMilli: number; memoryMib: number } {
  const row = SERVER_RESOURCES_BY_GPU_COUNT.find((r) => gpuCount >= r.minGpus) ?? SERVER_RESOURCES_BY_GPU_COUNT.at(-1)!;
  return { cpuMilli: row.cpuCores * 1000, memoryMib: row.memoryGib * 1024 };
}

/**
 * CPU and memory a job gets per GPU when it names none: the least per-GPU share any server of the given GPU counts
 * offers (so the job fits on every one of them), times the GPUs a worker holds (a share counts as its fraction).
 * `serverGpuCounts` are the GPU counts of the servers the job could run on; with none, an 8-GPU server is assumed.
 */
export function defaultWorkerResources(serverGpuCounts: readonly number[], gpusPerWorker: number, gpuMilli: number): { cpuMilli: number; memoryMib: number } {
  const counts = serverGpuCounts.filter((n) => n > 0);
  const perGpu = (counts.length ? counts : [8]).map((n) => {
    const server = serverResources(n);
    return { cpuMilli: server.cpuMilli / n, memoryMib: server.memoryMib / n };
  });
  const gpus = gpuMilli > 0 ? gpuMilli / 1000 : gpusPerWorker;
  return {
    cpuMilli: Math.floor(Math.min(...perGpu.map((p) => p.cpuMilli)) * gpus),
    memoryMib: Math.floor(Math.min(...perGpu.map((p) => p.memoryMib)) * gpus),
  };
}

/** Expected draw of one fully used GPU by job kind, W, when the submitter gives none (H100-class SXM figures). */
export const DEFAULT_POWER_W_PER_GPU: Record<'training' | 'inference' | 'batch', number> = {
  training: 700, // training runs near the power limit
  inference: 450, // serving is bursty and memory-bound
  batch: 550,
};

/**
 * What a server draws with no job on it, W: its typical draw minus its GPUs at full TDP, plus the GPUs idling at
 * GPU_IDLE_FRACTION of TDP. This is the allocated-power floor per server handed to the power-chain analysis; jobs
 * add their expected draw on top. Without it every unallocated server would count at nameplate.
 */
export const GPU_IDLE_FRACTION = 0.1;
/** Used when a device type has no typical power: this share of nameplate. */
export const TYPICAL_OF_NAMEPLATE = 0.75;

export function serverIdleFloorW(type: { nameplatePowerW: number; typicalPowerW: number }, gpuCount: number, gpuTdpW: number | null): number {
  const typicalW = type.typicalPowerW > 0 ? type.typicalPowerW : type.nameplatePowerW * TYPICAL_OF_NAMEPLATE;
  const tdpW = gpuTdpW ?? 0;
  return Math.max(0, typicalW - gpuCount * tdpW) + gpuCount * tdpW * GPU_IDLE_FRACTION;
}

/** Security-zone access levels as the scheduler's 0..3; a rack without a zone inherits its hall's; none at all is 0. */
export const ZONE_LEVEL: Record<'public' | 'restricted' | 'secure' | 'critical', ZoneLevel> = {
  public: 0,
  restricted: 1,
  secure: 2,
  critical: 3,
};

/** The pure scheduler's profile the service runs. */
export const SCHEDULER_PROFILE = 'plenum';

/** How often the loop runs, ms. Scheduled jobs start on the next tick. */
export const SCHEDULER_INTERVAL_MS = 1000;

/** Advisory-lock key for the one active scheduler (migrations use 7041977, the seed 7041978). */
export const SCHEDULER_LEADER_LOCK_KEY = 7_041_979;
