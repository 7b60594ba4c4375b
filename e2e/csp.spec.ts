import { expect, test } from '@playwright/test';

/**
 * The page CSP (a per-request script nonce, no inline scripts) in a real browser: pages run their scripts with no CSP
 * violation, the nonce changes per request, and the Telemetry page shows the samples dropped on the way in.
 */
test('pages run under the nonce CSP without violations', async ({ page, request }) => {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to (execute|load)/i.test(message.text())) violations.push(message.text());
  });
  const response = await page.goto('/telemetry');
  const csp = response!.headers()['content-security-policy'] ?? '';
  expect(csp).toMatch(/script-src 'self' 'nonce-[^']+' 'strict-dynamic'/);
  expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  // Client components rendered: the page's scripts ran.
  await expect(page.getByTestId('input-drops')).toBeVisible();
  await page.goto('/racks');
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  const again = (await request.get('/login')).headers()['content-security-policy'] ?? '';
  expect(/'nonce-([^']+)'/.exec(again)?.[1]).not.toBe(/'nonce-([^']+)'/.exec(csp)?.[1]);
  expect(violations).toEqual([]);
});
