/**
 * Plenum over a real Slurm 22.05 cluster (tests/slurm-cluster.ts: munged, slurmctld, three slurmd with 8 GPU GRES,
 * slurmrestd with JWT): Plenum's scheduler places executor-slurm jobs and Slurm runs them on exactly those nodes;
 * cancel goes to Slurm; Slurm's own jobs show in Plenum with their GPUs; a facility problem drains the node in Slurm
 * so a direct sbatch avoids it; and the sync recovers after slurmctld restarts.
 *
 * Plant: three racks with one 8-GPU server each, host names gpu01-gpu03 (the Slurm node names), so rack T1-0N holds
 * node gpu0N.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as s from '../src/server/db/schema';
import { adapterFor } from '../src/server/services/clusters/adapters';
import { cancelJobEverywhere, submitPlacedJobs } from '../src/server/services/clusters/executor';
import { applyFacilityFeedback } from '../src/server/services/clusters/feedback';
import { connectionOf, loadCluster, registerCluster, syncCluster } from '../src/server/services/clusters/registry';
import { expandHostList } from '../src/server/services/clusters/slurm/hostlist';
import { TargetGuard } from '../src/server/services/telemetry/target-guard';
import { createSchedulerService, submitJob } from '../src/server/services/scheduler';
import { createTestDatabase, type TestDatabase } from './db';
import { createTenant, type SmallCluster, seedSmallCluster } from './scheduler-fixture';
import { SLURM_PARTITION, SLURM_SMALL_PARTITION, SLURM_USER, type SlurmCluster, startSlurmCluster } from './slurm-cluster';

let database: TestDatabase;
let slurm: SlurmCluster;
let plant: SmallCluster;
let clusterId: number;
const scheduler = createSchedulerService();
const CLUSTER = 'slurm-test';
const previousAllow = process.env.PLENUM_TARGET_ALLOW;

beforeAll(async () => {
  // slurmrestd listens on loopback: allowed for this test as for scrape targets.
  process.env.PLENUM_TARGET_ALLOW = '127.0.0.1';
  [database, slurm] = await Promise.all([createTestDatabase(), startSlurmCluster()]);
  plant = await seedSmallCluster(database.db, { racks: 3, serversPerRack: 1 });
  // The servers are the Slurm nodes: host names gpu01-gpu03.
  for (const [i, serverId] of plant.serverIds.entries()) {
    await database.db.update(s.devices).set({ hostname: `gpu0${i + 1}` }).where(eq(s.devices.id, serverId));
  }
  await createTenant(database.db, 'research');
  const cluster = await registerCluster(
    database.db,
    { kind: 'slurm', name: CLUSTER, url: slurm.restUrl, token: slurm.token(SLURM_USER, 7200), user: SLURM_USER, slurmConf: slurm.env.SLURM_CONF },
    new TargetGuard('127.0.0.1'),
  );
  clusterId = cluster.id;
});

afterAll(async () => {
  await slurm?.stop();
  await database?.drop();
  if (previousAllow === undefined) delete process.env.PLENUM_TARGET_ALLOW;
  else process.env.PLENUM_TARGET_ALLOW = previousAllow;
});

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function sync() {
  const result = await syncCluster(database.db, clusterId);
  if (!result.ok) throw new Error(result.error);
  return result;
}

async function jobRow(id: number) {
  const [job] = await database.db.select().from(s.jobs).where(eq(s.jobs.id, id));
  return job!;
}

/** Syncs until the Plenum job reaches `status`. */
async function syncUntil(id: number, status: string) {
  let last: typeof s.jobs.$inferSelect | undefined;
  return waitFor(`job ${id} to be ${status}`, async () => {
    await sync();
    last = await jobRow(id);
    if (last.status === status) return last;
    throw new Error(`it is ${last.status} (${last.externalState ?? 'not submitted'}: ${last.reason})${last.externalId ? `; Slurm: ${slurmJob(last.externalId).split('\n').slice(0, 4).join(' ')}` : ''}`);
  });
}

async function heldServers(jobId: number): Promise<Array<{ hostname: string; gpus: number }>> {
  return (
    await database.db.execute<{ hostname: string; gpus: number }>(sql`
      SELECT d.hostname, count(*)::int AS gpus FROM gpu_allocations g JOIN accelerators a ON a.id = g.accelerator_id
      JOIN devices d ON d.id = a.device_id WHERE g.job_id = ${jobId} AND g.released_at IS NULL GROUP BY d.hostname ORDER BY d.hostname`)
  ).rows;
}

function slurmJob(externalId: string): string {
  return slurm.command('scontrol', ['show', 'job', externalId]);
}

const field = (text: string, name: string) => new RegExp(`\\b${name}=(\\S*)`).exec(text)?.[1];

async function submitSlurmJob(name: string, script: string, size: { workers: number; gpusPerWorker: number }, partition = SLURM_PARTITION) {
  return submitJob(database.db, {
    name,
    kind: 'training',
    tenant: 'research',
    ...size,
    executor: { kind: 'slurm', cluster: CLUSTER, partition, script },
  });
}

describe('Slurm executor and registry against a real Slurm 22.05', () => {
  it('maps gpu01-03 to the servers by host name and reads their GPUs', async () => {
    const result = await sync();
    expect(result).toMatchObject({ nodes: 3, mappedNodes: 3, unavailableNodes: 0 });
    const nodes = (
      await database.db.execute<{ name: string; hostname: string; gpus_total: number; partitions: string[]; available: boolean }>(sql`
        SELECT n.name, d.hostname, n.gpus_total, n.partitions, n.available FROM cluster_nodes n JOIN devices d ON d.id = n.device_id
        WHERE n.cluster_id = ${clusterId} ORDER BY n.name`)
    ).rows;
    expect(nodes).toEqual(['gpu01', 'gpu02', 'gpu03'].map((name) => ({ name, hostname: name, gpus_total: 8, partitions: [SLURM_PARTITION, SLURM_SMALL_PARTITION], available: true })));
  });

  it('refuses an executor naming no Slurm cluster, a Slurm inference job or a GPU share, naming the field', async () => {
    const base = { name: 'x', kind: 'training' as const, tenant: 'research', workers: 1, gpusPerWorker: 1 };
    const slurmExecutor = { kind: 'slurm' as const, cluster: CLUSTER, script: '#!/bin/bash\ntrue\n' };
    await expect(submitJob(database.db, { ...base, executor: { ...slurmExecutor, cluster: 'nope' } })).rejects.toMatchObject({
      field: 'executor.cluster',
      reason: 'no Slurm cluster named "nope" (plenum clusters list)',
    });
    await expect(submitJob(database.db, { ...base, kind: 'inference', executor: slurmExecutor })).rejects.toMatchObject({ field: 'executor.kind' });
    await expect(submitJob(database.db, { ...base, gpuMilli: 500, executor: slurmExecutor })).rejects.toMatchObject({ field: 'gpuMilli' });
  });

  it('a Plenum job lands on exactly the nodes Plenum chose, runs and completes with its exit code', async () => {
    const job = await submitSlurmJob('train-two-nodes', '#!/bin/bash\nsleep 2\n', { workers: 2, gpusPerWorker: 8 });
    const cycle = await scheduler.runCycle(database.db);
    expect(cycle.placed).toContain(job.id);
    const chosen = await heldServers(job.id);
    expect(chosen).toHaveLength(2);
    expect(chosen.every((c) => c.gpus === 8)).toBe(true);

    const executed = await submitPlacedJobs(database.db);
    expect(executed.submitted).toEqual([job.id]);
    const submitted = await jobRow(job.id);
    expect(submitted.externalId).toMatch(/^\d+$/);
    expect(submitted.clusterId).toBe(clusterId);
    // Idempotent: a second pass submits nothing more.
    expect((await submitPlacedJobs(database.db)).submitted).toEqual([]);

    const running = await syncUntil(job.id, 'running');
    const inSlurm = slurmJob(submitted.externalId!);
    expect(expandHostList(field(inSlurm, 'ReqNodeList'))).toEqual(chosen.map((c) => c.hostname));
    expect(field(inSlurm, 'TresPerNode')).toBe('gres:gpu:8');
    // Whole nodes: submitted exclusive.
    expect(field(inSlurm, 'OverSubscribe')).toBe('NO');
    expect(running.externalNodes.map((n) => n.name).sort()).toEqual(chosen.map((c) => c.hostname));
    expect(expandHostList(/\n\s+NodeList=(\S+)/.exec(inSlurm)?.[1])).toEqual(chosen.map((c) => c.hostname));

    const done = await syncUntil(job.id, 'succeeded');
    expect(done.exitCode).toBe(0);
    expect(done.externalState).toBe('COMPLETED');
    expect(done.reason).toBe(`completed on ${CLUSTER} (exit 0)`);
    expect(await heldServers(job.id)).toEqual([]);
    const events = await database.db.select().from(s.jobEvents).where(eq(s.jobEvents.jobId, job.id)).orderBy(s.jobEvents.id);
    expect(events.map((e) => e.status)).toEqual(['pending', 'scheduled', 'scheduled', 'running', 'succeeded']);
  });

  it('a job that dies at start fails with its exit code and frees its GPUs; one Slurm refuses fails with Slurm\'s reason', async () => {
    const dies = await submitSlurmJob('dies', '#!/bin/bash\nexit 7\n', { workers: 1, gpusPerWorker: 2 });
    // Two nodes in a one-node partition: Plenum places it (it knows nodes, not partition limits), Slurm refuses it.
    const refused = await submitSlurmJob('refused', '#!/bin/bash\nsleep 1\n', { workers: 2, gpusPerWorker: 8 }, SLURM_SMALL_PARTITION);
    await scheduler.runCycle(database.db);
    const executed = await submitPlacedJobs(database.db);
    expect(executed.submitted).toEqual([dies.id]);
    expect(executed.refused).toEqual([refused.id]);
    const refusedRow = await jobRow(refused.id);
    expect(refusedRow.status).toBe('failed');
    expect(refusedRow.reason).toMatch(new RegExp(`^${CLUSTER} refused it: .*node count`, 'i'));
    expect(await heldServers(refused.id)).toEqual([]);

    const failed = await syncUntil(dies.id, 'failed');
    expect(failed.exitCode).toBe(7);
    expect(failed.reason).toBe(`${CLUSTER}: FAILED — NonZeroExitCode (exit 7)`);
    expect(await heldServers(dies.id)).toEqual([]);
  });

  it('plenum jobs cancel cancels the job in Slurm', async () => {
    const job = await submitSlurmJob('long', '#!/bin/bash\nsleep 300\n', { workers: 1, gpusPerWorker: 8 });
    await scheduler.runCycle(database.db);
    await submitPlacedJobs(database.db);
    const running = await syncUntil(job.id, 'running');
    const cancelled = await cancelJobEverywhere(database.db, job.id, 'cancelled: test');
    expect(cancelled.status).toBe('cancelled');
    expect(await heldServers(job.id)).toEqual([]);
    await waitFor('Slurm to cancel it', async () => (field(slurmJob(running.externalId!), 'JobState') === 'CANCELLED' ? true : undefined));
    // The next sync leaves Plenum's ended job as it is.
    await sync();
    expect((await jobRow(job.id)).status).toBe('cancelled');
  });

  it('a job submitted straight to Slurm shows in Plenum as an external job holding its GPUs', async () => {
    const id = slurm.sbatch(['--job-name=native', '--nodelist=gpu03', '--gres=gpu:2', '--output=/dev/null', '--wrap', 'sleep 300']);
    const external = await waitFor('the native job to run', async () => {
      await sync();
      const [row] = await database.db.select().from(s.jobs).where(sql`${s.jobs.clusterId} = ${clusterId} AND ${s.jobs.externalId} = ${String(id)}`);
      return row?.status === 'running' ? row : undefined;
    });
    expect(external).toMatchObject({ origin: 'external', name: 'native', owner: SLURM_USER, externalState: 'RUNNING' });
    expect(external.externalNodes).toEqual([{ name: 'gpu03', gpus: 2 }]);
    expect(await heldServers(external.id)).toEqual([{ hostname: 'gpu03', gpus: 2 }]);
    slurm.command('scancel', [String(id)]);
    await waitFor('the native job to end in Plenum', async () => {
      await sync();
      return (await jobRow(external.id)).status === 'cancelled' ? true : undefined;
    });
    expect(await heldServers(external.id)).toEqual([]);
  });

  it("a cooling failure on gpu01's rack drains it in Slurm with Plenum's reason, a direct sbatch avoids it, recovery resumes it", async () => {
    // A rear-door cooler serving rack T1-01 only (the rack of gpu01).
    const [site] = await database.db.select().from(s.sites);
    const [door] = await database.db
      .insert(s.coolingUnits)
      .values({ siteId: site!.id, kind: 'rear-door', name: 'RDHX T1-01', capacityKw: 60, supplySetpointC: 22, redundancyGroup: 'rack-T1-01' })
      .returning();
    await database.db.insert(s.coolingServedAreas).values({ unitId: door!.id, rackId: plant.rackIds[0]! });
    expect(await applyFacilityFeedback(database.db, database.pool)).toEqual([]);

    await database.db.update(s.coolingUnits).set({ status: 'failed' }).where(eq(s.coolingUnits.id, door!.id));
    const actions = await applyFacilityFeedback(database.db, database.pool);
    expect(actions).toEqual([{ cluster: CLUSTER, node: 'gpu01', action: 'steer', cause: 'T1-01 cooling unit RDHX T1-01 failed' }]);
    expect(slurm.command('sinfo', ['-h', '-n', 'gpu01', '-p', SLURM_PARTITION, '-o', '%t|%E']).trim()).toBe('drain|plenum: T1-01 cooling unit RDHX T1-01 failed');
    await sync();
    const [node] = await database.db.select().from(s.clusterNodes).where(sql`${s.clusterNodes.clusterId} = ${clusterId} AND ${s.clusterNodes.name} = 'gpu01'`);
    expect(node).toMatchObject({ available: false, reason: 'plenum: T1-01 cooling unit RDHX T1-01 failed' });

    // Without the drain Slurm would start the first whole-node job on gpu01 (its first node).
    const ids = [1, 2].map(() => slurm.sbatch(['--gres=gpu:8', '--output=/dev/null', '--wrap', 'sleep 300']));
    const nodes = await waitFor('both direct jobs to start', async () => {
      const list = ids.map((id) => /\n\s+NodeList=(\S+)/.exec(slurmJob(String(id)))?.[1] ?? '');
      return list.every((n) => n !== '' && n !== '(null)') ? list : undefined;
    });
    expect(nodes.sort()).toEqual(['gpu02', 'gpu03']);
    slurm.command('scancel', ids.map(String));

    // The cooler is back: Plenum lifts its own drain.
    await database.db.update(s.coolingUnits).set({ status: 'active' }).where(eq(s.coolingUnits.id, door!.id));
    expect((await applyFacilityFeedback(database.db, database.pool)).map((a) => `${a.action} ${a.node}`)).toEqual(['release gpu01']);
    expect(slurm.command('sinfo', ['-h', '-n', 'gpu01', '-p', SLURM_PARTITION, '-o', '%t|%E']).trim()).toMatch(/^idle\*?\|none$/);
  });

  it("release lifts only Plenum's own drain, never an operator's", async () => {
    const cluster = await loadCluster(database.db, clusterId);
    const adapter = adapterFor(connectionOf(cluster!));
    slurm.command('scontrol', ['update', 'nodename=gpu02', 'state=drain', 'reason=memory test']);
    await adapter.release('gpu02');
    // (drng: draining while cancelled jobs finish; drain once idle.)
    expect(slurm.command('sinfo', ['-h', '-n', 'gpu02', '-p', SLURM_PARTITION, '-o', '%t|%E']).trim()).toMatch(/^(drain|drng)\|memory test$/);
    slurm.command('scontrol', ['update', 'nodename=gpu02', 'state=resume']);
  });

  it('recovers after slurmctld restarts: the outage is the cluster health, then the sync resumes with the jobs', async () => {
    const job = await submitSlurmJob('survives', '#!/bin/bash\nsleep 8\n', { workers: 1, gpusPerWorker: 4 });
    // Plenum places from Slurm's current node states (the worker syncs every 15 s).
    await sync();
    await scheduler.runCycle(database.db);
    await submitPlacedJobs(database.db);
    await syncUntil(job.id, 'running');

    await slurm.stopController();
    // While slurmctld is down a sync fails: the error is the cluster's health, and the mirror stays as it was.
    const outage = await syncCluster(database.db, clusterId);
    expect(outage.ok).toBe(false);
    const unhealthy = await loadCluster(database.db, clusterId);
    expect(unhealthy?.lastError).toMatch(/slurmrestd GET/);
    expect(unhealthy?.consecutiveFailures).toBeGreaterThan(0);
    expect((await jobRow(job.id)).status).toBe('running');
    await slurm.startController();
    const done = await syncUntil(job.id, 'succeeded');
    expect(done.exitCode).toBe(0);
    const healthy = await loadCluster(database.db, clusterId);
    expect(healthy).toMatchObject({ lastError: null, consecutiveFailures: 0 });
  });
});
