/**
 * 1-minute and 1-hour rollups (min / max / sum / count), fed incrementally: every sample is added to its buckets once.
 *
 * 1. The flush that COPYs a batch of samples also enqueues that batch's partial aggregates per (series, minute)
 *    (`RollupDeltas`, one `telemetry_rollup_queue` row per flush), in the same transaction: a committed sample always
 *    has its delta queued, a rolled-back one never.
 * 2. The rollup worker (`runRollups`) takes queue rows with DELETE … RETURNING and, in the same statement, combines them
 *    per (series, minute) and inserts the buckets as blocks of `telemetry_rollup_1m_blocks` (rollup-store.ts: one row
 *    per minute and series group). A queue row is consumed exactly once: the delete and the inserts commit together,
 *    and one worker runs at a time. A minute that gets more contributions later (late samples) gets another block;
 *    readers and compaction combine them (min = least, max = greatest, sum and count added). A run that added anything
 *    bumps `rollup_generation` in the same statement and NOTIFYs ROLLUP_CHANNEL: trend ranges over rollups computed
 *    before it are no longer current (live-aggregates.ts TrendCache).
 * 3. 1-hour buckets are not updated per run. A closed hour's 1-minute rows are compressed by compaction
 *    (rollup-store.ts compactRollupBatch), which in the same transaction adds their hour's aggregate to
 *    `telemetry_rollup_1h`; readers take the hours not compressed yet from the 1-minute rows (`hourRollupsSql`). So a
 *    series' hour bucket is written once per hour instead of once per minute (at 30 s scrapes, once per two samples).
 *
 * Cost per sample is constant: nothing re-reads raw samples, so neither the hour's progress nor the fleet size (nor
 * compaction of raw rows) changes it. A batch is taken once every minute it touches has closed, so a bucket is
 * usually written once instead of once per run; late samples arrive in their own batch and are added to the buckets
 * they belong to (still exactly once). Batches older than MAX_QUEUE_AGE_S are taken whatever they hold (samples
 * stamped in the future).
 *
 * min / max follow PostgreSQL's float ordering (NaN above every number), so the result equals a from-scratch
 * aggregate over the raw rows; sums are added in a different order than such an aggregate, so they agree to the
 * last few bits of a double (exactly, for values whose partial sums are exact).
 */
import type pg from 'pg';
import { float8ArrayLiteral, intArrayLiteral } from '../../db/array-literal';
import { selfMetrics } from '../self-metrics';
import { SERIES_GROUP_SHIFT } from './sample-store';

const ROLLUP_LOCK_KEY = 7_041_991;
export const ROLLUP_CHANNEL = 'plenum_rollups';
/**
 * At most this many buckets per block of `telemetry_rollup_1m_blocks` (32 B each): keeps a row under PostgreSQL's
 * 2 kB TOAST threshold.
 */
export const MINUTE_BLOCK_MAX = 48;
/** Queue rows older than this are taken even when they touch a minute that is still open. */
export const MAX_QUEUE_AGE_S = 120;
/** Work memory for one rollup run's aggregate and sort (PostgreSQL's default, 4 MB, spills at a few thousand GPUs). */
const ROLLUP_WORK_MEM = '64MB';

/** PostgreSQL's float8 ordering puts NaN above every number: min/max must agree with its aggregates. */
export function pgMin(a: number, b: number): number {
  if (Number.isNaN(a)) return b;
  if (Number.isNaN(b)) return a;
  return Math.min(a, b);
}
export function pgMax(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.NaN;
  return Math.max(a, b);
}

/** Minutes since the Unix epoch; 2^22 of them (~8 years) separate series in a key, far more than one flush spans. */
const MINUTE_KEY_SPAN = 4_194_304;

/** Partial aggregates of one flush per (series, minute), in the column form the queue stores. */
export class RollupDeltas {
  private readonly index = new Map<number, number>();
  readonly seriesIds: number[] = [];
  readonly minutes: number[] = [];
  readonly mins: number[] = [];
  readonly maxs: number[] = [];
  readonly sums: number[] = [];
  readonly counts: number[] = [];
  maxMinute = Number.NEGATIVE_INFINITY;

  get size(): number {
    return this.seriesIds.length;
  }

  add(seriesId: number, tsMs: number, value: number): void {
    const minute = Math.floor(tsMs / 60_000);
    const key = seriesId * MINUTE_KEY_SPAN + (((minute % MINUTE_KEY_SPAN) + MINUTE_KEY_SPAN) % MINUTE_KEY_SPAN);
    const at = this.index.get(key);
    if (at === undefined) {
      this.index.set(key, this.seriesIds.length);
      this.seriesIds.push(seriesId);
      this.minutes.push(minute);
      this.mins.push(value);
      this.maxs.push(value);
      this.sums.push(value);
      this.counts.push(1);
      if (minute > this.maxMinute) this.maxMinute = minute;
      return;
    }
    this.mins[at] = pgMin(this.mins[at]!, value);
    this.maxs[at] = pgMax(this.maxs[at]!, value);
    this.sums[at]! += value;
    this.counts[at]!++;
  }

  /** Queues the deltas on an open client, inside the caller's transaction (the one that COPYs the samples). */
  async enqueue(client: pg.PoolClient | pg.Client): Promise<void> {
    if (this.size === 0) return;
    await client.query(
      `INSERT INTO telemetry_rollup_queue (max_minute, series_ids, minutes, mins, maxs, sums, counts)
       VALUES ($1, $2::int4[], $3::int4[], $4::float8[], $5::float8[], $6::float8[], $7::int4[])`,
      [
        this.maxMinute,
        intArrayLiteral(this.seriesIds),
        intArrayLiteral(this.minutes),
        float8ArrayLiteral(this.mins),
        float8ArrayLiteral(this.maxs),
        float8ArrayLiteral(this.sums),
        intArrayLiteral(this.counts),
      ],
    );
  }
}

/** What the rollup statement reports. */
type RunRow = { locked: boolean; batches: number; samples: number; minutes: number; minute_buckets: number; queued: number; age: number | null };

export type RollupRun = {
  /** Queue rows (flushes) consumed. */
  batches: number;
  /** Samples they held. */
  samples: number;
  /** Distinct minutes touched. */
  minutes: number;
  /** 1-minute buckets written. */
  minuteBuckets: number;
  /** Age of the oldest batch still queued after this run (0 when none); about a minute is normal (open minutes wait). */
  lagSeconds: number;
  queuedBatches: number;
};

/**
 * Adds every queued batch whose minutes have all closed by `nowMs` (or that is older than MAX_QUEUE_AGE_S) to the
 * rollups. Tests and benchmarks pass a `nowMs` in the future to take everything.
 */
export async function runRollups(pool: pg.Pool, options: { nowMs?: number } = {}): Promise<RollupRun> {
  const currentMinute = Math.floor((options.nowMs ?? Date.now()) / 60_000);
  const metrics = selfMetrics();
  const endTimer = metrics.rollupDuration.startTimer();
  // One statement in its own transaction (for its work memory): the worker runs every 10 s and mostly finds nothing
  // closed yet. One run at a time (a transaction-level advisory lock: a run that does not get it takes nothing); the
  // delete, the additions and the NOTIFY commit together.
  const client = await pool.connect();
  let broken = false;
  let result: pg.QueryResult<RunRow>;
  try {
    await client.query('BEGIN');
    // A minute of a large fleet's deltas is hundreds of thousands of rows: PostgreSQL's default 4 MB of work memory
    // spilled each stage (the aggregate and the sort) to disk, most of the run's cost.
    await client.query(`SET LOCAL work_mem = '${ROLLUP_WORK_MEM}'`);
    result = await client.query<RunRow>(
      `WITH lock AS (SELECT pg_try_advisory_xact_lock($3) AS ok),
       taken AS (
         DELETE FROM telemetry_rollup_queue
          WHERE (SELECT ok FROM lock) AND (max_minute < $1 OR enqueued_at < now() - make_interval(secs => $2))
          RETURNING id, series_ids, minutes, mins, maxs, sums, counts),
       parts AS (
         SELECT u.* FROM taken CROSS JOIN LATERAL unnest(taken.series_ids, taken.minutes, taken.mins, taken.maxs, taken.sums, taken.counts)
           AS u(series_id, minute, mn, mx, sm, ct)),
       -- Blocks of one minute and series group (rollup-store.ts), split by fixed id ranges of at most MINUTE_BLOCK_MAX
       -- (a part of the group), so one aggregate and one sort make them: no numbering pass.
       m AS (SELECT minute, series_id >> ${SERIES_GROUP_SHIFT} AS grp, (series_id & ${(1 << SERIES_GROUP_SHIFT) - 1}) / ${MINUTE_BLOCK_MAX} AS part, series_id,
                    min(mn) AS mn, max(mx) AS mx, sum(sm) AS sm, sum(ct)::int AS ct
               FROM parts GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4),
       up_1m AS (
         INSERT INTO telemetry_rollup_1m_blocks (bucket, series_group, series_ids, mins, maxs, sums, counts)
         SELECT to_timestamp(minute * 60), grp, array_agg(series_id ORDER BY series_id), array_agg(mn ORDER BY series_id), array_agg(mx ORDER BY series_id),
                array_agg(sm ORDER BY series_id), array_agg(ct ORDER BY series_id)
           FROM m GROUP BY minute, grp, part
         RETURNING 1),
       -- A new rollup generation when anything was added: trend ranges over rollups stored before it are not current.
       gen AS (UPDATE rollup_generation SET generation = generation + 1 WHERE EXISTS (SELECT 1 FROM taken) RETURNING generation),
       -- The statement sees the queue as it was before its own DELETE: what is left is what it did not take.
       rest AS (SELECT count(*)::int AS n, min(q.enqueued_at) AS oldest FROM telemetry_rollup_queue q WHERE q.id NOT IN (SELECT id FROM taken)),
       run AS (
         SELECT (SELECT ok FROM lock) AS locked, (SELECT count(*) FROM taken)::int AS batches, (SELECT coalesce(sum(ct), 0) FROM m)::float8 AS samples,
                (SELECT count(DISTINCT minute) FROM m)::int AS minutes, (SELECT count(*) FROM m)::int AS minute_buckets)
     SELECT run.*, rest.n AS queued, extract(epoch FROM now() - rest.oldest)::float8 AS age,
            CASE WHEN run.batches > 0 THEN pg_notify($4, json_build_object('minutes', run.minutes, 'generation', (SELECT generation FROM gen))::text) END AS notified
       FROM run, rest`,
    [currentMinute, MAX_QUEUE_AGE_S, ROLLUP_LOCK_KEY, ROLLUP_CHANNEL],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      broken = true; // the connection itself failed: it must not go back to the pool
    });
    throw error;
  } finally {
    client.release(broken ? true : undefined);
  }
  const run = result.rows[0]!;
  if (!run.locked) return { batches: 0, samples: 0, minutes: 0, minuteBuckets: 0, lagSeconds: 0, queuedBatches: 0 };
  endTimer();
  const lagSeconds = Math.max(0, run.age ?? 0);
  metrics.rollupSamples.inc(run.samples);
  metrics.rollupLag.set(lagSeconds);
  metrics.rollupQueue.set(run.queued);
  return {
    batches: run.batches,
    samples: run.samples,
    minutes: run.minutes,
    minuteBuckets: run.minute_buckets,
    lagSeconds,
    queuedBatches: run.queued,
  };
}
