/**
 * Migrations 0030 and 0031: raw samples and 1-minute rollups move from one row each (telemetry_samples,
 * telemetry_rollup_1m) to blocks. An installation upgraded with samples and buckets not compressed yet must read
 * exactly what it had, and the row-shaped views must still take inserts (the previous version during a rolling
 * upgrade).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../src/server/db/migrate';
import { maintainPartitions, RAW_TABLE } from '../src/server/services/telemetry/partitions';
import { readMinuteRollups } from '../src/server/services/telemetry/rollup-store';
import { readSamples, SERIES_GROUP_SHIFT } from '../src/server/services/telemetry/sample-store';
import { createTestDatabase, migrateBefore, type TestDatabase } from './db';

const DAY = 86_400_000;

describe('migrations 0030 and 0031: samples and minute rollups in rows become blocks', () => {
  let db: TestDatabase;
  const today = Math.floor(Date.now() / DAY) * DAY;
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');
  // Samples of 150 series (three groups) at three scrape times, one of them in another window, plus special values.
  const rows: { id: number; ms: number; value: number }[] = [];
  const minutes: { id: number; ms: number; min: number; max: number; sum: number; count: number }[] = [];

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
    const month = new Date(today);
    const monthStart = Date.UTC(month.getUTCFullYear(), month.getUTCMonth(), 1);
    const nextMonth = Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 1);
    await migrateBefore(db.pool, '0030');
    for (const d of [today - DAY, today]) {
      await db.pool.query(
        `CREATE TABLE telemetry_samples_p${day(d)} PARTITION OF telemetry_samples FOR VALUES FROM (to_timestamp(${d / 1000})) TO (to_timestamp(${(d + DAY) / 1000}))`,
      );
    }
    const times = [today - DAY + 3_600_000, today + 60_000, today + 70_000];
    for (const ms of times) for (let id = 100; id < 250; id++) rows.push({ id, ms, value: id * 1.5 + ms / 1e9 });
    rows.push({ id: 7, ms: times[1]!, value: Number.NaN }, { id: 7, ms: times[2]!, value: Number.POSITIVE_INFINITY }, { id: 8, ms: times[2]!, value: -0 });
    await db.pool.query(
      'INSERT INTO telemetry_samples (series_id, ts, value) SELECT u.id, to_timestamp(u.ms / 1000.0), u.v FROM unnest($1::int[], $2::float8[], $3::float8[]) AS u(id, ms, v)',
      // As text: String(-0) would lose the sign.
      [rows.map((r) => r.id), rows.map((r) => r.ms), rows.map((r) => (Object.is(r.value, -0) ? '-0' : String(r.value)))],
    );
    await db.pool.query(
      `CREATE TABLE telemetry_rollup_1m_p${day(monthStart).slice(0, 6)} PARTITION OF telemetry_rollup_1m FOR VALUES FROM (to_timestamp(${monthStart / 1000})) TO (to_timestamp(${nextMonth / 1000}))`,
    );
    // 70 series' minutes (two groups, one of 64 series split in blocks of 48) with odd values.
    for (let id = 0; id < 70; id++) minutes.push({ id, ms: today + 60_000, min: id - 0.5, max: id === 3 ? Number.NaN : id + 0.25, sum: id / 3, count: 2 });
    await db.pool.query(
      `INSERT INTO telemetry_rollup_1m (series_id, bucket, min, max, sum, count)
       SELECT u.id, to_timestamp(u.ms / 1000.0), u.mn, u.mx, u.sm, u.ct FROM unnest($1::int[], $2::float8[], $3::float8[], $4::float8[], $5::float8[], $6::int[]) AS u(id, ms, mn, mx, sm, ct)`,
      [minutes.map((m) => m.id), minutes.map((m) => m.ms), minutes.map((m) => m.min), minutes.map((m) => String(m.max)), minutes.map((m) => m.sum), minutes.map((m) => m.count)],
    );
    await runMigrations(db.pool);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('keeps every sample, bit for bit, readable through the view and through readSamples', async () => {
    const viewed = await db.pool.query<{ id: number; ms: number; bits: string }>(
      `SELECT series_id AS id, (extract(epoch FROM ts) * 1000)::float8 AS ms, encode(float8send(value), 'hex') AS bits FROM telemetry_samples ORDER BY 1, 2`,
    );
    const bits = (v: number) => {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(v);
      return b.toString('hex');
    };
    const expected = rows.map((r) => ({ id: r.id, ms: r.ms, bits: bits(r.value) })).sort((a, b) => a.id - b.id || a.ms - b.ms);
    expect(viewed.rows).toEqual(expected);
    const read = await readSamples(db.pool, [7, 8, 120], today - 2 * DAY, today + DAY);
    expect(Object.is(read.get(8)!.values[0], -0)).toBe(true);
    expect(Number.isNaN(read.get(7)!.values[0])).toBe(true);
    expect(read.get(120)!.us.map((us) => us / 1000)).toEqual(rows.filter((r) => r.id === 120).map((r) => r.ms));
  });

  it('stores one block per window, series group and timestamp, in partitions named after the old ones', async () => {
    const groups = new Set(rows.map((r) => `${r.ms}:${r.id >> SERIES_GROUP_SHIFT}`));
    const blocks = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM telemetry_sample_blocks');
    expect(blocks.rows[0]!.n).toBe(groups.size);
    const parts = await db.pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = $1 ORDER BY 1`,
      [RAW_TABLE],
    );
    expect(parts.rows.map((r) => r.name)).toEqual([`${RAW_TABLE}_p${day(today - DAY)}`, `${RAW_TABLE}_p${day(today)}`]);
    // The partitions role manages the block table's partitions from now on.
    const maintained = await maintainPartitions(db.pool, { rawRetentionDays: 7, rollupRetentionDays: 30 });
    expect(maintained.created.some((n) => n.startsWith(`${RAW_TABLE}_p`))).toBe(true);
  });

  it('keeps every 1-minute bucket, in blocks of at most 48 per minute and group', async () => {
    const read = await readMinuteRollups(db.pool, minutes.map((m) => m.id), today, today + DAY);
    for (const m of minutes) {
      const got = read.get(m.id)!;
      expect(got.t).toEqual([m.ms]);
      expect([got.mins[0], got.maxs[0], got.sums[0], got.counts[0]]).toEqual([m.min, m.max, m.sum, m.count]);
    }
    const blocks = await db.pool.query<{ g: number; n: number }>(
      'SELECT series_group AS g, cardinality(series_ids) AS n FROM telemetry_rollup_1m_blocks ORDER BY 1, 2',
    );
    expect(blocks.rows).toEqual([
      { g: 0, n: 16 },
      { g: 0, n: 48 },
      { g: 1, n: 6 },
    ]);
  });

  it('still takes rows through the views (an older version writing during a rolling upgrade)', async () => {
    await db.pool.query('INSERT INTO telemetry_rollup_1m (series_id, bucket, min, max, sum, count) VALUES (5, to_timestamp($1 / 1000.0), 1, 1, 1, 1)', [today + 60_000]);
    const minute = await db.pool.query('SELECT min, max, sum, count FROM telemetry_rollup_1m WHERE series_id = 5');
    expect(minute.rows).toEqual([{ min: 1, max: 5.25, sum: 5 / 3 + 1, count: 3 }]);
    await db.pool.query('INSERT INTO telemetry_samples (series_id, ts, value) VALUES (300, to_timestamp($1 / 1000.0), 42.5)', [today + 90_000]);
    const read = await readSamples(db.pool, [300], today, today + DAY);
    expect(Array.from(read.get(300)!.values)).toEqual([42.5]);
    const block = await db.pool.query<{ g: number; w: number }>(
      'SELECT series_group AS g, (extract(epoch FROM window_start) * 1000)::float8 AS w FROM telemetry_sample_blocks WHERE 300 = ANY(series_ids)',
    );
    expect(block.rows).toEqual([{ g: 300 >> SERIES_GROUP_SHIFT, w: Math.floor((today + 90_000) / 1_800_000) * 1_800_000 }]);
  });
});
