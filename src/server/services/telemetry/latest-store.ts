/**
 * The latest sample of every series, kept per series group (`telemetry_latest_blocks`, migration 0033; one row per
 * series before, `telemetry_latest`, 0024): each ingest flush moves its series' values forward in the transaction that
 * COPYs its samples, so a committed flush and its latest values become visible together. Dashboards and alerts read
 * "now" from here (latestOfSeriesSql): O(series of the metrics asked) from one small table instead of one index probe
 * into the samples per series.
 *
 * A group's row holds its series in id order with their newest timestamp and value as parallel arrays, the same
 * grouping as the sample blocks (SERIES_GROUP_SHIFT), so a flush updates one row per group instead of one per series.
 * A value only moves forward in time (an older sample arriving late never replaces a newer one). Values older than
 * LATEST_KEEP_MS are removed by the partitions role (ageOutLatest): no reading window that this table answers can reach
 * them, and readers older than that read the samples instead.
 */
import type pg from 'pg';
import { float8ArrayParam, int4ArrayParam, timestamptzArrayParam } from '../../db/binary-copy';
import { StatementParams } from '../../db/statement-params';
import { allIndices, orderById } from './id-order';
import { SERIES_GROUP_SHIFT } from './sample-store';

/** Kept this long: longer than MIN_COMPACTION_AGE_MS, before which dashboards.ts reads the samples instead. */
export const LATEST_KEEP_MS = 60 * 60_000;

/** Per series, the newest sample of one flush: kept as added, sorted and reduced by `write`. */
export class LatestValues {
  private readonly ids: number[] = [];
  private readonly tsMs: number[] = [];
  private readonly values: number[] = [];

  add(seriesId: number, tsMs: number, value: number): void {
    this.ids.push(seriesId);
    this.tsMs.push(tsMs);
    this.values.push(value);
  }

  /** Samples added. */
  get size(): number {
    return this.ids.length;
  }

  /**
   * Writes one row per series group, in group order (two instances flushing overlapping groups take their row locks in
   * the same order, so they cannot deadlock), keeping per series the newer of the stored and the new sample. When the
   * group's stored series are exactly the flush's and every new sample is newer than every stored one (each scrape of a
   * target, the usual case), the arrays are replaced whole; otherwise telemetry_latest_merge combines them per series.
   */
  async write(client: pg.PoolClient | pg.Client): Promise<void> {
    if (this.ids.length === 0) return;
    const params = new StatementParams();
    await client.query(this.upsertSql(params), params.values);
  }

  /** SQL of `write`, its values added to `params`: part of a flush's one statement (ingest.ts). Needs a sample added. */
  upsertSql(params: StatementParams): string {
    // In id order, one sample per series (the newest; of equal times the first added), then cut into groups here:
    // PostgreSQL takes each group's arrays as slices of the three parameters, with no per-sample unnest, sort or
    // aggregation on its side.
    const order = orderById(allIndices(this.ids.length), this.ids);
    const ids: number[] = [];
    const tsMs: number[] = [];
    const values: number[] = [];
    const groups: number[] = [];
    const firsts: number[] = [];
    const lasts: number[] = [];
    const newest: number[] = [];
    const oldest: number[] = [];
    for (const i of order) {
      const id = this.ids[i]!;
      const ms = this.tsMs[i]!;
      const k = ids.length - 1;
      if (k >= 0 && ids[k] === id) {
        if (ms > tsMs[k]!) {
          tsMs[k] = ms;
          values[k] = this.values[i]!;
        }
        continue;
      }
      ids.push(id);
      tsMs.push(ms);
      values.push(this.values[i]!);
    }
    for (let k = 0; k < ids.length; k++) {
      const ms = tsMs[k]!;
      const group = ids[k]! >> SERIES_GROUP_SHIFT;
      const g = groups.length - 1;
      if (g < 0 || groups[g] !== group) {
        groups.push(group);
        firsts.push(k + 1); // PostgreSQL arrays count from 1
        lasts.push(k + 1);
        newest.push(ms);
        oldest.push(ms);
      } else {
        lasts[g] = k + 1;
        if (ms > newest[g]!) newest[g] = ms;
        if (ms < oldest[g]!) oldest[g] = ms;
      }
    }
    const p = {
      groups: params.add(int4ArrayParam(groups)),
      firsts: params.add(int4ArrayParam(firsts)),
      lasts: params.add(int4ArrayParam(lasts)),
      newest: params.add(timestamptzArrayParam(newest)),
      oldest: params.add(timestamptzArrayParam(oldest)),
      ids: params.add(int4ArrayParam(ids)),
      stamps: params.add(timestamptzArrayParam(tsMs)),
      values: params.add(float8ArrayParam(values)),
    };
    return `INSERT INTO telemetry_latest_blocks AS b (series_group, newest_ts, oldest_ts, series_ids, stamps, vals)
       SELECT g.grp, g.newest, g.oldest, (${p.ids}::int4[])[g.lo:g.hi], (${p.stamps}::timestamptz[])[g.lo:g.hi], (${p.values}::float8[])[g.lo:g.hi]
         FROM unnest(${p.groups}::int4[], ${p.firsts}::int4[], ${p.lasts}::int4[], ${p.newest}::timestamptz[], ${p.oldest}::timestamptz[]) AS g(grp, lo, hi, newest, oldest)
       ON CONFLICT (series_group) DO UPDATE SET (newest_ts, oldest_ts, series_ids, stamps, vals) = (
         SELECT excluded.newest_ts, excluded.oldest_ts, excluded.series_ids, excluded.stamps, excluded.vals
          WHERE excluded.series_ids = b.series_ids AND excluded.oldest_ts > b.newest_ts
         UNION ALL
         SELECT m.newest_ts, m.oldest_ts, m.series_ids, m.stamps, m.vals
           FROM telemetry_latest_merge(b.series_ids, b.stamps, b.vals, excluded.series_ids, excluded.stamps, excluded.vals) m
         LIMIT 1)`;
  }
}

/**
 * SQL for the latest (value, ts) of the series whose id is the expression `seriesId`, probed by its group's key: no row
 * when the series has no latest value. Use it in a LATERAL subquery.
 */
export function latestOfSeriesSql(seriesId: string): string {
  return `SELECT b.vals[p.n] AS value, b.stamps[p.n] AS ts
            FROM telemetry_latest_blocks b CROSS JOIN LATERAL array_position(b.series_ids, ${seriesId}) AS p(n)
           WHERE b.series_group = ${seriesId} >> ${SERIES_GROUP_SHIFT} AND p.n IS NOT NULL`;
}

/**
 * Removes latest values older than LATEST_KEEP_MS (their series went quiet): a group with none younger goes, the others
 * keep their younger ones. Returns how many values were removed. Rows are locked in group order, as the flush does.
 */
export async function ageOutLatest(pool: pg.Pool, nowMs = Date.now()): Promise<number> {
  const result = await pool.query<{ removed: number }>(
    `WITH aged AS (
       SELECT b.series_group, b.newest_ts < to_timestamp($1 / 1000.0) AS whole,
              (SELECT count(*) FROM unnest(b.stamps) AS t(ts) WHERE t.ts < to_timestamp($1 / 1000.0))::int AS n
         FROM telemetry_latest_blocks b WHERE b.oldest_ts < to_timestamp($1 / 1000.0)
        ORDER BY b.series_group FOR UPDATE),
     gone AS (DELETE FROM telemetry_latest_blocks b USING aged a WHERE b.series_group = a.series_group AND a.whole),
     kept AS (
       UPDATE telemetry_latest_blocks b SET (oldest_ts, series_ids, stamps, vals) = (
              SELECT min(u.ts), array_agg(u.id ORDER BY u.id), array_agg(u.ts ORDER BY u.id), array_agg(u.v ORDER BY u.id)
                FROM unnest(b.series_ids, b.stamps, b.vals) AS u(id, ts, v) WHERE u.ts >= to_timestamp($1 / 1000.0))
         FROM aged a WHERE b.series_group = a.series_group AND NOT a.whole)
     SELECT coalesce(sum(n), 0)::int AS removed FROM aged`,
    [nowMs - LATEST_KEEP_MS],
  );
  return result.rows[0]?.removed ?? 0;
}
