import { and, asc, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import { z } from 'zod';
import { dbId } from '../inputs';
import * as s from '../../db/schema';
import {
  DEFAULT_POWER_W_PER_GPU,
  JobInputError,
  markGpuFailed,
  markGpuHealthy,
  scaleJob,
  submitJob,
} from '../../services/scheduler';
import { cancelJobEverywhere } from '../../services/clusters/executor';
import { podsOnGpus } from '../../services/clusters/pods';
import { measuredGpuPowerW } from '../../services/dashboards';
import { fieldError } from '../errors';
import { pageInput } from '../pagination';
import type { Principal } from '../../auth/principal';
import { assertAllZones, assertGpuUuidInZone, assertInZone, assertJobWhollyInZone, zoneCondition, zoneConditionText } from '../../auth/zones';
import { operateProcedure, readProcedure, router } from '../trpc';
import { TPU_GENERATION_IDS, tpuShapeProblem } from '../../services/scheduler/tpu';

const id = dbId;
const uuid = z.string().trim().min(1, 'is required').max(100);

export const jobInput = z
  .object({
    name: z
      .string()
      .trim()
      .min(1, 'is required')
      .max(64, 'is at most 64 characters')
      // Empty passes here so the field reports only "is required".
      .regex(/^([A-Za-z0-9][A-Za-z0-9._-]*)?$/, 'may contain letters, digits, ".", "_" and "-" only'),
    kind: z.enum(s.jobKind.enumValues),
    tenant: z.string().trim().min(1, 'is required').max(64),
    priority: z.number().int('must be a whole number').min(-1000, 'must be at least -1000').max(1000, 'must be at most 1000').default(0),
    preemptible: z.boolean().default(false),
    workers: z.number().int('must be a whole number').min(1, 'must be at least 1').max(1024, 'must be at most 1024').default(1),
    replicas: z.number().int('must be a whole number').min(1, 'must be at least 1').max(1024, 'must be at most 1024').default(1),
    gpusPerWorker: z.number().int('must be a whole number').min(0, 'must be 0 or more').max(8, 'must be at most 8 (one server)').default(0),
    gpuMilli: z.number().int('must be a whole number').min(0, 'must be 0 or more').max(999, 'must be below 1000 (use whole GPUs)').default(0),
    gpuModels: z.array(z.string().trim().min(1).max(100)).max(16).default([]),
    gpuMemoryGib: z.number().positive('must be more than 0 GiB').max(1024).nullish(),
    /** Per worker; omitted: the GPUs' share of the server's CPU and memory. */
    cpuMilli: z.number().int('must be a whole number').min(0, 'must be 0 or more').max(1_000_000, 'must be at most 1,000 cores').nullish(),
    memoryMib: z.number().int('must be a whole number').min(0, 'must be 0 or more').max(16 * 1024 * 1024, 'must be at most 16 TiB').nullish(),
    requiredZoneLevel: z.number().int().min(0, 'must be 0-3').max(3, 'must be 0-3').default(0),
    topology: z.enum(s.jobTopology.enumValues).default('none'),
    /** Inference: one replica per server (default) or per rack, so one failure cannot take the service down; or none. */
    replicaSpread: z.enum(['server', 'rack', 'none']).default('server'),
    estimatedDurationS: z.number().int('must be whole seconds').min(1, 'must be at least 1 s').max(90 * 86_400, 'must be at most 90 days').nullish(),
    expectedPowerWPerGpu: z.number().positive('must be more than 0 W').max(5000, 'must be at most 5,000 W').nullish(),
    /** Who runs it once placed: the built-in simulator, or a Slurm cluster of the registry (pinned to Plenum's nodes). */
    executor: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('simulator') }),
        z.object({
          kind: z.literal('slurm'),
          cluster: z.string().trim().min(1, 'is required').max(63),
          partition: z
            .string()
            .trim()
            .max(64)
            .regex(/^[A-Za-z0-9._-]*$/, 'may contain letters, digits, ".", "_" and "-" only')
            .optional(),
          script: z
            .string()
            .min(1, 'is required')
            .max(1_000_000, 'is at most 1 MB')
            .refine((text) => text.startsWith('#!'), 'must start with an interpreter line such as #!/bin/bash'),
        }),
      ])
      .default({ kind: 'simulator' }),
    /** A TPU slice instead of GPUs: the generation and the slice shape in chips (x×y×z; 2D generations x×y). */
    tpu: z
      .object({
        generation: z.enum(TPU_GENERATION_IDS, { error: `must be one of ${TPU_GENERATION_IDS.join(', ')}` }),
        shape: z.string().trim().min(1, 'is required').max(20, 'is at most 20 characters'),
      })
      .nullish(),
  })
  .superRefine((job, ctx) => {
    if (job.tpu) {
      const problem = tpuShapeProblem(job.tpu.generation, job.tpu.shape);
      if (problem) ctx.addIssue({ code: 'custom', path: ['tpu', 'shape'], message: problem });
      if (job.gpusPerWorker > 0 || job.gpuMilli > 0) {
        ctx.addIssue({ code: 'custom', path: ['tpu'], message: 'a job asks for GPUs or a TPU slice, not both' });
      }
      if (job.kind === 'inference') ctx.addIssue({ code: 'custom', path: ['kind'], message: 'TPU slices are placed for training and batch jobs' });
      return;
    }
    if (job.gpusPerWorker === 0 && job.gpuMilli === 0) {
      ctx.addIssue({ code: 'custom', path: ['gpusPerWorker'], message: 'ask for at least one GPU or a GPU share' });
    }
    if (job.gpuMilli > 0 && job.gpusPerWorker > 1) {
      ctx.addIssue({ code: 'custom', path: ['gpuMilli'], message: 'a share is of one GPU: use 1 GPU per worker with a share, or whole GPUs' });
    }
    if (job.kind !== 'inference' && job.workers > 1 && job.topology === 'nvlink-domain' && job.gpusPerWorker === 0) {
      ctx.addIssue({ code: 'custom', path: ['topology'], message: 'NVLink placement needs whole GPUs' });
    }
  });

export type JobInput = z.infer<typeof jobInput>;

function asInputError(error: unknown): never {
  if (error instanceof JobInputError) throw fieldError(error.field, error.reason);
  throw error;
}

/** GPUs a job holds (those in the caller's zones), in whole-GPU equivalents. */
const heldGpus = (principal: Principal) =>
  sql<number>`(SELECT coalesce(sum(g.milli), 0)::int FROM gpu_allocations g WHERE g.job_id = jobs.id AND g.released_at IS NULL AND ${sql.raw(zoneConditionText(principal, 'gpu', 'g.accelerator_id'))}) / 1000.0`;

export const jobsRouter = router({
  submit: operateProcedure
    .meta({ example: { name: 'example', kind: 'training', tenant: 'example', gpusPerWorker: 1 } })
    .input(jobInput).mutation(async ({ ctx, input }) => {
    // The scheduler places on any GPU the tenant is cleared for, in any zone: submitting needs all zones.
    assertAllZones(ctx, 'submitting a job');
    return submitJob(ctx.db, input).catch(asInputError);
  }),

  /** Newest first; keyset pagination on the job id. */
  list: readProcedure
    .input(
      z.object({
        status: z.array(z.enum(s.jobStatus.enumValues)).max(7).optional(),
        tenant: z.string().trim().max(64).optional(),
        kind: z.enum(s.jobKind.enumValues).optional(),
        /** 'plenum': queued by Plenum; 'external': seen on a Slurm or Kubernetes cluster. */
        origin: z.enum(['plenum', 'external']).optional(),
        cursor: pageInput.cursor,
        limit: pageInput.limit,
      }),
    )
    .query(async ({ ctx, input }) => {
      let before: number | undefined;
      if (input.cursor) {
        before = Number.parseInt(input.cursor, 10);
        if (!Number.isSafeInteger(before) || before <= 0) throw fieldError('cursor', 'not a cursor returned by this list');
      }
      const rows = await ctx.db
        .select({
          id: s.jobs.id,
          name: s.jobs.name,
          kind: s.jobs.kind,
          tenant: s.tenants.name,
          status: s.jobs.status,
          reason: s.jobs.reason,
          estimatedStartAt: s.jobs.estimatedStartAt,
          priority: s.jobs.priority,
          preemptible: s.jobs.preemptible,
          workers: s.jobs.workers,
          replicas: s.jobs.replicas,
          gpusPerWorker: s.jobs.gpusPerWorker,
          gpuMilli: s.jobs.gpuMilli,
          expectedPowerWPerGpu: s.jobs.expectedPowerWPerGpu,
          tpuGeneration: s.jobs.tpuGeneration,
          tpuShape: s.jobs.tpuShape,
          submittedAt: s.jobs.submittedAt,
          scheduledAt: s.jobs.scheduledAt,
          startedAt: s.jobs.startedAt,
          finishedAt: s.jobs.finishedAt,
          heldGpus: heldGpus(ctx.principal),
          origin: s.jobs.origin,
          executorKind: sql<string>`${s.jobs.executor} ->> 'kind'`,
          cluster: s.clusters.name,
          externalId: s.jobs.externalId,
          externalState: s.jobs.externalState,
          owner: s.jobs.owner,
        })
        .from(s.jobs)
        .innerJoin(s.tenants, eq(s.tenants.id, s.jobs.tenantId))
        .leftJoin(s.clusters, eq(s.clusters.id, s.jobs.clusterId))
        .where(
          and(
            input.status?.length ? inArray(s.jobs.status, input.status) : undefined,
            input.tenant ? eq(s.tenants.name, input.tenant) : undefined,
            input.kind ? eq(s.jobs.kind, input.kind) : undefined,
            input.origin ? eq(s.jobs.origin, input.origin) : undefined,
            before ? lt(s.jobs.id, before) : undefined,
            zoneCondition(ctx, 'job', s.jobs.id),
          ),
        )
        .orderBy(desc(s.jobs.id))
        .limit(input.limit + 1);
      const items = rows.slice(0, input.limit).map((row) => ({ ...row, heldGpus: Number(row.heldGpus) }));
      const last = items.at(-1);
      return { items, nextCursor: rows.length > input.limit && last ? String(last.id) : null };
    }),

  /** A job with its placement (GPUs, servers, racks, and each rack's GPUs for the drawing), timeline and expected power. */
  get: readProcedure.meta({ example: { id: 1 } }).input(z.object({ id })).query(async ({ ctx, input }) => {
    await assertInZone(ctx, 'job', input.id);
    const [row] = await ctx.db
      .select({
        job: s.jobs,
        tenant: { id: s.tenants.id, name: s.tenants.name, gpuQuota: s.tenants.gpuQuota },
        cluster: { id: s.clusters.id, name: s.clusters.name, kind: s.clusters.kind },
      })
      .from(s.jobs)
      .innerJoin(s.tenants, eq(s.tenants.id, s.jobs.tenantId))
      .leftJoin(s.clusters, eq(s.clusters.id, s.jobs.clusterId))
      .where(eq(s.jobs.id, input.id));
    if (!row) throw fieldError('id', `no job with id ${input.id}`);
    const events = await ctx.db.select().from(s.jobEvents).where(eq(s.jobEvents.jobId, input.id)).orderBy(asc(s.jobEvents.at), asc(s.jobEvents.id));

    // The active placement; for a job that has ended, its last one (shown as history).
    const allocationColumns = {
      id: s.gpuAllocations.id,
      worker: s.gpuAllocations.worker,
      milli: s.gpuAllocations.milli,
      releasedAt: s.gpuAllocations.releasedAt,
      acceleratorId: s.accelerators.id,
      uuid: s.accelerators.uuid,
      index: s.accelerators.index,
      health: s.accelerators.health,
      model: s.acceleratorModels.name,
      deviceId: s.devices.id,
      deviceName: s.devices.name,
      rackId: s.racks.id,
      rackName: s.racks.name,
    };
    const base = () =>
      ctx.db
        .select(allocationColumns)
        .from(s.gpuAllocations)
        .innerJoin(s.accelerators, eq(s.accelerators.id, s.gpuAllocations.acceleratorId))
        .innerJoin(s.acceleratorModels, eq(s.acceleratorModels.id, s.accelerators.modelId))
        .innerJoin(s.devices, eq(s.devices.id, s.accelerators.deviceId))
        .leftJoin(s.racks, eq(s.racks.id, s.devices.rackId));
    let allocations = await base()
      .where(and(eq(s.gpuAllocations.jobId, input.id), sql`${s.gpuAllocations.releasedAt} IS NULL`, zoneCondition(ctx, 'gpu', s.accelerators.id)))
      .orderBy(asc(s.gpuAllocations.worker), asc(s.accelerators.index));
    let placementIsHistory = false;
    if (allocations.length === 0) {
      allocations = await base()
        .where(
          and(
            eq(s.gpuAllocations.jobId, input.id),
            sql`${s.gpuAllocations.releasedAt} = (SELECT max(released_at) FROM gpu_allocations WHERE job_id = ${input.id})`,
            zoneCondition(ctx, 'gpu', s.accelerators.id),
          ),
        )
        .orderBy(asc(s.gpuAllocations.worker), asc(s.accelerators.index));
      placementIsHistory = allocations.length > 0;
    }

    // Every GPU server in the racks of the placement, with each GPU's use, for drawing the racks.
    const rackIds = [...new Set(allocations.map((a) => a.rackId).filter((r): r is number => r !== null))];
    const rackGpus = rackIds.length
      ? await ctx.db
          .select({
            rackId: s.devices.rackId,
            deviceId: s.devices.id,
            deviceName: s.devices.name,
            position: s.devices.position,
            acceleratorId: s.accelerators.id,
            uuid: s.accelerators.uuid,
            index: s.accelerators.index,
            health: s.accelerators.health,
            usedMilli: sql<number>`(SELECT coalesce(sum(g.milli), 0)::int FROM gpu_allocations g WHERE g.accelerator_id = ${s.accelerators.id} AND g.released_at IS NULL)`,
          })
          .from(s.accelerators)
          .innerJoin(s.devices, eq(s.devices.id, s.accelerators.deviceId))
          .where(and(inArray(s.devices.rackId, rackIds), zoneCondition(ctx, 'rack', s.devices.rackId)))
          .orderBy(asc(s.devices.position), asc(s.accelerators.index))
      : [];
    const mine = new Map(allocations.map((a) => [a.acceleratorId, a]));
    const racks = rackIds.map((rackId) => {
      const servers = new Map<number, { id: number; name: string; position: number | null; gpus: Array<{ id: number; uuid: string; index: number; health: string; usedMilli: number; jobMilli: number; worker: number | null }> }>();
      for (const g of rackGpus.filter((r) => r.rackId === rackId)) {
        let server = servers.get(g.deviceId);
        if (!server) {
          server = { id: g.deviceId, name: g.deviceName, position: g.position, gpus: [] };
          servers.set(g.deviceId, server);
        }
        const a = mine.get(g.acceleratorId);
        server.gpus.push({ id: g.acceleratorId, uuid: g.uuid, index: g.index, health: g.health, usedMilli: g.usedMilli, jobMilli: a?.milli ?? 0, worker: a?.worker ?? null });
      }
      return { id: rackId, name: allocations.find((a) => a.rackId === rackId)?.rackName ?? String(rackId), servers: [...servers.values()].sort((x, y) => (y.position ?? 0) - (x.position ?? 0)) };
    });

    // The Kubernetes pod on each GPU, from dcgm-exporter's labels on its telemetry.
    const pods = await podsOnGpus(ctx.db, allocations.map((a) => a.acceleratorId));
    const placedAllocations = allocations.map((a) => ({ ...a, pod: pods.get(a.acceleratorId) ?? null }));
    // A TPU job's slice: the active one, else its last (history).
    const tpuSlice =
      (
        await ctx.db.execute<{ id: number; pod_id: number; pod: string; shape: string; chips: number; state: string; cubes: number[] | null; origin_x: number | null; origin_y: number | null; origin_z: number | null }>(sql`
          SELECT s.id, s.pod_id, p.name AS pod, s.shape, s.chips, s.state, s.cubes, s.origin_x, s.origin_y, s.origin_z
          FROM tpu_slices s JOIN tpu_pods p ON p.id = s.pod_id WHERE s.job_id = ${input.id} ORDER BY (s.state = 'active') DESC, s.id DESC LIMIT 1`)
      ).rows.map((t) => ({
        id: t.id,
        podId: t.pod_id,
        pod: t.pod,
        shape: t.shape,
        chips: t.chips,
        state: t.state,
        cubes: t.cubes,
        origin: t.origin_x === null ? null : ([t.origin_x, t.origin_y!, t.origin_z!] as [number, number, number]),
      }))[0] ?? null;
    const job = row.job;
    const drawn = placementIsHistory ? { powerW: null, reporting: 0 } : await measuredGpuPowerW(ctx.pool, allocations);
    const heldMilli = allocations.reduce((sum, a) => sum + a.milli, 0);
    const perWorkerGpus = job.gpuMilli > 0 ? job.gpuMilli / 1000 : job.gpusPerWorker;
    const fullWorkers = job.kind === 'inference' ? job.replicas : job.workers;
    return {
      job,
      tenant: row.tenant,
      /** The engine that runs it (external jobs, and Plenum jobs submitted to an engine); null for the simulator. */
      cluster: row.cluster?.id ? row.cluster : null,
      events,
      placement: { allocations: placedAllocations, placementIsHistory, racks },
      tpuSlice,
      power: {
        /** What the placed workers are expected to draw now (0 when nothing is placed). */
        expectedPowerW: placementIsHistory ? 0 : (heldMilli / 1000) * job.expectedPowerWPerGpu,
        /** At full size: every worker (replica) placed. */
        expectedFullPowerW: perWorkerGpus * fullWorkers * job.expectedPowerWPerGpu,
        perGpuW: job.expectedPowerWPerGpu,
        /** What its GPUs measure now (each GPU's latest gpu_power_w × the job's share of it); null when none reports. */
        measuredPowerW: drawn.powerW,
        /** Allocations whose GPU reported power in the last minute, of placement.allocations. */
        measuredAllocations: drawn.reporting,
        defaultPerGpuW: DEFAULT_POWER_W_PER_GPU[job.kind],
      },
    };
  }),

  cancel: operateProcedure.meta({ example: { id: 1 } }).input(z.object({ id, reason: z.string().trim().max(200).optional() })).mutation(async ({ ctx, input }) => {
    await assertJobWhollyInZone(ctx, input.id);
    return cancelJobEverywhere(ctx.db, input.id, input.reason ? `cancelled: ${input.reason}` : undefined).catch(asInputError);
  }),

  /** Inference replicas: scaling down releases replicas now; scaling up is placed by the scheduler loop. */
  scale: operateProcedure
    .meta({ example: { id: 1, replicas: 1 } })
    .input(z.object({ id, replicas: z.number().int('must be a whole number').min(1, 'must be at least 1').max(1024, 'must be at most 1024') }))
    .mutation(async ({ ctx, input }) => {
      await assertJobWhollyInZone(ctx, input.id);
      return scaleJob(ctx.db, input.id, input.replicas).catch(asInputError);
    }),

  /** Fault injection and real faults: the GPU takes no new work; its jobs are requeued, re-placed or failed. */
  markGpuFailed: operateProcedure.meta({ example: { uuid: 'GPU-00000000-0000-0000-0000-000000000000' } }).input(z.object({ uuid, reason: z.string().trim().max(200).optional() })).mutation(async ({ ctx, input }) => {
    await assertGpuUuidInZone(ctx, input.uuid);
    return markGpuFailed(ctx.db, input.uuid, input.reason).catch(asInputError);
  }),

  markGpuHealthy: operateProcedure.meta({ example: { uuid: 'GPU-00000000-0000-0000-0000-000000000000' } }).input(z.object({ uuid })).mutation(async ({ ctx, input }) => {
    await assertGpuUuidInZone(ctx, input.uuid);
    return markGpuHealthy(ctx.db, input.uuid).catch(asInputError);
  }),

  /** Accelerator model names, for the submit form. */
  gpuModels: readProcedure.query(async ({ ctx }) => {
    return ctx.db
      .select({ name: s.acceleratorModels.name, memoryGib: s.acceleratorModels.memoryGib, count: sql<number>`count(${s.accelerators.id})::int` })
      .from(s.acceleratorModels)
      .leftJoin(s.accelerators, and(eq(s.accelerators.modelId, s.acceleratorModels.id), zoneCondition(ctx, 'device', s.accelerators.deviceId)))
      .groupBy(s.acceleratorModels.id)
      .having(sql`count(${s.accelerators.id}) > 0`)
      .orderBy(asc(s.acceleratorModels.name));
  }),
});
