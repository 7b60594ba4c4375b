/**
 * The latest sample of every series (`telemetry_latest`, migration 0024): one row per series, upserted by each ingest
 * flush in the transaction that COPYs its samples, so a committed flush and its latest values become visible together.
 * Dashboards read "now" from here (dashboards.ts readLatest): O(series of the metrics asked) rows from one small table
 * instead of one index probe into telemetry_samples per series.
 *
 * A row only moves forward in time (an older sample arriving late never replaces a newer one). Rows older than
 * LATEST_KEEP_MS are deleted by the partitions role (ageOutLatest): no reading window that this table answers can
 * reach them, and readers older than that read telemetry_samples instead.
 */
import type pg from 'pg';
import { float8ArrayLiteral, intArrayLiteral } from '../../db/array-literal';

/** Kept this long: longer than MIN_COMPACTION_AGE_MS, before which dashboards.ts reads the samples instead. */
export const LATEST_KEEP_MS = 60 * 60_000;

/** Per series, the newest sample of one flush. */
export class LatestValues {
  private readonly newest = new Map<number, { tsMs: number; value: number }>();

  add(seriesId: number, tsMs: number, value: number): void {
    const held = this.newest.get(seriesId);
    if (held === undefined || tsMs > held.tsMs) this.newest.set(seriesId, { tsMs, value });
  }

  get size(): number {
    return this.newest.size;
  }

  /**
   * Upserts the rows in series-id order (two instances flushing overlapping series take their row locks in the same
   * order, so they cannot deadlock), keeping the newer of the stored and the new sample.
   */
  async write(client: pg.PoolClient | pg.Client): Promise<void> {
    if (this.newest.size === 0) return;
    const ids = [...this.newest.keys()].sort((a, b) => a - b);
    const tsMs = float8ArrayLiteral(ids.map((id) => this.newest.get(id)!.tsMs));
    const values = float8ArrayLiteral(ids.map((id) => this.newest.get(id)!.value));
    await client.query(
      `INSERT INTO telemetry_latest (series_id, ts, value)
       SELECT u.id, to_timestamp(u.ms / 1000.0), u.v FROM unnest($1::int4[], $2::float8[], $3::float8[]) WITH ORDINALITY AS u(id, ms, v, n)
        ORDER BY u.n
       ON CONFLICT (series_id) DO UPDATE SET ts = excluded.ts, value = excluded.value WHERE telemetry_latest.ts < excluded.ts`,
      [intArrayLiteral(ids), tsMs, values],
    );
  }
}

/** Deletes latest values older than LATEST_KEEP_MS (their series went quiet). Returns how many. */
export async function ageOutLatest(pool: pg.Pool, nowMs = Date.now()): Promise<number> {
  const result = await pool.query('DELETE FROM telemetry_latest WHERE ts < to_timestamp($1 / 1000.0)', [nowMs - LATEST_KEEP_MS]);
  return result.rowCount ?? 0;
}
