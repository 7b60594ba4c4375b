import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { expect, test as setup } from '@playwright/test';
import { ADMIN_STATE } from '../playwright.config';

/** Signs in once as the first admin (created by the server from PLENUM_ADMIN_USER); the other specs reuse the session. */
setup('sign in as the admin', async ({ page }) => {
  const user = process.env.PLENUM_E2E_ADMIN_USER!;
  await page.goto('/');
  await expect(page).toHaveURL(/\/login/);
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(process.env.PLENUM_E2E_ADMIN_PASSWORD!);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('signed-in-user')).toHaveText(user);
  mkdirSync(path.dirname(ADMIN_STATE), { recursive: true });
  await page.context().storageState({ path: ADMIN_STATE });
});
