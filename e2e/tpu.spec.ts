import { expect, test } from '@playwright/test';

/**
 * TPU slices end to end on the demo data center (Hall T: a v5p pod of two 4×4×4 cubes in racks T1-01 and T1-02, and a
 * v5e 8×8 pod in T1-03): a 2×2×4 slice job submitted in the browser, placed by the background scheduler loop, then
 * seen on its pod's torus drawing and on the hall's floor plan beside the racks. Signed in as the admin by `setup`.
 */
test.describe('TPU slices: submit, place, draw', () => {
  test('submits a v5p 2×2×4 slice job and sees it drawn on the pod and the hall', async ({ page }) => {
    test.setTimeout(120_000);
    const name = `tpu-${Date.now().toString(36)}`;
    await page.goto('/jobs/new');
    await page.getByLabel('Name').fill(name);
    await page.getByLabel('Tenant').selectOption('research');
    await page.getByLabel('Accelerator').selectOption('tpu-v5p');
    // A shape that is neither inside one cube nor whole cubes is refused at its field.
    await page.getByLabel('Slice shape (chips)').fill('2x4x8');
    await page.getByRole('button', { name: 'Submit job' }).click();
    await expect(page.getByTestId('error-tpuShape')).toContainText('multiple of 4');
    await page.getByLabel('Slice shape (chips)').fill('2x2x4');
    await page.getByRole('button', { name: 'Submit job' }).click();
    await expect(page).toHaveURL(/\/jobs\/\d+$/);
    const jobId = page.url().split('/').at(-1)!;

    // The scheduler loop places it: the job page names the slice and its pod.
    const slice = page.getByTestId('job-tpu-slice');
    await expect(slice).toContainText('2x2x4', { timeout: 30_000 });
    await expect(slice).toContainText('16 chips');
    await expect(slice).toContainText('v5p-pod-1');

    // The pod's torus: 16 chips of this job, drawn in the slice's colour, and the slice listed with the job.
    await page.getByTestId('job-tpu-pod-link').click();
    await expect(page).toHaveURL(/\/tpu\/pods\/\d+$/);
    await expect(page.getByTestId('tpu-layer-0')).toBeVisible();
    await expect(page.locator(`[data-testid="tpu-chip"][data-job="${jobId}"]`)).toHaveCount(16);
    await expect(page.getByTestId('tpu-chip')).toHaveCount(128);
    await expect(page.getByTestId('tpu-slice').filter({ hasText: name })).toContainText('16 chips');

    // The hall: TPU racks on the floor plan, and the pods linked.
    await page.getByRole('link', { name: 'Hall T' }).click();
    await expect(page.locator('[data-testid="floor-rack"][data-accelerators="tpu"]')).toHaveCount(3);
    await expect(page.getByTestId('hall-tpu-pods')).toContainText('v5p-pod-1');
    await expect(page.getByTestId('hall-tpu-pods')).toContainText('v5e-pod-1');

    // The pods list counts the slice.
    await page.goto('/tpu');
    await expect(page.getByTestId('tpu-pods')).toContainText('v5p-pod-1');

    // Cancelled, the job gives the slice back.
    await page.goto(`/jobs/${jobId}`);
    await page.getByRole('button', { name: 'Cancel job' }).click();
    await expect(page.getByTestId('job-tpu-slice')).toContainText('released', { timeout: 15_000 });
  });
});
