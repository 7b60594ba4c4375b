import type { FilterPlugin } from '../plugin';

/**
 * Inference replicas on separate servers (or racks, where the job asks), so one server or rack failure cannot take the
 * whole service down: a node is out when it, or its rack, already holds a replica of the service, placed earlier or
 * reserved in this cycle. Other kinds of jobs, and services that ask for no spread, pass.
 */
export function replicaSpreadFilter(): FilterPlugin {
  return {
    name: 'ReplicaSpread',
    filter(state, node) {
      const spread = state.pod.replicaSpread ?? 'server';
      if (state.pod.kind !== 'inference' || spread === 'none') return null;
      const taken = [...(state.pod.replicaNodeIds ?? []), ...state.reserved.map((w) => w.nodeId)];
      for (const nodeId of taken) {
        if (nodeId === node.id) return 'replica-spread';
        if (spread === 'rack' && node.rackId !== undefined) {
          const other = state.snapshot.nodes[state.snapshot.indexById.get(nodeId) ?? -1];
          if (other?.rackId === node.rackId) return 'replica-spread';
        }
      }
      return null;
    },
  };
}
