import type { ScorePlugin } from '../plugin';

/**
 * Spread power over racks: prefer the rack keeping the most headroom after the placement, so no rack (or feed) is
 * driven to its limit while others idle.
 */
export function powerBalanceScore(): ScorePlugin {
  return {
    name: 'PowerBalance',
    score: (state, node) => (node.powerHeadroomW === undefined ? 0 : node.powerHeadroomW - state.workerPowerW),
  };
}
