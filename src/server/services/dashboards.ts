/**
 * Operator dashboards: the live site overview, power at every level (budget / allocated / measured), thermal (rack
 * inlets against ASHRAE bands, cooling units, GPU temperatures) and GPU utilisation by hall, rack, tenant and job.
 *
 * Everything reads the telemetry tables directly with a few set-based queries per call:
 * - "now" values are the latest sample of each series no older than STALE_AFTER_MS (a stale series counts as no data),
 *   read from the latest-value blocks (kept by the ingest flush: telemetry/latest-store.ts);
 * - trends are averaged into at most MAX_TREND_POINTS buckets, from raw samples, 1-minute or 1-hour rollups chosen by
 *   the range exactly as the telemetry query service does (`resolutionFor`); the last hour's raw buckets from the
 *   stored ones where they are kept (site-trend-store.ts).
 *
 * Definitions (shown in the UI next to the numbers):
 * - GPU busy: latest `gpu_util_pct` ≥ BUSY_UTIL_PCT; idle: below it; failed: `accelerators.health = 'failed'` or no
 *   fresh reading. GPUs of planned or decommissioned servers are not counted. TPU chips (accelerator vendor Google)
 *   are counted the same way on their own line of the overview, their duty cycle standing in for utilisation.
 * - Busy GPUs split by holder (attributeBusyGpus): "by Plenum jobs" (an active allocation of a running or scheduled
 *   Plenum job), "by external jobs" (an external job from a connected cluster), "unmanaged" (busy by telemetry with no
 *   allocation: load Plenum does not manage, such as the simulator's background load).
 * - Idle but allocated: a GPU held by a running job (active allocation) whose utilisation is below BUSY_UTIL_PCT.
 * - Measured power per device (fed to analysePlant as the DeviceLoadOverlay): the host's own wall-power series
 *   (`plenum_server_power_watts`, from the simulator / a BMC exporter) when it has one; otherwise the rack's measured
 *   rack-PDU power (Σ `pdu_power_w` of the rack) minus what host-measured devices in that rack draw, shared among the
 *   remaining drawing devices by nameplate. A rack without PDU readings leaves those devices unmeasured.
 * - Allocated power per GPU server: the scheduler's basis (idle floor + Σ active allocations × job's W per GPU).
 * - Facility reconciliation (reconcileFacility): the site meter's facility load = Σ utility-feed measurements (a feed's
 *   own meter, else the measured loads beneath it) + "unmetered / losses" (cooling and building loads outside the chain,
 *   UPS, transformer and distribution losses), shown on the power dashboard and /power so the page adds up.
 */
import type pg from 'pg';
import { classifyInletTempC } from '@/domain/cooling';
import { attributeBusyGpus, type BusyAttribution, type FacilityReconciliation, type GpuHolder, holderOf, reconcileFacility } from '@/domain/honest-numbers';
import type { Db } from '../db/client';
import { analysePlant, type DeviceLoadOverlay } from './plant';
import { readPlantVersion } from './plant-version';
import { processCache } from './process-cache';
import { serverIdleFloorW } from './scheduler/defaults';
import { type Resolution, resolutionFor } from './telemetry/query';
import { float8ArrayLiteral } from '../db/array-literal';
import { readStoredTrend, refreshStoredTrends, STORED_TREND_BUCKET_S, type StoredTrendPass } from './site-trend-store';
import { hourRollupsSql, readMinuteRollups } from './telemetry/rollup-store';
import { mayBeCompacted, rawSamplesSql, readSamples, usToMs } from './telemetry/sample-store';
import { latestOfSeriesSql } from './telemetry/latest-store';
import { onePerQuantity, type QuantityFields, type QuantityRow, preferenceSql, quantityColumnsSql, quantityFieldsOf, quantityKey, remoteWritePreference } from './telemetry/sources';

/** A GPU counts as busy at or above this utilisation (percent of time a kernel ran). */
export const BUSY_UTIL_PCT = 10;
/** A reading older than this is no reading: the GPU / rack / unit shows as "no data". */
export const STALE_AFTER_MS = 60_000;
export const MAX_TREND_POINTS = 240;
/** The trends range a page shows first (SiteTrends.tsx) and `dashboards.trends` asks for by default: the last hour. */
export const DEFAULT_TREND_RANGE_MS = 3_600_000;
/** Host wall-power series, when the host (or the simulator) reports one. */
export const HOST_POWER_METRIC = 'plenum_server_power_watts';
/** ASHRAE TC9.9 inlet bands (REFERENCE-NUMBERS.md): recommended 18-27 °C, allowable A1 15-32 °C. */
export const ASHRAE_RECOMMENDED_C = { minC: 18, maxC: 27 } as const;
export const ASHRAE_A1_ALLOWABLE_C = { minC: 15, maxC: 32 } as const;
/** A GPU at or above this is a hot spot (defined with the UI's colours in src/domain/cooling.ts). */
import { GPU_HOT_C } from '@/domain/cooling';

export { GPU_HOT_C };

export type TimeWindow = { sinceMs: number; untilMs?: number };

// ---------------------------------------------------------------------------------------------------------------
// Reading telemetry
// ---------------------------------------------------------------------------------------------------------------

/** A series' latest value with what it measures (sources.ts: QuantityFields) and its source preference. */
export type LatestReading = QuantityFields & {
  /** Source preference of the series (sources.ts): where two series measure one quantity, the higher wins. */
  preference: number;
  value: number;
  tMs: number;
};

/** The latest fresh reading of every quantity of these metrics on a site (one per quantity: sources.ts). */
export async function latestReadings(pool: pg.Pool, siteId: number, metrics: string[], atMs = Date.now()): Promise<LatestReading[]> {
  return readLatest(pool, 's.site_id = $4', siteId, metrics, atMs);
}

/** The latest fresh reading of these metrics for the given GPUs (one job's, say), wherever they are. */
export async function latestGpuReadings(pool: pg.Pool, acceleratorIds: number[], metrics: string[], atMs = Date.now()): Promise<LatestReading[]> {
  if (acceleratorIds.length === 0) return [];
  return readLatest(pool, 's.accelerator_id = ANY($4)', acceleratorIds, metrics, atMs);
}

type SeriesRow = QuantityRow & { id: number; metric: string; ended_ms: number | null };

/** Series columns for readLatest; `preferenceParam` holds the remote-write preference. */
const seriesColumns = (preferenceParam: string) =>
  `s.id, s.metric, ${quantityColumnsSql(preferenceParam)}, (extract(epoch FROM s.ended_at) * 1000)::float8 AS ended_ms`;

const toReading = (r: SeriesRow, value: number, tMs: number): LatestReading => ({ ...quantityFieldsOf(r.id, r.metric, r), value, tMs });

/** A fixed SQL condition on the series (its value is $4); never user text. */
type LatestScope = 's.site_id = $4' | 's.accelerator_id = ANY($4)';

/**
 * A series ended by a staleness marker has no reading until a newer sample arrives. Series measuring the same quantity
 * (the same GPU scraped and remote-written) give one reading: the preferred source's, else the freshest.
 */
async function readLatest(pool: pg.Pool, scope: LatestScope, scopeValue: number | number[], metrics: string[], atMs: number): Promise<LatestReading[]> {
  const fromMs = atMs - STALE_AFTER_MS;
  if (mayBeCompacted(fromMs)) {
    // A past moment: its samples may be compacted already, so read both forms (sample-store.ts).
    const series = await pool.query<SeriesRow>(
      `SELECT ${seriesColumns('$3')} FROM telemetry_series s LEFT JOIN scrape_targets t ON t.id = s.target_id
        WHERE s.metric = ANY($1) AND ${scope.replace('$4', '$2')}`,
      [metrics, scopeValue, remoteWritePreference()],
    );
    // `> fromMs`, as below: one microsecond past it.
    const samples = await readSamples(pool, series.rows.map((r) => r.id), fromMs + 0.001, atMs);
    return onePerQuantity(
      series.rows.flatMap((r) => {
        const columns = samples.get(r.id);
        if (!columns) return [];
        const last = columns.us.length - 1;
        const tMs = usToMs(columns.us[last]!);
        if (r.ended_ms !== null && tMs <= r.ended_ms) return [];
        return [toReading(r, columns.values[last]!, tMs)];
      }),
    );
  }
  // The usual case, "now": each series' latest value (latest-store.ts).
  const rows = await pool.query<SeriesRow & { value: number; t: number }>(
    `WITH ${latestPointsSql(scope)} SELECT p.*, (extract(epoch FROM p.ended_at) * 1000)::float8 AS ended_ms FROM points p`,
    [metrics, fromMs, atMs, scopeValue, remoteWritePreference()],
  );
  return onePerQuantity(rows.rows.map((r) => toReading(r, r.value, r.t)));
}

/**
 * SQL (CTEs `cur` and `points`) for the fresh latest reading of every series of the metrics $1 in `scope` ($4) at
 * moment $3 (ms), fresh meaning after $2 (ms); $5 is the remote-write preference. Each series' latest value comes from
 * the latest-value blocks (latest-store.ts), the series from their covering index (quantity_labels: only the labels that subdivide a quantity).
 * A series whose latest sample is newer than $3 (a moment just past) probes its samples for the one at $3 instead.
 * A series ended by a staleness marker has no reading until a newer sample arrives.
 */
function latestPointsSql(scope: LatestScope): string {
  return `cur AS (
       SELECT s.id, s.metric, s.entity_kind, s.accelerator_id, s.device_id, s.rack_id, s.power_node_id, s.cooling_unit_id, s.site_id,
              s.quantity_labels AS labels, ${preferenceSql('$5')} AS preference, s.ended_at, l.ts, l.value
         FROM telemetry_series s
         CROSS JOIN LATERAL (${latestOfSeriesSql('s.id')}) l
         LEFT JOIN scrape_targets t ON t.id = s.target_id
        WHERE s.metric = ANY($1) AND ${scope} AND l.ts > to_timestamp($2 / 1000.0)),
     points AS (
     SELECT c.id, c.metric, c.entity_kind, c.accelerator_id, c.device_id, c.rack_id, c.power_node_id, c.cooling_unit_id, c.site_id,
            c.labels, c.preference, c.ended_at, c.value, (extract(epoch FROM c.ts) * 1000)::float8 AS t
       FROM cur c WHERE c.ts <= to_timestamp($3 / 1000.0) AND (c.ended_at IS NULL OR c.ts > c.ended_at)
     UNION ALL
     SELECT c.id, c.metric, c.entity_kind, c.accelerator_id, c.device_id, c.rack_id, c.power_node_id, c.cooling_unit_id, c.site_id,
            c.labels, c.preference, c.ended_at, p.value, (extract(epoch FROM p.ts) * 1000)::float8
       FROM cur c CROSS JOIN LATERAL (
         SELECT x.value, x.ts FROM ${rawSamplesSql({ one: 'c.id' }, 'to_timestamp($2 / 1000.0)', 'to_timestamp($3 / 1000.0)')} x
          WHERE x.ts > to_timestamp($2 / 1000.0)
          ORDER BY x.ts DESC LIMIT 1) p
      WHERE c.ts > to_timestamp($3 / 1000.0) AND (c.ended_at IS NULL OR p.ts > c.ended_at))`;
}

/** The inventory column an entity's readings are combined under. */
export type EntityKey = 'accelerator_id' | 'device_id' | 'rack_id' | 'power_node_id' | 'cooling_unit_id';
/**
 * One value per entity: `metric`'s readings (of series mapped to `entityKind`, when given) combined per entity: their
 * sum, their maximum, or the number of distinct GPUs they come from (`gpus`: how many of a server's GPUs report).
 */
export type EntityColumn = { metric: string; combine: 'sum' | 'max' | 'gpus'; entityKind?: 'gpu' | 'device' | 'rack' | 'power-node' | 'cooling-unit' };

/** sources.ts entityOf in SQL: the entity a series is mapped to, by its kind. */
const ENTITY_SQL = `CASE p.entity_kind WHEN 'gpu' THEN p.accelerator_id WHEN 'device' THEN p.device_id WHEN 'rack' THEN p.rack_id
  WHEN 'power-node' THEN p.power_node_id WHEN 'cooling-unit' THEN p.cooling_unit_id WHEN 'site' THEN p.site_id END`;

const KEY_COLUMN: Record<EntityKey, keyof QuantityFields> = {
  accelerator_id: 'acceleratorId',
  device_id: 'deviceId',
  rack_id: 'rackId',
  power_node_id: 'powerNodeId',
  cooling_unit_id: 'coolingUnitId',
};

/**
 * The latest fresh readings of a site's entities, one value per entity and column: what `latestReadings` + `byKey`
 * give, computed in PostgreSQL. At 100,000 GPUs the readings are hundreds of thousands of rows; here one row per
 * entity comes back, with no reading objects built. Same rules: one reading per quantity (sources.ts: the preferred
 * source, then the freshest, then the oldest series), combined per entity. A moment that may be compacted already
 * (the past) is read through latestReadings (both sample forms). `via: 'readings'` forces that path (tests compare both).
 * Returns entity id → one value per column (undefined: no fresh reading).
 */
export async function latestPerEntity(
  pool: pg.Pool,
  siteId: number,
  key: EntityKey,
  columns: readonly EntityColumn[],
  atMs = Date.now(),
  options: { via?: 'sql' | 'readings' } = {},
): Promise<Map<number, (number | undefined)[]>> {
  const fromMs = atMs - STALE_AFTER_MS;
  const metrics = [...new Set(columns.map((c) => c.metric))];
  const out = new Map<number, (number | undefined)[]>();
  if (options.via === 'readings' || mayBeCompacted(fromMs)) {
    const readings = await latestReadings(pool, siteId, metrics, atMs);
    columns.forEach((c, i) => {
      const keyOf = (r: LatestReading) => (c.entityKind === undefined || r.entityKind === c.entityKind ? (r[KEY_COLUMN[key]] as number | null) : null);
      const values = c.combine === 'gpus' ? gpusPerKey(readings, c.metric, keyOf) : byKey(readings, c.metric, keyOf, c.combine);
      for (const [id, v] of values) {
        let row = out.get(id);
        if (!row) {
          row = new Array<number | undefined>(columns.length).fill(undefined);
          out.set(id, row);
        }
        row[i] = v;
      }
    });
    return out;
  }
  const params: unknown[] = [metrics, fromMs, atMs, siteId, remoteWritePreference()];
  const aggregates = columns.map((c) => {
    params.push(c.metric);
    const kind = c.entityKind === undefined ? '' : ` AND b.entity_kind = '${c.entityKind}'`;
    const filter = `FILTER (WHERE b.metric = $${params.length}${kind})`;
    return c.combine === 'gpus' ? `nullif(count(DISTINCT b.top[6]) ${filter}, 0)::float8` : `${c.combine}(b.top[4]) ${filter}`;
  });
  // Each quantity's winning reading by hashing, not sorting: max() over [preference, time, -series id, value, key, GPU]
  // picks the most preferred, then the freshest, then the oldest series (ids are unique, so what follows never
  // decides); its value, entity key and GPU ride along. float8 holds the ids exactly.
  const text = `WITH ${latestPointsSql('s.site_id = $4')},
     best AS (
       SELECT p.metric, p.entity_kind, max(ARRAY[p.preference, p.t, -p.id, p.value, p.${key}, p.accelerator_id]::float8[]) AS top
         FROM points p
        GROUP BY p.metric, p.entity_kind, ${ENTITY_SQL}, CASE WHEN (${ENTITY_SQL}) IS NULL THEN p.id END, p.labels)
     SELECT b.top[5]::int, ${aggregates.join(', ')} FROM best b WHERE b.top[5] IS NOT NULL GROUP BY b.top[5]`;
  const client = await pool.connect();
  let result: pg.QueryResult<unknown[]>;
  try {
    // One aggregation over ~100,000 rows per metric at xl: in memory (not in temp files), and no JIT compilation,
    // which costs more than it saves on a query this short.
    await client.query("BEGIN; SET LOCAL work_mem = '64MB'; SET LOCAL jit = off");
    result = await client.query<unknown[]>({ text, values: params, rowMode: 'array' });
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
  for (const row of result.rows) {
    const values = row.slice(1).map((v) => (v === null ? undefined : (v as number)));
    // An entity whose readings all fell outside their columns' entity kinds has none (as in the readings path).
    if (values.some((v) => v !== undefined)) out.set(row[0] as number, values);
  }
  return out;
}

/**
 * What a job's GPUs draw now: each GPU's latest fresh `gpu_power_w`, times the job's share of it (a half-GPU replica
 * is charged half its GPU). Null when none of them reports.
 */
export async function measuredGpuPowerW(pool: pg.Pool, shares: Array<{ acceleratorId: number; milli: number }>, atMs = Date.now()): Promise<{ powerW: number | null; reporting: number }> {
  const readings = await latestGpuReadings(pool, [...new Set(shares.map((s) => s.acceleratorId))], ['gpu_power_w'], atMs);
  const power = byKey(readings, 'gpu_power_w', (r) => r.acceleratorId, 'max');
  let powerW = 0;
  let reporting = 0;
  for (const share of shares) {
    const w = power.get(share.acceleratorId);
    if (w === undefined) continue;
    powerW += (w * share.milli) / 1000;
    reporting++;
  }
  return { powerW: reporting > 0 ? powerW : null, reporting };
}

/** How many distinct GPUs report `metric`, per key. */
function gpusPerKey(readings: LatestReading[], metric: string, key: (r: LatestReading) => number | null): Map<number, number> {
  const gpus = new Map<number, Set<number>>();
  for (const r of readings) {
    const k = key(r);
    if (r.metric !== metric || k === null || r.acceleratorId === null) continue;
    let set = gpus.get(k);
    if (!set) {
      set = new Set();
      gpus.set(k, set);
    }
    set.add(r.acceleratorId);
  }
  return new Map([...gpus].map(([k, set]) => [k, set.size]));
}

/** Latest values of one metric keyed by an entity column; several quantities per key (inlet sensors of a rack) combine with `combine`. */
function byKey(readings: LatestReading[], metric: string, key: (r: LatestReading) => number | null, combine: 'sum' | 'max' = 'sum'): Map<number, number> {
  const out = new Map<number, number>();
  for (const r of readings) {
    if (r.metric !== metric) continue;
    const k = key(r);
    if (k === null) continue;
    const prev = out.get(k);
    out.set(k, prev === undefined ? r.value : combine === 'sum' ? prev + r.value : Math.max(prev, r.value));
  }
  return out;
}

export type TrendPoint = { t: number; v: number };
export type Trend = { resolution: Resolution; bucketS: number; fromMs: number; toMs: number; points: TrendPoint[] };

/** Bucket width: the resolution's own step at least, and no more than MAX_TREND_POINTS buckets over the range. */
export function trendBucketS(rangeMs: number, resolution: Resolution): number {
  const stepS = resolution === 'raw' ? 1 : resolution === '1m' ? 60 : 3600;
  const wantedS = Math.ceil(rangeMs / 1000 / MAX_TREND_POINTS);
  return Math.max(stepS, Math.ceil(wantedS / stepS) * stepS);
}

/**
 * One metric over a site as a time series: each series averaged per bucket, then summed (`sum`, e.g. power) or
 * averaged (`avg`, e.g. utilisation) across series. Buckets where a series is missing simply lack it.
 */
export async function siteTrend(
  pool: pg.Pool,
  input: { siteId: number; metric: string; across: 'sum' | 'avg'; window: TimeWindow },
  options: { stored?: boolean } = {},
): Promise<Trend> {
  const toMs = input.window.untilMs ?? Date.now();
  const resolution = resolutionFor(input.window.sinceMs);
  const bucketS = trendBucketS(input.window.sinceMs, resolution);
  // The last hour's buckets lie on the clock's quarter minutes, the buckets site-trend-store.ts keeps (the first one
  // starts at or up to 15 s after the window's start); other ranges' buckets start at the window's start.
  const onStoredGrid = resolution === 'raw' && bucketS === STORED_TREND_BUCKET_S;
  const fromMs = onStoredGrid ? Math.ceil((toMs - input.window.sinceMs) / (bucketS * 1000)) * bucketS * 1000 : toMs - input.window.sinceMs;
  if (onStoredGrid && options.stored !== false) {
    const stored = await readStoredTrend(pool, input.siteId, input.metric, fromMs, toMs);
    if (stored) {
      // The stored buckets, raw samples before them (outside the kept range) and, unless they are the trends as of a
      // recent pass, after them (minutes whose samples are queued or not recomputed yet); all on the same grid.
      const raw = (from: number, to: number) => trendPoints(pool, input.siteId, input.metric, input.across, resolution, from, to, bucketS);
      const before = stored.coveredFromMs > fromMs ? (await raw(fromMs, stored.coveredFromMs)).filter((p) => p.t < stored.coveredFromMs) : [];
      const after = stored.asOfMs === null ? await raw(stored.coveredToMs, toMs) : [];
      return { resolution, bucketS, fromMs, toMs, points: [...before, ...stored.points, ...after] };
    }
  }
  return { resolution, bucketS, fromMs, toMs, points: await trendPoints(pool, input.siteId, input.metric, input.across, resolution, fromMs, toMs, bucketS) };
}

/**
 * A site's series of a metric with what each measures (its quantity key, and as a number: equal keys, equal numbers)
 * and its source preference.
 */
type TrendSeries = { ids: number[]; quantities: string[]; quantityNumbers: number[]; preferences: number[] };

async function trendSeries(pool: pg.Pool, siteId: number, metric: string): Promise<TrendSeries> {
  const series = await pool.query<QuantityRow & { id: number }>(
    `SELECT s.id, ${quantityColumnsSql('$3')}
       FROM telemetry_series s LEFT JOIN scrape_targets t ON t.id = s.target_id
      WHERE s.metric = $1 AND s.site_id = $2`,
    [metric, siteId, remoteWritePreference()],
  );
  const quantities = series.rows.map((r) => quantityKey(quantityFieldsOf(r.id, metric, r)));
  const numbers = new Map<string, number>();
  for (const q of quantities) if (!numbers.has(q)) numbers.set(q, numbers.size);
  return { ids: series.rows.map((r) => r.id), quantities, quantityNumbers: quantities.map((q) => numbers.get(q)!), preferences: series.rows.map((r) => r.preference) };
}

/** siteTrend's points over [fromMs, toMs] (both ends included, as the sample readers' bounds), buckets from fromMs. */
async function trendPoints(
  pool: pg.Pool,
  siteId: number,
  metric: string,
  acrossInput: 'sum' | 'avg',
  resolution: Resolution,
  fromMs: number,
  toMs: number,
  bucketS: number,
  known?: TrendSeries,
): Promise<TrendPoint[]> {
  const series = known ?? (await trendSeries(pool, siteId, metric));
  if (series.ids.length === 0) return [];
  // One value per quantity and bucket (the preferred source that has data in the bucket, else the freshest), then
  // summed or averaged across quantities: the same GPU scraped and remote-written counts once.
  const { ids, quantities, quantityNumbers, preferences } = series;
  const across = acrossInput === 'sum' ? 'sum' : 'avg';
  if (resolution === 'raw' && mayBeCompacted(fromMs)) {
    return rawTrendFromBothForms(pool, ids.map((id, i) => ({ id, quantity: quantities[i]!, preference: preferences[i]! })), fromMs, toMs, bucketS, across);
  }
  const source =
    resolution === 'raw'
      ? `SELECT x.series_id, date_bin(make_interval(secs => $4), x.ts, to_timestamp($2 / 1000.0)) AS b, avg(x.value) AS v, max(x.ts) AS last
           FROM ${rawSamplesSql({ any: '$1::int[]' }, 'to_timestamp($2 / 1000.0)', 'to_timestamp($3 / 1000.0)')} x
          GROUP BY 1, 2`
      : resolution === '1m'
        ? // 1-minute rollups from the row table and the compressed closed hours alike (rollup-store.ts), binned per series
          // in Node (minuteTrendBins: the same bins and the same average as the SQL of the 1-hour branch), passed in.
          `SELECT u.series_id, to_timestamp($2 / 1000.0) + make_interval(secs => $4 * u.bin) AS b, u.v, to_timestamp(u.last / 1000.0) AS last
             FROM unnest($7::int[], $8::int[], $9::float8[], $10::float8[]) AS u(series_id, bin, v, last)
            WHERE u.last <= $3`
        : // Stored hours and the hours still in 1-minute rows alike (rollup-store.ts hourRollupsSql).
          `SELECT x.series_id, date_bin(make_interval(secs => $4), x.bucket, to_timestamp($2 / 1000.0)) AS b, sum(x.sum) / sum(x.count) AS v, max(x.bucket) AS last
             FROM ${hourRollupsSql('$1::int[]', 'to_timestamp($2 / 1000.0)', 'to_timestamp($3 / 1000.0)')} x
            GROUP BY 1, 2`;
  const minuteColumns = resolution === '1m' ? await minuteTrendBins(pool, ids, fromMs, toMs, bucketS) : [];
  const rows = await pool.query<{ t: number; v: number }>(
    `WITH per AS (${source}),
          meta AS (SELECT * FROM unnest($1::int[], $5::int[], $6::int[]) AS m(series_id, quantity, preference)),
          one AS (SELECT DISTINCT ON (m.quantity, per.b) per.b, per.v
                    FROM per JOIN meta m ON m.series_id = per.series_id
                   ORDER BY m.quantity, per.b, m.preference DESC, per.last DESC, per.series_id)
     SELECT (extract(epoch FROM b) * 1000)::float8 AS t, ${across}(v)::float8 AS v FROM one GROUP BY b ORDER BY b`,
    [ids, fromMs, toMs, bucketS, quantityNumbers, preferences, ...minuteColumns],
  );
  return rows.rows;
}

/**
 * The stored site trends' pass (site-trend-store.ts): recomputes the minutes that got samples, from the raw samples
 * as siteTrend reads them. Run after each rollup run.
 */
export function refreshSiteTrendStore(pool: pg.Pool, options: { nowMs?: number } = {}): Promise<StoredTrendPass> {
  return refreshStoredTrends(
    pool,
    async (siteId, metric, across, fromMs, toMs) => trendPoints(pool, siteId, metric, across, 'raw', fromMs, toMs, STORED_TREND_BUCKET_S, await passSeries(pool, siteId, metric)),
    options,
  );
}

/**
 * The pass's series of a site and metric, kept between passes while nothing they depend on changed: no series added
 * (count, highest id) and no reset of the stored trends (`site_trend_state.generation`, bumped by migration 0034's
 * triggers when a series' quantity, site or target, or a target's preference, changes or one is deleted). At 100,800
 * GPUs reading them is most of a pass over the open minute.
 */
async function passSeries(pool: pg.Pool, siteId: number, metric: string): Promise<TrendSeries> {
  const holder = globalThis as unknown as { __plenumPassSeries?: WeakMap<pg.Pool, Map<string, { check: string; series: TrendSeries }>> };
  holder.__plenumPassSeries ??= new WeakMap();
  let kept = holder.__plenumPassSeries.get(pool);
  if (!kept) {
    kept = new Map();
    holder.__plenumPassSeries.set(pool, kept);
  }
  const { rows } = await pool.query<{ n: number; top: number | null; generation: string }>(
    `SELECT count(*)::int AS n, max(s.id) AS top, (SELECT generation FROM site_trend_state) AS generation
       FROM telemetry_series s WHERE s.metric = $1 AND s.site_id = $2`,
    [metric, siteId],
  );
  const check = `${rows[0]!.n}:${rows[0]!.top}:${rows[0]!.generation}:${remoteWritePreference()}`;
  const key = `${siteId}:${metric}`;
  const held = kept.get(key);
  if (held?.check === check) return held.series;
  const series = await trendSeries(pool, siteId, metric);
  kept.set(key, { check, series });
  return series;
}

/**
 * siteTrend's per-series bins over 1-minute rollups (both forms): for each series and bin of `bucketS` from `fromMs`
 * (date_bin's bins, by index), sum(sum) / sum(count) and the last bucket, as the columns the trend's SQL takes. Binning here
 * keeps what crosses the wire to one row per series and bin, not one per series-minute.
 */
async function minuteTrendBins(pool: pg.Pool, ids: number[], fromMs: number, toMs: number, bucketS: number): Promise<unknown[]> {
  const rollups = await readMinuteRollups(pool, ids, fromMs, toMs);
  const bucketMs = bucketS * 1000;
  const seriesIds: number[] = [];
  const bins: number[] = [];
  const values: number[] = [];
  const lasts: number[] = [];
  for (const [id, r] of rollups) {
    let i = 0;
    while (i < r.t.length) {
      const bin = Math.floor((r.t[i]! - fromMs) / bucketMs);
      let sum = 0;
      let count = 0;
      let last = r.t[i]!;
      for (; i < r.t.length && Math.floor((r.t[i]! - fromMs) / bucketMs) === bin; i++) {
        sum += r.sums[i]!;
        count += r.counts[i]!;
        last = r.t[i]!;
      }
      seriesIds.push(id);
      bins.push(bin);
      values.push(sum / count);
      lasts.push(last);
    }
  }
  return [seriesIds, bins, float8ArrayLiteral(values), lasts];
}

/**
 * siteTrend's raw-resolution aggregation (per-series bucket average, then one series per quantity and bucket: the
 * preferred source with data there, else the freshest, else the lowest id; then sum / avg across) over both sample
 * forms, matching the SQL path.
 */
async function rawTrendFromBothForms(
  pool: pg.Pool,
  series: { id: number; quantity: string; preference: number }[],
  fromMs: number,
  toMs: number,
  bucketS: number,
  across: 'sum' | 'avg',
): Promise<TrendPoint[]> {
  const samples = await readSamples(pool, series.map((r) => r.id), fromMs, toMs);
  const bucketMs = bucketS * 1000;
  type Pick = { value: number; preference: number; lastUs: number; id: number };
  // bucket start → quantity → the series picked so far
  const buckets = new Map<number, Map<string, Pick>>();
  for (const meta of series) {
    const columns = samples.get(meta.id);
    if (!columns) continue;
    const { us, values } = columns;
    let i = 0;
    while (i < us.length) {
      const b = fromMs + Math.floor((usToMs(us[i]!) - fromMs) / bucketMs) * bucketMs;
      let sum = 0;
      let n = 0;
      for (; i < us.length && fromMs + Math.floor((usToMs(us[i]!) - fromMs) / bucketMs) * bucketMs === b; i++) {
        sum += values[i]!;
        n++;
      }
      const candidate: Pick = { value: sum / n, preference: meta.preference, lastUs: us[i - 1]!, id: meta.id };
      const picks = buckets.get(b) ?? new Map<string, Pick>();
      const held = picks.get(meta.quantity);
      const better =
        !held ||
        candidate.preference > held.preference ||
        (candidate.preference === held.preference && (candidate.lastUs > held.lastUs || (candidate.lastUs === held.lastUs && candidate.id < held.id)));
      if (better) picks.set(meta.quantity, candidate);
      buckets.set(b, picks);
    }
  }
  return [...buckets.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([t, picks]) => {
      // Quantities in series-id order, so the sums across them come out the same on every call.
      const chosen = [...picks.values()].sort((x, y) => x.id - y.id);
      const sum = chosen.reduce((acc, p) => acc + p.value, 0);
      return { t, v: across === 'sum' ? sum : sum / chosen.length };
    });
}

// ---------------------------------------------------------------------------------------------------------------
// Site overview
// ---------------------------------------------------------------------------------------------------------------

type GpuRow = {
  id: number;
  uuid: string;
  index: number;
  health: string;
  device_id: number;
  device_name: string;
  rack_id: number;
  rack_name: string;
  hall_id: number;
  hall_name: string;
  /** accelerator_models.vendor: 'Google' chips are TPUs, the rest GPUs. */
  vendor: string;
};

/** Accelerators (GPUs and TPU chips) of a site's servers that are meant to draw power (not planned, not decommissioned). */
async function queryGpus(pool: pg.Pool, siteId: number, condition: string): Promise<GpuRow[]> {
  const rows = await pool.query<GpuRow>(
    `SELECT a.id, a.uuid, a.index, a.health, d.id AS device_id, d.name AS device_name, r.id AS rack_id, r.name AS rack_name,
            h.id AS hall_id, h.name AS hall_name, m.vendor
       FROM accelerators a JOIN accelerator_models m ON m.id = a.model_id
       JOIN devices d ON d.id = a.device_id JOIN racks r ON r.id = d.rack_id JOIN halls h ON h.id = r.hall_id
      WHERE h.site_id = $1 AND d.status NOT IN ('planned', 'decommissioned') AND ${condition}
      ORDER BY h.name, r.name, d.name, a.index`,
    [siteId],
  );
  return rows.rows;
}

/** Per database (a process may serve two: tests), per key: plant rows as of a plant version (process-cache.ts). */
const plantVersionCache = (pool: pg.Pool) => processCache<string, { version: string; value: Promise<unknown> }>('dashboards:plant-versioned', pool);

/**
 * `load()` once per plant version (bumped by every plant change, GPUs included: migrations 0020, 0027) and key: at
 * 100,000 GPUs reading and ordering the plant costs more than the aggregations it feeds. Pass `version` when the caller
 * read it already.
 */
async function plantVersioned<T>(pool: pg.Pool, key: string, load: () => Promise<T>, version?: string): Promise<T> {
  version ??= await readPlantVersion(pool);
  const cache = plantVersionCache(pool);
  const held = cache.get(key);
  if (held && held.version === version) return held.value as Promise<T>;
  const value = load();
  cache.set(key, { version, value });
  value.catch(() => {
    if (cache.get(key)?.value === value) cache.delete(key);
  });
  return value;
}

/**
 * A site's GPUs in display order. For the whole site (no zone condition) the list is kept per plant version; only
 * health, which changes without a plant change, is read live. A zone condition reads directly (zone membership is not
 * part of the plant version).
 */
async function siteGpus(pool: pg.Pool, siteId: number, condition = 'true'): Promise<GpuRow[]> {
  if (condition !== 'true') return queryGpus(pool, siteId, condition);
  const [version, unhealthyRows] = await Promise.all([
    readPlantVersion(pool),
    pool.query<{ id: number; health: string }>(`SELECT id, health FROM accelerators WHERE health <> 'healthy'`),
  ]);
  const gpus = await plantVersioned(pool, `gpus:${siteId}`, () => queryGpus(pool, siteId, 'true'), version);
  const health = new Map(unhealthyRows.rows.map((r) => [r.id, r.health]));
  return gpus.map((g) => {
    const now = health.get(g.id) ?? 'healthy';
    return now === g.health ? g : { ...g, health: now };
  });
}

/** Reads the site's lists kept per plant version (its GPUs, its drawing devices) into the process cache (warm-up.ts). */
export async function warmSiteLists(pool: pg.Pool, siteId: number): Promise<void> {
  await plantVersioned(pool, `gpus:${siteId}`, () => queryGpus(pool, siteId, 'true'));
  await drawingDevices(pool, siteId);
}

export type GpuState = 'busy' | 'idle' | 'failed';

/** Who holds each GPU now (accelerator id → holder): active allocations of running or scheduled jobs, by job origin. */
async function gpuHolders(pool: pg.Pool): Promise<Map<number, GpuHolder>> {
  const rows = await pool.query<{ accelerator_id: number; origins: ('plenum' | 'external')[] }>(
    `SELECT g.accelerator_id, array_agg(DISTINCT j.origin) AS origins
       FROM gpu_allocations g JOIN jobs j ON j.id = g.job_id
      WHERE g.released_at IS NULL AND j.status IN ('running', 'scheduled')
      GROUP BY g.accelerator_id`,
  );
  return new Map(rows.rows.map((r) => [r.accelerator_id, holderOf(r.origins)]));
}

export function gpuState(health: string, utilPct: number | undefined): GpuState {
  if (health === 'failed' || utilPct === undefined) return 'failed';
  return utilPct >= BUSY_UTIL_PCT ? 'busy' : 'idle';
}

export type AcceleratorCounts = { total: number; busy: number; idle: number; failed: number; failedHealth: number; noReadings: number };

/** Whether an accelerator model's vendor makes its chips TPUs (Google) rather than GPUs. */
export function isTpuVendor(vendor: string): boolean {
  return vendor.toLowerCase() === 'google';
}

export type SiteOverview = {
  siteId: number;
  atMs: number;
  itPowerW: number | null;
  facilityPowerW: number | null;
  pue: number | null;
  gpus: AcceleratorCounts;
  /** The busy GPUs by who keeps them busy: Plenum jobs, external jobs, or nobody Plenum knows of (unmanaged). */
  busyBy: BusyAttribution;
  avgGpuUtilPct: number | null;
  /**
   * Google TPU chips, counted apart from the GPUs. Utilisation is their duty cycle (tpu dialect → gpu_util_pct), or their
   * TensorCore utilisation when no process holds the chip (no duty cycle is written then).
   */
  tpus: AcceleratorCounts;
  avgTpuDutyCyclePct: number | null;
  busyThresholdPct: number;
  jobs: { running: number; pending: number };
  alerts: { firing: number; acknowledged: number; critical: number };
};

/**
 * For a caller confined to some security zones: WHERE conditions on the GPUs (`a`), jobs (`jobs`) and alerts (`a`)
 * it may see. The site's IT and facility meters are shared by every zone, so they are left out (null).
 */
export type OverviewZones = { gpu: string; job: string; alert: string };

export async function siteOverview(pool: pg.Pool, siteId: number, atMs = Date.now(), zones?: OverviewZones): Promise<SiteOverview> {
  const [readings, perGpu] = await Promise.all([
    latestReadings(pool, siteId, ['it_power_w', 'facility_power_w'], atMs),
    // A TPU chip no process holds has no duty cycle (the device plugin writes it only for a workload) but still its
    // TensorCore utilisation, 0 when idle: that reading keeps an idle chip from counting as failed.
    latestPerEntity(pool, siteId, 'accelerator_id', [{ metric: 'gpu_util_pct', combine: 'sum' }, { metric: 'tpu_tensorcore_util_pct', combine: 'sum' }], atMs),
  ]);
  const siteValue = (metric: string) => (zones ? null : (readings.find((r) => r.metric === metric && r.entityKind === 'site')?.value ?? null));
  const itPowerW = siteValue('it_power_w');
  const facilityPowerW = siteValue('facility_power_w');
  const kinds = {
    gpu: { counts: { total: 0, busy: 0, idle: 0, failed: 0, failedHealth: 0, noReadings: 0 }, utilSum: 0, utilCount: 0 },
    tpu: { counts: { total: 0, busy: 0, idle: 0, failed: 0, failedHealth: 0, noReadings: 0 }, utilSum: 0, utilCount: 0 },
  };
  const holders = await gpuHolders(pool);
  const busyHolders: { busy: boolean; holder: GpuHolder }[] = [];
  for (const gpu of await siteGpus(pool, siteId, zones?.gpu)) {
    const tpu = isTpuVendor(gpu.vendor);
    const values = perGpu.get(gpu.id);
    const u = values?.[0] ?? (tpu ? values?.[1] : undefined);
    const kind = kinds[tpu ? 'tpu' : 'gpu'];
    const state = gpuState(gpu.health, u);
    kind.counts.total++;
    kind.counts[state]++;
    if (!tpu) busyHolders.push({ busy: state === 'busy', holder: holders.get(gpu.id) ?? null });
    if (gpu.health === 'failed') kind.counts.failedHealth++;
    else if (u === undefined) kind.counts.noReadings++;
    if (u !== undefined) {
      kind.utilSum += u;
      kind.utilCount++;
    }
  }
  const jobs = await pool.query<{ running: number; pending: number }>(
    `SELECT count(*) FILTER (WHERE status IN ('running', 'scheduled'))::int AS running, count(*) FILTER (WHERE status = 'pending')::int AS pending FROM jobs WHERE ${zones?.job ?? 'true'}`,
  );
  const alerts = await pool.query<{ firing: number; acknowledged: number; critical: number }>(
    `SELECT count(*) FILTER (WHERE a.state = 'firing')::int AS firing, count(*) FILTER (WHERE a.state = 'acknowledged')::int AS acknowledged,
            count(*) FILTER (WHERE a.state = 'firing' AND r.severity = 'critical')::int AS critical
       FROM alerts a JOIN alert_rules r ON r.id = a.rule_id WHERE a.state <> 'resolved' AND ${zones?.alert ?? 'true'}`,
  );
  return {
    siteId,
    atMs,
    itPowerW,
    facilityPowerW,
    pue: itPowerW && facilityPowerW ? facilityPowerW / itPowerW : null,
    gpus: kinds.gpu.counts,
    busyBy: attributeBusyGpus(busyHolders),
    avgGpuUtilPct: kinds.gpu.utilCount ? kinds.gpu.utilSum / kinds.gpu.utilCount : null,
    tpus: kinds.tpu.counts,
    avgTpuDutyCyclePct: kinds.tpu.utilCount ? kinds.tpu.utilSum / kinds.tpu.utilCount : null,
    busyThresholdPct: BUSY_UTIL_PCT,
    jobs: jobs.rows[0]!,
    alerts: alerts.rows[0]!,
  };
}

export type SiteTrends = {
  resolution: Resolution;
  bucketS: number;
  fromMs: number;
  toMs: number;
  points: { t: number; itPowerW: number | null; facilityPowerW: number | null; pue: number | null; gpuUtilPct: number | null; itEnergyKwh: number | null; facilityEnergyKwh: number | null }[];
  totals: { itEnergyKwh: number; facilityEnergyKwh: number; pue: number | null };
};

/**
 * IT / facility power, PUE, average GPU utilisation and energy per bucket over a window. The last hour comes from the
 * stored buckets where they are final (site-trend-store.ts); `stored: false` reads it all raw (tests compare the two).
 */
export async function siteTrends(pool: pg.Pool, siteId: number, window: TimeWindow, options: { stored?: boolean } = {}): Promise<SiteTrends> {
  // One end for all three: each reading the clock itself put their buckets a millisecond or two apart on a busy
  // machine, and then no bucket had both powers (no PUE).
  const ended = { sinceMs: window.sinceMs, untilMs: window.untilMs ?? Date.now() };
  const [it, facility, util] = await Promise.all([
    siteTrend(pool, { siteId, metric: 'it_power_w', across: 'sum', window: ended }, options),
    siteTrend(pool, { siteId, metric: 'facility_power_w', across: 'sum', window: ended }, options),
    siteTrend(pool, { siteId, metric: 'gpu_util_pct', across: 'avg', window: ended }, options),
  ]);
  const times = [...new Set([...it.points, ...facility.points, ...util.points].map((p) => p.t))].sort((a, b) => a - b);
  const at = (trend: Trend) => new Map(trend.points.map((p) => [p.t, p.v]));
  const itAt = at(it);
  const facilityAt = at(facility);
  const utilAt = at(util);
  // Energy of a bucket = its mean power × its length (a bucket that is only partly covered is counted whole).
  const bucketH = it.bucketS / 3600;
  let itKwh = 0;
  let facilityKwh = 0;
  const points = times.map((t) => {
    const itW = itAt.get(t) ?? null;
    const facilityW = facilityAt.get(t) ?? null;
    const itEnergyKwh = itW === null ? null : (itW * bucketH) / 1000;
    const facilityEnergyKwh = facilityW === null ? null : (facilityW * bucketH) / 1000;
    itKwh += itEnergyKwh ?? 0;
    facilityKwh += facilityEnergyKwh ?? 0;
    return { t, itPowerW: itW, facilityPowerW: facilityW, pue: itW && facilityW ? facilityW / itW : null, gpuUtilPct: utilAt.get(t) ?? null, itEnergyKwh, facilityEnergyKwh };
  });
  return {
    resolution: it.resolution,
    bucketS: it.bucketS,
    fromMs: it.fromMs,
    toMs: it.toMs,
    points,
    totals: { itEnergyKwh: itKwh, facilityEnergyKwh: facilityKwh, pue: itKwh > 0 ? facilityKwh / itKwh : null },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Power
// ---------------------------------------------------------------------------------------------------------------

type DeviceRow = { id: number; name: string; rack_id: number; nameplate_w: number; typical_w: number; gpu_count: number; gpu_tdp_w: number | null };

/** The site's drawing devices with their GPU count and TDP (kept per plant version). */
async function drawingDevices(pool: pg.Pool, siteId: number): Promise<DeviceRow[]> {
  return plantVersioned(pool, `drawing-devices:${siteId}`, async () => {
    const rows = await pool.query<DeviceRow>(
      `SELECT d.id, d.name, d.rack_id, dt.nameplate_power_w AS nameplate_w, dt.typical_power_w AS typical_w,
              coalesce(g.gpu_count, 0)::int AS gpu_count, g.gpu_tdp_w
         FROM devices d JOIN device_types dt ON dt.id = d.device_type_id JOIN racks r ON r.id = d.rack_id JOIN halls h ON h.id = r.hall_id
         LEFT JOIN (SELECT a.device_id, count(*) AS gpu_count, max(m.tdp_w) AS gpu_tdp_w
                      FROM accelerators a JOIN accelerator_models m ON m.id = a.model_id GROUP BY a.device_id) g ON g.device_id = d.id
        WHERE h.site_id = $1 AND d.status NOT IN ('planned', 'decommissioned')`,
      [siteId],
    );
    return rows.rows;
  });
}

export type MeasuredBasis = 'host' | 'rack-pdu-share';

/** One column of latestPerEntity's answer as a map, entities without a reading left out. */
function definedColumn(values: Map<number, (number | undefined)[]>, column: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const [id, row] of values) if (row[column] !== undefined) out.set(id, row[column]!);
  return out;
}

/**
 * Measured and allocated W per device for analysePlant (see the module comment for the rule), and how each device's
 * measurement was obtained.
 */
export async function deviceLoadOverlay(
  pool: pg.Pool,
  siteId: number,
  atMs = Date.now(),
): Promise<{ overlay: DeviceLoadOverlay; basis: Map<number, MeasuredBasis>; gpuPowerW: Map<number, number>; gpusReporting: number; devices: DeviceRow[] }> {
  const [devices, readings, rackPdus, allocations] = await Promise.all([
    drawingDevices(pool, siteId),
    latestPerEntity(
      pool,
      siteId,
      'device_id',
      [
        { metric: HOST_POWER_METRIC, combine: 'sum', entityKind: 'device' },
        { metric: 'gpu_power_w', combine: 'sum' },
        { metric: 'gpu_power_w', combine: 'gpus' },
      ],
      atMs,
    ),
    latestPerEntity(pool, siteId, 'rack_id', [{ metric: 'pdu_power_w', combine: 'sum', entityKind: 'power-node' }], atMs),
    pool.query<{ device_id: number; allocated_w: number }>(
      `SELECT a.device_id, sum(g.milli / 1000.0 * j.expected_power_w_per_gpu)::float8 AS allocated_w
         FROM gpu_allocations g JOIN accelerators a ON a.id = g.accelerator_id JOIN jobs j ON j.id = g.job_id
        WHERE g.released_at IS NULL GROUP BY a.device_id`,
    ),
  ]);
  const hostW = definedColumn(readings, 0);
  const gpuPowerW = definedColumn(readings, 1);
  // GPUs with a fresh power reading, each once however many sources report it.
  const gpusReporting = [...definedColumn(readings, 2).values()].reduce((a, b) => a + b, 0);
  const rackPduW = definedColumn(rackPdus, 0);
  const jobW = new Map(allocations.rows.map((r) => [r.device_id, r.allocated_w]));

  const overlay: DeviceLoadOverlay = new Map();
  const basis = new Map<number, MeasuredBasis>();
  const byRack = new Map<number, DeviceRow[]>();
  for (const d of devices) byRack.set(d.rack_id, [...(byRack.get(d.rack_id) ?? []), d]);
  for (const [rackId, list] of byRack) {
    const pduW = rackPduW.get(rackId);
    const hostMeasuredW = list.reduce((sum, d) => sum + (hostW.get(d.id) ?? 0), 0);
    const rest = list.filter((d) => !hostW.has(d.id));
    const restNameplateW = rest.reduce((sum, d) => sum + d.nameplate_w, 0);
    const remainderW = pduW === undefined ? undefined : Math.max(0, pduW - hostMeasuredW);
    for (const d of list) {
      let measuredW: number | null = null;
      if (hostW.has(d.id)) {
        measuredW = hostW.get(d.id)!;
        basis.set(d.id, 'host');
      } else if (remainderW !== undefined && restNameplateW > 0) {
        measuredW = (remainderW * d.nameplate_w) / restNameplateW;
        basis.set(d.id, 'rack-pdu-share');
      }
      const allocatedW =
        d.gpu_count > 0 ? serverIdleFloorW({ nameplatePowerW: d.nameplate_w, typicalPowerW: d.typical_w }, d.gpu_count, d.gpu_tdp_w) + (jobW.get(d.id) ?? 0) : null;
      overlay.set(d.id, { measuredW, allocatedW });
    }
  }
  return { overlay, basis, gpuPowerW, gpusReporting, devices };
}

const LEVEL_ORDER = ['utility-feed', 'generator', 'ats', 'switchgear', 'ups', 'pdu', 'rpp', 'power-feed', 'rack-pdu'] as const;

export type PowerLevelRow = {
  id: number;
  name: string;
  kind: string;
  side: string;
  capacityW: number | null;
  nameplateW: number | null;
  allocatedW: number | null;
  measuredW: number | null;
  /** What the meter on this node itself says (UPS output, rack PDU input), when it reports. */
  meteredW: number | null;
  loadW: number | null;
  utilizationPct: number | null;
  failoverHeadroomW: number | null;
};

export type PowerDashboard = {
  siteId: number;
  atMs: number;
  ok: boolean;
  failoverOk: boolean;
  issues: string[];
  scenarios: { label: string; overloads: string[] }[];
  upsOnBattery: string[];
  utility: { itPowerW: number | null; facilityPowerW: number | null; utilityCapacityW: number };
  /** The facility load against what the utility feeds measure; the difference is shown as "unmetered / losses". */
  reconciliation: FacilityReconciliation;
  nodes: PowerLevelRow[];
  racks: { id: number; name: string; hallName: string; budgetW: number | null; nameplateW: number; allocatedW: number; measuredW: number | null; loadW: number; utilizationPct: number | null; redundant: boolean }[];
  servers: { id: number; name: string; rackName: string; nameplateW: number; allocatedW: number | null; measuredW: number | null; basis: MeasuredBasis | null; gpuPowerW: number | null; gpuCount: number; gpuTdpW: number | null }[];
  gpus: { count: number; reporting: number; measuredW: number; tdpW: number };
  /** Whole-site counts: the lists above hold at most POWER_LIST_LIMIT rack PDUs, racks and servers each (the busiest). */
  counts: { rackPdus: number; racks: number; racksMetered: number; servers: number };
};

/** A UPS whose telemetry says it runs on battery (UPS-MIB upsOutputSource = battery, read over SNMP or as text). */
export type UpsOnBattery = { powerNodeId: number; name: string; chargePct: number | null; runtimeS: number | null };

/** The site's UPSs on battery now, by name, with their charge and runtime left where the UPS reports them. */
export async function upsOnBattery(pool: pg.Pool, siteId: number, atMs = Date.now()): Promise<UpsOnBattery[]> {
  const readings = await latestReadings(pool, siteId, ['ups_on_battery', 'ups_battery_charge_pct', 'ups_runtime_s'], atMs);
  const ids = [...new Set(readings.filter((r) => r.metric === 'ups_on_battery' && r.value > 0.5 && r.powerNodeId !== null).map((r) => r.powerNodeId!))];
  if (ids.length === 0) return [];
  const names = await pool.query<{ id: number; name: string }>('SELECT id, name FROM power_nodes WHERE id = ANY($1) ORDER BY name', [ids]);
  const value = (metric: string, id: number) => readings.find((r) => r.metric === metric && r.powerNodeId === id)?.value ?? null;
  return names.rows.map((n) => ({ powerNodeId: n.id, name: n.name, chargePct: value('ups_battery_charge_pct', n.id), runtimeS: value('ups_runtime_s', n.id) }));
}

/** At 100,000 GPUs a site has thousands of racks and tens of thousands of servers: the dashboard lists the busiest. */
export const POWER_LIST_LIMIT = 200;

/** The `limit` rows with the highest `load` (nulls last), in their original order. */
function busiest<T>(rows: T[], load: (row: T) => number | null, limit = POWER_LIST_LIMIT): T[] {
  if (rows.length <= limit) return rows;
  const keep = new Set([...rows].sort((a, b) => (load(b) ?? Number.NEGATIVE_INFINITY) - (load(a) ?? Number.NEGATIVE_INFINITY)).slice(0, limit));
  return rows.filter((row) => keep.has(row));
}

export async function powerDashboard(db: Db, pool: pg.Pool, siteId: number, atMs = Date.now()): Promise<PowerDashboard> {
  const { overlay, basis, gpuPowerW, gpusReporting, devices } = await deviceLoadOverlay(pool, siteId, atMs);
  const analysis = await analysePlant(db, siteId, overlay);
  const power = analysis.power;
  const [nodes, racks, site, readings, onBatteryNow] = await Promise.all([
    pool.query<{ id: number; name: string; kind: string; side: string }>('SELECT id, name, kind, side FROM power_nodes WHERE site_id = $1 ORDER BY name', [siteId]),
    pool.query<{ id: number; name: string; hall_name: string }>(
      'SELECT r.id, r.name, h.name AS hall_name FROM racks r JOIN halls h ON h.id = r.hall_id WHERE h.site_id = $1 ORDER BY h.name, r.name',
      [siteId],
    ),
    pool.query<{ utility_capacity_kw: number }>('SELECT utility_capacity_kw FROM sites WHERE id = $1', [siteId]),
    latestReadings(pool, siteId, ['ups_load_w', 'pdu_power_w', 'it_power_w', 'facility_power_w'], atMs),
    upsOnBattery(pool, siteId, atMs),
  ]);
  const metered = new Map<number, number>();
  for (const r of readings) if (r.powerNodeId !== null && (r.metric === 'ups_load_w' || r.metric === 'pdu_power_w')) metered.set(r.powerNodeId, r.value);
  const rank = (kind: string) => LEVEL_ORDER.indexOf(kind as (typeof LEVEL_ORDER)[number]);
  const nodeRows: PowerLevelRow[] = nodes.rows
    .map((n) => {
      const result = power.ok ? power.nodes[String(n.id)] : undefined;
      return {
        id: n.id,
        name: n.name,
        kind: n.kind,
        side: n.side,
        capacityW: result?.capacityW ?? null,
        nameplateW: result?.nameplateW ?? null,
        allocatedW: result?.allocatedW ?? null,
        measuredW: result?.measuredW ?? null,
        meteredW: metered.get(n.id) ?? null,
        loadW: result?.loadW ?? null,
        utilizationPct: result?.utilizationPct ?? null,
        failoverHeadroomW: result?.failoverHeadroomW ?? null,
      };
    })
    .sort((a, b) => rank(a.kind) - rank(b.kind) || a.name.localeCompare(b.name));
  const rackName = new Map(racks.rows.map((r) => [r.id, r.name]));
  const siteValue = (metric: string) => readings.find((r) => r.metric === metric && r.entityKind === 'site')?.value ?? null;
  const gpuCounts = await pool.query<{ n: number; tdp_w: number }>(
    `SELECT count(*)::int AS n, coalesce(sum(m.tdp_w), 0)::float8 AS tdp_w
       FROM accelerators a JOIN accelerator_models m ON m.id = a.model_id JOIN devices d ON d.id = a.device_id
       JOIN racks r ON r.id = d.rack_id JOIN halls h ON h.id = r.hall_id
      WHERE h.site_id = $1 AND d.status NOT IN ('planned', 'decommissioned')`,
    [siteId],
  );
  const rackRows = racks.rows.map((r) => {
      const result = power.ok ? power.racks[String(r.id)] : undefined;
      return {
        id: r.id,
        name: r.name,
        hallName: r.hall_name,
        budgetW: result?.capacityW ?? null,
        nameplateW: result?.nameplateW ?? 0,
        allocatedW: result?.allocatedW ?? 0,
        measuredW: result?.measuredW ?? null,
        loadW: result?.loadW ?? 0,
        utilizationPct: result?.utilizationPct ?? null,
        redundant: result?.redundant ?? false,
      };
  });
  const serverRows = devices
      .filter((d) => d.gpu_count > 0)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((d) => ({
        id: d.id,
        name: d.name,
        rackName: rackName.get(d.rack_id) ?? '',
        nameplateW: d.nameplate_w,
        allocatedW: overlay.get(d.id)?.allocatedW ?? null,
        measuredW: overlay.get(d.id)?.measuredW ?? null,
        basis: basis.get(d.id) ?? null,
        gpuPowerW: gpuPowerW.get(d.id) ?? null,
        gpuCount: d.gpu_count,
        gpuTdpW: d.gpu_tdp_w === null ? null : d.gpu_tdp_w * d.gpu_count,
      }));
  return {
    siteId,
    atMs,
    ok: power.ok,
    failoverOk: power.ok ? power.failoverOk : false,
    issues: power.issues.map((i) => `${i.subject} ${i.id}: ${i.field}: ${i.reason}`),
    scenarios: power.ok
      ? power.scenarios.filter((sc) => sc.overloads.length > 0).map((sc) => ({ label: sc.label, overloads: sc.overloads.map((o) => analysis.model.names.powerNodes.get(o.nodeId) ?? o.nodeId) }))
      : [],
    upsOnBattery: onBatteryNow.map((u) => u.name),
    utility: { itPowerW: siteValue('it_power_w'), facilityPowerW: siteValue('facility_power_w'), utilityCapacityW: (site.rows[0]?.utility_capacity_kw ?? 0) * 1000 },
    // Each feed: its own meter when it has one, else the sum of the measured loads beneath it.
    reconciliation: reconcileFacility(
      siteValue('facility_power_w'),
      nodeRows.filter((n) => n.kind === 'utility-feed').map((n) => ({ name: n.name, measuredW: n.meteredW ?? n.measuredW })),
    ),
    nodes: [...nodeRows.filter((n) => n.kind !== 'rack-pdu'), ...busiest(nodeRows.filter((n) => n.kind === 'rack-pdu'), (n) => n.utilizationPct)],
    racks: busiest(rackRows, (r) => r.utilizationPct),
    servers: busiest(serverRows, (d) => d.measuredW ?? d.allocatedW ?? d.nameplateW),
    counts: {
      rackPdus: nodeRows.filter((n) => n.kind === 'rack-pdu').length,
      racks: rackRows.length,
      racksMetered: rackRows.filter((r) => r.measuredW !== null).length,
      servers: serverRows.length,
    },
    gpus: {
      count: gpuCounts.rows[0]!.n,
      reporting: gpusReporting,
      measuredW: [...gpuPowerW.values()].reduce((a, b) => a + b, 0),
      tdpW: gpuCounts.rows[0]!.tdp_w,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Thermal
// ---------------------------------------------------------------------------------------------------------------

export type InletBand = 'recommended' | 'allowable' | 'outside' | 'no-data';

/** ASHRAE band of a rack inlet: recommended 18-27 °C, allowable A1 15-32 °C, else outside A1. */
export function inletBand(tempC: number | null | undefined): InletBand {
  if (tempC === null || tempC === undefined || !Number.isFinite(tempC)) return 'no-data';
  const ashrae = classifyInletTempC(tempC);
  return ashrae === 'recommended' ? 'recommended' : ashrae === 'A1' ? 'allowable' : 'outside';
}

export type HallThermal = {
  atMs: number;
  hall: { id: number; name: string; siteId: number; gridColumns: number; gridRows: number };
  racks: { id: number; name: string; rowName: string; gridX: number; gridY: number; status: string; coolingKind: string; inletC: number | null; outletC: number | null; band: InletBand }[];
  coolingUnits: { id: number; name: string; kind: string; status: string; running: boolean | null; capacityW: number; heatRemovedW: number | null; utilizationPct: number | null; supplyC: number | null; returnC: number | null; setpointC: number }[];
  gpuTempHistogram: { fromC: number; toC: number; count: number }[];
  gpuTempsReporting: number;
  hotRacks: { id: number; name: string; inletC: number; band: InletBand }[];
  hotGpus: { uuid: string; deviceName: string; rackName: string; tempC: number }[];
};

const HISTOGRAM_FROM_C = 20;
const HISTOGRAM_TO_C = 100;
const HISTOGRAM_STEP_C = 5;

export async function hallThermal(pool: pg.Pool, hallId: number, atMs = Date.now()): Promise<HallThermal | null> {
  const hall = (
    await pool.query<{ id: number; name: string; site_id: number; grid_columns: number; grid_rows: number }>(
      'SELECT id, name, site_id, grid_columns, grid_rows FROM halls WHERE id = $1',
      [hallId],
    )
  ).rows[0];
  if (!hall) return null;
  // Floor geometry as the floor plan draws it: a rack sits at its row's grid origin + its position in the row.
  const racks = await pool.query<{ id: number; name: string; row_name: string; grid_x: number; grid_y: number; status: string; cooling_kind: string }>(
    `SELECT r.id, r.name, w.name AS row_name, w.grid_x + r.position_in_row AS grid_x, w.grid_y, r.status, r.cooling_kind
       FROM racks r JOIN rows w ON w.id = r.row_id WHERE r.hall_id = $1 ORDER BY r.name`,
    [hallId],
  );
  const units = await pool.query<{ id: number; name: string; kind: string; status: string; capacity_kw: number; supply_setpoint_c: number }>(
    `SELECT DISTINCT u.id, u.name, u.kind, u.status, u.capacity_kw, u.supply_setpoint_c
       FROM cooling_units u JOIN cooling_served_areas a ON a.unit_id = u.id
       LEFT JOIN rows w ON w.id = a.row_id LEFT JOIN racks r ON r.id = a.rack_id
      WHERE a.hall_id = $1 OR w.hall_id = $1 OR r.hall_id = $1 ORDER BY u.name`,
    [hallId],
  );
  const readings = await latestReadings(
    pool,
    hall.site_id,
    [
      'rack_inlet_temp_c',
      'rack_outlet_temp_c',
      'plenum_cooling_unit_heat_removed_watts',
      'cdu_heat_removed_w',
      'plenum_cooling_unit_capacity_watts',
      'crah_supply_temp_c',
      'cdu_supply_temp_c',
      'crah_return_temp_c',
      'cdu_return_temp_c',
      'plenum_cooling_unit_running',
    ],
    atMs,
  );
  const rackIds = new Set(racks.rows.map((r) => r.id));
  // Several inlet sensors per rack: the warmest one is what the hottest server breathes.
  const inlet = byKey(readings, 'rack_inlet_temp_c', (r) => (r.entityKind === 'rack' ? r.rackId : null), 'max');
  const outlet = byKey(readings, 'rack_outlet_temp_c', (r) => (r.entityKind === 'rack' ? r.rackId : null), 'max');
  const unitValue = (metrics: string[]) => {
    const out = new Map<number, number>();
    for (const r of readings) if (r.coolingUnitId !== null && metrics.includes(r.metric)) out.set(r.coolingUnitId, r.value);
    return out;
  };
  const heat = unitValue(['plenum_cooling_unit_heat_removed_watts', 'cdu_heat_removed_w']);
  const capacity = unitValue(['plenum_cooling_unit_capacity_watts']);
  const supply = unitValue(['crah_supply_temp_c', 'cdu_supply_temp_c']);
  const ret = unitValue(['crah_return_temp_c', 'cdu_return_temp_c']);
  const running = unitValue(['plenum_cooling_unit_running']);

  const gpuRows = await pool.query<{ id: number; uuid: string; device_name: string; rack_id: number }>(
    'SELECT a.id, a.uuid, d.name AS device_name, d.rack_id FROM accelerators a JOIN devices d ON d.id = a.device_id JOIN racks r ON r.id = d.rack_id WHERE r.hall_id = $1',
    [hallId],
  );
  // AMD GPUs report no die temperature like NVIDIA's; their junction (hotspot) temperature stands in for it.
  const gpuTemps = await latestPerEntity(pool, hall.site_id, 'accelerator_id', [{ metric: 'gpu_temp_c', combine: 'sum' }, { metric: 'gpu_junction_temp_c', combine: 'sum' }], atMs);
  const bins = [];
  for (let c = HISTOGRAM_FROM_C; c < HISTOGRAM_TO_C; c += HISTOGRAM_STEP_C) bins.push({ fromC: c, toC: c + HISTOGRAM_STEP_C, count: 0 });
  const rackName = new Map(racks.rows.map((r) => [r.id, r.name]));
  const hotGpus: HallThermal['hotGpus'] = [];
  let reporting = 0;
  for (const g of gpuRows.rows) {
    const temps = gpuTemps.get(g.id);
    const t = temps?.[0] ?? temps?.[1];
    if (t === undefined || !rackIds.has(g.rack_id)) continue;
    reporting++;
    // Out-of-range readings land in the first or last bin so nothing is dropped from the count.
    const i = Math.min(bins.length - 1, Math.max(0, Math.floor((t - HISTOGRAM_FROM_C) / HISTOGRAM_STEP_C)));
    bins[i]!.count++;
    if (t >= GPU_HOT_C) hotGpus.push({ uuid: g.uuid, deviceName: g.device_name, rackName: rackName.get(g.rack_id) ?? '', tempC: t });
  }
  const rackRows = racks.rows.map((r) => ({
    id: r.id,
    name: r.name,
    rowName: r.row_name,
    gridX: r.grid_x,
    gridY: r.grid_y,
    status: r.status,
    coolingKind: r.cooling_kind,
    inletC: inlet.get(r.id) ?? null,
    outletC: outlet.get(r.id) ?? null,
    band: inletBand(inlet.get(r.id)),
  }));
  return {
    atMs,
    hall: { id: hall.id, name: hall.name, siteId: hall.site_id, gridColumns: hall.grid_columns, gridRows: hall.grid_rows },
    racks: rackRows,
    coolingUnits: units.rows.map((u) => {
      const capacityW = capacity.get(u.id) ?? u.capacity_kw * 1000;
      const heatW = heat.get(u.id) ?? null;
      return {
        id: u.id,
        name: u.name,
        kind: u.kind,
        status: u.status,
        running: running.has(u.id) ? running.get(u.id)! > 0.5 : null,
        capacityW,
        heatRemovedW: heatW,
        utilizationPct: heatW === null || capacityW <= 0 ? null : (heatW / capacityW) * 100,
        supplyC: supply.get(u.id) ?? null,
        returnC: ret.get(u.id) ?? null,
        setpointC: u.supply_setpoint_c,
      };
    }),
    gpuTempHistogram: bins,
    gpuTempsReporting: reporting,
    hotRacks: rackRows
      .filter((r) => r.inletC !== null && r.inletC > ASHRAE_RECOMMENDED_C.maxC)
      .sort((a, b) => b.inletC! - a.inletC!)
      .map((r) => ({ id: r.id, name: r.name, inletC: r.inletC!, band: r.band })),
    hotGpus: hotGpus.sort((a, b) => b.tempC - a.tempC).slice(0, 20),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Utilisation
// ---------------------------------------------------------------------------------------------------------------

export type UtilGroup = {
  key: string;
  label: string;
  gpus: number;
  reporting: number;
  avgUtilPct: number | null;
  memUsedBytes: number;
  memTotalBytes: number;
  memUsedPct: number | null;
  busy: number;
  idle: number;
  failed: number;
  /** The busy GPUs by who keeps them busy (sums to `busy`). */
  busyBy: BusyAttribution;
};

export type Utilisation = {
  atMs: number;
  busyThresholdPct: number;
  site: UtilGroup;
  byHall: UtilGroup[];
  byRack: UtilGroup[];
  byTenant: UtilGroup[];
  byJob: UtilGroup[];
  idleAllocated: { uuid: string; deviceName: string; rackName: string; jobId: number; jobName: string; tenant: string; utilPct: number }[];
};

type GpuSample = { gpu: GpuRow; utilPct: number | undefined; memUsedBytes: number | undefined; memTotalBytes: number | undefined; weight: number; holder: GpuHolder };

function group(key: string, label: string, members: GpuSample[]): UtilGroup {
  let weight = 0;
  let reportingWeight = 0;
  let utilSum = 0;
  let used = 0;
  let total = 0;
  let reporting = 0;
  const states = { busy: 0, idle: 0, failed: 0 };
  const busyHolders: { busy: boolean; holder: GpuHolder }[] = [];
  for (const m of members) {
    weight += m.weight;
    const state = gpuState(m.gpu.health, m.utilPct);
    states[state]++;
    busyHolders.push({ busy: state === 'busy', holder: m.holder });
    if (m.utilPct !== undefined) {
      reporting++;
      reportingWeight += m.weight;
      utilSum += m.utilPct * m.weight;
    }
    // A share of a GPU holds that share of its memory, for the per-job and per-tenant sums.
    if (m.memUsedBytes !== undefined && m.memTotalBytes !== undefined) {
      used += m.memUsedBytes * m.weight;
      total += m.memTotalBytes * m.weight;
    }
  }
  return {
    key,
    label,
    gpus: Math.round(weight * 1000) / 1000,
    reporting,
    avgUtilPct: reportingWeight > 0 ? utilSum / reportingWeight : null,
    memUsedBytes: used,
    memTotalBytes: total,
    memUsedPct: total > 0 ? (used / total) * 100 : null,
    ...states,
    busyBy: attributeBusyGpus(busyHolders),
  };
}

function groupBy<S extends GpuSample>(samples: S[], keyOf: (s: S) => [string, string]): UtilGroup[] {
  const groups = new Map<string, { label: string; members: S[] }>();
  for (const s of samples) {
    const [key, label] = keyOf(s);
    const g = groups.get(key) ?? { label, members: [] };
    g.members.push(s);
    groups.set(key, g);
  }
  return [...groups.entries()].map(([key, g]) => group(key, g.label, g.members)).sort((a, b) => a.label.localeCompare(b.label));
}

export async function utilisation(pool: pg.Pool, siteId: number, atMs = Date.now()): Promise<Utilisation> {
  const [gpus, readings, allocations, holders] = await Promise.all([
    siteGpus(pool, siteId),
    latestPerEntity(
      pool,
      siteId,
      'accelerator_id',
      ['gpu_util_pct', 'gpu_fb_used_bytes', 'gpu_fb_free_bytes', 'gpu_fb_reserved_bytes', 'gpu_fb_total_bytes'].map((metric) => ({ metric, combine: 'sum' as const })),
      atMs,
    ),
    pool.query<{ accelerator_id: number; milli: number; job_id: number; job_name: string; status: string; tenant: string }>(
      `SELECT g.accelerator_id, g.milli, j.id AS job_id, j.name AS job_name, j.status, t.name AS tenant
         FROM gpu_allocations g JOIN jobs j ON j.id = g.job_id JOIN tenants t ON t.id = j.tenant_id
        WHERE g.released_at IS NULL`,
    ),
    gpuHolders(pool),
  ]);
  const sample = (gpu: GpuRow, weight: number): GpuSample => {
    const [util, used, free, reserved, reportedTotal] = readings.get(gpu.id) ?? [];
    // dcgm-exporter reports used / free / reserved; total is their sum when no total series exists.
    const total = reportedTotal ?? (used !== undefined && free !== undefined ? used + free + (reserved ?? 0) : undefined);
    return { gpu, utilPct: util, memUsedBytes: used, memTotalBytes: total, weight, holder: holders.get(gpu.id) ?? null };
  };
  const whole = gpus.map((g) => sample(g, 1));
  const gpuById = new Map(gpus.map((g) => [g.id, g]));
  const allocated: (GpuSample & { jobId: number; jobName: string; tenant: string; status: string })[] = [];
  for (const a of allocations.rows) {
    const gpu = gpuById.get(a.accelerator_id);
    if (!gpu) continue; // a GPU on another site
    allocated.push({ ...sample(gpu, a.milli / 1000), jobId: a.job_id, jobName: a.job_name, tenant: a.tenant, status: a.status });
  }
  const running = allocated.filter((a) => a.status === 'running');
  const seenIdle = new Set<string>();
  const idleAllocated: Utilisation['idleAllocated'] = [];
  for (const a of running) {
    if (a.utilPct === undefined || a.utilPct >= BUSY_UTIL_PCT || a.gpu.health === 'failed') continue;
    const k = `${a.jobId}:${a.gpu.id}`;
    if (seenIdle.has(k)) continue;
    seenIdle.add(k);
    idleAllocated.push({ uuid: a.gpu.uuid, deviceName: a.gpu.device_name, rackName: a.gpu.rack_name, jobId: a.jobId, jobName: a.jobName, tenant: a.tenant, utilPct: a.utilPct });
  }
  idleAllocated.sort((x, y) => x.utilPct - y.utilPct || x.deviceName.localeCompare(y.deviceName));
  return {
    atMs,
    busyThresholdPct: BUSY_UTIL_PCT,
    site: group('site', 'Site', whole),
    byHall: groupBy(whole, (s) => [String(s.gpu.hall_id), s.gpu.hall_name]),
    byRack: groupBy(whole, (s) => [String(s.gpu.rack_id), s.gpu.rack_name]),
    byTenant: groupBy(allocated, (s) => [s.tenant, s.tenant]),
    byJob: groupBy(allocated, (s) => [String(s.jobId), `${s.jobName} (#${s.jobId})`]),
    idleAllocated,
  };
}
