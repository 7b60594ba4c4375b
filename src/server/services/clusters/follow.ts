// Plenum jobs an engine runs (executor slurm): their engine state flows back at each registry sync, in the sync's
// transaction. scheduled (placed, engine pending) → running → succeeded / failed / cancelled, with the exit code and
// the engine's reason; an ended job gives its GPUs back. Jobs already ended in Plenum are left as they are.

import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import * as s from '../../db/schema';
import type { EngineJob } from './types';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

type Submitted = { id: number; external_id: string; status: string; external_state: string | null };

const ACTIVE = new Set(['pending', 'scheduled', 'running']);

function outcome(clusterName: string, job: EngineJob): string {
  const exit = job.exitCode === null ? '' : ` (exit ${job.exitCode})`;
  if (job.state === 'succeeded') return `completed on ${clusterName}${exit}`;
  if (job.state === 'cancelled') return `cancelled in ${clusterName}${exit}`;
  return `${clusterName}: ${job.engineState}${job.reason ? ` — ${job.reason}` : ''}${exit}`;
}

export async function followSubmittedJobs(tx: Tx, clusterName: string, submitted: readonly Submitted[], engineJobs: readonly EngineJob[]): Promise<void> {
  const byId = new Map(engineJobs.map((j) => [j.externalId, j]));
  for (const known of submitted) {
    if (!ACTIVE.has(known.status)) continue;
    const job = byId.get(known.external_id);
    if (!job) {
      // Submitted after this sync's read began? The next sync will list it (a read lasts at most 30 s).
      const recent = await tx.execute(sql`SELECT 1 FROM jobs WHERE id = ${known.id} AND updated_at > now() - interval '60 seconds'`);
      if (recent.rows.length > 0) continue;
      // Slurm forgets finished jobs after MinJobAge: one we never saw end has an unknown outcome.
      const reason = `no longer listed by ${clusterName}; outcome unknown`;
      await tx.execute(sql`UPDATE gpu_allocations SET released_at = now() WHERE job_id = ${known.id} AND released_at IS NULL`);
      await tx.update(s.jobs).set({ status: 'failed', reason, finishedAt: new Date(), updatedAt: new Date() }).where(eq(s.jobs.id, known.id));
      await tx.insert(s.jobEvents).values({ jobId: known.id, status: 'failed', reason });
      continue;
    }
    const ended = job.state === 'succeeded' || job.state === 'failed' || job.state === 'cancelled';
    const status = job.state === 'pending' ? 'scheduled' : job.state;
    const reason = ended ? outcome(clusterName, job) : job.state === 'pending' ? `waiting in ${clusterName}${job.reason ? `: ${job.reason}` : ''}` : `running on ${clusterName} as ${job.externalId}`;
    if (known.status === status && known.external_state === job.engineState) continue;
    await tx
      .update(s.jobs)
      .set({
        status,
        reason: reason.slice(0, 2000),
        externalState: job.engineState,
        externalNodes: job.nodes,
        exitCode: job.exitCode,
        ...(job.state !== 'pending' && job.startedAt ? { startedAt: job.startedAt } : {}),
        ...(job.state === 'running' && !job.startedAt ? { startedAt: new Date() } : {}),
        ...(ended ? { finishedAt: job.endedAt ?? new Date() } : {}),
        updatedAt: new Date(),
      })
      .where(eq(s.jobs.id, known.id));
    if (ended) await tx.execute(sql`UPDATE gpu_allocations SET released_at = now() WHERE job_id = ${known.id} AND released_at IS NULL`);
    if (known.status !== status) await tx.insert(s.jobEvents).values({ jobId: known.id, status, reason: reason.slice(0, 2000) });
  }
}
