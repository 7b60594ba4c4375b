import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineConfig } from '@playwright/test';

/** The e2e suite runs the real start command on a fresh embedded database, in Debian's Chromium. */
const port = Number(process.env.PLENUM_E2E_PORT ?? 3210);
const dataDir = process.env.PLENUM_E2E_DATA_DIR ?? mkdtempSync(path.join(tmpdir(), 'plenum-e2e-'));
process.env.PLENUM_E2E_DATA_DIR = dataDir;
/**
 * Access control: the server creates this first admin (and registers this API token for it) on its empty database;
 * the `setup` project signs in once and every spec starts from that session (e2e/.auth is written at run time).
 * The CLI specs inherit PLENUM_TOKEN. Set once here and inherited by the worker processes.
 */
process.env.PLENUM_E2E_ADMIN_USER ??= 'e2e-admin';
process.env.PLENUM_E2E_ADMIN_PASSWORD ??= 'e2e admin password 123';
process.env.PLENUM_TOKEN ??= `plnm_${randomBytes(32).toString('base64url')}`;
export const ADMIN_STATE = path.join(import.meta.dirname, 'test-results', '.auth', 'admin.json');

export default defineConfig({
  testDir: 'e2e',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  projects: [
    { name: 'setup', testMatch: /auth\.setup\.ts$/ },
    { name: 'chromium', testIgnore: /auth\.setup\.ts$/, dependencies: ['setup'], use: { storageState: ADMIN_STATE } },
  ],
  reporter: process.env.CI ? [['list'], ['json', { outputFile: 'test-results/e2e.json' }]] : [['list'], ['json', { outputFile: 'test-results/e2e.json' }]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.PLENUM_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-default-apps',
      ],
    },
  },
  webServer: {
    command: 'npm start',
    url: `http://127.0.0.1:${port}/api/health`,
    timeout: 300_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
    gracefulShutdown: { signal: 'SIGINT', timeout: 20_000 },
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      PLENUM_DATA_DIR: dataDir,
      PLENUM_SEED: 'demo',
      DATABASE_URL: '',
      NEXT_TELEMETRY_DISABLED: '1',
      PLENUM_ADMIN_USER: process.env.PLENUM_E2E_ADMIN_USER,
      PLENUM_ADMIN_PASSWORD: process.env.PLENUM_E2E_ADMIN_PASSWORD,
      PLENUM_ADMIN_TOKEN: process.env.PLENUM_TOKEN,
      // slurm.spec's throwaway slurmrestd listens on loopback, which the registry refuses unless allowed.
      PLENUM_TARGET_ALLOW: '127.0.0.1',
      PLENUM_SCRAPE_INTERVAL_MS: '2000', PLENUM_SIM_ACCEL: '30', PLENUM_ALERT_INTERVAL_MS: '2000', PLENUM_ROLLUP_INTERVAL_MS: '5000',
    },
  },
});
