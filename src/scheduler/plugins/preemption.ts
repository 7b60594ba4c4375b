import type { CycleState, FrameworkHandle, PostFilterPlugin } from '../plugin';
import type { PlacementDecision, RunningAllocation } from '../types';

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

function gangFits(state: CycleState, fw: FrameworkHandle): boolean {
  const ok = fw.placeGang(state);
  fw.unreserveAll(state);
  return ok;
}

/** Up to this many lower-priority pods, a gang's sparing pass considers every one of them. */
const GANG_SPARE_ALL_UP_TO = 64;

/**
 * A gang's victims may sit anywhere in the cluster, so the per-node search does not apply. Evict every candidate;
 * if the gang then fits, spare candidates again, most important (then largest) first, while it still fits. What is
 * left is minimal: sparing any one more victim would leave the gang unplaceable. With many candidates, only the pods
 * on the nodes the gang took with everyone evicted are considered (all of them if rack power needs more), so the
 * pass stays a few dozen placements long.
 */
function minimalGangVictims(state: CycleState, fw: FrameworkHandle, lower: RunningAllocation[]): RunningAllocation[] | null {
  evict(state, lower, 1);
  if (!fw.placeGang(state)) {
    fw.unreserveAll(state);
    evict(state, lower, -1);
    return null;
  }
  const taken = new Set(state.reserved.map((w) => w.nodeId));
  fw.unreserveAll(state);
  let candidates = lower;
  if (lower.length > GANG_SPARE_ALL_UP_TO) {
    evict(state, lower, -1);
    candidates = lower.filter((a) => a.workers.some((w) => taken.has(w.nodeId)));
    evict(state, candidates, 1);
    if (!gangFits(state, fw)) {
      evict(state, candidates, -1);
      candidates = lower;
      evict(state, candidates, 1);
    }
  }
  const gpuMilli = (a: RunningAllocation) => cost([a])[3];
  const spareOrder = [...candidates].sort((a, b) => b.priority - a.priority || gpuMilli(b) - gpuMilli(a));
  const victims = new Set(candidates);
  for (const spare of spareOrder) {
    evict(state, [spare], -1);
    if (gangFits(state, fw)) victims.delete(spare);
    else evict(state, [spare], 1);
  }
  const chosen = candidates.filter((c) => victims.has(c));
  evict(state, chosen, -1);
  return chosen;
}

/** Places the pod with the victims evicted, then puts them back: the caller commits the decision. */
function placeWithout(state: CycleState, fw: FrameworkHandle, victims: RunningAllocation[], nodeIndex: number | null): PlacementDecision | null {
  evict(state, victims, 1);
  state.worker = 0;
  const placed = nodeIndex === null ? fw.placeGang(state) : fw.placeWorker(state, [nodeIndex]) !== null;
  const decision = placed ? fw.bind(state) : null;
  fw.unreserveAll(state);
  evict(state, victims, -1);
  if (decision) decision.victims = victims.map((v) => v.podId);
  return decision;
}

/**
 * PostFilter: when nothing fits, find the fewest lower-priority, preemptible pods whose eviction makes the pod fit,
 * and return the placement together with those victims. A single worker looks node by node for the cheapest exact
 * set; a gang gets a minimal set across the cluster (see minimalGangVictims).
 */
export function preemptionPostFilter(options: PreemptionOptions = {}): PostFilterPlugin {
  const exactUpTo = options.exactUpTo ?? 10;
  return {
    name: 'Preemption',
    postFilter(state, fw) {
      const snapshot = state.snapshot;
      const lower = [...snapshot.allocations.values()].filter((a) => a.preemptible && a.priority < state.pod.priority);
      if (lower.length === 0) return null;
      if (state.workers !== 1) {
        const victims = minimalGangVictims(state, fw, lower);
        return victims ? placeWithout(state, fw, victims, null) : null;
      }
      const candidatesByNode = new Map<number, RunningAllocation[]>();
      for (const alloc of lower) {
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
      return bestVictims === null ? null : placeWithout(state, fw, bestVictims, bestNode);
    },
  };
}
