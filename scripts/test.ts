import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureBuild } from './build';
import { ensureDebianPackages, TEST_PACKAGES } from './debian-packages';

/**
 * `npm test`: every check, in order of speed: typecheck, lint, unit tests, integration tests on a
 * throwaway embedded PostgreSQL (and on $DATABASE_URL when set), then the e2e suite in Debian's
 * Chromium against a production build. Ends with one line: `total: N passed, N failed, N skipped`.
 */
const root = process.cwd();
const resultsDir = path.join(root, 'test-results');
type Tally = { passed: number; failed: number; skipped: number };
const total: Tally = { passed: 0, failed: 0, skipped: 0 };
const failedSteps: string[] = [];

function say(line: string) {
  console.log(`\n[test] ${line}`);
}

function run(step: string, command: string, args: string[], env: Record<string, string | undefined> = {}): boolean {
  say(`${step}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const ok = result.status === 0;
  if (!ok) failedSteps.push(step);
  return ok;
}

/** A step that is not a test runner counts as one check. */
function check(step: string, command: string, args: string[]) {
  if (run(step, command, args)) total.passed++;
  else total.failed++;
}

function vitest(step: string, project: string, env: Record<string, string | undefined>) {
  const report = path.join(resultsDir, `${step.replace(/\W+/g, '-')}.json`);
  rmSync(report, { force: true });
  const ok = run(step, process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--project', project, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`], env);
  if (!existsSync(report)) {
    total.failed++;
    return;
  }
  const json = JSON.parse(readFileSync(report, 'utf8')) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number };
  total.passed += json.numPassedTests;
  total.failed += json.numFailedTests + (ok || json.numFailedTests > 0 ? 0 : 1);
  total.skipped += json.numPendingTests + json.numTodoTests;
}

function chromiumPath(): string | undefined {
  const candidate = process.env.PLENUM_CHROMIUM ?? '/usr/bin/chromium';
  if (existsSync(candidate)) return candidate;
  if (process.getuid?.() !== 0) return undefined;
  // Debian's Chromium: Playwright's own browser downloads are not used (closed networks).
  say("installing Debian's chromium (missing)");
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return existsSync(candidate) ? candidate : undefined;
}

function e2e() {
  const chromium = chromiumPath();
  if (!chromium) {
    say('e2e: no Chromium at /usr/bin/chromium and not root to install it: run `apt-get install chromium` or set PLENUM_CHROMIUM');
    failedSteps.push('e2e (no chromium)');
    total.failed++;
    return;
  }
  try {
    ensureBuild(root, (line) => say(line));
  } catch (error) {
    say(`build failed: ${(error as Error).message}`);
    failedSteps.push('build');
    total.failed++;
    return;
  }
  const report = path.join(resultsDir, 'e2e.json');
  rmSync(report, { force: true });
  // The suite's server keeps its embedded database here (~0.7 GB after a run): made here so it can go when the suite
  // has stopped the server, kept after a failure for a look at the server's data. A folder given by the caller stays.
  const ownDataDir = process.env.PLENUM_E2E_DATA_DIR ? undefined : mkdtempSync(path.join(tmpdir(), 'plenum-e2e-'));
  const ok = run('e2e', process.execPath, ['node_modules/@playwright/test/cli.js', 'test'], {
    PLENUM_CHROMIUM: chromium,
    DATABASE_URL: '',
    ...(ownDataDir ? { PLENUM_E2E_DATA_DIR: ownDataDir } : {}),
  });
  if (ownDataDir && ok) rmSync(ownDataDir, { recursive: true, force: true });
  else if (ownDataDir) say(`e2e: the server's data folder is kept for a look: ${ownDataDir}`);
  if (!existsSync(report)) {
    total.failed++;
    return;
  }
  const stats = (JSON.parse(readFileSync(report, 'utf8')) as { stats: { expected: number; unexpected: number; flaky: number; skipped: number } }).stats;
  total.passed += stats.expected + stats.flaky;
  total.failed += stats.unexpected + (ok || stats.unexpected > 0 ? 0 : 1);
  total.skipped += stats.skipped;
}

mkdirSync(resultsDir, { recursive: true });
const externalDatabase = process.env.DATABASE_URL;
check('typecheck', process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', 'tsconfig.json']);
check('lint', process.execPath, ['node_modules/@biomejs/biome/bin/biome', 'lint', '.']);
vitest('unit', 'unit', {});
// Real peers the integration tests talk to (snmpd, slurmctld, victoria-metrics, …): installed once here, not by
// test files racing for dpkg's lock. A package that cannot be installed fails the tests that need it, by name.
ensureDebianPackages(Object.keys(TEST_PACKAGES), say);
vitest('integration (embedded PostgreSQL)', 'integration', { PLENUM_TEST_DATABASE_URL: '', DATABASE_URL: '' });
if (externalDatabase) vitest('integration (DATABASE_URL)', 'integration', { PLENUM_TEST_DATABASE_URL: externalDatabase });
e2e();

console.log('');
if (failedSteps.length) console.log(`[test] failed steps: ${failedSteps.join(', ')}`);
console.log(`total: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(failedSteps.length || total.failed ? 1 : 0);
