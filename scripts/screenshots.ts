/**
 * The README's screenshots: the main pages of a running Plenum (the demo seed) at 1440 and 1024 px, written to
 * docs/screenshots/<page>-<width>.png. Not part of any test run, so CI never rewrites docs.
 *
 *   npm start                        # with PLENUM_ADMIN_USER / PLENUM_ADMIN_PASSWORD / PLENUM_ADMIN_TOKEN set
 *   PLENUM_URL=http://127.0.0.1:3000 PLENUM_USER=… PLENUM_PASSWORD=… PLENUM_TOKEN=… npm run screenshots
 *
 * It submits one training job for the `research` tenant (so the job and utilisation pages have something to show).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { createClient } from '../src/cli/client';

const OUT = path.join(import.meta.dirname, '..', 'docs', 'screenshots');
const WIDTHS = [1440, 1024] as const;
/** Generous: on a loaded 2-core machine a dashboard's first live update can take a while. */
const WAIT_MS = 120_000;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (see the comment at the top of scripts/screenshots.ts)`);
  return value;
}

async function until(check: () => Promise<boolean>, what: string) {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Waits until a page's live data is in: no loading skeletons, no "…" tile values, every chart with points. */
async function settle(page: Page, url: string) {
  await until(async () => (await page.locator('[aria-busy="true"]').count()) === 0, `${url}: loading placeholders`);
  await until(async () => !(await page.locator('[data-testid$="-value"]').allTextContents()).some((t) => t.includes('…')), `${url}: tile values`);
  for (const chart of await page.locator('figure[data-points]').all()) await until(async () => Number(await chart.getAttribute('data-points')) > 0, `${url}: chart points`);
  await page.waitForTimeout(1_500);
}

async function main() {
  const url = process.env.PLENUM_URL ?? 'http://127.0.0.1:3000';
  const api = createClient({ url, token: required('PLENUM_TOKEN') });
  const job = await api.jobs.submit.mutate({ name: 'llm-pretrain-demo', kind: 'training', tenant: 'research', workers: 2, gpusPerWorker: 8 });
  await until(async () => (await api.jobs.get.query({ id: job.id })).job.status === 'running', `job ${job.id} to run`);

  const browser = await chromium.launch({ executablePath: process.env.PLENUM_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.setDefaultTimeout(WAIT_MS);
    await page.goto(`${url}/login`);
    await page.getByLabel('Username').fill(required('PLENUM_USER'));
    await page.getByLabel('Password').fill(required('PLENUM_PASSWORD'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('signed-in-user').waitFor();

    await page.goto(url);
    const hallHref = await page.locator('a[href^="/halls/"]').first().getAttribute('href');
    await page.goto(`${url}${hallHref}`);
    const rackHref = await page.getByTestId('floor-rack').first().getAttribute('href');
    const pages: [string, string][] = [
      ['overview', '/'],
      ['livepower', '/dashboards/power'],
      ['thermal', '/dashboards/thermal'],
      ['utilisation', '/dashboards/utilisation'],
      ['hall', hallHref!],
      ['rack', rackHref!],
      ['power', '/power'],
      ['cooling', '/cooling'],
      ['capacity', '/capacity'],
      ['jobs', '/jobs'],
      ['job', `/jobs/${job.id}`],
      ['topology', '/topology'],
    ];
    mkdirSync(OUT, { recursive: true });
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      for (const [name, href] of pages) {
        await page.goto(`${url}${href}`);
        await settle(page, href);
        const file = path.join(OUT, `${name}-${width}.png`);
        await page.screenshot({ path: file, fullPage: true });
        console.log(`wrote ${path.relative(process.cwd(), file)}`);
      }
    }
  } finally {
    await browser.close();
    await api.jobs.cancel.mutate({ id: job.id, reason: 'screenshots taken' }).catch(() => undefined);
  }
}

main().catch((error: unknown) => {
  console.error(`screenshots: ${(error as Error).message}`);
  process.exit(1);
});
