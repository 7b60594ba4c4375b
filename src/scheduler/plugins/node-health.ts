import type { FilterPlugin } from '../plugin';

/**
 * A node marked unhealthy (down, draining, failed health check) takes no new work, nor does one with an open critical
 * alert on it or its rack, nor one its job engine drained or cordoned. Failed GPUs are the GPU filters' business: the rest of the node stays usable.
 */
export function nodeHealthFilter(): FilterPlugin {
  return {
    name: 'NodeHealth',
    filter: (_state, node) => (!node.healthy ? 'node-unhealthy' : node.criticalAlert ? 'critical-alert' : node.engineUnavailable !== undefined ? 'engine-unavailable' : null),
  };
}
