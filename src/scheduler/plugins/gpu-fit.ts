import { hasShareRoom, modelAllowed, usableWholeGpus } from '../gpu';
import type { FilterPlugin } from '../plugin';

/**
 * GPU model, GPU memory, and room for the worker's GPUs: k fully free GPUs (on one NVLink domain when the topology
 * asks for it), or one GPU with the share free. When the room exists only on unhealthy GPUs the reason says so.
 */
export function gpuFitFilter(): FilterPlugin {
  return {
    name: 'GpuFit',
    filter(state, node) {
      const demand = state.demand;
      if (demand.mode === 'none') return null;
      const pod = state.pod;
      if (!modelAllowed(pod.gpuModels, node.gpuModel)) return 'gpu-model';
      if (pod.gpuMemoryGib !== undefined && pod.gpuMemoryGib > 0) {
        // A node advertises the memory per GPU; unknown memory is not assumed to be enough.
        const memoryGib = node.gpus[0]?.memoryGib;
        if (memoryGib === undefined || memoryGib < pod.gpuMemoryGib) return 'gpu-memory';
      }
      if (demand.mode === 'share') {
        if (hasShareRoom(state, node, demand.milliPerGpu)) return null;
        return hasShareRoom(state, node, demand.milliPerGpu, true) ? 'gpu-unhealthy' : 'insufficient-gpu';
      }
      if (usableWholeGpus(state, node) >= demand.gpuCount) return null;
      return usableWholeGpus(state, node, true) >= demand.gpuCount ? 'gpu-unhealthy' : 'insufficient-gpu';
    },
  };
}
