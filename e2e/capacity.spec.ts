import { expect, test } from '@playwright/test';

test.describe('capacity planning and topology', () => {
  test('what-if placement answers with the racks and units worked out by hand on the seed', async ({ page }) => {
    await page.goto('/capacity');
    await expect(page.getByTestId('capacity-totals')).toContainText('U');
    const form = page.getByTestId('whatif-place');
    await form.getByLabel('Device type', { exact: true }).selectOption({ label: 'NVIDIA QM9700 (1 U, 1.72 kW)' });
    await form.getByLabel('How many', { exact: true }).fill('2');
    await form.getByRole('button', { name: 'Find racks' }).click();
    // The TPU v5p racks have the least power headroom (34.5 kW rack PDU − 16 hosts × 2.0 kW with one side lost =
    // 2.5 kW): one 1.72 kW switch fits each, T1-01 and T1-02, in its lowest free unit U1 (the hosts sit above). The
    // Hall A GPU racks (34.5 − 30.6 = 3.9 kW) come next and are not needed.
    const result = page.getByTestId('whatif-place-result');
    await expect(result).toContainText('all 2 placed in 2 rack(s)');
    await expect(result).toContainText('T1-01: U1');
    await expect(result).toContainText('T1-02: U1');
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
