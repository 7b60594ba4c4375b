// A faithful port of the FGD policy as the FGD paper's simulator runs it (Weng et al., USENIX ATC'23; the public
// kubernetes-scheduler-simulator), the baseline Plenum's profile is compared against. What makes it faithful, beyond
// the fragmentation measure itself (TypicalWorkload's 'fgd' measure):
//  - typical pods: shapes keyed by (CPU, GPU share or count, GPU model), most popular first, kept until they cover
//    95 % of the pods; each weighs its share of ALL pods (the kept weights sum to ~0.95, not 1);
//  - score: Δ = fragmentation before − after (negative when the node fragments), truncated to an integer,
//    int64(100·sigmoid(Δ/1000)), so many nodes tie;
//  - a GPU share goes to the lowest-index GPU among those with the best integer score;
//  - equal node scores go to the node with the lowest name; node names carry a per-seed random prefix (see
//    openb.ts nodeNamePrefixes), so the tie order is random per seed but fixed within a run.

import {
  type CycleState,
  type GpuPickerPlugin,
  MILLI_PER_GPU,
  type PluginRegistry,
  type ProfileSpec,
  type SchedNode,
  type ShapeSample,
  type ScorePlugin,
  type Snapshot,
  TypicalWorkload,
  defaultRegistry,
} from '../../src/scheduler';

export const FGD_SCORE_MAX = 100;

/** The simulator's node score for a fragmentation change: int64(100·sigmoid((before − after)/1000)). */
export function fgdIntegerScore(fragBeforeMilli: number, fragAfterMilli: number): number {
  const x = (fragBeforeMilli - fragAfterMilli) / 1000;
  return Math.trunc(FGD_SCORE_MAX / (1 + Math.exp(-x)));
}

/**
 * The score of one node for one worker and the GPU a share would take there (-1 for whole GPUs and CPU-only pods).
 * `free` holds the node's per-GPU free milli and is restored before returning.
 */
export function fgdNodeScore(
  workload: TypicalWorkload,
  gpuModel: string,
  cpuMilliFree: number,
  memoryMibFree: number,
  free: Int32Array | number[],
  gpuCount: number,
  pod: { cpuMilli: number; memoryMib: number; mode: 'none' | 'share' | 'whole'; gpuCount: number; milliPerGpu: number },
  inScope: (g: number) => boolean = () => true,
): { score: number; gpu: number } {
  const before = workload.fragmentationMilli(gpuModel, cpuMilliFree, memoryMibFree, free, gpuCount);
  const cpuAfter = cpuMilliFree - pod.cpuMilli;
  const memAfter = memoryMibFree - pod.memoryMib;
  if (pod.mode === 'share') {
    let bestScore = -1;
    let bestGpu = -1;
    for (let g = 0; g < gpuCount; g++) {
      const f = free[g];
      if (f < pod.milliPerGpu || !inScope(g)) continue;
      free[g] = f - pod.milliPerGpu;
      const score = fgdIntegerScore(before, workload.fragmentationMilli(gpuModel, cpuAfter, memAfter, free, gpuCount));
      free[g] = f;
      if (score > bestScore) {
        bestScore = score; // strictly better only: the lowest index wins among equals
        bestGpu = g;
      }
    }
    return { score: bestScore, gpu: bestGpu };
  }
  // Whole GPUs: which fully free GPUs are taken does not change the measure (it depends on the multiset of free milli).
  const taken: number[] = [];
  for (let g = 0; g < gpuCount && taken.length < (pod.mode === 'whole' ? pod.gpuCount : 0); g++) {
    if (free[g] >= MILLI_PER_GPU && inScope(g)) taken.push(g);
  }
  for (const g of taken) free[g] = 0;
  const after = workload.fragmentationMilli(gpuModel, cpuAfter, memAfter, free, gpuCount);
  for (const g of taken) free[g] = MILLI_PER_GPU;
  return { score: fgdIntegerScore(before, after), gpu: -1 };
}

interface Memo {
  version: Int32Array;
  score: Int32Array;
  gpu: Int16Array;
}

/** Score + GPU picker plugin; results memoised per (node version, pod shape) as the production plugin does. */
export function fgdReferencePlugin(workload: TypicalWorkload): ScorePlugin & GpuPickerPlugin {
  const memos = new WeakMap<Snapshot, Map<string, Memo>>();
  const free = new Int32Array(256);

  function evaluate(state: CycleState, node: SchedNode, i: number): Memo | null {
    const snapshot = state.snapshot;
    const d = state.demand;
    const n = node.gpus.length;
    for (let g = 0; g < n; g++) free[g] = node.gpus[g].healthy ? node.gpus[g].freeMilli : 0;
    const pod = { cpuMilli: state.pod.cpuMilli, memoryMib: state.pod.memoryMib, mode: d.mode, gpuCount: d.gpuCount, milliPerGpu: d.milliPerGpu };
    if (state.domain !== null) return null; // openb pods have no topology; no memo for domain-scoped GPUs
    let byShape = memos.get(snapshot);
    if (!byShape) {
      byShape = new Map();
      memos.set(snapshot, byShape);
    }
    const key = `${pod.cpuMilli}|${pod.memoryMib}|${d.mode}|${d.gpuCount}|${d.milliPerGpu}`;
    let memo = byShape.get(key);
    if (!memo) {
      const count = snapshot.nodes.length;
      memo = { version: new Int32Array(count).fill(-1), score: new Int32Array(count), gpu: new Int16Array(count) };
      byShape.set(key, memo);
    }
    if (memo.version[i] !== snapshot.nodeVersion[i]) {
      const r = fgdNodeScore(workload, node.gpuModel, node.cpuMilliFree, node.memoryMibFree, free, n, pod);
      memo.version[i] = snapshot.nodeVersion[i];
      memo.score[i] = r.score;
      memo.gpu[i] = r.gpu;
    }
    return memo;
  }

  return {
    name: 'FgdReference',
    score(state, node, i) {
      const memo = evaluate(state, node, i);
      if (memo) return memo.score[i];
      const d = state.demand;
      const pod = { cpuMilli: state.pod.cpuMilli, memoryMib: state.pod.memoryMib, mode: d.mode, gpuCount: d.gpuCount, milliPerGpu: d.milliPerGpu };
      return fgdNodeScore(workload, node.gpuModel, node.cpuMilliFree, node.memoryMibFree, free, node.gpus.length, pod).score;
    },
    pickShareGpu(state, node, i) {
      const memo = evaluate(state, node, i);
      if (memo) return memo.gpu[i];
      const d = state.demand;
      const pod = { cpuMilli: state.pod.cpuMilli, memoryMib: state.pod.memoryMib, mode: d.mode, gpuCount: d.gpuCount, milliPerGpu: d.milliPerGpu };
      return fgdNodeScore(workload, node.gpuModel, node.cpuMilliFree, node.memoryMibFree, free, node.gpus.length, pod).gpu;
    },
  };
}

/** The typical pods of the published simulator: 95 % coverage, weights as shares of all pods, CPU-only pods included. */
export function fgdTypicalWorkload(samples: Iterable<ShapeSample>): TypicalWorkload {
  return TypicalWorkload.fromSamples(samples, { coverage: 0.95, measure: 'fgd', normalise: false });
}

export const FGD_REFERENCE_PROFILE: ProfileSpec = {
  name: 'fgd',
  filters: ['NodeHealth', 'GpuFit', 'CpuMemoryFit'],
  scores: [{ plugin: 'FgdReference', weight: 1 }],
  gpuPicker: 'FgdReference',
  permits: ['Gang'],
  tieBreak: 'name',
};

/** The production registry plus the reference plugin, bound to one typical workload. */
export function fgdRegistry(workload: TypicalWorkload): PluginRegistry {
  return defaultRegistry().register('FgdReference', () => fgdReferencePlugin(workload));
}
