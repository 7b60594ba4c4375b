import { expect, type Page, test } from '@playwright/test';

/** "23.4 kW" → 23400; a dash (no data) → NaN. */
function watts(text: string): number {
  const m = /^([\d.,]+)\s*(W|kW|MW)$/.exec(text.trim());
  if (!m) return Number.NaN;
  return Number(m[1]!.replace(/,/g, '')) * { W: 1, kW: 1e3, MW: 1e6 }[m[2] as 'W' | 'kW' | 'MW'];
}

/**
 * Measured power of every rack on the power dashboard, by rack id. Waits up to 30 s for every rack to have a reading
 * (right after start-up some may not yet); a rack still without one maps to NaN.
 */
async function rackMeasuredW(page: Page): Promise<Map<string, number>> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    await page.goto('/dashboards/power');
    const rows = page.getByTestId('power-rack-row');
    await expect(rows.first()).toBeVisible({ timeout: 30_000 });
    const out = new Map<string, number>();
    for (const row of await rows.all()) out.set((await row.getAttribute('data-rack-id'))!, watts((await row.getByTestId('rack-measured').textContent()) ?? ''));
    if ([...out.values()].every(Number.isFinite) || Date.now() > deadline) return out;
    await page.waitForTimeout(1_000);
  }
}

/**
 * The scheduler end to end on the demo data center: a tenant, a training gang and an inference service submitted in
 * the browser, placed by the background scheduler loop, then a GPU of the training job failed from the UI.
 * Signed in as the admin by the `setup` project (jobs need `operate`, tenants `admin`).
 */
test.describe('jobs: submit, place, fail a GPU', () => {
  test.describe.configure({ mode: 'serial' });
  const suffix = Date.now().toString(36);
  const tenant = `e2e-${suffix}`;

  test('submits a training job and an inference service, sees both placed, and requeues the training job when its GPU fails', async ({ page }) => {
    test.setTimeout(120_000);
    // A tenant, through the form (a bad quota first: the field says why).
    await page.goto('/tenants');
    await page.getByLabel('Name').fill(tenant);
    await page.getByLabel('GPU quota (GPUs)').fill('-1');
    await page.getByRole('button', { name: 'Add tenant' }).click();
    await expect(page.getByTestId('error-tenant-quota')).toContainText('must be 0 or more');
    await page.getByLabel('GPU quota (GPUs)').fill('64');
    await page.getByRole('button', { name: 'Add tenant' }).click();
    await expect(page.getByTestId(`tenant-${tenant}`)).toContainText('0 GPUs / 64 GPUs');

    // Rack power before anything of ours runs (the demo has no other jobs).
    const before = await rackMeasuredW(page);

    // Training: 2 workers × 4 GPUs under one leaf switch. An empty name is refused at its field first.
    await page.goto('/jobs/new');
    await page.getByLabel('Tenant').selectOption(tenant);
    await page.getByLabel('Workers').fill('2');
    await page.getByLabel('GPUs per worker').fill('4');
    await page.getByLabel('Topology').selectOption('leaf');
    await page.getByRole('button', { name: 'Submit job' }).click();
    await expect(page.getByTestId('error-name')).toContainText('is required');
    await page.getByLabel('Name').fill(`train-${suffix}`);
    await page.getByRole('button', { name: 'Submit job' }).click();
    await expect(page).toHaveURL(/\/jobs\/\d+$/);
    const trainingUrl = page.url();
    await expect(page.getByTestId('job-status').first()).toHaveText(/scheduled|running/, { timeout: 20_000 });
    await expect(page.getByTestId('placement-racks').getByTestId('job-gpu')).toHaveCount(8);
    await expect(page.getByTestId('job-power-now')).toHaveText('5.6 kW');

    // The simulator runs the placed job: the utilisation dashboard shows its 8 GPUs busy.
    await page.goto('/dashboards/utilisation');
    await page.getByRole('tab', { name: 'Job' }).click();
    await expect(page.getByTestId('util-row').filter({ hasText: `train-${suffix}` }).first()).toContainText('8 / 0 / 0', { timeout: 45_000 });

    // Its GPUs draw power (the job page measures them), and the racks it runs in draw more than before.
    await page.goto(trainingUrl);
    await expect.poll(async () => watts((await page.getByTestId('job-power-drawn').textContent()) ?? ''), { timeout: 30_000 }).toBeGreaterThan(3_000);
    await expect(page.getByTestId('job-power-reporting')).toHaveText('8 of 8 GPU allocations reporting');
    const racks = await page
      .getByTestId('placement-racks')
      .locator('figcaption a')
      .evaluateAll((links) => links.map((a) => a.getAttribute('href')!.replace(/^\/racks\//, '')));
    expect(racks.length).toBeGreaterThan(0);
    for (const rack of racks) expect(before.get(rack), `rack ${rack} had a measured power before the job`).toBeGreaterThan(0);
    await expect
      .poll(
        async () => {
          const now = await rackMeasuredW(page);
          return racks.reduce((rise, rack) => rise + (now.get(rack)! - before.get(rack)!), 0);
        },
        { timeout: 60_000, message: `measured power of racks ${racks.join(', ')} rises by more than 3 kW` },
      )
      .toBeGreaterThan(3_000);

    // Inference: 2 replicas of half a GPU.
    await page.goto('/jobs/new');
    await page.getByLabel('Kind').selectOption('inference');
    await page.getByLabel('Name').fill(`serve-${suffix}`);
    await page.getByLabel('Tenant').selectOption(tenant);
    await page.getByLabel('Replicas', { exact: true }).fill('2');
    await page.getByLabel('GPUs per replica').fill('1');
    await page.getByLabel('GPU share (%)').fill('50');
    await page.getByRole('button', { name: 'Submit job' }).click();
    await expect(page).toHaveURL(/\/jobs\/\d+$/);
    await expect(page.getByTestId('job-status').first()).toHaveText(/scheduled|running/, { timeout: 20_000 });
    await expect(page.getByTestId('job-allocations').locator('tbody tr')).toHaveCount(2);
    await expect(page.getByTestId('job-allocations')).toContainText('50 %');

    // Both appear in the queue's running section.
    await page.goto('/jobs');
    await expect(page.getByTestId('jobs-running')).toContainText(`train-${suffix}`);
    await expect(page.getByTestId('jobs-running')).toContainText(`serve-${suffix}`);

    // Fail one of the training job's GPUs from its page.
    await page.goto(trainingUrl);
    await expect(page.getByTestId('job-status').first()).toHaveText(/scheduled|running/);
    const failButton = page.getByRole('button', { name: /^Mark GPU GPU-.* failed$/ }).first();
    const label = (await failButton.getAttribute('aria-label'))!;
    const uuid = label.replace(/^Mark GPU /, '').replace(/ failed$/, '');
    await failButton.click();
    // Requeued with the reason (the loop re-places it within a second or two; the timeline keeps the reason).
    await expect(page.getByTestId('job-timeline')).toContainText(`requeued: GPU ${uuid} failed (injected from the UI)`, { timeout: 15_000 });
    await expect(page.getByTestId('job-timeline').getByTestId('job-status').filter({ hasText: 'pending' })).toHaveCount(2);
    // And placed again, on healthy GPUs only.
    await expect(page.getByTestId('job-status').first()).toHaveText(/scheduled|running/, { timeout: 20_000 });
    await expect(page.getByTestId('job-allocations')).not.toContainText(uuid);
    await expect(page.getByTestId('job-allocations').locator('tbody tr')).toHaveCount(8);
  });
});
