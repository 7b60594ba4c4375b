import type { ScorePlugin } from '../plugin';

/**
 * Inference replicas survive a rack or feed failure only when they are spread: penalise the racks and feed sides
 * already holding replicas of the same job. Other kinds of jobs score 0 (no effect).
 */
export function spreadScore(): ScorePlugin {
  return {
    name: 'Spread',
    score(state, node) {
      if (state.pod.kind !== 'inference' || state.reserved.length === 0) return 0;
      let penalty = 0;
      for (const member of state.reserved) {
        const other = state.snapshot.nodes[state.snapshot.indexById.get(member.nodeId) ?? -1];
        if (!other) continue;
        if (other.id === node.id) penalty += 4;
        if (node.rackId !== undefined && other.rackId === node.rackId) penalty += 2;
        if (node.feedSide !== undefined && other.feedSide === node.feedSide) penalty += 1;
      }
      return -penalty;
    },
  };
}
