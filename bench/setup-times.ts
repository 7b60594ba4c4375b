/**
 * What a new user waits for before the first `npm start` serves a page, on this machine:
 *   - `npm ci` of this package-lock into an empty folder with an empty npm cache (a fresh machine: every package is
 *     downloaded), including the `prepare` step that builds the CLI;
 *   - `next build` from scratch (no .next folder, so no build cache), as the first `npm start` runs it.
 * Each `--runs` times; reports every run and the median in seconds, with the machine and its load.
 *
 *   npx tsx bench/setup-times.ts [--runs 2] [--skip install|build]
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureBuild } from '../scripts/build';
import { arg, machine } from './telemetry/common';

const runs = Number(arg('runs', '2'));
const skip = arg('skip', '');
const ROOT = path.resolve(import.meta.dirname, '..');

function timed(label: string, command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): number {
  const t0 = performance.now();
  const result = spawnSync(command, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const seconds = (performance.now() - t0) / 1000;
  if (result.status !== 0) throw new Error(`${label} failed (exit ${result.status}): ${result.stderr.slice(-2000)}`);
  console.log(`${label}: ${seconds.toFixed(1)} s (load average ${JSON.stringify(machine().loadavg)})`);
  return seconds;
}

function npmCi(): number {
  const folder = mkdtempSync(path.join(tmpdir(), 'plenum-npm-ci-'));
  try {
    for (const file of ['package.json', 'package-lock.json']) copyFileSync(path.join(ROOT, file), path.join(folder, file));
    // `prepare` builds the CLI from the sources, as in a clone.
    for (const entry of ['scripts', 'src', 'tsconfig.json']) cpSync(path.join(ROOT, entry), path.join(folder, entry), { recursive: true });
    return timed('npm ci (empty cache)', 'npm', ['ci', '--no-audit', '--no-fund', '--cache', path.join(folder, '.npm-cache')], folder);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** The first start's build step itself (scripts/build.ts: `next build`, then the fingerprint a later start checks). */
function nextBuild(): number {
  rmSync(path.join(ROOT, '.next'), { recursive: true, force: true });
  const t0 = performance.now();
  ensureBuild(ROOT, () => {});
  const seconds = (performance.now() - t0) / 1000;
  console.log(`next build (no .next): ${seconds.toFixed(1)} s (load average ${JSON.stringify(machine().loadavg)})`);
  return seconds;
}

console.log(`setup times: ${runs} runs each; ${JSON.stringify(machine())}`);
/** The median (of an even count, the mean of the middle two). */
function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
const report = (label: string, seconds: number[]) => console.log(`${label}: median ${median(seconds).toFixed(1)} s of ${seconds.map((s) => s.toFixed(1)).join(', ')} s`);
if (skip !== 'install') report('npm ci', Array.from({ length: runs }, npmCi));
if (skip !== 'build') report('next build', Array.from({ length: runs }, nextBuild));
