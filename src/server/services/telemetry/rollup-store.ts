/**
 * 1-minute rollups live in two forms, like raw samples (sample-store.ts): the open window's buckets as blocks of
 * `telemetry_rollup_1m_blocks` (drizzle/0031: one row per minute and series group, up to MINUTE_BLOCK_MAX buckets as
 * parallel arrays, inserted by the rollup worker), closed hours as compressed rows of up to 6 hours per series in
 * `telemetry_rollup_1m_chunks` (bucket minutes delta-of-delta, min / max / sum / count each a column chunk, see
 * encodeRollupWindow). A row per series-minute cost ~130 B and an upsert; a compressed bucket costs a few bytes.
 *
 * Every reader of 1-minute rollups goes through `readMinuteRollups` or `hourRollupsSql`, which read both forms as one.
 * A minute can have several buckets: a late sample for a minute already rolled up (or already compressed) lands in a
 * block of its own. Readers combine them (min = least, max = greatest, sum and count added, in a fixed order: by
 * minute, then sum), and the next compaction folds them into the window's chunk.
 *
 * Compaction runs inside compactClosedWindows (compaction.ts), under its lock, on its connection: one transaction per
 * batch of series groups deletes the blocks (DELETE … RETURNING: exactly the buckets it encodes), writes their chunks
 * and adds their hour's aggregate to `telemetry_rollup_1h`, so a crash rolls back whole and nothing is stored twice.
 * That is the only writer of 1-hour buckets: readers combine them with the 1-minute buckets not compressed yet
 * (`hourRollupsSql`).
 */
import type pg from 'pg';
import { byteaArrayParam, copyOutRows, float8ArrayParam, int4ArrayParam, sqlInteger } from '../../db/binary-copy';
import { appendRollupWindow, decodeRollupWindow, encodeRollupWindow, type RollupColumns } from './chunk-codec';
import { allIndices, orderById } from './id-order';
import { pgMax, pgMin } from './rollups';
import { chunkFor, latestChunks, MAX_CHUNK_SPAN_MS, type Queryable, seriesGroupsSql, sentLength, viewOf } from './sample-store';

/**
 * The compactor's unit of work for 1-minute rollups: closed hours. A series' hour starts a chunk or joins its previous
 * chunk while that one holds fewer than ROLLUP_CHUNK_TARGET_BUCKETS buckets (`chunkFor`: at most 6 hours, never across
 * a UTC day, so never across a monthly partition): a chunk row and its index entry cost ~100 B, which 60 buckets of a
 * series scraped every 30 s (120 samples) would pay 0.8 B a sample for.
 */
export const ROLLUP_WINDOW_MS = 3_600_000;
export const ROLLUP_CHUNK_TARGET_BUCKETS = 360;

/** One series' 1-minute buckets in time order; `t` in ms since the Unix epoch (the bucket's start). */
export type MinuteRollups = { t: number[]; mins: number[]; maxs: number[]; sums: number[]; counts: number[] };

/**
 * 32-byte records: int4 minute ‖ float8 min ‖ float8 max ‖ float8 sum ‖ int4 count. Bytes keep every float64 bit. The
 * buckets of one minute (late contributions) are ordered by sum, as hourRollupsSql adds them.
 */
const PACKED_ROLLUPS_SQL = `string_agg(int4send((extract(epoch FROM bucket) / 60)::int) || float8send(min) || float8send(max) || float8send(sum) || int4send(count), ''::bytea ORDER BY bucket, sum)`;

/**
 * The 1-minute buckets not compressed yet as a relation (series_id, bucket, min, max, sum, count), one row per stored
 * bucket (a minute may have several), for the series in `ids` (an int[] SQL expression) with `from` ≤ bucket ≤ `to`
 * (timestamptz SQL expressions). Only the blocks of those series' groups are unnested.
 */
export function minuteBucketsSql(ids: string, from: string, to: string): string {
  return `(SELECT u.series_id, b.bucket, u.min, u.max, u.sum, u.count FROM telemetry_rollup_1m_blocks b
            CROSS JOIN LATERAL unnest(b.series_ids, b.mins, b.maxs, b.sums, b.counts) AS u(series_id, min, max, sum, count)
           WHERE b.series_group = ANY(${seriesGroupsSql(ids)})
             AND b.bucket >= ${from} AND b.bucket <= ${to} AND u.series_id = ANY(${ids}))`;
}

type Bucket = { minute: number; min: number; max: number; sum: number; count: number };

/** PostgreSQL's float8 order (NaN after every number and equal to itself; -0 equal to 0), as `ORDER BY sum` sorts. */
const pgFloatOrder = (a: number, b: number) => (Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : Number.isNaN(b) ? -1 : a < b ? -1 : a > b ? 1 : 0);
const bucketOrder = (a: Bucket, b: Bucket) => a.minute - b.minute || pgFloatOrder(a.sum, b.sum);

/** A 1-minute block row as the compactor reads it (copyOutRows): its minute and its arrays as array_send gives them. */
type SentMinuteBlock = { minute: number; ids: Buffer; mins: Buffer; maxs: Buffer; sums: Buffer; counts: Buffer };
const SENT_MINUTE_BLOCK_SQL = '(extract(epoch FROM bucket) / 60)::int, series_ids, mins, maxs, sums, counts';
const sentMinuteBlock = ([minute, ids, mins, maxs, sums, counts]: Array<Buffer | null>): SentMinuteBlock => ({
  minute: minute!.readInt32BE(0),
  ids: ids!,
  mins: mins!,
  maxs: maxs!,
  sums: sums!,
  counts: counts!,
});

/** A batch's fresh 1-minute buckets, columnar: series `ids[i]` (in id order) holds the buckets at [starts[i], starts[i + 1]). */
type BatchBuckets = { ids: number[]; starts: Int32Array; columns: BucketColumns };
type BucketColumns = { minutes: Float64Array; mins: Float64Array; maxs: Float64Array; sums: Float64Array; counts: Float64Array };

/**
 * The buckets of 1-minute block rows per series, each series ordered as PACKED_ROLLUPS_SQL orders them (by minute,
 * then sum; equal ones in block order), series in id order: each block's arrays read whole in binary, cut into flat
 * columns here instead of an object per bucket. Elements: int4 at 24 + 8i, float8 at 24 + 12i.
 */
function bucketsOfBlocks(rows: readonly SentMinuteBlock[]): BatchBuckets {
  const blocks = [...rows].sort((a, b) => a.minute - b.minute);
  let total = 0;
  for (const b of blocks) total += sentLength(b.ids);
  // Every bucket into flat columns, in block order.
  const seriesOf = new Int32Array(total);
  const flat = { minutes: new Float64Array(total), mins: new Float64Array(total), maxs: new Float64Array(total), sums: new Float64Array(total), counts: new Float64Array(total) };
  let k = 0;
  for (const row of blocks) {
    const n = sentLength(row.ids);
    const ids = viewOf(row.ids);
    const mins = viewOf(row.mins);
    const maxs = viewOf(row.maxs);
    const sums = viewOf(row.sums);
    const counts = viewOf(row.counts);
    for (let i = 0; i < n; i++, k++) {
      const o = 24 + 12 * i;
      seriesOf[k] = ids.getInt32(24 + 8 * i);
      flat.minutes[k] = row.minute;
      flat.mins[k] = mins.getFloat64(o);
      flat.maxs[k] = maxs.getFloat64(o);
      flat.sums[k] = sums.getFloat64(o);
      flat.counts[k] = counts.getInt32(24 + 8 * i);
    }
  }
  // Series in id order, each one's buckets together in block order (orderById keeps ties in order), then ordered.
  const order = orderById(allIndices(total), seriesOf);
  const columns = { minutes: new Float64Array(total), mins: new Float64Array(total), maxs: new Float64Array(total), sums: new Float64Array(total), counts: new Float64Array(total) };
  const ids: number[] = [];
  const starts: number[] = [];
  for (let j = 0; j < total; j++) {
    const from = order[j]!;
    if (j === 0 || seriesOf[from] !== ids.at(-1)) {
      ids.push(seriesOf[from]!);
      starts.push(j);
    }
    columns.minutes[j] = flat.minutes[from]!;
    columns.mins[j] = flat.mins[from]!;
    columns.maxs[j] = flat.maxs[from]!;
    columns.sums[j] = flat.sums[from]!;
    columns.counts[j] = flat.counts[from]!;
  }
  starts.push(total);
  for (let i = 0; i < ids.length; i++) orderBuckets(columns, starts[i]!, starts[i + 1]!);
  return { ids, starts: Int32Array.from(starts), columns };
}

/** Orders buckets [from, to) of the columns by minute, then sum (a stable sort: equal ones keep their order). */
function orderBuckets(c: BucketColumns, from: number, to: number): void {
  let ordered = true;
  for (let i = from + 1; i < to && ordered; i++) ordered = c.minutes[i]! > c.minutes[i - 1]! || (c.minutes[i] === c.minutes[i - 1] && pgFloatOrder(c.sums[i - 1]!, c.sums[i]!) <= 0);
  if (ordered) return;
  const list = bucketsAt(c, from, to).sort(bucketOrder);
  for (let i = 0; i < list.length; i++) {
    const b = list[i]!;
    c.minutes[from + i] = b.minute;
    c.mins[from + i] = b.min;
    c.maxs[from + i] = b.max;
    c.sums[from + i] = b.sum;
    c.counts[from + i] = b.count;
  }
}

/** Buckets [from, to) of the columns as objects (the rare paths: out-of-order or late buckets). */
function bucketsAt(c: BucketColumns, from: number, to: number): Bucket[] {
  const out: Bucket[] = [];
  for (let i = from; i < to; i++) out.push({ minute: c.minutes[i]!, min: c.mins[i]!, max: c.maxs[i]!, sum: c.sums[i]!, count: c.counts[i]! });
  return out;
}

/** Buckets [from, to) of the columns (ordered by minute) with each minute's buckets combined: views when every minute has one. */
function combinedAt(c: BucketColumns, from: number, to: number): RollupColumns {
  let single = true;
  for (let i = from + 1; i < to && single; i++) single = c.minutes[i]! > c.minutes[i - 1]!;
  if (single) return { minutes: c.minutes.subarray(from, to), mins: c.mins.subarray(from, to), maxs: c.maxs.subarray(from, to), sums: c.sums.subarray(from, to), counts: c.counts.subarray(from, to) };
  return columnsOf(combine([bucketsAt(c, from, to)]));
}

function unpackRollups(buf: Buffer): Bucket[] {
  const out: Bucket[] = [];
  for (let o = 0; o < buf.length; o += 32) {
    out.push({ minute: buf.readInt32BE(o), min: buf.readDoubleBE(o + 4), max: buf.readDoubleBE(o + 12), sum: buf.readDoubleBE(o + 20), count: buf.readInt32BE(o + 28) });
  }
  return out;
}

function decodedBuckets(data: Buffer): Bucket[] {
  const d = decodeRollupWindow(data);
  const out: Bucket[] = [];
  for (let i = 0; i < d.minutes.length; i++) out.push({ minute: d.minutes[i]!, min: d.mins[i]!, max: d.maxs[i]!, sum: d.sums[i]!, count: d.counts[i]! });
  return out;
}

/**
 * One bucket per minute, in minute order, from parts each in minute order. A part's own buckets of a minute are combined
 * first, in their order, then the parts' (a chunk's and the row table's): so a minute reads the same before and after
 * compaction folds its late buckets into the chunk.
 */
function combine(parts: Bucket[][]): Bucket[] {
  // One part with one bucket per minute (what compaction mostly gets): already combined.
  if (parts.length === 1) {
    const only = parts[0]!;
    let i = 1;
    while (i < only.length && only[i]!.minute > only[i - 1]!.minute) i++;
    if (i >= only.length) return only;
  }
  const all = parts.length === 1 ? parts[0]! : parts.flatMap((p) => combine([p])).sort((a, b) => a.minute - b.minute);
  const out: Bucket[] = [];
  for (const b of all) {
    const last = out.at(-1);
    if (last && last.minute === b.minute) {
      last.min = pgMin(last.min, b.min);
      last.max = pgMax(last.max, b.max);
      last.sum += b.sum;
      last.count += b.count;
    } else out.push({ minute: b.minute, min: b.min, max: b.max, sum: b.sum, count: b.count });
  }
  return out;
}

/**
 * 1-minute rollups of the given series with fromMs ≤ bucket ≤ toMs, from both forms (one statement, one snapshot),
 * each series in bucket order. Series without buckets are absent.
 */
export async function readMinuteRollups(db: Queryable, seriesIds: number[], fromMs: number, toMs: number): Promise<Map<number, MinuteRollups>> {
  const out = new Map<number, MinuteRollups>();
  if (seriesIds.length === 0) return out;
  const rows = await db.query<{ chunk: boolean; series_id: number; data: Buffer }>(
    `SELECT false AS chunk, series_id, ${PACKED_ROLLUPS_SQL} AS data
       FROM ${minuteBucketsSql('$1::int[]', 'to_timestamp($2 / 1000.0)', 'to_timestamp($3 / 1000.0)')} m
      GROUP BY series_id
     UNION ALL
     SELECT true, series_id, data FROM telemetry_rollup_1m_chunks
      WHERE series_id = ANY($1) AND window_start > to_timestamp($4 / 1000.0) AND window_start <= to_timestamp($3 / 1000.0)
        AND window_start + window_minutes * interval '1 minute' > to_timestamp($2 / 1000.0)`,
    [seriesIds, fromMs, toMs, fromMs - MAX_CHUNK_SPAN_MS],
  );
  const parts = new Map<number, Bucket[][]>();
  for (const row of rows.rows) {
    const buckets = row.chunk ? decodedBuckets(row.data).filter((b) => b.minute * 60_000 >= fromMs && b.minute * 60_000 <= toMs) : unpackRollups(row.data);
    if (buckets.length === 0) continue;
    const list = parts.get(row.series_id);
    if (list) list.push(buckets);
    else parts.set(row.series_id, [buckets]);
  }
  for (const [id, list] of parts) {
    const buckets = combine(list);
    out.set(id, {
      t: buckets.map((b) => b.minute * 60_000),
      mins: buckets.map((b) => b.min),
      maxs: buckets.map((b) => b.max),
      sums: buckets.map((b) => b.sum),
      counts: buckets.map((b) => b.count),
    });
  }
  return out;
}

/**
 * The hour of buckets [from, to) of the columns (all in one hour), added after what an earlier compaction stored for it,
 * combined as the rollup upserts combine.
 */
function hourOf(stored: Omit<Bucket, 'minute'> | undefined, c: BucketColumns, from: number, to: number): Omit<Bucket, 'minute'> {
  let { min, max, sum, count } = stored ?? { min: c.mins[from]!, max: c.maxs[from]!, sum: c.sums[from]!, count: c.counts[from]! };
  for (let i = stored ? from : from + 1; i < to; i++) {
    min = pgMin(min, c.mins[i]!);
    max = pgMax(max, c.maxs[i]!);
    sum += c.sums[i]!;
    count += c.counts[i]!;
  }
  return { min, max, sum, count };
}

/**
 * 1-hour rollups as a relation (series_id, bucket, min, max, sum, count) for the series in `ids` (an int[] SQL
 * expression) with `from` ≤ bucket ≤ `to` (timestamptz SQL expressions): the hours compaction has stored in
 * telemetry_rollup_1h combined with the 1-minute rows not compressed yet (the open hour, closed hours awaiting
 * compaction, late buckets), grouped by hour. Compaction moves a series' minutes of an hour from the row table into
 * its hour bucket in one transaction, so one statement counts every minute exactly once.
 */
export function hourRollupsSql(ids: string, from: string, to: string): string {
  // Sums are added in minute order (a minute's buckets by sum), the stored hour first: the order compaction adds them in
  // (hourOf over PACKED_ROLLUPS_SQL's order), so an hour reads the same to the bit before and after its minutes are
  // compressed.
  return `(SELECT series_id, bucket, min(min) AS min, max(max) AS max, sum(sum ORDER BY minute, sum) AS sum, sum(count)::int AS count
     FROM (SELECT series_id, bucket, bucket - interval '1 microsecond' AS minute, min, max, sum, count FROM telemetry_rollup_1h
            WHERE series_id = ANY(${ids}) AND bucket >= ${from} AND bucket <= ${to}
           UNION ALL
           SELECT series_id, date_bin('1 hour', bucket, timestamptz '1970-01-01 00:00:00+00'), bucket, min, max, sum, count
             FROM ${minuteBucketsSql(ids, `${from} - interval '1 hour'`, `${to} + interval '1 hour'`)} m) AS parts
    WHERE bucket >= ${from} AND bucket <= ${to}
    GROUP BY series_id, bucket)`;
}

export type RollupCompaction = { windows: number; chunks: number; buckets: number; lagMs: number };

/**
 * Compresses every 1-minute rollup window that ended at least `delayMs` before `nowMs`, on a connection that holds the
 * compaction lock. Stops starting new windows at `deadline` (Date.now() ms); the next run carries on.
 */
export async function compactClosedRollupWindows(
  client: pg.PoolClient,
  options: { nowMs: number; delayMs: number; groupsPerBatch: number; deadline: number },
): Promise<RollupCompaction> {
  const result: RollupCompaction = { windows: 0, chunks: 0, buckets: 0, lagMs: 0 };
  const closedBefore = Math.floor((options.nowMs - options.delayMs) / ROLLUP_WINDOW_MS) * ROLLUP_WINDOW_MS;
  for (;;) {
    // Only rows before the closed horizon: after a run that is a handful of late ones, found through the BRIN index.
    const oldest = await client.query<{ ms: number | null }>(
      'SELECT (extract(epoch FROM min(bucket)) * 1000)::float8 AS ms FROM telemetry_rollup_1m_blocks WHERE bucket < to_timestamp($1 / 1000.0)',
      [closedBefore],
    );
    const oldestMs = oldest.rows[0]?.ms;
    if (oldestMs === null || oldestMs === undefined) break;
    const w0 = Math.floor(oldestMs / ROLLUP_WINDOW_MS) * ROLLUP_WINDOW_MS;
    if (Date.now() > options.deadline) {
      result.lagMs = closedBefore - w0;
      break;
    }
    const range = await client.query<{ lo: number | null; hi: number }>(
      `SELECT min(series_group) AS lo, max(series_group) AS hi FROM telemetry_rollup_1m_blocks
        WHERE bucket >= to_timestamp($1 / 1000.0) AND bucket < to_timestamp($2 / 1000.0)`,
      [w0, w0 + ROLLUP_WINDOW_MS],
    );
    const { lo, hi } = range.rows[0]!;
    for (let from = lo ?? 0; lo !== null && from <= hi; from += options.groupsPerBatch) {
      const batch = await compactRollupBatch(client, w0, from, from + options.groupsPerBatch);
      result.chunks += batch.chunks;
      result.buckets += batch.buckets;
    }
    result.windows++;
  }
  return result;
}

const ROLLUP_LIMITS = { target: ROLLUP_CHUNK_TARGET_BUCKETS, maxSpanMs: MAX_CHUNK_SPAN_MS };

/**
 * Whether the chunk may take in the series' next hour (chunkFor), so is worth keeping its encoders' state.
 * (The fields are listed, not spread: see cachedLine in line-cache.ts.)
 */
const rollupMayGrow = (chunk: { startMs: number; spanMs: number }, count: number) =>
  chunkFor(chunk.startMs + chunk.spanMs, ROLLUP_WINDOW_MS, { startMs: chunk.startMs, spanMs: chunk.spanMs, count }, ROLLUP_LIMITS).merge;

function columnsOf(buckets: Bucket[]): RollupColumns {
  const n = buckets.length;
  const c = { minutes: new Array<number>(n), mins: new Float64Array(n), maxs: new Float64Array(n), sums: new Float64Array(n), counts: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const b = buckets[i]!;
    c.minutes[i] = b.minute;
    c.mins[i] = b.min;
    c.maxs[i] = b.max;
    c.sums[i] = b.sum;
    c.counts[i] = b.count;
  }
  return c;
}

/** One transaction: the 1-minute blocks of series groups [fromGroup, toGroup) in the window become (or join) chunks. */
async function compactRollupBatch(client: pg.PoolClient, w0: number, fromGroup: number, toGroup: number): Promise<{ chunks: number; buckets: number }> {
  await client.query('BEGIN');
  try {
    const gone = await copyOutRows(
      client,
      `DELETE FROM telemetry_rollup_1m_blocks
        WHERE bucket >= to_timestamp(${sqlInteger(w0)} / 1000.0) AND bucket < to_timestamp(${sqlInteger(w0 + ROLLUP_WINDOW_MS)} / 1000.0)
          AND series_group >= ${sqlInteger(fromGroup)} AND series_group < ${sqlInteger(toGroup)}
       RETURNING ${SENT_MINUTE_BLOCK_SQL}`,
    );
    const { ids, starts: at, columns } = bucketsOfBlocks(gone.map(sentMinuteBlock));
    if (ids.length === 0) {
      await client.query('COMMIT');
      return { chunks: 0, buckets: 0 };
    }
    const earlier = await latestChunks(client, 'telemetry_rollup_1m_chunks', ids, w0);
    // What an earlier compaction of this hour stored (late buckets come back here): the new buckets are added after it.
    const stored = await client.query<{ series_id: number; min: number; max: number; sum: number; count: number }>(
      'SELECT series_id, min, max, sum, count FROM telemetry_rollup_1h WHERE series_id = ANY($1::int4[]) AND bucket = to_timestamp($2 / 1000.0) FOR UPDATE',
      [int4ArrayParam(ids), w0],
    );
    const storedHour = new Map(stored.rows.map((r) => [r.series_id, r]));
    const starts: number[] = [];
    const spans: number[] = [];
    const counts: number[] = [];
    const datas: Uint8Array[] = [];
    const hour = { mins: new Float64Array(ids.length), maxs: new Float64Array(ids.length), sums: new Float64Array(ids.length), counts: new Float64Array(ids.length) };
    for (let i = 0; i < ids.length; i++) {
      const seriesId = ids[i]!;
      const from = at[i]!;
      const to = at[i + 1]!;
      const total = hourOf(storedHour.get(seriesId), columns, from, to);
      hour.mins[i] = total.min;
      hour.maxs[i] = total.max;
      hour.sums[i] = total.sum;
      hour.counts[i] = total.count;
      const priorChunk = earlier.get(seriesId);
      const chunk = chunkFor(w0, ROLLUP_WINDOW_MS, priorChunk, ROLLUP_LIMITS);
      const own = combinedAt(columns, from, to);
      let encoded: Uint8Array | undefined;
      let count = own.minutes.length;
      if (chunk.merge && priorChunk) {
        // Buckets after the chunk's last continue its columns; late ones (or a chunk without state) are combined in.
        count += priorChunk.count;
        encoded = appendRollupWindow(priorChunk.data, own, { appendable: rollupMayGrow(chunk, count) });
        if (!encoded) {
          const all = combine([decodedBuckets(priorChunk.data), bucketsAt(columns, from, to)]);
          count = all.length;
          encoded = encodeRollupWindow(columnsOf(all), { appendable: rollupMayGrow(chunk, count) });
        }
      } else {
        encoded = encodeRollupWindow(own, { appendable: rollupMayGrow(chunk, count) });
      }
      starts.push(chunk.startMs);
      spans.push(chunk.spanMs / 60_000);
      counts.push(count);
      datas.push(encoded);
    }
    await client.query(
      `INSERT INTO telemetry_rollup_1m_chunks (series_id, window_start, window_minutes, buckets, data)
       SELECT id, to_timestamp(s / 1000.0), m, n, d FROM unnest($1::int[], $2::float8[], $3::int[], $4::int[], $5::bytea[]) AS u(id, s, m, n, d)
       ON CONFLICT (series_id, window_start) DO UPDATE SET window_minutes = excluded.window_minutes, buckets = excluded.buckets, data = excluded.data`,
      [int4ArrayParam(ids), float8ArrayParam(starts), int4ArrayParam(spans), int4ArrayParam(counts), byteaArrayParam(datas)],
    );
    // The window's 1-minute buckets leave the row table, so their hour's aggregate (with what was stored) goes to
    // telemetry_rollup_1h in the same transaction. Compaction is its only writer (migration 0029's trigger refuses the
    // rest: an older version's rollup worker during a rolling upgrade).
    await client.query(`SELECT set_config('plenum.rollup_1h_writer', 'compaction', true)`);
    await client.query(
      `INSERT INTO telemetry_rollup_1h AS r (series_id, bucket, min, max, sum, count)
       SELECT id, to_timestamp($2 / 1000.0), mn, mx, sm, ct FROM unnest($1::int4[], $3::float8[], $4::float8[], $5::float8[], $6::int4[]) AS u(id, mn, mx, sm, ct)
       ON CONFLICT (series_id, bucket) DO UPDATE SET min = excluded.min, max = excluded.max, sum = excluded.sum, count = excluded.count`,
      [int4ArrayParam(ids), w0, float8ArrayParam(hour.mins), float8ArrayParam(hour.maxs), float8ArrayParam(hour.sums), int4ArrayParam(hour.counts)],
    );
    await client.query('COMMIT');
    return { chunks: ids.length, buckets: columns.minutes.length };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
