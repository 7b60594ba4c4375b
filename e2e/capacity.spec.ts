import { expect, test } from '@playwright/test';

test.describe('capacity planning and topology', () => {
  test('what-if placement answers with the racks and units worked out by hand on the seed', async ({ page }) => {
    await page.goto('/capacity');
    await expect(page.getByTestId('capacity-totals')).toContainText('U');
    const form = page.getByTestId('whatif-place');
    await form.getByLabel('Device type', { exact: true }).selectOption({ label: 'NVIDIA QM9700 (1 U, 1.72 kW)' });
    await form.getByLabel('How many', { exact: true }).fill('2');
    await form.getByRole('button', { name: 'Find racks' }).click();
    // Hall A GPU racks have the least power headroom (34.5 kW PDU − 30.6 kW with one side lost = 3.9 kW): two 1.72 kW
    // switches fit the first of them, A1-01, in its lowest free units U1 and U8.
    const result = page.getByTestId('whatif-place-result');
    await expect(result).toContainText('all 2 placed in 1 rack(s)');
    await expect(result).toContainText('A1-01: U1, U8');
  });

  test('failure what-if: losing UPS A overloads nothing in a 2N chain', async ({ page }) => {
    await page.goto('/capacity');
    const form = page.getByTestId('whatif-fail');
    await form.getByLabel('UPS A', { exact: true }).check();
    await form.getByRole('button', { name: 'What happens?' }).click();
    const result = page.getByTestId('whatif-fail-result');
    await expect(result).toContainText('Power overloads');
    await expect(result.locator('dd').first()).toHaveText('none');
  });
});
