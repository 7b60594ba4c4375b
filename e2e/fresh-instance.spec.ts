import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';

/**
 * A second Plenum started the way a new site starts one: `npm start` with PLENUM_SEED=none (no plant, no tenants) and
 * its first admin and API token from the environment. What a new operator meets there, and the move of the demo
 * inventory into it with `plenum inventory import`, which the running simulator picks up without a restart.
 */
const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..');
const ADMIN = { user: 'fresh-admin', password: 'fresh admin password 123', token: `plnm_${'f'.repeat(43)}` };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

test.describe('a fresh instance (PLENUM_SEED=none)', () => {
  test.describe.configure({ timeout: 420_000 });
  let dataDir = '';
  let child: ReturnType<typeof spawn> | undefined;
  let freshUrl = '';

  test.beforeAll(async () => {
    test.setTimeout(240_000);
    // Made here, not when the file is loaded: Playwright loads spec files in more than one process.
    dataDir = mkdtempSync(path.join(tmpdir(), 'plenum-fresh-'));
    const port = await freePort();
    freshUrl = `http://127.0.0.1:${port}`;
    // Its own process group, so the whole instance (npm, node, the embedded PostgreSQL) stops with one signal.
    child = spawn('npm', ['start'], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        PLENUM_DATA_DIR: dataDir,
        DATABASE_URL: '',
        PLENUM_SEED: 'none',
        PLENUM_ADMIN_USER: ADMIN.user,
        PLENUM_ADMIN_PASSWORD: ADMIN.password,
        PLENUM_ADMIN_TOKEN: ADMIN.token,
        PLENUM_SCRAPE_INTERVAL_MS: '2000',
      },
      detached: true,
      stdio: 'ignore',
    });
    await expect
      .poll(async () => ((await fetch(`${freshUrl}/api/health`).catch(() => undefined))?.status ?? 0), { timeout: 200_000, intervals: [1000] })
      .toBe(200);
  });

  test.afterAll(async () => {
    if (child?.pid) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      try {
        process.kill(-child.pid, 'SIGINT');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20_000))]);
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('/jobs/new without tenants says why and links to creating one', async ({ browser }) => {
    const context = await browser.newContext({ baseURL: freshUrl, storageState: { cookies: [], origins: [] } });
    const page = await context.newPage();
    await page.goto('/login');
    await page.getByLabel('Username').fill(ADMIN.user);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByTestId('signed-in-user')).toHaveText(ADMIN.user);

    await page.goto('/jobs/new');
    const guidance = page.getByTestId('no-tenants');
    await expect(guidance).toContainText('There are no tenants yet');
    await expect(guidance).toContainText('npx plenum tenants create');
    await expect(page.getByRole('form', { name: 'Submit job' })).toHaveCount(0);
    await guidance.getByRole('link', { name: 'Create a tenant' }).click();
    await expect(page).toHaveURL(/\/tenants$/);
    await expect(page.getByRole('button', { name: 'Add tenant' })).toBeVisible();
    await context.close();
  });

  test('`plenum inventory import` fills it, and the running simulator models the new hosts without a restart', async ({ baseURL }) => {
    // The demo inventory of the suite's main server, exported with the CLI.
    const plant = path.join(dataDir, 'plant.json');
    await run(process.execPath, ['bin/plenum.mjs', 'inventory', 'export', '--out', plant], { cwd: ROOT, env: { ...process.env, PLENUM_URL: baseURL } });
    const freshEnv = { ...process.env, PLENUM_URL: freshUrl, PLENUM_TOKEN: ADMIN.token };
    const simulatorDetail = async () => {
      const { stdout } = await run(process.execPath, ['bin/plenum.mjs', 'health', '--json'], { cwd: ROOT, env: freshEnv });
      return (JSON.parse(stdout) as { workers: { name: string; detail: string }[] }).workers.find((w) => w.name === 'simulator')?.detail ?? '';
    };
    await expect.poll(simulatorDetail, { timeout: 30_000 }).toMatch(/ 0 hosts/);

    const imported = await run(process.execPath, ['bin/plenum.mjs', 'inventory', 'import', plant], { cwd: ROOT, env: freshEnv });
    expect(imported.stdout).toMatch(/imported/i);
    await expect.poll(simulatorDetail, { timeout: 30_000 }).toMatch(/ [1-9]\d* hosts/);

    // An imported GPU's power, scraped from the simulator and mapped to the GPU by the ingest.
    const power = async () => {
      const { stdout } = await run(process.execPath, ['bin/plenum.mjs', 'telemetry', 'query', '--metric', 'gpu_power_w', '--entity', 'a1-01-gpu1', '--since', '5m', '--json'], { cwd: ROOT, env: freshEnv });
      return (JSON.parse(stdout) as { series: { points: unknown[] }[] }).series.filter((series) => series.points.length > 0).length;
    };
    await expect.poll(power, { timeout: 120_000, intervals: [2000] }).toBe(8);
    writeFileSync(plant, ''); // the export holds the whole plant: do not leave it in the data folder
  });
});
