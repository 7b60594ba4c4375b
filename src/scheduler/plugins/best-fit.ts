import { bestFitShareGpu } from '../gpu';
import type { GpuPickerPlugin, ScorePlugin } from '../plugin';

/**
 * BestFit: prefer the node left with the least free CPU and GPU after the placement (each normalised by the largest
 * node of the cluster, weighted half and half), so big holes stay for big jobs.
 */
export function bestFitScore(): ScorePlugin {
  return {
    name: 'BestFit',
    score(state, node) {
      const snapshot = state.snapshot;
      let gpuFree = 0;
      for (let g = 0; g < node.gpus.length; g++) {
        const gpu = node.gpus[g];
        if (gpu.healthy) gpuFree += gpu.freeMilli;
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
