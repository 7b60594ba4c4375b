import type { CycleState, FrameworkHandle, PostFilterPlugin } from '../plugin';
import type { RunningAllocation } from '../types';

export interface PreemptionOptions {
  /** Up to this many candidate victims on a node, every subset is tried (smallest first); beyond, a greedy pass. */
  exactUpTo?: number;
}

function evict(state: CycleState, victims: RunningAllocation[], sign: 1 | -1): void {
  for (const v of victims) for (const w of v.workers) state.snapshot.adjust(w, sign === 1 ? -1 : 1);
}

function fitsWithout(state: CycleState, fw: FrameworkHandle, nodeIndex: number, victims: RunningAllocation[]): boolean {
  evict(state, victims, 1);
  const ok = fw.runFilters(state, state.snapshot.nodes[nodeIndex], nodeIndex) === null;
  evict(state, victims, -1);
  return ok;
}

/** Orders victim sets: fewer pods, then lower highest priority, then lower priority sum, then fewer GPUs lost. */
function cost(victims: RunningAllocation[]): [number, number, number, number] {
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  let gpuMilli = 0;
  for (const v of victims) {
    max = Math.max(max, v.priority);
    sum += v.priority;
    for (const w of v.workers) gpuMilli += w.milliPerGpu * w.gpuIndices.length;
  }
  return [victims.length, max, sum, gpuMilli];
}

function cheaper(a: RunningAllocation[], b: RunningAllocation[] | null): boolean {
  if (b === null) return true;
  const ca = cost(a);
  const cb = cost(b);
  for (let k = 0; k < ca.length; k++) if (ca[k] !== cb[k]) return ca[k] < cb[k];
  return false;
}

function minimalVictims(
  state: CycleState,
  fw: FrameworkHandle,
  nodeIndex: number,
  candidates: RunningAllocation[],
  exactUpTo: number,
): RunningAllocation[] | null {
  if (!fitsWithout(state, fw, nodeIndex, candidates)) return null;
  const n = candidates.length;
  if (n <= exactUpTo) {
    // Smallest subsets first: the first size with a fitting subset is the minimum; pick its cheapest member.
    for (let size = 1; size <= n; size++) {
      let best: RunningAllocation[] | null = null;
      for (let mask = 1; mask < 1 << n; mask++) {
        let bits = 0;
        for (let m = mask; m; m &= m - 1) bits++;
        if (bits !== size) continue;
        const subset = candidates.filter((_, k) => mask & (1 << k));
        if (cheaper(subset, best) && fitsWithout(state, fw, nodeIndex, subset)) best = subset;
      }
      if (best) return best;
    }
    return candidates;
  }
  // Greedy: evict every candidate, then spare them again from the most important down while the pod still fits.
  const byPriorityDesc = [...candidates].sort((a, b) => b.priority - a.priority);
  let victims = byPriorityDesc;
  for (const spare of byPriorityDesc) {
    const without = victims.filter((v) => v !== spare);
    if (fitsWithout(state, fw, nodeIndex, without)) victims = without;
  }
  return victims;
}

/**
 * PostFilter: when nothing fits, find the node where evicting the fewest lower-priority, preemptible pods makes the
 * worker fit, and return the placement together with those victims. Single-worker pods only: a gang that does not
 * fit waits rather than evicting (evicting for a gang that then still fails would be pure loss).
 */
export function preemptionPostFilter(options: PreemptionOptions = {}): PostFilterPlugin {
  const exactUpTo = options.exactUpTo ?? 10;
  return {
    name: 'Preemption',
    postFilter(state, fw) {
      if (state.workers !== 1) return null;
      const snapshot = state.snapshot;
      const candidatesByNode = new Map<number, RunningAllocation[]>();
      for (const alloc of snapshot.allocations.values()) {
        if (!alloc.preemptible || alloc.priority >= state.pod.priority) continue;
        for (const w of alloc.workers) {
          const i = snapshot.indexById.get(w.nodeId);
          if (i === undefined) continue;
          const list = candidatesByNode.get(i) ?? [];
          if (!list.includes(alloc)) list.push(alloc);
          candidatesByNode.set(i, list);
        }
      }
      let bestNode = -1;
      let bestVictims: RunningAllocation[] | null = null;
      for (const [i, candidates] of candidatesByNode) {
        const victims = minimalVictims(state, fw, i, candidates, exactUpTo);
        if (victims && cheaper(victims, bestVictims)) {
          bestNode = i;
          bestVictims = victims;
        }
      }
      if (bestVictims === null) return null;
      evict(state, bestVictims, 1);
      state.worker = 0;
      const placed = fw.placeWorker(state, [bestNode]);
      const decision = placed === null ? null : fw.bind(state);
      fw.unreserveAll(state);
      evict(state, bestVictims, -1);
      if (decision) decision.victims = bestVictims.map((v) => v.podId);
      return decision;
    },
  };
}
