import { expect, type Page, test } from '@playwright/test';

/**
 * Presentation on the demo seed at the two widths the docs' screenshots use: KPI values never cut off, chart axes
 * without repeated or wrapped labels, floor plans as wide as their card with labels of 11 px or more and row names,
 * the GPU temperature histogram not red for normal temperatures, breadcrumbs down to the hall, one date style.
 */
test.setTimeout(180_000);

const WIDTHS = [1440, 1024] as const;

/** Every KPI tile value on the page has loaded and fits its tile (nothing hidden past the edge). */
async function expectTileValuesFit(page: Page, path: string) {
  await page.goto(path);
  const values = page.locator('[data-testid$="-value"]');
  await expect(values.first()).toBeVisible({ timeout: 30_000 });
  await expect.poll(async () => (await values.allTextContents()).some((t) => t.includes('…')), { timeout: 30_000 }).toBe(false);
  const sizes = await values.evaluateAll((elements) => elements.map((e) => ({ id: e.getAttribute('data-testid'), text: e.textContent, scroll: e.scrollWidth, client: e.clientWidth })));
  expect(sizes.length).toBeGreaterThanOrEqual(4);
  for (const s of sizes) expect(s.scroll, `${path} ${s.id} "${s.text}" is cut off`).toBeLessThanOrEqual(s.client);
}

for (const width of WIDTHS) {
  test.describe(`at ${width} px`, () => {
    test.use({ viewport: { width, height: 900 } });

    test('KPI values fit their tiles on the overview, power and utilisation dashboards', async ({ page }) => {
      for (const path of ['/', '/dashboards/power', '/dashboards/utilisation']) await expectTileValuesFit(page, path);
    });

    test('chart axes: distinct labels, y labels each on one line and in one unit', async ({ page }) => {
      await page.goto('/');
      const chart = page.getByTestId('trend-power');
      await expect.poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 60_000 }).toBeGreaterThan(0);
      const ticks = chart.locator('.recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value');
      await expect(ticks.first()).toBeVisible();
      const labels = await ticks.evaluateAll((elements) => elements.map((e) => ({ text: e.textContent ?? '', lines: e.querySelectorAll('tspan').length })));
      expect(labels.length).toBeGreaterThan(1);
      expect(new Set(labels.map((l) => l.text)).size, labels.map((l) => l.text).join(' | ')).toBe(labels.length);
      for (const l of labels) expect(l.lines, `"${l.text}" wraps`).toBe(1);
      const times = await chart.locator('.recharts-xAxis-tick-labels .recharts-cartesian-axis-tick-value').allTextContents();
      expect(times.length).toBeGreaterThan(1);
      expect(new Set(times).size, times.join(' | ')).toBe(times.length);
      const units = new Set(labels.map((l) => /(W|kW|MW)$/.exec(l.text)?.[1]));
      expect([...units]).toHaveLength(1);
      expect(units.has(undefined)).toBe(false);
    });

    test('hall floor plan and thermal heatmap: wide, labels of 11 px or more, row names', async ({ page }) => {
      await page.goto('/');
      const hallLink = page.locator('a[href^="/halls/"]').first();
      await expect(hallLink).toBeVisible({ timeout: 30_000 });
      await page.goto((await hallLink.getAttribute('href'))!);
      for (const id of ['floor-plan', 'thermal-floor']) {
        const svg = page.getByTestId(id);
        await expect(svg).toBeVisible({ timeout: 30_000 });
        const geometry = await svg.evaluate((e) => {
          const s = e as SVGSVGElement;
          const frame = s.parentElement!.getBoundingClientRect();
          const rect = s.getBoundingClientRect();
          const texts = [...s.querySelectorAll('text')].map((t) => t.getBoundingClientRect().height);
          return { pxPerUnit: rect.width / s.viewBox.baseVal.width, frameWidth: frame.width, width: rect.width, height: rect.height, smallestTextPx: Math.min(...texts) };
        });
        // Font size 12 in drawing units, scaled to the screen.
        expect(12 * geometry.pxPerUnit, `${id} label size`).toBeGreaterThanOrEqual(11);
        expect(geometry.smallestTextPx, `${id} rendered text height`).toBeGreaterThanOrEqual(11);
        // As wide as the card, unless it is as tall as the window allows.
        expect(geometry.width >= 0.9 * geometry.frameWidth || geometry.height >= 0.65 * 900, `${id} ${geometry.width} of ${geometry.frameWidth} px`).toBe(true);
      }
      await expect(page.getByTestId('floor-plan').getByTestId('floor-row-label').first()).toHaveText(/\S/);
      await expect(page.getByTestId('thermal-floor').getByTestId('floor-row-label').first()).toHaveText(/\S/);
    });
  });
}

test('GPU temperature histogram: normal temperatures are not drawn as heat', async ({ page }) => {
  await page.goto('/dashboards/thermal');
  const histogram = page.getByTestId('thermal-gpu-histogram');
  const bars = histogram.locator('.recharts-bar-rectangle path');
  await expect(bars.first()).toBeVisible({ timeout: 60_000 });
  const hotGpus = await page.getByTestId('hot-gpu').count();
  const fills = await bars.evaluateAll((elements) => elements.map((e) => e.getAttribute('fill')));
  expect(fills).toContain('#0f766e');
  if (hotGpus === 0) expect(fills).not.toContain('#dc2626');
});

test('rack breadcrumbs name the site, hall and row; live stamps and dates name UTC', async ({ page }) => {
  await page.goto('/');
  const hallLink = page.locator('a[href^="/halls/"]').first();
  await expect(hallLink).toBeVisible({ timeout: 30_000 });
  await page.goto((await hallLink.getAttribute('href'))!);
  await page.goto((await page.getByTestId('floor-rack').first().getAttribute('href'))!);
  const crumbs = page.getByRole('navigation', { name: 'Breadcrumb' });
  await expect(crumbs).toContainText('Amsterdam AI-1');
  await expect(crumbs).toContainText(/Hall \w+/);
  await expect(crumbs).toContainText(/Row \w+/);
  await page.goto('/');
  await expect(page.getByTestId('dash-updated')).toHaveText(/updated \d{2}:\d{2}:\d{2} UTC$/, { timeout: 30_000 });
});
