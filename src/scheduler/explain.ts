import { REASON_TEXT, type ReasonCode, type ReasonCounts } from './types';

/**
 * "0/1213 nodes: 800 insufficient GPU, 13 rack power headroom, 4 zone clearance": each node is counted once, under
 * the first filter it failed; biggest groups first.
 */
export function explain(reasons: ReasonCounts, nodeCount: number): string {
  const parts = (Object.entries(reasons) as Array<[ReasonCode, number]>)
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([reason, count]) => `${count} ${REASON_TEXT[reason]}`);
  return `0/${nodeCount} nodes available${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`;
}
