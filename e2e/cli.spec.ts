import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..');

test('`plenum health --json` prints the health of the running server', async ({ baseURL }) => {
  const { stdout } = await run(process.execPath, ['bin/plenum.mjs', 'health', '--json'], { cwd: ROOT, env: { ...process.env, PLENUM_URL: baseURL } });
  const health = JSON.parse(stdout);
  expect(health.status).toBe('ok');
  expect(health.database.status).toBe('up');
});

test('`plenum` fails with one line on stderr when the server is unreachable', async () => {
  const failure = await run(process.execPath, ['bin/plenum.mjs', 'health'], { cwd: ROOT, env: { ...process.env, PLENUM_URL: 'http://127.0.0.1:9' } }).catch((error) => error);
  expect(failure.code).toBe(1);
  expect(failure.stderr.trim().split('\n')).toEqual(['plenum: cannot reach Plenum at http://127.0.0.1:9 (is it running? set PLENUM_URL)']);
});
