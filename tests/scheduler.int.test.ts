import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { PlenumClient } from '../src/cli/client';
import { parseArgs, UsageError } from '../src/cli/command';
import { commands } from '../src/cli/commands';
import { createCaller } from '../src/server/api/root';
import { createContext } from '../src/server/api/trpc';
import { createSchedulerService, loadClusterState } from '../src/server/services/scheduler';
import { hourlyDailyCurve } from '../src/domain/inference-reserve';
import { createTestDatabase, type TestDatabase } from './db';
import { fieldErrors } from './field-errors';
import { type SmallCluster, seedSmallCluster } from './scheduler-fixture';

type Caller = ReturnType<typeof createCaller>;

const training = { kind: 'training' as const, tenant: 'acme', cpuMilli: 32_000, memoryMib: 262_144 };

describe('scheduler service (DB-backed)', () => {
  let database: TestDatabase;
  let api: Caller;
  const service = createSchedulerService();
  const cycle = () => service.runCycle(database.db);

  beforeAll(async () => {
    database = await createTestDatabase();
    await seedSmallCluster(database.db, { racks: 2, serversPerRack: 2, secureRack: true });
    api = createCaller(createContext(database));
    await api.tenants.create({ name: 'acme', gpuQuota: 64, clearedZoneLevel: 2 });
  });
  afterAll(() => database.drop());

  it('builds the snapshot from the inventory: GPUs, NVLink domains, leaves, zones, power and cooling headroom', async () => {
    const state = await loadClusterState(database.db);
    const nodes = state.snapshot.nodes;
    expect(nodes).toHaveLength(4);
    expect(nodes.every((n) => n.gpus.length === 8 && n.gpuModel === 'H100 SXM5 80GB' && n.cpuMilliTotal === 224_000)).toBe(true);
    expect(new Set(nodes.map((n) => n.leafSwitchId)).size).toBe(2); // one leaf per rack
    expect(nodes.map((n) => n.zoneLevel)).toEqual([1, 1, 2, 2]); // hall restricted, last rack a secure cage
    expect(nodes[0]!.gpus[0]!.nvlinkDomain).toBe('t1-1-gpu1-hgx');
    // 40 kW budget minus two idle servers at 2,960 W each and the leaf switch at its 1,000 W nameplate.
    expect(nodes[0]!.powerHeadroomW).toBeCloseTo(40_000 - 2 * 2_960 - 1_000, 0);
    expect(nodes[0]!.coolingHeadroomW).toBeGreaterThan(0);
  });

  it('validates submissions with field errors', async () => {
    expect(Object.keys(await fieldErrors(api.jobs.submit({ ...training, name: 'x', gpusPerWorker: 0 })))).toEqual(['gpusPerWorker']);
    expect(Object.keys(await fieldErrors(api.jobs.submit({ ...training, name: 'x', gpusPerWorker: 2, gpuMilli: 500 })))).toEqual(['gpuMilli']);
    expect(Object.keys(await fieldErrors(api.jobs.submit({ ...training, name: 'bad name!', gpusPerWorker: 1 })))).toEqual(['name']);
    expect(Object.keys(await fieldErrors(api.jobs.submit({ ...training, tenant: 'nobody', name: 'x', gpusPerWorker: 1 })))).toEqual(['tenant']);
    expect(Object.keys(await fieldErrors(api.jobs.submit({ ...training, name: 'x', gpusPerWorker: 1, requiredZoneLevel: 3 })))).toEqual(['requiredZoneLevel']);
    expect(await fieldErrors(api.jobs.submit({ ...training, name: 'x', gpusPerWorker: 8, workers: 9 }))).toEqual({ workers: "needs 72 GPUs, over tenant acme's quota of 64" });
    expect(Object.keys(await fieldErrors(api.tenants.create({ name: 'acme', gpuQuota: 1 })))).toEqual(['name']);
  });

  it('places a gang under one leaf, starts it, shows the placement, and requeues it when one of its GPUs fails', async () => {
    const job = await api.jobs.submit({ ...training, name: 'llm-pretrain', workers: 2, gpusPerWorker: 8, topology: 'leaf', estimatedDurationS: 3600 });
    expect(job.status).toBe('pending');
    expect(job.expectedPowerWPerGpu).toBe(700); // the training default
    const first = await cycle();
    expect(first.placed).toEqual([job.id]);
    let view = await api.jobs.get({ id: job.id });
    expect(view.job.status).toBe('scheduled');
    expect(view.placement.allocations).toHaveLength(16);
    expect(view.placement.racks).toHaveLength(1); // both servers of one rack share the leaf
    expect(view.placement.racks[0]!.servers.flatMap((s) => s.gpus).filter((g) => g.jobMilli === 1000)).toHaveLength(16);
    expect(view.power.expectedPowerW).toBe(16 * 700);
    await cycle();
    view = await api.jobs.get({ id: job.id });
    expect(view.job.status).toBe('running');
    expect(view.events.map((e) => e.status)).toEqual(['pending', 'scheduled', 'running']);

    const failed = view.placement.allocations[3]!.uuid;
    const fault = await api.jobs.markGpuFailed({ uuid: failed });
    expect(fault.effects).toEqual([{ jobId: job.id, action: 'requeued' }]);
    view = await api.jobs.get({ id: job.id });
    expect(view.job.status).toBe('pending');
    expect(view.job.reason).toBe(`GPU ${failed} failed`);
    expect(view.placement.placementIsHistory).toBe(true);
    expect(view.events.at(-1)).toMatchObject({ status: 'pending', reason: `requeued: GPU ${failed} failed` });

    // The other rack (under its own leaf) still has 16 healthy GPUs: the gang moves there.
    await cycle();
    view = await api.jobs.get({ id: job.id });
    expect(view.job.status).toBe('scheduled');
    expect(view.placement.allocations.map((a) => a.uuid)).not.toContain(failed);
    await api.jobs.cancel({ id: job.id });
    view = await api.jobs.get({ id: job.id });
    expect(view.job.status).toBe('cancelled');
    const held = await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM gpu_allocations WHERE released_at IS NULL`);
    expect(held.rows[0]!.n).toBe(0);
    expect(Object.keys(await fieldErrors(api.jobs.cancel({ id: job.id })))).toEqual(['id']);
    await api.jobs.markGpuHealthy({ uuid: failed });
  });

  it('explains why a job stays pending', async () => {
    const job = await api.jobs.submit({ ...training, name: 'too-big', gpusPerWorker: 8, workers: 5, topology: 'rack' });
    const zone = await api.jobs.submit({ ...training, name: 'cage-only', gpusPerWorker: 1, requiredZoneLevel: 2, gpuModels: ['B200'] });
    await cycle();
    const big = await api.jobs.get({ id: job.id });
    expect(big.job.status).toBe('pending');
    expect(big.job.reason).toMatch(/^0\/4 nodes available; 4 nodes fit one worker but one rack cannot hold all 5 workers$/);
    const caged = await api.jobs.get({ id: zone.id });
    expect(caged.job.reason).toBe('0/4 nodes available: 2 GPU model mismatch, 2 zone clearance');
    const list = await api.jobs.list({ status: ['pending'] });
    expect(list.items.map((j) => j.name)).toEqual(['cage-only', 'too-big']);
    await api.jobs.cancel({ id: job.id });
    await api.jobs.cancel({ id: zone.id });
  });

  it('spreads inference replicas over separate servers by default, top-ups included, and says why the fifth waits', async () => {
    const svc = await api.jobs.submit({ kind: 'inference', tenant: 'acme', name: 'spread-api', replicas: 2, gpusPerWorker: 1 });
    await cycle();
    let view = await api.jobs.get({ id: svc.id });
    const servers = () => view.placement.allocations.map((a) => a.deviceId);
    expect(new Set(servers()).size).toBe(2);
    await api.jobs.scale({ id: svc.id, replicas: 4 });
    await cycle();
    view = await api.jobs.get({ id: svc.id });
    expect(servers()).toHaveLength(4);
    expect(new Set(servers()).size).toBe(4);
    await api.jobs.scale({ id: svc.id, replicas: 5 });
    await cycle();
    view = await api.jobs.get({ id: svc.id });
    expect(servers()).toHaveLength(4);
    expect(view.job.reason).toBe('4/5 replicas placed; 0/4 nodes available: 4 holds a replica of this service already');
    await api.jobs.cancel({ id: svc.id });
  });

  it('runs inference replicas on GPU shares, scales them, and replaces a replica lost to a failed GPU', async () => {
    // Packed on purpose (replicaSpread none): half-GPU replicas sharing GPUs, 5 of them on this 4-server cluster.
    const svc = await api.jobs.submit({ kind: 'inference', tenant: 'acme', name: 'chat-api', replicas: 3, gpusPerWorker: 1, gpuMilli: 500, cpuMilli: 8000, memoryMib: 65_536, replicaSpread: 'none' });
    expect(svc.expectedPowerWPerGpu).toBe(450);
    await cycle();
    let view = await api.jobs.get({ id: svc.id });
    expect(view.job.status).toBe('scheduled');
    expect(view.placement.allocations.map((a) => a.milli)).toEqual([500, 500, 500]);
    expect(view.power.expectedPowerW).toBe(1.5 * 450);

    await api.jobs.scale({ id: svc.id, replicas: 5 });
    await cycle();
    view = await api.jobs.get({ id: svc.id });
    expect(view.job.status).toBe('running');
    expect(view.placement.allocations.map((a) => a.worker).sort()).toEqual([0, 1, 2, 3, 4]);

    // Two half-GPU replicas may share the GPU that fails: both are lost, the others keep serving.
    const lost = view.placement.allocations.find((a) => a.worker === 1)!;
    const lostWorkers = view.placement.allocations.filter((a) => a.uuid === lost.uuid).map((a) => a.worker);
    const fault = await api.jobs.markGpuFailed({ uuid: lost.uuid, reason: 'XID 79' });
    expect(fault.effects).toEqual([{ jobId: svc.id, action: 'replica-replaced' }]);
    view = await api.jobs.get({ id: svc.id });
    expect(view.job.status).toBe('running');
    expect(view.job.reason).toBe(`GPU ${lost.uuid} failed (XID 79); replacing replica ${lostWorkers.join(', ')}`);
    expect(view.placement.allocations.map((a) => a.worker).sort()).toEqual([0, 1, 2, 3, 4].filter((w) => !lostWorkers.includes(w)));
    await cycle();
    view = await api.jobs.get({ id: svc.id });
    expect(view.placement.allocations.map((a) => a.worker).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(view.placement.allocations.map((a) => a.uuid)).not.toContain(lost.uuid);
    expect(view.job.reason).toBe('');

    await api.jobs.scale({ id: svc.id, replicas: 2 });
    view = await api.jobs.get({ id: svc.id });
    expect(view.placement.allocations.map((a) => a.worker).sort()).toEqual([0, 1]);
    expect(Object.keys(await fieldErrors(api.jobs.scale({ id: svc.id, replicas: 0 })))).toEqual(['replicas']);
    await api.jobs.cancel({ id: svc.id });
    await api.jobs.markGpuHealthy({ uuid: lost.uuid });
  });

  it('finishes a job after its estimated duration and frees its GPUs', async () => {
    const job = await api.jobs.submit({ ...training, kind: 'batch', name: 'etl', gpusPerWorker: 2, estimatedDurationS: 60 });
    await cycle();
    await cycle();
    expect((await api.jobs.get({ id: job.id })).job.status).toBe('running');
    await database.db.execute(sql`UPDATE jobs SET started_at = now() - interval '61 seconds' WHERE id = ${job.id}`);
    const result = await cycle();
    expect(result.succeeded).toBe(1);
    const view = await api.jobs.get({ id: job.id });
    expect(view.job.status).toBe('succeeded');
    expect(view.job.reason).toBe('completed after 60 s');
    expect(view.placement.placementIsHistory).toBe(true);
  });

  it('gives no new work to a node or rack with an open critical alert, nor to a GPU with one', async () => {
    const db = database.db;
    const state = await loadClusterState(db);
    const [n1, n2, n3, n4] = state.snapshot.nodes.map((n) => n.id);
    const rackOf = async (deviceId: string) => (await db.execute<{ rack_id: number }>(sql`SELECT rack_id FROM devices WHERE id = ${Number(deviceId)}`)).rows[0]!.rack_id;
    const gpu = state.gpuRefs.get(n3!)![0]!.acceleratorId;
    const rule = await db.execute<{ id: number }>(sql`
      INSERT INTO alert_rules (name, kind, metric, threshold, severity) VALUES ('test: inlet hot', 'threshold', 'rack_inlet_temp_c', 32, 'critical') RETURNING id`);
    const ruleId = rule.rows[0]!.id;
    const series = await db.execute<{ id: number }>(sql`
      INSERT INTO telemetry_series (series_key, metric, unit, labels, entity_kind, accelerator_id, device_id)
      VALUES ('test-gpu-temp', 'gpu_temp_c', 'C', '{}'::jsonb, 'gpu', ${gpu}, ${Number(n3)}) RETURNING id`);
    await db.execute(sql`
      INSERT INTO alerts (rule_id, entity_key, entity_label, rack_id, series_id, state, started_at) VALUES
        (${ruleId}, 'rack:test', 'first rack', ${await rackOf(n1!)}, NULL, 'firing', now()),
        (${ruleId}, 'series:test', 'one GPU', NULL, ${series.rows[0]!.id}, 'acknowledged', now())`);

    const alerted = (await loadClusterState(db)).snapshot.nodes;
    expect(alerted.map((n) => n.criticalAlert)).toEqual([true, true, false, false]);
    expect(alerted[2]!.gpus.map((g) => g.healthy)).toEqual([false, true, true, true, true, true, true, true]);
    const first = await api.jobs.submit({ ...training, name: 'alert-free', gpusPerWorker: 8 });
    const second = await api.jobs.submit({ ...training, name: 'alert-wait', gpusPerWorker: 8 });
    await cycle();
    const placed = await api.jobs.get({ id: first.id });
    expect(placed.placement.allocations.map((a) => a.deviceId)).toEqual(Array(8).fill(Number(n4)));
    const waiting = await api.jobs.get({ id: second.id });
    expect(waiting.job.reason).toBe('0/4 nodes available: 2 critical alert open, 1 GPU unhealthy, 1 insufficient GPU');

    // The alerts resolve: the first rack takes the waiting job.
    await db.execute(sql`UPDATE alerts SET state = 'resolved', resolved_at = now() WHERE rule_id = ${ruleId}`);
    await cycle();
    const now = await api.jobs.get({ id: second.id });
    expect(now.job.status).toBe('scheduled');
    expect([Number(n1), Number(n2)]).toContain(now.placement.allocations[0]!.deviceId);
    for (const job of [first, second]) await api.jobs.cancel({ id: job.id });
  });

  it('preempts lower-priority preemptible jobs for a higher-priority one, and holds tenants to their quota', async () => {
    const fillers: Array<{ id: number }> = [];
    for (let i = 0; i < 4; i++) fillers.push(await api.jobs.submit({ ...training, name: `filler-${i}`, gpusPerWorker: 8, priority: 0, preemptible: true }));
    await cycle();
    expect((await api.jobs.list({ status: ['scheduled'] })).items).toHaveLength(4);
    const urgent = await api.jobs.submit({ ...training, name: 'urgent', gpusPerWorker: 4, priority: 10 });
    const result = await cycle();
    expect(result.placed).toContain(urgent.id);
    expect(result.preempted).toHaveLength(1);
    const victim = await api.jobs.get({ id: result.preempted[0]! });
    expect(victim.job.status).toBe('preempted');
    expect(victim.job.reason).toBe(`preempted by job ${urgent.id} "urgent" (priority 10 > 0)`);

    // A gang needs two whole servers: exactly two of the three remaining fillers go ("urgent" has equal priority).
    const gang = await api.jobs.submit({ ...training, name: 'urgent-gang', workers: 2, gpusPerWorker: 8, priority: 10 });
    const gangResult = await cycle();
    expect(gangResult.placed).toEqual([gang.id]);
    expect(gangResult.preempted).toHaveLength(2);
    expect(gangResult.preempted.every((id) => fillers.some((f) => f.id === id))).toBe(true);
    expect((await api.jobs.get({ id: urgent.id })).job.status).not.toBe('preempted');
    for (const job of [...fillers, urgent, gang]) await api.jobs.cancel({ id: job.id }).catch(() => {});

    await api.tenants.create({ name: 'small', gpuQuota: 3 });
    const a = await api.jobs.submit({ ...training, tenant: 'small', name: 'q1', gpusPerWorker: 2 });
    const b = await api.jobs.submit({ ...training, tenant: 'small', name: 'q2', gpusPerWorker: 2 });
    await cycle();
    expect((await api.jobs.get({ id: a.id })).job.status).toBe('scheduled');
    const blocked = await api.jobs.get({ id: b.id });
    expect(blocked.job.status).toBe('pending');
    expect(blocked.job.reason).toBe('tenant quota: small holds 2 of 3 GPUs; this job needs 2 more');
    const tenants = await api.tenants.list();
    expect(tenants.find((t) => t.name === 'small')).toMatchObject({ gpuQuota: 3, usedGpus: 2, runningJobs: 1, pendingJobs: 1 });
  });
});

describe('rack power headroom limits placement', () => {
  let database: TestDatabase;
  let cluster: SmallCluster;
  beforeAll(async () => {
    database = await createTestDatabase();
    // 8 kW racks with two idle 8-GPU servers (2,960 W each) and a 1 kW leaf: 1,080 W left per rack.
    cluster = await seedSmallCluster(database.db, { racks: 2, serversPerRack: 2, rackMaxPowerKw: 8 });
  });
  afterAll(() => database.drop());

  it('keeps a job pending with the power reason, and places one that fits', async () => {
    const api = createCaller(createContext(database));
    await api.tenants.create({ name: 'acme', gpuQuota: 64 });
    const big = await api.jobs.submit({ ...training, name: 'hot', gpusPerWorker: 2 });
    const small = await api.jobs.submit({ ...training, name: 'cool', gpusPerWorker: 1 });
    await createSchedulerService().runCycle(database.db);
    const hot = await api.jobs.get({ id: big.id });
    expect(hot.job.status).toBe('pending');
    expect(hot.job.reason).toBe('0/4 nodes available: 4 rack power headroom');
    expect((await api.jobs.get({ id: small.id })).job.status).toBe('scheduled');
  });

  it('refuses a placement when rival load landed in the rack after the snapshot, and re-reads the headroom', async () => {
    const api = createCaller(createContext(database));
    // One rack is down to 380 W after the test above ("cool"); the other still has 1,080 W: room for one 700 W GPU.
    const racer = await api.jobs.submit({ ...training, name: 'racer', gpusPerWorker: 1 });
    const cool = (await api.jobs.list({ status: ['scheduled', 'running'] })).items.find((j) => j.name === 'cool')!;
    const coolRack = (await api.jobs.get({ id: cool.id })).placement.racks[0]!.name;
    const tenantId = (await api.jobs.get({ id: racer.id })).tenant.id;
    const service = createSchedulerService();
    let rivalServer = 0;
    const result = await service.runCycle(database.db, {
      // Between this loop's snapshot and its commit, another placement takes a GPU next to the chosen one, and
      // "cool" ends in the other rack: the site's total is unchanged, the chosen rack's is not.
      beforeCommit: async (decision) => {
        await api.jobs.cancel({ id: cool.id });
        const chosen = cluster.serverIds.indexOf(Number(decision.workers[0]!.nodeId));
        rivalServer = cluster.serverIds[chosen % 2 === 0 ? chosen + 1 : chosen - 1]!;
        const rival = await database.db.execute<{ id: number }>(sql`
          INSERT INTO jobs (name, kind, tenant_id, gpus_per_worker, cpu_milli, memory_mib, expected_power_w_per_gpu, status, started_at)
          VALUES ('rival', 'training', ${tenantId}, 1, 1000, 1024, 700, 'running', now()) RETURNING id`);
        await database.db.execute(sql`INSERT INTO gpu_allocations (job_id, worker, accelerator_id, milli) VALUES (${rival.rows[0]!.id}, 0, ${cluster.gpusByServer.get(rivalServer)![0]!}, 1000)`);
      },
    });
    expect(rivalServer).not.toBe(0);
    expect(result.conflicts).toBe(1);
    expect(result.placed).toEqual([]);
    const view = await api.jobs.get({ id: racer.id });
    expect(view.job.status).toBe('pending');
    expect(view.job.reason).toMatch(/^placement conflict, retrying: 700 W of GPU load was placed in rack T1-0\d since this loop read it/);
    expect(view.job.reason).not.toContain(coolRack);
    // The next loop sees the rival's 700 W and the room "cool" left: the racer goes to cool's rack.
    await service.runCycle(database.db);
    const placed = await api.jobs.get({ id: racer.id });
    expect(placed.job.status).toBe('scheduled');
    expect(placed.placement.racks.map((r) => r.name)).toEqual([coolRack]);
  });
});

describe('an inference share with a time limit reserves rack power at the forecast', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
    // As above: 8 kW racks, 1,080 W of headroom each.
    await seedSmallCluster(database.db, { racks: 2, serversPerRack: 2, rackMaxPowerKw: 8 });
  });
  afterAll(() => database.drop());

  it('places a share at half its draw in a quiet hour, and keeps services and shares spanning the busy hours at peak', async () => {
    const api = createCaller(createContext(database));
    await api.tenants.create({ name: 'acme', gpuQuota: 64 });
    // The site's inference runs at half its draw this UTC hour and the next two (the test may cross an hour), else full;
    // and the hour before: a live allocation's window starts COMMIT_MAX_AGE_S before it was made, so in the first
    // minute of an hour it reaches into the previous one.
    const hour = new Date().getUTCHours();
    const quiet = new Set([(hour + 23) % 24, hour, (hour + 1) % 24, (hour + 2) % 24]);
    const curve = hourlyDailyCurve(Array.from({ length: 24 }, (_, h) => (quiet.has(h) ? 0.5 : 1)));
    // 0.9 of a GPU at 2,000 W: 1,800 W at peak (over any rack's 1,080 W), 900 W at the forecast.
    const share = { kind: 'inference' as const, tenant: 'acme', gpusPerWorker: 1, gpuMilli: 900, expectedPowerWPerGpu: 2000, cpuMilli: 8000, memoryMib: 65_536 };
    const forecast = await api.jobs.submit({ ...share, name: 'short-share', estimatedDurationS: 600 });
    const service = await api.jobs.submit({ ...share, name: 'service-share' });
    const long = await api.jobs.submit({ ...share, name: 'long-share', estimatedDurationS: 6 * 3600 });

    // Without a curve (none configured) every share reserves its peak: nothing fits.
    await createSchedulerService({ inferenceCurve: null }).runCycle(database.db);
    expect((await api.jobs.get({ id: forecast.id })).job.reason).toBe('0/4 nodes available: 4 rack power headroom');

    const result = await createSchedulerService({ inferenceCurve: curve }).runCycle(database.db);
    expect(result.placed).toEqual([forecast.id]);
    expect(result.conflicts).toBe(0);
    for (const id of [service.id, long.id]) {
      const view = await api.jobs.get({ id });
      expect(view.job.status).toBe('pending');
      expect(view.job.reason).toBe('0/4 nodes available: 4 rack power headroom');
    }

    // The snapshot counts the placed share at its forecast (900 W) and the rack's headroom with the same number.
    const state = await loadClusterState(database.db, curve);
    const worker = state.snapshot.allocations.get(String(forecast.id))!.workers[0]!;
    expect(worker.expectedPowerW).toBeCloseTo(900, 6);
    const rackId = Number(state.snapshot.nodes[state.snapshot.indexById.get(worker.nodeId)!]!.rackId);
    expect(state.rackLoadW.get(rackId)).toBeCloseTo(900, 6);
    const headrooms = state.snapshot.nodes.map((n) => ({ rack: Number(n.rackId), w: n.powerHeadroomW! }));
    for (const h of headrooms) expect(h.w).toBeCloseTo(h.rack === rackId ? 1_080 - 900 : 1_080, 0);
    // Read without the curve, the same allocation counts at its peak.
    const atPeak = await loadClusterState(database.db, null);
    expect(atPeak.snapshot.allocations.get(String(forecast.id))!.workers[0]!.expectedPowerW).toBeCloseTo(1_800, 6);

    // A second short share fits only the other rack; its commit re-reads the first share's 900 W and finds no conflict.
    const second = await api.jobs.submit({ ...share, name: 'short-share-2', estimatedDurationS: 600 });
    const next = await createSchedulerService({ inferenceCurve: curve }).runCycle(database.db);
    expect(next.placed).toEqual([second.id]);
    expect(next.conflicts).toBe(0);
    const racks = [(await api.jobs.get({ id: forecast.id })).placement.racks[0]!.name, (await api.jobs.get({ id: second.id })).placement.racks[0]!.name];
    expect(new Set(racks).size).toBe(2);
  });
});

describe('EASY backfill keeps the head job\'s estimated start', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
    await seedSmallCluster(database.db, { racks: 1, serversPerRack: 2 });
  });
  afterAll(() => database.drop());

  it('starts a short job in the gap, holds back one that would delay the head, then starts the head on time', async () => {
    const api = createCaller(createContext(database));
    const service = createSchedulerService();
    const cycle = () => service.runCycle(database.db);
    await api.tenants.create({ name: 'acme', gpuQuota: 64 });
    const submit = (name: string, gpus: number, estimatedDurationS: number) => api.jobs.submit({ ...training, kind: 'batch', name, gpusPerWorker: gpus, estimatedDurationS });
    const long = await submit('long', 8, 3600);
    const other = await submit('other', 4, 600);
    await cycle();
    await cycle();
    const otherView = await api.jobs.get({ id: other.id });
    expect(otherView.job.status).toBe('running');
    const otherServer = otherView.placement.racks[0]!.servers.find((s) => s.gpus.some((g) => g.jobMilli > 0))!.name;
    const reservedAt = new Date(otherView.job.startedAt!.getTime() + 600_000).toISOString().slice(0, 19).replace('T', ' ');

    // 4 GPUs free, all on the server of "other" (ends in 600 s). The head needs a whole server.
    const head = await submit('head', 8, 3600);
    const short = await submit('short', 2, 300);
    const tail = await submit('tail', 2, 7200);
    const result = await cycle();
    expect(result.placed).toEqual([short.id]);
    const headView = await api.jobs.get({ id: head.id });
    expect(headView.job.status).toBe('pending');
    expect(headView.job.reason).toBe(`0/2 nodes available: 2 insufficient GPU; estimated start ${reservedAt} UTC once 1 job on them ends (reserved: ${otherServer})`);
    expect(headView.job.estimatedStartAt?.getTime()).toBe(otherView.job.startedAt!.getTime() + 600_000);
    const queue = await api.jobs.list({ status: ['pending'] });
    expect(queue.items.map((j) => [j.name, j.estimatedStartAt?.getTime() ?? null])).toEqual([
      ['tail', null],
      ['head', otherView.job.startedAt!.getTime() + 600_000],
    ]);
    const tailView = await api.jobs.get({ id: tail.id });
    expect(tailView.job.status).toBe('pending');
    expect(tailView.job.reason).toMatch(new RegExp(`^waiting: fits now, but it would run until .+ UTC and would delay job ${head.id} "head" \\(reserved to start ${reservedAt} UTC\\)$`));

    await cycle(); // "short" starts; the tail still waits
    expect((await api.jobs.get({ id: short.id })).job.status).toBe('running');
    expect((await api.jobs.get({ id: tail.id })).job.status).toBe('pending');

    // Time passes: "other" and "short" reach their estimated ends, and the head starts where it was reserved.
    await database.db.execute(sql`UPDATE jobs SET started_at = started_at - interval '601 seconds' WHERE id IN (${other.id}, ${short.id})`);
    const later = await cycle();
    expect(later.succeeded).toBe(2);
    expect(later.placed).toEqual([head.id]);
    const placed = await api.jobs.get({ id: head.id });
    expect(placed.job.estimatedStartAt).toBeNull();
    expect(placed.placement.racks[0]!.servers.filter((s) => s.gpus.some((g) => g.jobMilli > 0)).map((s) => s.name)).toEqual([otherServer]);
    expect((await api.jobs.get({ id: tail.id })).job.status).toBe('pending');
    for (const job of [long, head, tail]) await api.jobs.cancel({ id: job.id });
  });

  it('keeps scheduling, and counts the quota, when a server is decommissioned under a running job', async () => {
    const api = createCaller(createContext(database));
    const service = createSchedulerService();
    await api.tenants.create({ name: 'tight', gpuQuota: 10 });
    const submit = (name: string, gpus: number) => api.jobs.submit({ ...training, tenant: 'tight', kind: 'batch', name, gpusPerWorker: gpus, estimatedDurationS: 600 });
    const stranded = await submit('stranded', 8);
    await service.runCycle(database.db);
    const server = (await api.jobs.get({ id: stranded.id })).placement.allocations[0]!.deviceId;
    await database.db.execute(sql`UPDATE devices SET status = 'decommissioned' WHERE id = ${server}`);
    // Its allocation is on no node the scheduler sees, yet it still holds 8 of the tenant's 10 GPUs and load in the rack.
    // A gang of two whole servers cannot fit on the one server left, even once "stranded" ends: no reservation.
    const never = await api.jobs.submit({ ...training, kind: 'batch', name: 'never', workers: 2, gpusPerWorker: 8, estimatedDurationS: 60 });
    const small = await submit('small-after', 2);
    const over = await submit('over-quota', 1);
    const result = await service.runCycle(database.db);
    expect(result.conflicts).toBe(0);
    expect(result.placed).toEqual([small.id]);
    expect((await api.jobs.get({ id: never.id })).job.status).toBe('pending');
    expect((await api.jobs.get({ id: over.id })).job.reason).toBe('tenant quota: tight holds 10 of 10 GPUs; this job needs 1 more');
    await database.db.execute(sql`UPDATE devices SET status = 'active' WHERE id = ${server}`);
    for (const job of [stranded, never, small, over]) await api.jobs.cancel({ id: job.id });
  });
});

describe('plenum jobs CLI commands', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
    await seedSmallCluster(database.db, { racks: 1, serversPerRack: 1 });
  });
  afterAll(() => database.drop());

  it('submits from YAML, lists, shows and cancels (text and --json)', async () => {
    const api = createCaller(createContext(database));
    await api.tenants.create({ name: 'acme', gpuQuota: 8 });
    // The commands talk to a tRPC client; route its calls to the in-process caller.
    const client = {
      jobs: {
        submit: { mutate: api.jobs.submit },
        list: { query: api.jobs.list },
        get: { query: api.jobs.get },
        cancel: { mutate: api.jobs.cancel },
      },
    } as unknown as PlenumClient;
    const dir = await mkdtemp(path.join(tmpdir(), 'plenum-jobs-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'job.yaml');
    await writeFile(file, 'name: cli-train\nkind: training\ntenant: acme\ngpusPerWorker: 2\ncpuMilli: 16000\nmemoryMib: 131072\nestimatedDurationS: 600\n');
    const run = (words: string, argv: string[]) => commands[words]!.run(client, parseArgs(argv));

    const submitted = await run('jobs submit', [file]);
    expect(submitted.text).toMatch(/^submitted job \d+ cli-train \(training, tenant id \d+\): pending$/);
    const id = (submitted.json as { id: number }).id;
    await createSchedulerService().runCycle(database.db);
    const list = await run('jobs list', ['--status', 'scheduled']);
    expect(list.text).toContain('scheduled  training   acme          1 × 2 GPU     cli-train');
    const show = await run('jobs show', [String(id)]);
    expect(show.text).toContain('expected power: 1400 W now, 1400 W at full size (700 W per GPU)');
    expect(show.text).toMatch(/worker 0: t1-1-gpu1 \(rack T1-01\) GPU 0 GPU-/);
    expect((show.json as { job: { status: string } }).job.status).toBe('scheduled');
    expect((await run('jobs cancel', [String(id)])).text).toBe(`job ${id} cli-train: cancelled`);

    await writeFile(file, 'name: [unclosed');
    await expect(run('jobs submit', [file])).rejects.toBeInstanceOf(UsageError);
    await expect(run('jobs list', ['--status', 'sleeping'])).rejects.toThrow('--status must be one of');
    await expect(run('jobs show', ['abc'])).rejects.toThrow('not a job id: abc');
  });
});
