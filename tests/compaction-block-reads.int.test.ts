/**
 * The compactor reads the blocks it deletes as whole arrays (binary COPY) and orders each series' samples and 1-minute
 * buckets itself (sample-store.ts `samplesOfBlocks`, rollup-store.ts). Readers that have not been compacted yet order
 * them in SQL (PACKED_SAMPLES_SQL, readMinuteRollups). The two must agree to the bit, or a sample read before
 * compaction would read differently after it: checked here on blocks that arrive out of time order, with samples that
 * tie on their timestamp, NaN payloads, -0 and several buckets for one minute.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float8ArrayParam, int4ArrayParam, timestamptzArrayParam } from '../src/server/db/binary-copy';
import { compactClosedWindows } from '../src/server/services/telemetry/compaction';
import { maintainPartitions } from '../src/server/services/telemetry/partitions';
import { readMinuteRollups } from '../src/server/services/telemetry/rollup-store';
import {
  BLOCK_COLUMNS_SQL,
  copyBlocks,
  COMPACTION_WINDOW_MS,
  PACKED_SAMPLES_SQL,
  type SampleColumns,
  samplesOfBlocks,
  unpackSamples,
} from '../src/server/services/telemetry/sample-store';
import { createTestDatabase, type TestDatabase } from './db';

/** A float64 from its two 32-bit words (keeps NaN payloads). */
function fromWords(high: number, low: number): number {
  const v = new Float64Array(1);
  const w = new Uint32Array(v.buffer);
  w[1] = high;
  w[0] = low;
  return v[0]!;
}
const bits = (values: Float64Array) => {
  const w = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  return Array.from({ length: values.length }, (_, i) => `${w[2 * i + 1]!.toString(16)}:${w[2 * i]!.toString(16)}`);
};
const NAN_PAYLOAD = fromWords(0x7ffadead, 0xbeef);

describe('compaction reads blocks in the order the readers use', () => {
  let db: TestDatabase;
  // A closed window two hours ago (inside today's or yesterday's partition, which maintainPartitions creates).
  const w0 = Math.floor((Date.now() - 2 * 3_600_000) / 3_600_000) * 3_600_000;

  beforeAll(async () => {
    db = await createTestDatabase();
    await maintainPartitions(db.pool, { rawRetentionDays: 7, rollupRetentionDays: 30 });
  });
  afterAll(async () => {
    await db?.drop();
  });

  /** Inserts one block of group 0 (series ids < 64): ids, ms, values as parallel arrays, values written bit for bit. */
  async function insertBlock(ids: number[], ms: number[], values: number[]): Promise<void> {
    await db.pool.query(
      `INSERT INTO telemetry_sample_blocks (window_start, series_group, ts_min, ts_max, series_ids, stamps, vals)
       VALUES (to_timestamp($1 / 1000.0), 0, to_timestamp($2 / 1000.0), to_timestamp($3 / 1000.0), $4::int4[], $5::timestamptz[], $6::float8[])`,
      [w0, Math.min(...ms), Math.max(...ms), int4ArrayParam(ids), timestamptzArrayParam(ms), float8ArrayParam(Float64Array.from(values))],
    );
  }

  it('orders samples by time, ties by value bits, whatever order the blocks come back in', async () => {
    const t = (s: number) => w0 + s * 1000;
    // Later blocks first, a block whose own samples are out of order, and ties on one timestamp.
    await insertBlock([1, 2, 3], [t(60), t(60), t(60)], [10, NAN_PAYLOAD, -0]);
    await insertBlock([2, 1, 3, 1], [t(30), t(30), t(30), t(0)], [-1, 1, 0, 5]);
    await insertBlock([1, 1, 2, 3, 2], [t(30), t(30), t(0), t(0), t(30)], [-1, NAN_PAYLOAD, 2, Number.POSITIVE_INFINITY, 1]);

    const client = await db.pool.connect();
    const sent = await copyBlocks(client, `SELECT ${BLOCK_COLUMNS_SQL} FROM telemetry_sample_blocks ORDER BY ts_max DESC`).finally(() => client.release());
    const ours = samplesOfBlocks(sent);
    const packed = await db.pool.query<{ series_id: number; packed: Buffer }>(
      `SELECT u.series_id, ${PACKED_SAMPLES_SQL} AS packed
         FROM telemetry_sample_blocks b CROSS JOIN LATERAL unnest(b.series_ids, b.stamps, b.vals) AS u(series_id, ts, value)
        GROUP BY u.series_id ORDER BY u.series_id`,
    );
    const reference = new Map<number, SampleColumns>(packed.rows.map((r) => [r.series_id, unpackSamples(r.packed)]));

    expect([...ours.keys()]).toEqual([1, 2, 3]);
    for (const [id, want] of reference) {
      const got = ours.get(id)!;
      expect(got.us, `series ${id}`).toEqual(want.us);
      expect(bits(got.values), `series ${id}`).toEqual(bits(want.values));
    }
    // Series 1 at t(30): 1 (0x3ff…), -1 (0xbff…) and the NaN (0x7ffa…) sort by their bits as unsigned numbers.
    expect(bits(ours.get(1)!.values)).toEqual(['40140000:0', '3ff00000:0', '7ffadead:beef', 'bff00000:0', '40240000:0']);
  });

  it('compacts several buckets of one minute into the bucket the readers combined before', async () => {
    const hour = w0 - 3_600_000;
    const minute = hour + 5 * 60_000;
    // Buckets of one minute in several blocks, inserted in no particular order of their sums. Series 7's sums add up
    // differently in another order (0.2 + 0.3 + 0.1 = 0.6, 0.1 + 0.2 + 0.3 = 0.6000000000000001); series 8's hold a
    // NaN and -0.
    const buckets: [number, number, number, number, number][] = [
      [7, 0.2, 0.2, 0.2, 1],
      [8, NAN_PAYLOAD, 1, NAN_PAYLOAD, 1],
      [7, 0.3, 0.3, 0.3, 1],
      [8, -0, 0.2, -0, 1],
      [7, 0.1, 0.1, 0.1, 1],
    ];
    for (const [id, min, max, sum, count] of buckets) {
      await db.pool.query(
        `INSERT INTO telemetry_rollup_1m_blocks (bucket, series_group, series_ids, mins, maxs, sums, counts)
         VALUES (to_timestamp($1 / 1000.0), 0, ARRAY[$6::int], $2::float8[], $3::float8[], $4::float8[], ARRAY[$5::int])`,
        [minute, float8ArrayParam([min]), float8ArrayParam([max]), float8ArrayParam([sum]), count, id],
      );
    }
    // And two more minutes of series 7 and 8, newest first.
    for (const m of [20, 10]) {
      await db.pool.query(
        `INSERT INTO telemetry_rollup_1m_blocks (bucket, series_group, series_ids, mins, maxs, sums, counts)
         VALUES (to_timestamp($1 / 1000.0), 0, ARRAY[8, 7], ARRAY[1, 2]::float8[], ARRAY[3, 4]::float8[], ARRAY[4, 6]::float8[], ARRAY[2, 2])`,
        [hour + m * 60_000],
      );
    }
    const read = async () => {
      const r = await readMinuteRollups(db.pool, [7, 8], hour, hour + 3_600_000 - 1);
      return [...r].map(([id, m]) => ({ id, t: m.t, mins: bits(Float64Array.from(m.mins)), maxs: bits(Float64Array.from(m.maxs)), sums: bits(Float64Array.from(m.sums)), counts: m.counts }));
    };
    const before = await read();
    const seven = before.find((s) => s.id === 7)!;
    expect(seven.t).toEqual([minute, hour + 10 * 60_000, hour + 20 * 60_000]);
    expect(seven.sums[0]).toBe(bits(Float64Array.from([0.1 + 0.2 + 0.3]))[0]);

    const result = await compactClosedWindows(db.pool, { nowMs: w0 + COMPACTION_WINDOW_MS * 4 });
    expect(result.rollups.buckets).toBe(9);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM telemetry_rollup_1m_blocks')).rows[0].n).toBe(0);
    expect(await read()).toEqual(before);
  });
});
