/**
 * Several real Plenum instances on one database, as child processes running the start command (`scripts/start.ts`)
 * worker-only, and what the stored telemetry says about them. Shared by tests/instances.int.test.ts and
 * bench/scale/instances.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { SINGLETON_ROLES } from '../src/server/config';
import { liveInstances } from '../src/server/services/instances';

const ROOT = path.resolve(import.meta.dirname, '..');
export const WORKER_ROLES = 'scrape,scheduler,rollups,partitions,alerts,simulator';

export type ChildInstance = { child: ChildProcess; pid: number; id: string; output: () => string; exited: Promise<number | null> };

/** Starts one worker-only instance against `databaseUrl`; resolves when it says it is ready. */
export async function startChildInstance(databaseUrl: string, env: Record<string, string> = {}): Promise<ChildInstance> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'plenum-instance-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PLENUM_MIGRATION_DATABASE_URL: '',
      PLENUM_DATA_DIR: dataDir,
      PLENUM_SEED: 'none',
      PLENUM_ROLES: WORKER_ROLES,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  void exited.then(() => rm(dataDir, { recursive: true, force: true }));
  const id = await new Promise<string>((resolve, reject) => {
    const check = () => {
      const match = /\[plenum\] instance ([0-9a-f-]{36}) /.exec(output);
      if (match && output.includes('[plenum] ready')) resolve(match[1]!);
    };
    child.stdout!.on('data', check);
    void exited.then((code) => reject(new Error(`the instance exited (${code}) before it was ready:\n${output}`)));
  });
  return { child, pid: child.pid!, id, output: () => output, exited };
}

/** Stops an instance the way an operator does (SIGTERM) and waits for it to exit. */
export async function stopChildInstance(instance: ChildInstance): Promise<void> {
  if (instance.child.exitCode === null && instance.child.signalCode === null) instance.child.kill('SIGTERM');
  await instance.exited;
}

/** Each singleton role some live instance takes part in, and the live instance holding it (undefined: none). */
export async function roleHolders(pool: pg.Pool): Promise<Map<string, string | undefined>> {
  const live = await liveInstances(pool);
  const holders = new Map<string, string | undefined>();
  for (const role of SINGLETON_ROLES) {
    if (live.some((i) => i.rolesRequested.includes(role))) holders.set(role, live.find((i) => i.rolesHeld.includes(role))?.id);
  }
  return holders;
}

/** The same series stored twice at the same timestamp, over [fromMs, toMs]. */
export async function duplicateSamples(pool: pg.Pool, fromMs: number, toMs: number): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT series_id, ts FROM telemetry_samples WHERE ts BETWEEN to_timestamp($1 / 1000.0) AND to_timestamp($2 / 1000.0)
       GROUP BY series_id, ts HAVING count(*) > 1) d`,
    [fromMs, toMs],
  );
  return rows[0]!.n;
}

/**
 * The longest gap between consecutive samples of any series that had a sample in the first `leadMs` of [fromMs, toMs],
 * counting the stretch from its last sample to `toMs` (a series that stopped for good shows as one long gap).
 */
export async function longestSeriesGap(pool: pg.Pool, fromMs: number, toMs: number, leadMs: number): Promise<{ gapMs: number; series: number; seriesId: number | null }> {
  const { rows } = await pool.query<{ gap_ms: number | null; series: number; series_id: number | null }>(
    `WITH w AS (
       SELECT series_id, ts FROM telemetry_samples WHERE ts BETWEEN to_timestamp($1 / 1000.0) AND to_timestamp($2 / 1000.0)
     ), tracked AS (
       SELECT DISTINCT series_id FROM w WHERE ts < to_timestamp(($1 + $3) / 1000.0)
     ), gaps AS (
       SELECT series_id, extract(epoch FROM ts - lag(ts) OVER (PARTITION BY series_id ORDER BY ts)) * 1000 AS gap_ms FROM w
       WHERE series_id IN (SELECT series_id FROM tracked)
       UNION ALL
       SELECT series_id, $2 - extract(epoch FROM max(ts)) * 1000 FROM w WHERE series_id IN (SELECT series_id FROM tracked) GROUP BY series_id
     ), worst AS (SELECT series_id, gap_ms FROM gaps WHERE gap_ms IS NOT NULL ORDER BY gap_ms DESC LIMIT 1)
     SELECT (SELECT gap_ms FROM worst)::float8 AS gap_ms, (SELECT count(*) FROM tracked)::int AS series, (SELECT series_id FROM worst) AS series_id`,
    [fromMs, toMs, leadMs],
  );
  return { gapMs: Math.round(rows[0]?.gap_ms ?? 0), series: rows[0]?.series ?? 0, seriesId: rows[0]?.series_id ?? null };
}

/** Samples of one series closer than half the scrape interval after the previous one (a target scraped twice). */
export async function doubleScrapes(pool: pg.Pool, fromMs: number, toMs: number, intervalMs: number): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (
       SELECT ts - lag(ts) OVER (PARTITION BY series_id ORDER BY ts) AS gap FROM telemetry_samples
        WHERE ts BETWEEN to_timestamp($1 / 1000.0) AND to_timestamp($2 / 1000.0)) g
      WHERE g.gap < make_interval(secs => $3 / 2000.0)`,
    [fromMs, toMs, intervalMs],
  );
  return rows[0]!.n;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value (not a timing assertion: a generous limit, then the last answer in the error). */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, limitMs = 60_000): Promise<T> {
  const until = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`never happened: ${what}`);
    await sleep(250);
  }
}

/**
 * Samples per series per scrape slot over [fromMs, toMs] (mean and the highest series): 1.0 when each target is
 * scraped once per interval; a target scraped by two instances all along shows 2.0. Unlike `doubleScrapes` it does not
 * count a late scrape followed by an on-time one.
 */
export async function samplesPerSlot(pool: pg.Pool, fromMs: number, toMs: number, intervalMs: number): Promise<{ mean: number; max: number }> {
  const { rows } = await pool.query<{ mean: number; max: number }>(
    `SELECT avg(n)::float8 AS mean, max(n)::float8 AS max FROM (
       SELECT count(*) / ($2::float8 - $1::float8) * $3::float8 AS n FROM telemetry_samples
        WHERE ts BETWEEN to_timestamp($1 / 1000.0) AND to_timestamp($2 / 1000.0) GROUP BY series_id) s`,
    [fromMs, toMs, intervalMs],
  );
  return { mean: Math.round((rows[0]?.mean ?? 0) * 1000) / 1000, max: Math.round((rows[0]?.max ?? 0) * 1000) / 1000 };
}
