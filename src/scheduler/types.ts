// Snapshot and request types of the placement framework.
// Everything here is plain data: the service builds it from the database, the benchmark from CSV files.

/** 0 public, 1 restricted, 2 secure, 3 critical. A node may run a job whose requiredZoneLevel is <= its own level. */
export type ZoneLevel = 0 | 1 | 2 | 3;

export interface GpuDevice {
  /** Position on the node (0-based); placements refer to GPUs by this index. */
  index: number;
  uuid?: string;
  /** Unallocated share of this GPU in thousandths (0-1000). */
  freeMilli: number;
  healthy: boolean;
  /** GPUs with the same value are joined by NVLink (an HGX board, an NVL72 rack). Missing: the node is one domain. */
  nvlinkDomain?: string;
  /** Per logical GPU: on a partitioned AMD GPU, the partition's share of the memory. */
  memoryGib?: number;
  /**
   * Set when this device is one compute partition (logical GPU) of a partitioned AMD GPU: the physical GPU's position
   * on the node, the partition's index on it and the GPU's partition count (SPX 1 … CPX 8). A partition is the
   * sharing unit: it is never time-sliced, so a GPU share takes one whole partition that is big enough.
   */
  partition?: { gpu: number; index: number; count: number };
}

export type FeedSide = 'A' | 'B';

export interface SchedNode {
  id: string;
  name: string;
  cpuMilliFree: number;
  cpuMilliTotal: number;
  memoryMibFree: number;
  memoryMibTotal: number;
  /** '' when the node has no GPUs. */
  gpuModel: string;
  gpus: GpuDevice[];
  rackId?: string;
  leafSwitchId?: string;
  zoneLevel: ZoneLevel;
  /** Power the rack (and everything upstream, A/B failover included) can still take, computed by the caller. */
  powerHeadroomW?: number;
  /** Heat the rack's cooling can still remove. */
  coolingHeadroomW?: number;
  /** Feed side a single-corded node hangs on; used by the spread score for inference replicas. */
  feedSide?: FeedSide;
  healthy: boolean;
  /** An open critical alert on the node or its rack (overheating inlet, rack over budget): no new work until it clears. */
  criticalAlert?: boolean;
  /** Drained, down or cordoned by the job engine that runs the node (Slurm, Kubernetes): the engine's reason. */
  engineUnavailable?: string;
  /** The engines this node belongs to, as 'cluster' and 'cluster/partition' (Slurm), for jobs an engine runs. */
  engineMembership?: string[];
}

export type JobKind = 'training' | 'inference' | 'batch';
export type Topology = 'nvlink-domain' | 'leaf' | 'rack' | 'none';

export interface PodRequest {
  id: string;
  tenant: string;
  /** Higher runs first and may preempt lower. */
  priority: number;
  preemptible: boolean;
  kind: JobKind;
  /** Gang size: all workers are placed or none. Default 1. */
  workers?: number;
  /** Whole GPUs per worker (0-8). */
  gpusPerWorker: number;
  /** Share of ONE GPU in thousandths (1-999) for a GPU-sharing worker (gpusPerWorker 0 or 1). 1000 or 0 = whole GPUs. */
  gpuMilli?: number;
  /** Any of these models; missing or empty = any model. */
  gpuModels?: string[];
  gpuMemoryGib?: number;
  /** Per worker. */
  cpuMilli: number;
  /** Per worker. */
  memoryMib: number;
  requiredZoneLevel: ZoneLevel;
  topology: Topology;
  /** Expected draw of one fully used GPU of this job (a share draws its fraction). */
  expectedPowerWPerGpu: number;
  /** Milliseconds since the epoch (or any monotonic clock): older first at equal priority. */
  createdAt: number;
  /**
   * Inference: how replicas spread so one failure cannot take the whole service down. 'server' (the default): at most
   * one replica per server; 'rack': at most one per rack; 'none': anywhere.
   */
  replicaSpread?: ReplicaSpread;
  /** Inference top-ups: the nodes already running a replica of this service. */
  replicaNodeIds?: string[];
  /** Run by an engine: only nodes of this 'cluster' (or 'cluster/partition') will do. */
  engine?: string;
}

export type ReplicaSpread = 'server' | 'rack' | 'none';

/** What one worker needs, derived once per pod. */
export interface GpuDemand {
  /** 'none': CPU only; 'share': part of one GPU; 'whole': gpuCount whole GPUs. */
  mode: 'none' | 'share' | 'whole';
  gpuCount: number;
  /** Per GPU: the share for 'share', 1000 for 'whole', 0 for 'none'. */
  milliPerGpu: number;
  /** Total milli-GPUs of one worker. */
  totalMilli: number;
}

/** A pod (or gang member) already running: the input of preemption and of fair share. */
export interface RunningAllocation {
  podId: string;
  tenant: string;
  priority: number;
  preemptible: boolean;
  workers: WorkerPlacement[];
}

export interface WorkerPlacement {
  worker: number;
  nodeId: string;
  /** GPU indices on that node. */
  gpuIndices: number[];
  /** Milli taken from each of those GPUs (1000 for whole GPUs, and for partitions, which are taken whole). */
  milliPerGpu: number;
  /**
   * Physical milli-GPUs the worker holds when it differs from milliPerGpu × GPUs: on partitions, each counts as its
   * share of the physical GPU (a CPX partition 125). Quota, fair share and expected power use this.
   */
  physicalMilli?: number;
  cpuMilli: number;
  memoryMib: number;
  expectedPowerW: number;
}

/** What Bind returns: the caller commits it (the service in one transaction, the benchmark in memory). */
export interface PlacementDecision {
  podId: string;
  profile: string;
  workers: WorkerPlacement[];
  /** Pods to evict first (PostFilter); empty for a plain placement. */
  victims: string[];
  /** Weighted score of each worker's node, for the audit trail. */
  scores: number[];
}

export type ReasonCode =
  | 'node-unhealthy'
  | 'critical-alert'
  | 'engine-unavailable'
  | 'not-engine-node'
  | 'zone-clearance'
  | 'gpu-model'
  | 'gpu-memory'
  | 'insufficient-gpu'
  | 'gpu-unhealthy'
  | 'insufficient-cpu'
  | 'insufficient-memory'
  | 'rack-power-headroom'
  | 'cooling-headroom'
  | 'topology'
  | 'replica-spread';

export const REASON_TEXT: Record<ReasonCode, string> = {
  'replica-spread': 'holds a replica of this service already',
  'node-unhealthy': 'node unhealthy',
  'critical-alert': 'critical alert open',
  'engine-unavailable': 'drained or cordoned by its engine',
  'not-engine-node': "not a node of the job's cluster or partition",
  'zone-clearance': 'zone clearance',
  'gpu-model': 'GPU model mismatch',
  'gpu-memory': 'insufficient GPU memory',
  'insufficient-gpu': 'insufficient GPU',
  'gpu-unhealthy': 'GPU unhealthy',
  'insufficient-cpu': 'insufficient CPU',
  'insufficient-memory': 'insufficient memory',
  'rack-power-headroom': 'rack power headroom',
  'cooling-headroom': 'cooling headroom',
  topology: 'topology constraint',
};

export type ReasonCounts = Partial<Record<ReasonCode, number>>;

export type ScheduleResult =
  | { status: 'scheduled'; decision: PlacementDecision }
  | {
      status: 'unschedulable';
      reasons: ReasonCounts;
      /** "0/1213 nodes: 800 insufficient GPU, 13 rack power headroom, 4 zone clearance" */
      explanation: string;
    };

export interface TenantQuota {
  tenant: string;
  /** Milli-GPUs the tenant is entitled to. */
  gpuMilliQuota: number;
}
