// One scheduling loop iteration: advance the lifecycle (scheduled → running → succeeded), build the snapshot, run the
// pure scheduler over the queue in fair order, and commit each decision in its own transaction that re-checks
// everything under row locks. A decision that loses a race leaves its job pending for the next loop.

import { sql } from 'drizzle-orm';
import { type ComputePartitionMode, PARTITIONS_PER_GPU } from '@/domain/amd-partitions';
import type { DailyCurve } from '@/domain/inference-reserve';
import {
  compareQueued,
  createScheduler,
  EasyBackfill,
  partitionShareMilli,
  type PlacementDecision,
  type PodRequest,
  podGpuMilli,
  type Scheduler,
  tenantUsage,
  type WorkerPlacement,
} from '@/scheduler';
import type { Db } from '../../db/client';
import { SCHEDULER_PROFILE } from './defaults';
import { admissionWPerGpu, COMMIT_MAX_AGE_S, configuredInferenceCurve } from './reservation';
import { placePendingTpuJobs } from './tpu';
import { type ClusterState, desiredWorkers, type JobRow, loadClusterState, loadJobs, podOf as jobPod, rackGpuLoads, workerPowerW } from './snapshot';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** A decision that can no longer be committed as computed (the job changed, a victim ended, a GPU was taken). */
export class PlacementConflict extends Error {}

const CONFLICT_CODES = new Set(['23514', '40P01', '40001', '55P03']);

function pgCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function messageOf(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    if (pgCode(current) && (current as { message?: string }).message && !(current as { cause?: unknown }).cause) return (current as { message: string }).message;
    const cause = (current as { cause?: unknown }).cause;
    if (!cause) break;
    current = cause;
  }
  return error instanceof Error ? error.message : String(error);
}

export function isConflict(error: unknown): boolean {
  if (error instanceof PlacementConflict) return true;
  const code = pgCode(error);
  return code !== undefined && CONFLICT_CODES.has(code);
}

/** What a placement unit of this cycle stands for: a whole job, or the missing replicas of a running inference job. */
type Unit = { job: JobRow; pod: PodRequest; topUp: boolean; workerIndices: number[] };

export type CycleResult = {
  started: number;
  succeeded: number;
  placed: number[];
  preempted: number[];
  conflicts: number;
  unschedulable: number;
  warnings: string[];
};

export type CycleOptions = {
  /** Runs just before each decision's transaction: tests use it to let a rival placement land in between. */
  beforeCommit?: (decision: PlacementDecision) => Promise<void>;
};

export type SchedulerService = {
  /** One loop iteration. */
  runCycle: (db: Db, options?: CycleOptions) => Promise<CycleResult>;
};

/**
 * A scheduling service with its own pure scheduler instance (its memo lives across cycles). `inferenceCurve`: the
 * site's inference curve for the forecast reservation of inference shares (reservation.ts); by default the one
 * configured in the environment (none: every job reserves its expected draw).
 */
export function createSchedulerService(options: { scheduler?: Scheduler; inferenceCurve?: DailyCurve | null } = {}): SchedulerService {
  const scheduler = options.scheduler ?? createScheduler(SCHEDULER_PROFILE);
  const curve = options.inferenceCurve === undefined ? configuredInferenceCurve() : options.inferenceCurve;
  return { runCycle: (db, cycleOptions) => runSchedulingCycle(db, scheduler, curve, cycleOptions ?? {}) };
}

/**
 * The head is the first job, in queue order, that can get a reserved start. Jobs that cannot fit even when every
 * running job has ended are skipped; after this many tries the loop places greedily (Slurm's bf_max_job_test, in small).
 */
const MAX_RESERVATION_TRIES = 16;

/** Class id of the per-site advisory lock held while a placement re-checks the site's load (key 2: the site id). */
export const SITE_PLACEMENT_LOCK = 0x504c4e4d; // "PLNM"

function addRackLoad(state: ClusterState, rackLoadW: Map<number, number>, worker: WorkerPlacement, sign: 1 | -1): void {
  const node = state.snapshot.nodes[state.snapshot.indexById.get(worker.nodeId)!]!;
  const rackId = Number(node.rackId);
  rackLoadW.set(rackId, (rackLoadW.get(rackId) ?? 0) + sign * worker.expectedPowerW);
}

/**
 * The simulator executor: scheduled → running (jobs placed by an earlier loop), running → succeeded once the estimated
 * duration has passed. Jobs run by an engine (and external jobs) follow their engine's state instead.
 */
export async function advanceLifecycle(db: Db): Promise<{ started: number; succeeded: number }> {
  const started = await db.execute<{ id: number }>(sql`
    WITH moved AS (
      UPDATE jobs SET status = 'running', started_at = now(), updated_at = now()
      WHERE status = 'scheduled' AND origin = 'plenum' AND executor->>'kind' = 'simulator' RETURNING id
    ), ev AS (
      INSERT INTO job_events (job_id, status, reason) SELECT id, 'running', 'started' FROM moved
    )
    SELECT id FROM moved`);
  const succeeded = await db.execute<{ id: number }>(sql`
    WITH done AS (
      UPDATE jobs SET status = 'succeeded', finished_at = now(), updated_at = now(),
        reason = 'completed after ' || estimated_duration_s || ' s'
      WHERE status = 'running' AND estimated_duration_s IS NOT NULL AND origin = 'plenum' AND executor->>'kind' = 'simulator'
        AND started_at + make_interval(secs => estimated_duration_s) <= now()
      RETURNING id, reason
    ), freed AS (
      UPDATE gpu_allocations SET released_at = now() WHERE released_at IS NULL AND job_id IN (SELECT id FROM done)
    ), ev AS (
      INSERT INTO job_events (job_id, status, reason) SELECT id, 'succeeded', reason FROM done
    )
    SELECT id FROM done`);
  return { started: started.rows.length, succeeded: succeeded.rows.length };
}

function unitsOf(state: ClusterState, pending: JobRow[]): Unit[] {
  const units: Unit[] = [];
  // A pod asks for what it would reserve if placed now (reservation.ts): the number the power and cooling filters use.
  const podOf = (job: JobRow, tenant: string, workers: number, podId?: string): PodRequest => ({
    ...jobPod(job, tenant, workers, podId),
    expectedPowerWPerGpu: admissionWPerGpu(job, state.now.getTime(), state.inferenceCurve),
  });
  const tenant = (job: JobRow) => state.tenantNames.get(job.tenantId) ?? String(job.tenantId);
  for (const job of pending) {
    const count = desiredWorkers(job);
    if (count < 1) continue;
    units.push({ job, pod: podOf(job, tenant(job), count), topUp: false, workerIndices: Array.from({ length: count }, (_, i) => i) });
  }
  // Running inference services short of replicas (scaled up, or a replica lost to a failed GPU).
  for (const job of state.activeJobs.values()) {
    if (job.kind !== 'inference') continue;
    const placed = state.placedWorkers.get(job.id) ?? new Set<number>();
    const missing = job.replicas - placed.size;
    if (missing <= 0) continue;
    const free: number[] = [];
    for (let i = 0; free.length < missing; i++) if (!placed.has(i)) free.push(i);
    // The new replicas keep off the servers (or racks) the placed ones run on.
    const replicaNodeIds = state.snapshot.allocations.get(String(job.id))?.workers.map((w) => w.nodeId) ?? [];
    units.push({ job, pod: { ...podOf(job, tenant(job), missing, `${job.id}:top-up`), replicaNodeIds }, topUp: true, workerIndices: free });
  }
  return units;
}

export function jobIdOfPod(podId: string): number {
  return Number.parseInt(podId, 10);
}

/** When a job is expected to end (ms), counting from its start or, not started yet, from now; null: no estimate. */
function estimatedEnd(job: JobRow, now: Date): number | null {
  if (job.estimatedDurationS === null) return null;
  return (job.startedAt ?? now).getTime() + job.estimatedDurationS * 1000;
}

function utcTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function nodeNames(state: ClusterState, nodeIds: string[]): string {
  const names = nodeIds.map((id) => state.snapshot.nodes[state.snapshot.indexById.get(id)!]!.name);
  return names.slice(0, 3).join(', ') + (names.length > 3 ? `, … (${names.length} servers)` : '');
}

async function runSchedulingCycle(db: Db, scheduler: Scheduler, curve: DailyCurve | null, options: CycleOptions): Promise<CycleResult> {
  const lifecycle = await advanceLifecycle(db);
  // External jobs wait in their engine's queue, not Plenum's.
  const queued = (await loadJobs(db, ['pending'])).filter((job) => job.origin === 'plenum');
  // TPU slices first (src/domain/tpu-torus.ts), before the GPU snapshot is read, so its rack loads include them.
  const tpu = await placePendingTpuJobs(db, queued.filter((job) => job.tpuGeneration !== null), curve);
  const state = await loadClusterState(db, curve);
  const pending = queued.filter((job) => job.tpuGeneration === null);
  const units = unitsOf(state, pending);
  const result: CycleResult = { ...lifecycle, placed: [...tpu.placed], preempted: [], conflicts: tpu.conflicts, unschedulable: tpu.unschedulable, warnings: state.warnings };
  if (units.length === 0) return result;

  const { snapshot } = state;
  const quotaMap = new Map(state.quotas.map((q) => [q.tenant, q.gpuMilliQuota]));
  // GPU use per tenant (fair share and the quota cap): the snapshot's pods plus what sits on servers it leaves out.
  const currentUsage = () => {
    const usage = tenantUsage(snapshot.allocations.values());
    for (const [tenant, milli] of state.strandedMilli) usage.set(tenant, (usage.get(tenant) ?? 0) + milli);
    return usage;
  };
  let usage = currentUsage();
  // EASY backfill: the first job that cannot start gets a reserved start; later ones must not push it back.
  const endsAt = new Map<string, number>();
  for (const [podId, alloc] of snapshot.allocations) {
    const end = estimatedEnd(state.activeJobs.get(jobIdOfPod(alloc.podId))!, state.now);
    if (end !== null) endsAt.set(podId, end);
  }
  const backfill = new EasyBackfill(scheduler, snapshot, endsAt);
  // GPU load per rack as the database had it at the snapshot, plus this loop's own commits (see commitDecision).
  const rackLoadW = new Map(state.rackLoadW);
  let head: JobRow | null = null;
  let headStartAt: number | null = null;
  // Jobs tried for a reservation before giving up for this loop (each try costs a few scheduling passes).
  let reservationTries = MAX_RESERVATION_TRIES;
  const reasons = new Map<number, string>();
  const topUps = new Set(units.filter((u) => u.topUp).map((u) => u.job.id));
  const queue = [...units];
  while (queue.length > 0) {
    // Fair order with usage updated after every placement (as scheduleQueue does), plus the hard quota cap.
    let best = 0;
    for (let i = 1; i < queue.length; i++) if (compareQueued(queue[i]!.pod, queue[best]!.pod, usage, quotaMap) < 0) best = i;
    const unit = queue.splice(best, 1)[0]!;
    const { pod, job } = unit;
    const quotaMilli = quotaMap.get(pod.tenant) ?? 0;
    const usedMilli = usage.get(pod.tenant) ?? 0;
    const needMilli = podGpuMilli(pod);
    if (usedMilli + needMilli > quotaMilli) {
      reasons.set(job.id, `tenant quota: ${pod.tenant} holds ${usedMilli / 1000} of ${quotaMilli / 1000} GPUs; this job needs ${needMilli / 1000} more`);
      result.unschedulable++;
      continue;
    }
    const outcome = scheduler.schedule(snapshot, pod);
    if (outcome.status === 'unschedulable') {
      const placed = unit.topUp ? (state.placedWorkers.get(job.id)?.size ?? 0) : 0;
      let reason = unit.topUp ? `${placed}/${job.replicas} replicas placed; ${outcome.explanation}` : outcome.explanation;
      if (!head && reservationTries-- > 0) {
        const reservation = backfill.reserve(pod);
        if (reservation) {
          head = job;
          headStartAt = reservation.startAt;
          const n = reservation.waitingFor;
          const held = n === 1 ? '1 job on them ends' : `${n} jobs on them end`;
          reason += `; estimated start ${utcTime(reservation.startAt)} once ${held} (reserved: ${nodeNames(state, reservation.nodeIds)})`;
        }
      }
      reasons.set(job.id, reason);
      result.unschedulable++;
      continue;
    }
    const endMs = estimatedEnd(job, state.now);
    let decision = outcome.decision;
    if (!backfill.admits(pod, decision, endMs)) {
      // Its best node is one the head waits for; somewhere else may do.
      const around = backfill.scheduleAround(pod);
      if (!around || !backfill.admits(pod, around, endMs)) {
        const startAt = utcTime(backfill.reservation!.startAt);
        const why = endMs === null ? 'it has no estimated duration' : `it would run until ${utcTime(endMs)}`;
        reasons.set(job.id, `waiting: fits now, but ${why} and would delay job ${head!.id} "${head!.name}" (reserved to start ${startAt})`);
        result.unschedulable++;
        continue;
      }
      decision = around;
    }
    const evicted = decision.victims.map((id) => snapshot.allocations.get(id)).filter((a) => a !== undefined);
    snapshot.assume(decision, pod);
    backfill.started(pod.id, endMs);
    // The loop's own evictions and placements are all the racks' load may differ by at the next commit.
    for (const victim of evicted) for (const w of victim.workers) addRackLoad(state, rackLoadW, w, -1);
    try {
      await options.beforeCommit?.(decision);
      await commitDecision(db, state, unit, pod, decision, rackLoadW);
      for (const w of decision.workers) addRackLoad(state, rackLoadW, w, 1);
      result.placed.push(job.id);
      for (const victim of decision.victims) result.preempted.push(jobIdOfPod(victim));
    } catch (error) {
      if (!isConflict(error)) throw error;
      // Another scheduler (or an API call) got there first: this snapshot is stale. Stop the pass; the next loop
      // starts from fresh state (continuing would only retry the same taken GPUs).
      snapshot.release(pod.id);
      result.conflicts++;
      reasons.set(job.id, `placement conflict, retrying: ${messageOf(error)}`);
      break;
    }
    usage = currentUsage();
  }

  // Pending jobs (and short inference services) keep the scheduler's explanation as their reason.
  const entries = [...reasons.entries()].filter(([id]) => !result.placed.includes(id));
  if (entries.length > 0) {
    // The head's reserved start (ms since the epoch) goes in its own column; every other job's is cleared.
    const payload = JSON.stringify(
      entries.map(([id, text]) => ({ id, reason: text.slice(0, 2000), top_up: topUps.has(id), start_ms: id === head?.id && !topUps.has(id) ? headStartAt : null })),
    );
    // Only where the job is still as this cycle saw it: another instance may have placed it meanwhile.
    await db.execute(sql`
      UPDATE jobs SET reason = r.reason, estimated_start_at = to_timestamp(r.start_ms / 1000.0), updated_at = now()
      FROM json_to_recordset(${payload}::json) AS r(id int, reason text, top_up boolean, start_ms float8)
      WHERE jobs.id = r.id
        AND (jobs.reason IS DISTINCT FROM r.reason OR jobs.estimated_start_at IS DISTINCT FROM to_timestamp(r.start_ms / 1000.0))
        AND (CASE WHEN r.top_up THEN jobs.status IN ('scheduled', 'running') ELSE jobs.status = 'pending' END)`);
  }
  if (result.conflicts === tpu.conflicts) {
    // The pass saw every pending job: none but this loop's head keeps a reserved start (a former head placed by
    // another path, or left unvisited by an earlier pass cut short by a conflict).
    const keep = head && !topUps.has(head.id) ? head.id : 0;
    await db.execute(sql`UPDATE jobs SET estimated_start_at = NULL WHERE status = 'pending' AND estimated_start_at IS NOT NULL AND id <> ${keep}`);
  }
  return result;
}

/** Short words for where a decision put a job, for its reason and timeline. */
function describePlacement(state: ClusterState, decision: PlacementDecision): { text: string; detail: unknown } {
  const nodes = state.snapshot.nodes;
  const byId = state.snapshot.indexById;
  const workers = decision.workers.map((w) => {
    const node = nodes[byId.get(w.nodeId)!]!;
    const refs = state.gpuRefs.get(w.nodeId)!;
    const partitions = w.gpuIndices.map((g) => refs[g]!.partition?.index).filter((p) => p !== undefined);
    return {
      worker: w.worker,
      node: node.name,
      rackId: node.rackId,
      gpus: w.gpuIndices.map((g) => refs[g]!.uuid),
      milliPerGpu: w.milliPerGpu,
      // On a partitioned AMD GPU: the partition taken on each listed GPU.
      ...(partitions.length > 0 ? { partitions } : {}),
    };
  });
  const servers = [...new Set(workers.map((w) => w.node))];
  const gpuCount = workers.reduce((sum, w) => sum + w.gpus.length, 0);
  const onPartitions = workers.some((w) => w.partitions !== undefined);
  const unit = onPartitions ? ` GPU partition${gpuCount === 1 ? '' : 's'}` : ` GPU${gpuCount === 1 ? '' : 's'}`;
  const shown = servers.slice(0, 3).join(', ') + (servers.length > 3 ? `, … (${servers.length} servers)` : '');
  return { text: `placed on ${gpuCount}${unit}: ${shown}`, detail: { workers, scores: decision.scores, victims: decision.victims, profile: decision.profile } };
}

/**
 * Commits one decision: locks the tenant and the job (and any victims), re-checks that they are as the snapshot saw
 * them and that the tenant stays within quota, evicts the victims, and inserts the allocations (the trigger locks
 * each GPU and refuses an over-allocation). Throws PlacementConflict or a PostgreSQL conflict error otherwise.
 */
async function commitDecision(
  db: Db,
  state: ClusterState,
  unit: Unit,
  pod: PodRequest,
  decision: PlacementDecision,
  expectedRackLoadW: ReadonlyMap<number, number>,
): Promise<void> {
  const { job } = unit;
  const placement = describePlacement(state, decision);
  await db.transaction(async (tx) => {
    const tenant = (await tx.execute<{ gpu_quota: number }>(sql`SELECT gpu_quota FROM tenants WHERE id = ${job.tenantId} FOR UPDATE`)).rows[0];
    if (!tenant) throw new PlacementConflict(`tenant ${job.tenantId} is gone`);
    const current = (await tx.execute<{ status: string; replicas: number }>(sql`SELECT status, replicas FROM jobs WHERE id = ${job.id} FOR UPDATE`)).rows[0];
    if (!current) throw new PlacementConflict(`job ${job.id} is gone`);
    if (unit.topUp) {
      if (current.status !== 'scheduled' && current.status !== 'running') throw new PlacementConflict(`job ${job.id} is ${current.status}`);
      const placed = (await tx.execute<{ worker: number }>(sql`SELECT DISTINCT worker FROM gpu_allocations WHERE job_id = ${job.id} AND released_at IS NULL`)).rows.map((r) => r.worker);
      if (unit.workerIndices.some((w) => placed.includes(w)) || placed.length + unit.workerIndices.length > current.replicas) {
        throw new PlacementConflict(`job ${job.id} replicas changed`);
      }
    } else if (current.status !== 'pending') {
      throw new PlacementConflict(`job ${job.id} is ${current.status}`);
    }

    const victimIds = decision.victims.map(jobIdOfPod).sort((a, b) => a - b);
    for (const victimId of victimIds) {
      const victim = (await tx.execute<{ status: string; priority: number; preemptible: boolean }>(sql`SELECT status, priority, preemptible FROM jobs WHERE id = ${victimId} FOR UPDATE`)).rows[0];
      if (!victim || (victim.status !== 'scheduled' && victim.status !== 'running') || !victim.preemptible || victim.priority >= job.priority) {
        throw new PlacementConflict(`victim job ${victimId} changed`);
      }
      const reason = `preempted by job ${job.id} "${job.name}" (priority ${job.priority} > ${victim.priority})`;
      await tx.execute(sql`UPDATE jobs SET status = 'preempted', reason = ${reason}, finished_at = now(), updated_at = now() WHERE id = ${victimId}`);
      await tx.execute(sql`UPDATE gpu_allocations SET released_at = now() WHERE job_id = ${victimId} AND released_at IS NULL`);
      await tx.execute(sql`INSERT INTO job_events (job_id, status, reason) VALUES (${victimId}, 'preempted', ${reason})`);
    }

    // Power and cooling headroom came from the snapshot. Under the site's placement lock, no rack of the site may
    // carry more GPU load than this loop expects (the snapshot plus its own commits); less is fine, headroom only
    // grew. Otherwise another placement landed since, and the rack, PDU, UPS or cooling headroom the filters used
    // may be gone. Rack by rack, so a release on one rack cannot hide an addition on another.
    const sites = [...new Set(decision.workers.map((w) => state.siteOfNode.get(w.nodeId)!))].sort((a, b) => a - b);
    // A share admitted below its expected draw was admitted on a window from the snapshot's time; its allocation's
    // window starts COMMIT_MAX_AGE_S before the commit (reservation.ts), which holds only if the commit is that recent.
    if (pod.expectedPowerWPerGpu < job.expectedPowerWPerGpu) {
      const ageS = (await tx.execute<{ s: number }>(sql`SELECT extract(epoch FROM now())::float8 - ${state.now.getTime() / 1000}::float8 AS s`)).rows[0]!.s;
      if (ageS > COMMIT_MAX_AGE_S) throw new PlacementConflict(`this loop's snapshot is ${Math.round(ageS)} s old, more than the ${COMMIT_MAX_AGE_S} s a forecast reservation allows`);
    }
    for (const siteId of sites) {
      await tx.execute(sql`SELECT pg_advisory_xact_lock(${SITE_PLACEMENT_LOCK}, ${siteId})`);
      for (const rack of await rackGpuLoads(tx, state.inferenceCurve, siteId)) {
        const expectedW = expectedRackLoadW.get(rack.rackId) ?? 0;
        if (rack.watts > expectedW + 1) {
          throw new PlacementConflict(`${Math.round(rack.watts - expectedW)} W of GPU load was placed in rack ${rack.name} since this loop read it; power and cooling headroom are re-read`);
        }
      }
    }

    // Quota re-checked under the tenant lock: two schedulers cannot together take a tenant over its quota.
    const used = (
      await tx.execute<{ milli: number }>(sql`
        SELECT COALESCE(SUM(g.milli), 0)::int AS milli FROM gpu_allocations g JOIN jobs j ON j.id = g.job_id
        WHERE g.released_at IS NULL AND j.tenant_id = ${job.tenantId}`)
    ).rows[0]!.milli;
    const adding = decision.workers.reduce((sum, w) => sum + (w.physicalMilli ?? w.milliPerGpu * w.gpuIndices.length), 0);
    if (used + adding > tenant.gpu_quota * 1000) throw new PlacementConflict(`tenant quota of ${tenant.gpu_quota} GPUs would be exceeded`);

    // Insert in accelerator order so two transactions lock GPUs in the same order (fewer deadlocks).
    const rows = decision.workers.flatMap((w, k) => {
      const refs = state.gpuRefs.get(w.nodeId)!;
      // A partition's row holds its physical share and its index (the unique index refuses a partition taken twice).
      return w.gpuIndices.map((g) => {
        const ref = refs[g]!;
        return { worker: unit.workerIndices[k]!, acceleratorId: ref.acceleratorId, milli: ref.partition?.milli ?? w.milliPerGpu, partitionIndex: ref.partition?.index ?? null };
      });
    });
    rows.sort((a, b) => a.acceleratorId - b.acceleratorId || (a.partitionIndex ?? 0) - (b.partitionIndex ?? 0) || a.worker - b.worker);
    // The partition modes the snapshot placed on must still be in force (a mode change since would mean other partitions).
    const partitioned = [...new Set(rows.filter((r) => r.partitionIndex !== null).map((r) => r.acceleratorId))];
    if (partitioned.length > 0) {
      const modes = (
        await tx.execute<{ id: number; compute_partition: ComputePartitionMode | null }>(
          sql`SELECT id, compute_partition FROM accelerators WHERE id IN (${sql.join(partitioned.map((id) => sql`${id}`), sql`, `)}) ORDER BY id FOR SHARE`,
        )
      ).rows;
      for (const mode of modes) {
        const expectedMilli = rows.find((r) => r.acceleratorId === mode.id)!.milli;
        if (mode.compute_partition === null || partitionShareMilli(PARTITIONS_PER_GPU[mode.compute_partition]) !== expectedMilli) {
          throw new PlacementConflict(`the partition mode of GPU ${mode.id} changed since this loop read it`);
        }
      }
    }
    for (const row of rows) {
      await tx.execute(
        sql`INSERT INTO gpu_allocations (job_id, worker, accelerator_id, milli, partition_index) VALUES (${job.id}, ${row.worker}, ${row.acceleratorId}, ${row.milli}, ${row.partitionIndex})`,
      );
    }

    if (unit.topUp) {
      const text = `${placement.text} (${unit.workerIndices.length} replica${unit.workerIndices.length === 1 ? '' : 's'} added)`;
      await tx.execute(sql`UPDATE jobs SET reason = '', updated_at = now() WHERE id = ${job.id}`);
      await tx.execute(sql`INSERT INTO job_events (job_id, status, reason, detail) VALUES (${job.id}, ${current.status}::job_status, ${text}, ${JSON.stringify(placement.detail)}::jsonb)`);
    } else {
      await tx.execute(sql`UPDATE jobs SET status = 'scheduled', scheduled_at = now(), reason = '', estimated_start_at = NULL, updated_at = now() WHERE id = ${job.id}`);
      await tx.execute(sql`INSERT INTO job_events (job_id, status, reason, detail) VALUES (${job.id}, 'scheduled', ${placement.text}, ${JSON.stringify(placement.detail)}::jsonb)`);
    }
  });
}

export { workerPowerW };
export type { Tx };
