import { expect, test } from '@playwright/test';

/**
 * Facility telemetry over SNMP in the demo: the simulator's UPSs answer UPS-MIB on their own SNMP agents and Plenum
 * reads them with its snmp collector. Pulling a UPS onto battery with the fault injector (its input fails, the site
 * keeps utility) turns upsOutputSource to battery(5): the overview and the power chain say "On battery" and the
 * "UPS on battery" alert fires; clearing the fault ends all three.
 */
test.setTimeout(240_000);

test('a UPS pulled onto battery over SNMP turns the overview and power chain to on battery and fires the alert', async ({ page }) => {
  // The UPS is read over SNMP: its target is an snmp one (ups-mib profile) that reads the UPS, and it is up.
  await page.goto('/telemetry');
  const upsTarget = page.getByTestId('target-row').filter({ hasText: 'reads UPS A' });
  await expect(upsTarget).toContainText('snmp');
  await expect(upsTarget).toContainText('ups-mib');
  await expect(upsTarget).toContainText('up', { timeout: 60_000 });
  await page.goto('/');
  await expect(page.getByTestId('diagram-card')).toBeVisible();
  await expect(page.getByTestId('ups-on-battery')).toHaveCount(0);

  await page.goto('/telemetry');
  const sim = page.getByTestId('sim-faults');
  await sim.getByLabel('Fault', { exact: true }).selectOption('ups-on-battery');
  await sim.getByLabel('Target', { exact: true }).fill('UPS A');
  await sim.getByRole('button', { name: 'Inject' }).click();
  await expect(sim.getByTestId('active-faults')).toContainText('UPS A');

  await page.goto('/');
  const banner = page.getByTestId('ups-on-battery');
  await expect(banner).toContainText('On battery', { timeout: 90_000 });
  await expect(banner).toContainText('UPS A');
  await expect(banner).not.toContainText('UPS B');
  await expect(banner).toContainText(/\d+ % charge, \d+ min left/);
  await page.goto('/power');
  await expect(page.getByTestId('ups-on-battery')).toContainText('UPS A');
  // The diagram draws the UPS in red, marked ON BATTERY.
  await expect(page.locator('svg').filter({ hasText: 'ON BATTERY' }).first()).toBeVisible();

  await page.goto('/alerts');
  const open = page.getByTestId('alerts-open');
  await expect(open.locator('[data-rule="UPS on battery"]')).toBeVisible({ timeout: 60_000 });
  await expect(open.locator('[data-rule="UPS on battery"]').first()).toHaveAttribute('data-entity', /UPS A/);

  await page.goto('/telemetry');
  await page.getByTestId('active-faults').locator('li', { hasText: 'UPS A' }).getByRole('button', { name: 'Clear' }).click();
  await page.goto('/');
  await expect(page.getByTestId('ups-on-battery')).toHaveCount(0, { timeout: 90_000 });
  await page.goto('/alerts');
  await expect(page.getByTestId('alerts-resolved').locator('[data-rule="UPS on battery"]').first()).toBeVisible({ timeout: 60_000 });
});
