// Workload variants of the openb trace, made the way the FGD paper made its own (gpushareXX, multigpuXX, cpuXXX,
// gpuspecXX): start from the default pod list and re-sample pods of one kind until that kind reaches a target share,
// over the ranges the paper varies. The files the paper published are five of these; the others are generated here,
// with a fixed generator seed per split, so the profile can be tuned on one split and reported on another.
//
//   gpushareX  GPU-sharing pods make X % of the GPU request (default trace: 28.5 %): whole-GPU pods are replaced by
//              sharing pods drawn from the trace (or the reverse when X is below the default).
//   multigpuX  multi-GPU pods (2, 4, 8 GPUs) make X % of the GPU request (default 7.3 %): single-GPU and sharing
//              pods are replaced by multi-GPU pods drawn from the trace.
//   cpuX       the CPU-only pods request X % of the CPU that the published cpu100 file's CPU-only pods request
//              (14,054 cores; the default trace has 137 %): CPU-only pods are drawn from the trace or removed.
//   gpuspecX   X % of the GPU pods may only run on particular GPU models (default 0 %): pods are picked at random and
//              given a model list drawn from the lists the published gpuspec10 file uses, among those lists with a
//              node that can hold the pod.

import { type TraceNode, type TracePod, podGpuMilliOf } from './openb';
import { seededRandom } from '../../src/scheduler';

export type VariantFamily = 'gpushare' | 'multigpu' | 'cpu' | 'gpuspec';

/** The paper's ranges. */
export const VARIANT_LEVELS: Record<VariantFamily, number[]> = {
  gpushare: [20, 40, 60, 80, 100],
  multigpu: [20, 30, 40, 50],
  cpu: [50, 100, 200, 250],
  gpuspec: [10, 20, 25, 33],
};

/** CPU-only CPU request (milli) of the published cpu100 file: the 100 % mark of the cpuX family. */
export const CPU100_CPU_ONLY_MILLI = 14_054_200;

/**
 * Fixed splits: the training split is generated and replayed with other seeds than the held-out split, so nothing
 * tuned on it has seen the pods or the arrival orders reported.
 */
export const SPLITS = {
  train: { generatorSeed: 1000, replaySeeds: [1, 2, 3, 4, 5] },
  heldout: { generatorSeed: 2000, replaySeeds: [42, 43, 44, 45, 46] },
} as const;
export type SplitName = keyof typeof SPLITS;

export interface Variant {
  name: string;
  family: VariantFamily;
  level: number;
  pods: TracePod[];
}

const isShare = (p: TracePod) => p.numGpu === 1 && p.gpuMilli > 0 && p.gpuMilli < 1000;
const isMulti = (p: TracePod) => p.numGpu > 1;
const isWholeSingle = (p: TracePod) => p.numGpu === 1 && !isShare(p);

/** Share (0-1) of the GPU request made by pods that `kind` accepts. */
export function gpuRequestShare(pods: TracePod[], kind: (p: TracePod) => boolean): number {
  let part = 0;
  let total = 0;
  for (const p of pods) {
    const m = podGpuMilliOf(p);
    total += m;
    if (kind(p)) part += m;
  }
  return total === 0 ? 0 : part / total;
}

function canHost(node: TraceNode, p: TracePod): boolean {
  return node.gpuCount >= Math.max(1, p.numGpu) && node.cpuMilli >= p.cpuMilli && node.memoryMib >= p.memoryMib;
}

/**
 * Generates one variant from the default pod list. `specPool` holds the model lists to draw from, one entry per
 * constrained pod of the published gpuspec file (so popular lists are drawn more often).
 */
export function makeVariant(
  base: TracePod[],
  nodes: TraceNode[],
  family: VariantFamily,
  level: number,
  seed: number,
  specPool: string[][],
): Variant {
  const rng = seededRandom(seed * 31 + level * 7 + family.length);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rng() * xs.length)];
  const pods = base.map((p) => ({ ...p }));
  let serial = 0;
  const copy = (p: TracePod): TracePod => ({ ...p, name: `${p.name}-v${serial++}` });
  /** Replaces random pods that `from` accepts with copies of pods drawn from `pool` until `done()`. */
  const replaceUntil = (from: (p: TracePod) => boolean, pool: TracePod[], done: () => boolean) => {
    while (!done()) {
      const candidates: number[] = [];
      pods.forEach((p, i) => {
        if (from(p)) candidates.push(i);
      });
      if (candidates.length === 0 || pool.length === 0) break;
      // Several at a time: the share moves slowly per pod and the scan is O(pods).
      for (let k = 0; k < 20 && !done(); k++) pods[pick(candidates)] = copy(pick(pool));
    }
  };
  const target = level / 100;
  if (family === 'gpushare') {
    const shares = base.filter(isShare);
    const wholes = base.filter(isWholeSingle);
    if (gpuRequestShare(pods, isShare) < target) {
      replaceUntil((p) => p.numGpu > 0 && !isShare(p), shares, () => gpuRequestShare(pods, isShare) >= target);
    } else {
      replaceUntil(isShare, wholes, () => gpuRequestShare(pods, isShare) <= target);
    }
  } else if (family === 'multigpu') {
    const multis = base.filter(isMulti);
    replaceUntil((p) => p.numGpu === 1, multis, () => gpuRequestShare(pods, isMulti) >= target);
  } else if (family === 'cpu') {
    const cpuOnly = base.filter((p) => p.numGpu === 0);
    const targetMilli = target * CPU100_CPU_ONLY_MILLI;
    let cpuMilli = pods.filter((p) => p.numGpu === 0).reduce((s, p) => s + p.cpuMilli, 0);
    while (cpuMilli > targetMilli) {
      const idx: number[] = [];
      pods.forEach((p, i) => {
        if (p.numGpu === 0) idx.push(i);
      });
      if (idx.length === 0) break;
      const [removed] = pods.splice(pick(idx), 1);
      cpuMilli -= removed.cpuMilli;
    }
    while (cpuMilli < targetMilli) {
      const p = copy(pick(cpuOnly));
      pods.push(p);
      cpuMilli += p.cpuMilli;
    }
  } else {
    const gpuPods: number[] = [];
    pods.forEach((p, i) => {
      if (p.numGpu > 0) gpuPods.push(i);
    });
    const wanted = Math.round(target * gpuPods.length);
    // Shuffle, then constrain the first pods that some listed model can hold.
    for (let i = gpuPods.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [gpuPods[i], gpuPods[j]] = [gpuPods[j], gpuPods[i]];
    }
    let constrained = pods.filter((p) => p.numGpu > 0 && p.gpuModels.length > 0).length;
    for (const i of gpuPods) {
      if (constrained >= wanted) break;
      const p = pods[i];
      if (p.gpuModels.length > 0) continue;
      const fitting = specPool.filter((models) => nodes.some((n) => models.includes(n.gpuModel) && canHost(n, p)));
      if (fitting.length === 0) continue;
      pods[i] = { ...p, gpuModels: pick(fitting) };
      constrained++;
    }
  }
  return { name: `${family}${String(level).padStart(family === 'cpu' ? 3 : 2, '0')}`, family, level, pods };
}

/** Every variant of one split, in a fixed order. */
export function makeSplit(
  base: TracePod[],
  nodes: TraceNode[],
  split: SplitName,
  specPool: string[][],
  families: VariantFamily[] = ['gpushare', 'multigpu', 'cpu', 'gpuspec'],
): Variant[] {
  const out: Variant[] = [];
  for (const family of families) {
    for (const level of VARIANT_LEVELS[family]) out.push(makeVariant(base, nodes, family, level, SPLITS[split].generatorSeed, specPool));
  }
  return out;
}

/** The model lists of the constrained pods of a published gpuspec file, one entry per pod. */
export function specPoolOf(pods: TracePod[]): string[][] {
  return pods.filter((p) => p.numGpu > 0 && p.gpuModels.length > 0).map((p) => p.gpuModels);
}
