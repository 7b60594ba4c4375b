import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleTrpcRequest } from '../src/server/api/http';
import { createToken, createUser } from '../src/server/auth/accounts';
import { seedIfEmpty } from '../src/server/db/seed';
import { main } from '../src/cli/main';
import { createTestDatabase, type TestDatabase } from './db';

const ROOT = path.resolve(import.meta.dirname, '..');
/** The shared fixtures: next to the checkout, or inside it. */
const FIXTURES = [path.join(ROOT, '..', 'shared', 'fixtures'), path.join(ROOT, 'shared', 'fixtures')].find((dir) => existsSync(dir));

/**
 * The README's CLI examples, run verbatim in bash against two started Plenum API servers (the same request handler as
 * `/api/trpc` in the web app, with real token authentication) on real PostgreSQL: this instance, seeded with the demo,
 * and a second, empty one (`PLENUM_SEED=none`) for the inventory move. The only rewriting is of the two example host
 * names, which stand for those servers' addresses. `npx plenum` runs the project's bin through a local
 * node_modules/.bin link, as in a project that depends on plenum.
 */
function readmeShellBlocks(readme: string): string[] {
  return [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/**
 * The README's shell blocks that are not CLI examples: the two set-up commands, run as written by CI (`.ci/run` runs
 * `npm install && npm test`) and by e2e/start-command.spec.ts (`npm start`). Any other shell block must be a CLI example.
 */
const SETUP_BLOCKS = ['npm install && npm start\n', 'npm install && npm test\n'];

async function serve(database: TestDatabase): Promise<{ server: Server; url: string }> {
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method,
      headers,
      ...(req.method === 'POST' ? { body: Buffer.concat(chunks) } : {}),
    });
    const response = await handleTrpcRequest(request, database);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function bash(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { cwd, env, timeout: 480_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk;
      done();
    },
  });
  return { stream, text: () => text };
}

describe('the README examples', () => {
  let here: TestDatabase;
  let newHost: TestDatabase;
  const servers: Server[] = [];
  let hereUrl: string;
  let newHostUrl: string;
  let newHostToken: string;
  let folder: string;

  beforeAll(async () => {
    [here, newHost] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    await seedIfEmpty(here.db, 'demo');
    // The new instance's own admin and token, as its operator would have made them.
    const admin = await createUser(newHost.db, { username: 'bob', role: 'admin', password: 'another long password', allZones: true, zoneIds: [] });
    newHostToken = (await createToken(newHost.db, { userId: admin.id, name: 'move', role: 'admin', allZones: true, zoneIds: [], expiresAt: null, createdBy: null })).secret;
    for (const database of [here, newHost]) servers.push((await serve(database)).server);
    hereUrl = `http://127.0.0.1:${(servers[0]!.address() as AddressInfo).port}`;
    newHostUrl = `http://127.0.0.1:${(servers[1]!.address() as AddressInfo).port}`;

    folder = await mkdtemp(path.join(tmpdir(), 'plenum-readme-'));
    await mkdir(path.join(folder, 'work', 'node_modules', '.bin'), { recursive: true });
    await writeFile(path.join(folder, 'work', 'package.json'), JSON.stringify({ name: 'readme-examples', private: true }));
    await symlink(path.join(ROOT, 'bin', 'plenum.mjs'), path.join(folder, 'work', 'node_modules', '.bin', 'plenum'));
    if (!FIXTURES) throw new Error(`the shared fixtures are missing (looked next to and inside ${ROOT})`);
    await symlink(path.join(FIXTURES, 'devicetype-library'), path.join(folder, 'devicetype-library'));
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    await Promise.all([here?.drop(), newHost?.drop()]);
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('every shell block that uses the CLI runs as written and does what its comment says', { timeout: 600_000 }, async () => {
    const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
    const shellBlocks = readmeShellBlocks(readme);
    expect(shellBlocks.filter((block) => SETUP_BLOCKS.includes(block))).toEqual(SETUP_BLOCKS);
    const blocks = shellBlocks.filter((block) => !SETUP_BLOCKS.includes(block));
    // Every other shell block is run below, so each must use the CLI (a block that does not is a mistake to catch here).
    expect(blocks.filter((block) => !block.includes('npx plenum'))).toEqual([]);
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    const script = [
      'set -euo pipefail',
      ...blocks.map((block, i) => `echo "=== README block ${i + 1} ($(date +%T)) ===" >&2\n${block.replaceAll('http://new-host:3000', newHostUrl).replaceAll('http://dcim.example:3000', hereUrl)}`),
    ].join('\n');
    const env: NodeJS.ProcessEnv = { ...process.env, PLENUM_URL: hereUrl, DATABASE_URL: here.url, NEW_HOST_TOKEN: newHostToken, NO_COLOR: '1' };
    delete env.PLENUM_TOKEN;
    const result = await bash(script, path.join(folder, 'work'), env);
    expect(result.code, `${result.stderr}\n--- stdout ---\n${result.stdout}`).toBe(0);

    // First use: the admin exists and the token it printed was accepted by the server.
    expect(result.stdout).toContain('created alice (admin, all zones)');
    expect(result.stdout).toMatch(/status: (ok|degraded)/);
    // Tenants: the seeded ones are listed, the new one was created and its quota changed.
    expect(result.stdout).toMatch(/research\s+0 \/ 352 GPUs/);
    expect(result.stdout).toContain('created tenant vision: quota 64 GPUs, cleared to restricted');
    expect(result.stdout).toContain('tenant vision: quota 64 → 128 GPUs');
    // The job was accepted with the default CPU and memory: 8 GPUs' share of a 224-core, 2 TiB server.
    const [job] = (await here.pool.query('SELECT j.name, j.status, j.workers, j.cpu_milli, j.memory_mib, t.name AS tenant FROM jobs j JOIN tenants t ON t.id = j.tenant_id')).rows;
    expect(job).toEqual({ name: 'llama-finetune', status: 'pending', workers: 2, cpu_milli: 224_000, memory_mib: 2_097_152, tenant: 'research' });
    // Metric names: the exporter's name resolved to the catalogue's.
    expect(result.stdout).toContain('DCGM_FI_DEV_POWER_USAGE');
    expect(result.stdout).toContain('"metric": "gpu_power_w"');
    // The inventory arrived on the new instance whole.
    const count = async (database: TestDatabase, table: string) => (await database.pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;
    expect(await count(newHost, 'devices')).toBe(await count(here, 'devices'));
    expect(await count(newHost, 'accelerators')).toBe(await count(here, 'accelerators'));
    // The dcgm-exporter target was registered.
    expect((await here.pool.query('SELECT url, dialect, interval_ms FROM scrape_targets')).rows).toContainEqual({ url: 'http://gpu-node-17:9400/metrics', dialect: 'dcgm', interval_ms: 10_000 });
  });

  it('exits 2 for wrong arguments, as the README states, and 1 when the server refuses', async () => {
    const [admin] = (await here.pool.query("SELECT id FROM users WHERE role = 'admin' ORDER BY id LIMIT 1")).rows;
    const { secret } = await createToken(here.db, { userId: admin.id, name: 'exit-codes', role: 'viewer', allZones: true, zoneIds: [], expiresAt: null, createdBy: null });
    const run = async (argv: string[]) => {
      const err = sink();
      const previous = process.env.PLENUM_TOKEN;
      process.env.PLENUM_TOKEN = secret;
      try {
        const code = await main([...argv, '--url', hereUrl], sink().stream, err.stream);
        return { code, err: err.text() };
      } finally {
        if (previous === undefined) delete process.env.PLENUM_TOKEN;
        else process.env.PLENUM_TOKEN = previous;
      }
    };
    const unknownKind = await run(['sim', 'fault', 'frobnicate', 'CRAH-A1']);
    expect(unknownKind.code).toBe(2);
    expect(unknownKind.err).toMatch(/^plenum: unknown fault kind 'frobnicate' \(one of gpu-xid, .*cooling-unit-failure.*\)/);
    expect((await run(['tenants', 'create', 'x', '--quota', 'many'])).code).toBe(2);
    expect((await run(['jobs', 'show', 'abc'])).code).toBe(2);
    // Well-formed, but a viewer's token may not create tenants: the server refuses, 1.
    const refused = await run(['tenants', 'create', 'x', '--quota', '8']);
    expect(refused.code).toBe(1);
    expect(refused.err.split('\n')).toHaveLength(2);
  });
});
