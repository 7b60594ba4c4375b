import { expect, test } from '@playwright/test';
import { createClient, type PlenumClient } from '../src/cli/client';
import { SLURM_PARTITION, SLURM_USER, type SlurmCluster, startSlurmCluster } from '../tests/slurm-cluster';

/**
 * A Slurm-executed job end to end on the demo data center, against a real throwaway Slurm 22.05 (tests/slurm-cluster.ts:
 * munged, slurmctld, three slurmd gpu01-gpu03 with 8 GPU GRES, slurmrestd with JWT). Its nodes are mapped explicitly to
 * three demo XE9680 servers in different racks; a job submitted with a Slurm executor is placed by Plenum's scheduler,
 * runs in Slurm, and its job page shows the engine state and its placement on the racks. A node drained in Slurm then
 * shows as drained, with Slurm's reason, on its server's rack page. Everything added is removed at the end (the
 * cancelled job stays as history, as the other job specs' do).
 */
test.describe('Slurm: a Slurm-executed job on its job page, a drained node on the rack page', () => {
  test.describe.configure({ mode: 'serial' });
  const CLUSTER = `e2e-slurm-${Date.now().toString(36)}`;
  const DRAIN_REASON = 'e2e: drained for maintenance';
  let slurm: SlurmCluster | undefined;
  let api: PlenumClient;
  let clusterId: number | undefined;
  let jobId: number | undefined;
  /** Slurm node name → the demo server it is mapped to. */
  const servers = new Map<string, { id: number; name: string; rackId: number; rackName: string }>();

  test.beforeAll(async ({ baseURL }) => {
    test.setTimeout(120_000);
    api = createClient({ url: baseURL!, token: process.env.PLENUM_TOKEN });
    slurm = await startSlurmCluster();
    // Three 8-GPU demo servers in three different racks stand for gpu01-gpu03.
    const candidates = (await api.devices.list.query({ kind: 'server', limit: 200 })).items.filter((d) => d.typeModel === 'PowerEdge XE9680' && d.rackId !== null);
    const racks = new Set<number>();
    for (const device of candidates) {
      if (servers.size === 3) break;
      if (racks.has(device.rackId!)) continue;
      racks.add(device.rackId!);
      servers.set(`gpu0${servers.size + 1}`, { id: device.id, name: device.name, rackId: device.rackId!, rackName: device.rackName! });
    }
    expect(servers.size, 'the demo seed has three XE9680 servers in different racks').toBe(3);
    // Advise only: this spec drains a node itself; Plenum's facility feedback must not act on the demo's racks.
    const cluster = await api.clusters.add.mutate({ kind: 'slurm', name: CLUSTER, url: slurm.restUrl, token: slurm.token(SLURM_USER, 3600), user: SLURM_USER, slurmConf: slurm.env.SLURM_CONF, pollIntervalS: 5, adviseOnly: true });
    clusterId = cluster.id;
    for (const [node, server] of servers) await api.clusters.map.mutate({ clusterId, node, deviceId: server.id });
    const sync = await api.clusters.sync.mutate({ id: clusterId });
    expect(sync).toMatchObject({ ok: true, nodes: 3, mappedNodes: 3, unavailableNodes: 0 });
  });

  test.afterAll(async () => {
    if (jobId !== undefined) await api.jobs.cancel.mutate({ id: jobId, reason: 'e2e clean-up' }).catch(() => undefined);
    if (clusterId !== undefined) {
      for (const node of servers.keys()) await api.clusters.map.mutate({ clusterId, node, deviceId: null }).catch(() => undefined);
      await api.clusters.remove.mutate({ id: clusterId });
      expect((await api.clusters.list.query()).map((c) => c.name)).not.toContain(CLUSTER);
    }
    await slurm?.stop();
  });

  test('the job runs in Slurm on the nodes Plenum chose, and its page shows the engine state and the placement on the racks', async ({ page }) => {
    test.setTimeout(120_000);
    const job = await api.jobs.submit.mutate({
      name: `${CLUSTER}-train`,
      kind: 'training',
      tenant: 'research',
      workers: 1,
      gpusPerWorker: 4,
      executor: { kind: 'slurm', cluster: CLUSTER, partition: SLURM_PARTITION, script: '#!/bin/bash\nsleep 600\n' },
    });
    jobId = job.id;

    // The background scheduler places it, the executor submits it through slurmrestd, the sync reads it back running.
    let row: Awaited<ReturnType<typeof api.jobs.get.query>>['job'] | undefined;
    await expect
      .poll(
        async () => {
          row = (await api.jobs.get.query({ id: job.id })).job;
          return `${row.status} ${row.externalState ?? '-'}`;
        },
        { timeout: 90_000, intervals: [1_000] },
      )
      .toBe('running RUNNING');
    const externalId = row!.externalId!;
    // Slurm runs it on the node Plenum chose: the one mapped to the server holding its GPUs.
    const slurmNode = /\bNodeList=(\S+)/.exec(slurm!.command('scontrol', ['show', 'job', externalId]))?.[1];
    const chosen = servers.get(slurmNode ?? '');
    expect(chosen, `Slurm ran job ${externalId} on ${slurmNode}, a node mapped to a demo server`).toBeDefined();

    await page.goto(`/jobs/${job.id}`);
    const engine = page.getByTestId('job-engine');
    await expect(engine).toContainText(CLUSTER);
    await expect(engine.getByTestId('job-engine-id')).toHaveText(externalId);
    await expect(engine.getByTestId('job-engine-state')).toHaveText('RUNNING');
    await expect(engine).toContainText(`${slurmNode} (4 GPU)`);
    // The placement drawn on the racks: the chosen server's rack with the job's 4 GPUs highlighted.
    const racks = page.getByTestId('placement-racks');
    const rack = racks.getByRole('figure', { name: `Rack ${chosen!.rackName}` });
    await expect(rack).toBeVisible();
    await expect(rack.getByRole('link', { name: chosen!.name })).toBeVisible();
    await expect(racks.getByTestId('job-gpu')).toHaveCount(4);
    await expect(page.getByTestId('job-allocations')).toContainText(chosen!.name);
  });

  test('a node drained in Slurm shows as drained, with its reason, on its server’s rack page', async ({ page }) => {
    test.setTimeout(90_000);
    const server = servers.get('gpu02')!;
    slurm!.command('scontrol', ['update', 'nodename=gpu02', 'state=drain', `reason=${DRAIN_REASON}`]);
    // The next sync (every 5 s) reads the drain; reading now makes it immediate.
    await expect
      .poll(
        async () => {
          await api.clusters.sync.mutate({ id: clusterId! });
          return (await api.clusters.get.query({ id: clusterId! })).nodes.find((n) => n.name === 'gpu02')?.reason;
        },
        { timeout: 30_000, intervals: [1_000] },
      )
      .toBe(DRAIN_REASON);

    await page.goto(`/racks/${server.rackId}`);
    const node = page.getByTestId('rack-clusters').getByTestId('rack-cluster-node-gpu02');
    // Slurm's own state words: IDLE+DRAIN (or MIXED+DRAIN had the job landed there).
    await expect(node).toContainText(new RegExp(`${server.name}: ${CLUSTER} node gpu02, [A-Z]+\\+DRAIN`));
    await expect(node).toContainText(`(${DRAIN_REASON})`);
    await expect(node).toHaveClass(/text-red-700/);
  });
});
