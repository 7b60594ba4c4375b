import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller } from '../src/server/api/root';
import { createContext } from '../src/server/api/trpc';
import { applyFacilityFeedback, FEEDBACK_ACTOR, facilityConditions } from '../src/server/services/clusters/feedback';
import { registerCluster, syncCluster } from '../src/server/services/clusters/registry';
import { STEER_TAINT_KEY } from '../src/server/services/clusters/types';
import { clustersWorker } from '../src/server/services/clusters/worker';
import { TargetGuard } from '../src/server/services/telemetry/target-guard';
import { createTestDatabase, type TestDatabase } from './db';
import { type KubeApiServer, startKubeApiServer } from './kube-api-server';
import { type SmallCluster, seedSmallCluster } from './scheduler-fixture';

/**
 * Facility feedback end to end without fakes: the plant analysis of a real database decides, the Kubernetes adapter
 * acts on the local API server, and the taints appear on (and leave) its nodes.
 */
describe('facility feedback steers the engine away from racks that lost headroom or cooling', () => {
  let database: TestDatabase;
  let kube: KubeApiServer;
  let plant: SmallCluster;
  let clusterId: number;
  const previousAllow = process.env.PLENUM_TARGET_ALLOW;

  const taintOf = (node: string) => ((kube.node(node)!.spec as { taints?: Array<{ key: string; value?: string }> }).taints ?? []).find((t) => t.key === STEER_TAINT_KEY)?.value;
  const feedback = () => applyFacilityFeedback(database.db, database.pool);
  const openSteering = async () =>
    (
      await database.db.execute<{ node_name: string; state: string; applied: boolean; cause: string }>(sql`
        SELECT node_name, state, applied, cause FROM cluster_steering WHERE cluster_id = ${clusterId} AND released_at IS NULL ORDER BY node_name`)
    ).rows;

  beforeAll(async () => {
    process.env.PLENUM_TARGET_ALLOW = '127.0.0.1';
    database = await createTestDatabase();
    plant = await seedSmallCluster(database.db, { racks: 2, serversPerRack: 2 });
    kube = await startKubeApiServer();
    clusterId = (await registerCluster(database.db, { kind: 'kubernetes', name: 'k8s', kubeconfig: kube.kubeconfig() }, new TargetGuard('127.0.0.1'))).id;
    expect(await syncCluster(database.db, clusterId)).toMatchObject({ ok: true, mappedNodes: 4 });
  });
  afterAll(async () => {
    await kube?.close();
    await database?.drop();
    if (previousAllow === undefined) delete process.env.PLENUM_TARGET_ALLOW;
    else process.env.PLENUM_TARGET_ALLOW = previousAllow;
  });

  it('does nothing while the facility has headroom', async () => {
    expect(await facilityConditions(database.db, database.pool)).toEqual(new Map());
    expect(await feedback()).toEqual([]);
  });

  it('taints the nodes of a rack whose budget is exhausted, audits it, and removes the taint when headroom returns', async () => {
    const [rack2] = plant.rackIds.slice(1);
    // Two idle 8-GPU servers and a leaf switch need ~6.9 kW: a 5 kW budget leaves the rack with no headroom.
    await database.db.execute(sql`UPDATE racks SET max_power_kw = 5 WHERE id = ${rack2!}`);
    const conditions = await facilityConditions(database.db, database.pool);
    expect([...conditions.keys()]).toEqual([rack2]);
    expect(conditions.get(rack2!)).toMatch(/^T1-02 rack budget headroom -\d+\.\d kW$/);
    const actions = await feedback();
    expect(actions.map((a) => `${a.action} ${a.node}`)).toEqual(['steer gpu-b7', 'steer t1-2-gpu2']);
    expect(taintOf('gpu-b7')).toMatch(/^T1-02-rack-budget-headroom--\d+\.\d-kW$/);
    expect(taintOf('t1-2-gpu2')).toBeDefined();
    expect(taintOf('t1-1-gpu1')).toBeUndefined();
    const audit = await database.db.execute<{ actor: string; action: string; outcome: string; node: string }>(
      sql`SELECT actor, action, outcome, after->>'node' AS node FROM audit_log WHERE actor = ${FEEDBACK_ACTOR} ORDER BY id`,
    );
    expect(audit.rows).toEqual([
      { actor: FEEDBACK_ACTOR, action: 'clusters.steer', outcome: 'ok', node: 'gpu-b7' },
      { actor: FEEDBACK_ACTOR, action: 'clusters.steer', outcome: 'ok', node: 't1-2-gpu2' },
    ]);
    // Shown on the rack page and the cluster page.
    const api = createCaller(createContext(database));
    expect((await api.clusters.forRack({ rackId: rack2! })).steering.map((st) => [st.nodeName, st.state])).toEqual([
      ['gpu-b7', 'steered'],
      ['t1-2-gpu2', 'steered'],
    ]);
    expect((await api.clusters.get({ id: clusterId })).steering.filter((st) => st.releasedAt === null)).toHaveLength(2);
    // Nothing changed: nothing to do.
    expect(await feedback()).toEqual([]);
    await database.db.execute(sql`UPDATE racks SET max_power_kw = 40 WHERE id = ${rack2!}`);
    expect((await feedback()).map((a) => `${a.action} ${a.node}`)).toEqual(['release gpu-b7', 'release t1-2-gpu2']);
    expect(taintOf('gpu-b7')).toBeUndefined();
    // The GPU operator's own taint on that node is untouched.
    expect((kube.node('gpu-b7')!.spec as { taints: Array<{ key: string }> }).taints.map((t) => t.key)).toEqual(['nvidia.com/gpu']);
    expect(await openSteering()).toEqual([]);
  });

  it('steers away from every rack a failed cooling unit serves, at most N engine calls a minute', async () => {
    await database.db.execute(sql`UPDATE clusters SET options = options || '{"steerActionsPerMinute": 7}'::jsonb WHERE id = ${clusterId}`);
    await database.db.execute(sql`UPDATE cooling_units SET status = 'failed' WHERE name = 'CRAH 1'`);
    const conditions = await facilityConditions(database.db, database.pool);
    expect([...conditions.values()]).toEqual(['T1-01 cooling unit CRAH 1 failed', 'T1-02 cooling unit CRAH 1 failed']);
    // The steers and releases of the previous test count too: 7 - 4 = 3 calls left this minute.
    const actions = await feedback();
    expect(actions.map((a) => a.action)).toEqual(['steer', 'steer', 'steer', 'deferred']);
    expect(await openSteering()).toHaveLength(3);
    await database.db.execute(sql`UPDATE cooling_units SET status = 'active' WHERE name = 'CRAH 1'`);
  });

  it('only advises on an advise-only cluster, lifting what it had applied', async () => {
    await database.db.execute(sql`UPDATE clusters SET options = options || '{"adviseOnly": true, "steerActionsPerMinute": 100}'::jsonb WHERE id = ${clusterId}`);
    await database.db.execute(sql`UPDATE cooling_units SET status = 'failed' WHERE name = 'CRAH 1'`);
    const actions = await feedback();
    expect(actions.filter((a) => a.action === 'release')).toHaveLength(3);
    expect(actions.filter((a) => a.action === 'advise')).toHaveLength(4);
    expect(kube.nodes.map((n) => taintOf(n.metadata.name)).filter(Boolean)).toEqual([]);
    expect((await openSteering()).map((r) => [r.node_name, r.state, r.applied])).toEqual([
      ['gpu-b7', 'advised', false],
      ['t1-1-gpu1', 'advised', false],
      ['t1-1-gpu2', 'advised', false],
      ['t1-2-gpu2', 'advised', false],
    ]);
    await database.db.execute(sql`UPDATE cooling_units SET status = 'active' WHERE name = 'CRAH 1'`);
    expect((await feedback()).map((a) => a.action)).toEqual(['release', 'release', 'release', 'release']);
  });

  it('records a refused steer as failed with the API error, and retries it on the next pass', async () => {
    await database.db.execute(sql`UPDATE clusters SET options = options || '{"adviseOnly": false}'::jsonb WHERE id = ${clusterId}`);
    await database.db.execute(sql`UPDATE racks SET max_power_kw = 5 WHERE id = ${plant.rackIds[0]!}`);
    // The engine lost one of the nodes since the last sync.
    const removed = kube.nodes.splice(kube.nodes.findIndex((n) => n.metadata.name === 't1-1-gpu2'), 1)[0]!;
    const actions = await feedback();
    expect(actions.map((a) => [a.action, a.node, a.error])).toEqual([
      ['steer', 't1-1-gpu1', undefined],
      ['failed', 't1-1-gpu2', 'Kubernetes API answered 404: nodes "t1-1-gpu2" not found'],
    ]);
    kube.nodes.push(removed);
    expect((await feedback()).map((a) => [a.action, a.node])).toEqual([['steer', 't1-1-gpu2']]);
    await database.db.execute(sql`UPDATE racks SET max_power_kw = 40 WHERE id = ${plant.rackIds[0]!}`);
    expect((await feedback()).map((a) => a.action)).toEqual(['release', 'release']);
  });

  it('runs as the clusters worker: a due cluster is read, then the feedback pass acts', async () => {
    await database.db.execute(sql`UPDATE clusters SET last_sync_at = now() - interval '1 hour' WHERE id = ${clusterId}`);
    await database.db.execute(sql`UPDATE racks SET max_power_kw = 5 WHERE id = ${plant.rackIds[1]!}`);
    const worker = clustersWorker(database.db, database.pool);
    expect(await worker.tick()).toBe('k8s: 6 nodes, 4 jobs; feedback: steer k8s/gpu-b7, steer k8s/t1-2-gpu2');
    // Not due again, and feedback waits for its own interval.
    expect(await worker.tick()).toBeUndefined();
    await database.db.execute(sql`UPDATE racks SET max_power_kw = 40 WHERE id = ${plant.rackIds[1]!}`);
    expect((await feedback()).map((a) => a.action)).toEqual(['release', 'release']);
  });
});
