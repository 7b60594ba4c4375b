/**
 * Rollup cost through an hour: the incremental rollups (flush-time deltas consumed once by `runRollups`) against the
 * previous design (recompute every dirty minute from raw samples, then the whole current hour from the minute
 * rollups), on the same data, in the same run, on a throwaway embedded PostgreSQL.
 *
 *   npx tsx bench/telemetry/rollups.ts [--series 2000] [--minutes 60] [--interval 10]
 *
 * Data: `--series` pass-through series on one scrape target, one scrape every `--interval` s of simulated time for
 * `--minutes` minutes, starting at the top of an hour in the past. Each round is ingested and flushed through the real
 * IngestPipeline (as the 250 ms flush loop would), then the rollups run once (the worker runs every 10 s). Only the
 * rollup runs are timed (wall time of the call: Node + PostgreSQL), and PostgreSQL's CPU over all runs is read from /proc.
 * Reported: milliseconds per run and microseconds per sample, for the first and last ten minutes of the hour.
 */
import { createDb } from '../../src/server/db/client';
import { runMigrations } from '../../src/server/db/migrate';
import { IngestPipeline } from '../../src/server/services/telemetry/ingest';
import { maintainPartitions } from '../../src/server/services/telemetry/partitions';
import { runRollups } from '../../src/server/services/telemetry/rollups';
import { arg, machine, pct, postgresCpuSeconds, r1, r3, throwawayPostgres } from './common';

const seriesCount = Number(arg('series', '2000'));
const minutes = Number(arg('minutes', '60'));
const intervalS = Number(arg('interval', '10'));
/** The previous design's row tables (its 1-hour rows were still written by the rollup worker). */
const RECOMPUTE_TABLES = ['recompute_rollup_1m', 'recompute_rollup_1h'];

/**
 * The previous design's work for one run, with its transaction and lock: the dirty minutes from raw, then their hours
 * from the minute rollups. (Its DELETE of the dirty-minute list and its NOTIFY, one round trip each, are left out.) It
 * writes row tables of the shape it had (RECOMPUTE_TABLES), since the product's 1-minute rollups are blocks now.
 */
async function recomputeFromRaw(pool: import('pg').Pool, dirtyMinutesMs: number[]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_try_advisory_xact_lock(7041991)');
    await recomputeIn(client, dirtyMinutesMs);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

async function recomputeIn(pool: import('pg').PoolClient, dirtyMinutesMs: number[]): Promise<void> {
  for (const m of dirtyMinutesMs) {
    await pool.query(
      `INSERT INTO recompute_rollup_1m (series_id, bucket, min, max, sum, count)
       SELECT series_id, date_trunc('minute', ts), min(value), max(value), sum(value), count(*)
         FROM telemetry_samples WHERE ts >= to_timestamp($1 / 1000.0) AND ts < to_timestamp($2 / 1000.0)
        GROUP BY 1, 2
       ON CONFLICT (series_id, bucket) DO UPDATE SET min = excluded.min, max = excluded.max, sum = excluded.sum, count = excluded.count`,
      [m, m + 60_000],
    );
  }
  for (const h of new Set(dirtyMinutesMs.map((m) => m - (m % 3_600_000)))) {
    await pool.query(
      `INSERT INTO recompute_rollup_1h (series_id, bucket, min, max, sum, count)
       SELECT series_id, date_trunc('hour', bucket), min(min), max(max), sum(sum), sum(count)
         FROM recompute_rollup_1m WHERE bucket >= to_timestamp($1 / 1000.0) AND bucket < to_timestamp($1 / 1000.0) + interval '1 hour'
        GROUP BY 1, 2
       ON CONFLICT (series_id, bucket) DO UPDATE SET min = excluded.min, max = excluded.max, sum = excluded.sum, count = excluded.count`,
      [h],
    );
  }
}

async function main() {
  const started = machine();
  const pg = await throwawayPostgres();
  const { pool } = createDb(pg.url, { max: 4 });
  try {
    await runMigrations(pool);
    await maintainPartitions(pool, { rawRetentionDays: 7, rollupRetentionDays: 365 });
    for (const table of RECOMPUTE_TABLES) {
      await pool.query(
        `CREATE TABLE ${table} (series_id int, bucket timestamptz, min float8 NOT NULL, max float8 NOT NULL, sum float8 NOT NULL, count int NOT NULL, PRIMARY KEY (series_id, bucket))`,
      );
    }
    const target = await pool.query<{ id: number }>(`INSERT INTO scrape_targets (url, dialect, enabled) VALUES ('http://bench.invalid/metrics', 'prometheus', false) RETURNING id`);
    const targetId = target.rows[0]!.id;
    const hourStart = Math.floor((Date.now() - 3 * 3_600_000) / 3_600_000) * 3_600_000;
    const rounds = Math.floor((minutes * 60) / intervalS);
    const scrapeText = (round: number) => {
      const lines: string[] = [];
      for (let s = 0; s < seriesCount; s++) lines.push(`bench_rollup_power_watts{unit="u${s}",rack="r${s % 40}"} ${(100 + ((s * 31 + round * 17) % 997) / 7).toFixed(3)}`);
      return `${lines.join('\n')}\n`;
    };

    const results: Record<string, unknown> = {};
    for (const mode of ['incremental', 'recompute'] as const) {
      await pool.query(`TRUNCATE telemetry_sample_blocks, telemetry_rollup_1m_blocks, telemetry_rollup_1h, telemetry_rollup_deltas, ${RECOMPUTE_TABLES.join(', ')}`);
      const ingest = new IngestPipeline(pool, { bufferMaxSamples: 10_000_000, rawRetentionDays: 7, notify: false });
      await ingest.loadInventory();
      const runMs: number[] = [];
      const samplesPerRun: number[] = [];
      const pgCpu0 = postgresCpuSeconds(pg.pgData);
      let timedS = 0;
      for (let round = 0; round < rounds; round++) {
        const t = hourStart + round * intervalS * 1000;
        const n = ingest.ingestText(scrapeText(round), 'prometheus', { targetId, nowMs: t });
        await ingest.flush();
        // The worker's clock during the run: just after this scrape.
        const nowMs = t + 1_000;
        const t0 = performance.now();
        if (mode === 'incremental') await runRollups(pool, { nowMs });
        else await recomputeFromRaw(pool, [t - (t % 60_000)]);
        const ms = performance.now() - t0;
        timedS += ms / 1000;
        runMs.push(ms);
        samplesPerRun.push(n);
        if (mode === 'recompute') await pool.query('TRUNCATE telemetry_rollup_deltas'); // the old design had no queue
      }
      if (mode === 'incremental') await runRollups(pool, { nowMs: hourStart + (minutes + 2) * 60_000 });
      const pgCpuS = postgresCpuSeconds(pg.pgData) - pgCpu0;
      const perMinute = 60 / intervalS;
      const window = (from: number, to: number) => {
        const ms = runMs.slice(from * perMinute, to * perMinute);
        const samples = samplesPerRun.slice(from * perMinute, to * perMinute).reduce((a, b) => a + b, 0);
        return { medianRunMs: r3(pct(ms, 50)), p95RunMs: r3(pct(ms, 95)), usPerSample: r3((ms.reduce((a, b) => a + b, 0) * 1000) / samples) };
      };
      const totalSamples = samplesPerRun.reduce((a, b) => a + b, 0);
      const check = await pool.query<{ m: number; h: number; raw: number }>(
        mode === 'incremental'
          ? `SELECT (SELECT sum(count) FROM telemetry_rollup_1m)::float8 AS m, (SELECT sum(count) FROM telemetry_rollup_1h)::float8 AS h, (SELECT count(*) FROM telemetry_samples)::float8 AS raw`
          : `SELECT (SELECT sum(count) FROM recompute_rollup_1m)::float8 AS m, (SELECT sum(count) FROM recompute_rollup_1h)::float8 AS h, (SELECT count(*) FROM telemetry_samples)::float8 AS raw`,
      );
      results[mode] = {
        samples: totalSamples,
        first10Minutes: window(0, 10),
        last10Minutes: window(minutes - 10, minutes),
        usPerSampleAll: r3((timedS * 1e6) / totalSamples),
        // PostgreSQL CPU of the whole round (COPY and queue insert included), per sample.
        postgresCpuUsPerSampleWithIngest: r1((pgCpuS * 1e6) / totalSamples),
        rolledUp: check.rows[0],
      };
      console.error(`[bench] ${mode}: ${JSON.stringify(results[mode])}`);
    }
    console.log(JSON.stringify({ benchmark: 'telemetry rollups through an hour', seriesCount, minutes, intervalS, machine: started, end: machine(), results }, null, 2));
  } finally {
    await pool.end();
    await pg.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
