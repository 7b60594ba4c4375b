/**
 * The slurmrestd client against recorded v0.0.38 answers (Slurm 22.05) and hand-written v0.0.40 ones (23.11+
 * spec): see tests/fixtures/slurm/README.md. A tiny in-process fetch serves the fixture of each path.
 */
import { readFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PlacedJob } from '../types';
import { jobStateOf, SlurmApiError, SlurmClient } from './client';

const fixtures = path.join(import.meta.dirname, '../../../../../tests/fixtures/slurm');
const load = (version: string, name: string) => JSON.parse(readFileSync(path.join(fixtures, `v${version}`, `${name}.json`), 'utf8'));

type Call = { method: string; path: string; body: unknown; headers: Record<string, string> };

function fixtureFetch(version: string, overrides: Record<string, { status: number; body: unknown }> = {}) {
  const calls: Call[] = [];
  const fn = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    calls.push({ method, path: url.pathname, body: init?.body ? JSON.parse(String(init.body)) : undefined, headers: init?.headers as Record<string, string> });
    const answer = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    const key = `${method} ${url.pathname}`;
    const override = overrides[key];
    if (override) return answer(override.status, override.body);
    if (url.pathname === '/openapi/v3' || url.pathname === '/openapi') {
      const summary = load(version, 'openapi-summary');
      return answer(200, { ...summary, paths: Object.fromEntries(summary.paths.map((p: string) => [p, {}])) });
    }
    const route = url.pathname.replace(`/slurm/v${version}/`, '');
    const name = { nodes: 'nodes', partitions: 'partitions', jobs: 'jobs', 'job/submit': 'job-submit' }[route];
    if (name) return answer(200, load(version, name));
    return answer(404, { errors: [{ error: `no fixture for ${key}` }] });
  }) as typeof fetch;
  return { fn, calls };
}

const client = (version: string, overrides?: Record<string, { status: number; body: unknown }>) => {
  const f = fixtureFetch(version, overrides);
  return { c: new SlurmClient({ url: 'http://slurm.example:6820/', token: 'jwt', user: 'plenum', fetch: f.fn }), calls: f.calls };
};

const placed: PlacedJob = {
  jobId: 7,
  name: 'plenum-7-train',
  partition: 'gpu',
  script: '#!/bin/bash\nsrun hostname\n',
  nodes: [
    { name: 'gpu01', gpus: 4 },
    { name: 'gpu02', gpus: 4 },
  ],
  wholeNodes: false,
  estimatedDurationS: 600,
  cpuMilli: 8000,
  memoryMib: 65536,
};

describe('slurmrestd v0.0.38 (recorded from Slurm 22.05)', () => {
  it('detects the version from /openapi/v3 and sends the token and user', async () => {
    const { c, calls } = client('0.0.38');
    expect(await c.detectVersion()).toBe('0.0.38');
    expect(calls[0]?.headers['X-SLURM-USER-TOKEN']).toBe('jwt');
    expect(calls[0]?.headers['X-SLURM-USER-NAME']).toBe('plenum');
  });

  it('reads nodes with state, drain reason and GPUs configured and allocated', async () => {
    const { c } = client('0.0.38');
    const nodes = await c.nodes();
    expect(nodes.map((n) => [n.name, n.state, n.available, n.reason, n.gpusTotal, n.gpusAllocated])).toEqual([
      ['gpu01', 'MIXED', true, '', 8, 6],
      ['gpu02', 'MIXED+DRAIN', false, 'plenum: cooling unit CRAH-2 failed', 8, 4],
      ['gpu03', 'ALLOCATED', true, '', 8, 8],
    ]);
    expect(nodes[0]?.hostname).toBe('localhost');
    expect(nodes[0]?.partitions).toEqual(['gpu', 'small']);
  });

  it('reads partitions with their node lists expanded', async () => {
    const { c } = client('0.0.38');
    expect(await c.partitions()).toEqual([
      { name: 'gpu', nodes: ['gpu01', 'gpu02', 'gpu03'], state: 'UP' },
      { name: 'small', nodes: ['gpu01', 'gpu02', 'gpu03'], state: 'UP' },
    ]);
  });

  it('reads jobs: state, owner, nodes with GPUs each, times, exit code and reason', async () => {
    const { c } = client('0.0.38');
    const jobs = await c.jobs();
    const byName = new Map(jobs.map((j) => [j.name, j]));
    expect(byName.get('fails')).toMatchObject({ externalId: '1', state: 'failed', engineState: 'FAILED', exitCode: 3, reason: 'NonZeroExitCode', nodes: [{ name: 'gpu03', gpus: 1 }] });
    expect(byName.get('fails')?.endedAt).toBeInstanceOf(Date);
    const pinned = byName.get('plenum-job-7');
    expect(pinned).toMatchObject({ state: 'running', owner: 'root', exitCode: null, endedAt: null, gpusPerNodeRequested: 4 });
    expect(pinned?.nodes).toEqual([
      { name: 'gpu01', gpus: 4 },
      { name: 'gpu02', gpus: 4 },
    ]);
    expect(pinned?.startedAt?.getTime()).toBeGreaterThan(0);
    expect(byName.get('native')?.nodes).toEqual([{ name: 'gpu01', gpus: 2 }]);
    expect(byName.get('whole-node')?.nodes).toEqual([{ name: 'gpu03', gpus: 8 }]);
    expect(byName.get('waits')).toMatchObject({ state: 'pending', nodes: [], gpusPerNodeRequested: 8, reason: 'Resources', startedAt: null });
    expect(byName.get('too-big')).toMatchObject({ state: 'failed', reason: 'BadConstraints' });
  });

  it('submits pinned with nodelist, GPUs per node and exclusive for whole nodes', async () => {
    const { c, calls } = client('0.0.38');
    expect(await c.submit(placed)).toEqual({ externalId: '1' });
    const body = calls.at(-1)?.body as { script: string; job: Record<string, unknown> };
    expect(calls.at(-1)?.path).toBe('/slurm/v0.0.38/job/submit');
    expect(body.script).toBe(placed.script);
    expect(body.job).toMatchObject({ nodelist: 'gpu01,gpu02', nodes: [2, 2], gpus_per_node: '4', partition: 'gpu' });
    expect(body.job.exclusive).toBeUndefined();
    expect((c.submitBody({ ...placed, wholeNodes: true }, '0.0.38') as { job: { exclusive: string } }).job.exclusive).toBe('exclusive');
  });

  it("a refused submission throws Slurm's reason", async () => {
    const refused = load('0.0.38', 'job-submit-refused');
    const { c } = client('0.0.38', { 'POST /slurm/v0.0.38/job/submit': { status: refused.httpStatus, body: refused } });
    await expect(c.submit(placed)).rejects.toThrow(/Requested node configuration is not available/);
  });

  it('cannot update nodes (v0.0.38 has no node update) and says so', async () => {
    const { c } = client('0.0.38');
    expect(await c.canUpdateNodes()).toBe(false);
    await expect(c.updateNode('gpu02', { drain: true, reason: 'plenum: x' })).rejects.toThrow(/cannot update nodes.*scontrol/);
  });

  it('cancelling a job Slurm no longer knows is not an error', async () => {
    const missing = load('0.0.38', 'job-cancel-missing');
    const { c } = client('0.0.38', { 'DELETE /slurm/v0.0.38/job/999': { status: missing.httpStatus, body: missing } });
    await expect(c.cancel('999')).resolves.toBeUndefined();
    await expect(c.cancel('1; rm')).rejects.toThrow(/not a Slurm job id/);
  });
});

describe('slurmrestd v0.0.40+ (written from the OpenAPI spec)', () => {
  it('detects the newest supported version the daemon serves', async () => {
    const { c } = client('0.0.40');
    expect(await c.detectVersion()).toBe('0.0.40');
  });

  it('reads state lists, typed GRES, TRES and a down node', async () => {
    const { c } = client('0.0.40');
    const nodes = await c.nodes();
    expect(nodes.map((n) => [n.name, n.state, n.available, n.reason, n.gpusTotal, n.gpusAllocated])).toEqual([
      ['gpu01', 'MIXED', true, '', 8, 6],
      ['gpu02', 'MIXED+DRAIN', false, 'plenum: cooling unit CRAH-2 failed', 8, 4],
      ['gpu03', 'ALLOCATED', true, '', 8, 8],
      ['gpu04', 'DOWN+NOT_RESPONDING', false, 'Not responding', 8, 0],
    ]);
    expect(nodes[0]?.hostname).toBeUndefined();
  });

  it('reads partitions', async () => {
    const { c } = client('0.0.40');
    expect(await c.partitions()).toEqual([{ name: 'gpu', nodes: ['gpu01', 'gpu02', 'gpu03', 'gpu04'], state: 'UP' }]);
  });

  it('reads jobs with {set, infinite, number} times and verbose exit codes', async () => {
    const { c } = client('0.0.40');
    const byName = new Map((await c.jobs()).map((j) => [j.name, j]));
    expect(byName.get('fails')).toMatchObject({ externalId: '101', state: 'failed', exitCode: 3, owner: 'alice/ml' });
    expect(byName.get('plenum-job-7')).toMatchObject({ state: 'running', owner: 'plenum', endedAt: null, exitCode: null });
    expect(byName.get('plenum-job-7')?.nodes).toEqual([
      { name: 'gpu01', gpus: 4 },
      { name: 'gpu02', gpus: 4 },
    ]);
    expect(byName.get('native')).toMatchObject({ owner: 'bob/infer', nodes: [{ name: 'gpu01', gpus: 2 }] });
    expect(byName.get('waits')).toMatchObject({ state: 'pending', startedAt: null, gpusPerNodeRequested: 8, reason: 'Resources' });
    expect(byName.get('cancelled')).toMatchObject({ state: 'cancelled', exitCode: 143 });
  });

  it('submits with required_nodes, node counts, tres_per_node and exclusive', async () => {
    const { c, calls } = client('0.0.40');
    expect(await c.submit({ ...placed, wholeNodes: true })).toEqual({ externalId: '107' });
    const body = calls.at(-1)?.body as { job: Record<string, unknown> };
    expect(body.job).toMatchObject({
      script: placed.script,
      required_nodes: ['gpu01', 'gpu02'],
      minimum_nodes: 2,
      maximum_nodes: 2,
      tres_per_node: 'gres/gpu:4',
      exclusive: ['true'],
      partition: 'gpu',
    });
  });

  it('drains with a reason and resumes through POST /node/{name}', async () => {
    const ok = load('0.0.40', 'node-update');
    const { c, calls } = client('0.0.40', { 'POST /slurm/v0.0.40/node/gpu02': { status: 200, body: ok } });
    await c.updateNode('gpu02', { drain: true, reason: 'plenum: rack R2 over budget' });
    expect(calls.at(-1)?.body).toEqual({ state: ['DRAIN'], reason: 'plenum: rack R2 over budget' });
    await c.updateNode('gpu02', { drain: false });
    expect(calls.at(-1)?.body).toEqual({ state: ['RESUME'] });
  });

  it("a refused submission throws Slurm's reason", async () => {
    const refused = load('0.0.40', 'job-submit-refused');
    const { c } = client('0.0.40', { 'POST /slurm/v0.0.40/job/submit': { status: 500, body: refused } });
    await expect(c.submit(placed)).rejects.toThrow(/Requested node configuration is not available/);
  });
});

describe('defensive parsing and errors', () => {
  it('a missing required field names its path', async () => {
    const nodes = load('0.0.40', 'nodes');
    delete nodes.nodes[1].name;
    const { c } = client('0.0.40', { 'GET /slurm/v0.0.40/nodes': { status: 200, body: nodes } });
    await expect(c.nodes()).rejects.toThrow(/v0\.0\.40 GET \/nodes: unexpected answer at nodes\.1\.name/);
  });

  it('unknown fields pass', async () => {
    const jobs = load('0.0.38', 'jobs');
    jobs.jobs[0].something_new = { nested: true };
    const { c } = client('0.0.38', { 'GET /slurm/v0.0.38/jobs': { status: 200, body: jobs } });
    expect((await c.jobs()).length).toBe(jobs.jobs.length);
  });

  it('refuses a daemon that serves no version Plenum speaks, naming what it serves', async () => {
    const { c } = client('0.0.38', { 'GET /openapi/v3': { status: 200, body: { paths: { '/slurm/v0.0.36/jobs': {} } } } });
    await expect(c.detectVersion()).rejects.toThrow(/serves OpenAPI v0\.0\.36; Plenum speaks/);
  });

  it('an authentication failure says to check the token', async () => {
    const fn = (async () => new Response('Authentication failure', { status: 401 })) as typeof fetch;
    const c = new SlurmClient({ url: 'http://x', token: 'bad', fetch: fn });
    await expect(c.nodes()).rejects.toThrow(SlurmApiError);
    await expect(c.nodes()).rejects.toThrow(/HTTP 401.*check the token/);
  });

  it('an unreachable daemon gives the connection error', async () => {
    const server = createServer();
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
    await new Promise((resolve) => server.close(resolve));
    const c = new SlurmClient({ url: `http://127.0.0.1:${port}`, token: 't', timeoutMs: 2000 });
    await expect(c.nodes()).rejects.toThrow(/slurmrestd GET \/openapi\/v3: .*ECONNREFUSED/);
  });

  it('maps Slurm job states to Plenum words', () => {
    expect(jobStateOf(['PENDING'])).toBe('pending');
    expect(jobStateOf(['PENDING', 'REQUEUED'])).toBe('pending');
    expect(jobStateOf(['RUNNING', 'COMPLETING'])).toBe('running');
    expect(jobStateOf(['COMPLETING'])).toBe('running');
    expect(jobStateOf(['COMPLETED'])).toBe('succeeded');
    expect(jobStateOf(['TIMEOUT'])).toBe('failed');
    expect(jobStateOf(['NODE_FAIL'])).toBe('failed');
    expect(jobStateOf(['CANCELLED'])).toBe('cancelled');
  });
});
