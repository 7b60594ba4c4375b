/**
 * Telemetry for the whole xl site (PLENUM_SEED=xl, 100,800 GPUs) at a 30 s scrape interval across 2 instances on one
 * PostgreSQL (a throwaway embedded server): does the ingest keep up?
 *
 *   npm run bench:telemetry-xl -- [--minutes 3] [--interval 30000] [--instances 2] [--concurrency 16] [--separate-simulator]
 *                                   [--first-round-minutes 20]
 *
 * The bench seeds the xl site, then starts the instances (the start command, worker-only, as child processes: one runs
 * the simulated world, each scrapes its rendezvous shard of the targets). With --separate-simulator the world runs as its
 * own process (`npm run simulator -- serve`, as a site would run it beside the instances) and the instances run without
 * the simulator role; --concurrency sets PLENUM_SCRAPE_CONCURRENCY (scrapes in flight per instance). It waits until every enabled target has been
 * scraped once (the first round creates every series) plus one more interval, then measures for `--minutes`:
 * - scrapes behind: per target, scrape slots of the window with no scrape stored (expected slots minus the distinct
 *   sample timestamps of its series), summed; and targets whose last attempt is older than two intervals at the end;
 * - samples per series per slot (1.0 when every series gets one sample per interval) and the longest per-series gap;
 * - ingest rate (samples stored per second), and CPU seconds per wall second of each instance and of PostgreSQL.
 */
import type { ChildProcess } from 'node:child_process';
import { createDb } from '../../src/server/db/client';
import { runMigrations } from '../../src/server/db/migrate';
import { seedIfEmpty } from '../../src/server/db/seed';
import { liveInstances } from '../../src/server/services/instances';
import { maintainPartitions } from '../../src/server/services/telemetry/partitions';
import { type ChildInstance, WORKER_ROLES, eventually, longestSeriesGap, samplesPerSlot, sleep, startChildInstance, stopChildInstance } from '../../tests/instances-harness';
import { arg, machine, postgresCpuSeconds, procStat, spawnSimulatorProcess, stopByPid, throwawayPostgres } from '../telemetry/common';
import { telemetrySettings } from '../../src/server/services/telemetry/config';

const minutes = Number(arg('minutes', '3'));
const intervalMs = Number(arg('interval', '30000'));
const instanceCount = Number(arg('instances', '2'));
const concurrency = arg('concurrency', '');
const separateSimulator = process.argv.includes('--separate-simulator');
const firstRoundMinutes = Number(arg('first-round-minutes', '20'));
const log = (line: string) => console.error(`[bench] ${line}`);

/** CPU seconds (user + system) of a process and its children that were waited for. */
function processCpuSeconds(pid: number): number {
  try {
    const { ownCpuS, childrenCpuS } = procStat(`/proc/${pid}/stat`);
    return ownCpuS + childrenCpuS;
  } catch {
    return Number.NaN;
  }
}

async function main() {
  const started = machine();
  const pg = await throwawayPostgres();
  const { pool, db } = createDb(pg.url, { max: 4 });
  const instances: ChildInstance[] = [];
  let simulator: ChildProcess | undefined;
  try {
    await runMigrations(pool);
    const seedStart = performance.now();
    const seeded = await seedIfEmpty(db, 'xl');
    log(`xl seed: ${seeded.gpus} GPUs in ${Math.round(performance.now() - seedStart)} ms`);
    await maintainPartitions(pool, { rawRetentionDays: 7, rollupRetentionDays: 365 });
    const env: Record<string, string> = { PLENUM_SCRAPE_INTERVAL_MS: String(intervalMs), PLENUM_SIM_INVENTORY_REFRESH_MS: '600000' };
    if (concurrency) env.PLENUM_SCRAPE_CONCURRENCY = concurrency;
    const startAt = performance.now();
    if (separateSimulator) {
      simulator = spawnSimulatorProcess(pg.url, env);
      simulator.stdout?.resume();
      env.PLENUM_ROLES = WORKER_ROLES.split(',').filter((role) => role !== 'simulator').join(',');
    }
    instances.push(...(await Promise.all(Array.from({ length: instanceCount }, () => startChildInstance(pg.url, env)))));
    log(`${instanceCount} instances ready in ${Math.round(performance.now() - startAt)} ms${separateSimulator ? ' (the world in its own process)' : ''}`);
    const targets = await eventually(
      'targets registered',
      async () => {
        const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM scrape_targets WHERE enabled`);
        return rows[0]!.n > 0 ? rows[0]!.n : undefined;
      },
      600_000,
    );
    await eventually(
      `${instanceCount} shards covering every target`,
      async () => {
        const scrapers = (await liveInstances(pool)).filter((i) => i.shardSize !== null);
        return scrapers.length === instanceCount && scrapers.reduce((sum, i) => sum + (i.shardSize ?? 0), 0) === targets;
      },
      600_000,
    );
    const firstRound = performance.now();
    // Every target scraped once (every series created), or as many as the first --first-round-minutes allow: a machine
    // that cannot keep up is measured all the same, with the targets never scraped counted.
    const neverScraped = async () => (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM scrape_targets WHERE enabled AND last_success_at IS NULL`)).rows[0]!.n;
    let notYet = await neverScraped();
    while (notYet > 0 && performance.now() - firstRound < firstRoundMinutes * 60_000) {
      await sleep(5_000);
      notYet = await neverScraped();
    }
    log(`${targets} targets; ${notYet === 0 ? 'first full round done' : `${notYet} never scraped`} ${Math.round(performance.now() - firstRound)} ms after the shards covered them`);
    await sleep(intervalMs);

    const fromMs = Date.now();
    const cpu0 = instances.map((i) => processCpuSeconds(i.pid));
    const simulatorCpu0 = simulator ? processCpuSeconds(simulator.pid!) : 0;
    const pgCpu0 = postgresCpuSeconds(pg.pgData);
    const load0 = machine().loadavg;
    await sleep(minutes * 60_000);
    const toMs = Date.now();
    const wallS = (toMs - fromMs) / 1000;
    const instanceCpu = instances.map((i, k) => Math.round(((processCpuSeconds(i.pid) - cpu0[k]!) / wallS) * 100) / 100);
    const simulatorCpu = simulator ? Math.round(((processCpuSeconds(simulator.pid!) - simulatorCpu0) / wallS) * 100) / 100 : null;
    const postgresCpu = Math.round(((postgresCpuSeconds(pg.pgData) - pgCpu0) / wallS) * 100) / 100;
    const load1 = machine().loadavg;

    const slots = Math.floor((toMs - fromMs) / intervalMs);
    const stored = await pool.query<{ samples: number; series: number }>(
      `SELECT count(*)::int AS samples, count(DISTINCT series_id)::int AS series FROM telemetry_samples WHERE ts BETWEEN to_timestamp($1 / 1000.0) AND to_timestamp($2 / 1000.0)`,
      [fromMs, toMs],
    );
    // Per target: distinct scrape timestamps among its series' samples in the window, against the slots it should have had.
    const perTarget = await pool.query<{ target_id: number; scrapes: number }>(
      `SELECT t.id AS target_id, count(DISTINCT x.ts)::int AS scrapes
         FROM scrape_targets t
         LEFT JOIN telemetry_series s ON s.target_id = t.id
         LEFT JOIN telemetry_samples x ON x.series_id = s.id AND x.ts BETWEEN to_timestamp($1 / 1000.0) AND to_timestamp($2 / 1000.0)
        WHERE t.enabled GROUP BY t.id`,
      [fromMs, toMs],
    );
    const missedSlots = perTarget.rows.reduce((sum, r) => sum + Math.max(0, slots - r.scrapes), 0);
    const targetsBehind = perTarget.rows.filter((r) => r.scrapes < slots).length;
    const stale = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM scrape_targets WHERE enabled AND (last_attempt_at IS NULL OR last_attempt_at < to_timestamp(($1::bigint - 2 * $2::bigint) / 1000.0))`,
      [toMs, intervalMs],
    );
    const perSlot = await samplesPerSlot(pool, fromMs, toMs, intervalMs);
    const gap = await longestSeriesGap(pool, fromMs, toMs, intervalMs);
    const failures = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM scrape_targets WHERE enabled AND consecutive_failures > 0`);
    const result = {
      bench: 'telemetry-xl',
      date: new Date().toISOString(),
      machine: started,
      gpus: seeded.gpus,
      instances: instanceCount,
      intervalMs,
      windowS: Math.round(wallS),
      targets,
      slotsPerTarget: slots,
      seriesInWindow: stored.rows[0]!.series,
      samplesStored: stored.rows[0]!.samples,
      ingestSamplesPerS: Math.round(stored.rows[0]!.samples / wallS),
      missedScrapeSlots: missedSlots,
      targetsBehind,
      targetsNotAttemptedForTwoIntervals: stale.rows[0]!.n,
      targetsFailingAtEnd: failures.rows[0]!.n,
      targetsNeverScrapedAtStart: notYet,
      targetsNeverScrapedAtEnd: await neverScraped(),
      samplesPerSeriesPerSlot: perSlot,
      longestSeriesGapMs: gap.gapMs,
      scrapeConcurrency: telemetrySettings({ ...process.env, ...env }).scrapeConcurrency,
      cpuSecondsPerSecond: { instances: instanceCpu, simulatorProcess: simulatorCpu, postgres: postgresCpu },
      loadAvg: { start: load0, end: load1 },
      shards: (await liveInstances(pool)).map((i) => ({ id: i.id.slice(0, 8), roles: i.rolesHeld, shard: i.shardSize })),
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await Promise.all(instances.map((i) => stopChildInstance(i).catch(() => {})));
    await stopByPid(simulator);
    await pool.end().catch(() => {});
    await pg.stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
