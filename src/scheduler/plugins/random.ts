import { gpuInScope, shareFits } from '../gpu';
import type { GpuPickerPlugin, ScorePlugin } from '../plugin';

/** Uniformly random node among the feasible ones (seeded by the scheduler's random source). */
export function randomScore(): ScorePlugin {
  return {
    name: 'Random',
    score: (state) => state.rng(),
  };
}

/** Uniformly random GPU among those the share fits. */
export function randomGpuPicker(): GpuPickerPlugin {
  return {
    name: 'RandomGpu',
    pickShareGpu(state, node) {
      let chosen = -1;
      let seen = 0;
      for (let g = 0; g < node.gpus.length; g++) {
        const gpu = node.gpus[g];
        if (!gpu.healthy || !shareFits(gpu, state.demand.milliPerGpu) || !gpuInScope(state, node, g)) continue;
        seen++;
        if (state.rng() * seen < 1) chosen = g;
      }
      return chosen;
    },
  };
}
