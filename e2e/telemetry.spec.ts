import { expect, test } from '@playwright/test';

/**
 * Live telemetry in the browser: a GPU host's power chart fills and moves; a cooling failure in hall A (three of its
 * four CRAHs, injected through the tRPC API as the CLI does) fires alerts on /alerts; clearing it resolves them.
 * Runs with the scrape interval and time acceleration set in playwright.config.ts.
 */
test.setTimeout(240_000);

async function trpc(request: import('@playwright/test').APIRequestContext, path: string, input: unknown) {
  const response = await request.post(`/api/trpc/${path}`, { data: { json: input }, headers: { 'content-type': 'application/json', 'x-plenum-csrf': '1' } });
  expect(response.ok(), await response.text()).toBe(true);
  return (await response.json()).result.data.json;
}

test('a GPU power chart moves, a cooling failure fires and resolves alerts', async ({ page, request }) => {
  await page.goto('/devices');
  await page.getByRole('link', { name: 'a1-01-gpu1' }).first().click();
  const chart = page.getByTestId('gpu-power-chart');
  await expect(chart).toBeVisible();
  await expect.poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 60_000 }).toBeGreaterThan(2);
  const first = await chart.getAttribute('data-latest');
  await expect.poll(async () => chart.getAttribute('data-latest'), { timeout: 60_000 }).not.toBe(first);

  // One failure injected from the Telemetry page, two more through the API (as the CLI does).
  await page.goto('/telemetry');
  const sim = page.getByTestId('sim-faults');
  await sim.getByLabel('Fault', { exact: true }).selectOption('cooling-unit-failure');
  await sim.getByLabel('Target', { exact: true }).fill('CRAH A-1');
  await sim.getByRole('button', { name: 'Inject' }).click();
  await expect(sim.getByTestId('active-faults')).toContainText('CRAH A-1');
  const faults = [];
  for (const unit of ['CRAH A-2', 'CRAH A-3']) faults.push(await trpc(request, 'simulator.inject', { kind: 'cooling-unit-failure', target: unit }));
  await page.goto('/alerts');
  const open = page.getByTestId('alerts-open');
  await expect(open.locator('[data-rule="Cooling unit failed"]')).toHaveCount(3, { timeout: 60_000 });
  // The rack inlets of hall A warm past the ASHRAE recommended limit: grouped under the failure that explains them.
  await expect(open.locator('[data-rule="Rack inlet above 27 °C"]').first()).toBeVisible({ timeout: 120_000 });
  const rows = open.getByTestId('alert-row');
  // Triage order: the critical cooling failures lead (the oldest first: each CRAH is polled over Modbus on its own
  // schedule, so which failure was seen first is not fixed), the inlet alerts of the racks it serves under it.
  await expect(rows.first()).toHaveAttribute('data-rule', 'Cooling unit failed');
  await expect(rows.first()).toContainText(/explains \d+ alert/);
  await expect(rows.nth(1)).toHaveAttribute('data-rule', 'Rack inlet above 27 °C');
  const leading = await rows.first().getAttribute('data-entity');
  expect(leading).toMatch(/^CRAH A-[123]$/);

  // Bulk acknowledge: selecting the failure selects its group; one note for all of them.
  await rows.first().getByRole('checkbox').check();
  await expect(page.getByTestId('alerts-selected')).not.toHaveText('1 selected');
  await page.getByLabel('Note').fill(`${leading} down, vendor called`);
  await page.getByRole('button', { name: 'Acknowledge selected' }).click();
  await expect(rows.first()).toContainText('acknowledged');
  await expect(rows.first()).toContainText(`${leading} down, vendor called`);
  await expect(rows.nth(1)).toContainText('acknowledged');

  for (const f of faults) await trpc(request, 'simulator.clear', { id: f.id });
  await page.goto('/telemetry');
  await page.getByTestId('active-faults').locator('li', { hasText: 'CRAH A-1' }).getByRole('button', { name: 'Clear' }).click();
  await page.goto('/alerts');
  await expect(page.getByTestId('alerts-resolved').locator('[data-rule="Cooling unit failed"]')).toHaveCount(3, { timeout: 60_000 });
});
