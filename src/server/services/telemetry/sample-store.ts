/**
 * Raw samples live in two forms: recent ones in blocks of the write table `telemetry_sample_blocks` (drizzle/0030),
 * older ones as compressed chunks in `telemetry_chunks` (one row per series per chunk of one or more 30-minute windows,
 * see compaction.ts and `chunkFor`). Everything that reads raw samples over a time range reads both through here, so
 * the two forms are one to callers.
 *
 * A block holds up to BLOCK_MAX_SAMPLES samples of one flush whose series share a group (series_id >> 6: 64
 * neighbouring ids, which one scrape target's series mostly are, since a target's new series get their ids together)
 * and whose timestamps share a compaction window, as three parallel arrays. Writing a row and its index entries per
 * block instead of per sample is most of what storing a sample cost; readers find a series' blocks by its group and
 * unnest them (`rawSamplesSql`). The view `telemetry_samples` shows the blocks as rows (series_id, ts, value).
 *
 * Samples cross the wire as bytes (timestamptz_send / float8send), never as text: that keeps every float64 bit
 * (NaN payloads, -0) and is cheaper to parse than text rows.
 */
import type pg from 'pg';
import { copyOutRows, float8ArrayParam, int4ArrayParam, sqlInteger, timestamptzArrayParam, timestamptzMsOf } from '../../db/binary-copy';
import { StatementParams } from '../../db/statement-params';
import { intArrayLiteral } from '../../db/array-literal';
import { decodeChunk } from './chunk-codec';

/**
 * The compactor's unit of work: 30-minute windows aligned to the Unix epoch. A chunk starts as one window of a series
 * and takes in the series' following windows while it holds fewer than CHUNK_TARGET_SAMPLES samples (so a series
 * scraped every 30 s gets 2-hour chunks of 240 samples, one scraped every 10 s 1-hour chunks of 360, every second
 * 30-minute chunks): each chunk row and its index entries cost ~100 B whatever it holds, so a slow series' chunks
 * would otherwise pay that over a few dozen samples. A chunk spans at most MAX_CHUNK_SPAN_MS and never crosses a UTC
 * day, so it stays in its daily partition (retention drops partitions whole).
 */
export const COMPACTION_WINDOW_MS = 30 * 60_000;
/** A chunk grows while it holds fewer samples than this. */
export const CHUNK_TARGET_SAMPLES = 240;
/** The longest span of a chunk (readers look this far back for chunks that may overlap their range). */
export const MAX_CHUNK_SPAN_MS = 6 * 3_600_000;
export const DAY_MS = 86_400_000;

/**
 * Where a series' samples of window `w0` go, given the chunk of the series that starts latest at or before `w0` (within
 * `maxSpanMs`): into that chunk when it covers `w0` (late samples), or when it ends where `w0` begins, holds fewer
 * than `target` and can grow by `windowMs` without passing `maxSpanMs` or its UTC day; otherwise into a new chunk at
 * `w0`. Returns the chunk's start and span. Used for sample chunks and (with hours) for 1-minute rollup chunks.
 */
export function chunkFor(
  w0: number,
  windowMs: number,
  prior: { startMs: number; spanMs: number; count: number } | undefined,
  limits: { target: number; maxSpanMs: number },
): { startMs: number; spanMs: number; merge: boolean } {
  if (prior) {
    const end = prior.startMs + prior.spanMs;
    if (w0 >= prior.startMs && w0 < end) return { startMs: prior.startMs, spanMs: prior.spanMs, merge: true };
    const grown = w0 + windowMs - prior.startMs;
    const sameDay = Math.floor(prior.startMs / DAY_MS) === Math.floor(w0 / DAY_MS);
    if (w0 === end && prior.count < limits.target && grown <= limits.maxSpanMs && sameDay) return { startMs: prior.startMs, spanMs: grown, merge: true };
  }
  return { startMs: w0, spanMs: windowMs, merge: false };
}

/** A series' latest chunk that a new window may join (chunkFor's `prior`), with its encoded data. */
export type PriorChunk = { startMs: number; spanMs: number; count: number; data: Buffer };

/**
 * Each series' chunk starting latest at or before window `w0` (within MAX_CHUNK_SPAN_MS): the one its new window may
 * join (chunkFor). `table` holds sample chunks (`count` samples) or 1-minute rollup chunks (`buckets`).
 */
export async function latestChunks(
  client: pg.PoolClient,
  table: 'telemetry_chunks' | 'telemetry_rollup_1m_chunks',
  seriesIds: number[],
  w0: number,
): Promise<Map<number, PriorChunk>> {
  const count = table === 'telemetry_chunks' ? 'count' : 'buckets';
  // Read in binary (copyOutRows): the chunks' bytes would otherwise cross as hex. COPY takes no parameters, so the
  // numbers are inlined.
  const rows = await copyOutRows(
    client,
    `SELECT DISTINCT ON (series_id) series_id, (extract(epoch FROM window_start) * 1000)::float8, window_minutes::int4, ${count}::int4, data
       FROM ${table}
      WHERE series_id = ANY('${intArrayLiteral(seriesIds)}'::int4[]) AND window_start > to_timestamp(${sqlInteger(w0 - MAX_CHUNK_SPAN_MS)} / 1000.0)
        AND window_start <= to_timestamp(${sqlInteger(w0)} / 1000.0)
      ORDER BY series_id, window_start DESC`,
  );
  const out = new Map<number, PriorChunk>();
  for (const [id, startMs, minutes, n, data] of rows) {
    out.set(id!.readInt32BE(0), { startMs: startMs!.readDoubleBE(0), spanMs: minutes!.readInt32BE(0) * 60_000, count: n!.readInt32BE(0), data: data! });
  }
  return out;
}

/**
 * The compactor leaves windows that ended less than this long ago alone (its configured delay can only be longer).
 * Readers of the last minutes ("now" values, alerts) therefore find them in the write table alone.
 */
export const MIN_COMPACTION_AGE_MS = 10 * 60_000;

/** A block's series share `series_id >> SERIES_GROUP_SHIFT`. */
export const SERIES_GROUP_SHIFT = 6;
/** At most this many samples per block: 64 of them (20 B each) keep a row under PostgreSQL's 2 kB TOAST threshold. */
export const BLOCK_MAX_SAMPLES = 64;

/** SQL: the series groups (block keys) of the series in `ids`, an int[] SQL expression, as an int[]. */
export const seriesGroupsSql = (ids: string) => `ARRAY(SELECT DISTINCT i >> ${SERIES_GROUP_SHIFT} FROM unnest(${ids}) AS i)`;

/**
 * Raw samples of the write table as a relation (series_id, ts, value) with `from` ≤ ts ≤ `to` (timestamptz SQL
 * expressions): of the series in `series` (an int[] SQL expression, or one int for a single series), or of all.
 * Only the blocks of those series' groups that reach the range are unnested.
 */
export function rawSamplesSql(series: { any: string } | { one: string } | 'all', from: string, to: string): string {
  const groups =
    series === 'all'
      ? ''
      : 'any' in series
        ? `b.series_group = ANY(${seriesGroupsSql(series.any)}) AND `
        : `b.series_group = (${series.one}) >> ${SERIES_GROUP_SHIFT} AND `;
  const ids = series === 'all' ? '' : 'any' in series ? `u.series_id = ANY(${series.any}) AND ` : `u.series_id = ${series.one} AND `;
  return `(SELECT u.series_id, u.ts, u.value FROM telemetry_sample_blocks b
            CROSS JOIN LATERAL unnest(b.series_ids, b.stamps, b.vals) AS u(series_id, ts, value)
           WHERE ${groups}b.ts_max >= ${from} AND b.ts_min <= ${to} AND ${ids}u.ts >= ${from} AND u.ts <= ${to})`;
}

/** Rows in column arrays, of which [from, to) are to be written. */
export type SampleRows = { seriesIds: ArrayLike<number>; tsMs: ArrayLike<number>; values: ArrayLike<number>; from: number; to: number };

/** Block key: window index and series group in one exact double (windows < 2^26 after 1970, groups < 2^26). */
const GROUP_SPAN = 67_108_864;

/**
 * Rows grouped into blocks (series group × compaction window, at most BLOCK_MAX_SAMPLES each): per block its window,
 * group, time range and the 1-based range [first, last] of its samples in the flat columns `ids`, `tsMs`, `values`.
 */
export type SampleBlockColumns = {
  windowMs: number[];
  groups: number[];
  tsMin: number[];
  tsMax: number[];
  firsts: number[];
  lasts: number[];
  ids: number[];
  tsMs: number[];
  values: number[];
};

export function sampleBlockColumns(parts: Iterable<SampleRows>): SampleBlockColumns {
  const members = new Map<number, { rows: SampleRows; at: number }[]>();
  for (const rows of parts) {
    for (let i = rows.from; i < rows.to; i++) {
      const key = Math.floor(rows.tsMs[i]! / COMPACTION_WINDOW_MS) * GROUP_SPAN + (rows.seriesIds[i]! >> SERIES_GROUP_SHIFT);
      const list = members.get(key);
      if (list) list.push({ rows, at: i });
      else members.set(key, [{ rows, at: i }]);
    }
  }
  const out: SampleBlockColumns = { windowMs: [], groups: [], tsMin: [], tsMax: [], firsts: [], lasts: [], ids: [], tsMs: [], values: [] };
  for (const [key, list] of members) {
    const window = Math.floor(key / GROUP_SPAN);
    const group = key - window * GROUP_SPAN;
    for (let start = 0; start < list.length; start += BLOCK_MAX_SAMPLES) {
      const end = Math.min(list.length, start + BLOCK_MAX_SAMPLES);
      let minMs = Number.POSITIVE_INFINITY;
      let maxMs = Number.NEGATIVE_INFINITY;
      out.firsts.push(out.ids.length + 1); // PostgreSQL arrays count from 1
      for (let k = start; k < end; k++) {
        const { rows, at } = list[k]!;
        const t = rows.tsMs[at]!;
        if (t < minMs) minMs = t;
        if (t > maxMs) maxMs = t;
        out.ids.push(rows.seriesIds[at]!);
        out.tsMs.push(t);
        out.values.push(rows.values[at]!);
      }
      out.lasts.push(out.ids.length);
      out.windowMs.push(window * COMPACTION_WINDOW_MS);
      out.groups.push(group);
      out.tsMin.push(minMs);
      out.tsMax.push(maxMs);
    }
  }
  return out;
}

/**
 * SQL inserting the blocks of `columns` into `telemetry_sample_blocks`, its values added to `params` (in binary), for a
 * flush's one statement (ingest.ts). PostgreSQL cuts each block's arrays as slices of the three flat parameters.
 */
export function sampleBlocksInsertSql(params: StatementParams, columns: SampleBlockColumns): string {
  const c = columns;
  return `INSERT INTO telemetry_sample_blocks (window_start, series_group, ts_min, ts_max, series_ids, stamps, vals)
          SELECT b.w, b.grp, b.lo_ts, b.hi_ts, (${params.add(int4ArrayParam(c.ids))}::int4[])[b.lo:b.hi],
                 (${params.add(timestamptzArrayParam(c.tsMs))}::timestamptz[])[b.lo:b.hi], (${params.add(float8ArrayParam(c.values))}::float8[])[b.lo:b.hi]
            FROM unnest(${params.add(timestamptzArrayParam(c.windowMs))}::timestamptz[], ${params.add(int4ArrayParam(c.groups))}::int4[],
                        ${params.add(timestamptzArrayParam(c.tsMin))}::timestamptz[], ${params.add(timestamptzArrayParam(c.tsMax))}::timestamptz[],
                        ${params.add(int4ArrayParam(c.firsts))}::int4[], ${params.add(int4ArrayParam(c.lasts))}::int4[]) AS b(w, grp, lo_ts, hi_ts, lo, hi)`;
}

/** Writes rows as blocks on a client or pool (one statement). Returns the number of blocks. */
export async function insertSampleBlocks(db: Queryable, parts: Iterable<SampleRows>): Promise<number> {
  const columns = sampleBlockColumns(parts);
  if (columns.groups.length === 0) return 0;
  const params = new StatementParams();
  await db.query(sampleBlocksInsertSql(params, columns), params.values);
  return columns.groups.length;
}

/** PostgreSQL timestamps count µs from 2000-01-01; ours from 1970-01-01. */
const PG_EPOCH_US = 946_684_800_000_000;
const TWO_32 = 4_294_967_296;

export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/** One series' samples in time order: timestamps in µs since the Unix epoch, values as float64. */
export type SampleColumns = { us: number[]; values: Float64Array };

/**
 * SQL for one bytea per group holding 16-byte records (timestamptz_send ‖ float8send), ordered by time. Ties on the
 * timestamp are ordered by the value's bytes so the order is the same on every read.
 */
export const PACKED_SAMPLES_SQL = `string_agg(timestamptz_send(ts) || float8send(value), ''::bytea ORDER BY ts, float8send(value))`;

/**
 * The columns of a block row as the compactor reads them (a select list, or a DELETE's RETURNING list), through
 * `copyBlocks`: each array in its binary form, and `samplesOfBlocks` cuts them into series here, instead of unnesting,
 * grouping and ordering every sample in SQL (PACKED_SAMPLES_SQL).
 */
export const BLOCK_COLUMNS_SQL = 'ts_min, series_ids, stamps, vals';
/** A block row read by `copyBlocks`: its oldest sample's time and its three arrays as `array_send` gives them. */
export type SentBlock = { tsMinMs: number; ids: Buffer; stamps: Buffer; vals: Buffer };

/** The block rows `query` gives (its columns: BLOCK_COLUMNS_SQL), read in binary: no text on either side. */
export async function copyBlocks(client: pg.PoolClient, query: string): Promise<SentBlock[]> {
  return (await copyOutRows(client, query)).map(([tsMin, ids, stamps, vals]) => ({ tsMinMs: timestamptzMsOf(tsMin!), ids: ids!, stamps: stamps!, vals: vals! }));
}

/** Elements of a one-dimensional array in array_send's form (none for an empty array); they start at byte 20. */
export const sentLength = (buf: Buffer) => (buf.readInt32BE(0) === 0 ? 0 : buf.readInt32BE(12));

/** A DataView over exactly the buffer's bytes: its reads compile to plain loads, where Buffer's methods are checked calls. */
export const viewOf = (buf: Buffer) => new DataView(buf.buffer, buf.byteOffset, buf.byteLength);

/**
 * The samples of blocks (`copyBlocks` rows) per series, each series in time order with ties ordered by the value's
 * bits, as PACKED_SAMPLES_SQL orders them; series in id order. Values keep every bit (NaN payloads, -0).
 */
export function samplesOfBlocks(unordered: readonly SentBlock[]): Map<number, SampleColumns> {
  // Blocks by their oldest sample: a series' samples then mostly arrive in time order (rows come back in heap order).
  const blocks = [...unordered].sort((a, b) => a.tsMinMs - b.tsMinMs);
  let total = 0;
  for (const b of blocks) total += sentLength(b.ids);
  // Pass 1: every sample into flat arrays (elements: int4 at 24 + 8i, timestamptz / float8 at 24 + 12i), each
  // sample's series numbered in order of first appearance.
  const views = blocks.map((b) => ({ n: sentLength(b.ids), ids: viewOf(b.ids), stamps: viewOf(b.stamps), vals: viewOf(b.vals) }));
  const slotOf = new Map<number, number>();
  const counts: number[] = [];
  const slotOfSample = new Int32Array(total);
  const us = new Float64Array(total);
  const hi = new Uint32Array(total);
  const lo = new Uint32Array(total);
  let k = 0;
  for (const v of views) {
    for (let i = 0; i < v.n; i++, k++) {
      const id = v.ids.getInt32(24 + 8 * i);
      let slot = slotOf.get(id);
      if (slot === undefined) {
        slot = counts.length;
        slotOf.set(id, slot);
        counts.push(0);
      }
      counts[slot]!++;
      slotOfSample[k] = slot;
      const o = 24 + 12 * i;
      us[k] = v.stamps.getInt32(o) * TWO_32 + v.stamps.getUint32(o + 4) + PG_EPOCH_US;
      hi[k] = v.vals.getUint32(o);
      lo[k] = v.vals.getUint32(o + 4);
    }
  }
  // Pass 2: each series' samples in arrival order, then ordered (they usually arrive in order).
  const series = counts.map((n) => ({ us: new Array<number>(n), values: new Float64Array(n) }));
  const words = series.map((s) => new Uint32Array(s.values.buffer));
  const filled = new Int32Array(counts.length);
  for (let j = 0; j < total; j++) {
    const slot = slotOfSample[j]!;
    const at = filled[slot]!++;
    series[slot]!.us[at] = us[j]!;
    words[slot]![2 * at] = lo[j]!;
    words[slot]![2 * at + 1] = hi[j]!;
  }
  const out = new Map<number, SampleColumns>();
  for (const [id, slot] of [...slotOf].sort((x, y) => x[0] - y[0])) {
    sortByTimeThenBits(series[slot]!, words[slot]!);
    out.set(id, series[slot]!);
  }
  return out;
}

/** Orders a series' samples by time, ties by the value's bits (unsigned, high word first); usually already in order. */
function sortByTimeThenBits(series: SampleColumns, words: Uint32Array): void {
  const { us } = series;
  const before = (a: number, b: number) => us[a]! - us[b]! || words[2 * a + 1]! - words[2 * b + 1]! || words[2 * a]! - words[2 * b]!;
  let sorted = true;
  for (let i = 1; i < us.length; i++) {
    if (us[i]! > us[i - 1]!) continue;
    if (us[i]! < us[i - 1]! || before(i - 1, i) > 0) {
      sorted = false;
      break;
    }
  }
  if (sorted) return;
  const order = Array.from({ length: us.length }, (_, i) => i).sort(before);
  const oldUs = us.slice();
  const oldWords = words.slice();
  for (let to = 0; to < order.length; to++) {
    const from = order[to]!;
    us[to] = oldUs[from]!;
    words[2 * to] = oldWords[2 * from]!;
    words[2 * to + 1] = oldWords[2 * from + 1]!;
  }
}

/** Parses the packed 16-byte records of PACKED_SAMPLES_SQL. */
export function unpackSamples(buf: Buffer): SampleColumns {
  const n = buf.length / 16;
  const us = new Array<number>(n);
  const values = new Float64Array(n);
  const words = new Uint32Array(values.buffer);
  for (let i = 0; i < n; i++) {
    const o = i * 16;
    us[i] = buf.readInt32BE(o) * TWO_32 + buf.readUInt32BE(o + 4) + PG_EPOCH_US;
    words[2 * i + 1] = buf.readUInt32BE(o + 8);
    words[2 * i] = buf.readUInt32BE(o + 12);
  }
  return { us, values };
}

/** ms (as the API uses them, from SQL's `to_timestamp(ms / 1000.0)`) → µs. */
export const msToUs = (ms: number) => Math.round(ms * 1000);
/** µs → ms exactly as SQL's `(extract(epoch FROM ts) * 1000)::float8` gives them. */
export const usToMs = (us: number) => us / 1000;

/** Start of the window holding `ms`. */
export const windowStartMs = (ms: number) => Math.floor(ms / COMPACTION_WINDOW_MS) * COMPACTION_WINDOW_MS;

/**
 * Samples of the given series (or of every series) with fromMs ≤ t ≤ toMs from both forms, each series in time order.
 * Series without samples are absent from the map. Both forms are read in ONE statement, so one snapshot: a compaction
 * committing meanwhile can neither hide rows from it nor show them twice.
 */
export async function readSamples(db: Queryable, seriesIds: number[] | 'all', fromMs: number, toMs: number): Promise<Map<number, SampleColumns>> {
  const out = new Map<number, SampleColumns>();
  if (seriesIds !== 'all' && seriesIds.length === 0) return out;
  const rows = await db.query<{ chunk: boolean; series_id: number; data: Buffer }>(
    `SELECT false AS chunk, series_id, ${PACKED_SAMPLES_SQL} AS data
       FROM ${rawSamplesSql(seriesIds === 'all' ? 'all' : { any: '$1::int[]' }, 'to_timestamp($2 / 1000.0)', 'to_timestamp($3 / 1000.0)')} x
      GROUP BY series_id
     UNION ALL
     SELECT true, series_id, data FROM telemetry_chunks
      WHERE ($1::int[] IS NULL OR series_id = ANY($1)) AND window_start > to_timestamp($4 / 1000.0) AND window_start <= to_timestamp($3 / 1000.0)
        AND window_start + window_minutes * interval '1 minute' > to_timestamp($2 / 1000.0)`,
    [seriesIds === 'all' ? null : seriesIds, fromMs, toMs, fromMs - MAX_CHUNK_SPAN_MS],
  );
  const fromUs = msToUs(fromMs);
  const toUs = msToUs(toMs);
  const parts = new Map<number, SampleColumns[]>();
  const add = (id: number, part: SampleColumns) => {
    const list = parts.get(id);
    if (list) list.push(part);
    else parts.set(id, [part]);
  };
  for (const row of rows.rows) {
    if (!row.chunk) {
      add(row.series_id, unpackSamples(row.data));
      continue;
    }
    const decoded = decodeChunk(row.data);
    const us: number[] = [];
    const keep: number[] = [];
    for (let i = 0; i < decoded.timestamps.length; i++) {
      const t = decoded.timestamps[i]!;
      if (t >= fromUs && t <= toUs) {
        us.push(t);
        keep.push(i);
      }
    }
    if (keep.length === 0) continue;
    const values = new Float64Array(keep.length);
    const words = new Uint32Array(values.buffer);
    const source = new Uint32Array(decoded.values.buffer, decoded.values.byteOffset, decoded.values.length * 2);
    for (let j = 0; j < keep.length; j++) {
      words[2 * j] = source[2 * keep[j]!]!;
      words[2 * j + 1] = source[2 * keep[j]! + 1]!;
    }
    add(row.series_id, { us, values });
  }
  for (const [id, list] of parts) out.set(id, list.length === 1 ? list[0]! : mergeSorted(list));
  return out;
}

/** Whether any chunk's window overlaps [fromMs, toMs): rollups of such minutes must read the chunks too. */
export async function chunksOverlap(db: Queryable, fromMs: number, toMs: number): Promise<boolean> {
  const rows = await db.query<{ yes: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM telemetry_chunks
                     WHERE window_start > to_timestamp($1 / 1000.0) AND window_start < to_timestamp($2 / 1000.0)
                       AND window_start + window_minutes * interval '1 minute' > to_timestamp($3 / 1000.0)) AS yes`,
    [fromMs - MAX_CHUNK_SPAN_MS, toMs, fromMs],
  );
  return rows.rows[0]!.yes;
}

/** Concatenates parts of one series and sorts by time (ties by value bits, as PACKED_SAMPLES_SQL orders them). */
export function mergeSorted(unordered: SampleColumns[]): SampleColumns {
  const parts = unordered.filter((p) => p.us.length > 0).sort((a, b) => a.us[0]! - b.us[0]!);
  const us = parts.flatMap((p) => p.us);
  const values = new Float64Array(us.length);
  let o = 0;
  for (const p of parts) {
    values.set(p.values, o);
    o += p.values.length;
  }
  // Chunks of successive windows do not overlap: then concatenating is enough.
  if (parts.every((p, i) => i === 0 || p.us[0]! > parts[i - 1]!.us.at(-1)!)) return { us, values };
  const words = new Uint32Array(values.buffer);
  const order = Array.from({ length: us.length }, (_, i) => i);
  order.sort((a, b) => us[a]! - us[b]! || words[2 * a + 1]! - words[2 * b + 1]! || words[2 * a]! - words[2 * b]!);
  const sortedValues = new Float64Array(us.length);
  const sortedWords = new Uint32Array(sortedValues.buffer);
  const sortedUs = new Array<number>(us.length);
  order.forEach((from, to) => {
    sortedUs[to] = us[from]!;
    sortedWords[2 * to] = words[2 * from]!;
    sortedWords[2 * to + 1] = words[2 * from + 1]!;
  });
  return { us: sortedUs, values: sortedValues };
}

/** Whether a window reaching back to `fromMs` may hold compacted samples (allowing a minute of clock skew). */
export function mayBeCompacted(fromMs: number, nowMs = Date.now()): boolean {
  return fromMs < nowMs - MIN_COMPACTION_AGE_MS + 60_000;
}
