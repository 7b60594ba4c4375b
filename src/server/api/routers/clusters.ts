import { asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import * as s from '../../db/schema';
import { assertAllZones, assertInZone } from '../../auth/zones';
import { ClusterInputError, mapNode, registerCluster, removeCluster, syncCluster } from '../../services/clusters/registry';
import { clusterOptionsSchema } from '../../services/clusters/types';
import { fieldError } from '../errors';
import { dbId } from '../inputs';
import { adminProcedure, operateProcedure, readProcedure, router } from '../trpc';

const ALL_ZONES = 'clusters (their nodes span every zone)';

const clusterName = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(63, 'is at most 63 characters')
  .regex(/^([A-Za-z0-9][A-Za-z0-9._-]*)?$/, 'may contain letters, digits, ".", "_" and "-" only, starting with a letter or digit');
const pollIntervalS = z.number().int('must be whole seconds').min(5, 'must be at least 5 s').max(3600, 'must be at most 3600 s');
const nodeName = z.string().trim().min(1, 'is required').max(253, 'is at most 253 characters');

const addInput = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('slurm'),
    name: clusterName,
    url: z.string().trim().min(1, 'is required').max(2048, 'is at most 2048 characters'),
    token: z.string().trim().min(1, 'is required').max(16_384, 'is at most 16384 characters'),
    user: z.string().trim().min(1, 'is required when given').max(64, 'is at most 64 characters').optional(),
    /** Slurm 22.05/23.02: the cluster's slurm.conf on the Plenum server, for drains through scontrol (v0.0.38 cannot). */
    slurmConf: z
      .string()
      .trim()
      .max(4096, 'is at most 4096 characters')
      .regex(/^\/[^\0]*$/, 'must be an absolute path on the Plenum server')
      .optional(),
    pollIntervalS: pollIntervalS.optional(),
    adviseOnly: z.boolean().optional(),
  }),
  z.object({
    kind: z.literal('kubernetes'),
    name: clusterName,
    kubeconfig: z.string().min(1, 'is required').max(1_048_576, 'is at most 1 MiB'),
    context: z.string().trim().min(1, 'is required when given').max(253, 'is at most 253 characters').optional(),
    pollIntervalS: pollIntervalS.optional(),
    adviseOnly: z.boolean().optional(),
  }),
]);

function asInputError(error: unknown): never {
  if (error instanceof ClusterInputError) throw fieldError(error.field, error.reason);
  throw error;
}

/** A cluster as the API shows it: never its credentials. */
const clusterColumns = {
  id: s.clusters.id,
  name: s.clusters.name,
  kind: s.clusters.kind,
  url: s.clusters.url,
  options: s.clusters.options,
  lastSyncAt: s.clusters.lastSyncAt,
  lastErrorAt: s.clusters.lastErrorAt,
  lastError: s.clusters.lastError,
  consecutiveFailures: s.clusters.consecutiveFailures,
  createdAt: s.clusters.createdAt,
};

function publicCluster<T extends { options: Record<string, unknown> }>(row: T) {
  return { ...row, options: clusterOptionsSchema.parse(row.options) };
}

async function clusterOrFieldError(ctx: { db: import('../../db/client').Db }, id: number, field = 'id') {
  const [row] = await ctx.db.select(clusterColumns).from(s.clusters).where(eq(s.clusters.id, id));
  if (!row) throw fieldError(field, `no cluster with id ${id}`);
  return row;
}

export const clustersRouter = router({
  /** Every cluster with its health and node / job counts. */
  list: readProcedure.query(async ({ ctx }) => {
    assertAllZones(ctx, ALL_ZONES);
    const rows = await ctx.db
      .select({
        ...clusterColumns,
        nodes: sql<number>`(SELECT count(*)::int FROM cluster_nodes n WHERE n.cluster_id = clusters.id)`,
        mappedNodes: sql<number>`(SELECT count(*)::int FROM cluster_nodes n WHERE n.cluster_id = clusters.id AND n.device_id IS NOT NULL)`,
        unavailableNodes: sql<number>`(SELECT count(*)::int FROM cluster_nodes n WHERE n.cluster_id = clusters.id AND NOT n.available)`,
        gpusTotal: sql<number>`(SELECT coalesce(sum(n.gpus_total), 0)::int FROM cluster_nodes n WHERE n.cluster_id = clusters.id)`,
        gpusAllocated: sql<number>`(SELECT coalesce(sum(n.gpus_allocated), 0)::int FROM cluster_nodes n WHERE n.cluster_id = clusters.id)`,
        runningJobs: sql<number>`(SELECT count(*)::int FROM jobs j WHERE j.cluster_id = clusters.id AND j.status IN ('scheduled', 'running'))`,
        pendingJobs: sql<number>`(SELECT count(*)::int FROM jobs j WHERE j.cluster_id = clusters.id AND j.status = 'pending')`,
        steeredNodes: sql<number>`(SELECT count(*)::int FROM cluster_steering st WHERE st.cluster_id = clusters.id AND st.released_at IS NULL)`,
      })
      .from(s.clusters)
      .orderBy(asc(s.clusters.name));
    return rows.map(publicCluster);
  }),

  /** One cluster: its nodes (mapped servers and their racks, unmapped ones) and its open and recent steering actions. */
  get: readProcedure.meta({ example: { id: 1 } }).input(z.object({ id: dbId })).query(async ({ ctx, input }) => {
    assertAllZones(ctx, ALL_ZONES);
    const cluster = publicCluster(await clusterOrFieldError(ctx, input.id));
    const nodes = await ctx.db
      .select({
        id: s.clusterNodes.id,
        name: s.clusterNodes.name,
        hostname: s.clusterNodes.hostname,
        state: s.clusterNodes.state,
        reason: s.clusterNodes.reason,
        available: s.clusterNodes.available,
        gpusTotal: s.clusterNodes.gpusTotal,
        gpusAllocated: s.clusterNodes.gpusAllocated,
        partitions: s.clusterNodes.partitions,
        labels: s.clusterNodes.labels,
        taints: s.clusterNodes.taints,
        mapping: s.clusterNodes.mapping,
        lastSeenAt: s.clusterNodes.lastSeenAt,
        deviceId: s.devices.id,
        deviceName: s.devices.name,
        rackId: s.racks.id,
        rackName: s.racks.name,
      })
      .from(s.clusterNodes)
      .leftJoin(s.devices, eq(s.devices.id, s.clusterNodes.deviceId))
      .leftJoin(s.racks, eq(s.racks.id, s.devices.rackId))
      .where(eq(s.clusterNodes.clusterId, input.id))
      .orderBy(asc(s.clusterNodes.name));
    const steering = (
      await ctx.db.execute<{ id: number; node_name: string; rack_id: number | null; rack_name: string | null; cause: string; applied: boolean; state: string; last_error: string | null; started_at: string; released_at: string | null }>(sql`
        SELECT st.id, st.node_name, st.rack_id, r.name AS rack_name, st.cause, st.applied, st.state, st.last_error, st.started_at::text, st.released_at::text
        FROM cluster_steering st LEFT JOIN racks r ON r.id = st.rack_id
        WHERE st.cluster_id = ${input.id} AND (st.released_at IS NULL OR st.released_at > now() - interval '1 day')
        ORDER BY st.released_at IS NULL DESC, st.started_at DESC LIMIT 200`)
    ).rows.map((r) => ({
      id: r.id,
      nodeName: r.node_name,
      rackId: r.rack_id,
      rackName: r.rack_name,
      cause: r.cause,
      applied: r.applied,
      state: r.state,
      lastError: r.last_error,
      startedAt: r.started_at,
      releasedAt: r.released_at,
    }));
    return { cluster, nodes, unmappedNodes: nodes.filter((n) => n.deviceId === null).map((n) => n.name), steering };
  }),

  /** The engine nodes on a rack's servers and the facility steering on them (for the rack page). */
  forRack: readProcedure.meta({ example: { rackId: 1 } }).input(z.object({ rackId: dbId })).query(async ({ ctx, input }) => {
    await assertInZone(ctx, 'rack', input.rackId);
    const nodes = (
      await ctx.db.execute<{ cluster: string; cluster_id: number; node: string; device_id: number; device: string; state: string; reason: string; available: boolean; gpus_total: number; gpus_allocated: number }>(sql`
        SELECT c.name AS cluster, c.id AS cluster_id, n.name AS node, d.id AS device_id, d.name AS device, n.state, n.reason, n.available, n.gpus_total, n.gpus_allocated
        FROM cluster_nodes n JOIN clusters c ON c.id = n.cluster_id JOIN devices d ON d.id = n.device_id
        WHERE d.rack_id = ${input.rackId} ORDER BY d.name, c.name`)
    ).rows.map((r) => ({
      cluster: r.cluster,
      clusterId: r.cluster_id,
      node: r.node,
      deviceId: r.device_id,
      device: r.device,
      state: r.state,
      reason: r.reason,
      available: r.available,
      gpusTotal: r.gpus_total,
      gpusAllocated: r.gpus_allocated,
    }));
    const steering = (
      await ctx.db.execute<{ cluster: string; node_name: string; cause: string; applied: boolean; state: string; last_error: string | null; started_at: string }>(sql`
        SELECT c.name AS cluster, st.node_name, st.cause, st.applied, st.state, st.last_error, st.started_at::text
        FROM cluster_steering st JOIN clusters c ON c.id = st.cluster_id
        WHERE st.rack_id = ${input.rackId} AND st.released_at IS NULL ORDER BY c.name, st.node_name`)
    ).rows.map((r) => ({ cluster: r.cluster, nodeName: r.node_name, cause: r.cause, applied: r.applied, state: r.state, lastError: r.last_error, startedAt: r.started_at }));
    return { nodes, steering };
  }),

  /** Registers a Slurm (slurmrestd URL + JWT) or Kubernetes (kubeconfig) cluster; the worker's first sync follows. */
  add: adminProcedure
    .meta({ example: { kind: 'slurm', name: 'example', url: 'http://127.0.0.1:9', token: 'example-jwt' } })
    .input(addInput)
    .mutation(async ({ ctx, input }) => {
      assertAllZones(ctx, ALL_ZONES);
      const row = await registerCluster(ctx.db, input).catch(asInputError);
      return publicCluster(await clusterOrFieldError(ctx, row.id));
    }),

  /** Changes how Plenum follows a cluster: poll interval, advise-only facility feedback. */
  update: adminProcedure
    .meta({ example: { id: 1, adviseOnly: true } })
    .input(z.object({ id: dbId, pollIntervalS: pollIntervalS.optional(), adviseOnly: z.boolean().optional() }))
    .mutation(async ({ ctx, input }) => {
      assertAllZones(ctx, ALL_ZONES);
      const current = await clusterOrFieldError(ctx, input.id);
      const options = clusterOptionsSchema.parse({
        ...current.options,
        ...(input.pollIntervalS !== undefined ? { pollIntervalS: input.pollIntervalS } : {}),
        ...(input.adviseOnly !== undefined ? { adviseOnly: input.adviseOnly } : {}),
      });
      await ctx.db.update(s.clusters).set({ options }).where(eq(s.clusters.id, input.id));
      return publicCluster(await clusterOrFieldError(ctx, input.id));
    }),

  /** Removes a cluster, its node mirror and its external jobs (Plenum's own jobs keep their history). */
  remove: adminProcedure
    .meta({ example: { id: 1 } })
    .input(z.object({ id: dbId }))
    .mutation(async ({ ctx, input }) => {
      assertAllZones(ctx, ALL_ZONES);
      const removed = await ctx.db.transaction((tx) => removeCluster(tx, input.id));
      if (!removed) throw fieldError('id', `no cluster with id ${input.id}`);
      return { id: input.id };
    }),

  /** Reads the engine now (instead of at the next poll). A connection problem is returned (and kept as health), not thrown. */
  sync: operateProcedure
    .meta({ example: { id: 1 } })
    .input(z.object({ id: dbId }))
    .mutation(async ({ ctx, input }) => {
      assertAllZones(ctx, ALL_ZONES);
      await clusterOrFieldError(ctx, input.id);
      return syncCluster(ctx.db, input.id);
    }),

  /** Maps an engine node to a Plenum server explicitly (deviceId null: remove the explicit mapping). */
  map: adminProcedure
    .meta({ example: { clusterId: 1, node: 'gpu01', deviceId: 1 } })
    .input(z.object({ clusterId: dbId, node: nodeName, deviceId: dbId.nullable() }))
    .mutation(async ({ ctx, input }) => {
      assertAllZones(ctx, ALL_ZONES);
      await clusterOrFieldError(ctx, input.clusterId, 'clusterId');
      await mapNode(ctx.db, input.clusterId, input.node, input.deviceId).catch(asInputError);
      return { clusterId: input.clusterId, node: input.node, deviceId: input.deviceId };
    }),
});
