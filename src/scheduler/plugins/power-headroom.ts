import type { FilterPlugin } from '../plugin';

/**
 * The worker's expected draw must fit the rack's power headroom (the caller computes the headroom along the whole
 * chain, A/B failover included). Nodes without the information are not limited.
 */
export function powerHeadroomFilter(): FilterPlugin {
  return {
    name: 'RackPowerHeadroom',
    filter(state, node) {
      if (node.powerHeadroomW === undefined || state.workerPowerW <= 0) return null;
      return state.workerPowerW <= node.powerHeadroomW ? null : 'rack-power-headroom';
    },
  };
}
