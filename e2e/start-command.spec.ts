import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';

/** Process ids whose command line mentions the folder: the embedded PostgreSQL and its children. */
function processesUsing(folder: string): string[] {
  const listing = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return listing.split('\n').filter((line) => line.includes(folder));
}

test('`npm start` boots to a healthy app and Ctrl-C leaves no process behind', async () => {
  test.setTimeout(240_000);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'plenum-smoke-'));
  const port = 3290;
  // Its own process group, so the SIGINT below reaches npm, tsx and node the way a terminal's Ctrl-C does.
  const child = spawn('npm', ['start'], {
    cwd: path.resolve(import.meta.dirname, '..'),
    env: { ...process.env, PORT: String(port), PLENUM_DATA_DIR: dataDir, DATABASE_URL: '', PLENUM_SEED: 'none' },
    detached: true,
    stdio: 'ignore',
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    await expect
      .poll(
        async () => {
          const response = await fetch(`http://127.0.0.1:${port}/api/health`).catch(() => undefined);
          return response ? ((await response.json()) as { status: string }).status : 'unreachable';
        },
        { timeout: 180_000, intervals: [1000] },
      )
      .toBe('ok');
    expect(processesUsing(dataDir).length).toBeGreaterThan(0);
    process.kill(-child.pid!, 'SIGINT');
    await exited;
    await expect.poll(() => processesUsing(dataDir), { timeout: 20_000 }).toEqual([]);
  } finally {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
});
