import { expect, type Locator, test } from '@playwright/test';

/**
 * Operator dashboards on the demo seed with the live simulator (playwright.config.ts: ×30 time, 2 s scrapes): each page
 * renders seeded data, and its live stamp (the server time of the last SSE update) changes within a few seconds.
 */
test.setTimeout(120_000);

async function expectLive(stamp: Locator) {
  await expect(stamp).toHaveAttribute('data-at', /^\d+$/, { timeout: 30_000 });
  const first = await stamp.getAttribute('data-at');
  await expect.poll(async () => stamp.getAttribute('data-at'), { timeout: 20_000 }).not.toBe(first);
}

test('overview: live tiles with units, trends, and the sites list', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('site-name')).toContainText('Amsterdam AI-1');
  await expectLive(page.getByTestId('dash-updated'));
  await expect(page.getByTestId('tile-it-load-value')).toHaveText(/\d.* (kW|MW)$/, { timeout: 30_000 });
  await expect(page.getByTestId('tile-facility-load-value')).toHaveText(/\d.* (kW|MW)$/);
  await expect(page.getByTestId('tile-pue-value')).toHaveText(/^1\.\d\d$/);
  await expect(page.getByTestId('tile-gpus-value')).toHaveText(/^[\d,]+ \/ [\d,]+$/);
  await expect(page.getByTestId('tile-gpu-util-value')).toHaveText(/ %$/);
  await expect(page.getByTestId('tile-jobs-value')).toContainText('running');
  await expect(page.getByTestId('tile-alerts-value')).toContainText('firing');
  await expect(page.getByTestId('tile-it-load')).toHaveAttribute('href', '/dashboards/power');
  // Live versus planned: the tiles say their figures are measured; the halls table that its load is the design figure.
  await expect(page.getByTestId('tile-it-load')).toContainText('measured');
  await expect(page.getByTestId('tile-facility-load')).toContainText('measured');
  await expect(page.getByTestId('tile-it-load-value').locator('[data-basis="measured"]')).toBeVisible();
  await expect.poll(async () => Number(await page.getByTestId('trend-power').getAttribute('data-points')), { timeout: 30_000 }).toBeGreaterThan(0);
  await page.getByTestId('time-range').getByRole('button', { name: '24 h' }).click();
  await expect(page.getByTestId('site-trends')).toContainText(/rollups|raw samples/);
});

test('power: every level of the chain with budget, allocated and measured', async ({ page }) => {
  await page.goto('/dashboards/power');
  await expectLive(page.getByTestId('dash-updated'));
  const levels = page.getByTestId('power-levels');
  for (const kind of ['utility-feed', 'ups', 'pdu', 'rack-pdu']) await expect(levels.locator(`[data-kind="${kind}"]`).first()).toBeVisible();
  await expect(levels).toContainText('UPS A');
  await expect(levels).toContainText('UPS B');
  await expect(page.getByTestId('power-live-redundancy')).toContainText(/redundancy/i);
  // Measured load reaches the rack PDUs and the servers once the simulator's readings are in.
  await expect(page.getByTestId('power-servers')).toContainText(/host meter|share of rack PDUs/, { timeout: 30_000 });
  await expect(page.getByTestId('power-racks-table')).toContainText('kW');
  // Every figure names its basis, in one order: measured, allocated, nameplate, then the limit.
  const rackHeaders = page.getByTestId('power-racks-table').locator('thead [data-basis]');
  await expect(rackHeaders).toHaveText(['measured', 'allocated', 'nameplate', 'budget']);
  await expect(levels.locator('thead [data-basis]')).toHaveText(['measured', 'allocated', 'nameplate', 'capacity']);
  await expect(page.getByTestId('power-racks-table').locator('tbody [data-basis="measured"]').first()).toContainText(/\d.* (W|kW)/);
  await expect(page.getByTestId('trend-energy')).toBeVisible();
});

test('thermal: inlet heatmap with ASHRAE bands, cooling units and GPU temperature histogram', async ({ page }) => {
  await page.goto('/dashboards/thermal');
  await expectLive(page.getByTestId('thermal-updated'));
  const racks = page.getByTestId('thermal-rack');
  await expect(racks.first()).toBeVisible();
  await expect(racks.filter({ has: page.locator('xpath=self::*[@data-band="recommended" or @data-band="allowable" or @data-band="outside"]') }).first()).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('cooling-unit-row').first()).toContainText('°C');
  // Heat removed is measured; the unit's capacity is the limit.
  await expect(page.getByTestId('cooling-unit-row').first().locator('[data-basis="measured"]')).toContainText('measured');
  await expect(page.getByTestId('cooling-unit-row').first().locator('[data-basis="capacity"]')).toContainText('capacity');
  await expect.poll(async () => Number(await page.getByTestId('thermal-gpu-histogram').locator('figure').getAttribute('data-reporting')), { timeout: 30_000 }).toBeGreaterThan(0);
  await expect(page.getByTestId('thermal-gpu-histogram').locator('.recharts-bar-rectangle').first()).toBeVisible();
});

test('utilisation: by hall, rack, tenant and job', async ({ page }) => {
  await page.goto('/dashboards/utilisation');
  await expectLive(page.getByTestId('dash-updated'));
  await expect(page.getByTestId('util-avg-value')).toHaveText(/ %$/, { timeout: 30_000 });
  await expect(page.getByTestId('util-groups').getByTestId('util-row').first()).toContainText('Hall A');
  await page.getByRole('tab', { name: 'Rack' }).click();
  await expect(page.getByTestId('util-groups').getByTestId('util-row').first()).toContainText(/GiB|B/);
  await page.getByRole('tab', { name: 'Job' }).click();
  await expect(page.getByTestId('util-groups')).toBeVisible();
});

test('drill-down: rack live power and temperatures, device GPU charts', async ({ page }) => {
  await page.goto('/racks');
  await page.getByRole('link', { name: 'A1-01' }).first().click();
  await expect(page.getByRole('heading', { name: 'Rack A1-01' })).toBeVisible();
  const pdu = page.getByTestId('rack-pdu-power-chart');
  await expect.poll(async () => Number(await pdu.getAttribute('data-points')), { timeout: 60_000 }).toBeGreaterThan(1);
  const first = await pdu.getAttribute('data-latest');
  await expect.poll(async () => pdu.getAttribute('data-latest'), { timeout: 30_000 }).not.toBe(first);
  await expect.poll(async () => Number(await page.getByTestId('rack-inlet-chart').getAttribute('data-points')), { timeout: 30_000 }).toBeGreaterThan(0);
  await page.getByTestId('rack-devices').getByRole('link', { name: 'a1-01-gpu1' }).click();
  for (const id of ['gpu-power-chart', 'gpu-temp-chart', 'gpu-util-chart', 'gpu-memory-chart', 'gpu-clock-chart']) {
    await expect.poll(async () => Number(await page.getByTestId(id).getAttribute('data-points')), { timeout: 30_000 }).toBeGreaterThan(0);
  }
});
