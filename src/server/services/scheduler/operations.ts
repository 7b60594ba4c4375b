// Job operations outside the loop: submit, cancel, scale, and GPU faults. Each runs in one transaction that locks the
// rows it changes, so it is safe against a scheduler committing at the same moment.

import { eq, sql } from 'drizzle-orm';
import { acceleratorById } from '@/domain/accelerators';
import type { Db } from '../../db/client';
import * as s from '../../db/schema';
import { DEFAULT_POWER_W_PER_GPU, defaultWorkerResources } from './defaults';
import { isConflict, type Tx } from './cycle';
import { desiredWorkers, type JobRow } from './snapshot';
import { canonicalShape, tpuChipPowerAtLoadW, tpuJobSize, tpuShapeProblem } from './tpu';

/** A request the database cannot take, naming the input field (the router turns it into a field error). */
export class JobInputError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

export type JobSubmission = {
  name: string;
  kind: JobRow['kind'];
  tenant: string;
  priority?: number;
  preemptible?: boolean;
  workers?: number;
  replicas?: number;
  /** 0 (or omitted) for a TPU slice job. */
  gpusPerWorker?: number;
  gpuMilli?: number;
  gpuModels?: string[];
  gpuMemoryGib?: number | null;
  /** Omitted: the GPUs' share of the server's CPU and memory (defaultWorkerResources). */
  cpuMilli?: number | null;
  memoryMib?: number | null;
  requiredZoneLevel?: number;
  topology?: JobRow['topology'];
  replicaSpread?: JobRow['replicaSpread'];
  estimatedDurationS?: number | null;
  expectedPowerWPerGpu?: number | null;
  /** Who runs it once placed: the simulator (default), or a Slurm cluster of the registry. */
  executor?: JobRow['executor'];
  /** A TPU slice instead of GPUs (training and batch jobs): catalogue generation and shape, e.g. tpu-v5p 2x2x4. */
  tpu?: { generation: string; shape: string } | null;
};

async function event(tx: Tx, jobId: number, status: JobRow['status'], reason: string, detail?: unknown) {
  await tx.insert(s.jobEvents).values({ jobId, status, reason, detail: detail ?? null });
}

async function releaseAll(tx: Tx, jobId: number) {
  await tx.execute(sql`UPDATE gpu_allocations SET released_at = now() WHERE job_id = ${jobId} AND released_at IS NULL`);
}

/** Whole-GPU equivalents one job holds at full size. */
export function jobGpuDemand(job: Pick<JobRow, 'kind' | 'workers' | 'replicas' | 'gpusPerWorker' | 'gpuMilli'>): number {
  const perWorker = job.gpuMilli > 0 ? job.gpuMilli / 1000 : job.gpusPerWorker;
  return perWorker * desiredWorkers(job);
}

/** The CPU and memory a worker asks for: as given, or its GPUs' share of the servers with the requested GPU models that can hold it. */
async function workerResources(tx: Tx, input: JobSubmission): Promise<{ cpuMilli: number; memoryMib: number }> {
  if (input.cpuMilli != null && input.memoryMib != null) return { cpuMilli: input.cpuMilli, memoryMib: input.memoryMib };
  const models = input.gpuModels ?? [];
  const modelFilter = models.length ? sql`AND m.name IN (${sql.join(models.map((m) => sql`${m}`), sql`, `)})` : sql``;
  // Only servers a worker fits on: a worker of 8 GPUs never lands on a 4-GPU tray, so its share there does not count.
  const rows = await tx.execute<{ gpus: number }>(sql`
    SELECT DISTINCT per_server.gpus FROM (
      SELECT count(*)::int AS gpus FROM accelerators a JOIN accelerator_models m ON m.id = a.model_id WHERE true ${modelFilter} GROUP BY a.device_id
    ) per_server WHERE per_server.gpus >= ${Math.max(1, input.gpusPerWorker ?? 0)}`);
  const fallback = defaultWorkerResources(rows.rows.map((r) => r.gpus), input.gpusPerWorker ?? 0, input.gpuMilli ?? 0);
  return { cpuMilli: input.cpuMilli ?? fallback.cpuMilli, memoryMib: input.memoryMib ?? fallback.memoryMib };
}

export async function submitJob(db: Db, input: JobSubmission): Promise<JobRow> {
  return db.transaction(async (tx) => {
    const [tenant] = await tx.select().from(s.tenants).where(eq(s.tenants.name, input.tenant));
    if (!tenant) throw new JobInputError('tenant', `no tenant named "${input.tenant}"`);
    const executor = input.executor ?? { kind: 'simulator' as const };
    if (executor.kind === 'slurm') {
      const [cluster] = await tx.select({ kind: s.clusters.kind }).from(s.clusters).where(eq(s.clusters.name, executor.cluster));
      if (cluster?.kind !== 'slurm') throw new JobInputError('executor.cluster', `no Slurm cluster named "${executor.cluster}" (plenum clusters list)`);
      if (input.kind === 'inference') throw new JobInputError('executor.kind', 'Slurm runs training and batch jobs; inference replicas stay with the simulator or Kubernetes');
      if ((input.gpuMilli ?? 0) > 0) throw new JobInputError('gpuMilli', 'a Slurm job takes whole GPUs');
    }
    const requiredZoneLevel = input.requiredZoneLevel ?? 0;
    if (requiredZoneLevel > tenant.clearedZoneLevel) {
      throw new JobInputError('requiredZoneLevel', `tenant ${tenant.name} is cleared to level ${tenant.clearedZoneLevel} only`);
    }
    if (input.tpu) return submitTpuJob(tx, input, input.tpu, tenant, requiredZoneLevel, executor);
    const values = {
      name: input.name,
      kind: input.kind,
      tenantId: tenant.id,
      priority: input.priority ?? 0,
      preemptible: input.preemptible ?? false,
      workers: input.kind === 'inference' ? 1 : (input.workers ?? 1),
      replicas: input.kind === 'inference' ? (input.replicas ?? 1) : 1,
      gpusPerWorker: input.gpusPerWorker ?? 0,
      gpuMilli: input.gpuMilli ?? 0,
      gpuModels: input.gpuModels ?? [],
      gpuMemoryGib: input.gpuMemoryGib ?? null,
      ...(await workerResources(tx, input)),
      requiredZoneLevel,
      topology: input.topology ?? 'none',
      replicaSpread: input.replicaSpread ?? 'server',
      estimatedDurationS: input.estimatedDurationS ?? null,
      expectedPowerWPerGpu: input.expectedPowerWPerGpu ?? DEFAULT_POWER_W_PER_GPU[input.kind],
      executor,
    };
    const demand = jobGpuDemand(values);
    if (demand > tenant.gpuQuota) {
      // It could never run: say so now rather than leave it pending forever.
      throw new JobInputError(input.kind === 'inference' ? 'replicas' : 'workers', `needs ${demand} GPUs, over tenant ${tenant.name}'s quota of ${tenant.gpuQuota}`);
    }
    const [job] = await tx.insert(s.jobs).values(values).returning();
    await event(tx, job!.id, 'pending', 'submitted');
    return job!;
  });
}

/**
 * A TPU slice job: one worker per host of the slice (at most the generation's chips per host each), the chips counted
 * against the tenant's accelerator quota, the generation's catalogue model as its only accelerator model. The host's
 * CPU and memory belong to the slice, so none are asked for unless given.
 */
async function submitTpuJob(
  tx: Tx,
  input: JobSubmission,
  tpu: { generation: string; shape: string },
  tenant: typeof s.tenants.$inferSelect,
  requiredZoneLevel: number,
  executor: JobRow['executor'],
): Promise<JobRow> {
  const problem = tpuShapeProblem(tpu.generation, tpu.shape);
  if (problem) throw new JobInputError(problem.startsWith('unknown TPU generation') ? 'tpu.generation' : 'tpu.shape', problem);
  if (input.kind === 'inference') throw new JobInputError('kind', 'TPU slices are placed for training and batch jobs');
  if ((input.gpusPerWorker ?? 0) > 0 || (input.gpuMilli ?? 0) > 0) throw new JobInputError('tpu', 'a job asks for GPUs or a TPU slice, not both');
  if (executor.kind !== 'simulator') throw new JobInputError('executor.kind', 'TPU slices run on the simulator executor for now');
  const size = tpuJobSize(tpu.generation, tpu.shape);
  if (size.chips > tenant.gpuQuota) throw new JobInputError('tpu.shape', `needs ${size.chips} chips, over tenant ${tenant.name}'s quota of ${tenant.gpuQuota} accelerators`);
  const model = acceleratorById(tpu.generation)!;
  const [job] = await tx
    .insert(s.jobs)
    .values({
      name: input.name,
      kind: input.kind,
      tenantId: tenant.id,
      priority: input.priority ?? 0,
      preemptible: input.preemptible ?? false,
      workers: size.workers,
      replicas: 1,
      gpusPerWorker: size.chipsPerWorker,
      gpuMilli: 0,
      gpuModels: [model.model],
      cpuMilli: input.cpuMilli ?? 0,
      memoryMib: input.memoryMib ?? 0,
      requiredZoneLevel,
      topology: 'none',
      estimatedDurationS: input.estimatedDurationS ?? null,
      // Unless the submitter says otherwise, each chip draws the generation's power at load (the rack power check's figure).
      expectedPowerWPerGpu: input.expectedPowerWPerGpu ?? tpuChipPowerAtLoadW(tpu.generation),
      executor,
      tpuGeneration: tpu.generation,
      tpuShape: canonicalShape(tpu.generation, tpu.shape),
    })
    .returning();
  await event(tx, job!.id, 'pending', `submitted: ${model.model} slice ${canonicalShape(tpu.generation, tpu.shape)} (${size.chips} chips)`);
  return job!;
}

const ACTIVE: JobRow['status'][] = ['pending', 'scheduled', 'running'];

async function lockJob(tx: Tx, id: number): Promise<JobRow> {
  const [job] = await tx.select().from(s.jobs).where(eq(s.jobs.id, id)).for('update');
  if (!job) throw new JobInputError('id', `no job with id ${id}`);
  return job;
}

export async function cancelJob(db: Db, id: number, reason = 'cancelled by user'): Promise<JobRow> {
  return db.transaction(async (tx) => {
    const job = await lockJob(tx, id);
    if (job.origin === 'external') throw new JobInputError('id', `job ${id} is an external job of its engine (${job.externalId}): cancel it there`);
    if (!ACTIVE.includes(job.status)) throw new JobInputError('id', `job ${id} is already ${job.status}`);
    await releaseAll(tx, id);
    const [updated] = await tx.update(s.jobs).set({ status: 'cancelled', reason, estimatedStartAt: null, finishedAt: new Date(), updatedAt: new Date() }).where(eq(s.jobs.id, id)).returning();
    await event(tx, id, 'cancelled', reason);
    return updated!;
  });
}

/** Sets an inference service's replica count. Scaling down releases the highest-numbered replicas now; scaling up is placed by the loop. */
export async function scaleJob(db: Db, id: number, replicas: number): Promise<JobRow> {
  return db.transaction(async (tx) => {
    const job = await lockJob(tx, id);
    if (job.origin === 'external') throw new JobInputError('id', `job ${id} is an external job of its engine: scale it there`);
    if (job.kind !== 'inference') throw new JobInputError('replicas', 'only inference jobs have replicas');
    if (!ACTIVE.includes(job.status)) throw new JobInputError('id', `job ${id} is ${job.status}`);
    const [tenant] = await tx.select().from(s.tenants).where(eq(s.tenants.id, job.tenantId));
    const demand = jobGpuDemand({ ...job, replicas });
    if (tenant && demand > tenant.gpuQuota) throw new JobInputError('replicas', `needs ${demand} GPUs, over tenant ${tenant.name}'s quota of ${tenant.gpuQuota}`);
    if (replicas < job.replicas) {
      // Keep the lowest-numbered placed replicas.
      await tx.execute(sql`
        UPDATE gpu_allocations SET released_at = now()
        WHERE job_id = ${id} AND released_at IS NULL AND worker IN (
          SELECT worker FROM (SELECT DISTINCT worker FROM gpu_allocations WHERE job_id = ${id} AND released_at IS NULL) w
          ORDER BY worker OFFSET ${replicas})`);
    }
    const [updated] = await tx.update(s.jobs).set({ replicas, updatedAt: new Date() }).where(eq(s.jobs.id, id)).returning();
    await event(tx, id, job.status, `scaled from ${job.replicas} to ${replicas} replicas`);
    return updated!;
  });
}

export type GpuFaultEffect = { jobId: number; action: 'requeued' | 'failed' | 'replica-replaced' };

async function withDeadlockRetry<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await work();
    } catch (error) {
      if (i >= attempts || !isConflict(error)) throw error;
    }
  }
}

/**
 * A GPU has failed (telemetry, a fault injection, an operator). It takes no new work (the allocation trigger refuses
 * it), and its jobs are dealt with at once: training is requeued whole (its gang must restart), an inference service
 * loses the one replica and the loop places a replacement, a batch job fails.
 */
export async function markGpuFailed(db: Db, uuid: string, reason = 'marked failed'): Promise<{ acceleratorId: number; effects: GpuFaultEffect[] }> {
  return withDeadlockRetry(() =>
    db.transaction(async (tx) => {
      // Locking the accelerator first: an allocation racing this waits, then sees 'failed' in the trigger.
      const [gpu] = await tx.update(s.accelerators).set({ health: 'failed' }).where(eq(s.accelerators.uuid, uuid)).returning({ id: s.accelerators.id });
      if (!gpu) throw new JobInputError('uuid', `no GPU with UUID ${uuid}`);
      const holders = await tx.execute<{ job_id: number; worker: number }>(
        sql`SELECT DISTINCT job_id, worker FROM gpu_allocations WHERE accelerator_id = ${gpu.id} AND released_at IS NULL ORDER BY job_id`,
      );
      const effects: GpuFaultEffect[] = [];
      const why = `GPU ${uuid} failed${reason && reason !== 'marked failed' ? ` (${reason})` : ''}`;
      for (const jobId of [...new Set(holders.rows.map((r) => r.job_id))]) {
        const job = await lockJob(tx, jobId);
        if (job.status !== 'scheduled' && job.status !== 'running') continue;
        // An engine's job (its own, or one Plenum handed to it) is the engine's to restart: requeueing it here would
        // run it twice. Its hold on the GPU ends when the engine says so.
        if (job.origin === 'external' || job.executor.kind !== 'simulator') continue;
        if (job.kind === 'training') {
          await releaseAll(tx, jobId);
          await tx.update(s.jobs).set({ status: 'pending', reason: why, scheduledAt: null, startedAt: null, updatedAt: new Date() }).where(eq(s.jobs.id, jobId));
          await event(tx, jobId, 'pending', `requeued: ${why}`);
          effects.push({ jobId, action: 'requeued' });
        } else if (job.kind === 'inference') {
          const workers = holders.rows.filter((r) => r.job_id === jobId).map((r) => r.worker);
          for (const worker of workers) {
            await tx.execute(sql`UPDATE gpu_allocations SET released_at = now() WHERE job_id = ${jobId} AND worker = ${worker} AND released_at IS NULL`);
          }
          await tx.update(s.jobs).set({ reason: `${why}; replacing replica ${workers.join(', ')}`, updatedAt: new Date() }).where(eq(s.jobs.id, jobId));
          await event(tx, jobId, job.status, `replica ${workers.join(', ')} lost: ${why}`);
          effects.push({ jobId, action: 'replica-replaced' });
        } else {
          await releaseAll(tx, jobId);
          await tx.update(s.jobs).set({ status: 'failed', reason: why, finishedAt: new Date(), updatedAt: new Date() }).where(eq(s.jobs.id, jobId));
          await event(tx, jobId, 'failed', why);
          effects.push({ jobId, action: 'failed' });
        }
      }
      return { acceleratorId: gpu.id, effects };
    }),
  );
}

/** The GPU is back (replaced or repaired): it takes work again from the next loop. */
export async function markGpuHealthy(db: Db, uuid: string): Promise<{ acceleratorId: number }> {
  const [gpu] = await db.update(s.accelerators).set({ health: 'healthy' }).where(eq(s.accelerators.uuid, uuid)).returning({ id: s.accelerators.id });
  if (!gpu) throw new JobInputError('uuid', `no GPU with UUID ${uuid}`);
  return { acceleratorId: gpu.id };
}
