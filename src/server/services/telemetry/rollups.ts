/**
 * 1-minute and 1-hour rollups (min / max / sum / count), maintained incrementally: the ingest marks each minute it
 * wrote into (`telemetry_dirty_minutes`, in the same transaction as the COPY), and this recomputes exactly those minute
 * buckets from raw samples, then the hours that contain them from the minute rollups. Recomputing whole buckets makes
 * the work idempotent: a retried or concurrent run, or late samples, give the same result.
 *
 * Minutes whose samples were (partly) compacted into chunks already (late samples for an old window) are aggregated
 * again in Node from both forms (readSamples: one statement, so one snapshot). That check runs after the SQL
 * aggregate: chunks only ever appear, so a compaction that committed meanwhile is seen and its minutes redone.
 */
import type pg from 'pg';
import { chunksOverlap, type Queryable, readSamples } from './sample-store';

const ROLLUP_LOCK_KEY = 7_041_991;
export const ROLLUP_CHANNEL = 'plenum_rollups';

/** Contiguous [from, to) minute ranges of a set of minute starts (ms). */
export function minuteRanges(minutesMs: number[]): [number, number][] {
  const sorted = [...new Set(minutesMs)].sort((a, b) => a - b);
  const ranges: [number, number][] = [];
  for (const m of sorted) {
    const last = ranges.at(-1);
    if (last && last[1] === m) last[1] = m + 60_000;
    else ranges.push([m, m + 60_000]);
  }
  return ranges;
}

export async function runRollups(pool: pg.Pool): Promise<{ minutes: number; hours: number }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const locked = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [ROLLUP_LOCK_KEY]);
    if (!locked.rows[0]?.ok) {
      await client.query('ROLLBACK');
      return { minutes: 0, hours: 0 };
    }
    const dirty = await client.query<{ ms: number }>('DELETE FROM telemetry_dirty_minutes RETURNING (extract(epoch FROM minute) * 1000)::float8 AS ms');
    const minutes = dirty.rows.map((r) => r.ms);
    for (const [from, to] of minuteRanges(minutes)) {
      await client.query(
        `INSERT INTO telemetry_rollup_1m (series_id, bucket, min, max, sum, count)
         SELECT series_id, date_trunc('minute', ts), min(value), max(value), sum(value), count(*)
           FROM telemetry_samples WHERE ts >= to_timestamp($1 / 1000.0) AND ts < to_timestamp($2 / 1000.0)
          GROUP BY 1, 2
         ON CONFLICT (series_id, bucket) DO UPDATE SET min = excluded.min, max = excluded.max, sum = excluded.sum, count = excluded.count`,
        [from, to],
      );
      if (await chunksOverlap(client, from, to)) await rollUpMinutesFromBothForms(client, from, to);
    }
    const hours = [...new Set(minutes.map((m) => m - (m % 3_600_000)))];
    for (const h of hours) {
      await client.query(
        `INSERT INTO telemetry_rollup_1h (series_id, bucket, min, max, sum, count)
         SELECT series_id, date_trunc('hour', bucket), min(min), max(max), sum(sum), sum(count)
           FROM telemetry_rollup_1m WHERE bucket >= to_timestamp($1 / 1000.0) AND bucket < to_timestamp($1 / 1000.0) + interval '1 hour'
          GROUP BY 1, 2
         ON CONFLICT (series_id, bucket) DO UPDATE SET min = excluded.min, max = excluded.max, sum = excluded.sum, count = excluded.count`,
        [h],
      );
    }
    if (minutes.length > 0) await client.query('SELECT pg_notify($1, $2)', [ROLLUP_CHANNEL, JSON.stringify({ minutes: minutes.length })]);
    await client.query('COMMIT');
    return { minutes: minutes.length, hours: hours.length };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** PostgreSQL orders NaN above every number; min / max here follow it so both rollup paths agree. */
const pgGreater = (a: number, b: number) => (Number.isNaN(a) ? !Number.isNaN(b) : a > b);

/** 1-minute rollups of [fromMs, toMs) from raw rows and chunks together. */
async function rollUpMinutesFromBothForms(db: Queryable, fromMs: number, toMs: number): Promise<void> {
  // toMs is exclusive: the last microsecond before it is the inclusive bound readSamples takes.
  const samples = await readSamples(db, 'all', fromMs, toMs - 0.001);
  const ids: number[] = [];
  const buckets: number[] = [];
  const mins: number[] = [];
  const maxes: number[] = [];
  const sums: number[] = [];
  const counts: number[] = [];
  for (const [id, { us, values }] of samples) {
    let i = 0;
    while (i < us.length) {
      const minuteMs = Math.floor(us[i]! / 60_000_000) * 60_000;
      let min = values[i]!;
      let max = values[i]!;
      let sum = 0;
      let count = 0;
      for (; i < us.length && Math.floor(us[i]! / 60_000_000) * 60_000 === minuteMs; i++) {
        const v = values[i]!;
        if (pgGreater(min, v)) min = v;
        if (pgGreater(v, max)) max = v;
        sum += v;
        count++;
      }
      ids.push(id);
      buckets.push(minuteMs);
      mins.push(min);
      maxes.push(max);
      sums.push(sum);
      counts.push(count);
    }
  }
  if (ids.length === 0) return;
  // Values travel as text: the shortest round-trip form of each double, and 'NaN' / 'Infinity' as PostgreSQL spells them.
  const text = (v: number[]) => v.map((x) => (Number.isNaN(x) ? 'NaN' : x === Number.POSITIVE_INFINITY ? 'Infinity' : x === Number.NEGATIVE_INFINITY ? '-Infinity' : String(x)));
  await db.query(
    `INSERT INTO telemetry_rollup_1m (series_id, bucket, min, max, sum, count)
     SELECT id, to_timestamp(b / 1000.0), mn, mx, sm, n FROM unnest($1::int[], $2::float8[], $3::float8[], $4::float8[], $5::float8[], $6::int[]) AS u(id, b, mn, mx, sm, n)
     ON CONFLICT (series_id, bucket) DO UPDATE SET min = excluded.min, max = excluded.max, sum = excluded.sum, count = excluded.count`,
    [ids, buckets, text(mins), text(maxes), text(sums), counts],
  );
}
