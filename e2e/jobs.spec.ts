import { expect, test } from '@playwright/test';

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
    await page.goto(trainingUrl);

    // Inference: 2 replicas of half a GPU.
    await page.goto('/jobs/new');
    await page.getByLabel('Kind').selectOption('inference');
    await page.getByLabel('Name').fill(`serve-${suffix}`);
    await page.getByLabel('Tenant').selectOption(tenant);
    await page.getByLabel('Replicas').fill('2');
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
