import { expect, test } from '@playwright/test';

// The demo seed's AMD rack (row A3 of Hall A): four MI300X servers beside the H100 racks, the last in CPX/NPS4, with
// live GPU power from the simulator's AMD Device Metrics Exporter endpoints.
test('the AMD MI300X rack shows its servers, their partition mode and live GPU power', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('link', { name: 'Amsterdam AI-1' }).click();
  await page.getByTestId('hall-link').first().click();
  await expect(page.getByRole('heading', { name: 'Hall A' })).toBeVisible();
  await page.getByTestId('hall-racks').getByRole('link', { name: 'A3-01' }).click();
  await expect(page.getByRole('heading', { name: 'Rack A3-01' })).toBeVisible();
  await expect(page.getByTestId('elevation-front').getByTestId('elevation-device')).toHaveCount(4);
  await expect(page.getByTestId('rack-load-figures')).toContainText(/40\.8 kW\s*nameplate/);

  await page.getByTestId('rack-devices').getByRole('link', { name: 'a3-01-mi300x4' }).click();
  await expect(page.getByRole('heading', { name: 'a3-01-mi300x4' })).toBeVisible();
  await expect(page.getByTestId('device-facts')).toContainText(/GPU partition mode\s*CPX\/NPS4/);
  const gpus = page.getByTestId('device-gpus');
  await expect(gpus.locator('tbody tr')).toHaveCount(8);
  await expect(gpus).toContainText('Instinct MI300X');
  await expect(gpus.getByTestId('gpu-partition')).toHaveText(Array(8).fill('CPX/NPS4 · 8 × 24 GiB'));

  // Live: the AMD exporter's power reaches the GPU power chart and moves.
  const power = page.getByTestId('gpu-power-chart');
  await expect.poll(async () => Number(await power.getAttribute('data-points')), { timeout: 60_000 }).toBeGreaterThan(1);
  const first = await power.getAttribute('data-latest');
  await expect.poll(async () => power.getAttribute('data-latest'), { timeout: 60_000 }).not.toBe(first);
  await expect.poll(async () => Number(await page.getByTestId('gpu-temp-chart').getAttribute('data-points')), { timeout: 30_000 }).toBeGreaterThan(0);

  // An SPX server of the same rack: one partition per GPU, all 192 GiB.
  await page.goBack();
  await page.getByTestId('rack-devices').getByRole('link', { name: 'a3-01-mi300x1' }).click();
  await expect(page.getByTestId('device-gpus').getByTestId('gpu-partition').first()).toHaveText('SPX/NPS1 · 1 × 192 GiB');
});
