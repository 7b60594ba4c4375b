import { expect, test } from '@playwright/test';

const LIBRARY = new URL('../../shared/fixtures/devicetype-library/device-types/', import.meta.url).pathname;

test('an imported device type without power ports has a detail page that says so', async ({ page }) => {
  await page.goto('/device-types');
  // A real NetBox library file with interfaces and a console port but no power-ports section.
  await page.getByTestId('devicetype-files').setInputFiles([`${LIBRARY}Arista/DCS-7060DX5-64S-F.yaml`]);
  await expect(page.getByTestId('import-results').locator('li')).toContainText('imported');

  await page.getByLabel('Search device types').fill('DCS-7060DX5');
  await page.getByTestId('device-types').getByRole('link', { name: 'DCS-7060DX5-64S-F' }).click();
  await expect(page).toHaveURL(/\/device-types\/\d+$/);
  await expect(page.getByRole('heading', { name: 'Arista DCS-7060DX5-64S-F' })).toBeVisible();
  const facts = page.getByTestId('devicetype-facts');
  await expect(facts).toContainText('2 U');
  await expect(facts).toContainText('none given (no power ports in the source)');
  await expect(facts).toContainText('netbox');
  await expect(page.getByTestId('devicetype-psus')).toContainText('No power ports');
  await expect(page.getByTestId('devicetype-interfaces').locator('tbody tr').first()).toContainText('Ethernet1/1');
  await expect(page.getByTestId('devicetype-devices')).toContainText('No device of this type yet');
});

test('a device type in use lists its devices; an unknown id answers 404', async ({ page }) => {
  await page.goto('/device-types');
  await page.getByLabel('Search device types').fill('XE9680');
  await page.getByTestId('device-types').getByRole('link', { name: 'PowerEdge XE9680', exact: true }).click();
  await expect(page.getByTestId('devicetype-psus').locator('tbody tr')).not.toHaveCount(0);
  await expect(page.getByTestId('devicetype-devices').getByRole('link').first()).toBeVisible();
  await page.getByTestId('devicetype-devices').getByRole('link').first().click();
  await expect(page).toHaveURL(/\/devices\/\d+$/);

  const response = await page.goto('/device-types/999999');
  expect(response?.status()).toBe(404);
  await expect(page.getByTestId('not-found')).toBeVisible();
});
