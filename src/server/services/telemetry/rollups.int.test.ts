import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../tests/db';
import { compactClosedWindows } from './compaction';
import { IngestPipeline } from './ingest';
import { maintainPartitions } from './partitions';
import { hourRollupsSql } from './rollup-store';
import { pgMax, pgMin, runRollups } from './rollups';

/**
 * Incremental rollups against a real PostgreSQL: after rounds of scrapes, late samples, open minutes and concurrent
 * workers, the 1 m and 1 h buckets equal an aggregate computed from scratch over the raw rows.
 */
describe('incremental rollups', () => {
  let db: TestDatabase;
  let ingest: IngestPipeline;
  const HOUR = 3_600_000;
  const MIN = 60_000;
  // Minute 57 of the hour two hours ago: the rounds below cross an hour boundary.
  const base = Math.floor((Date.now() - 2 * HOUR) / HOUR) * HOUR + 57 * MIN;
  let written = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    await maintainPartitions(db.pool, { rawRetentionDays: 7, rollupRetentionDays: 365 });
    ingest = new IngestPipeline(db.pool, { bufferMaxSamples: 1_000_000, rawRetentionDays: 7, notify: false });
    await ingest.loadInventory();
  });
  afterAll(async () => {
    await db.drop();
  });

  /** One scrape of `series` pass-through series at `tsMs`; values are multiples of 1/4, so every partial sum is exact. */
  function scrape(tsMs: number, round: number, series = 40): void {
    const lines: string[] = [];
    for (let s = 0; s < series; s++) lines.push(`rollup_test_power_watts{unit="u${s}"} ${((s * 7 + round * 13) % 50) * 0.25 + 100} ${tsMs}`);
    // Odd values whose order matters for min/max: PostgreSQL ranks NaN above every number.
    lines.push(`rollup_test_odd{kind="nan"} ${round % 2 === 0 ? 'NaN' : String(round)} ${tsMs}`);
    lines.push(`rollup_test_odd{kind="inf"} ${round % 3 === 0 ? '+Inf' : String(-round)} ${tsMs}`);
    written += ingest.ingestText(`${lines.join('\n')}\n`, 'prometheus', { targetId: null, nowMs: Date.now() });
  }

  type Bucket = { series_id: number; t: number; min: number; max: number; sum: number; count: number };
  const read = async (sql: string) => (await db.pool.query<Bucket>(sql)).rows.map((r) => ({ ...r, sum: Number(r.sum), count: Number(r.count) }));
  const rollup = (table: string) => read(`SELECT series_id, extract(epoch FROM bucket)::float8 AS t, min, max, sum, count FROM ${table} ORDER BY 1, 2`);
  // Hours as readers get them: stored hours and the 1-minute rows not compressed yet (rollup-store.ts hourRollupsSql).
  const HOURS_SQL = hourRollupsSql('ARRAY(SELECT id FROM telemetry_series)', "timestamptz '1970-01-01 00:00:00+00'", "timestamptz '2100-01-01 00:00:00+00'");
  const hours = () => read(`SELECT series_id, extract(epoch FROM bucket)::float8 AS t, min, max, sum, count FROM ${HOURS_SQL} h ORDER BY 1, 2`);
  const hourTotal = `(SELECT sum(count) FROM ${HOURS_SQL} h)::int`;
  const fromScratch = (unit: 'minute' | 'hour') =>
    read(
      `SELECT series_id, extract(epoch FROM date_trunc('${unit}', ts))::float8 AS t, min(value) AS min, max(value) AS max, sum(value) AS sum, count(*)::int AS count
         FROM telemetry_samples GROUP BY 1, 2 ORDER BY 1, 2`,
    );

  it('after rounds with late samples, equals a from-scratch aggregate of the raw rows (1 m and 1 h)', async () => {
    for (let round = 0; round < 6; round++) {
      const minute = base + round * MIN;
      // Two scrapes a minute, flushed separately: a bucket gets contributions from several flushes.
      scrape(minute + 5_000, round);
      await ingest.flush();
      scrape(minute + 35_000, round);
      await ingest.flush();
      if (round >= 2) {
        // Late samples for minutes already rolled up (and for one in the previous hour).
        scrape(base + (round - 2) * MIN + 50_000 + round, round + 100, 10);
        await ingest.flush();
      }
      await runRollups(db.pool);
    }
    expect(await rollup('telemetry_rollup_1m')).toEqual(await fromScratch('minute'));
    expect(await hours()).toEqual(await fromScratch('hour'));
    const total = await db.pool.query<{ m: number; h: number; raw: number }>(
      `SELECT (SELECT sum(count) FROM telemetry_rollup_1m)::int AS m, ${hourTotal} AS h, (SELECT count(*) FROM telemetry_samples)::int AS raw`,
    );
    expect(total.rows[0]).toEqual({ m: written, h: written, raw: written });
    // The rounds crossed an hour boundary: two hour buckets per series.
    expect(new Set((await hours()).map((b) => b.t)).size).toBe(2);
    // Hours are stored only by compaction: runs of the rollup worker leave telemetry_rollup_1h alone.
    expect(await rollup('telemetry_rollup_1h')).toEqual([]);
  });

  it('leaves a batch in the open minute queued, then adds it exactly once', async () => {
    const before = await rollup('telemetry_rollup_1m');
    const now = Date.now();
    scrape(now, 7);
    await ingest.flush();
    const first = await runRollups(db.pool, { nowMs: now });
    expect(first.batches).toBe(0);
    expect(first.queuedBatches).toBe(1);
    expect(await rollup('telemetry_rollup_1m')).toEqual(before);
    const second = await runRollups(db.pool, { nowMs: now + MIN });
    expect(second.batches).toBe(1);
    expect(second.queuedBatches).toBe(0);
    expect(await rollup('telemetry_rollup_1m')).toEqual(await fromScratch('minute'));
    expect(await hours()).toEqual(await fromScratch('hour'));
  });

  it('never counts a sample twice: repeated and concurrent runs add nothing more', async () => {
    for (let round = 0; round < 3; round++) {
      scrape(base + (round + 10) * MIN, round);
      await ingest.flush();
    }
    const runs = await Promise.all([0, 1, 2, 3].map(() => runRollups(db.pool)));
    expect(runs.reduce((n, r) => n + r.batches, 0)).toBe(3);
    await runRollups(db.pool);
    await runRollups(db.pool, { nowMs: Date.now() + HOUR });
    const counts = await db.pool.query<{ m: number; h: number; raw: number }>(
      `SELECT (SELECT sum(count) FROM telemetry_rollup_1m)::int AS m, ${hourTotal} AS h, (SELECT count(*) FROM telemetry_samples)::int AS raw`,
    );
    expect(counts.rows[0]).toEqual({ m: written, h: written, raw: written });
    expect(await rollup('telemetry_rollup_1m')).toEqual(await fromScratch('minute'));
    expect(await hours()).toEqual(await fromScratch('hour'));
  });

  it('rolls back the queued deltas with the rows when a flush fails', async () => {
    const queued = async () => (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM telemetry_rollup_deltas')).rows[0]!.n;
    // The COPY succeeds, then the queue insert fails (not for the data: a server-side error), so the flush
    // transaction rolls back as a whole and the rows stay buffered.
    await db.pool.query(`CREATE FUNCTION refuse_queue() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'queue refused for the test'; END $$`);
    await db.pool.query('CREATE TRIGGER refuse_queue BEFORE INSERT ON telemetry_rollup_deltas FOR EACH ROW EXECUTE FUNCTION refuse_queue()');
    const samplesBefore = (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM telemetry_samples')).rows[0]!.n;
    try {
      scrape(base + 1_000, 1);
      await expect(ingest.flush()).rejects.toThrow(/queue refused/);
      expect(await queued()).toBe(0);
      expect((await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM telemetry_samples')).rows[0]!.n).toBe(samplesBefore);
    } finally {
      await db.pool.query('DROP TRIGGER refuse_queue ON telemetry_rollup_deltas');
      await db.pool.query('DROP FUNCTION refuse_queue()');
    }
    // The rows stayed buffered; the retried flush writes them and their deltas once.
    await ingest.flush();
    await runRollups(db.pool, { nowMs: Date.now() + HOUR });
    expect(await rollup('telemetry_rollup_1m')).toEqual(await fromScratch('minute'));
    expect(await hours()).toEqual(await fromScratch('hour'));
  });
  it('compaction moves closed hours into telemetry_rollup_1h: readers see the same hours, and late minutes count once', async () => {
    const expected = await fromScratch('hour');
    expect(await hours()).toEqual(expected);
    // Three hours ahead every hour written so far has closed: its minutes are compressed, its hour stored.
    const first = await compactClosedWindows(db.pool, { nowMs: Date.now() + 3 * HOUR });
    expect(first.rollups.windows).toBeGreaterThanOrEqual(2);
    expect(await rollup('telemetry_rollup_1m')).toEqual([]);
    expect(await rollup('telemetry_rollup_1h')).toEqual(expected);
    expect(await hours()).toEqual(expected);

    // Late samples for a stored hour: the raw table holds only them now, so their own aggregate is what must be added.
    scrape(base + 3 * MIN + 20_000, 300, 10);
    await ingest.flush();
    await runRollups(db.pool, { nowMs: Date.now() + 3 * HOUR });
    const late = await fromScratch('hour');
    expect(late.length).toBe(12);
    const combined = expected.map((b) => {
      const l = late.find((x) => x.series_id === b.series_id && x.t === b.t);
      return l ? { ...b, min: pgMin(b.min, l.min), max: pgMax(b.max, l.max), sum: b.sum + l.sum, count: b.count + l.count } : b;
    });
    expect(await hours()).toEqual(combined);
    // The next compaction folds the late minutes into the stored hours: same answer, nothing counted twice.
    await compactClosedWindows(db.pool, { nowMs: Date.now() + 3 * HOUR });
    expect(await rollup('telemetry_rollup_1m')).toEqual([]);
    expect(await rollup('telemetry_rollup_1h')).toEqual(combined);
    expect(await hours()).toEqual(combined);
  });
});
