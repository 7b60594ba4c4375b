import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bootDatabase } from '../src/server/boot';
import { loadConfig } from '../src/server/config';
import pg from 'pg';
import { PASSWORD_FILE, startEmbeddedPostgres } from '../src/server/db/embedded';

const ROOT = path.resolve(import.meta.dirname, '..');

function runStart(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the start command refuses bad set-ups with one clear line', () => {
  const folders: string[] = [];
  afterAll(async () => {
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  it('a bad DATABASE_URL', async () => {
    const result = await runStart({ DATABASE_URL: 'postgresql://plenum@127.0.0.1:1/plenum' });
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^plenum: cannot use database postgresql:\/\/plenum@127\.0\.0\.1:1\/plenum: connection refused/);
  });

  it('a DATABASE_URL that is not a postgres URL', async () => {
    const result = await runStart({ DATABASE_URL: 'mysql://x@y/z' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('plenum: DATABASE_URL: must be a postgres:// or postgresql:// URL');
  });

  it('a second instance on the same embedded data folder', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'plenum-dup-'));
    folders.push(dataDir);
    const first = await startEmbeddedPostgres(dataDir);
    try {
      const result = await runStart({ PLENUM_DATA_DIR: dataDir });
      expect(result.code).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`the data folder ${dataDir} is already in use by another Plenum instance`);
    } finally {
      await first.stop();
    }
  });

  it('keeps the data across a restart of the embedded database', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'plenum-restart-'));
    folders.push(dataDir);
    const config = loadConfig({ PLENUM_DATA_DIR: dataDir, PLENUM_SEED: 'demo' });
    const first = await bootDatabase(config);
    await first.pool.query(`UPDATE sites SET name = 'Renamed before restart'`);
    const gpusBefore = (await first.pool.query('SELECT count(*)::int AS n FROM accelerators')).rows[0].n;
    await first.close();
    const second = await bootDatabase(config);
    const site = await second.pool.query('SELECT name FROM sites');
    const gpusAfter = (await second.pool.query('SELECT count(*)::int AS n FROM accelerators')).rows[0].n;
    await second.close();
    expect(site.rows.map((r) => r.name)).toEqual(['Renamed before restart']);
    expect(gpusAfter).toBe(gpusBefore);
  });

  it('gives the embedded PostgreSQL a random password in a 0600 file and runs the server as the least-privilege role', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'plenum-roles-'));
    folders.push(dataDir);
    const booted = await bootDatabase(loadConfig({ PLENUM_DATA_DIR: dataDir, PLENUM_SEED: 'none' }));
    try {
      const file = path.join(dataDir, PASSWORD_FILE);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const password = (await readFile(file, 'utf8')).trim();
      expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(booted.role).toEqual({ name: 'plenum_app', leastPrivilege: true });
      expect(new URL(booted.url).username).toBe('plenum_app');
      await expect(booted.pool.query('SET session_replication_role = replica')).rejects.toMatchObject({ code: '42501' });
      await expect(booted.pool.query('ALTER TABLE audit_log DISABLE TRIGGER ALL')).rejects.toMatchObject({ code: '42501' });
      // The old fixed password no longer opens it; the saved one does; nothing listens on a Unix socket.
      const port = new URL(booted.url).port;
      await expect(new pg.Client({ connectionString: `postgresql://postgres:plenum-local@127.0.0.1:${port}/plenum` }).connect()).rejects.toMatchObject({ code: '28P01' });
      const owner = new pg.Client({ connectionString: `postgresql://postgres:${password}@127.0.0.1:${port}/plenum` });
      await owner.connect();
      const settings = await owner.query<{ listen: string; sockets: string }>("SELECT current_setting('listen_addresses') AS listen, current_setting('unix_socket_directories') AS sockets");
      await owner.end();
      expect(settings.rows[0]).toEqual({ listen: '127.0.0.1', sockets: '' });
    } finally {
      await booted.close();
    }
  });
});
