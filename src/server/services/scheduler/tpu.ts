// TPU slices: reads the pods of a generation into the pure placement model (src/domain/tpu-torus.ts), places pending
// TPU jobs one by one, and commits each slice in one transaction: the slice row plus one gpu_allocations row per chip
// (the capacity trigger keeps two slices off one chip and refuses a failed chip). Slices are released by a trigger on
// jobs whenever the job leaves scheduled/running (migration 0021).

import { sql } from 'drizzle-orm';
import { acceleratorById, tpuGenerations } from '@/domain/accelerators';
import { type Coord, chipCount, formatShape, parseShape, placeSlice, shapeProblem, type TpuPodState, type TpuSlicePlacement } from '@/domain/tpu-torus';
import type { DailyCurve } from '@/domain/inference-reserve';
import type { Db } from '../../db/client';
import { isConflict, PlacementConflict, SITE_PLACEMENT_LOCK } from './cycle';
import { type RackPowerState, rackPowerState } from './rack-power';
import { configuredInferenceCurve } from './reservation';
import { type JobRow, rackGpuLoads } from './snapshot';

export const TPU_GENERATION_IDS = tpuGenerations().map((g) => g.id) as [string, ...string[]];

export { DEFAULT_POWER_W_PER_TPU_CHIP, tpuChipPowerAtLoadW } from './tpu-power';

/** Why a shape cannot be a slice of this generation (null: it can). */
export function tpuShapeProblem(generation: string, shape: string): string | null {
  const tpu = acceleratorById(generation)?.tpu;
  if (!tpu) return `unknown TPU generation "${generation}"`;
  return shapeProblem(shape, { torus: tpu.torus, cubeEdge: tpu.cubeEdge, maxPodShape: tpu.maxPodShape });
}

/** The chips a TPU job asks for, and how it is recorded as workers (one per host at most `chipsPerHost` chips). */
export function tpuJobSize(generation: string, shape: string): { chips: number; workers: number; chipsPerWorker: number } {
  const tpu = acceleratorById(generation)!.tpu!;
  const chips = chipCount(parseShape(shape)!);
  const chipsPerWorker = Math.min(chips, tpu.chipsPerHost);
  return { chips, workers: Math.ceil(chips / chipsPerWorker), chipsPerWorker };
}

/** Canonical text of a shape: "2x2x4" (2D: "4x8"). */
export function canonicalShape(generation: string, shape: string): string {
  const dims = parseShape(shape)!;
  return acceleratorById(generation)!.tpu!.torus === '2d' ? `${dims[0]}x${dims[1]}` : dims.join('x');
}

type ChipRow = { pod_id: number; accelerator_id: number; device_id: number; rack_id: number; x: number; y: number; z: number; healthy: boolean; busy: boolean };

/** The pods of a generation (or all) with chip states and failed links, as the pure model takes them. */
export async function loadTpuPods(db: Pick<Db, 'execute'>, generation?: string): Promise<Array<TpuPodState & { hostOf: Map<number, number>; rackOf: Map<number, number> }>> {
  const pods = (
    await db.execute<{ id: number; name: string; torus: '2d' | '3d'; dim_x: number; dim_y: number; dim_z: number; cube_edge: number | null; wrap_x: boolean; wrap_y: boolean }>(sql`
      SELECT id, name, torus, dim_x, dim_y, dim_z, cube_edge, wrap_x, wrap_y FROM tpu_pods
      WHERE ${generation ?? null}::text IS NULL OR generation = ${generation ?? null}::text ORDER BY id`)
  ).rows;
  if (pods.length === 0) return [];
  const podIds = pods.map((p) => p.id);
  // A chip is usable when it, its host and the host's rack are healthy and active and no live allocation holds it.
  const chips = (
    await db.execute<ChipRow>(sql`
      SELECT c.pod_id, c.accelerator_id, a.device_id, d.rack_id, c.x, c.y, c.z,
             (a.health = 'healthy' AND d.status = 'active' AND r.status = 'active') AS healthy,
             EXISTS (SELECT 1 FROM gpu_allocations g WHERE g.accelerator_id = a.id AND g.released_at IS NULL) AS busy
      FROM tpu_chips c JOIN accelerators a ON a.id = c.accelerator_id
      JOIN devices d ON d.id = a.device_id JOIN racks r ON r.id = d.rack_id
      WHERE c.pod_id = ANY(${intArray(podIds)}::int[])`)
  ).rows;
  const down = (
    await db.execute<{ pod_id: number; ax: number; ay: number; az: number; bx: number; by: number; bz: number }>(sql`
      SELECT l.pod_id, ca.x AS ax, ca.y AS ay, ca.z AS az, cb.x AS bx, cb.y AS by, cb.z AS bz
      FROM tpu_ici_links l JOIN tpu_chips ca ON ca.accelerator_id = l.chip_a JOIN tpu_chips cb ON cb.accelerator_id = l.chip_b
      WHERE l.state = 'down' AND l.pod_id = ANY(${intArray(podIds)}::int[])`)
  ).rows;
  return pods.map((p) => {
    const own = chips.filter((c) => c.pod_id === p.id);
    return {
      id: String(p.id),
      name: p.name,
      torus: p.torus,
      dims: [p.dim_x, p.dim_y, p.dim_z] as const,
      cubeEdge: p.cube_edge,
      wraps: [p.wrap_x, p.wrap_y, false] as const,
      chips: own.map((c) => ({ coord: [c.x, c.y, c.z] as Coord, chipId: c.accelerator_id, healthy: c.healthy, busy: c.busy, rackId: String(c.rack_id) })),
      downLinks: down.filter((l) => l.pod_id === p.id).map((l) => [[l.ax, l.ay, l.az] as Coord, [l.bx, l.by, l.bz] as Coord] as const),
      hostOf: new Map(own.map((c) => [c.accelerator_id, c.device_id])),
      rackOf: new Map(own.map((c) => [c.accelerator_id, c.rack_id])),
    };
  });
}

/** The tenant's quota would be broken: the job waits with this reason (not a race; nothing to retry at once). */
class QuotaExceeded extends Error {}

/** An int[] parameter as PostgreSQL's array text (drizzle would spread a JS array into a list of parameters). */
function intArray(values: number[]): string {
  return `{${values.join(',')}}`;
}

export type TpuCycleResult = { placed: number[]; unschedulable: number; conflicts: number };

/**
 * Places the pending TPU jobs, highest priority first then oldest. A job that cannot be placed keeps the reason
 * (no such slice free, the largest free shape, what blocked the candidates); a quota it would break, likewise.
 */
export async function placePendingTpuJobs(db: Db, pending: JobRow[], curve: DailyCurve | null = configuredInferenceCurve()): Promise<TpuCycleResult> {
  const result: TpuCycleResult = { placed: [], unschedulable: 0, conflicts: 0 };
  const queue = pending.filter((j) => j.tpuGeneration !== null && j.tpuShape !== null).sort((a, b) => b.priority - a.priority || a.submittedAt.getTime() - b.submittedAt.getTime() || a.id - b.id);
  const powerBySites = new Map<string, RackPowerState>();
  for (const job of queue) {
    const generation = job.tpuGeneration!;
    const model = acceleratorById(generation);
    const dims = parseShape(job.tpuShape!);
    let reason: string;
    if (!model?.tpu || !dims) {
      reason = `unknown TPU request ${generation} ${job.tpuShape}`;
    } else {
      const pods = await loadTpuPods(db, generation);
      // Rack power as the GPU path's filter sees it; read again after each slice this loop places (it took some).
      const siteIds = await podSites(db, generation);
      let power = powerBySites.get(siteIds.join(','));
      if (!power) {
        power = await rackPowerState(db, siteIds, curve);
        powerBySites.set(siteIds.join(','), power);
      }
      const outcome = placeSlice(pods, dims, {
        chipPowerW: job.expectedPowerWPerGpu,
        rackHeadroomW: new Map([...power.headroomW].map(([rack, w]) => [String(rack), w])),
        rackNames: new Map([...power.rackNames].map(([rack, name]) => [String(rack), name])),
      });
      if (outcome.ok) {
        try {
          const pod = pods.find((p) => p.id === outcome.placement.podId)!;
          await commitSlice(db, job, model.model, outcome.placement, pod.hostOf, pod.rackOf, power);
          powerBySites.clear();
          result.placed.push(job.id);
          continue;
        } catch (error) {
          if (error instanceof QuotaExceeded) {
            result.unschedulable++;
            await setReason(db, job.id, error.message);
            continue;
          }
          if (!isConflict(error)) throw error;
          powerBySites.clear();
          result.conflicts++;
          reason = `placement conflict, retrying: ${error instanceof Error ? error.message : String(error)}`;
        }
      } else {
        reason = pods.length === 0 ? `no ${model.model} pod to place a ${formatShape(dims, model.tpu.torus)} slice in` : outcome.reason;
      }
    }
    result.unschedulable++;
    await setReason(db, job.id, reason);
  }
  return result;
}

/** The sites whose halls hold pods of the generation. */
async function podSites(db: Pick<Db, 'execute'>, generation: string): Promise<number[]> {
  const rows = await db.execute<{ site_id: number }>(sql`SELECT DISTINCT h.site_id FROM tpu_pods p JOIN halls h ON h.id = p.hall_id WHERE p.generation = ${generation} ORDER BY 1`);
  return rows.rows.map((r) => r.site_id);
}

async function setReason(db: Db, jobId: number, reason: string): Promise<void> {
  const text = reason.slice(0, 2000);
  await db.execute(sql`UPDATE jobs SET reason = ${text}, updated_at = now() WHERE id = ${jobId} AND status = 'pending' AND reason IS DISTINCT FROM ${text}`);
}

async function commitSlice(
  db: Db,
  job: JobRow,
  modelName: string,
  placement: TpuSlicePlacement,
  hostOf: Map<number, number>,
  rackOf: Map<number, number>,
  power: RackPowerState,
): Promise<void> {
  const shapeText = placement.shape[2] === 1 && job.tpuShape!.split('x').length === 2 ? `${placement.shape[0]}x${placement.shape[1]}` : placement.shape.join('x');
  // Workers are the slice's hosts in device order; each chip's row names its host's worker.
  const hosts = [...new Set(placement.chipIds.map((c) => hostOf.get(c)!))].sort((a, b) => a - b);
  const workerOf = new Map(hosts.map((h, i) => [h, i]));
  await db.transaction(async (tx) => {
    const tenant = (await tx.execute<{ gpu_quota: number; name: string }>(sql`SELECT gpu_quota, name FROM tenants WHERE id = ${job.tenantId} FOR UPDATE`)).rows[0];
    if (!tenant) throw new PlacementConflict(`tenant ${job.tenantId} is gone`);
    const current = (await tx.execute<{ status: string }>(sql`SELECT status FROM jobs WHERE id = ${job.id} FOR UPDATE`)).rows[0];
    if (current?.status !== 'pending') throw new PlacementConflict(`job ${job.id} is ${current?.status ?? 'gone'}`);
    const used = (
      await tx.execute<{ milli: number }>(sql`
        SELECT COALESCE(SUM(g.milli), 0)::int AS milli FROM gpu_allocations g JOIN jobs j ON j.id = g.job_id
        WHERE g.released_at IS NULL AND j.tenant_id = ${job.tenantId}`)
    ).rows[0]!.milli;
    if (used + placement.chipIds.length * 1000 > tenant.gpu_quota * 1000) {
      throw new QuotaExceeded(`tenant quota: ${tenant.name} holds ${used / 1000} of ${tenant.gpu_quota} accelerators; this slice needs ${placement.chipIds.length} more`);
    }
    // A failed link may have been reported since the pods were read: re-check the links this slice needs are up.
    const chipIds = [...placement.chipIds].sort((a, b) => a - b);
    const downInside = (
      await tx.execute<{ n: number }>(sql`
        SELECT count(*)::int AS n FROM tpu_ici_links WHERE state = 'down' AND chip_a = ANY(${intArray(chipIds)}::int[]) AND chip_b = ANY(${intArray(chipIds)}::int[])`)
    ).rows[0]!.n;
    if (downInside > 0) throw new PlacementConflict(`an ICI link inside the chosen slice went down`);
    // The power headroom was read before this transaction: as the GPU commit does, under the site's placement lock no
    // rack of the site may carry more accelerator load than when it was read, or the headroom may be gone.
    const sliceRacks = new Set(placement.chipIds.map((c) => rackOf.get(c)!));
    const sites = (
      await tx.execute<{ site_id: number }>(sql`
        SELECT DISTINCT h.site_id FROM racks r JOIN halls h ON h.id = r.hall_id WHERE r.id = ANY(${intArray([...sliceRacks])}::int[]) ORDER BY 1`)
    ).rows.map((r) => r.site_id);
    for (const siteId of sites) {
      await tx.execute(sql`SELECT pg_advisory_xact_lock(${SITE_PLACEMENT_LOCK}, ${siteId})`);
      for (const rack of await rackGpuLoads(tx, power.curve, siteId)) {
        const expectedW = power.rackLoadW.get(rack.rackId) ?? 0;
        if (rack.watts > expectedW + 1) {
          throw new PlacementConflict(`${Math.round(rack.watts - expectedW)} W of accelerator load was placed in rack ${rack.name} since its power headroom was read`);
        }
      }
    }
    const origin = placement.origin;
    const [slice] = (
      await tx.execute<{ id: number }>(sql`
        INSERT INTO tpu_slices (pod_id, job_id, shape, origin_x, origin_y, origin_z, cubes, chips)
        VALUES (${Number(placement.podId)}, ${job.id}, ${shapeText}, ${origin?.[0] ?? null}, ${origin?.[1] ?? null}, ${origin?.[2] ?? null},
                ${placement.cubes ? `{${placement.cubes.join(',')}}` : null}::int[], ${chipIds.length})
        RETURNING id`)
    ).rows;
    // In accelerator order, as the GPU path does, so rival transactions lock chips in the same order.
    for (const chip of chipIds) {
      await tx.execute(sql`INSERT INTO gpu_allocations (job_id, worker, accelerator_id, milli) VALUES (${job.id}, ${workerOf.get(hostOf.get(chip)!)!}, ${chip}, 1000)`);
    }
    const text = `placed on ${modelName} slice ${shapeText} in pod ${placement.podName} (${chipIds.length} chips on ${hosts.length} host${hosts.length === 1 ? '' : 's'})`;
    const drawByRack = new Map<number, number>();
    for (const chip of chipIds) drawByRack.set(rackOf.get(chip)!, (drawByRack.get(rackOf.get(chip)!) ?? 0) + job.expectedPowerWPerGpu);
    const rackPower = [...drawByRack].map(([rackId, drawW]) => ({ rack: power.rackNames.get(rackId) ?? String(rackId), drawW, headroomW: power.headroomW.get(rackId) ?? null }));
    const detail = { tpuSlice: { id: slice!.id, pod: placement.podName, shape: shapeText, origin, cubes: placement.cubes, fragmentationGrowth: placement.fragmentationGrowth, hosts, rackPower } };
    await tx.execute(sql`UPDATE jobs SET status = 'scheduled', scheduled_at = now(), reason = '', estimated_start_at = NULL, updated_at = now() WHERE id = ${job.id}`);
    await tx.execute(sql`INSERT INTO job_events (job_id, status, reason, detail) VALUES (${job.id}, 'scheduled', ${text}, ${JSON.stringify(detail)}::jsonb)`);
  });
}
