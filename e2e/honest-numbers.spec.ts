import { expect, type Page, test } from '@playwright/test';

/**
 * Numbers that add up, on the demo seed with the live simulator and no job running: busy GPUs are the simulator's
 * background load, so all of them read "unmanaged"; the facility load splits into the utility feeds and "unmetered /
 * losses"; the network rack's switches read measured through its rack PDUs; stranded space and ports on /capacity.
 */
test.setTimeout(120_000);

const BUSY = /^GPUs (\d+) busy: (\d+) by Plenum jobs(?:, (\d+) by external jobs)?, (\d+) unmanaged$/;

async function busyParts(page: Page, testId: string): Promise<number[]> {
  const locator = page.getByTestId(testId);
  await expect(locator).toHaveText(BUSY, { timeout: 45_000 });
  // The simulator's background load makes some GPUs busy once the first scrapes land.
  await expect.poll(async () => Number(BUSY.exec((await locator.textContent()) ?? '')?.[1] ?? 0), { timeout: 45_000 }).toBeGreaterThan(0);
  const [, busy, plenum, external, unmanaged] = BUSY.exec((await locator.textContent()) ?? '')!;
  return [Number(busy), Number(plenum), Number(external ?? 0), Number(unmanaged)];
}

test('busy GPUs with no job running read unmanaged, on the overview and the utilisation dashboard', async ({ page }) => {
  await page.goto('/');
  const [busy, plenum, external, unmanaged] = await busyParts(page, 'overview-busy-by');
  expect(plenum + external + unmanaged).toBe(busy);
  // The demo seed runs no job: whatever is busy is the simulator's background load, which no job holds.
  await expect(page.getByTestId('tile-jobs-value')).toHaveText('0 running');
  expect(plenum).toBe(0);
  expect(external).toBe(0);
  expect(unmanaged).toBe(busy);
  await page.goto('/dashboards/utilisation');
  const site = await busyParts(page, 'util-busy-by-site');
  expect(site[1]! + site[2]! + site[3]!).toBe(site[0]);
  await expect(page.getByTestId('util-groups')).toContainText('unmanaged');
});

test('the facility load reconciles with the utility meters: the gap shows as unmetered / losses', async ({ page }) => {
  for (const path of ['/dashboards/power', '/power']) {
    await page.goto(path);
    const r = page.getByTestId('facility-reconciliation');
    await expect(r).toContainText('unmetered / losses', { timeout: 45_000 });
    await expect(r.getByTestId('reconciliation-meters')).toHaveText(/\d.* (kW|MW) measured$/, { timeout: 45_000 });
    await expect(r.getByTestId('reconciliation-facility')).toHaveText(/\d.* (kW|MW) measured$/);
    await expect(r.getByTestId('reconciliation-unmetered')).toHaveText(/\d.* (W|kW|MW)$/);
    await expect(r.locator('[data-basis="measured"]').first()).toBeVisible();
  }
});

test('the network rack reads measured: its switches draw through its rack PDUs', async ({ page }) => {
  await page.goto('/dashboards/power');
  const row = page.getByTestId('power-rack-row').filter({ hasText: 'A1-NET' });
  // Four spines and two leaves of ~1.1 kW, a storage leaf and a DBox: several kW, never "0 W".
  await expect(row.getByTestId('rack-measured')).toHaveText(/^\d+(\.\d+)? kW$/, { timeout: 45_000 });
});

test('capacity: stranded space and switch ports behind racks that cannot power the smallest server', async ({ page }) => {
  await page.goto('/capacity');
  // 16 Hall A GPU racks × 24 U, A1-NET's 29 U, the AMD rack's 18 U and B1-NET's 31 U sit behind less than the 10.2 kW
  // of the smallest air-cooled server (XE9680); liquid-cooled racks are measured against the TPU v5p host (2.0 kW).
  await expect(page.getByTestId('stranded-space')).toHaveText('462 U');
  await expect(page.getByTestId('stranded-ports')).toHaveText(/^\d+ × 800G, \d+ × 400G switch ports$/);
  await expect(page.getByTestId('stranded-outlets')).toHaveText(/^[1-9]\d* PDU outlets$/);
  await expect(page.getByTestId('strand-thresholds')).toHaveText(/air-cooled racks: 10\.2 kW/);
  await expect(page.getByTestId('strand-thresholds')).toHaveText(/liquid-cooled racks: 2(\.00?)? kW/);
});
