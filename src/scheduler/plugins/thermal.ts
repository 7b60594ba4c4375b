import type { ScorePlugin } from '../plugin';

/** Prefer racks whose cooling keeps the most headroom after the worker's heat is added. */
export function thermalHeadroomScore(): ScorePlugin {
  return {
    name: 'ThermalHeadroom',
    score: (state, node) =>
      node.coolingHeadroomW === undefined ? 0 : node.coolingHeadroomW - state.workerPowerW,
  };
}
