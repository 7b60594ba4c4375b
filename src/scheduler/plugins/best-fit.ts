import { bestFitShareGpu } from '../gpu';
import type { GpuPickerPlugin, ScorePlugin } from '../plugin';
import type { Snapshot } from '../snapshot';

/**
 * BestFit: prefer the node left with the least free CPU and GPU after the placement (each normalised by the largest
 * node of the cluster, weighted half and half), so big holes stay for big jobs.
 */
export function bestFitScore(): ScorePlugin {
  // Free milli of each node's healthy GPUs, memoised per node version: every decision scores every feasible node.
  const memo = new WeakMap<Snapshot, { version: Int32Array; gpuFree: Float64Array }>();
  return {
    name: 'BestFit',
    score(state, node, i) {
      const snapshot = state.snapshot;
      let cache = memo.get(snapshot);
      if (cache === undefined) {
        cache = { version: new Int32Array(snapshot.nodes.length).fill(-1), gpuFree: new Float64Array(snapshot.nodes.length) };
        memo.set(snapshot, cache);
      }
      let gpuFree: number;
      if (cache.version[i] === snapshot.nodeVersion[i]) gpuFree = cache.gpuFree[i];
      else {
        gpuFree = 0;
        for (let g = 0; g < node.gpus.length; g++) {
          const gpu = node.gpus[g];
          if (gpu.healthy) gpuFree += gpu.freeMilli;
        }
        cache.version[i] = snapshot.nodeVersion[i];
        cache.gpuFree[i] = gpuFree;
      }
      const cpuLeft = (node.cpuMilliFree - state.pod.cpuMilli) / snapshot.maxCpuMilli;
      const gpuLeft = (gpuFree - state.demand.totalMilli) / snapshot.maxGpuMilli;
      return 1 - 0.5 * cpuLeft - 0.5 * gpuLeft;
    },
  };
}

/** Share goes to the GPU with the least free milli that still fits it. */
export function bestFitGpuPicker(): GpuPickerPlugin {
  return {
    name: 'BestFitGpu',
    pickShareGpu: (state, node) => bestFitShareGpu(state, node, state.demand.milliPerGpu),
  };
}
