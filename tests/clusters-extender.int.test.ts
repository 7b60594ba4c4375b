import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleExtender } from '../src/server/api/extender';
import { createToken, createUser } from '../src/server/auth/accounts';
import { registerCluster, syncCluster } from '../src/server/services/clusters/registry';
import { TargetGuard } from '../src/server/services/telemetry/target-guard';
import { createTestDatabase, type TestDatabase } from './db';
import { type KubeApiServer, loadKubeFixture, startKubeApiServer } from './kube-api-server';
import { type SmallCluster, seedSmallCluster } from './scheduler-fixture';

/**
 * The kube-scheduler extender, called as kube-scheduler calls it: POST ExtenderArgs JSON (the pending vLLM pod of
 * tests/fixtures/kubernetes/pods.json and the NodeList of nodes.json) with a bearer token.
 */
describe('kube-scheduler extender: filter and prioritize', () => {
  let database: TestDatabase;
  let kube: KubeApiServer;
  let plant: SmallCluster;
  let token: string;
  let viewerToken: string;
  const previousAllow = process.env.PLENUM_TARGET_ALLOW;

  const nodeList = loadKubeFixture('nodes');
  const pendingPod = loadKubeFixture('pods').items.find((p) => p.metadata.name === 'vllm-llama3-6d9f8b7c5-zz81n')!;
  const args = (pod: unknown = pendingPod) => ({ Pod: pod, Nodes: nodeList, NodeNames: null });
  const post = async (verb: 'filter' | 'prioritize', body: unknown, bearer: string | null = token, query = '') => {
    const response = await handleExtender(
      new Request(`http://plenum.test/k8s/extender/${verb}${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
      verb,
      database,
    );
    return { status: response.status, body: (await response.json()) as Record<string, unknown> & unknown[] };
  };

  beforeAll(async () => {
    process.env.PLENUM_TARGET_ALLOW = '127.0.0.1';
    database = await createTestDatabase();
    plant = await seedSmallCluster(database.db, { racks: 2, serversPerRack: 2 });
    kube = await startKubeApiServer();
    const cluster = await registerCluster(database.db, { kind: 'kubernetes', name: 'k8s', kubeconfig: kube.kubeconfig() }, new TargetGuard('127.0.0.1'));
    expect(await syncCluster(database.db, cluster.id)).toMatchObject({ ok: true, mappedNodes: 4 });
    const user = await createUser(database.db, { username: 'kube-scheduler', role: 'viewer', allZones: true, zoneIds: [] });
    token = (await createToken(database.db, { userId: user.id, name: 'extender', role: 'viewer', allZones: true, zoneIds: [], expiresAt: null, createdBy: null })).secret;
    viewerToken = token;
  });
  afterAll(async () => {
    await kube?.close();
    await database?.drop();
    if (previousAllow === undefined) delete process.env.PLENUM_TARGET_ALLOW;
    else process.env.PLENUM_TARGET_ALLOW = previousAllow;
  });

  it('answers 401 without a token and 400 for what is not ExtenderArgs, naming the field', async () => {
    expect(await post('filter', args(), null)).toEqual({ status: 401, body: { Error: 'an API token is required (Authorization: Bearer <token>)' } });
    expect(await post('filter', args(), 'plenum_not-a-token')).toEqual({ status: 401, body: { Error: 'the API token is invalid, expired or revoked' } });
    expect(await post('filter', '{"Pod":')).toMatchObject({ status: 400, body: { Error: expect.stringMatching(/^not ExtenderArgs JSON: /) } });
    expect(await post('filter', { Nodes: nodeList })).toEqual({ status: 400, body: { Error: 'Pod: Invalid input: expected object, received undefined' } });
    expect(await post('filter', { Pod: pendingPod })).toEqual({ status: 400, body: { Error: 'Nodes: Nodes or NodeNames is required' } });
  });

  it('filters out nodes of a rack without power headroom and engine-drained nodes; passes nodes Plenum does not know', async () => {
    await database.db.execute(sql`UPDATE racks SET max_power_kw = 5 WHERE id = ${plant.rackIds[1]!}`);
    const { status, body } = await post('filter', args());
    expect(status).toBe(200);
    expect(body.Error).toBe('');
    expect((body.Nodes as { items: Array<{ metadata: { name: string } }> }).items.map((n) => n.metadata.name)).toEqual(['t1-1-gpu1', 'edge-gpu-7', 'cpu-a1']);
    expect(body.FailedNodes).toEqual({ 'gpu-b7': 'plenum: rack power headroom' });
    expect(body.FailedAndUnresolvableNodes).toEqual({ 't1-1-gpu2': 'plenum: drained or cordoned by its engine', 't1-2-gpu2': 'plenum: drained or cordoned by its engine' });
    // A node-cache-capable scheduler sends and gets names only.
    const byName = await post('filter', { Pod: pendingPod, NodeNames: ['t1-1-gpu1', 'gpu-b7'] });
    expect(byName.body).toEqual({ NodeNames: ['t1-1-gpu1'], FailedNodes: { 'gpu-b7': 'plenum: rack power headroom' }, FailedAndUnresolvableNodes: {}, Error: '' });
    await database.db.execute(sql`UPDATE racks SET max_power_kw = 40 WHERE id = ${plant.rackIds[1]!}`);
  });

  it('applies the zone a pod asks for through its annotation, and reports a bad annotation as the Error', async () => {
    const secure = structuredClone(pendingPod) as { metadata: { annotations?: Record<string, string> } };
    secure.metadata.annotations = { 'plenum.io/required-zone-level': '3' };
    const { body } = await post('filter', args(secure));
    expect(Object.keys(body.FailedAndUnresolvableNodes as object).sort()).toEqual(['gpu-b7', 't1-1-gpu1', 't1-1-gpu2', 't1-2-gpu2']);
    expect((body.FailedAndUnresolvableNodes as Record<string, string>)['t1-1-gpu1']).toBe('plenum: zone clearance');
    secure.metadata.annotations = { 'plenum.io/required-zone-level': 'top' };
    expect((await post('filter', args(secure))).body).toMatchObject({ Error: 'annotation plenum.io/required-zone-level must be 0-3, not "top"', Nodes: null });
  });

  it('scores the feasible nodes 0-10 with the placement profile, unknown and failing nodes 0, in the order given', async () => {
    const { status, body } = await post('prioritize', args(), viewerToken);
    expect(status).toBe(200);
    const list = body as unknown as Array<{ Host: string; Score: number }>;
    expect(list.map((h) => h.Host)).toEqual(nodeList.items.map((n) => n.metadata.name));
    const score = new Map(list.map((h) => [h.Host, h.Score]));
    expect(Math.max(...list.map((h) => h.Score))).toBe(10);
    expect(list.every((h) => Number.isInteger(h.Score) && h.Score >= 0 && h.Score <= 10)).toBe(true);
    expect([score.get('t1-1-gpu2'), score.get('t1-2-gpu2'), score.get('edge-gpu-7'), score.get('cpu-a1')]).toEqual([0, 0, 0, 0]);
    expect(score.get('t1-1-gpu1')! + score.get('gpu-b7')!).toBeGreaterThan(10 - 1);
  });

  it('lets a pod that asks for no GPU through untouched', async () => {
    const cpuPod = loadKubeFixture('pods').items.find((p) => p.metadata.name.startsWith('coredns'))!;
    const { body } = await post('filter', args(cpuPod));
    expect((body.Nodes as { items: unknown[] }).items).toHaveLength(6);
    expect(body.FailedNodes).toEqual({});
  });
});
