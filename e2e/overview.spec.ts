import { expect, test } from '@playwright/test';

test.describe('overview: the first vertical slice', () => {
  test('lists the seeded sites and halls read through tRPC from PostgreSQL', async ({ page }) => {
    await page.goto('/');
    await expect(page.getByTestId('site-name')).toContainText('Amsterdam AI-1');
    const halls = page.getByTestId('hall-row');
    await expect(halls).toHaveCount(3);
    await expect(halls.nth(0)).toContainText('Hall A');
    await expect(halls.nth(1)).toContainText('Hall B');
    await expect(halls.nth(2)).toContainText('Hall T');
    await expect(halls.nth(0)).toContainText('kW');
    // The hall's design load says it is the design (planned) figure, not a measurement.
    await expect(halls.nth(0).locator('[data-basis="design"]')).toContainText(/\d.* (kW|MW)/);
  });

  test('shows a live value streamed over a tRPC SSE subscription', async ({ page }) => {
    await page.goto('/');
    const sequence = page.getByTestId('live-sequence');
    await expect(sequence).toHaveText(/^\d+$/);
    const first = Number(await sequence.textContent());
    await expect.poll(async () => Number(await sequence.textContent()), { timeout: 10_000 }).toBeGreaterThan(first);
    await expect(page.getByTestId('live-db-time')).toHaveText(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} UTC$/);
  });

  test('renders a recharts chart with one bar per hall', async ({ page }) => {
    await page.goto('/');
    const chart = page.getByTestId('hall-load-chart');
    await expect(chart.locator('svg.recharts-surface')).toBeVisible();
    await expect(chart.locator('.recharts-bar-rectangle')).toHaveCount(3);
    await expect(chart).toContainText('kW');
  });

  test('renders the power-chain mermaid diagram as SVG in the browser', async ({ page }) => {
    await page.goto('/');
    const diagram = page.getByTestId('mermaid-diagram');
    await expect(diagram.locator('svg')).toBeVisible();
    await expect(diagram).toContainText('UPS A');
    await expect(diagram).toContainText('UPS B');
  });
});
