import type { FilterPlugin } from '../plugin';

/** Every watt drawn becomes a watt of heat: the rack's cooling must be able to remove the worker's draw. */
export function coolingHeadroomFilter(): FilterPlugin {
  return {
    name: 'CoolingHeadroom',
    filter(state, node) {
      if (node.coolingHeadroomW === undefined || state.workerPowerW <= 0) return null;
      return state.workerPowerW <= node.coolingHeadroomW ? null : 'cooling-headroom';
    },
  };
}
