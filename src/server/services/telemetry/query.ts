/**
 * Reading telemetry back: points of one metric for an entity (GPU UUID, hostname / device name, rack name) or a scrape
 * target, at a resolution chosen by the range (raw ≤ 2 h, 1-minute rollups ≤ 3 days, 1-hour rollups beyond).
 * With PLENUM_TSDB=prometheus-remote the series are still chosen here (inventory, zones) and their points come from the
 * back-end's PromQL API (remote-backend.ts), with the same buckets.
 */
import type pg from 'pg';
import { remoteSeriesPoints, tsdbBackend } from './remote-backend';
import { hourRollupsSql, readMinuteRollups } from './rollup-store';
import { readSamples, usToMs } from './sample-store';
import { telemetryDrops } from '../health';

export type Resolution = 'raw' | '1m' | '1h';
export type Point = { t: number; v: number; min?: number; max?: number };
export type SeriesPoints = { seriesId: number; labels: Record<string, string>; entityKind: string; entity: string; points: Point[] };
export type QueryResult = { metric: string; unit: string | null; resolution: Resolution; fromMs: number; toMs: number; series: SeriesPoints[] };

export class QueryError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export function resolutionFor(rangeMs: number): Resolution {
  if (rangeMs <= 2 * 3_600_000) return 'raw';
  if (rangeMs <= 3 * 86_400_000) return '1m';
  return '1h';
}

type Scope = { column: 'accelerator_id' | 'device_id' | 'rack_id' | 'target_id'; id: number; kind: string };

/** Finds what an entity string names: a GPU UUID, a hostname or device name, or a rack name. */
export async function resolveEntity(pool: pg.Pool, entity: string): Promise<Scope> {
  const e = entity.trim();
  if (/^(GPU|MIG)-/i.test(e) || /^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(e)) {
    const uuid = e.toUpperCase().startsWith('GPU-') ? `GPU-${e.slice(4).toLowerCase()}` : `GPU-${e.toLowerCase()}`;
    const gpu = await pool.query<{ id: number }>('SELECT id FROM accelerators WHERE lower(uuid) = lower($1)', [uuid]);
    if (gpu.rows[0]) return { column: 'accelerator_id', id: gpu.rows[0].id, kind: 'gpu' };
  }
  const device = await pool.query<{ id: number }>('SELECT id FROM devices WHERE lower(hostname) = lower($1) OR lower(name) = lower($1) ORDER BY (lower(hostname) = lower($1)) DESC LIMIT 1', [e]);
  if (device.rows[0]) return { column: 'device_id', id: device.rows[0].id, kind: 'device' };
  const rack = await pool.query<{ id: number }>('SELECT id FROM racks WHERE lower(name) = lower($1)', [e]);
  if (rack.rows.length > 1) throw new QueryError('entity', `rack name "${e}" exists in several halls`);
  if (rack.rows[0]) return { column: 'rack_id', id: rack.rows[0].id, kind: 'rack' };
  throw new QueryError('entity', `no GPU, host or rack named "${e}"`);
}

export async function resolveTarget(pool: pg.Pool, target: string): Promise<Scope> {
  const byId = /^\d+$/.test(target) ? Number(target) : null;
  const row = await pool.query<{ id: number }>('SELECT id FROM scrape_targets WHERE url = $1 OR id = $2', [target, byId]);
  if (!row.rows[0]) throw new QueryError('target', `no scrape target ${target}`);
  return { column: 'target_id', id: row.rows[0].id, kind: 'target' };
}

const MAX_SERIES = 200;
const MAX_RAW_POINTS = 200_000;

/**
 * The caller's zones, for zone-scoped callers: `visible` says whether the resolved entity or target lies in them (one
 * outside answers exactly like a missing one), `seriesCondition` is a WHERE condition on `s` (telemetry_series).
 */
export type QueryZones = { visible: (kind: 'gpu' | 'device' | 'rack' | 'target', id: number) => Promise<boolean>; seriesCondition: string };

export async function queryTelemetry(
  pool: pg.Pool,
  input: { metric: string; entity?: string; target?: string; sinceMs: number; untilMs?: number; resolution?: Resolution | 'auto' },
  zones?: QueryZones,
): Promise<QueryResult> {
  if (!input.entity && !input.target) throw new QueryError('entity', 'give an entity (GPU UUID, hostname or rack name) or a target');
  const scope = input.entity ? await resolveEntity(pool, input.entity) : await resolveTarget(pool, input.target!);
  if (zones && !(await zones.visible(scope.kind as 'gpu' | 'device' | 'rack' | 'target', scope.id))) {
    throw input.entity ? new QueryError('entity', `no GPU, host or rack named "${input.entity.trim()}"`) : new QueryError('target', `no scrape target ${input.target}`);
  }
  const toMs = input.untilMs ?? Date.now();
  const fromMs = toMs - input.sinceMs;
  const resolution = !input.resolution || input.resolution === 'auto' ? resolutionFor(input.sinceMs) : input.resolution;
  const series = await pool.query<{ id: number; labels: Record<string, string>; unit: string; entity_kind: string; entity: string }>(
    `SELECT s.id, s.labels, s.unit, s.entity_kind,
            coalesce(a.uuid, d.hostname, d.name, pn.name, cu.name, r.name, s.device_name, s.hostname, '') AS entity
       FROM telemetry_series s
       LEFT JOIN accelerators a ON a.id = s.accelerator_id
       LEFT JOIN devices d ON d.id = s.device_id AND s.accelerator_id IS NULL
       LEFT JOIN power_nodes pn ON pn.id = s.power_node_id
       LEFT JOIN cooling_units cu ON cu.id = s.cooling_unit_id
       LEFT JOIN racks r ON r.id = s.rack_id AND s.entity_kind = 'rack'
      WHERE s.metric = $1 AND s.${scope.column} = $2 AND ${zones?.seriesCondition ?? 'true'}
      ORDER BY s.id LIMIT ${MAX_SERIES}`,
    [input.metric, scope.id],
  );
  const ids = series.rows.map((s) => s.id);
  const points = new Map<number, Point[]>(ids.map((id) => [id, []]));
  const backend = tsdbBackend();
  if (ids.length > 0 && backend.kind === 'prometheus-remote') {
    const step = resolution === 'raw' ? undefined : resolution === '1m' ? 60_000 : 3_600_000;
    const remote = await remoteSeriesPoints(backend, input.metric, ids, fromMs, toMs, step);
    let budget = MAX_RAW_POINTS;
    for (const id of ids) {
      const list = remote.get(id) ?? [];
      const kept = list.length > budget ? list.slice(0, budget) : list;
      budget -= kept.length;
      points.set(id, kept);
    }
  } else if (ids.length > 0) {
    if (resolution === 'raw') {
      // Raw samples come from the write table and the compressed chunks alike (sample-store.ts).
      const samples = await readSamples(pool, ids, fromMs, toMs);
      let budget = MAX_RAW_POINTS;
      for (const id of ids) {
        const columns = samples.get(id);
        if (!columns || budget <= 0) continue;
        const n = Math.min(columns.us.length, budget);
        const list = points.get(id)!;
        for (let i = 0; i < n; i++) list.push({ t: usToMs(columns.us[i]!), v: columns.values[i]! });
        budget -= n;
      }
    } else if (resolution === '1m') {
      // 1-minute rollups come from the row table and the compressed closed hours alike (rollup-store.ts).
      const rollups = await readMinuteRollups(pool, ids, fromMs, toMs);
      for (const id of ids) {
        const r = rollups.get(id);
        if (!r) continue;
        const list = points.get(id)!;
        for (let i = 0; i < r.t.length; i++) list.push({ t: r.t[i]!, v: r.sums[i]! / r.counts[i]!, min: r.mins[i]!, max: r.maxs[i]! });
      }
    } else {
      const rows = await pool.query<{ series_id: number; t: number; v: number; min: number; max: number }>(
        // Stored hours and the hours still in 1-minute rows alike (rollup-store.ts hourRollupsSql).
        `SELECT series_id, (extract(epoch FROM bucket) * 1000)::float8 AS t, sum / count AS v, min, max
           FROM ${hourRollupsSql('$1::int[]', 'to_timestamp($2 / 1000.0)', 'to_timestamp($3 / 1000.0)')} h
          ORDER BY series_id, bucket`,
        [ids, fromMs, toMs],
      );
      for (const r of rows.rows) points.get(r.series_id)!.push({ t: r.t, v: r.v, min: r.min, max: r.max });
    }
  }
  return {
    metric: input.metric,
    unit: series.rows[0]?.unit ?? null,
    resolution,
    fromMs,
    toMs,
    series: series.rows.map((s) => ({ seriesId: s.id, labels: s.labels, entityKind: s.entity_kind, entity: s.entity, points: points.get(s.id)! })),
  };
}

/** Series no inventory object claims; `condition` (a WHERE condition on `s`) narrows them, e.g. to a caller's targets. */
export async function listUnmapped(pool: pg.Pool, limit: number, condition = 'true') {
  const rows = await pool.query<{ id: number; metric: string; unit: string; labels: Record<string, string>; hostname: string | null; gpu_uuid: string | null; device_name: string | null; target_url: string | null; created_at: Date }>(
    `SELECT s.id, s.metric, s.unit, s.labels, s.hostname, s.gpu_uuid, s.device_name, t.url AS target_url, s.created_at
       FROM telemetry_series s LEFT JOIN scrape_targets t ON t.id = s.target_id
      WHERE s.entity_kind = 'unmapped' AND ${condition} ORDER BY s.id LIMIT $1`,
    [limit],
  );
  const total = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM telemetry_series s WHERE s.entity_kind = 'unmapped' AND ${condition}`);
  return {
    total: total.rows[0]!.n,
    /** Samples refused on the way in (never stored, so never unmapped), by reason. */
    dropped: await telemetryDrops(pool),
    items: rows.rows.map((r) => ({
      id: r.id,
      metric: r.metric,
      unit: r.unit,
      labels: r.labels,
      hostname: r.hostname,
      gpuUuid: r.gpu_uuid,
      device: r.device_name,
      target: r.target_url,
      firstSeenAt: r.created_at.toISOString(),
    })),
  };
}
