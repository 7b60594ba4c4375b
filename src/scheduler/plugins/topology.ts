import { nvlinkDomainOf } from '../gpu';
import type { FilterPlugin, ScorePlugin } from '../plugin';
import type { SchedNode } from '../types';

function nodeInDomain(node: SchedNode, topology: string, key: string): boolean {
  switch (topology) {
    case 'rack':
      return (node.rackId ?? `node:${node.id}`) === key;
    case 'leaf':
      return (node.leafSwitchId ?? `node:${node.id}`) === key;
    case 'nvlink-domain':
      for (let g = 0; g < node.gpus.length; g++) if (nvlinkDomainOf(node, g) === key) return true;
      return false;
    default:
      return true;
  }
}

/** While a gang is tried inside one domain (NVLink domain, leaf switch or rack), nodes outside it do not fit. */
export function topologyFilter(): FilterPlugin {
  return {
    name: 'Topology',
    filter(state, node) {
      const domain = state.domain;
      if (domain === null) return null;
      return nodeInDomain(node, domain.topology, domain.key) ? null : 'topology';
    },
  };
}

/**
 * Keeps gang members close even when the job did not demand it: same leaf switch as earlier members scores
 * highest, then same rack. Single workers score 0 everywhere (no effect after normalisation).
 */
export function topologyLocalityScore(): ScorePlugin {
  return {
    name: 'TopologyLocality',
    score(state, node) {
      let score = 0;
      for (const member of state.reserved) {
        const other = state.snapshot.nodes[state.snapshot.indexById.get(member.nodeId) ?? -1];
        if (!other) continue;
        if (other.id === node.id) score += 3;
        else if (node.leafSwitchId !== undefined && other.leafSwitchId === node.leafSwitchId) score += 2;
        else if (node.rackId !== undefined && other.rackId === node.rackId) score += 1;
      }
      return score;
    },
  };
}
