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
import { createKubernetesAdapter } from '../src/server/services/clusters/kubernetes';
import { connectionOf, loadCluster, mapNode, registerCluster, syncCluster } from '../src/server/services/clusters/registry';
import { STEER_TAINT_KEY } from '../src/server/services/clusters/types';
import { TargetGuard } from '../src/server/services/telemetry/target-guard';
import { createSchedulerService, loadClusterState, submitJob } from '../src/server/services/scheduler';
import { createTestDatabase, type TestDatabase } from './db';
import { fieldErrors } from './field-errors';
import { type KubeApiServer, startKubeApiServer } from './kube-api-server';
import { createTenant, type SmallCluster, seedSmallCluster } from './scheduler-fixture';

describe('Kubernetes cluster: registry sync against a local API server answering real API objects', () => {
  let database: TestDatabase;
  let kube: KubeApiServer;
  let plant: SmallCluster;
  let clusterId: number;
  const previousAllow = process.env.PLENUM_TARGET_ALLOW;

  const jobsOfCluster = async () =>
    (
      await database.db.execute<{ id: number; external_id: string; status: string; owner: string; external_state: string; exit_code: number | null; reason: string; gpus: number }>(sql`
        SELECT j.id, j.external_id, j.status::text AS status, j.owner, j.external_state, j.exit_code, j.reason,
               (SELECT count(*)::int FROM gpu_allocations g WHERE g.job_id = j.id AND g.released_at IS NULL) AS gpus
        FROM jobs j WHERE j.cluster_id = ${clusterId} ORDER BY j.external_id`)
    ).rows;

  beforeAll(async () => {
    process.env.PLENUM_TARGET_ALLOW = '127.0.0.1';
    database = await createTestDatabase();
    plant = await seedSmallCluster(database.db, { racks: 2, serversPerRack: 2 });
    // dcgm-exporter reports the training pod on GPU 5 of t1-1-gpu1 (its pod/namespace/container labels).
    const gpu5 = plant.gpusByServer.get(plant.serverIds[0]!)![5]!;
    await database.db.execute(sql`
      INSERT INTO telemetry_series (series_key, metric, unit, labels, entity_kind, accelerator_id, device_id)
      VALUES ('DCGM_FI_DEV_POWER_USAGE{pod=llama-ft-0-7xk2p}', 'gpu_power_w', 'W',
              '{"gpu":"5","pod":"llama-ft-0-7xk2p","namespace":"ml-research","container":"trainer","Hostname":"t1-1-gpu1"}'::jsonb, 'gpu', ${gpu5}, ${plant.serverIds[0]!})`);
    kube = await startKubeApiServer();
    const cluster = await registerCluster(database.db, { kind: 'kubernetes', name: 'k8s-prod', kubeconfig: kube.kubeconfig() }, new TargetGuard('127.0.0.1'));
    clusterId = cluster.id;
  });
  afterAll(async () => {
    await kube?.close();
    await database?.drop();
    if (previousAllow === undefined) delete process.env.PLENUM_TARGET_ALLOW;
    else process.env.PLENUM_TARGET_ALLOW = previousAllow;
  });

  it('registers the API server of the kubeconfig context, and refuses a bad kubeconfig or context naming the field', async () => {
    const cluster = await loadCluster(database.db, clusterId);
    expect(cluster?.url).toBe(kube.url);
    expect(cluster?.options).toMatchObject({ context: 'plenum-test', pollIntervalS: 15, adviseOnly: false });
    await expect(registerCluster(database.db, { kind: 'kubernetes', name: 'bad', kubeconfig: 'clusters: [' })).rejects.toMatchObject({ field: 'kubeconfig' });
    await expect(registerCluster(database.db, { kind: 'kubernetes', name: 'bad', kubeconfig: kube.kubeconfig(), context: 'nope' })).rejects.toMatchObject({
      field: 'context',
      reason: 'no context "nope" in the kubeconfig (it has plenum-test)',
    });
    // Loopback is refused unless PLENUM_TARGET_ALLOW names it, as for scrape targets.
    await expect(registerCluster(database.db, { kind: 'kubernetes', name: 'bad', kubeconfig: kube.kubeconfig() }, new TargetGuard(''))).rejects.toMatchObject({ field: 'kubeconfig' });
    await expect(registerCluster(database.db, { kind: 'kubernetes', name: 'k8s-prod', kubeconfig: kube.kubeconfig() }, new TargetGuard('127.0.0.1'))).rejects.toMatchObject({ field: 'name' });
  });

  it('maps nodes by host name (short names too), lists unmapped ones, and takes cordoned / not-ready nodes out of placement', async () => {
    const result = await syncCluster(database.db, clusterId);
    expect(result).toMatchObject({ ok: true, nodes: 6, mappedNodes: 4, unavailableNodes: 2 });
    // Listed page by page (limit/continue), never watched.
    expect(kube.requests.filter((r) => r.startsWith('GET /api/v1/nodes?limit='))).toHaveLength(1);
    const nodes = (
      await database.db.execute<{ name: string; device: string | null; mapping: string | null; available: boolean; reason: string; gpus_total: number; gpus_allocated: number; state: string }>(sql`
        SELECT n.name, d.name AS device, n.mapping, n.available, n.reason, n.gpus_total, n.gpus_allocated, n.state
        FROM cluster_nodes n LEFT JOIN devices d ON d.id = n.device_id WHERE n.cluster_id = ${clusterId} ORDER BY n.name`)
    ).rows;
    expect(nodes).toEqual([
      { name: 'cpu-a1', device: null, mapping: null, available: true, reason: '', gpus_total: 0, gpus_allocated: 0, state: 'Ready' },
      { name: 'edge-gpu-7', device: null, mapping: null, available: true, reason: '', gpus_total: 4, gpus_allocated: 0, state: 'Ready' },
      // Node name differs from the server; its Hostname address (a FQDN) maps it by short name.
      { name: 'gpu-b7', device: 't1-2-gpu1', mapping: 'hostname', available: true, reason: '', gpus_total: 8, gpus_allocated: 2, state: 'Ready' },
      { name: 't1-1-gpu1', device: 't1-1-gpu1', mapping: 'hostname', available: true, reason: '', gpus_total: 8, gpus_allocated: 4, state: 'Ready' },
      { name: 't1-1-gpu2', device: 't1-1-gpu2', mapping: 'hostname', available: false, reason: 'cordoned', gpus_total: 8, gpus_allocated: 0, state: 'Ready,SchedulingDisabled' },
      { name: 't1-2-gpu2', device: 't1-2-gpu2', mapping: 'hostname', available: false, reason: 'not ready: Kubelet stopped posting node status.', gpus_total: 8, gpus_allocated: 0, state: 'Unknown' },
    ]);
    const state = await loadClusterState(database.db);
    const byName = new Map(state.snapshot.nodes.map((n) => [n.name, n]));
    expect(byName.get('t1-1-gpu2')?.engineUnavailable).toBe('k8s-prod: cordoned');
    expect(byName.get('t1-1-gpu1')?.engineUnavailable).toBeUndefined();
  });

  it('shows GPU pods as external jobs holding GPUs of the mapped servers; other pods are not jobs', async () => {
    expect(await jobsOfCluster()).toEqual([
      { id: expect.any(Number), external_id: 'inference/vllm-llama3-6d9f8b7c5-qm4tz', status: 'running', owner: 'inference', external_state: 'Running', exit_code: null, reason: 'owned by ReplicaSet/vllm-llama3-6d9f8b7c5', gpus: 2 },
      {
        id: expect.any(Number),
        external_id: 'inference/vllm-llama3-6d9f8b7c5-zz81n',
        status: 'pending',
        owner: 'inference',
        external_state: 'Pending',
        exit_code: null,
        reason: expect.stringContaining('0/6 nodes are available'),
        gpus: 0,
      },
      { id: expect.any(Number), external_id: 'ml-research/eval-sweep-3-hq9bd', status: 'succeeded', owner: 'ml-research', external_state: 'Succeeded', exit_code: 0, reason: 'owned by Job/eval-sweep-3', gpus: 0 },
      { id: expect.any(Number), external_id: 'ml-research/llama-ft-0-7xk2p', status: 'running', owner: 'ml-research', external_state: 'Running', exit_code: null, reason: 'owned by Job/llama-ft-0', gpus: 4 },
    ]);
    // The pod holds the GPU dcgm-exporter reports it on, and the job page shows the pod on it.
    const api = createCaller(createContext(database));
    const training = (await jobsOfCluster()).find((j) => j.external_id === 'ml-research/llama-ft-0-7xk2p')!;
    const view = await api.jobs.get({ id: training.id });
    expect(view.cluster).toMatchObject({ name: 'k8s-prod', kind: 'kubernetes' });
    expect(view.job).toMatchObject({ origin: 'external', owner: 'ml-research', externalNodes: [{ name: 't1-1-gpu1', gpus: 4 }] });
    expect(view.placement.allocations.map((a) => [a.deviceName, a.index, a.pod?.pod ?? null])).toEqual([
      ['t1-1-gpu1', 0, null],
      ['t1-1-gpu1', 1, null],
      ['t1-1-gpu1', 2, null],
      ['t1-1-gpu1', 5, 'llama-ft-0-7xk2p'],
    ]);
    const listed = await api.jobs.list({ origin: 'external', limit: 10 });
    expect(listed.items.map((j) => [j.cluster, j.externalId, j.heldGpus])).toContainEqual(['k8s-prod', 'ml-research/llama-ft-0-7xk2p', 4]);
    expect(listed.items.every((j) => j.origin === 'external')).toBe(true);
    // The external pending pod is the engine's, not in Plenum's queue; a Plenum job sees its GPUs taken and the
    // cordoned / not-ready nodes unavailable.
    await createTenant(database.db, 'acme');
    const job = await submitJob(database.db, { name: 'needs-a-node', kind: 'training', tenant: 'acme', gpusPerWorker: 8, cpuMilli: 1000, memoryMib: 1024 });
    const cycle = await createSchedulerService().runCycle(database.db);
    expect(cycle.placed).toEqual([]);
    const [row] = (await database.db.execute<{ status: string; reason: string }>(sql`SELECT status::text, reason FROM jobs WHERE id = ${job.id}`)).rows;
    expect(row).toMatchObject({ status: 'pending' });
    expect(row!.reason).toContain('2 drained or cordoned by its engine');
    await database.db.execute(sql`UPDATE jobs SET status = 'cancelled' WHERE id = ${job.id}`);
  });

  it('follows pods as they change: a finished pod releases its GPUs, a vanished one ends, the queue re-maps', async () => {
    const train = kube.pods.find((p) => p.metadata.name === 'llama-ft-0-7xk2p')!;
    (train as unknown as { status: Record<string, unknown> }).status = {
      ...(train as unknown as { status: Record<string, unknown> }).status,
      phase: 'Failed',
      containerStatuses: [{ name: 'trainer', ready: false, restartCount: 0, image: 'x', imageID: 'x', state: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: '2026-12-05T01:02:40Z', finishedAt: '2026-12-05T02:58:00Z' } } }],
    };
    kube.pods.splice(kube.pods.findIndex((p) => p.metadata.name === 'vllm-llama3-6d9f8b7c5-qm4tz'), 1);
    expect(await syncCluster(database.db, clusterId)).toMatchObject({ ok: true, endedJobs: 1 });
    const jobs = new Map((await jobsOfCluster()).map((j) => [j.external_id, j]));
    expect(jobs.get('ml-research/llama-ft-0-7xk2p')).toMatchObject({ status: 'failed', exit_code: 137, gpus: 0, external_state: 'Failed' });
    expect(jobs.get('inference/vllm-llama3-6d9f8b7c5-qm4tz')).toMatchObject({ status: 'cancelled', reason: 'no longer listed by k8s-prod', gpus: 0 });
  });

  it('maps a node explicitly (it wins over the host name from the next sync on)', async () => {
    await mapNode(database.db, clusterId, 'edge-gpu-7', plant.serverIds[3]!);
    await syncCluster(database.db, clusterId);
    const [node] = (await database.db.execute<{ device_id: number; mapping: string }>(sql`SELECT device_id, mapping FROM cluster_nodes WHERE cluster_id = ${clusterId} AND name = 'edge-gpu-7'`)).rows;
    expect(node).toEqual({ device_id: plant.serverIds[3], mapping: 'explicit' });
    await expect(mapNode(database.db, clusterId, 'edge-gpu-7', 999_999)).rejects.toMatchObject({ field: 'deviceId' });
  });

  it('taints a node to steer the engine away and removes only its own taint to release it', async () => {
    const adapter = createKubernetesAdapter(connectionOf((await loadCluster(database.db, clusterId))!));
    await adapter.steerAway('gpu-b7', 'rack T1-02 cooling unit CRAH 1 failed');
    const taints = () => (kube.node('gpu-b7')!.spec as { taints?: Array<{ key: string; value?: string; effect: string }> }).taints;
    expect(taints()).toEqual([
      { key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' },
      { key: STEER_TAINT_KEY, value: 'rack-T1-02-cooling-unit-CRAH-1-failed', effect: 'NoSchedule' },
    ]);
    // Again with the same cause: nothing to change, no PATCH.
    const patches = kube.requests.filter((r) => r.startsWith('PATCH')).length;
    await adapter.steerAway('gpu-b7', 'rack T1-02 cooling unit CRAH 1 failed');
    expect(kube.requests.filter((r) => r.startsWith('PATCH')).length).toBe(patches);
    await adapter.release('gpu-b7');
    expect(taints()).toEqual([{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }]);
    // A node with no taints at all gets the list added.
    await adapter.steerAway('t1-1-gpu1', 'row T1 power headroom');
    expect((kube.node('t1-1-gpu1')!.spec as { taints?: unknown[] }).taints).toEqual([{ key: STEER_TAINT_KEY, value: 'row-T1-power-headroom', effect: 'NoSchedule' }]);
    await adapter.release('t1-1-gpu1');
    await expect(adapter.steerAway('no-such-node', 'x')).rejects.toThrow('Kubernetes API answered 404: nodes "no-such-node" not found');
  });

  it('turns an unreachable or refusing API server into cluster health with the error text, changing nothing else', async () => {
    const before = await jobsOfCluster();
    // Wrong token: the API answers 401.
    const [cluster] = (await database.db.execute<{ credentials: { kubeconfig: string } }>(sql`SELECT credentials FROM clusters WHERE id = ${clusterId}`)).rows;
    await database.db.execute(sql`UPDATE clusters SET credentials = ${JSON.stringify({ kubeconfig: cluster!.credentials.kubeconfig.replace(kube.token, 'wrong-token') })}::jsonb WHERE id = ${clusterId}`);
    expect(await syncCluster(database.db, clusterId)).toEqual({ ok: false, error: 'Kubernetes API answered 401: Unauthorized' });
    await database.db.execute(sql`UPDATE clusters SET credentials = ${JSON.stringify(cluster!.credentials)}::jsonb WHERE id = ${clusterId}`);
    await kube.close();
    const result = await syncCluster(database.db, clusterId);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(/^Kubernetes API unreachable: .*ECONNREFUSED/);
    const row = await loadCluster(database.db, clusterId);
    expect(row).toMatchObject({ consecutiveFailures: 2, lastError: expect.stringContaining('ECONNREFUSED') });
    expect(await jobsOfCluster()).toEqual(before);
  });
});

describe('plenum clusters (CLI through the API)', () => {
  let database: TestDatabase;
  let kube: KubeApiServer;
  const previousAllow = process.env.PLENUM_TARGET_ALLOW;

  beforeAll(async () => {
    process.env.PLENUM_TARGET_ALLOW = '127.0.0.1';
    database = await createTestDatabase();
    await seedSmallCluster(database.db, { racks: 1, serversPerRack: 2 });
    kube = await startKubeApiServer();
  });
  afterAll(async () => {
    await kube?.close();
    await database?.drop();
    if (previousAllow === undefined) delete process.env.PLENUM_TARGET_ALLOW;
    else process.env.PLENUM_TARGET_ALLOW = previousAllow;
  });

  it('adds a Kubernetes cluster from a kubeconfig file, syncs, lists, shows, maps, sets advise-only and removes it; never shows credentials', async () => {
    const api = createCaller(createContext(database));
    const client = {
      clusters: {
        list: { query: api.clusters.list },
        get: { query: api.clusters.get },
        add: { mutate: api.clusters.add },
        update: { mutate: api.clusters.update },
        remove: { mutate: api.clusters.remove },
        sync: { mutate: api.clusters.sync },
        map: { mutate: api.clusters.map },
      },
      devices: { list: { query: api.devices.list } },
    } as unknown as PlenumClient;
    const run = (words: string, argv: string[]) => commands[words]!.run(client, parseArgs(argv));
    const dir = await mkdtemp(path.join(tmpdir(), 'plenum-kube-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const kubeconfig = path.join(dir, 'kubeconfig');
    await writeFile(kubeconfig, kube.kubeconfig('lab'));

    expect((await run('clusters list', [])).text).toMatch(/^no clusters \(add one: plenum clusters add slurm/);
    await expect(run('clusters add', ['kubernetes', '--name', 'lab'])).rejects.toThrow(UsageError);
    await expect(run('clusters add', ['kubernetes', '--name', 'lab', '--kubeconfig', path.join(dir, 'missing')])).rejects.toThrow(`cannot read kubeconfig ${path.join(dir, 'missing')}: ENOENT`);
    expect(await fieldErrors(run('clusters add', ['kubernetes', '--name', 'lab', '--kubeconfig', kubeconfig, '--context', 'prod']))).toEqual({ context: 'no context "prod" in the kubeconfig (it has lab)' });
    expect(await fieldErrors(run('clusters add', ['kubernetes', '--name', 'bad name', '--kubeconfig', kubeconfig]))).toEqual({
      name: 'may contain letters, digits, ".", "_" and "-" only, starting with a letter or digit',
    });
    const added = await run('clusters add', ['kubernetes', '--name', 'lab', '--kubeconfig', kubeconfig]);
    expect(added.text).toBe(`added kubernetes cluster lab at ${kube.url}; first read within 15 s (or now: plenum clusters sync lab)`);
    expect((await run('clusters sync', ['lab'])).text).toBe('lab: 6 nodes (2 mapped, 2 unavailable), 4 GPU jobs, 0 ended');
    const listed = await run('clusters list', []);
    expect(listed.text).toMatch(/^lab\s+kubernetes {2}6 nodes \(2 mapped, 2 unavailable\)\s+6 \/ 36 GPUs\s+2 running, 1 pending\s+0 steered {2}ok, synced \d+ s ago$/);
    const shown = await run('clusters show', ['lab']);
    expect(shown.text).toContain('t1-1-gpu2             → t1-1-gpu2 (rack T1-01)');
    expect(shown.text).toContain('Ready,SchedulingDisabled: cordoned');
    expect(shown.text).toContain('unmapped: cpu-a1, edge-gpu-7, gpu-b7, t1-2-gpu2 (map one: plenum clusters map lab <node> <server>)');
    // The kubeconfig (with its token) is stored but never returned.
    expect(JSON.stringify(listed.json)).not.toContain(kube.token);
    expect(JSON.stringify(shown.json)).not.toContain(kube.token);
    expect((await run('clusters map', ['lab', 'gpu-b7', 't1-1-gpu1'])).text).toMatch(/^lab\/gpu-b7 → server \d+$/);
    await expect(run('clusters map', ['lab', 'gpu-b7', 'no-such-server'])).rejects.toThrow('no server named "no-such-server"');
    expect((await run('clusters map', ['lab', 'gpu-b7', '--none'])).text).toBe('lab/gpu-b7: explicit mapping removed');
    expect((await run('clusters set', ['lab', '--advise-only', 'on'])).text).toBe('lab: read every 15 s; facility feedback advise only');
    await expect(run('clusters set', ['lab', '--advise-only', 'maybe'])).rejects.toThrow('--advise-only must be on or off');
    expect((await run('clusters remove', ['lab'])).text).toBe('removed cluster lab');
    const left = await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM jobs WHERE origin = 'external'`);
    expect(left.rows[0]!.n).toBe(0);
    await expect(run('clusters sync', ['lab'])).rejects.toThrow('no cluster named "lab"');
  });
});
