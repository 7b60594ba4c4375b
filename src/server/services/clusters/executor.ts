// The engine executor: Plenum jobs with `executor: { kind: 'slurm', … }` are placed by Plenum's scheduler like any
// job; once a placement has committed (status 'scheduled', GPUs allocated), this step hands it to the engine pinned to
// the chosen nodes. It runs after the scheduling cycle (never inside a placement transaction) and is idempotent: the
// engine job is named `plenum-<id>-…`, so after a crash between submit and record the job is found and adopted, not
// submitted twice. A refusal fails the job with the engine's reason and frees its GPUs; an unreachable engine is retried.

import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import * as s from '../../db/schema';
import { cancelJob } from '../scheduler/operations';
import type { JobRow } from '../scheduler/snapshot';
import { adapterFor } from './adapters';
import { connectionOf, errorText } from './registry';
import { type ClusterAdapter, type ClusterConnection, EngineRefusal, type PlacedJob } from './types';

type ClusterRow = typeof s.clusters.$inferSelect;
export type AdapterOf = (cluster: ClusterConnection) => ClusterAdapter;

/** The engine job name: the idempotency key (prefix `plenum-<id>-`) and something a Slurm user recognises. */
export function engineJobName(job: Pick<JobRow, 'id' | 'name'>): string {
  return `plenum-${job.id}-${job.name}`.slice(0, 128);
}

export type ExecutorResult = { submitted: number[]; adopted: number[]; refused: number[]; retrying: string[] };

async function failJob(db: Db, jobId: number, reason: string): Promise<void> {
  await db.transaction(async (tx) => {
    const [job] = await tx.select({ status: s.jobs.status }).from(s.jobs).where(eq(s.jobs.id, jobId)).for('update');
    if (job?.status !== 'scheduled') return;
    await tx.execute(sql`UPDATE gpu_allocations SET released_at = now() WHERE job_id = ${jobId} AND released_at IS NULL`);
    await tx.update(s.jobs).set({ status: 'failed', reason: reason.slice(0, 2000), finishedAt: new Date(), updatedAt: new Date() }).where(eq(s.jobs.id, jobId));
    await tx.insert(s.jobEvents).values({ jobId, status: 'failed', reason: reason.slice(0, 2000) });
  });
}

/**
 * Slurm refused because a chosen node went down, drained or stopped answering after Plenum's last read: the placement
 * is stale, not the job. It goes back to the queue (GPUs freed) and is placed again from fresher node states.
 */
async function requeueJob(db: Db, jobId: number, reason: string): Promise<void> {
  await db.transaction(async (tx) => {
    const [job] = await tx.select({ status: s.jobs.status }).from(s.jobs).where(eq(s.jobs.id, jobId)).for('update');
    if (job?.status !== 'scheduled') return;
    await tx.execute(sql`UPDATE gpu_allocations SET released_at = now() WHERE job_id = ${jobId} AND released_at IS NULL`);
    await tx.update(s.jobs).set({ status: 'pending', reason: reason.slice(0, 2000), scheduledAt: null, updatedAt: new Date() }).where(eq(s.jobs.id, jobId));
    await tx.insert(s.jobEvents).values({ jobId, status: 'pending', reason: reason.slice(0, 2000) });
  });
}

const STALE_NODE = /Required node not available/i;

/** The placement as the engine sees it: one entry per node, the GPUs the job holds there, whole nodes or not. */
async function placementOf(db: Db, job: JobRow, cluster: ClusterRow): Promise<{ nodes: PlacedJob['nodes']; wholeNodes: boolean } | { error: string }> {
  const rows = (
    await db.execute<{ device_id: number; device: string; node: string | null; gpus: number; total: number }>(sql`
      SELECT a.device_id, d.name AS device, n.name AS node, count(*)::int AS gpus,
        (SELECT count(*)::int FROM accelerators x WHERE x.device_id = a.device_id) AS total
      FROM gpu_allocations g
      JOIN accelerators a ON a.id = g.accelerator_id
      JOIN devices d ON d.id = a.device_id
      LEFT JOIN cluster_nodes n ON n.device_id = a.device_id AND n.cluster_id = ${cluster.id}
      WHERE g.job_id = ${job.id} AND g.released_at IS NULL
      GROUP BY a.device_id, d.name, n.name
      ORDER BY min(g.worker), a.device_id`)
  ).rows;
  if (rows.length === 0) return { error: 'placed, but it holds no GPUs' };
  const stray = rows.find((r) => r.node === null);
  if (stray) return { error: `server ${stray.device} is not a node of cluster ${cluster.name}` };
  return { nodes: rows.map((r) => ({ name: r.node as string, gpus: r.gpus })), wholeNodes: rows.every((r) => r.gpus === r.total) };
}

/** Records the engine's id on a job still waiting for it; false when the job was cancelled meanwhile. */
async function recordSubmission(db: Db, job: JobRow, cluster: ClusterRow, externalId: string, how: 'submitted' | 'adopted'): Promise<boolean> {
  return db.transaction(async (tx) => {
    // A mirror the registry made of it before we recorded the id (a crash, then a sync) is Plenum's own job.
    const mirror = (
      await tx.execute<{ id: number }>(sql`SELECT id FROM jobs WHERE cluster_id = ${cluster.id} AND external_id = ${externalId} AND origin = 'external' FOR UPDATE`)
    ).rows[0];
    if (mirror) {
      await tx.execute(sql`DELETE FROM gpu_allocations WHERE job_id = ${mirror.id}`);
      await tx.execute(sql`DELETE FROM job_events WHERE job_id = ${mirror.id}`);
      await tx.delete(s.jobs).where(eq(s.jobs.id, mirror.id));
    }
    const reason = `${how} to ${cluster.name} as job ${externalId}`;
    const updated = await tx
      .update(s.jobs)
      .set({ clusterId: cluster.id, externalId, externalState: 'PENDING', reason, updatedAt: new Date() })
      .where(and(eq(s.jobs.id, job.id), eq(s.jobs.status, 'scheduled'), sql`${s.jobs.externalId} IS NULL`))
      .returning({ id: s.jobs.id });
    if (updated.length === 0) return false;
    await tx.insert(s.jobEvents).values({ jobId: job.id, status: 'scheduled', reason });
    return true;
  });
}

/** Hands every committed placement of an engine-run job to its engine. */
export async function submitPlacedJobs(db: Db, options: { adapterOf?: AdapterOf } = {}): Promise<ExecutorResult> {
  const result: ExecutorResult = { submitted: [], adopted: [], refused: [], retrying: [] };
  const waiting = await db
    .select()
    .from(s.jobs)
    .where(and(eq(s.jobs.origin, 'plenum'), eq(s.jobs.status, 'scheduled'), sql`${s.jobs.externalId} IS NULL`, sql`${s.jobs.executor} ->> 'kind' = 'slurm'`))
    .orderBy(s.jobs.id);
  if (waiting.length === 0) return result;
  const clusters = new Map((await db.select().from(s.clusters)).map((c) => [c.name, c]));
  const engineJobNames = new Map<number, Map<string, string>>();

  for (const job of waiting) {
    const executor = job.executor;
    if (executor.kind !== 'slurm') continue;
    const cluster = clusters.get(executor.cluster);
    if (cluster?.kind !== 'slurm') {
      await failJob(db, job.id, `no Slurm cluster named ${executor.cluster}`);
      result.refused.push(job.id);
      continue;
    }
    const placement = await placementOf(db, job, cluster);
    if ('error' in placement) {
      await failJob(db, job.id, placement.error);
      result.refused.push(job.id);
      continue;
    }
    const name = engineJobName(job);
    try {
      const adapter = (options.adapterOf ?? adapterFor)(connectionOf(cluster));
      if (!adapter.submit) throw new EngineRefusal(`${cluster.kind} clusters do not take jobs from Plenum`);
      // Submitted before a crash and not recorded? Adopt it (one read per cluster per pass).
      let names = engineJobNames.get(cluster.id);
      if (!names) {
        const state = await adapter.read(AbortSignal.timeout(30_000));
        names = new Map(state.jobs.map((j) => [j.name, j.externalId]));
        engineJobNames.set(cluster.id, names);
      }
      const existing = names.get(name);
      const externalId =
        existing ??
        (
          await adapter.submit(
            {
              jobId: job.id,
              name,
              ...(executor.partition ? { partition: executor.partition } : {}),
              script: executor.script,
              nodes: placement.nodes,
              wholeNodes: placement.wholeNodes,
              estimatedDurationS: job.estimatedDurationS,
              cpuMilli: job.cpuMilli,
              memoryMib: job.memoryMib,
            },
            AbortSignal.timeout(30_000),
          )
        ).externalId;
      if (await recordSubmission(db, job, cluster, externalId, existing ? 'adopted' : 'submitted')) {
        (existing ? result.adopted : result.submitted).push(job.id);
      } else {
        // Cancelled in Plenum while we submitted: take it back out of the engine.
        await adapter.cancel?.(externalId).catch(() => {});
      }
    } catch (error) {
      if (error instanceof EngineRefusal && STALE_NODE.test(error.message)) {
        await requeueJob(db, job.id, `${cluster.name}: ${error.message}; placing it again`);
        result.retrying.push(`${job.id}: ${error.message}`);
      } else if (error instanceof EngineRefusal) {
        await failJob(db, job.id, `${cluster.name} refused it: ${error.message}`);
        result.refused.push(job.id);
      } else {
        const reason = `could not submit to ${cluster.name} (retrying): ${errorText(error)}`;
        await db.update(s.jobs).set({ reason: reason.slice(0, 2000), updatedAt: new Date() }).where(and(eq(s.jobs.id, job.id), eq(s.jobs.status, 'scheduled')));
        result.retrying.push(`${job.id}: ${reason}`);
      }
    }
  }
  return result;
}

/**
 * Cancels a job, in its engine first when an engine runs it: a Plenum job already submitted is cancelled there
 * (an engine that cannot be reached refuses the cancel, so Plenum never shows cancelled what still runs).
 */
export async function cancelJobEverywhere(db: Db, id: number, reason?: string, options: { adapterOf?: AdapterOf } = {}): Promise<JobRow> {
  const [job] = await db.select().from(s.jobs).where(eq(s.jobs.id, id));
  if (job && job.origin === 'plenum' && job.executor.kind !== 'simulator' && job.externalId && job.clusterId !== null && ['scheduled', 'running'].includes(job.status)) {
    const [cluster] = await db.select().from(s.clusters).where(eq(s.clusters.id, job.clusterId));
    if (cluster) {
      const adapter = (options.adapterOf ?? adapterFor)(connectionOf(cluster));
      await adapter.cancel?.(job.externalId, AbortSignal.timeout(30_000));
    }
  }
  return cancelJob(db, id, reason);
}
