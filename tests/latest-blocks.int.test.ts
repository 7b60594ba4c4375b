/**
 * Migration 0033: the latest value of each series moves from one row per series (telemetry_latest) to one row per
 * series group (telemetry_latest_blocks, services/telemetry/latest-store.ts). An installation upgraded while telemetry
 * runs must keep every latest value, an older instance's upsert into the old table must still land (and never move a
 * value back in time), and the flush's two paths (whole arrays replaced, or merged per series) must agree with the
 * rule "per series, the newest sample; on a tie, the stored one".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../src/server/db/migrate';
import { ageOutLatest, LATEST_KEEP_MS, LatestValues } from '../src/server/services/telemetry/latest-store';
import { createTestDatabase, migrateBefore, type TestDatabase } from './db';

type Latest = { id: number; ms: number; value: number };

describe('latest values in blocks (migration 0033)', () => {
  let db: TestDatabase;
  const now = Math.floor(Date.now() / 1000) * 1000;
  // 140 series in three groups (0-63, 64-127, 128-139), two of them with special values.
  const stored: Latest[] = [];

  async function values(ids?: number[]): Promise<Latest[]> {
    const rows = await db.pool.query<{ id: number; ms: number; value: number }>(
      `SELECT series_id AS id, (extract(epoch FROM ts) * 1000)::float8 AS ms, value FROM telemetry_latest_values
        WHERE $1::int4[] IS NULL OR series_id = ANY($1::int4[]) ORDER BY series_id`,
      [ids ?? null],
    );
    return rows.rows;
  }

  async function write(samples: Latest[]): Promise<void> {
    const latest = new LatestValues();
    for (const s of samples) latest.add(s.id, s.ms, s.value);
    const client = await db.pool.connect();
    try {
      await latest.write(client);
    } finally {
      client.release();
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
    await migrateBefore(db.pool, '0033');
    await db.pool.query(
      `INSERT INTO telemetry_series (id, series_key, metric, unit, labels, entity_kind)
       SELECT i, 'latest-blocks-' || i, 'x', 'ratio', '{}', 'unmapped' FROM generate_series(0, 200) AS i`,
    );
    for (let id = 0; id < 140; id++) stored.push({ id, ms: now - 60_000 + (id % 7) * 1_000, value: id * 1.25 });
    stored[5]!.value = Number.NaN;
    stored[70]!.value = Number.NEGATIVE_INFINITY;
    await db.pool.query(
      'INSERT INTO telemetry_latest (series_id, ts, value) SELECT u.id, to_timestamp(u.ms / 1000.0), u.v FROM unnest($1::int4[], $2::float8[], $3::float8[]) AS u(id, ms, v)',
      [stored.map((s) => s.id), stored.map((s) => s.ms), stored.map((s) => String(s.value))],
    );
    await runMigrations(db.pool);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('moves every latest value into one row per group and empties the old table', async () => {
    expect(await values()).toEqual(stored);
    const blocks = await db.pool.query<{ g: number; n: number; newest: number; oldest: number }>(
      `SELECT series_group AS g, cardinality(series_ids) AS n, (extract(epoch FROM newest_ts) * 1000)::float8 AS newest,
              (extract(epoch FROM oldest_ts) * 1000)::float8 AS oldest FROM telemetry_latest_blocks ORDER BY 1`,
    );
    expect(blocks.rows).toEqual([
      { g: 0, n: 64, newest: now - 54_000, oldest: now - 60_000 },
      { g: 1, n: 64, newest: now - 54_000, oldest: now - 60_000 },
      { g: 2, n: 12, newest: now - 54_000, oldest: now - 60_000 },
    ]);
    expect((await db.pool.query('SELECT 1 FROM telemetry_latest')).rowCount).toBe(0);
  });

  it("takes an older instance's upsert into the old table, newer values only", async () => {
    // The statement the previous version's flush runs.
    const upsert = (ids: number[], ms: number, value: number) =>
      db.pool.query(
        `INSERT INTO telemetry_latest (series_id, ts, value)
         SELECT u.id, to_timestamp(u.ms / 1000.0), u.v FROM unnest($1::int4[], $2::float8[], $3::float8[]) WITH ORDINALITY AS u(id, ms, v, n)
          ORDER BY u.n
         ON CONFLICT (series_id) DO UPDATE SET ts = excluded.ts, value = excluded.value WHERE telemetry_latest.ts < excluded.ts`,
        [ids, ids.map(() => ms), ids.map(() => value)],
      );
    await upsert([1, 2, 150], now - 30_000, 7);
    await upsert([1, 3], now - 90_000, 8);
    expect(await values([1, 2, 3, 150])).toEqual([
      { id: 1, ms: now - 30_000, value: 7 },
      { id: 2, ms: now - 30_000, value: 7 },
      { id: 3, ms: stored[3]!.ms, value: stored[3]!.value },
      { id: 150, ms: now - 30_000, value: 7 },
    ]);
    expect((await db.pool.query('SELECT 1 FROM telemetry_latest')).rowCount).toBe(0);
  });

  it('a flush replaces a whole group or merges per series, keeping the newer sample and the stored one on a tie', async () => {
    // Group 3 (192-200) is new: the rows are inserted.
    await write([192, 193, 194].map((id) => ({ id, ms: now - 20_000, value: id })));
    // The same series, all newer: replaced whole.
    await write([192, 193, 194].map((id) => ({ id, ms: now - 10_000, value: id + 0.5 })));
    expect(await values([192, 193, 194])).toEqual([192, 193, 194].map((id) => ({ id, ms: now - 10_000, value: id + 0.5 })));
    // Other series of the group, one stored series older, one tied with a different value, one newer: merged.
    await write([
      { id: 192, ms: now - 15_000, value: -1 },
      { id: 193, ms: now - 10_000, value: -2 },
      { id: 194, ms: now - 5_000, value: -3 },
      { id: 195, ms: now - 40_000, value: -0 },
    ]);
    const merged = await values([192, 193, 194, 195]);
    expect(merged).toEqual([
      { id: 192, ms: now - 10_000, value: 192.5 },
      { id: 193, ms: now - 10_000, value: 193.5 },
      { id: 194, ms: now - 5_000, value: -3 },
      { id: 195, ms: now - 40_000, value: -0 },
    ]);
    expect(Object.is(merged[3]!.value, -0)).toBe(true);
    const block = await db.pool.query<{ ids: number[]; newest: number; oldest: number }>(
      `SELECT series_ids AS ids, (extract(epoch FROM newest_ts) * 1000)::float8 AS newest, (extract(epoch FROM oldest_ts) * 1000)::float8 AS oldest
         FROM telemetry_latest_blocks WHERE series_group = 3`,
    );
    expect(block.rows).toEqual([{ ids: [192, 193, 194, 195], newest: now - 5_000, oldest: now - 40_000 }]);
    // Every sample newer, but not the same series: merged, not replaced (195 stays).
    await write([192, 193, 194].map((id) => ({ id, ms: now, value: 0 })));
    expect((await values([195]))[0]).toEqual({ id: 195, ms: now - 40_000, value: -0 });
    // Special values survive both paths, bit for bit.
    expect(Number.isNaN((await values([5]))[0]!.value)).toBe(true);
  });

  it('one flush holding a series several times keeps its newest sample (of equal times the first added)', async () => {
    await write([
      { id: 963, ms: now - 3_000, value: 1 },
      { id: 960, ms: now - 9_000, value: 7 },
      { id: 963, ms: now - 1_000, value: 2 },
      { id: 963, ms: now - 2_000, value: 3 },
      { id: 963, ms: now - 1_000, value: 4 },
      { id: 960, ms: now - 9_500, value: 8 },
    ]);
    expect(await values([960, 963])).toEqual([
      { id: 960, ms: now - 9_000, value: 7 },
      { id: 963, ms: now - 1_000, value: 2 },
    ]);
    await db.pool.query('DELETE FROM telemetry_latest_blocks WHERE series_group = 15'); // the next test counts what is left
  });

  it('ages out old values: a group with none younger goes, the others keep their younger ones', async () => {
    const countBefore = (await values()).length;
    // Past the window of everything stored before `now - 40 s`: groups 0-2 (apart from 1, 2, 150) and 195.
    const cut = now - 40_000 + LATEST_KEEP_MS + 1;
    const removed = await ageOutLatest(db.pool, cut);
    const left = await values();
    expect(removed).toBe(countBefore - left.length);
    expect(left.map((v) => v.id)).toEqual([1, 2, 150, 192, 193, 194]);
    const groups = await db.pool.query<{ g: number; oldest: number }>(
      'SELECT series_group AS g, (extract(epoch FROM oldest_ts) * 1000)::float8 AS oldest FROM telemetry_latest_blocks ORDER BY 1',
    );
    expect(groups.rows).toEqual([
      { g: 0, oldest: now - 30_000 },
      { g: 2, oldest: now - 30_000 },
      { g: 3, oldest: now },
    ]);
    expect(await ageOutLatest(db.pool, cut)).toBe(0);
  });
});
