// The scheduling cycle of one pod (or gang): PreFilter -> for each worker: Filter, GPU pick, Score, Reserve ->
// Permit -> Bind; PostFilter (preemption) when nothing fits. The snapshot is left as it was found: the caller
// commits the returned decision (the service in a transaction, the benchmark with Snapshot.assume).

import { explain } from './explain';
import { domainKeysOf, physicalMilliOf, pickWholeGpus } from './gpu';
import type {
  AnyPlugin,
  CycleState,
  FilterPlugin,
  FrameworkHandle,
  GpuPickerPlugin,
  PermitPlugin,
  PostFilterPlugin,
  PreFilterPlugin,
  ReservePlugin,
  ScorePlugin,
  TopologyDomain,
} from './plugin';
import { MILLI_PER_GPU, type Snapshot, gpuDemandOf } from './snapshot';
import type { PlacementDecision, PodRequest, ReasonCode, ReasonCounts, ScheduleResult, SchedNode, WorkerPlacement } from './types';

export interface ResolvedProfile {
  name: string;
  preFilters: PreFilterPlugin[];
  filters: FilterPlugin[];
  gpuPicker: GpuPickerPlugin;
  scores: Array<{ plugin: ScorePlugin; weight: number }>;
  reserves: ReservePlugin[];
  permits: PermitPlugin[];
  postFilters: PostFilterPlugin[];
  /**
   * Equal best scores: 'first' node in snapshot order, a seeded 'random' one (as kube-scheduler does), or the node with
   * the lowest 'name' (as the FGD paper's simulator does).
   */
  tieBreak: 'first' | 'random' | 'name';
}

export interface SchedulerOptions {
  /** Seeded random source; default a fixed-seed generator so runs repeat. */
  rng?: () => number;
}

/** Small, fast, seedable generator (mulberry32): the same seed gives the same run everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REASONS: ReasonCode[] = [
  'node-unhealthy',
  'critical-alert',
  'engine-unavailable',
  'not-engine-node',
  'zone-clearance',
  'gpu-model',
  'gpu-memory',
  'insufficient-gpu',
  'gpu-unhealthy',
  'insufficient-cpu',
  'insufficient-memory',
  'rack-power-headroom',
  'cooling-headroom',
  'topology',
  'replica-spread',
];

export class Scheduler implements FrameworkHandle {
  readonly profile: ResolvedProfile;
  readonly profileName: string;
  private readonly rng: () => number;
  // Scratch reused across cycles so the hot path allocates nothing per node.
  private feasible = new Int32Array(0);
  private raw = new Float64Array(0);
  private total = new Float64Array(0);
  private shareGpu = new Int16Array(0);
  /** Reason counts of the last filter pass, by REASONS index. */
  private readonly reasonCounts = new Int32Array(REASONS.length);
  private counting = false;

  constructor(profile: ResolvedProfile, options: SchedulerOptions = {}) {
    this.profile = profile;
    this.profileName = profile.name;
    this.rng = options.rng ?? seededRandom(1);
  }

  private ensureScratch(n: number): void {
    if (this.feasible.length >= n) return;
    this.feasible = new Int32Array(n);
    this.total = new Float64Array(n);
    this.shareGpu = new Int16Array(n);
    this.raw = new Float64Array(n * Math.max(1, this.profile.scores.length));
  }

  newCycle(snapshot: Snapshot, pod: PodRequest): CycleState {
    this.ensureScratch(snapshot.nodes.length);
    const demand = gpuDemandOf(pod);
    return {
      snapshot,
      pod,
      demand,
      workers: Math.max(1, pod.workers ?? 1),
      workerPowerW: (demand.totalMilli / 1000) * pod.expectedPowerWPerGpu,
      worker: 0,
      reserved: [],
      domain: null,
      shareGpu: this.shareGpu,
      rng: this.rng,
      scratch: new Map(),
    };
  }

  /**
   * Schedules one pod (all its gang workers) against the snapshot; the snapshot is unchanged afterwards.
   * `preempt: false` skips PostFilter (backfill asks "would it fit", never "whom would it evict").
   */
  schedule(snapshot: Snapshot, pod: PodRequest, options: { preempt?: boolean } = {}): ScheduleResult {
    const state = this.newCycle(snapshot, pod);
    for (const p of this.profile.preFilters) {
      const reason = p.preFilter(state);
      if (reason) {
        const reasons: ReasonCounts = { [reason]: snapshot.nodes.length };
        return { status: 'unschedulable', reasons, explanation: explain(reasons, snapshot.nodes.length) };
      }
    }

    if (this.placeGang(state)) {
      const decision = this.bind(state);
      this.unreserveAll(state);
      return { status: 'scheduled', decision };
    }

    if (options.preempt !== false) {
      for (const p of this.profile.postFilters) {
        const decision = p.postFilter(state, this);
        if (decision) return { status: 'scheduled', decision };
      }
    }
    return this.unschedulable(state);
  }

  /** Places all workers, one topology domain at a time; on success they stay reserved (bind, then unreserveAll). */
  placeGang(state: CycleState): boolean {
    for (const domain of this.domainsToTry(state)) {
      state.domain = domain?.domain ?? null;
      if (this.placeAll(state, domain?.members ?? null)) return true;
      this.unreserveAll(state);
    }
    state.domain = null;
    return false;
  }

  /** Places every worker in turn, each seeing the ones reserved before it; then asks the Permit plugins. */
  private placeAll(state: CycleState, members: number[] | null): boolean {
    for (let w = 0; w < state.workers; w++) {
      state.worker = w;
      if (this.placeWorker(state, members) === null) return false;
    }
    for (const p of this.profile.permits) if (!p.permit(state)) return false;
    return true;
  }

  /**
   * Gangs with a topology are tried one domain at a time, fullest first among those with enough free GPUs, so a
   * gang fills a partly used rack before breaking into an empty one. Everything else is one try over all nodes.
   */
  private domainsToTry(state: CycleState): Array<{ domain: TopologyDomain; members: number[] } | null> {
    const topology = state.pod.topology;
    if (topology === 'none' || state.workers === 1) return [null];
    const members = new Map<string, number[]>();
    const freeMilli = new Map<string, number>();
    state.snapshot.nodes.forEach((node, i) => {
      for (const key of domainKeysOf(node, topology)) {
        const list = members.get(key);
        if (list) list.push(i);
        else members.set(key, [i]);
        let free = 0;
        for (const gpu of node.gpus) {
          if (gpu.healthy && (topology !== 'nvlink-domain' || (gpu.nvlinkDomain ?? `node:${node.id}`) === key)) {
            free += gpu.freeMilli;
          }
        }
        freeMilli.set(key, (freeMilli.get(key) ?? 0) + free);
      }
    });
    const needMilli = state.demand.totalMilli * state.workers;
    return [...members.entries()]
      .filter(([key]) => (freeMilli.get(key) ?? 0) >= needMilli)
      .sort((a, b) => (freeMilli.get(a[0]) ?? 0) - (freeMilli.get(b[0]) ?? 0))
      .map(([key, list]) => ({ domain: { topology, key }, members: list }));
  }

  /**
   * Filters and scores the given nodes for one worker of the pod, without placing it (a kube-scheduler extender's
   * question). Each node gets the first filter that rejects it, or null; feasible nodes get the profile's weighted
   * score (each Score plugin min-max normalised to 0-100 over the feasible nodes, as bestOf does). Verdicts in
   * `ignore` count as passing (the caller checks those itself), and the later filters still run.
   */
  rankNodes(
    snapshot: Snapshot,
    pod: PodRequest,
    nodeIndices: number[],
    ignore: ReadonlySet<ReasonCode> = new Set(),
  ): Array<{ nodeIndex: number; reason: ReasonCode | null; score: number }> {
    const state = this.newCycle(snapshot, pod);
    for (const p of this.profile.preFilters) {
      const reason = p.preFilter(state);
      if (reason && !ignore.has(reason)) return nodeIndices.map((nodeIndex) => ({ nodeIndex, reason, score: 0 }));
    }
    const verdict = (nodeIndex: number): ReasonCode | null => {
      for (const filter of this.profile.filters) {
        const reason = filter.filter(state, snapshot.nodes[nodeIndex]!, nodeIndex);
        if (reason !== null && !ignore.has(reason)) return reason;
      }
      return null;
    };
    const results = nodeIndices.map((nodeIndex) => ({ nodeIndex, reason: verdict(nodeIndex), score: 0 }));
    const feasible = results.filter((r) => r.reason === null);
    for (const { plugin, weight } of this.profile.scores) {
      const raw = feasible.map((r) => plugin.score(state, snapshot.nodes[r.nodeIndex]!, r.nodeIndex));
      const min = Math.min(...raw);
      const max = Math.max(...raw);
      if (max <= min) continue;
      for (const [j, r] of feasible.entries()) r.score += ((raw[j]! - min) * 100 * weight) / (max - min);
    }
    return results;
  }

  runFilters(state: CycleState, node: SchedNode, nodeIndex: number): ReasonCode | null {
    const filters = this.profile.filters;
    for (let f = 0; f < filters.length; f++) {
      const reason = filters[f].filter(state, node, nodeIndex);
      if (reason !== null) return reason;
    }
    return null;
  }

  placeWorker(state: CycleState, candidates: ArrayLike<number> | null): number | null {
    const nodes = state.snapshot.nodes;
    const count = candidates === null ? nodes.length : candidates.length;
    const feasible = this.feasible;
    const share = state.demand.mode === 'share';
    const picker = this.profile.gpuPicker;
    let k = 0;
    for (let c = 0; c < count; c++) {
      const i = candidates === null ? c : candidates[c];
      const node = nodes[i];
      const reason = this.runFilters(state, node, i);
      if (reason !== null) {
        if (this.counting) this.reasonCounts[REASONS.indexOf(reason)]++;
        continue;
      }
      if (share) {
        const g = picker.pickShareGpu(state, node, i);
        if (g < 0) continue;
        state.shareGpu[i] = g;
      }
      feasible[k++] = i;
    }
    if (this.counting || k === 0) return null;

    const chosen = k === 1 ? 0 : this.bestOf(state, k);
    const i = feasible[chosen];
    this.reserve(state, i, k === 1 ? 0 : this.total[chosen]);
    return i;
  }

  /** Runs the Score plugins over the k feasible nodes; returns the position (in `feasible`) of the winner. */
  private bestOf(state: CycleState, k: number): number {
    const nodes = state.snapshot.nodes;
    const feasible = this.feasible;
    const scores = this.profile.scores;
    const raw = this.raw;
    const total = this.total;
    total.fill(0, 0, k);
    for (let p = 0; p < scores.length; p++) {
      const { plugin, weight } = scores[p];
      const base = p * k;
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < k; j++) {
        const i = feasible[j];
        const v = plugin.score(state, nodes[i], i);
        raw[base + j] = v;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      // Min-max to 0-100 so weights mean the same for every plugin; a flat plugin contributes nothing.
      if (max > min) {
        const scale = (100 * weight) / (max - min);
        for (let j = 0; j < k; j++) total[j] += (raw[base + j] - min) * scale;
      }
    }
    let best = 0;
    let ties = 1;
    const random = this.profile.tieBreak === 'random';
    const byName = this.profile.tieBreak === 'name';
    for (let j = 1; j < k; j++) {
      const v = total[j];
      if (v > total[best]) {
        best = j;
        ties = 1;
      } else if (v === total[best]) {
        if (random) {
          ties++;
          if (state.rng() * ties < 1) best = j; // reservoir sampling: uniform among equals
        } else if (byName && nodes[feasible[j]].name < nodes[feasible[best]].name) best = j;
      }
    }
    return best;
  }

  private reserve(state: CycleState, nodeIndex: number, score: number): void {
    const node = state.snapshot.nodes[nodeIndex];
    const demand = state.demand;
    let gpuIndices: number[] = [];
    if (demand.mode === 'share') gpuIndices = [state.shareGpu[nodeIndex]];
    else if (demand.mode === 'whole') gpuIndices = pickWholeGpus(state, node, demand.gpuCount);
    // Partitions are taken whole (a share too) and count as their share of the physical GPU for quota and power.
    const partitioned = gpuIndices.length > 0 && node.gpus[gpuIndices[0]].partition !== undefined;
    const milliPerGpu = partitioned ? MILLI_PER_GPU : demand.milliPerGpu;
    const physicalMilli = partitioned ? physicalMilliOf(node, gpuIndices, milliPerGpu) : undefined;
    const placement: WorkerPlacement = {
      worker: state.worker,
      nodeId: node.id,
      gpuIndices,
      milliPerGpu,
      cpuMilli: state.pod.cpuMilli,
      memoryMib: state.pod.memoryMib,
      expectedPowerW: physicalMilli === undefined ? state.workerPowerW : (physicalMilli / MILLI_PER_GPU) * state.pod.expectedPowerWPerGpu,
      ...(physicalMilli === undefined ? {} : { physicalMilli }),
    };
    state.snapshot.adjust(placement, 1);
    state.reserved.push(placement);
    state.scratch.set(`score:${state.worker}`, score);
    for (const p of this.profile.reserves) p.reserve(state, placement);
  }

  unreserveAll(state: CycleState): void {
    while (state.reserved.length > 0) {
      const placement = state.reserved.pop()!;
      for (const p of this.profile.reserves) p.unreserve(state, placement);
      state.snapshot.adjust(placement, -1);
    }
  }

  bind(state: CycleState): PlacementDecision {
    return {
      podId: state.pod.id,
      profile: this.profile.name,
      workers: state.reserved.map((w) => ({ ...w, gpuIndices: [...w.gpuIndices] })),
      victims: [],
      scores: state.reserved.map((w) => (state.scratch.get(`score:${w.worker}`) as number | undefined) ?? 0),
    };
  }

  /** Counts, over all nodes, the first filter each fails for the first worker: the user-facing explanation. */
  private unschedulable(state: CycleState): ScheduleResult {
    state.worker = 0;
    state.domain = null;
    this.reasonCounts.fill(0);
    this.counting = true;
    try {
      this.placeWorker(state, null);
    } finally {
      this.counting = false;
    }
    const reasons: ReasonCounts = {};
    let failing = 0;
    REASONS.forEach((r, idx) => {
      if (this.reasonCounts[idx] > 0) {
        reasons[r] = this.reasonCounts[idx];
        failing += this.reasonCounts[idx];
      }
    });
    const n = state.snapshot.nodes.length;
    let explanation = explain(reasons, n);
    if (failing < n) {
      // Some nodes fit one worker: the gang as a whole (or its topology) is what does not fit.
      const spread = state.pod.kind === 'inference' ? (state.pod.replicaSpread ?? 'server') : 'none';
      const where = state.pod.topology === 'none' ? 'the cluster' : `one ${state.pod.topology}`;
      explanation +=
        spread === 'none'
          ? `; ${n - failing} nodes fit one worker but ${where} cannot hold all ${state.workers} workers`
          : `; ${n - failing} nodes fit one replica, but ${state.workers} replicas need ${state.workers} separate ${spread === 'rack' ? 'racks' : 'servers'}`;
    }
    return { status: 'unschedulable', reasons, explanation };
  }
}

export type { AnyPlugin };
