// Extension points, after the Kubernetes scheduling framework:
// QueueSort -> PreFilter -> Filter -> (GPU pick) -> Score -> Reserve -> Permit -> Bind, PostFilter when nothing fits.

import type { Snapshot } from './snapshot';
import type { TypicalWorkload } from './fragmentation';
import type {
  GpuDemand,
  PlacementDecision,
  PodRequest,
  ReasonCode,
  SchedNode,
  Topology,
  WorkerPlacement,
} from './types';

export interface TopologyDomain {
  topology: Exclude<Topology, 'none'>;
  key: string;
}

/** Per-pod scheduling cycle state, shared by the plugins of one `schedule()` call. */
export interface CycleState {
  readonly snapshot: Snapshot;
  readonly pod: PodRequest;
  readonly demand: GpuDemand;
  /** Gang size (>= 1). */
  readonly workers: number;
  /** Expected power of one worker, W. */
  readonly workerPowerW: number;
  /** Index of the worker being placed. */
  worker: number;
  /** Workers reserved so far in this cycle (gang members placed before this one). */
  readonly reserved: WorkerPlacement[];
  /** Topology domain the gang is being tried in; nodes (and GPUs, for NVLink) outside it are filtered out. */
  domain: TopologyDomain | null;
  /** GPU chosen per node for a GPU-sharing worker, filled before scoring (-1 = none). */
  readonly shareGpu: Int16Array;
  /** Seeded random source (random score, random tie-break). */
  readonly rng: () => number;
  /** Free per-plugin storage for the cycle. */
  readonly scratch: Map<string, unknown>;
}

export interface Plugin {
  readonly name: string;
}

export interface PreFilterPlugin extends Plugin {
  /** Pod-level check before looking at nodes; a reason here fails every node. */
  preFilter(state: CycleState): ReasonCode | null;
}

export interface FilterPlugin extends Plugin {
  /** null = the node can host the current worker; else why not. */
  filter(state: CycleState, node: SchedNode, nodeIndex: number): ReasonCode | null;
}

export interface ScorePlugin extends Plugin {
  /** Higher is better. Raw values are min-max normalised to 0-100 over the feasible nodes, then weighted. */
  score(state: CycleState, node: SchedNode, nodeIndex: number): number;
}

/** Chooses which GPU of a node a GPU-sharing worker takes (runs on every feasible node, before Score). */
export interface GpuPickerPlugin extends Plugin {
  pickShareGpu(state: CycleState, node: SchedNode, nodeIndex: number): number;
}

export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, placement: WorkerPlacement): void;
  unreserve(state: CycleState, placement: WorkerPlacement): void;
}

export interface PermitPlugin extends Plugin {
  /** false rejects the whole cycle (every reservation is undone). */
  permit(state: CycleState): boolean;
}

/** Runs only when no node fits: may return a decision that needs victims evicted first. */
export interface PostFilterPlugin extends Plugin {
  postFilter(state: CycleState, framework: FrameworkHandle): PlacementDecision | null;
}

/** What PostFilter plugins may call back into. */
export interface FrameworkHandle {
  readonly profileName: string;
  runFilters(state: CycleState, node: SchedNode, nodeIndex: number): ReasonCode | null;
  /** Places the current worker on the best of `candidates` (or all nodes), reserving it; null if none fits. */
  placeWorker(state: CycleState, candidates: ArrayLike<number> | null): number | null;
  /** Places every worker of the gang (topology domains tried in turn); on success the workers stay reserved. */
  placeGang(state: CycleState): boolean;
  unreserveAll(state: CycleState): void;
  bind(state: CycleState): PlacementDecision;
}

export interface PluginContext {
  workload?: TypicalWorkload;
}

export type AnyPlugin = Plugin &
  Partial<PreFilterPlugin & FilterPlugin & ScorePlugin & GpuPickerPlugin & ReservePlugin & PermitPlugin & PostFilterPlugin>;

export type PluginFactory = (context: PluginContext) => AnyPlugin;
