/**
 * Migration 0035: the rollup queue moves from SQL arrays (telemetry_rollup_queue) to one bytea of binary entries per
 * flush (telemetry_rollup_deltas, services/telemetry/rollups.ts). Rows queued before the upgrade and rows an older
 * instance still enqueues into the old table must reach the 1-minute rollups exactly once, special values intact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../src/server/db/migrate';
import { maintainPartitions } from '../src/server/services/telemetry/partitions';
import { DELTA_BYTES, decodeDeltas, pgMax, pgMin, runRollups } from '../src/server/services/telemetry/rollups';
import { createTestDatabase, migrateBefore, type TestDatabase } from './db';

type Entry = { id: number; minute: number; min: number; max: number; sum: number; count: number };

describe('migration 0035: the rollup queue in binary form', () => {
  let db: TestDatabase;
  const minute = Math.floor(Date.now() / 60_000) - 30;
  const enqueued: Entry[][] = [];

  /** The statement an instance before 0035 enqueues a flush's deltas with. */
  const oldEnqueue = (entries: Entry[]) =>
    db.pool.query(
      `INSERT INTO telemetry_rollup_queue (max_minute, series_ids, minutes, mins, maxs, sums, counts)
       VALUES ($1, $2::int4[], $3::int4[], $4::float8[], $5::float8[], $6::float8[], $7::int4[])`,
      [
        Math.max(...entries.map((e) => e.minute)),
        entries.map((e) => e.id),
        entries.map((e) => e.minute),
        entries.map((e) => (Object.is(e.min, -0) ? '-0' : String(e.min))),
        entries.map((e) => String(e.max)),
        entries.map((e) => String(e.sum)),
        entries.map((e) => e.count),
      ],
    );

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
    await migrateBefore(db.pool, '0035');
    await maintainPartitions(db.pool, { rawRetentionDays: 7, rollupRetentionDays: 30 });
    // Two flushes queued before the upgrade: 70 series (two groups, one split in two blocks) over two minutes.
    for (let flush = 0; flush < 2; flush++) {
      const entries: Entry[] = [];
      for (let id = 0; id < 70; id++) {
        for (const m of [minute, minute + 1]) entries.push({ id, minute: m, min: id - flush, max: id + flush * 0.5, sum: id * 0.25 + flush, count: 1 + flush });
      }
      enqueued.push(entries);
    }
    enqueued[0]![0] = { id: 0, minute, min: -0, max: Number.NaN, sum: Number.POSITIVE_INFINITY, count: 1 };
    for (const entries of enqueued) await oldEnqueue(entries);
    await runMigrations(db.pool);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('converts the queued rows into the binary form, in order, and empties the old table', async () => {
    const rows = await db.pool.query<{ entries: number; deltas: Buffer; max_minute: number }>('SELECT entries, deltas, max_minute FROM telemetry_rollup_deltas ORDER BY id');
    expect(rows.rows.map((r) => [r.entries, r.deltas.length, r.max_minute])).toEqual(enqueued.map((e) => [e.length, e.length * DELTA_BYTES, minute + 1]));
    // Decoded back: the same entries, bit for bit (-0 and NaN included).
    const decoded = decodeDeltas([rows.rows[0]!.deltas]);
    expect(Object.is(decoded.mins[0], -0)).toBe(true);
    expect(Number.isNaN(decoded.maxs[0])).toBe(true);
    expect(decoded.sums[0]).toBe(Number.POSITIVE_INFINITY);
    expect([...decoded.seriesIds.slice(0, 4)]).toEqual([0, 0, 1, 1]);
    expect((await db.pool.query('SELECT 1 FROM telemetry_rollup_queue')).rowCount).toBe(0);
  });

  it("takes an older instance's enqueue into the old table, and rolls every queued entry up exactly once", async () => {
    const late: Entry[] = [{ id: 5, minute, min: 100, max: 100, sum: 100, count: 1 }];
    enqueued.push(late);
    await oldEnqueue(late);
    expect((await db.pool.query('SELECT 1 FROM telemetry_rollup_queue')).rowCount).toBe(0);
    const run = await runRollups(db.pool, { nowMs: (minute + 5) * 60_000 });
    expect(run.batches).toBe(3);
    expect(run.minutes).toBe(2);
    expect(run.minuteBuckets).toBe(140);

    const expected = new Map<string, Entry>();
    for (const e of enqueued.flat()) {
      const key = `${e.id}:${e.minute}`;
      const held = expected.get(key);
      expected.set(key, held ? { ...held, min: pgMin(held.min, e.min), max: pgMax(held.max, e.max), sum: held.sum + e.sum, count: held.count + e.count } : { ...e });
    }
    const stored = await db.pool.query<{ id: number; m: number; min: number; max: number; sum: number; count: number }>(
      `SELECT series_id AS id, (extract(epoch FROM bucket) / 60)::int AS m, min, max, sum, count FROM telemetry_rollup_1m ORDER BY 1, 2`,
    );
    expect(stored.rows).toEqual(
      [...expected.values()].sort((a, b) => a.id - b.id || a.minute - b.minute).map((e) => ({ id: e.id, m: e.minute, min: e.min, max: e.max, sum: e.sum, count: e.count })),
    );
    // Blocks per minute and group, split at 48 ids: ids 0-47, 48-63 and 64-69, for each of the two minutes.
    const blocks = await db.pool.query<{ n: number }>('SELECT cardinality(series_ids) AS n FROM telemetry_rollup_1m_blocks ORDER BY bucket, series_group, series_ids[1]');
    expect(blocks.rows.map((r) => r.n)).toEqual([48, 16, 6, 48, 16, 6]);
    // Nothing is taken twice.
    expect((await runRollups(db.pool, { nowMs: (minute + 5) * 60_000 })).batches).toBe(0);
  });
});
