// Builds the pure scheduler's in-memory cluster (src/scheduler Snapshot) from the database: GPU servers with their
// GPUs, racks, NVLink domains, leaf switches, zone levels, power and cooling headroom, and what is already allocated.

import { asc, inArray, sql } from 'drizzle-orm';
import { type ComputePartitionMode, PARTITIONS_PER_GPU } from '@/domain/amd-partitions';
import type { DailyCurve } from '@/domain/inference-reserve';
import {
  type GpuDevice,
  MILLI_PER_GPU,
  partitionDevices,
  partitionShareMilli,
  type PodRequest,
  type RunningAllocation,
  type SchedNode,
  Snapshot,
  type TenantQuota,
  type WorkerPlacement,
  type ZoneLevel,
} from '@/scheduler';
import type { Db } from '../../db/client';
import * as s from '../../db/schema';
import { analysePlant, type DeviceLoadOverlay } from '../plant';
import { serverIdleFloorW, serverResources, ZONE_LEVEL } from './defaults';
import { allocationWPerGpu, configuredInferenceCurve, type ReservingJob } from './reservation';

export type JobRow = typeof s.jobs.$inferSelect;

/**
 * Where each scheduler GPU position lives in the database: an accelerator, or one partition of a partitioned AMD
 * GPU (its index, and the milli its allocation row holds: the partition's physical share).
 */
export type GpuRef = { acceleratorId: number; uuid: string; partition?: { index: number; milli: number } };

export type ClusterState = {
  snapshot: Snapshot;
  /** Node id (device id as text) → accelerator per GPU position. */
  gpuRefs: Map<string, GpuRef[]>;
  tenantNames: Map<number, string>;
  quotas: TenantQuota[];
  /** Jobs holding allocations (scheduled or running), by id. */
  activeJobs: Map<number, JobRow>;
  /** Worker indices already placed per active job. */
  placedWorkers: Map<number, Set<number>>;
  /** Power-chain analysis problems (the affected racks are then not limited by power). */
  warnings: string[];
  /** The database clock when the state was read: the base of estimated end times. */
  now: Date;
  /** Site of each node (GPU server): power and cooling headroom are re-checked per site at commit. */
  siteOfNode: Map<string, number>;
  /** GPU load (W) the live allocations reserve per rack when the state was read: the commit's baseline. */
  rackLoadW: Map<number, number>;
  /** The inference curve the reservations were computed with (null: every job reserves its expected draw). */
  inferenceCurve: DailyCurve | null;
  /** Milli-GPUs per tenant held on servers the snapshot leaves out (decommissioned under a running job, or TPU hosts): still quota. */
  strandedMilli: Map<string, number>;
};

type ServerRow = {
  device_id: number;
  name: string;
  status: string;
  rack_id: number;
  rack_status: string;
  site_id: number;
  nameplate_power_w: number;
  typical_power_w: number;
  zone_level: string | null;
};

type GpuRow = {
  id: number;
  device_id: number;
  index: number;
  uuid: string;
  health: string;
  nvlink_domain: string | null;
  model: string;
  memory_gib: number;
  tdp_w: number | null;
  compute_partition: ComputePartitionMode | null;
};

type AllocationRow = {
  job_id: number;
  worker: number;
  accelerator_id: number;
  device_id: number;
  index: number;
  milli: number;
  partition_index: number | null;
  allocated_ms: number;
};

/** Maps a job row to the pure scheduler's request. `workers` may be less than the job's full size (replica top-up). */
export function podOf(job: JobRow, tenant: string, workers: number, podId = String(job.id)): PodRequest {
  return {
    id: podId,
    tenant,
    priority: job.priority,
    preemptible: job.preemptible,
    kind: job.kind,
    workers,
    gpusPerWorker: job.gpusPerWorker,
    gpuMilli: job.gpuMilli > 0 ? job.gpuMilli : undefined,
    gpuModels: job.gpuModels.length > 0 ? job.gpuModels : undefined,
    gpuMemoryGib: job.gpuMemoryGib ?? undefined,
    cpuMilli: job.cpuMilli,
    memoryMib: job.memoryMib,
    requiredZoneLevel: job.requiredZoneLevel as ZoneLevel,
    // Inference replicas are independent: no gang topology across them.
    topology: job.kind === 'inference' ? 'none' : job.topology,
    ...(job.kind === 'inference' ? { replicaSpread: job.replicaSpread } : {}),
    expectedPowerWPerGpu: job.expectedPowerWPerGpu,
    createdAt: job.submittedAt.getTime(),
    ...(engineOf(job) ? { engine: engineOf(job) } : {}),
  };
}

/** The engine a job must run on, as the snapshot's node memberships name it: 'cluster' or 'cluster/partition'. */
export function engineOf(job: Pick<JobRow, 'executor'>): string | undefined {
  const executor = job.executor;
  if (executor.kind === 'slurm') return executor.partition ? `${executor.cluster}/${executor.partition}` : executor.cluster;
  if (executor.kind === 'kubernetes') return executor.cluster;
  return undefined;
}

/** Workers a job should have placed: replicas for inference, the gang size otherwise. */
export function desiredWorkers(job: Pick<JobRow, 'kind' | 'workers' | 'replicas'>): number {
  return job.kind === 'inference' ? job.replicas : job.workers;
}

/** What a worker holding `totalMilli` reserves at `wPerGpu` (reservation.ts), W. */
export function workerPowerW(wPerGpu: number, totalMilli: number): number {
  return (totalMilli / 1000) * wPerGpu;
}

export async function loadJobs(db: Db, statuses: JobRow['status'][]): Promise<JobRow[]> {
  return db.select().from(s.jobs).where(inArray(s.jobs.status, statuses)).orderBy(asc(s.jobs.submittedAt), asc(s.jobs.id));
}

type LiveAllocationRow = {
  device_id: number;
  rack_id: number;
  name: string;
  milli: number;
  allocated_ms: number;
  kind: JobRow['kind'];
  gpu_milli: number;
  estimated_duration_s: number | null;
  executor: JobRow['executor'];
  origin: JobRow['origin'];
  expected_power_w_per_gpu: number;
};

/**
 * What the live GPU allocations reserve (reservation.ts), of one site or all: one entry per job, server and allocation
 * time (a worker's rows are inserted together), with its rack.
 */
export async function liveAllocationReservations(
  db: Pick<Db, 'execute'>,
  curve: DailyCurve | null,
  siteId?: number,
): Promise<Array<{ deviceId: number; rackId: number; rackName: string; watts: number }>> {
  const rows = await db.execute<LiveAllocationRow>(sql`
    SELECT d.id AS device_id, r.id AS rack_id, r.name, SUM(g.milli)::int AS milli, (extract(epoch FROM g.allocated_at) * 1000)::float8 AS allocated_ms,
           j.kind, j.gpu_milli, j.estimated_duration_s, j.executor, j.origin, j.expected_power_w_per_gpu
    FROM gpu_allocations g JOIN jobs j ON j.id = g.job_id
    JOIN accelerators a ON a.id = g.accelerator_id JOIN devices d ON d.id = a.device_id
    JOIN racks r ON r.id = d.rack_id JOIN halls h ON h.id = r.hall_id
    WHERE g.released_at IS NULL AND (${siteId ?? null}::int IS NULL OR h.site_id = ${siteId ?? null}::int)
    GROUP BY d.id, r.id, r.name, j.id, g.allocated_at
    ORDER BY min(g.id)`);
  return rows.rows.map((row) => {
    const job: ReservingJob = {
      kind: row.kind,
      gpuMilli: row.gpu_milli,
      estimatedDurationS: row.estimated_duration_s,
      executor: row.executor,
      origin: row.origin,
      expectedPowerWPerGpu: row.expected_power_w_per_gpu,
    };
    return { deviceId: row.device_id, rackId: row.rack_id, rackName: row.name, watts: workerPowerW(allocationWPerGpu(job, row.allocated_ms, curve), row.milli) };
  });
}

/**
 * GPU load (W) the live allocations reserve per rack, of one site or all: the scheduler loop's baseline and the
 * commit's re-check read it with this one function, so the two agree exactly.
 */
export async function rackGpuLoads(
  db: Pick<Db, 'execute'>,
  curve: DailyCurve | null,
  siteId?: number,
): Promise<Array<{ rackId: number; name: string; watts: number }>> {
  const byRack = new Map<number, { rackId: number; name: string; watts: number }>();
  for (const a of await liveAllocationReservations(db, curve, siteId)) {
    const rack = byRack.get(a.rackId);
    if (rack) rack.watts += a.watts;
    else byRack.set(a.rackId, { rackId: a.rackId, name: a.rackName, watts: a.watts });
  }
  return [...byRack.values()];
}

export type RackHeadroom = {
  /** W per rack id; racks of a site whose power chain is invalid are absent (not limited). */
  powerHeadroom: Map<number, number>;
  coolingHeadroom: Map<number, number>;
  rackNames: Map<number, string>;
  warnings: string[];
};

/** Each rack's power and cooling headroom on these sites with the servers loaded as `overlay` says (analysePlant). */
export async function rackHeadroom(db: Db, siteIds: Iterable<number>, overlay: DeviceLoadOverlay): Promise<RackHeadroom> {
  const out: RackHeadroom = { powerHeadroom: new Map(), coolingHeadroom: new Map(), rackNames: new Map(), warnings: [] };
  for (const siteId of siteIds) {
    const analysis = await analysePlant(db, siteId, overlay);
    for (const [rackId, name] of analysis.model.names.racks) out.rackNames.set(Number(rackId), name);
    if (analysis.power.ok) {
      for (const [rackId, rack] of Object.entries(analysis.power.racks)) out.powerHeadroom.set(Number(rackId), rack.powerHeadroomW);
    } else {
      // An invalid chain says nothing reliable about headroom: its racks are not limited, and the loop reports it.
      out.warnings.push(`site ${siteId}: power chain invalid (${analysis.power.issues.length} issues); power headroom not applied`);
    }
    for (const [rackId, rack] of Object.entries(analysis.cooling.racks)) out.coolingHeadroom.set(Number(rackId), rack.coolingHeadroomW);
  }
  return out;
}

/**
 * The cluster as the scheduler sees it now, read in one repeatable-read transaction so jobs, allocations and headroom
 * agree with each other. Nothing is locked: the commit re-checks under locks.
 */
/** Logical GPUs (partitions) one accelerator is to the scheduler: its compute mode's count, 1 when unpartitioned. */
function partitionsOf(gpu: Pick<GpuRow, 'compute_partition'>): number {
  return gpu.compute_partition === null ? 1 : PARTITIONS_PER_GPU[gpu.compute_partition];
}

export async function loadClusterState(db: Db, curve: DailyCurve | null = configuredInferenceCurve()): Promise<ClusterState> {
  return db.transaction((tx) => readClusterState(tx as unknown as Db, curve), { isolationLevel: 'repeatable read', accessMode: 'read only' });
}

async function readClusterState(db: Db, curve: DailyCurve | null): Promise<ClusterState> {
  const servers = (
    await db.execute(sql`
      SELECT d.id AS device_id, d.name, d.status, d.rack_id, r.status AS rack_status, h.site_id,
             t.nameplate_power_w, t.typical_power_w,
             COALESCE(rz.access_level, hz.access_level)::text AS zone_level
      FROM devices d
      JOIN device_types t ON t.id = d.device_type_id
      JOIN racks r ON r.id = d.rack_id
      JOIN halls h ON h.id = r.hall_id
      LEFT JOIN security_zones rz ON rz.id = r.security_zone_id
      LEFT JOIN security_zones hz ON hz.id = h.security_zone_id
      WHERE t.kind = 'server' AND d.status NOT IN ('planned', 'decommissioned')
        AND EXISTS (SELECT 1 FROM accelerators a WHERE a.device_id = d.id)
        -- TPU hosts take slices only (services/scheduler/tpu.ts); their chips still count against tenants' quotas.
        -- A TPU host imported without its pod (no torus coordinates) is still no GPU server.
        AND NOT EXISTS (SELECT 1 FROM accelerators a JOIN accelerator_models m ON m.id = a.model_id LEFT JOIN tpu_chips c ON c.accelerator_id = a.id
                        WHERE a.device_id = d.id AND (c.accelerator_id IS NOT NULL OR m.form_factor = 'TPU tray'))
      ORDER BY d.id`)
  ).rows as ServerRow[];
  const gpus = (
    await db.execute(sql`
      SELECT a.id, a.device_id, a.index, a.uuid, a.health::text AS health, a.nvlink_domain,
             m.name AS model, m.memory_gib, m.tdp_w, a.compute_partition
      FROM accelerators a JOIN accelerator_models m ON m.id = a.model_id
      ORDER BY a.device_id, a.index`)
  ).rows as GpuRow[];
  // The leaf switch a server's InfiniBand ports are cabled to (the one most of its ports reach).
  const leaves = (
    await db.execute(sql`
      SELECT DISTINCT ON (i.device_id) i.device_id, li.device_id AS leaf_id
      FROM interfaces i
      JOIN link_ends e ON e.interface_id = i.id
      JOIN link_ends o ON o.link_id = e.link_id AND o."end" <> e."end"
      JOIN interfaces li ON li.id = o.interface_id
      JOIN fabric_members fm ON fm.device_id = li.device_id AND fm.tier = 'leaf'
      WHERE i.kind = 'infiniband'
      GROUP BY i.device_id, li.device_id
      ORDER BY i.device_id, count(*) DESC, li.device_id`)
  ).rows as Array<{ device_id: number; leaf_id: number }>;
  const activeJobs = await loadJobs(db, ['scheduled', 'running']);
  const allocations = (
    await db.execute(sql`
      SELECT g.job_id, g.worker, g.accelerator_id, a.device_id, a.index, g.milli, g.partition_index,
             (extract(epoch FROM g.allocated_at) * 1000)::float8 AS allocated_ms
      FROM gpu_allocations g JOIN accelerators a ON a.id = g.accelerator_id
      JOIN jobs j ON j.id = g.job_id
      WHERE g.released_at IS NULL AND j.status IN ('scheduled', 'running')
      ORDER BY g.job_id, g.worker, a.index`)
  ).rows as AllocationRow[];
  // Open critical alerts: on a GPU series the GPU takes no new work; on a server or a rack, the whole node(s).
  // (Site-wide conditions such as a UPS on battery stay with the operator: they do not say which node is unsafe.)
  const critical = (
    await db.execute(sql`
      SELECT s.entity_kind, s.accelerator_id, s.device_id, COALESCE(s.rack_id, al.rack_id) AS rack_id, al.entity_key
      FROM alerts al JOIN alert_rules ru ON ru.id = al.rule_id
      LEFT JOIN telemetry_series s ON s.id = al.series_id
      WHERE al.state <> 'resolved' AND ru.severity = 'critical'`)
  ).rows as Array<{ entity_kind: string | null; accelerator_id: number | null; device_id: number | null; rack_id: number | null; entity_key: string }>;
  // Nodes their job engine (Slurm, Kubernetes) drained, downed or cordoned: the engine's reason, per mapped server.
  const engineUnavailable = new Map(
    (
      await db.execute<{ device_id: number; reason: string }>(sql`
        SELECT n.device_id, string_agg(c.name || ': ' || CASE WHEN n.reason = '' THEN n.state ELSE n.reason END, '; ' ORDER BY c.name) AS reason
        FROM cluster_nodes n JOIN clusters c ON c.id = n.cluster_id
        WHERE n.device_id IS NOT NULL AND NOT n.available GROUP BY n.device_id`)
    ).rows.map((r) => [r.device_id, r.reason]),
  );
  // The engine clusters (and Slurm partitions) each mapped server is a node of.
  const engineMembership = new Map<number, string[]>();
  for (const row of (
    await db.execute<{ device_id: number; cluster: string; partitions: string[] }>(sql`
      SELECT n.device_id, c.name AS cluster, n.partitions FROM cluster_nodes n JOIN clusters c ON c.id = n.cluster_id
      WHERE n.device_id IS NOT NULL`)
  ).rows) {
    const list = engineMembership.get(row.device_id) ?? [];
    list.push(row.cluster, ...row.partitions.map((p) => `${row.cluster}/${p}`));
    engineMembership.set(row.device_id, list);
  }
  const rackLoads = await rackGpuLoads(db, curve);
  const alertedGpus = new Set<number>();
  const alertedDevices = new Set<number>();
  const alertedRacks = new Set<number>();
  for (const a of critical) {
    if (a.entity_kind === 'gpu' && a.accelerator_id !== null) alertedGpus.add(a.accelerator_id);
    else if (a.entity_kind === 'device' && a.device_id !== null) alertedDevices.add(a.device_id);
    else if ((a.entity_kind === 'rack' || a.entity_key.startsWith('rack:')) && a.rack_id !== null) alertedRacks.add(a.rack_id);
  }
  const now = new Date((await db.execute<{ ms: number }>(sql`SELECT (extract(epoch FROM now()) * 1000)::float8 AS ms`)).rows[0]!.ms);
  const tenants = (await db.execute(sql`SELECT id, name, gpu_quota FROM tenants`)).rows as Array<{ id: number; name: string; gpu_quota: number }>;

  const tenantNames = new Map(tenants.map((t) => [t.id, t.name]));
  const quotas: TenantQuota[] = tenants.map((t) => ({ tenant: t.name, gpuMilliQuota: t.gpu_quota * 1000 }));
  const leafOf = new Map(leaves.map((l) => [l.device_id, l.leaf_id]));
  const gpusByDevice = new Map<number, GpuRow[]>();
  for (const g of gpus) {
    const list = gpusByDevice.get(g.device_id);
    if (list) list.push(g);
    else gpusByDevice.set(g.device_id, [g]);
  }

  // Position of each accelerator on its node (the scheduler's GPU index). A partitioned GPU has one position per
  // partition (src/scheduler/partitions.ts): its first partition's position here, plus the partition index.
  const positionOf = new Map<number, number>();
  for (const list of gpusByDevice.values()) {
    let position = 0;
    for (const g of list) {
      positionOf.set(g.id, position);
      position += partitionsOf(g);
    }
  }
  // Partitions held now, per accelerator. An allocation without a partition index on a partitioned GPU (an engine's
  // whole-GPU job) holds every partition of it.
  const heldPartitions = new Map<number, Set<number>>();
  const gpuById = new Map(gpus.map((g) => [g.id, g]));
  for (const a of allocations) {
    const gpu = gpuById.get(a.accelerator_id);
    if (!gpu || gpu.compute_partition === null) continue;
    const held = heldPartitions.get(a.accelerator_id) ?? new Set<number>();
    if (a.partition_index !== null) held.add(a.partition_index);
    else for (let p = 0; p < partitionsOf(gpu); p++) held.add(p);
    heldPartitions.set(a.accelerator_id, held);
  }

  // Running allocations, grouped by job and worker.
  const jobById = new Map(activeJobs.map((j) => [j.id, j]));
  const running = new Map<number, Map<number, WorkerPlacement>>();
  const usedMilli = new Map<number, number>();
  const schedulable = new Set(servers.map((server) => server.device_id));
  const placedWorkers = new Map<number, Set<number>>();
  // Each worker's allocation time (its rows are inserted in one transaction): the start of its reservation's window.
  const allocatedMs = new Map<WorkerPlacement, number>();
  const strandedMilli = new Map<string, number>();
  for (const a of allocations) {
    // Counted even if the job row were missing: a GPU's use must never be understated.
    usedMilli.set(a.accelerator_id, (usedMilli.get(a.accelerator_id) ?? 0) + a.milli);
    const job = jobById.get(a.job_id);
    if (!job) continue;
    const placed = placedWorkers.get(a.job_id);
    if (placed) placed.add(a.worker);
    else placedWorkers.set(a.job_id, new Set([a.worker]));
    // Workers left on a server the scheduler no longer sees (decommissioned while running) hold nothing it places on,
    // but their GPUs still count against the tenant's quota.
    if (!schedulable.has(a.device_id)) {
      const tenant = tenantNames.get(job.tenantId) ?? String(job.tenantId);
      strandedMilli.set(tenant, (strandedMilli.get(tenant) ?? 0) + a.milli);
      continue;
    }
    let workers = running.get(a.job_id);
    if (!workers) {
      workers = new Map();
      running.set(a.job_id, workers);
    }
    let w = workers.get(a.worker);
    // A partition is one whole logical GPU to the scheduler; its physical share counts for quota and power.
    const onPartition = a.partition_index !== null;
    if (!w) {
      w = {
        worker: a.worker,
        nodeId: String(a.device_id),
        gpuIndices: [],
        milliPerGpu: onPartition ? MILLI_PER_GPU : a.milli,
        cpuMilli: job.cpuMilli,
        memoryMib: job.memoryMib,
        expectedPowerW: 0,
        ...(onPartition ? { physicalMilli: 0 } : {}),
      };
      workers.set(a.worker, w);
    }
    w.gpuIndices.push((positionOf.get(a.accelerator_id) ?? a.index) + (a.partition_index ?? 0));
    if (w.physicalMilli !== undefined) w.physicalMilli += a.milli;
    allocatedMs.set(w, Math.min(allocatedMs.get(w) ?? a.allocated_ms, a.allocated_ms));
    w.expectedPowerW = workerPowerW(allocationWPerGpu(job, allocatedMs.get(w)!, curve), w.physicalMilli ?? w.milliPerGpu * w.gpuIndices.length);
  }
  const runningAllocations: RunningAllocation[] = [];
  const cpuUsed = new Map<string, number>();
  const memUsed = new Map<string, number>();
  const overlay: DeviceLoadOverlay = new Map();
  for (const [jobId, workers] of running) {
    const job = jobById.get(jobId)!;
    runningAllocations.push({
      podId: String(jobId),
      tenant: tenantNames.get(job.tenantId) ?? String(job.tenantId),
      priority: job.priority,
      preemptible: job.preemptible,
      workers: [...workers.values()],
    });
    for (const w of workers.values()) {
      cpuUsed.set(w.nodeId, (cpuUsed.get(w.nodeId) ?? 0) + w.cpuMilli);
      memUsed.set(w.nodeId, (memUsed.get(w.nodeId) ?? 0) + w.memoryMib);
      const deviceId = Number(w.nodeId);
      overlay.set(deviceId, { allocatedW: (overlay.get(deviceId)?.allocatedW ?? 0) + w.expectedPowerW });
    }
  }

  // Allocated power per server = idle floor + its jobs' expected draw: the basis of the rack headroom.
  for (const server of servers) {
    const list = gpusByDevice.get(server.device_id) ?? [];
    const floorW = serverIdleFloorW({ nameplatePowerW: server.nameplate_power_w, typicalPowerW: server.typical_power_w }, list.length, list[0]?.tdp_w ?? null);
    overlay.set(server.device_id, { allocatedW: floorW + (overlay.get(server.device_id)?.allocatedW ?? 0) });
  }
  const { powerHeadroom, coolingHeadroom, warnings } = await rackHeadroom(db, new Set(servers.map((sv) => sv.site_id)), overlay);

  const gpuRefs = new Map<string, GpuRef[]>();
  const nodes: SchedNode[] = servers.map((server) => {
    const id = String(server.device_id);
    const list = gpusByDevice.get(server.device_id) ?? [];
    const { cpuMilli, memoryMib } = serverResources(list.length);
    const partitioned = list.length > 0 && list.every((g) => g.compute_partition !== null);
    const healthy = (g: GpuRow) => g.health === 'healthy' && !alertedGpus.has(g.id);
    gpuRefs.set(
      id,
      partitioned
        ? list.flatMap((g) =>
            Array.from({ length: partitionsOf(g) }, (_, p) => ({ acceleratorId: g.id, uuid: g.uuid, partition: { index: p, milli: partitionShareMilli(partitionsOf(g)) } })),
          )
        : list.map((g) => ({ acceleratorId: g.id, uuid: g.uuid })),
    );
    const devices: GpuDevice[] = partitioned
      ? partitionDevices(
          list.map((g) => ({
            uuid: g.uuid,
            healthy: healthy(g),
            nvlinkDomain: g.nvlink_domain ?? undefined,
            memoryGib: g.memory_gib,
            partitions: partitionsOf(g),
            heldPartitions: heldPartitions.get(g.id) ?? new Set(),
          })),
        )
      : list.map((g, position) => ({
          index: position,
          uuid: g.uuid,
          freeMilli: 1000 - (usedMilli.get(g.id) ?? 0),
          healthy: healthy(g),
          nvlinkDomain: g.nvlink_domain ?? undefined,
          memoryGib: g.memory_gib,
        }));
    const leaf = leafOf.get(server.device_id);
    return {
      id,
      name: server.name,
      cpuMilliTotal: cpuMilli,
      cpuMilliFree: cpuMilli - (cpuUsed.get(id) ?? 0),
      memoryMibTotal: memoryMib,
      memoryMibFree: memoryMib - (memUsed.get(id) ?? 0),
      gpuModel: list[0]?.model ?? '',
      gpus: devices,
      rackId: String(server.rack_id),
      leafSwitchId: leaf === undefined ? undefined : String(leaf),
      zoneLevel: server.zone_level ? ZONE_LEVEL[server.zone_level as keyof typeof ZONE_LEVEL] : 0,
      powerHeadroomW: powerHeadroom.get(server.rack_id),
      coolingHeadroomW: coolingHeadroom.get(server.rack_id),
      healthy: server.status === 'active' && server.rack_status === 'active',
      criticalAlert: alertedDevices.has(server.device_id) || alertedRacks.has(server.rack_id),
      engineUnavailable: engineUnavailable.get(server.device_id),
      engineMembership: engineMembership.get(server.device_id),
    };
  });

  return {
    snapshot: new Snapshot(nodes, runningAllocations),
    gpuRefs,
    tenantNames,
    quotas,
    activeJobs: jobById,
    placedWorkers,
    warnings,
    now,
    siteOfNode: new Map(servers.map((server) => [String(server.device_id), server.site_id])),
    rackLoadW: new Map(rackLoads.map((r) => [r.rackId, r.watts])),
    inferenceCurve: curve,
    strandedMilli,
  };
}
