import { expect, test } from '@playwright/test';

test('GET /api/health reports database, migrations and workers of the running app', async ({ request }) => {
  const response = await request.get('/api/health');
  expect(response.status()).toBe(200);
  const health = await response.json();
  expect(health.status).toBe('ok');
  expect(health.database.status).toBe('up');
  expect(health.migrations.pending).toBe(0);
  expect(health.migrations.latest).toMatch(/^\d{4}_/);
  expect(health.workers.map((w: { name: string }) => w.name)).toContain('heartbeat');
});
