import type { FilterPlugin } from '../plugin';

/** A node marked unhealthy (down, draining, failed health check) takes no new work. */
export function nodeHealthFilter(): FilterPlugin {
  return {
    name: 'NodeHealth',
    filter: (_state, node) => (node.healthy ? null : 'node-unhealthy'),
  };
}
