/**
 * Compaction: rewrites each closed 30-minute window of raw samples into compressed rows (`telemetry_chunks`, encoded
 * by chunk-codec.ts) and deletes the sample blocks it encoded (sample-store.ts: a block's samples share a window and a
 * series group, so a window is taken group by group). A series' window starts a chunk or joins the series' previous
 * chunk while that one is small (`chunkFor` in sample-store.ts: chunks of a roughly constant number of samples,
 * whatever the scrape interval). Joining continues the chunk's bit stream from the encoder state it keeps while it may
 * grow (appendChunk), so a growing chunk is not decoded and re-encoded once per window; samples that cannot continue it
 * (late ones before its last, a decimal with one more digit, a chunk without state) are merged in and re-encoded.
 *
 * - Leader-safe: one compactor at a time across processes, under a session advisory lock; others skip the tick.
 * - Crash-safe and resumable: a window is done in batches of series, and each batch is ONE transaction that deletes
 *   the blocks (DELETE … RETURNING: exactly the samples it encodes, even with late inserts racing it) and writes their
 *   chunks. A crash rolls the batch back whole; the next run finds the oldest block and carries on from there.
 *   Nothing is lost and nothing is stored twice.
 * - Late samples for a window already compacted land in the write table like any other; the next run merges them into
 *   the window's existing chunk.
 */
import type pg from 'pg';
import { byteaArrayParam, float8ArrayParam, int4ArrayParam, sqlInteger } from '../../db/binary-copy';
import { appendChunk, decodeChunk, encodeChunk } from './chunk-codec';
import { compactClosedRollupWindows, type RollupCompaction } from './rollup-store';
import {
  BLOCK_COLUMNS_SQL,
  CHUNK_TARGET_SAMPLES,
  chunkFor,
  copyBlocks,
  COMPACTION_WINDOW_MS,
  latestChunks,
  MAX_CHUNK_SPAN_MS,
  MIN_COMPACTION_AGE_MS,
  mergeSorted,
  SERIES_GROUP_SHIFT,
  samplesOfBlocks,
  windowStartMs,
} from './sample-store';

const COMPACTION_LOCK_KEY = 7_041_992;

export type CompactionOptions = {
  /** Windows that ended less than this long ago stay raw (at least MIN_COMPACTION_AGE_MS). */
  delayMs?: number;
  /** Series ids per transaction (rounded to whole series groups, at least one). */
  seriesPerBatch?: number;
  /** Stop starting new batches after this long (the next tick continues). */
  timeBudgetMs?: number;
  nowMs?: number;
  /** Called inside each batch's transaction before COMMIT, on its connection (tests use it to crash a batch half way). */
  beforeCommit?: (batch: { windowStartMs: number; fromSeriesId: number; samples: number }, client: pg.PoolClient) => Promise<void>;
};

export type CompactionResult = {
  /** Another process holds the compaction lock. */
  skipped: boolean;
  windows: number;
  chunks: number;
  samples: number;
  /** How far the oldest closed, still-raw window lags behind the delay (0: caught up), in ms. */
  lagMs: number;
  /** Closed windows of 1-minute rollups compressed in the same run (rollup-store.ts). */
  rollups: RollupCompaction;
};

/** The last result, for health and self-monitoring (compaction lag). */
export const compactionStatus: { last: CompactionResult | null; at: number | null } = { last: null, at: null };

export async function compactClosedWindows(pool: pg.Pool, options: CompactionOptions = {}): Promise<CompactionResult> {
  const delayMs = Math.max(options.delayMs ?? MIN_COMPACTION_AGE_MS, MIN_COMPACTION_AGE_MS);
  const seriesPerBatch = options.seriesPerBatch ?? 2_000;
  const groupsPerBatch = Math.max(1, Math.round(seriesPerBatch / (1 << SERIES_GROUP_SHIFT)));
  const timeBudgetMs = options.timeBudgetMs ?? 20_000;
  const startedAt = Date.now();
  const nowMs = options.nowMs ?? startedAt;
  const result: CompactionResult = { skipped: false, windows: 0, chunks: 0, samples: 0, lagMs: 0, rollups: { windows: 0, chunks: 0, buckets: 0, lagMs: 0 } };
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    const locked = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [COMPACTION_LOCK_KEY]);
    if (!locked.rows[0]?.ok) return { ...result, skipped: true };
    try {
      for (;;) {
        const oldest = await client.query<{ ms: number | null }>('SELECT (extract(epoch FROM min(window_start)) * 1000)::float8 AS ms FROM telemetry_sample_blocks');
        const oldestMs = oldest.rows[0]?.ms;
        if (oldestMs === null || oldestMs === undefined) break;
        const w0 = windowStartMs(oldestMs);
        const w1 = w0 + COMPACTION_WINDOW_MS;
        if (w1 > nowMs - delayMs) break;
        if (Date.now() - startedAt > timeBudgetMs) {
          result.lagMs = nowMs - delayMs - w1;
          break;
        }
        const range = await client.query<{ lo: number | null; hi: number }>(
          'SELECT min(series_group) AS lo, max(series_group) AS hi FROM telemetry_sample_blocks WHERE window_start = to_timestamp($1 / 1000.0)',
          [w0],
        );
        const { lo, hi } = range.rows[0]!;
        for (let from = lo ?? 0; lo !== null && from <= hi; from += groupsPerBatch) {
          const batch = await compactBatch(client, w0, from, from + groupsPerBatch, options.beforeCommit);
          result.chunks += batch.chunks;
          result.samples += batch.samples;
        }
        result.windows++;
      }
      // Then the rollups' closed hours: under the same lock, with what is left of the time budget.
      result.rollups = await compactClosedRollupWindows(client, { nowMs, delayMs, groupsPerBatch, deadline: startedAt + timeBudgetMs });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [COMPACTION_LOCK_KEY]).catch((error: Error) => {
        broken = error;
      });
    }
  } finally {
    // A connection that failed to unlock is closed, which releases the lock with the session.
    client.release(broken);
  }
  compactionStatus.last = result;
  compactionStatus.at = Date.now();
  return result;
}

const LIMITS = { target: CHUNK_TARGET_SAMPLES, maxSpanMs: MAX_CHUNK_SPAN_MS };

/**
 * Whether the chunk may take in the series' next window (chunkFor), so is worth keeping its encoder's state.
 * (The fields are listed, not spread: see cachedLine in line-cache.ts.)
 */
const mayGrow = (chunk: { startMs: number; spanMs: number }, count: number) =>
  chunkFor(chunk.startMs + chunk.spanMs, COMPACTION_WINDOW_MS, { startMs: chunk.startMs, spanMs: chunk.spanMs, count }, LIMITS).merge;

/** One transaction: the sample blocks of series groups [fromGroup, toGroup) in the window become (or join) chunks. */
async function compactBatch(
  client: pg.PoolClient,
  w0: number,
  fromGroup: number,
  toGroup: number,
  beforeCommit: CompactionOptions['beforeCommit'],
): Promise<{ chunks: number; samples: number }> {
  await client.query('BEGIN');
  try {
    const gone = await copyBlocks(
      client,
      `DELETE FROM telemetry_sample_blocks
        WHERE window_start = to_timestamp(${sqlInteger(w0)} / 1000.0) AND series_group >= ${sqlInteger(fromGroup)} AND series_group < ${sqlInteger(toGroup)}
       RETURNING ${BLOCK_COLUMNS_SQL}`,
    );
    const bySeries = samplesOfBlocks(gone);
    if (bySeries.size === 0) {
      await client.query('COMMIT');
      return { chunks: 0, samples: 0 };
    }
    const ids = [...bySeries.keys()];
    const earlier = await latestChunks(client, 'telemetry_chunks', ids, w0);
    const starts: number[] = [];
    const spans: number[] = [];
    const counts: number[] = [];
    const datas: Uint8Array[] = [];
    let samples = 0;
    for (const [seriesId, fresh] of bySeries) {
      samples += fresh.us.length;
      const prior = earlier.get(seriesId);
      const chunk = chunkFor(w0, COMPACTION_WINDOW_MS, prior, LIMITS);
      let encoded: Uint8Array | undefined;
      let count = fresh.us.length;
      if (chunk.merge && prior) {
        count += prior.count;
        // Samples after the chunk's last continue its stream; late ones (or a chunk without state) are merged in.
        encoded = appendChunk(prior.data, fresh.us, fresh.values, { appendable: mayGrow(chunk, count) });
        if (!encoded) {
          const decoded = decodeChunk(prior.data);
          const all = mergeSorted([{ us: Array.from(decoded.timestamps), values: decoded.values }, fresh]);
          count = all.us.length;
          encoded = encodeChunk(all.us, all.values, { appendable: mayGrow(chunk, count) });
        }
      } else {
        encoded = encodeChunk(fresh.us, fresh.values, { appendable: mayGrow(chunk, count) });
      }
      starts.push(chunk.startMs);
      spans.push(chunk.spanMs / 60_000);
      counts.push(count);
      datas.push(encoded);
    }
    await client.query(
      `INSERT INTO telemetry_chunks (series_id, window_start, window_minutes, count, data)
       SELECT id, to_timestamp(s / 1000.0), m, n, d FROM unnest($1::int[], $2::float8[], $3::int[], $4::int[], $5::bytea[]) AS u(id, s, m, n, d)
       ON CONFLICT (series_id, window_start) DO UPDATE SET window_minutes = excluded.window_minutes, count = excluded.count, data = excluded.data`,
      [int4ArrayParam(ids), float8ArrayParam(starts), int4ArrayParam(spans), int4ArrayParam(counts), byteaArrayParam(datas)],
    );
    await beforeCommit?.({ windowStartMs: w0, fromSeriesId: fromGroup << SERIES_GROUP_SHIFT, samples }, client);
    await client.query('COMMIT');
    return { chunks: ids.length, samples };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
