import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  check,
  index,
  integer,
  uniqueIndex,
  jsonb,
  pgEnum,
  pgTable,
  real,
  serial,
  smallint,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';
import { clusters } from './clusters';
import { accelerators } from './devices';

export const jobKind = pgEnum('job_kind', ['training', 'inference', 'batch']);
export const jobTopology = pgEnum('job_topology', ['nvlink-domain', 'leaf', 'rack', 'none']);
/** Who runs a Plenum job once placed: the built-in simulator, or an engine of the cluster registry. */
export type JobExecutor =
  | { kind: 'simulator' }
  | { kind: 'slurm'; cluster: string; partition?: string; script: string }
  | { kind: 'kubernetes'; cluster: string };

/** A node of an engine job and the GPUs it holds there. */
export type ExternalJobNode = { name: string; gpus: number };

export const jobStatus = pgEnum('job_status', ['pending', 'scheduled', 'running', 'succeeded', 'failed', 'preempted', 'cancelled']);

/** Who submits jobs: a GPU quota (hard cap on GPUs held at once) and the highest security-zone level it is cleared for. */
export const tenants = pgTable(
  'tenants',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull().unique(),
    /** Whole GPUs the tenant may hold at once (shares count as their fraction). */
    gpuQuota: integer('gpu_quota').notNull(),
    /** 0 public, 1 restricted, 2 secure, 3 critical: a job may require a zone up to this level. */
    clearedZoneLevel: integer('cleared_zone_level').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('tenants_gpu_quota_range', sql`${t.gpuQuota} BETWEEN 0 AND 1000000`),
    check('tenants_cleared_zone_level_range', sql`${t.clearedZoneLevel} BETWEEN 0 AND 3`),
  ],
);

export const jobs = pgTable(
  'jobs',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull(),
    kind: jobKind('kind').notNull(),
    tenantId: integer('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'restrict' }),
    /** Higher runs first and may preempt lower, preemptible jobs. */
    priority: integer('priority').notNull().default(0),
    preemptible: boolean('preemptible').notNull().default(false),
    /** Gang size of training and batch jobs (all placed or none). Inference uses `replicas` instead. */
    workers: integer('workers').notNull().default(1),
    /** Serving replicas of an inference job; each is placed on its own and a lost one is replaced alone. */
    replicas: integer('replicas').notNull().default(1),
    gpusPerWorker: integer('gpus_per_worker').notNull(),
    /** Share of one GPU in thousandths (1-999) for a GPU-sharing worker; 0 = whole GPUs. */
    gpuMilli: integer('gpu_milli').notNull().default(0),
    /** Any of these accelerator model names; empty = any. */
    gpuModels: text('gpu_models').array().notNull().default(sql`'{}'::text[]`),
    gpuMemoryGib: real('gpu_memory_gib'),
    cpuMilli: integer('cpu_milli').notNull(),
    memoryMib: integer('memory_mib').notNull(),
    requiredZoneLevel: integer('required_zone_level').notNull().default(0),
    topology: jobTopology('topology').notNull().default('none'),
    /** Inference: at most one replica per 'server' (default) or per 'rack', or 'none'. */
    replicaSpread: text('replica_spread').$type<'server' | 'rack' | 'none'>().notNull().default('server'),
    /** Null: runs until cancelled (a service). */
    estimatedDurationS: integer('estimated_duration_s'),
    /** Expected draw of one fully used GPU; filled from the kind's default at submit. */
    expectedPowerWPerGpu: real('expected_power_w_per_gpu').notNull(),
    status: jobStatus('status').notNull().default('pending'),
    /** Why the job is where it is: the scheduler's explanation while pending, the cause of a failure. */
    reason: text('reason').notNull().default(''),
    /** While pending at the head of the queue: the start the scheduler reserved for it (EASY backfill); else null. */
    estimatedStartAt: timestamp('estimated_start_at', { withTimezone: true }),
    submittedAt: timestamp('submitted_at', { withTimezone: true }).notNull().defaultNow(),
    scheduledAt: timestamp('scheduled_at', { withTimezone: true }),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    /** 'plenum': queued and placed by Plenum; 'external': seen on an engine (a Slurm job, a Kubernetes GPU pod). */
    origin: text('origin').$type<'plenum' | 'external'>().notNull().default('plenum'),
    executor: jsonb('executor').$type<JobExecutor>().notNull().default({ kind: 'simulator' }),
    /** The engine that runs it (external jobs, and Plenum jobs once submitted to an engine). */
    clusterId: integer('cluster_id').references(() => clusters.id, { onDelete: 'set null' }),
    /** The engine's id (Slurm job id, Kubernetes namespace/pod), its own state word and the exit code. */
    externalId: text('external_id'),
    externalState: text('external_state'),
    exitCode: integer('exit_code'),
    /** Who runs it on the engine: Slurm user/account, Kubernetes namespace. */
    owner: text('owner'),
    /** The engine's nodes of the job and the GPUs it holds on each (mapped or not to Plenum servers). */
    externalNodes: jsonb('external_nodes').$type<ExternalJobNode[]>().notNull().default([]),
    /** A TPU slice request instead of GPUs: the catalogue generation ('tpu-v5p') and the shape ('2x2x4'); both or neither. */
    tpuGeneration: text('tpu_generation'),
    tpuShape: text('tpu_shape'),
  },
  (t) => [
    check('jobs_priority_range', sql`${t.priority} BETWEEN -1000 AND 1000`),
    check('jobs_workers_range', sql`${t.workers} BETWEEN 1 AND 1024`),
    check('jobs_replicas_range', sql`${t.replicas} BETWEEN 0 AND 1024`),
    check('jobs_replica_spread', sql`${t.replicaSpread} IN ('server', 'rack', 'none')`),
    check('jobs_gpus_per_worker_range', sql`${t.gpusPerWorker} BETWEEN 0 AND 8`),
    check('jobs_gpu_milli_range', sql`${t.gpuMilli} BETWEEN 0 AND 999`),
    // A GPU scheduler: every worker takes at least a share of a GPU; a share is of one GPU only.
    check('jobs_needs_gpu', sql`${t.gpusPerWorker} >= 1 OR ${t.gpuMilli} > 0`),
    check('jobs_share_of_one_gpu', sql`${t.gpuMilli} = 0 OR ${t.gpusPerWorker} <= 1`),
    check('jobs_gpu_memory_positive', sql`${t.gpuMemoryGib} IS NULL OR ${t.gpuMemoryGib} > 0`),
    check('jobs_cpu_memory_non_negative', sql`${t.cpuMilli} >= 0 AND ${t.memoryMib} >= 0`),
    check('jobs_required_zone_level_range', sql`${t.requiredZoneLevel} BETWEEN 0 AND 3`),
    check('jobs_duration_positive', sql`${t.estimatedDurationS} IS NULL OR ${t.estimatedDurationS} > 0`),
    check('jobs_power_range', sql`${t.expectedPowerWPerGpu} > 0 AND ${t.expectedPowerWPerGpu} <= 5000`),
    index('jobs_status_idx').on(t.status, t.submittedAt),
    index('jobs_tenant_idx').on(t.tenantId),
    check('jobs_origin', sql`${t.origin} IN ('plenum', 'external')`),
    check('jobs_external_has_cluster', sql`${t.origin} = 'plenum' OR (${t.externalId} IS NOT NULL)`),
    check('jobs_executor_kind', sql`${t.executor} ->> 'kind' IN ('simulator', 'slurm', 'kubernetes')`),
    uniqueIndex('jobs_cluster_external_unique').on(t.clusterId, t.externalId).where(sql`${t.externalId} IS NOT NULL`),
    index('jobs_origin_idx').on(t.origin, t.status),
    check('jobs_tpu_request_complete', sql`(${t.tpuGeneration} IS NULL) = (${t.tpuShape} IS NULL)`),
  ],
);

/** The timeline of a job: every status change (and re-placement) with its reason. */
export const jobEvents = pgTable(
  'job_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    jobId: integer('job_id')
      .notNull()
      .references(() => jobs.id, { onDelete: 'cascade' }),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    status: jobStatus('status').notNull(),
    reason: text('reason').notNull().default(''),
    detail: jsonb('detail'),
  },
  (t) => [index('job_events_job_idx').on(t.jobId, t.at)],
);

/**
 * A worker's hold on (part of) one GPU. Active while `released_at` is null; released rows stay as placement history.
 * A trigger (migration 0002) locks the accelerator row and refuses a sum of active milli over 1000 and any new
 * allocation on a failed GPU, so two schedulers racing can never over-allocate.
 */
export const gpuAllocations = pgTable(
  'gpu_allocations',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    jobId: integer('job_id')
      .notNull()
      .references(() => jobs.id, { onDelete: 'cascade' }),
    worker: integer('worker').notNull(),
    acceleratorId: integer('accelerator_id')
      .notNull()
      .references(() => accelerators.id, { onDelete: 'restrict' }),
    milli: integer('milli').notNull(),
    /** The partition (logical GPU) held on a partitioned AMD GPU; milli is then that partition's share. */
    partitionIndex: smallint('partition_index'),
    allocatedAt: timestamp('allocated_at', { withTimezone: true }).notNull().defaultNow(),
    releasedAt: timestamp('released_at', { withTimezone: true }),
  },
  (t) => [
    check('gpu_allocations_milli_range', sql`${t.milli} BETWEEN 1 AND 1000`),
    check('gpu_allocations_worker_non_negative', sql`${t.worker} >= 0`),
    index('gpu_allocations_active_accelerator_idx').on(t.acceleratorId).where(sql`${t.releasedAt} IS NULL`),
    index('gpu_allocations_job_idx').on(t.jobId),
    check('gpu_allocations_partition_index_range', sql`${t.partitionIndex} BETWEEN 0 AND 7`),
    uniqueIndex('gpu_allocations_active_partition_idx')
      .on(t.acceleratorId, t.partitionIndex)
      .where(sql`${t.releasedAt} IS NULL AND ${t.partitionIndex} IS NOT NULL`),
  ],
);
