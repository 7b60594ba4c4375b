/**
 * Disk per stored sample at steady state, everything included, measured over simulated weeks instead of extrapolated
 * from six hours (issue 18's ≤ 6 B target).
 *
 *   npm run bench:disk-steady-state -- [--interval 30000] [--days 32] [--hosts 12] [--json FILE]
 *
 * The six-hour measurement in versus-prometheus.ts reports live rows (after VACUUM FULL) and the free space that
 * chunk rewrites leave beside them after the first cycle; what a site holds once every partition has gone through its
 * life (filled all day or all month, its rewrites' space reused or not, vacuumed, and dropped by retention) was never
 * measured. Here the simulated clock runs from the first day of the previous month for `--days` days at the scrape
 * interval, as in service but without waiting:
 *
 * - 12 of the demo's GPU hosts and its facility endpoint are rendered by the simulator's world and ingested through
 *   the real pipeline (IngestPipeline with the simulated time, as a scrape at that time would be);
 * - every 30 scrape rounds the buffer is flushed, the rollup queue run, closed windows compacted
 *   (compactClosedWindows at the simulated time), and partitions maintained at the simulated time (created ahead,
 *   dropped after the default 7 days of samples and 365 of rollups), as the workers do;
 * - autovacuum is emulated by its own rule, on dead row versions counted exactly (pgstattuple_approx): a table (or its
 *   TOAST table) is vacuumed when its dead versions exceed autovacuum_vacuum_threshold + autovacuum_vacuum_scale_factor
 *   × its row estimate (the table's own settings where it has them, else the server's). The rule is checked every 30
 *   rounds (15 simulated minutes at 30 s, 5 at 10 s) where autovacuum looks once a minute, so dead versions wait a little
 *   longer here than in service: the free space measured is, if anything, more than a site keeps. Vacuums that the
 *   insert-driven rule would add (for the visibility map) are left out; they free no space.
 *
 * At the end every telemetry relation is measured as it sits on disk (pg_total_relation_size: heap, TOAST, indexes,
 * free space map and visibility map; no VACUUM FULL) and split by what it keeps:
 * - daily partitions (the sample write table and the compressed chunks): bytes of each retained, completed day over
 *   the samples of that day;
 * - monthly partitions (1-minute rollup blocks and chunks, 1-hour rollups): bytes of each completed month over the
 *   samples that month fed them (a month's rollups are kept a year, but they were written once, from these samples);
 * - the rest (series, latest values, the rollup queue, …): over the samples the retained days hold.
 * Samples per day are counted from each day's chunk partition when its last window has been compacted, so days that
 * retention later drops still count.
 */
import { writeFileSync } from 'node:fs';
import { createDb } from '../../src/server/db/client';
import { runMigrations } from '../../src/server/db/migrate';
import { seedIfEmpty } from '../../src/server/db/seed';
import { renderFacilityMetrics, renderGpuHostMetrics } from '../../simulator/exporters';
import { World } from '../../simulator/world';
import { compactClosedWindows } from '../../src/server/services/telemetry/compaction';
import { IngestPipeline } from '../../src/server/services/telemetry/ingest';
import { CHUNK_TABLE, maintainPartitions, partitionUpperMs, RAW_TABLE, ROLLUP_TABLES } from '../../src/server/services/telemetry/partitions';
import { runRollups } from '../../src/server/services/telemetry/rollups';
import { loadSimInventory } from '../../src/server/services/telemetry/sim-inventory';
import { telemetrySettings } from '../../src/server/services/telemetry/config';
import { arg, gpuHostnames, machine, nodeCpuSeconds, pct, postgresCpuSeconds, r3, simulatedScrapeStampMs, throwawayPostgres } from './common';

const DAY_MS = 86_400_000;
const intervalMs = Number(arg('interval', '30000'));
const days = Number(arg('days', '32'));
const hostCount = Number(arg('hosts', '12'));
const jsonFile = arg('json', '');
const ROUNDS_PER_STEP = 30;
/** The service's default retention (PLENUM_RAW_RETENTION_DAYS, PLENUM_ROLLUP_RETENTION_DAYS unset). */
const { rawRetentionDays: RAW_RETENTION_DAYS, rollupRetentionDays: ROLLUP_RETENTION_DAYS } = telemetrySettings({});

if (!Number.isFinite(intervalMs) || intervalMs < 1000 || 60_000 % intervalMs !== 0) throw new Error('--interval: milliseconds that divide a minute, ≥ 1000');
if (!Number.isInteger(days) || days < 2) throw new Error('--days: a whole number of days, at least 2');

const dayName = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');

type Pool = import('pg').Pool;

/**
 * autovacuum's rule, applied now: every telemetry table and TOAST table with pages, its dead row versions counted by
 * pgstattuple_approx (exact for dead versions: pages it skips are all-visible, so hold none), vacuumed when over
 * threshold + scale factor × row estimate. Returns the tables vacuumed.
 */
async function emulateAutovacuum(pool: Pool): Promise<string[]> {
  const candidates = await pool.query<{ heap: string; rel: string; reltuples: number; threshold: number; scale: number }>(
    `SELECT h.oid::regclass::text AS heap, x.oid::regclass::text AS rel, greatest(x.reltuples, 0)::float8 AS reltuples,
            coalesce((SELECT split_part(o, '=', 2) FROM unnest(x.reloptions) o WHERE o LIKE 'autovacuum\\_vacuum\\_threshold=%'),
                     current_setting('autovacuum_vacuum_threshold'))::float8 AS threshold,
            coalesce((SELECT split_part(o, '=', 2) FROM unnest(x.reloptions) o WHERE o LIKE 'autovacuum\\_vacuum\\_scale\\_factor=%'),
                     current_setting('autovacuum_vacuum_scale_factor'))::float8 AS scale
       FROM pg_class h JOIN pg_class x ON x.oid = h.oid OR x.oid = h.reltoastrelid
      WHERE h.relkind = 'r' AND h.relname LIKE 'telemetry\\_%' AND pg_relation_size(x.oid) > 0`,
  );
  const due = new Set<string>();
  for (const c of candidates.rows) {
    if (due.has(c.heap)) continue;
    const dead = Number((await pool.query<{ n: string }>('SELECT dead_tuple_count AS n FROM pgstattuple_approx($1::regclass)', [c.rel])).rows[0]!.n);
    if (dead > c.threshold + c.scale * c.reltuples) due.add(c.heap);
  }
  for (const heap of due) await pool.query(`VACUUM ${heap}`);
  return [...due];
}

/** Every partition of the telemetry tables, with its parent and bytes on disk (heap, TOAST, indexes, FSM, VM). */
async function partitionSizes(pool: Pool): Promise<{ parent: string; name: string; bytes: number }[]> {
  return (
    await pool.query<{ parent: string; name: string; bytes: string }>(
      `SELECT p.relname AS parent, c.relname AS name, pg_total_relation_size(c.oid)::bigint AS bytes
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
        WHERE p.relname = ANY($1) ORDER BY c.relname`,
      [[RAW_TABLE, CHUNK_TABLE, ...ROLLUP_TABLES]],
    )
  ).rows.map((r) => ({ parent: r.parent, name: r.name, bytes: Number(r.bytes) }));
}

async function main() {
  const started = machine();
  const pg = await throwawayPostgres();
  const { pool, db } = createDb(pg.url);
  try {
    await runMigrations(pool);
    await seedIfEmpty(db, 'demo');
    await pool.query('CREATE EXTENSION IF NOT EXISTS pgstattuple');
    await pool.query('VACUUM ANALYZE');

    const inventory = await loadSimInventory(pool);
    const hosts = gpuHostnames(inventory, hostCount);
    const now = new Date();
    const t0 = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1);
    const tEnd = t0 + days * DAY_MS;
    if (tEnd + DAY_MS > Date.now()) throw new Error(`--days ${days} from ${new Date(t0).toISOString()} reaches past yesterday: use fewer days`);
    await maintainPartitions(pool, { nowMs: t0, rawRetentionDays: RAW_RETENTION_DAYS, rollupRetentionDays: ROLLUP_RETENTION_DAYS });
    // Samples of earlier runs in the seeded database (none are expected) would be counted: start empty.
    await pool.query('TRUNCATE telemetry_sample_blocks, telemetry_chunks, telemetry_rollup_1m_blocks, telemetry_rollup_1m_chunks, telemetry_rollup_1h, telemetry_rollup_deltas');

    const world = new World(inventory, { seed: 3, startMs: t0 });
    const ingest = new IngestPipeline(pool, { bufferMaxSamples: 5_000_000, rawRetentionDays: RAW_RETENTION_DAYS, notify: false });
    await ingest.loadInventory();

    /** Samples of each UTC day, read from its chunk partition once its last window was compacted. */
    const samplesByDay = new Map<string, number>();
    const vacuums = new Map<string, number>();
    let compactionCpuS = 0;
    let vacuumCpuS = 0;
    const cpuNow = () => nodeCpuSeconds() + postgresCpuSeconds(pg.pgData);
    const wallStart = Date.now();
    const step = async (atMs: number) => {
      await ingest.flush();
      await runRollups(pool);
      const before = cpuNow();
      await compactClosedWindows(pool, { nowMs: atMs, timeBudgetMs: 3_600_000 });
      const compacted = cpuNow();
      compactionCpuS += compacted - before;
      for (const heap of await emulateAutovacuum(pool)) {
        const table = heap.replace(/_p\d+$/, '');
        vacuums.set(table, (vacuums.get(table) ?? 0) + 1);
      }
      vacuumCpuS += cpuNow() - compacted;
      await maintainPartitions(pool, { nowMs: atMs, rawRetentionDays: RAW_RETENTION_DAYS, rollupRetentionDays: ROLLUP_RETENTION_DAYS });
    };

    const rounds = (days * DAY_MS) / intervalMs;
    let lastDayCounted = t0 - DAY_MS;
    for (let r = 0; r < rounds; r++) {
      world.step(intervalMs / 1000);
      const at = t0 + r * intervalMs; // the round's slot; each target's samples are stamped as the scraper would
      for (const [i, h] of hosts.entries()) ingest.ingestText(renderGpuHostMetrics(world, h), 'dcgm', { targetId: null, nowMs: simulatedScrapeStampMs(at, r, i, intervalMs) });
      ingest.ingestText(renderFacilityMetrics(world, inventory.sites[0]!.id), 'plenum', { targetId: null, nowMs: simulatedScrapeStampMs(at + 3, r, hosts.length, intervalMs) });
      if (r % ROUNDS_PER_STEP !== ROUNDS_PER_STEP - 1) continue;
      await step(at);
      // A day is complete once compaction has passed its last window (it waits MIN_COMPACTION_AGE_MS after a window
      // closes): count its samples before retention drops the partition a week later.
      const nextDayEnd = lastDayCounted + 2 * DAY_MS;
      if (at < nextDayEnd) continue;
      const left = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${RAW_TABLE} WHERE window_start < $1`, [new Date(nextDayEnd)]);
      if (Number(left.rows[0]!.n) > 0) continue;
      lastDayCounted += DAY_MS;
      const day = dayName(lastDayCounted);
      const n = await pool.query<{ n: string | null }>(`SELECT sum(count)::bigint AS n FROM ${CHUNK_TABLE}_p${day}`);
      samplesByDay.set(day, Number(n.rows[0]!.n ?? 0));
      console.error(`[bench] day ${day}: ${samplesByDay.get(day)} samples; ${r3((Date.now() - wallStart) / 60_000)} min of wall time so far`);
    }
    await ingest.stop();

    const sizes = await partitionSizes(pool);
    const other = await pool.query<{ name: string; bytes: string }>(
      `SELECT c.relname AS name, pg_total_relation_size(c.oid)::bigint AS bytes FROM pg_class c
        WHERE c.relkind = 'r' AND c.relname LIKE 'telemetry\\_%' AND NOT c.relispartition ORDER BY c.relname`,
    );
    const retainedDays = sizes.filter((s) => s.parent === CHUNK_TABLE && samplesByDay.has(s.name.slice(-8))).map((s) => s.name.slice(-8));
    const perDay = retainedDays.map((day) => {
      const samples = samplesByDay.get(day)!;
      const bytesOf = (table: string) => sizes.find((s) => s.name === `${table}_p${day}`)?.bytes ?? 0;
      return {
        day,
        samples,
        chunks: r3(bytesOf(CHUNK_TABLE) / samples),
        writeTable: r3(bytesOf(RAW_TABLE) / samples),
      };
    });
    const samplesByMonth = new Map<string, number>();
    for (const [day, n] of samplesByDay) samplesByMonth.set(day.slice(0, 6), (samplesByMonth.get(day.slice(0, 6)) ?? 0) + n);
    const completeMonths = [...samplesByMonth.keys()].filter((m) => {
      const upper = partitionUpperMs(`x_p${m}`)!;
      return upper <= lastDayCounted + DAY_MS && samplesByDay.has(dayName(Date.UTC(Number(m.slice(0, 4)), Number(m.slice(4)) - 1, 1)));
    });
    const perMonth = [...samplesByMonth.keys()].map((month) => {
      const samples = samplesByMonth.get(month)!;
      const bytesOf = (table: string) => sizes.find((s) => s.name === `${table}_p${month}`)?.bytes ?? 0;
      return {
        month,
        complete: completeMonths.includes(month),
        samples,
        rollup1mBlocks: r3(bytesOf('telemetry_rollup_1m_blocks') / samples),
        rollup1mChunks: r3(bytesOf('telemetry_rollup_1m_chunks') / samples),
        rollup1h: r3(bytesOf('telemetry_rollup_1h') / samples),
      };
    });
    const retainedSamples = retainedDays.reduce((a, d) => a + samplesByDay.get(d)!, 0);
    const otherTables = Object.fromEntries(other.rows.map((r) => [r.name, r3(Number(r.bytes) / retainedSamples)]));
    // The first day's world is still settling from its start: read the steady state from the days after it (a run of
    // more than 8 days has dropped it by retention anyway). A month counts once all its days were written.
    const steadyDays = perDay.filter((d) => d.day !== dayName(t0));
    const completeMonthParts = perMonth.filter((m) => m.complete).map((m) => m.rollup1mBlocks + m.rollup1mChunks + m.rollup1h);
    const dailyPart = pct(steadyDays.map((d) => d.chunks + d.writeTable), 50);
    const monthlyPart = pct(completeMonthParts, 50);
    const otherPart = Object.values(otherTables).reduce((a, b) => a + b, 0);
    const samplesAll = [...samplesByDay.values()].reduce((a, b) => a + b, 0);
    const result = {
      bench: 'disk-steady-state',
      machine: { ...started, atEnd: machine() },
      intervalMs,
      simulated: { from: new Date(t0).toISOString(), days, hosts: hosts.length, wallMinutes: r3((Date.now() - wallStart) / 60_000) },
      retention: { rawDays: RAW_RETENTION_DAYS, rollupDays: ROLLUP_RETENTION_DAYS },
      bytesPerSample: {
        total: r3(dailyPart + monthlyPart + otherPart),
        dailyPartitions: r3(dailyPart),
        monthlyPartitions: r3(monthlyPart),
        otherTables: r3(otherPart),
      },
      perDay,
      perMonth,
      otherTables,
      vacuums: Object.fromEntries(vacuums),
      cpuUsPerSample: { compaction: r3((compactionCpuS / samplesAll) * 1e6), vacuum: r3((vacuumCpuS / samplesAll) * 1e6) },
    };
    const text = JSON.stringify(result, null, 2);
    if (jsonFile) writeFileSync(jsonFile, `${text}\n`);
    console.log(text);
  } finally {
    await pool.end().catch(() => {});
    await pg.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
