import type { GpuStateSignature, TypicalWorkload } from '../fragmentation';
import { gpuInScope, shareNeedOn } from '../gpu';
import type { CycleState, GpuPickerPlugin, ScorePlugin } from '../plugin';
import { MILLI_PER_GPU, type Snapshot } from '../snapshot';
import type { SchedNode } from '../types';

interface PodEntry {
  /** Node version the entry was computed at (-1: never). */
  version: Int32Array;
  /** Fragmentation growth, milli-GPU, if the worker goes to this node. */
  deltaMilli: Float64Array;
  /** GPU the share would take there. */
  gpu: Int16Array;
}

interface SnapshotCache {
  fragVersion: Int32Array;
  fragMilli: Float64Array;
  /** GPU signature of each node, valid at signatureVersion. */
  signatureVersion: Int32Array;
  signature: Array<GpuStateSignature | undefined>;
  byPodShape: Map<string, PodEntry>;
}

/** Bounds the memo: distinct worker shapes are few in practice, but a long-lived scheduler must not grow forever. */
const MAX_CACHED_SHAPES = 1024;

function newEntry(n: number): PodEntry {
  const entry = { version: new Int32Array(n), deltaMilli: new Float64Array(n), gpu: new Int16Array(n) };
  entry.version.fill(-1);
  return entry;
}

export interface FragmentationScoreOptions {
  /**
   * true (default): measure node states through their GPU signatures (TypicalWorkload.signatureOf), so the per-GPU
   * work is done once per distinct GPU state in the cluster instead of once per node, shape and candidate GPU.
   * false: call fragmentationMilli on every state, the straightforward path the tests compare against.
   */
  signatures?: boolean;
}

/**
 * Fragmentation gradient (FGD): score = minus the growth of the node's expected fragmentation against the typical
 * workload if the worker lands there; for a GPU share, the GPU whose use grows it least. Results are memoised per
 * node version and worker shape, so each placement only recomputes the node it changed.
 */
export function fragmentationScore(
  workload: TypicalWorkload,
  options: FragmentationScoreOptions = {},
): ScorePlugin & GpuPickerPlugin {
  const useSignatures = options.signatures ?? true;
  const caches = new WeakMap<Snapshot, SnapshotCache>();
  const free = new Int32Array(256);
  let lastState: CycleState | null = null;
  let lastEntry: PodEntry | null = null;
  let lastCache: SnapshotCache | null = null;
  let lastDomain: CycleState['domain'] = null;

  function cacheFor(snapshot: Snapshot): SnapshotCache {
    let cache = caches.get(snapshot);
    if (!cache) {
      const n = snapshot.nodes.length;
      cache = {
        fragVersion: new Int32Array(n).fill(-1),
        fragMilli: new Float64Array(n),
        signatureVersion: new Int32Array(n).fill(-1),
        signature: new Array(n),
        byPodShape: new Map(),
      };
      caches.set(snapshot, cache);
    }
    return cache;
  }

  function loadFree(node: SchedNode): number {
    const n = node.gpus.length;
    for (let g = 0; g < n; g++) {
      const gpu = node.gpus[g];
      free[g] = gpu.healthy ? gpu.freeMilli : 0;
    }
    return n;
  }

  /** The node's GPU signature; `free` must hold the node's loadFree values. */
  function signatureNow(cache: SnapshotCache, snapshot: Snapshot, i: number, n: number): GpuStateSignature {
    const version = snapshot.nodeVersion[i];
    let signature = cache.signature[i];
    if (signature === undefined || cache.signatureVersion[i] !== version) {
      signature = workload.signatureOf(free, n);
      cache.signature[i] = signature;
      cache.signatureVersion[i] = version;
    }
    return signature;
  }

  function fragNow(cache: SnapshotCache, snapshot: Snapshot, node: SchedNode, i: number): number {
    if (cache.fragVersion[i] === snapshot.nodeVersion[i]) return cache.fragMilli[i];
    const n = loadFree(node);
    const frag = useSignatures
      ? workload.fragmentationAfter(node.gpuModel, node.cpuMilliFree, node.memoryMibFree, signatureNow(cache, snapshot, i, n), 0, 0, 0)
      : workload.fragmentationMilli(node.gpuModel, node.cpuMilliFree, node.memoryMibFree, free, n);
    cache.fragVersion[i] = snapshot.nodeVersion[i];
    cache.fragMilli[i] = frag;
    return frag;
  }

  function entryFor(state: CycleState): { cache: SnapshotCache; entry: PodEntry } {
    if (state === lastState && state.domain === lastDomain && lastEntry && lastCache) return { cache: lastCache, entry: lastEntry };
    const cache = cacheFor(state.snapshot);
    const n = state.snapshot.nodes.length;
    let entry: PodEntry;
    if (state.domain !== null) {
      entry = newEntry(n); // GPU scope differs per domain: do not share the memo
    } else {
      const d = state.demand;
      // Memory only changes the measure when the workload checks it: leaving it out shares the memo between pods
      // that differ only in memory (most of them, in real histories).
      const memory = workload.checkMemory ? state.pod.memoryMib : 0;
      const key = `${state.pod.cpuMilli}|${memory}|${d.mode}|${d.gpuCount}|${d.milliPerGpu}`;
      let found = cache.byPodShape.get(key);
      if (!found) {
        if (cache.byPodShape.size >= MAX_CACHED_SHAPES) cache.byPodShape.clear();
        found = newEntry(n);
        cache.byPodShape.set(key, found);
      }
      entry = found;
    }
    lastState = state;
    lastDomain = state.domain;
    lastEntry = entry;
    lastCache = cache;
    return { cache, entry };
  }

  function evaluate(state: CycleState, node: SchedNode, i: number): PodEntry {
    const { cache, entry } = entryFor(state);
    const snapshot = state.snapshot;
    if (entry.version[i] === snapshot.nodeVersion[i]) return entry;
    const before = fragNow(cache, snapshot, node, i);
    const n = loadFree(node);
    const signature = useSignatures ? signatureNow(cache, snapshot, i, n) : null;
    const cpuAfter = node.cpuMilliFree - state.pod.cpuMilli;
    const memAfter = node.memoryMibFree - state.pod.memoryMib;
    const demand = state.demand;
    let bestAfter = Number.POSITIVE_INFINITY;
    let bestGpu = -1;
    if (demand.mode === 'share') {
      for (let g = 0; g < n; g++) {
        const f = free[g];
        // On a partition the share takes the whole partition, and only one big enough for it.
        const need = shareNeedOn(node.gpus[g], demand.milliPerGpu);
        if (need < 0 || f < need || !gpuInScope(state, node, g)) continue;
        let seen = false; // GPUs with the same free share give the same result
        for (let h = 0; h < g; h++) if (free[h] === f && gpuInScope(state, node, h)) seen = true;
        if (seen) continue;
        let after: number;
        if (signature !== null) {
          after = workload.fragmentationAfter(node.gpuModel, cpuAfter, memAfter, signature, 1, f, need);
        } else {
          free[g] = f - need;
          after = workload.fragmentationMilli(node.gpuModel, cpuAfter, memAfter, free, n);
          free[g] = f;
        }
        // Equal growth: the fuller GPU (best fit) keeps the emptier one whole.
        if (after < bestAfter || (after === bestAfter && f < free[bestGpu])) {
          bestAfter = after;
          bestGpu = g;
        }
      }
    } else {
      const wanted = demand.mode === 'whole' ? demand.gpuCount : 0;
      let left = wanted;
      for (let g = 0; g < n && left > 0; g++) {
        if (free[g] >= MILLI_PER_GPU && gpuInScope(state, node, g)) {
          free[g] = 0;
          left--;
        }
      }
      bestAfter =
        signature !== null
          ? workload.fragmentationAfter(node.gpuModel, cpuAfter, memAfter, signature, wanted - left, MILLI_PER_GPU, MILLI_PER_GPU)
          : workload.fragmentationMilli(node.gpuModel, cpuAfter, memAfter, free, n);
    }
    entry.version[i] = snapshot.nodeVersion[i];
    entry.deltaMilli[i] = bestAfter - before;
    entry.gpu[i] = bestGpu;
    return entry;
  }

  return {
    name: 'Fragmentation',
    score: (state, node, i) => -evaluate(state, node, i).deltaMilli[i],
    pickShareGpu: (state, node, i) => evaluate(state, node, i).gpu[i],
  };
}
