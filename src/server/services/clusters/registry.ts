// The cluster registry: engines (Slurm, Kubernetes) and what they run, kept in step with the engine by one read per
// poll interval. Engine-neutral: everything engine-specific lives behind ClusterAdapter.

import { and, eq, notInArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import * as s from '../../db/schema';
import type { ExternalJobNode } from '../../db/schema/jobs';
import { DEFAULT_POWER_W_PER_GPU } from '../scheduler/defaults';
import { ScrapeError, TargetGuard } from '../telemetry/target-guard';
import { adapterFor } from './adapters';
import { followSubmittedJobs } from './follow';
import { KubeconfigError, loadKubeconfig } from './kubernetes';
import {
  type ClusterAdapter,
  type ClusterConnection,
  type ClusterCredentials,
  clusterCredentialsSchema,
  clusterOptionsSchema,
  type EngineJob,
  type EngineJobState,
  type EngineNode,
  type EngineState,
} from './types';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
type ClusterRow = typeof s.clusters.$inferSelect;

/** Lock class for pg_advisory_xact_lock(class, cluster id): one writer of a cluster's mirror at a time. */
const CLUSTER_SYNC_LOCK = 0x434c5354; // "CLST"
/** A read that takes longer than this is a failed read (the engine is there but not answering). */
export const CLUSTER_READ_TIMEOUT_MS = 30_000;
/** External jobs' GPUs per worker are capped by the jobs table's range; their real holdings are in external_nodes. */
const MAX_GPUS_PER_WORKER = 8;

export function connectionOf(row: ClusterRow): ClusterConnection {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    url: row.url,
    credentials: clusterCredentialsSchema.parse(row.credentials),
    options: clusterOptionsSchema.parse(row.options),
  };
}

export async function loadCluster(db: Db, id: number): Promise<ClusterRow | undefined> {
  const [row] = await db.select().from(s.clusters).where(eq(s.clusters.id, id));
  return row;
}

/** The tenant external jobs of a cluster are counted under (not creatable through the API: its name has a colon). */
export function externalTenantName(clusterName: string): string {
  return `cluster:${clusterName}`;
}

export type SyncResult =
  | { ok: true; nodes: number; mappedNodes: number; unavailableNodes: number; jobs: number; endedJobs: number; warnings: string[] }
  | { ok: false; error: string };

/**
 * One sync of one cluster: read the engine, then mirror it in one transaction. A failed read becomes the cluster's
 * health (error text, consecutive failures) and changes nothing else.
 */
export async function syncCluster(db: Db, clusterId: number, options: { adapter?: ClusterAdapter; signal?: AbortSignal } = {}): Promise<SyncResult> {
  const row = await loadCluster(db, clusterId);
  if (!row) return { ok: false, error: `no cluster with id ${clusterId}` };
  let state: EngineState;
  try {
    // Checked at every sync, as scrape targets are at every connection: DNS may have changed since the cluster was added.
    await TargetGuard.fromEnv().check(row.url);
    const adapter = options.adapter ?? adapterFor(connectionOf(row));
    const signal = options.signal ?? AbortSignal.timeout(CLUSTER_READ_TIMEOUT_MS);
    state = await adapter.read(signal);
  } catch (error) {
    const message = errorText(error);
    await recordFailure(db, clusterId, message);
    return { ok: false, error: message };
  }
  try {
    return await db.transaction(async (tx) => applyEngineState(tx, row, state));
  } catch (error) {
    const message = `could not store what the engine reported: ${errorText(error)}`;
    await recordFailure(db, clusterId, message);
    return { ok: false, error: message };
  }
}

export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    const causeText = cause instanceof Error && cause.message && !error.message.includes(cause.message) ? ` (${cause.message})` : '';
    return `${error.message || error.name}${causeText}`.slice(0, 2000);
  }
  return String(error).slice(0, 2000);
}

async function recordFailure(db: Db, clusterId: number, message: string): Promise<void> {
  await db
    .update(s.clusters)
    .set({ lastErrorAt: new Date(), lastError: message, consecutiveFailures: sql`${s.clusters.consecutiveFailures} + 1` })
    .where(eq(s.clusters.id, clusterId));
}

/** Plenum servers a node name or host name can mean: exact, then the short name (before the first dot), case-blind. */
function nameKeys(node: EngineNode): string[] {
  const keys = new Set<string>();
  for (const name of [node.hostname, node.name]) {
    if (!name) continue;
    keys.add(name.toLowerCase());
    keys.add(name.toLowerCase().split('.')[0]!);
  }
  return [...keys];
}

async function applyEngineState(tx: Tx, cluster: ClusterRow, state: EngineState): Promise<SyncResult> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${CLUSTER_SYNC_LOCK}, ${cluster.id})`);
  const warnings: string[] = [];

  // Map nodes: an explicit mapping wins; else the server whose host name (or name) is the node's, short names too.
  const explicit = new Map(
    (await tx.select().from(s.clusterNodeMappings).where(eq(s.clusterNodeMappings.clusterId, cluster.id))).map((m) => [m.nodeName, m.deviceId]),
  );
  const servers = (
    await tx.execute<{ id: number; name: string; hostname: string | null }>(sql`
      SELECT d.id, d.name, d.hostname FROM devices d JOIN device_types t ON t.id = d.device_type_id
      WHERE t.kind = 'server' AND d.status <> 'decommissioned'`)
  ).rows;
  const serverByKey = new Map<string, number>();
  for (const server of servers) {
    for (const name of [server.hostname, server.name]) {
      if (!name) continue;
      const lower = name.toLowerCase();
      if (!serverByKey.has(lower)) serverByKey.set(lower, server.id);
      const short = lower.split('.')[0]!;
      if (!serverByKey.has(short)) serverByKey.set(short, server.id);
    }
  }
  const deviceOfNode = new Map<string, number>();
  const nodeNames: string[] = [];
  let mappedNodes = 0;
  for (const node of state.nodes) {
    nodeNames.push(node.name);
    const explicitDevice = explicit.get(node.name);
    const byName = nameKeys(node)
      .map((key) => serverByKey.get(key))
      .find((id) => id !== undefined);
    const deviceId = explicitDevice ?? byName ?? null;
    const mapping = explicitDevice !== undefined ? 'explicit' : byName !== undefined ? 'hostname' : null;
    if (deviceId !== null) {
      deviceOfNode.set(node.name, deviceId);
      mappedNodes++;
    }
    const values = {
      hostname: node.hostname ?? null,
      deviceId,
      mapping,
      state: node.state,
      reason: node.reason,
      available: node.available,
      gpusTotal: node.gpusTotal,
      gpusAllocated: node.gpusAllocated,
      partitions: node.partitions,
      labels: node.labels,
      taints: node.taints,
      lastSeenAt: new Date(),
    } as const;
    await tx
      .insert(s.clusterNodes)
      .values({ clusterId: cluster.id, name: node.name, ...values })
      .onConflictDoUpdate({ target: [s.clusterNodes.clusterId, s.clusterNodes.name], set: values });
  }
  // Nodes the engine no longer lists are gone from its mirror.
  await tx
    .delete(s.clusterNodes)
    .where(and(eq(s.clusterNodes.clusterId, cluster.id), nodeNames.length > 0 ? notInArray(s.clusterNodes.name, nodeNames) : undefined));

  const tenantId = await externalTenant(tx, cluster.name);
  const existing = (
    await tx.execute<{ id: number; external_id: string; origin: string; status: string; external_state: string | null }>(sql`
      SELECT id, external_id, origin, status::text AS status, external_state FROM jobs
      WHERE cluster_id = ${cluster.id} AND external_id IS NOT NULL FOR UPDATE`)
  ).rows;
  const byExternalId = new Map(existing.map((j) => [j.external_id, j]));
  const seen = new Set<string>();
  let jobs = 0;
  for (const job of state.jobs) {
    seen.add(job.externalId);
    const known = byExternalId.get(job.externalId);
    // Jobs Plenum submitted are followed by their executor's own state flow, not mirrored as external jobs.
    if (known && known.origin !== 'external') continue;
    const gpusPerNode = Math.max(job.gpusPerNodeRequested, ...job.nodes.map((n) => n.gpus), 0);
    // A GPU scheduler's mirror: jobs that hold or ask for no GPU are not Plenum's business.
    if (gpusPerNode < 1) continue;
    jobs++;
    await upsertExternalJob(tx, cluster, tenantId, job, gpusPerNode, known, deviceOfNode, warnings);
  }
  // Plenum's own jobs this engine runs: their engine state flows back (executor slurm).
  await followSubmittedJobs(tx, cluster.name, existing.filter((j) => j.origin === 'plenum'), state.jobs);
  // Active external jobs the engine no longer lists have ended: their outcome was not reported.
  let endedJobs = 0;
  for (const known of existing) {
    if (known.origin !== 'external' || seen.has(known.external_id) || !isActive(known.status)) continue;
    const reason = `no longer listed by ${cluster.name}`;
    await tx.execute(sql`UPDATE gpu_allocations SET released_at = now() WHERE job_id = ${known.id} AND released_at IS NULL`);
    await tx.execute(sql`UPDATE jobs SET status = 'cancelled', reason = ${reason}, finished_at = coalesce(finished_at, now()), updated_at = now() WHERE id = ${known.id}`);
    await tx.insert(s.jobEvents).values({ jobId: known.id, status: 'cancelled', reason });
    endedJobs++;
  }

  await tx
    .update(s.clusters)
    .set({ lastSyncAt: new Date(), lastError: null, consecutiveFailures: 0 })
    .where(eq(s.clusters.id, cluster.id));
  return {
    ok: true,
    nodes: state.nodes.length,
    mappedNodes,
    unavailableNodes: state.nodes.filter((n) => !n.available).length,
    jobs,
    endedJobs,
    warnings,
  };
}

function isActive(status: string): boolean {
  return status === 'pending' || status === 'scheduled' || status === 'running';
}

function statusOf(state: EngineJobState): 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled' {
  return state;
}

async function externalTenant(tx: Tx, clusterName: string): Promise<number> {
  const name = externalTenantName(clusterName);
  const [row] = await tx
    .insert(s.tenants)
    .values({ name, gpuQuota: 1_000_000, clearedZoneLevel: 3 })
    .onConflictDoUpdate({ target: s.tenants.name, set: { name } })
    .returning({ id: s.tenants.id });
  return row!.id;
}

async function upsertExternalJob(
  tx: Tx,
  cluster: ClusterRow,
  tenantId: number,
  job: EngineJob,
  gpusPerNode: number,
  known: { id: number; status: string; external_state: string | null } | undefined,
  deviceOfNode: Map<string, number>,
  warnings: string[],
): Promise<void> {
  const status = statusOf(job.state);
  const externalNodes: ExternalJobNode[] = job.nodes.map((n) => ({ name: n.name, gpus: n.gpus }));
  const finished = status === 'succeeded' || status === 'failed' || status === 'cancelled';
  const values = {
    name: job.name.slice(0, 200) || job.externalId,
    status,
    reason: job.reason.slice(0, 2000),
    workers: Math.min(1024, Math.max(1, job.nodes.length)),
    gpusPerWorker: Math.min(MAX_GPUS_PER_WORKER, gpusPerNode),
    externalState: job.engineState,
    owner: job.owner,
    externalNodes,
    exitCode: job.exitCode,
    startedAt: job.startedAt,
    finishedAt: finished ? (job.endedAt ?? new Date()) : null,
    updatedAt: new Date(),
  };
  let jobId: number;
  if (!known) {
    const [inserted] = await tx
      .insert(s.jobs)
      .values({
        ...values,
        kind: 'batch',
        tenantId,
        origin: 'external',
        clusterId: cluster.id,
        externalId: job.externalId,
        cpuMilli: 0,
        memoryMib: 0,
        expectedPowerWPerGpu: DEFAULT_POWER_W_PER_GPU.batch,
        // Engines preempt their own jobs; Plenum never evicts them.
        preemptible: false,
        executor: cluster.kind === 'slurm' ? { kind: 'slurm', cluster: cluster.name, script: '' } : { kind: 'kubernetes', cluster: cluster.name },
        submittedAt: job.startedAt ?? new Date(),
      })
      .returning({ id: s.jobs.id });
    jobId = inserted!.id;
    await tx.insert(s.jobEvents).values({ jobId, status, reason: `seen on ${cluster.name} as ${job.externalId} (${job.engineState})` });
  } else {
    jobId = known.id;
    await tx.update(s.jobs).set(values).where(eq(s.jobs.id, jobId));
    if (known.status !== status || known.external_state !== job.engineState) {
      await tx.insert(s.jobEvents).values({ jobId, status, reason: `${cluster.name}: ${job.engineState}${job.reason ? ` (${job.reason})` : ''}` });
    }
  }
  // A Kubernetes pod's GPUs are known from dcgm-exporter's pod labels on the GPUs' telemetry: those GPUs go first.
  const [namespace, pod] = cluster.kind === 'kubernetes' ? job.externalId.split('/', 2) : [];
  await holdGpus(tx, jobId, status === 'running' ? job.nodes : [], deviceOfNode, warnings, job.externalId, pod ? { namespace: namespace!, pod } : undefined);
}

/**
 * An external job's hold on the GPUs of the mapped servers it runs on, as allocation rows, so placement, quotas, the
 * dashboards and the failure what-ifs see those GPUs taken. Kept when the holding is unchanged; otherwise released
 * and taken again. A Kubernetes pod takes the GPUs dcgm-exporter reports it on first. Only free, non-failed GPUs are taken (the allocation trigger's rules hold): an engine that runs
 * on GPUs Plenum also placed on is reported, not forced.
 */
async function holdGpus(
  tx: Tx,
  jobId: number,
  nodes: Array<{ name: string; gpus: number }>,
  deviceOfNode: Map<string, number>,
  warnings: string[],
  externalId: string,
  pod?: { namespace: string; pod: string },
): Promise<void> {
  const wanted = new Map<number, { worker: number; gpus: number }>();
  nodes.forEach((node, worker) => {
    const deviceId = deviceOfNode.get(node.name);
    if (deviceId !== undefined && node.gpus > 0) wanted.set(deviceId, { worker, gpus: node.gpus });
  });
  const held = (
    await tx.execute<{ device_id: number; worker: number; gpus: number }>(sql`
      SELECT a.device_id, g.worker, count(*)::int AS gpus FROM gpu_allocations g JOIN accelerators a ON a.id = g.accelerator_id
      WHERE g.job_id = ${jobId} AND g.released_at IS NULL GROUP BY a.device_id, g.worker`)
  ).rows;
  const same = held.length === wanted.size && held.every((h) => wanted.get(h.device_id)?.gpus === h.gpus && wanted.get(h.device_id)?.worker === h.worker);
  if (same) return;
  await tx.execute(sql`UPDATE gpu_allocations SET released_at = now() WHERE job_id = ${jobId} AND released_at IS NULL`);
  for (const [deviceId, { worker, gpus }] of wanted) {
    const free = (
      await tx.execute<{ id: number }>(sql`
        SELECT a.id FROM accelerators a
        WHERE a.device_id = ${deviceId} AND a.health <> 'failed'
          AND NOT EXISTS (SELECT 1 FROM gpu_allocations g WHERE g.accelerator_id = a.id AND g.released_at IS NULL)
        ORDER BY EXISTS (
            SELECT 1 FROM telemetry_series s WHERE s.accelerator_id = a.id AND s.ended_at IS NULL
              AND coalesce(nullif(s.labels->>'exported_pod', ''), nullif(s.labels->>'pod', '')) = ${pod?.pod ?? null}
              AND coalesce(nullif(s.labels->>'exported_namespace', ''), nullif(s.labels->>'namespace', ''), ${pod?.namespace ?? null}) = ${pod?.namespace ?? null}
          ) DESC, a.index
        LIMIT ${gpus}
        FOR UPDATE OF a`)
    ).rows;
    if (free.length < gpus) warnings.push(`${externalId}: ${gpus} GPUs on server ${deviceId} but only ${free.length} free in Plenum`);
    for (const gpu of free) {
      await tx.insert(s.gpuAllocations).values({ jobId, worker, acceleratorId: gpu.id, milli: 1000 });
    }
  }
}

/** Clusters whose poll interval has passed since their last attempt (good or bad). */
export async function dueClusters(db: Db, now = new Date()): Promise<ClusterRow[]> {
  const rows = await db.select().from(s.clusters).orderBy(s.clusters.id);
  return rows.filter((row) => {
    const last = Math.max(row.lastSyncAt?.getTime() ?? 0, row.lastErrorAt?.getTime() ?? 0);
    const interval = clusterOptionsSchema.parse(row.options).pollIntervalS * 1000;
    return now.getTime() - last >= interval;
  });
}

/** Removes a cluster and the external jobs mirrored from it (Plenum's own jobs keep their history). */
export async function removeCluster(tx: Tx, id: number): Promise<boolean> {
  const [row] = await tx.select({ name: s.clusters.name }).from(s.clusters).where(eq(s.clusters.id, id)).for('update');
  if (!row) return false;
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${CLUSTER_SYNC_LOCK}, ${id})`);
  await tx.delete(s.jobs).where(and(eq(s.jobs.clusterId, id), eq(s.jobs.origin, 'external')));
  await tx.delete(s.clusters).where(eq(s.clusters.id, id));
  await tx.execute(sql`DELETE FROM tenants t WHERE t.name = ${externalTenantName(row.name)} AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.tenant_id = t.id)`);
  return true;
}

/** A request the registry cannot take, naming the input field (the router turns it into a field error). */
export class ClusterInputError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

export type ClusterRegistration =
  | { kind: 'slurm'; name: string; url: string; token: string; user?: string; slurmConf?: string; pollIntervalS?: number; adviseOnly?: boolean }
  | { kind: 'kubernetes'; name: string; kubeconfig: string; context?: string; pollIntervalS?: number; adviseOnly?: boolean };

/**
 * Registers a cluster. The engine is not contacted here: the worker's first sync shows whether it answers (as the
 * cluster's health). The URL passes the same address guard as scrape targets (PLENUM_TARGET_ALLOW).
 */
export async function registerCluster(db: Db | Tx, input: ClusterRegistration, guard = TargetGuard.fromEnv()): Promise<ClusterRow> {
  let url: string;
  let urlField: string;
  const credentials: ClusterCredentials = {};
  const options: Record<string, unknown> = {};
  if (input.kind === 'kubernetes') {
    try {
      const loaded = loadKubeconfig(input.kubeconfig, input.context);
      url = loaded.server;
      options.context = loaded.context;
    } catch (error) {
      if (error instanceof KubeconfigError) throw new ClusterInputError(error.field, error.reason);
      throw error;
    }
    urlField = 'kubeconfig';
    credentials.kubeconfig = input.kubeconfig;
  } else {
    url = input.url.replace(/\/+$/, '');
    urlField = 'url';
    credentials.token = input.token;
    if (input.user) options.user = input.user;
    // Slurm 22.05/23.02: drains go through scontrol with this slurm.conf (their slurmrestd cannot update nodes).
    if (input.slurmConf) options.slurmConf = input.slurmConf;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ClusterInputError(urlField, `"${url}" is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ClusterInputError(urlField, `must be an http or https URL (not ${parsed.protocol})`);
  await guard.check(url).catch((error: unknown) => {
    if (error instanceof ScrapeError) throw new ClusterInputError(urlField, error.message.replace('target refused', 'cluster URL refused'));
    throw error;
  });
  if (input.pollIntervalS !== undefined) options.pollIntervalS = input.pollIntervalS;
  if (input.adviseOnly !== undefined) options.adviseOnly = input.adviseOnly;
  const [existing] = await db.select({ id: s.clusters.id }).from(s.clusters).where(eq(s.clusters.name, input.name));
  if (existing) throw new ClusterInputError('name', `is already used by another cluster`);
  const [row] = await db
    .insert(s.clusters)
    .values({ name: input.name, kind: input.kind, url, credentials, options: clusterOptionsSchema.parse(options) })
    .returning();
  return row!;
}

/** `plenum clusters map`: pins an engine node to a Plenum server (it wins over the host-name match from the next sync on). */
export async function mapNode(db: Db | Tx, clusterId: number, nodeName: string, deviceId: number | null): Promise<void> {
  if (deviceId === null) {
    await db.delete(s.clusterNodeMappings).where(and(eq(s.clusterNodeMappings.clusterId, clusterId), eq(s.clusterNodeMappings.nodeName, nodeName)));
    await db.execute(sql`UPDATE cluster_nodes SET device_id = NULL, mapping = NULL WHERE cluster_id = ${clusterId} AND name = ${nodeName} AND mapping = 'explicit'`);
    return;
  }
  const server = (
    await db.execute<{ id: number }>(sql`SELECT d.id FROM devices d JOIN device_types t ON t.id = d.device_type_id WHERE d.id = ${deviceId} AND t.kind = 'server'`)
  ).rows[0];
  if (!server) throw new ClusterInputError('deviceId', `no server with id ${deviceId}`);
  await db
    .insert(s.clusterNodeMappings)
    .values({ clusterId, nodeName, deviceId })
    .onConflictDoUpdate({ target: [s.clusterNodeMappings.clusterId, s.clusterNodeMappings.nodeName], set: { deviceId } });
  // Shown at once; the next sync re-maps the node's jobs' GPU holdings.
  await db.execute(sql`UPDATE cluster_nodes SET device_id = ${deviceId}, mapping = 'explicit' WHERE cluster_id = ${clusterId} AND name = ${nodeName}`);
}
