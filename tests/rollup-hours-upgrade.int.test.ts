/**
 * Migration 0029: 1-hour rollups become compaction's alone. Hours the previous rollup worker stored while their minutes
 * are still uncompressed must not be counted twice afterwards, and an older version's writer must be refused.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER } from '../src/server/db/migrate';
import { hourRollupsSql } from '../src/server/services/telemetry/rollup-store';
import { maintainPartitions } from '../src/server/services/telemetry/partitions';
import { createTestDatabase, type TestDatabase } from './db';

const HOUR = 3_600_000;
const MIN = 60_000;

describe('migration 0029: hours stored by the previous rollup worker', () => {
  let db: TestDatabase;
  let series = 0;
  // Two closed hours: A was never compacted (all its minutes still in rows), B was compacted and got a late minute.
  const hourA = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;
  const hourB = hourA + HOUR;

  beforeAll(async () => {
    db = await createTestDatabase();
    await maintainPartitions(db.pool, { rawRetentionDays: 7, rollupRetentionDays: 365 });
    series = (
      await db.pool.query<{ id: number }>(
        `INSERT INTO telemetry_series (series_key, metric, unit, labels, entity_kind, source) VALUES ('upgrade', 'upgrade_w', 'W', '{}', 'unmapped', 'scrape') RETURNING id`,
      )
    ).rows[0]!.id;
  });
  afterAll(async () => {
    await db.drop();
  });

  const statements = () =>
    readFileSync(path.join(MIGRATIONS_FOLDER, '0029_hour_rollups_by_compaction.sql'), 'utf8')
      .split('--> statement-breakpoint')
      .map((s) => s.trim());
  const hours = async () =>
    (
      await db.pool.query<{ t: number; min: number; max: number; sum: number; count: number }>(
        `SELECT (extract(epoch FROM bucket) * 1000)::float8 AS t, min, max, sum, count
           FROM ${hourRollupsSql('ARRAY[$1::int]', "timestamptz '1970-01-01 00:00:00+00'", "timestamptz '2100-01-01 00:00:00+00'")} h ORDER BY bucket`,
        [series],
      )
    ).rows;

  it('takes the uncompressed minutes out of the stored hours, so readers count each minute once', async () => {
    // The state the previous version left: hour A's three minutes in rows and in the hour; hour B compressed (five
    // samples, only in its hour now) plus one late minute, in a row and added to the hour.
    const client = await db.pool.connect();
    await client.query('BEGIN');
    // This transaction stands in for the previous version's worker (the trigger lets only compaction write hours).
    await client.query(`SELECT set_config('plenum.rollup_1h_writer', 'compaction', true)`);
    const minute = (ms: number, min: number, max: number, sum: number, count: number) =>
      client.query('INSERT INTO telemetry_rollup_1m (series_id, bucket, min, max, sum, count) VALUES ($1, to_timestamp($2 / 1000.0), $3, $4, $5, $6)', [series, ms, min, max, sum, count]);
    await minute(hourA + 1 * MIN, 2, 4, 6, 2);
    await minute(hourA + 2 * MIN, 1, 9, 10, 2);
    await minute(hourA + 30 * MIN, 3, 3, 3, 1);
    await minute(hourB + 59 * MIN, 7, 7, 7, 1);
    const hour = (ms: number, min: number, max: number, sum: number, count: number) =>
      client.query('INSERT INTO telemetry_rollup_1h (series_id, bucket, min, max, sum, count) VALUES ($1, to_timestamp($2 / 1000.0), $3, $4, $5, $6)', [series, ms, min, max, sum, count]);
    await hour(hourA, 1, 9, 19, 5);
    await hour(hourB, 1, 20, 57, 6);
    await client.query('COMMIT');
    client.release();
    // Read the old way (stored hours plus minutes) they would count twice.
    expect((await hours()).map((h) => h.count)).toEqual([10, 7]);

    // The migration's two statements (here the trigger already exists: its UPDATE runs before the trigger is made).
    const [update, remove] = statements();
    const migrating = await db.pool.connect();
    try {
      await migrating.query('BEGIN');
      await migrating.query(`SELECT set_config('plenum.rollup_1h_writer', 'compaction', true)`);
      await migrating.query(update!);
      await migrating.query(remove!);
      await migrating.query('COMMIT');
    } finally {
      migrating.release();
    }
    const stored = await db.pool.query<{ t: number; sum: number; count: number; min: number; max: number }>(
      'SELECT (extract(epoch FROM bucket) * 1000)::float8 AS t, min, max, sum, count FROM telemetry_rollup_1h WHERE series_id = $1 ORDER BY bucket',
      [series],
    );
    // Hour A had nothing compressed: gone (read from its minutes). Hour B keeps what compaction had stored.
    expect(stored.rows).toEqual([{ t: hourB, min: 1, max: 20, sum: 50, count: 5 }]);
    expect(await hours()).toEqual([
      { t: hourA, min: 1, max: 9, sum: 19, count: 5 },
      { t: hourB, min: 1, max: 20, sum: 57, count: 6 },
    ]);
  });

  it('refuses hour writes from anything but compaction (an older version during a rolling upgrade)', async () => {
    const client = await db.pool.connect();
    try {
      await expect(
        client.query(`INSERT INTO telemetry_rollup_1h (series_id, bucket, min, max, sum, count) VALUES ($1, to_timestamp($2 / 1000.0), 1, 1, 1, 1)`, [series, hourA - HOUR]),
      ).rejects.toThrow(/written by compaction only/);
      await client.query('BEGIN');
      await client.query(`SELECT set_config('plenum.rollup_1h_writer', 'compaction', true)`);
      await client.query(`INSERT INTO telemetry_rollup_1h (series_id, bucket, min, max, sum, count) VALUES ($1, to_timestamp($2 / 1000.0), 1, 1, 1, 1)`, [series, hourA - HOUR]);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect((await hours()).map((h) => h.t)).toEqual([hourA - HOUR, hourA, hourB]);
  });
});
