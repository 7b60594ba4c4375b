import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';

/**
 * The xl site (PLENUM_SEED=xl: 100,800 GPUs in five halls) opens in Chromium: the overview, the largest hall's floor
 * plan, the thermal heatmap and the topology. Its own `npm start` (own data folder and port, the build the suite's server made),
 * without the simulator: CI time goes to seeding and the pages, not to 12,600 scrape targets.
 *
 * Driven from the keyboard, as an operator may: a mouse click first waits for its target to hold still over two
 * animation frames, and once in CI a Find click waited there for ten minutes (the rest of the test's time) just after
 * filling the field beside it, which needs no frame, had worked.
 */
const port = 3292;
const origin = `http://127.0.0.1:${port}`;
const user = 'xl-admin';
const password = 'xl admin password 123';
const token = `plnm_${'x'.repeat(43)}`;

test.use({ storageState: { cookies: [], origins: [] }, baseURL: origin });

/** The xl server of the running test, stopped (and its output printed when the test failed) after it. */
let server: { child: ChildProcess; exited: Promise<unknown>; dataDir: string; log: string } | undefined;

// In a hook rather than a `finally`: a test that times out is torn down without finishing its own code. (`page` is
// named only because a hook must destructure its fixtures.)
test.afterEach(async ({ page: _page }, testInfo) => {
  if (!server) return;
  const { child, exited, dataDir, log } = server;
  server = undefined;
  try {
    process.kill(-child.pid!, 'SIGINT');
  } catch {
    // already gone
  }
  await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
  rmSync(dataDir, { recursive: true, force: true });
  if (testInfo.status !== testInfo.expectedStatus) {
    console.log(`[xl-site] the xl server's output, last 60 lines:\n${readFileSync(log, 'utf8').split('\n').slice(-60).join('\n')}`);
  }
});

test('xl site: overview, a hall floor plan, the thermal heatmap and the topology', async ({ page }, testInfo) => {
  test.setTimeout(720_000);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'plenum-xl-'));
  const log = testInfo.outputPath('xl-server.log');
  const logFd = openSync(log, 'w');
  const child = spawn('npm', ['start'], {
    cwd: path.resolve(import.meta.dirname, '..'),
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      PLENUM_DATA_DIR: dataDir,
      DATABASE_URL: '',
      PLENUM_SEED: 'xl',
      PLENUM_SIMULATOR: 'off',
      PLENUM_ADMIN_USER: user,
      PLENUM_ADMIN_PASSWORD: password,
      PLENUM_ADMIN_TOKEN: token,
      NEXT_TELEMETRY_DISABLED: '1',
    },
    detached: true,
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  server = { child, exited: new Promise((resolve) => child.on('exit', resolve)), dataDir, log };
  // Where the time goes on a slow machine: each stage's elapsed seconds in the run's log.
  const startedMs = Date.now();
  const mark = (stage: string) => console.log(`[xl-site] ${stage} after ${((Date.now() - startedMs) / 1000).toFixed(1)} s`);
  await expect
    .poll(async () => (await fetch(`${origin}/api/health`).catch(() => undefined))?.status ?? 0, { timeout: 360_000, intervals: [2000] })
    .toBeGreaterThan(0);
  mark('server up');
  await page.goto('/');
  await expect(page).toHaveURL(/\/login/);
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByLabel('Password').press('Enter');
  // Generous: the server has just seeded 100,800 GPUs and signs in with scrypt on a busy CI machine.
  await expect(page.getByTestId('signed-in-user')).toHaveText(user, { timeout: 60_000 });
  mark('signed in');

  // Overview: every GPU of the site counted. The first answer waits for the workers' start-up work at this size
  // (the scheduler's first snapshot of 100,800 GPUs, the first plant analysis) on a shared 2-core machine.
  await expect(page.getByTestId('tile-gpus-value')).toHaveText(/^[\d,]+ \/ 100,800$/, { timeout: 240_000 });
  mark('overview counted');

  // The largest hall (Hall A: 600 HGX racks and 30 network racks) on its floor plan.
  const response = await fetch(`${origin}/api/trpc/sites.listWithHalls`, { headers: { authorization: `Bearer ${token}` } });
  const sites = (await response.json()) as { result: { data: { json: { halls: { id: number; name: string }[] }[] } } };
  const halls = sites.result.data.json.flatMap((s) => s.halls);
  expect(halls.map((h) => h.name)).toEqual(['Hall A', 'Hall B', 'Hall C', 'Hall D', 'Hall E']);
  await page.goto(`/halls/${halls[0]!.id}`);
  await expect(page.getByRole('heading', { name: 'Hall A' })).toBeVisible({ timeout: 120_000 });
  await expect(page.getByText('· 630 racks')).toBeVisible();
  mark('hall floor plan');
  // Its rack table is paged on the server: 50 racks a page, with the count, and the next page from the keyboard.
  const rackPages = page.getByRole('navigation', { name: 'Racks pages' });
  await expect(rackPages).toContainText('Racks 1–50 of 630', { timeout: 60_000 });
  await expect(page.getByTestId('hall-racks').locator('tbody tr')).toHaveCount(50);
  await rackPages.getByRole('button', { name: 'Next' }).focus();
  await page.keyboard.press('Enter');
  await expect(rackPages).toContainText('Racks 51–100 of 630');
  await expect(page.getByTestId('hall-racks').locator('tbody tr')).toHaveCount(50);
  mark('rack pages');

  // The thermal heatmap of a liquid-cooled hall.
  await page.goto(`/dashboards/thermal?hall=${halls[1]!.id}`);
  await expect(page.getByTestId('thermal-floor')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('thermal-rack')).toHaveCount(338);
  mark('thermal heatmap');

  // Topology at xl size: the site opens as a bounded set of nodes (never the whole inventory), a hall opens into its
  // rows and a search opens the path to one rack PDU; the fabric's site scope is bounded too.
  await page.goto('/topology');
  const power = page.getByTestId('topology-power');
  await expect(power.getByTestId('topology-summary')).toContainText('of at most 120 nodes shown', { timeout: 120_000 });
  mark('topology site');
  await power.getByTestId('topology-canvas').getByRole('button', { name: 'Open Hall C' }).press('Enter');
  await expect(power.getByTestId('topology-canvas').getByRole('button', { name: /^Open Row / }).first()).toBeVisible({ timeout: 60_000 });
  expect(await power.getByTestId('topology-canvas').locator('[data-node-id]').count()).toBeLessThanOrEqual(120);
  mark('topology hall');
  await page.getByLabel('Find a node').fill('E38-04');
  await page.getByLabel('Find a node').press('Enter');
  await expect(power.getByTestId('topology-canvas').locator('[data-focused="true"]')).toHaveAttribute('aria-label', /E38-04/, { timeout: 60_000 });
  mark('topology find');
  await page.getByRole('tab', { name: 'Network fabric' }).press('Enter');
  const network = page.getByTestId('topology-network');
  await expect(network.getByTestId('topology-canvas').locator('[data-node-id]').first()).toBeVisible({ timeout: 120_000 });
  expect(await network.getByTestId('topology-canvas').locator('[data-node-id]').count()).toBeLessThanOrEqual(120);
  mark('topology fabric');
});
