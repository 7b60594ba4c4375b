/**
 * The site trends of the last hour from stored buckets: computed once per minute of data, where the data arrives,
 * instead of from every raw sample of the hour on every read (issue 12: at 100,800 GPUs a read of the hour's raw
 * `gpu_util_pct` took 5-18 s and grew with the samples in the range).
 *
 * - What is stored: per site, trend metric and 15 s bucket of the clock (STORED_TREND_BUCKET_S, the last hour's bucket:
 *   dashboards.ts trendBucketS), the bucket's point exactly as siteTrend computes it from the raw samples (each series
 *   averaged over the bucket, one series per quantity: the preferred source with data there, else the freshest, else
 *   the lowest id; then summed or averaged across quantities). A point depends only on the samples inside its bucket,
 *   so a bucket computed once equals the same bucket of any read, as long as no sample was added to it since.
 * - Where it is maintained: the rollup run that takes a flush's deltas (telemetry/rollups.ts) records the minutes they
 *   touch in `site_trend_dirty`, in its own statement. `refreshStoredTrends` (after each rollup run, every 10 s, one
 *   process at a time) recomputes from the raw samples the buckets of those minutes and, while someone reads the
 *   trends (a read in the last TREND_DEMAND_MS), of the minutes that queued flushes touch
 *   (`telemetry_rollup_deltas.min_minute`: the open minute, mostly); it deletes the dirty rows of the minutes it did
 *   and records when it began (`as_of_ms`) and whether it did the open minutes (`open_covered`), in one transaction:
 *   a crash before the commit leaves them dirty, and the next pass does them. A committed sample is always queued,
 *   dirty, or in its stored bucket. A closed minute is read raw once when the rollup run takes it (once more if it
 *   was open while someone read) and again when late samples arrive in it, whatever the number of readers; the open
 *   minute once per pass while someone reads, else never (at 100,000 GPUs that is most of the pass's cost).
 * - What a read uses (`readStoredTrend`), in one snapshot: while the last pass began less than STORED_TREND_FRESH_MS
 *   ago and did the open minutes, every stored bucket from `covered_from_minute` on: the trends as of that pass (a
 *   sample that came after it shows after the next one, as TrendCache serves a raw range up to 60 s old). Otherwise
 *   (no process runs the passes, or nobody read lately) only the buckets no later sample can change, before the first
 *   minute that a queued flush touches or that is dirty, and the caller reads the rest raw: then the same points as a
 *   raw read of the whole hour. A read records that someone reads, so the next pass does the open minutes again.
 * - Reset: the stored points depend on which quantity each series measures, its site and its source's preference: a
 *   change to those (migration 0034's triggers on telemetry_series and scrape_targets) or to the remote-write
 *   preference forgets the coverage, and the next pass recomputes the kept range (STORED_TREND_KEEP_MS).
 */
import type pg from 'pg';
import { float8ArrayLiteral } from '../db/array-literal';
import { remoteWritePreference } from './telemetry/sources';

/** The bucket the stored points use: the last hour's (3600 s / MAX_TREND_POINTS). */
export const STORED_TREND_BUCKET_S = 15;
/** How far back buckets are kept and, after a reset, recomputed: the last hour and some. */
export const STORED_TREND_KEEP_MS = 2 * 3_600_000;
/** The metrics siteTrends shows, and how each combines across quantities. */
export const STORED_TREND_METRICS = [
  { metric: 'it_power_w', across: 'sum' },
  { metric: 'facility_power_w', across: 'sum' },
  { metric: 'gpu_util_pct', across: 'avg' },
] as const;
/** Stored buckets as of a pass at most this old are served up to that pass; older, only the final ones. */
// A pass at xl takes seconds on a loaded machine and runs every 10 s; a minute is as old as TrendCache serves a raw range.
export const STORED_TREND_FRESH_MS = 60_000;
/** The pass does the open minutes while a read came this recently (viewers poll every 10 s). */
export const TREND_DEMAND_MS = 5 * 60_000;
// Not compaction's 7_041_992 (a session lock held through its whole run): the pass would skip while compaction runs.
const STORE_LOCK_KEY = 7_041_994;

type Point = { t: number; v: number };
/** The raw computation of a metric's points over [fromMs, toMs] with 15 s buckets from fromMs (dashboards.ts). */
export type RawTrendPoints = (siteId: number, metric: string, across: 'sum' | 'avg', fromMs: number, toMs: number) => Promise<Point[]>;

/**
 * Stored points for [fromMs, toMs) of a metric, and the part of it they cover: [coveredFromMs, coveredToMs); `asOfMs`
 * when they are the trends as of a recent pass up to toMs (nothing to read raw after them), else null.
 */
export type StoredTrend = { points: Point[]; coveredFromMs: number; coveredToMs: number; asOfMs: number | null };

/**
 * The stored points of a site's metric in [fromMs, toMs) that a read may use, with the range they cover (minute
 * bounds); null when none may be used (nothing covered, or another remote-write preference).
 */
export async function readStoredTrend(pool: pg.Pool, siteId: number, metric: string, fromMs: number, toMs: number, nowMs = Date.now()): Promise<StoredTrend | null> {
  const { rows } = await pool.query<{ lo: number | null; hi: number | null; as_of: number | null; pref: number | null; ts: number[] | null; vs: number[] | null }>(
    `WITH demand AS (
       -- Someone reads: at most every 10 s, and never waiting for a pass that holds the row (the next read records it).
       UPDATE site_trend_state SET read_at_ms = $5::float8
        WHERE id IN (SELECT id FROM site_trend_state WHERE read_at_ms IS NULL OR read_at_ms < $5::float8 - 10000 FOR UPDATE SKIP LOCKED)),
     s AS (SELECT st.*, st.open_covered AND st.as_of_ms >= $5::float8 - ${STORED_TREND_FRESH_MS} AS fresh FROM site_trend_state st WHERE st.covered_from_minute IS NOT NULL),
     r AS (
       SELECT greatest($3::float8, s.covered_from_minute * 60000.0) AS lo,
              CASE WHEN s.fresh THEN $4::float8
                   ELSE least($4::float8, (SELECT min(coalesce(min_minute, 0)) FROM telemetry_rollup_deltas) * 60000.0,
                              (SELECT min(minute) FROM site_trend_dirty) * 60000.0) END AS hi,
              CASE WHEN s.fresh THEN s.as_of_ms::float8 END AS as_of, s.remote_write_preference AS pref
         FROM s)
     SELECT r.lo, r.hi, r.as_of, r.pref, b.ts, b.vs FROM r,
            LATERAL (SELECT array_agg((extract(epoch FROM x.bucket) * 1000)::float8 ORDER BY x.bucket) AS ts, array_agg(x.value ORDER BY x.bucket) AS vs
                       FROM site_trend_buckets x
                      WHERE x.site_id = $1 AND x.metric = $2 AND x.bucket >= to_timestamp(r.lo / 1000.0) AND x.bucket < to_timestamp(r.hi / 1000.0)) b`,
    [siteId, metric, fromMs, toMs, nowMs],
  );
  const row = rows[0];
  if (!row || row.lo === null || row.hi === null || row.pref !== remoteWritePreference() || row.hi <= row.lo) return null;
  const points = (row.ts ?? []).map((t, i) => ({ t, v: row.vs![i]! }));
  return { points, coveredFromMs: row.lo, coveredToMs: row.hi, asOfMs: row.as_of };
}

export type StoredTrendPass = { locked: boolean; minutes: number; reset: boolean; ms: number };

/**
 * Recomputes the stored buckets of the minutes that got samples since the last pass or may still get them from a
 * queued flush (all kept minutes after a reset) and drops buckets older than STORED_TREND_KEEP_MS. One pass at a time across processes (a transaction-level
 * advisory lock: a pass that does not get it does nothing).
 */
export async function refreshStoredTrends(pool: pg.Pool, raw: RawTrendPoints, options: { nowMs?: number } = {}): Promise<StoredTrendPass> {
  const started = performance.now();
  // Before anything is read: every sample committed before this moment is queued, dirty or in its stored bucket.
  const asOfMs = Date.now();
  const nowMs = options.nowMs ?? asOfMs;
  const keepFromMinute = Math.floor((nowMs - STORED_TREND_KEEP_MS) / 60_000);
  const preference = remoteWritePreference();
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const lock = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [STORE_LOCK_KEY]);
    if (!lock.rows[0]!.ok) {
      await client.query('ROLLBACK');
      return { locked: false, minutes: 0, reset: false, ms: 0 };
    }
    const state = (
      await client.query<{ covered: number | null; pref: number | null; generation: string; read_at: number | null }>(
        'SELECT covered_from_minute AS covered, remote_write_preference AS pref, generation, read_at_ms AS read_at FROM site_trend_state',
      )
    ).rows[0]!;
    const dirty = await client.query<{ id: string; minute: number }>('SELECT id, minute FROM site_trend_dirty');
    const queued = (await client.query<{ m: number | null }>('SELECT min(coalesce(min_minute, 0)) AS m FROM telemetry_rollup_deltas')).rows[0]!.m;
    const reset = state.covered === null || state.pref !== preference;
    const coveredFrom = reset ? keepFromMinute : Math.max(state.covered!, keepFromMinute);
    // The open minutes (from the first queued one on) only while someone reads; the others are final once done.
    const openCovered = state.read_at !== null && state.read_at >= asOfMs - TREND_DEMAND_MS;
    const lastMinute = Math.floor(nowMs / 60_000);
    const openFrom = openCovered || queued === null ? lastMinute + 1 : queued;
    const span = (first: number, end: number) => Array.from({ length: Math.max(0, end - first) }, (_, i) => first + i);
    // After a reset every kept minute up to now (up to the open ones), else the dirty ones and, while someone reads,
    // those from the first queued one on.
    const minutes = reset
      ? span(keepFromMinute, openFrom)
      : [...new Set([...dirty.rows.map((r) => r.minute), ...(queued === null || !openCovered ? [] : span(queued, lastMinute + 1))].filter((m) => m >= coveredFrom && m < openFrom))].sort(
          (a, b) => a - b,
        );
    const sites = minutes.length === 0 ? [] : (await client.query<{ site_id: number }>('SELECT DISTINCT site_id FROM telemetry_series WHERE metric = ANY($1) AND site_id IS NOT NULL', [STORED_TREND_METRICS.map((m) => m.metric)])).rows.map((r) => r.site_id);
    for (const [first, last] of runsOf(minutes)) {
      const fromMs = first * 60_000;
      const toMs = (last + 1) * 60_000;
      for (const siteId of sites) {
        for (const { metric, across } of STORED_TREND_METRICS) {
          // Samples stamped up to this pass's start, as a raw read then would (a minute still open is done again by a
          // later pass); bounds are inclusive, and a sample at toMs opens the next bucket.
          const points = (await raw(siteId, metric, across, fromMs, Math.min(toMs, asOfMs))).filter((p) => p.t < toMs);
          await client.query(
            `DELETE FROM site_trend_buckets WHERE site_id = $1 AND metric = $2 AND bucket >= to_timestamp($3 / 1000.0) AND bucket < to_timestamp($4 / 1000.0)`,
            [siteId, metric, fromMs, toMs],
          );
          if (points.length > 0) {
            await client.query(
              `INSERT INTO site_trend_buckets (site_id, metric, bucket, value)
               SELECT $1, $2, to_timestamp(u.t / 1000.0), u.v FROM unnest($3::float8[], $4::float8[]) AS u(t, v)`,
              [siteId, metric, float8ArrayLiteral(points.map((p) => p.t)), float8ArrayLiteral(points.map((p) => p.v))],
            );
          }
        }
      }
    }
    await client.query('DELETE FROM site_trend_buckets WHERE bucket < to_timestamp($1 * 60.0)', [coveredFrom]);
    // Only the dirty rows read above, of the minutes done: a rollup run that committed since added rows this pass has
    // not seen, and a dirty open minute that was skipped stays dirty.
    await client.query('DELETE FROM site_trend_dirty WHERE id = ANY($1::bigint[])', [dirty.rows.filter((r) => r.minute < openFrom).map((r) => r.id)]);
    // A reset that came while this pass computed (its generation moved on) voids what it computed.
    const stored = await client.query(
      'UPDATE site_trend_state SET covered_from_minute = $1, remote_write_preference = $2, as_of_ms = $4, open_covered = $5 WHERE generation = $3',
      [coveredFrom, preference, state.generation, asOfMs, openCovered],
    );
    if (stored.rowCount === 0) {
      await client.query('ROLLBACK');
      return { locked: true, minutes: 0, reset, ms: Math.round(performance.now() - started) };
    }
    await client.query('COMMIT');
    return { locked: true, minutes: minutes.length, reset, ms: Math.round(performance.now() - started) };
  } catch (error) {
    broken = error as Error;
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release(broken);
  }
}

/** Sorted minutes as runs of consecutive ones, [first, last]. */
function runsOf(minutes: number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const m of minutes) {
    const run = runs.at(-1);
    if (run && run[1] === m - 1) run[1] = m;
    else runs.push([m, m]);
  }
  return runs;
}
