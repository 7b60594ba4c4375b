import { expect, test } from '@playwright/test';

test.describe('topology at any scale', () => {
  test('opens a hall and a row, finds a node, zooms, and shows the fabric and cooling', async ({ page }) => {
    await page.goto('/topology');
    const power = page.getByTestId('topology-power');
    const canvas = power.getByTestId('topology-canvas');
    // The site opens as its sources and halls: Hall A is one closed group, its racks are not drawn yet.
    await expect(canvas.getByRole('button', { name: 'UPS A' })).toBeVisible();
    await expect(canvas.getByRole('button', { name: 'Open Hall A' })).toBeVisible();
    await expect(canvas).not.toContainText('Rack A1-01');
    await expect(power.getByTestId('topology-summary')).toContainText('of at most 120 nodes shown');

    await canvas.getByRole('button', { name: 'Open Hall A' }).click();
    await canvas.getByRole('button', { name: 'Open Row A1', exact: true }).click();
    await expect(canvas.getByRole('button', { name: 'Open Rack A1-01' })).toBeVisible();
    // Edges between closed groups carry their count.
    await expect(canvas).toContainText(/× \d+/);
    await power.getByRole('button', { name: 'Close Row A1' }).click();
    await expect(canvas.getByRole('button', { name: 'Open Rack A1-01' })).toHaveCount(0);

    // Search opens the path to the node and marks it.
    await page.getByLabel('Find a node').fill('A1-02');
    await page.getByRole('button', { name: 'Find', exact: true }).click();
    await expect(canvas.locator('[data-focused="true"]')).toHaveAttribute('aria-label', /A1-02/);
    await expect(power.getByRole('button', { name: 'Close Row A1' })).toBeVisible();

    const zoom = power.getByTestId('topology-zoom');
    await expect(zoom).toHaveText('100 %');
    await power.getByRole('button', { name: 'Zoom in' }).click();
    await expect(zoom).toHaveText('125 %');
    await canvas.hover();
    await page.mouse.wheel(0, 300);
    await expect(zoom).not.toHaveText('125 %');

    await page.getByLabel('Find a node').fill('no such node anywhere');
    await page.getByRole('button', { name: 'Find', exact: true }).click();
    await expect(power.getByRole('alert')).toContainText('nothing named like');

    await page.getByRole('tab', { name: 'Network fabric' }).click();
    const network = page.getByTestId('topology-network');
    await expect(network.getByTestId('topology-canvas')).toContainText('spine');
    await network.getByRole('button', { name: 'Open Hall A' }).click();
    await network.getByRole('button', { name: 'Open Row A1', exact: true }).click();
    await expect(network.getByTestId('topology-canvas')).toContainText('oversubscription 1.00:1');
    await page.getByRole('tab', { name: 'Cooling' }).click();
    const cooling = page.getByTestId('topology-cooling');
    await cooling.getByRole('button', { name: 'Open Hall A' }).click();
    await expect(cooling.getByTestId('topology-canvas')).toContainText('CRAH A-1');
    // Small scopes can still be drawn by mermaid (the export format).
    await cooling.getByRole('button', { name: 'Draw with mermaid' }).click();
    await expect(cooling.getByTestId('mermaid-diagram').locator('svg')).toBeVisible();
  });
});
