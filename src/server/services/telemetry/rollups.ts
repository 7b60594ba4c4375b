/**
 * 1-minute and 1-hour rollups (min / max / sum / count), fed incrementally: every sample is added to its buckets once.
 *
 * 1. The flush that COPYs a batch of samples also enqueues one entry per sample (`RollupDeltas`: series, minute and
 *    the value as a partial aggregate of one; one `telemetry_rollup_deltas` row per flush, the entries as one bytea:
 *    migration 0035), in the same transaction: a committed sample always has its delta queued, a rolled-back one never.
 * 2. The rollup worker (`runRollups`) takes queue rows with DELETE … RETURNING, combines them per (series, minute) in
 *    Node (`combineDeltas`: two numeric sorts, `orderById`, no hashing) and COPYs the buckets as blocks of
 *    `telemetry_rollup_1m_blocks` (rollup-store.ts: per minute and series group, at most MINUTE_BLOCK_MAX each), in
 *    one transaction: a queue row is consumed exactly once (the delete and the
 *    blocks commit together, and one worker runs at a time, under a transaction advisory lock). A run takes at most
 *    RUN_MAX_ENTRIES entries per transaction and loops until the eligible rows are gone. A minute that gets more
 *    contributions later (late samples) gets another block; readers and compaction combine them (min = least, max =
 *    greatest, sum and count added). A transaction that added anything bumps `rollup_generation` and NOTIFYs
 *    ROLLUP_CHANNEL: trend ranges over rollups computed before it are no longer current (live-aggregates.ts TrendCache).
 * 3. 1-hour buckets are not updated per run. A closed hour's 1-minute rows are compressed by compaction
 *    (rollup-store.ts compactRollupBatch), which in the same transaction adds their hour's aggregate to
 *    `telemetry_rollup_1h`; readers take the hours not compressed yet from the 1-minute rows (`hourRollupsSql`). So a
 *    series' hour bucket is written once per hour instead of once per minute (at 30 s scrapes, once per two samples).
 *
 * Cost per sample is constant: nothing re-reads raw samples, so neither the hour's progress nor the fleet size (nor
 * compaction of raw rows) changes it. A batch is taken once every minute it touches has closed, so a bucket is
 * usually written once instead of once per run; late samples arrive in their own batch and are added to the buckets
 * they belong to (still exactly once). Batches older than MAX_QUEUE_AGE_S are taken whatever they hold (samples
 * stamped in the future). Until migration 0035 the queue held SQL arrays that PostgreSQL parsed on the way in and
 * unnested, hashed and sorted on the way out, at several µs per sample; instances not upgraded yet still enqueue into
 * that table (`telemetry_rollup_queue`), whose trigger now stores their rows in the binary queue.
 *
 * min / max follow PostgreSQL's float ordering (NaN above every number), so the result equals a from-scratch
 * aggregate over the raw rows; sums are added in a different order than such an aggregate, so they agree to the
 * last few bits of a double (exactly, for values whose partial sums are exact).
 */
import type pg from 'pg';
import { BinaryCopyWriter, COPY_BYTES, copyBinary, copyOutRows, OID_FLOAT8, OID_INT4, sqlInteger } from '../../db/binary-copy';
import { StatementParams } from '../../db/statement-params';
import { selfMetrics } from '../self-metrics';
import { allIndices, orderById } from './id-order';
import { SERIES_GROUP_SHIFT, viewOf } from './sample-store';

const ROLLUP_LOCK_KEY = 7_041_991;
export const ROLLUP_CHANNEL = 'plenum_rollups';
/**
 * At most this many buckets per block of `telemetry_rollup_1m_blocks` (32 B each): keeps a row under PostgreSQL's
 * 2 kB TOAST threshold.
 */
export const MINUTE_BLOCK_MAX = 48;
const PARTS_PER_GROUP = Math.ceil((1 << SERIES_GROUP_SHIFT) / MINUTE_BLOCK_MAX);
/** Queue rows older than this are taken even when they touch a minute that is still open. */
export const MAX_QUEUE_AGE_S = 120;
/** Bytes of one queued entry: series id and minute (int4), min, max and sum (float8), count (int4), big-endian. */
export const DELTA_BYTES = 36;
/** Entries one rollup transaction takes at most (about 36 MB of deltas): a large fleet's minute takes a few. */
const RUN_MAX_ENTRIES = 1_000_000;

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

/**
 * A flush's contribution to the rollups: one queue entry per sample (min = max = sum = the value, count 1), in the
 * queue's binary form as they come. Combining them per (series, minute) is the rollup worker's job
 * (`combineDeltas`): a flush mostly holds one sample per series, so combining here too cost a hash lookup per sample
 * for nothing.
 */
export class RollupDeltas {
  private buf: Buffer;
  private entries = 0;
  maxMinute = Number.NEGATIVE_INFINITY;
  minMinute = Number.POSITIVE_INFINITY;

  /** `expected`: the entries the caller will add (a flush knows its rows), so the buffer is made once; it grows past it. */
  constructor(expected = 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(1, expected) * DELTA_BYTES);
  }

  get size(): number {
    return this.entries;
  }

  add(seriesId: number, tsMs: number, value: number): void {
    const minute = Math.floor(tsMs / 60_000);
    let o = this.entries * DELTA_BYTES;
    if (o + DELTA_BYTES > this.buf.length) {
      const grown = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(grown, 0, 0, o);
      this.buf = grown;
    }
    const b = this.buf;
    b.writeInt32BE(seriesId, o);
    b.writeInt32BE(minute, o + 4);
    o = b.writeDoubleBE(value, o + 8);
    o = b.writeDoubleBE(value, o);
    o = b.writeDoubleBE(value, o);
    b.writeInt32BE(1, o);
    this.entries++;
    if (minute > this.maxMinute) this.maxMinute = minute;
    if (minute < this.minMinute) this.minMinute = minute;
  }

  /** The entries in the queue's binary form. */
  encode(): Buffer {
    return this.buf.subarray(0, this.entries * DELTA_BYTES);
  }

  /** SQL queueing the deltas, its values added to `params`: part of a flush's one statement (ingest.ts). */
  insertSql(params: StatementParams): string {
    return `INSERT INTO telemetry_rollup_deltas (min_minute, max_minute, entries, deltas)
            VALUES (${params.add(this.minMinute)}::int4, ${params.add(this.maxMinute)}::int4, ${params.add(this.entries)}::int4, ${params.add(this.encode())}::bytea)`;
  }

  /** Queues the deltas on a client (inside the caller's transaction, if any). */
  async enqueue(client: pg.PoolClient | pg.Client): Promise<void> {
    if (this.entries === 0) return;
    const params = new StatementParams();
    await client.query(this.insertSql(params), params.values);
  }
}

/** Queue entries as columns (`decodeDeltas`), or 1-minute buckets (`combineDeltas`). */
export interface DeltaColumns {
  seriesIds: Int32Array;
  minutes: Int32Array;
  mins: Float64Array;
  maxs: Float64Array;
  sums: Float64Array;
  counts: Int32Array;
  size: number;
}

function deltaColumns(n: number): DeltaColumns {
  return {
    seriesIds: new Int32Array(n),
    minutes: new Int32Array(n),
    mins: new Float64Array(n),
    maxs: new Float64Array(n),
    sums: new Float64Array(n),
    counts: new Int32Array(n),
    size: 0,
  };
}

/** The entries of queued rows' `deltas` (DELTA_BYTES each), in order. */
export function decodeDeltas(rows: readonly Buffer[]): DeltaColumns {
  const out = deltaColumns(rows.reduce((n, b) => n + Math.floor(b.length / DELTA_BYTES), 0));
  let i = 0;
  for (const buf of rows) {
    const v = viewOf(buf);
    for (let o = 0; o + DELTA_BYTES <= buf.length; o += DELTA_BYTES, i++) {
      out.seriesIds[i] = v.getInt32(o);
      out.minutes[i] = v.getInt32(o + 4);
      out.mins[i] = v.getFloat64(o + 8);
      out.maxs[i] = v.getFloat64(o + 16);
      out.sums[i] = v.getFloat64(o + 24);
      out.counts[i] = v.getInt32(o + 32);
    }
  }
  out.size = i;
  return out;
}

/**
 * Combines entries per (series, minute): min = least, max = greatest (PostgreSQL's float order), sum and count added,
 * each bucket's entries in queue order. The buckets come out ordered by minute, then series id.
 */
export function combineDeltas(entries: DeltaColumns): DeltaColumns {
  const { seriesIds, minutes } = entries;
  // By series id, then (the sort keeps ties in order) by minute: minute, series id, queue order.
  const sorted = orderById(orderById(allIndices(entries.size), seriesIds), minutes);
  const out = deltaColumns(entries.size);
  for (const i of sorted) {
    const b = out.size - 1;
    if (b >= 0 && out.seriesIds[b] === seriesIds[i] && out.minutes[b] === minutes[i]) {
      out.mins[b] = pgMin(out.mins[b]!, entries.mins[i]!);
      out.maxs[b] = pgMax(out.maxs[b]!, entries.maxs[i]!);
      out.sums[b]! += entries.sums[i]!;
      out.counts[b]! += entries.counts[i]!;
      continue;
    }
    out.seriesIds[out.size] = seriesIds[i]!;
    out.minutes[out.size] = minutes[i]!;
    out.mins[out.size] = entries.mins[i]!;
    out.maxs[out.size] = entries.maxs[i]!;
    out.sums[out.size] = entries.sums[i]!;
    out.counts[out.size] = entries.counts[i]!;
    out.size++;
  }
  return out;
}

/**
 * Buckets (from `combineDeltas`: by minute, then series id) as blocks of `telemetry_rollup_1m_blocks` in binary COPY
 * form: per minute and series group, split by fixed id ranges of MINUTE_BLOCK_MAX. Returns the COPY body and the
 * number of blocks.
 */
export function encodeMinuteBlocks(buckets: DeltaColumns): { body: Buffer; blocks: number } {
  const { seriesIds, minutes, size } = buckets;
  // A block: one minute, one series group, one fixed id range of MINUTE_BLOCK_MAX within it.
  const rangeOf = (i: number) => {
    const id = seriesIds[i]!;
    return (id >> SERIES_GROUP_SHIFT) * PARTS_PER_GROUP + Math.floor((id & ((1 << SERIES_GROUP_SHIFT) - 1)) / MINUTE_BLOCK_MAX);
  };
  // Block boundaries: [starts[k], starts[k + 1]).
  const starts: number[] = [];
  for (let i = 0; i < size; i++) if (i === 0 || minutes[i] !== minutes[i - 1] || rangeOf(i) !== rangeOf(i - 1)) starts.push(i);
  starts.push(size);
  const blocks = starts.length - 1;
  const B = COPY_BYTES;
  const out = new BinaryCopyWriter(blocks * (B.row + B.timestamptz + B.int4 + 5 * B.arrayHeader) + size * (2 * B.int4 + 3 * B.float8));
  for (let k = 0; k < blocks; k++) {
    const from = starts[k]!;
    const to = starts[k + 1]!;
    const n = to - from;
    out.row(7);
    out.timestamptz(minutes[from]! * 60_000);
    out.int4(seriesIds[from]! >> SERIES_GROUP_SHIFT);
    out.arrayHeader(n, B.int4, OID_INT4);
    for (let i = from; i < to; i++) out.int4(seriesIds[i]!);
    for (const column of [buckets.mins, buckets.maxs, buckets.sums]) {
      out.arrayHeader(n, B.float8, OID_FLOAT8);
      for (let i = from; i < to; i++) out.float8(column[i]!);
    }
    out.arrayHeader(n, B.int4, OID_INT4);
    for (let i = from; i < to; i++) out.int4(buckets.counts[i]!);
  }
  return { body: out.finish(), blocks };
}

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
 * rollups, in transactions of at most RUN_MAX_ENTRIES entries. Tests and benchmarks pass a `nowMs` in the future to
 * take everything. Another process running it meanwhile holds the lock: this run then takes nothing.
 */
export async function runRollups(pool: pg.Pool, options: { nowMs?: number } = {}): Promise<RollupRun> {
  const currentMinute = Math.floor((options.nowMs ?? Date.now()) / 60_000);
  const metrics = selfMetrics();
  const endTimer = metrics.rollupDuration.startTimer();
  const run: RollupRun = { batches: 0, samples: 0, minutes: 0, minuteBuckets: 0, lagSeconds: 0, queuedBatches: 0 };
  const minutes = new Set<number>();
  for (;;) {
    const step = await rollupTransaction(pool, currentMinute);
    if (step === null) break; // another process holds the lock
    run.batches += step.batches;
    run.samples += step.samples;
    run.minuteBuckets += step.minuteBuckets;
    for (const m of step.minutes) minutes.add(m);
    run.queuedBatches = step.queued;
    run.lagSeconds = step.lagSeconds;
    if (step.entries < RUN_MAX_ENTRIES) break;
  }
  run.minutes = minutes.size;
  endTimer();
  metrics.rollupSamples.inc(run.samples);
  metrics.rollupLag.set(run.lagSeconds);
  metrics.rollupQueue.set(run.queuedBatches);
  return run;
}

/** One transaction of a rollup run; null when another process holds the rollup lock. */
async function rollupTransaction(
  pool: pg.Pool,
  currentMinute: number,
): Promise<{ batches: number; entries: number; samples: number; minutes: Set<number>; minuteBuckets: number; queued: number; lagSeconds: number } | null> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const lock = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [ROLLUP_LOCK_KEY]);
    if (!lock.rows[0]!.ok) {
      await client.query('ROLLBACK');
      return null;
    }
    // The eligible rows in queue order, until they hold RUN_MAX_ENTRIES entries (at least one row). Read in binary
    // (copyOutRows; COPY takes no parameters, so the numbers are inlined): as text, each row's megabytes of entries
    // would be printed as hex there and parsed here.
    const taken = await copyOutRows(
      client,
      `DELETE FROM telemetry_rollup_deltas
        WHERE id IN (SELECT c.id FROM (SELECT id, sum(entries) OVER (ORDER BY id) - entries AS before FROM telemetry_rollup_deltas
                                        WHERE max_minute < ${sqlInteger(currentMinute)} OR enqueued_at < now() - make_interval(secs => ${sqlInteger(MAX_QUEUE_AGE_S)})) c
                      WHERE c.before < ${sqlInteger(RUN_MAX_ENTRIES)})
        RETURNING deltas, entries`,
    );
    let entries = 0;
    for (const [, n] of taken) entries += n!.readInt32BE(0);
    const buckets = combineDeltas(decodeDeltas(taken.map(([deltas]) => deltas!)));
    const minutes = new Set(buckets.minutes.subarray(0, buckets.size));
    let samples = 0;
    for (let i = 0; i < buckets.size; i++) samples += buckets.counts[i]!;
    if (buckets.size > 0) {
      const { body } = encodeMinuteBlocks(buckets);
      await copyBinary(client, 'COPY telemetry_rollup_1m_blocks (bucket, series_group, series_ids, mins, maxs, sums, counts) FROM STDIN (FORMAT binary)', body);
      // The minutes taken, for the stored site trends to recompute (site-trend-store.ts), committed with the take.
      await client.query('INSERT INTO site_trend_dirty (minute) SELECT unnest($1::int4[])', [[...minutes]]);
      // A new rollup generation: trend ranges over rollups stored before it are not current.
      await client.query(
        `WITH gen AS (UPDATE rollup_generation SET generation = generation + 1 RETURNING generation)
         SELECT pg_notify($1, json_build_object('minutes', $2::int, 'generation', (SELECT generation FROM gen))::text)`,
        [ROLLUP_CHANNEL, minutes.size],
      );
    }
    const rest = await client.query<{ n: number; age: number | null }>(
      'SELECT count(*)::int AS n, extract(epoch FROM now() - min(enqueued_at))::float8 AS age FROM telemetry_rollup_deltas',
    );
    await client.query('COMMIT');
    return {
      batches: taken.length,
      entries,
      samples,
      minutes,
      minuteBuckets: buckets.size,
      queued: rest.rows[0]!.n,
      lagSeconds: Math.max(0, rest.rows[0]!.age ?? 0),
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      broken = true; // the connection itself failed: it must not go back to the pool
    });
    throw error;
  } finally {
    client.release(broken ? true : undefined);
  }
}
