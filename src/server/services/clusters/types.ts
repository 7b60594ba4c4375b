import { z } from 'zod';
import type { ClusterKind } from '../../db/schema/clusters';

export type { ClusterKind };

/** The engine's node as read: its own state words and reason, and whether Plenum may place on it. */
export interface EngineNode {
  name: string;
  /** Host name or address the engine reports, when it differs from the node name (used for mapping). */
  hostname?: string;
  /** The engine's state words, e.g. 'IDLE+DRAIN' (Slurm) or 'Ready,SchedulingDisabled' (Kubernetes). */
  state: string;
  /** Why it is not available ('' when it is): Slurm's reason, 'cordoned', a NoSchedule taint… */
  reason: string;
  /** False when the engine drained, downed or cordoned it. */
  available: boolean;
  gpusTotal: number;
  gpusAllocated: number;
  partitions: string[];
  labels: Record<string, string>;
  taints: EngineTaint[];
}

export interface EngineTaint {
  key: string;
  value?: string;
  effect: string;
}

export interface EnginePartition {
  name: string;
  nodes: string[];
  state: string;
}

/** Where an engine job is in its life, in Plenum's words (the engine's own word is `engineState`). */
export type EngineJobState = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface EngineJob {
  /** The engine's id: a Slurm job id, or 'namespace/pod' on Kubernetes. */
  externalId: string;
  name: string;
  state: EngineJobState;
  /** The engine's own state word (Slurm's job_state, a pod's phase). */
  engineState: string;
  /** Slurm user (and account as 'user/account'); Kubernetes namespace. */
  owner: string;
  /** Nodes the job holds and GPUs on each; empty while pending. */
  nodes: Array<{ name: string; gpus: number }>;
  /** GPUs per node asked for (shown while pending, when nodes is empty). */
  gpusPerNodeRequested: number;
  startedAt: Date | null;
  endedAt: Date | null;
  exitCode: number | null;
  reason: string;
}

export interface EngineState {
  nodes: EngineNode[];
  partitions: EnginePartition[];
  jobs: EngineJob[];
}

/** A Plenum job the scheduler placed, to be submitted to the engine pinned to those nodes. */
export interface PlacedJob {
  jobId: number;
  name: string;
  /** The engine's partition (Slurm) or namespace, when the executor names one. */
  partition?: string;
  /** The batch script (Slurm). */
  script: string;
  /** One entry per worker: the engine node name and the GPUs it takes there. */
  nodes: Array<{ name: string; gpus: number }>;
  /** Whole nodes (every GPU of each node taken): submit exclusive. */
  wholeNodes: boolean;
  estimatedDurationS: number | null;
  cpuMilli: number;
  memoryMib: number;
}

/** One engine, behind one interface: the registry and the facility feedback speak only this. */
export interface ClusterAdapter {
  read(signal: AbortSignal): Promise<EngineState>;
  /** Submit a placed job pinned to the chosen nodes. Engines Plenum only observes have none. */
  submit?(job: PlacedJob, signal?: AbortSignal): Promise<{ externalId: string }>;
  cancel?(externalId: string, signal?: AbortSignal): Promise<void>;
  /** Keep the engine's own scheduler off a node: Slurm drains it with 'plenum: <cause>'; Kubernetes taints it. */
  steerAway(node: string, cause: string, signal?: AbortSignal): Promise<void>;
  /** Lift what steerAway did (only Plenum's own drain or taint). */
  release(node: string, signal?: AbortSignal): Promise<void>;
}

/** The options column of a cluster, defaults filled. */
export const clusterOptionsSchema = z.object({
  /** Slurm: the user slurmrestd acts as (X-SLURM-USER-NAME). */
  user: z.string().min(1).max(64).optional(),
  /**
   * Slurm 22.05/23.02 only (slurmrestd v0.0.38 cannot update nodes): the cluster's slurm.conf on Plenum's host, so
   * drain and resume go through `scontrol` (slurm-client) with the same JWT.
   */
  slurmConf: z.string().min(1).max(4096).optional(),
  /** Kubernetes: the kubeconfig context (default: its current-context). */
  context: z.string().min(1).max(253).optional(),
  pollIntervalS: z.number().int().min(5).max(3600).default(15),
  /** Only show what facility feedback would do; never drain or taint. */
  adviseOnly: z.boolean().default(false),
  /** At most this many steer/release actions per cluster per minute. */
  steerActionsPerMinute: z.number().int().min(1).max(600).default(10),
});
export type ClusterOptions = z.infer<typeof clusterOptionsSchema>;

/** The credentials column: secret, never returned. */
export const clusterCredentialsSchema = z.object({
  /** slurmrestd JWT (X-SLURM-USER-TOKEN). */
  token: z.string().min(1).max(16_384).optional(),
  /** The kubeconfig file's content (YAML or JSON). */
  kubeconfig: z.string().min(1).max(1_048_576).optional(),
});
export type ClusterCredentials = z.infer<typeof clusterCredentialsSchema>;

/** What an adapter factory gets: the cluster row's connection fields, parsed. */
export interface ClusterConnection {
  id: number;
  name: string;
  kind: ClusterKind;
  url: string;
  credentials: ClusterCredentials;
  options: ClusterOptions;
}

export type AdapterFactory = (cluster: ClusterConnection) => ClusterAdapter;

/** The taint key Plenum's facility feedback puts on Kubernetes nodes, and the reason prefix of its Slurm drains. */
export const STEER_TAINT_KEY = 'plenum.io/facility';
export const STEER_REASON_PREFIX = 'plenum: ';

/** The engine answered and will not take the job (a submit it refused): retrying cannot help, the job fails with this. */
export class EngineRefusal extends Error {
  override name = 'EngineRefusal';
}
