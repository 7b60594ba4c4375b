import type { FilterPlugin } from '../plugin';

/** CPU and memory of one worker. */
export function cpuMemoryFitFilter(): FilterPlugin {
  return {
    name: 'CpuMemoryFit',
    filter(state, node) {
      if (node.cpuMilliFree < state.pod.cpuMilli) return 'insufficient-cpu';
      if (node.memoryMibFree < state.pod.memoryMib) return 'insufficient-memory';
      return null;
    },
  };
}
