// AMD compute partitions as the scheduler's GPUs: a partitioned GPU becomes one logical device per partition, each
// with its share of the memory, in the physical GPU's scale-up (XGMI) domain. Placement then needs no special case
// for "N GPUs": a job asking for N GPUs on a CPX node gets N partitions.

import { MILLI_PER_GPU } from './snapshot';
import type { GpuDevice } from './types';

export interface PartitionedGpu {
  uuid?: string;
  healthy: boolean;
  nvlinkDomain?: string;
  /** Memory of the whole physical GPU. */
  memoryGib?: number;
  /** Partitions of this GPU in its compute mode (SPX 1, DPX 2, QPX 4, CPX 8). */
  partitions: number;
  /** Partition indices some allocation holds now. */
  heldPartitions: ReadonlySet<number>;
}

/** The logical devices of a node's partitioned GPUs, GPU by GPU, partitions in index order. */
export function partitionDevices(gpus: readonly PartitionedGpu[]): GpuDevice[] {
  const devices: GpuDevice[] = [];
  gpus.forEach((gpu, position) => {
    if (!Number.isInteger(gpu.partitions) || gpu.partitions < 1 || gpu.partitions > 8) {
      throw new Error(`GPU ${gpu.uuid ?? position}: partitions must be an integer from 1 to 8, got ${gpu.partitions}`);
    }
    for (let p = 0; p < gpu.partitions; p++) {
      devices.push({
        index: devices.length,
        ...(gpu.uuid === undefined ? {} : { uuid: gpu.uuid }),
        freeMilli: gpu.heldPartitions.has(p) ? 0 : MILLI_PER_GPU,
        healthy: gpu.healthy,
        ...(gpu.nvlinkDomain === undefined ? {} : { nvlinkDomain: gpu.nvlinkDomain }),
        ...(gpu.memoryGib === undefined ? {} : { memoryGib: gpu.memoryGib / gpu.partitions }),
        partition: { gpu: position, index: p, count: gpu.partitions },
      });
    }
  });
  return devices;
}
