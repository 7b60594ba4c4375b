/**
 * PLENUM_TSDB=prometheus-remote: raw telemetry history in a Prometheus-compatible back-end (VictoriaMetrics,
 * Prometheus, Mimir, Thanos) instead of PostgreSQL alone.
 *
 * Write: every block of rows the ingest commits (`IngestOptions.onCommitted`) is queued here and remote-written
 * (protocol 1.0, snappy protobuf) in batches, with backoff while the back-end is away, from a bounded queue whose
 * oldest samples are dropped when full (counted in /metrics). Each series is written under its Plenum metric name with
 * its exporter labels and the labels below, so both Plenum and people (Grafana, PromQL) can select by inventory:
 *
 *   plenum_series  Plenum's series id (Plenum's own queries select by it: stable across renames and re-mapping)
 *   plenum_entity  what the series measures: gpu, device, rack, power_node, cooling_unit, site or unmapped
 *   plenum_target  the scrape target id that delivered it (absent for remote-write)
 *   gpu_uuid       the GPU's UUID (GPU series)
 *   device         host name (or device name) of the server / facility device the series belongs to
 *   rack, site     the rack's and the site's names
 *
 * An exporter label with one of these names is kept as `exported_<name>`, as Prometheus does on conflicts.
 *
 * Read: `queryTelemetry` (query.ts) asks the back-end's PromQL HTTP API for the points of the series it selected in
 * PostgreSQL (inventory, zones): raw samples as a range selector in an instant query, 1-minute / 1-hour points as
 * avg/min/max_over_time over the same buckets as the PostgreSQL rollups.
 */
import type pg from 'pg';
import type { DialectName } from '@/telemetry';
import { type EncodeSeries, encodeLabels, encodeRemoteWrite } from '@/telemetry/remote-write-encode';
import { loadTsdbConfig, type TsdbConfig } from '../../config';
import { countRemoteWriteDrop, countRemoteWriteRetry, countRemoteWriteSent, setRemoteWriteQueue } from '../self-metrics';
import { RetryLoop } from './retry-loop';

export type RemoteTsdb = Extract<TsdbConfig, { kind: 'prometheus-remote' }>;

/** The back-end of this process: from the environment on first use; tests set their own. */
export function tsdbBackend(): TsdbConfig {
  const holder = globalThis as unknown as { __plenumTsdb?: TsdbConfig };
  holder.__plenumTsdb ??= loadTsdbConfig();
  return holder.__plenumTsdb;
}
export function setTsdbBackend(config: TsdbConfig | undefined): void {
  (globalThis as unknown as { __plenumTsdb?: TsdbConfig }).__plenumTsdb = config;
}

/**
 * Reading what the site's Prometheus already has instead of scraping the exporters again: a scrape target whose URL
 * is a federation endpoint (`…/federate?match[]=<selector>`, Prometheus and VictoriaMetrics alike) carries many
 * exporters' series with their own timestamps and labels, so each series is routed to its dialect by name (DCGM,
 * nvidia-smi, plenum, AMD, else generic) whatever dialect the target names.
 */
export function scrapeDialect<D extends string = DialectName>(url: string, dialect: D): D | 'auto' {
  try {
    return new URL(url).pathname.replace(/\/+$/, '').endsWith('/federate') ? 'auto' : dialect;
  } catch {
    return dialect;
  }
}

export const PLENUM_LABELS = ['plenum_series', 'plenum_entity', 'plenum_target', 'gpu_uuid', 'device', 'rack', 'site'] as const;

/** A metric name as Prometheus accepts it (catalogue names already are; a passed-through raw name may not be). */
export function promMetricName(metric: string): string {
  const name = metric.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/** The labels each series is written with (see the module comment), by series id. */
export async function seriesWriteLabels(pool: pg.Pool, ids: readonly number[]): Promise<Map<number, Record<string, string>>> {
  const rows = await pool.query<{
    id: number;
    metric: string;
    labels: Record<string, string>;
    entity_kind: string;
    target_id: number | null;
    gpu_uuid: string | null;
    device: string | null;
    rack: string | null;
    site: string | null;
  }>(
    `SELECT s.id, s.metric, s.labels, s.entity_kind, s.target_id, a.uuid AS gpu_uuid,
            coalesce(d.hostname, d.name, pn.name, cu.name) AS device, r.name AS rack, st.name AS site
       FROM telemetry_series s
       LEFT JOIN accelerators a ON a.id = s.accelerator_id
       LEFT JOIN devices d ON d.id = s.device_id
       LEFT JOIN power_nodes pn ON pn.id = s.power_node_id
       LEFT JOIN cooling_units cu ON cu.id = s.cooling_unit_id
       LEFT JOIN racks r ON r.id = s.rack_id
       LEFT JOIN halls h ON h.id = r.hall_id
       LEFT JOIN sites st ON st.id = coalesce(s.site_id, h.site_id)
      WHERE s.id = ANY($1::int[])`,
    [ids],
  );
  const out = new Map<number, Record<string, string>>();
  for (const r of rows.rows) {
    const labels: Record<string, string> = {};
    for (const [name, value] of Object.entries(r.labels)) {
      const safe = name.replace(/[^a-zA-Z0-9_]/g, '_');
      labels[(PLENUM_LABELS as readonly string[]).includes(safe) || safe === '__name__' ? `exported_${safe}` : safe] = value;
    }
    labels.__name__ = promMetricName(r.metric);
    labels.plenum_series = String(r.id);
    labels.plenum_entity = r.entity_kind;
    if (r.target_id !== null) labels.plenum_target = String(r.target_id);
    if (r.gpu_uuid) labels.gpu_uuid = r.gpu_uuid;
    if (r.device) labels.device = r.device;
    if (r.rack) labels.rack = r.rack;
    if (r.site) labels.site = r.site;
    out.set(r.id, labels);
  }
  return out;
}

/** Committed rows, or (`stale`) series ends to send as staleness markers (their values are unused). */
type Block = { ids: Int32Array; tsMs: Float64Array; values: Float64Array; stale?: true };

export type RemoteWriterStats = {
  queuedSamples: number;
  sentSamples: number;
  droppedQueueFull: number;
  droppedRejected: number;
  retries: number;
  lastError: string | null;
};

/** Labels are re-read this often, so a renamed rack or a re-mapped series is written under its new labels. */
const LABELS_TTL_MS = 5 * 60_000;

/**
 * The write half: a bounded queue of committed rows, sent in batches. `sendNow` sends what is queued (tests and the
 * loop); a batch the back-end refuses with 4xx (other than 429) is dropped and counted, 5xx / 429 / no answer keeps
 * it queued for the next try.
 */
export class RemoteWriter {
  private queue: Block[] = [];
  private queued = 0;
  /** Each series' labels, protobuf-encoded once (they are most of a request's bytes and of its encoding time). */
  private labels = new Map<number, Uint8Array>();
  private labelsAt = Date.now();
  private sending: Promise<number> | undefined;
  /** Sends while samples are queued, backing off (0.5 s up to 30 s) while the back-end is away. */
  private readonly sendLoop = new RetryLoop({
    minBackoffMs: 500,
    maxBackoffMs: 30_000,
    pending: () => this.queue.length > 0,
    attempt: async () => {
      await this.sendNow();
    },
  });
  readonly stats: RemoteWriterStats = { queuedSamples: 0, sentSamples: 0, droppedQueueFull: 0, droppedRejected: 0, retries: 0, lastError: null };

  constructor(
    private readonly pool: pg.Pool,
    private readonly backend: RemoteTsdb,
    private readonly batchSamples = 20_000,
  ) {}

  /** The ingest hook: queues a committed block (the arrays are the caller's copies). */
  readonly accept = (ids: Int32Array, tsMs: Float64Array, values: Float64Array): void => {
    this.enqueue({ ids, tsMs, values });
  };

  /**
   * The ingest hook for ended series (`IngestOptions.onSeriesEnded`): each is sent as a Prometheus staleness marker
   * at its end time, so the back-end stops returning the series' last value from then on, as it would for its own
   * scrapes.
   */
  readonly acceptEnds = (ids: Int32Array, tsMs: Float64Array): void => {
    this.enqueue({ ids, tsMs, values: new Float64Array(ids.length), stale: true });
  };

  private enqueue(block: Block): void {
    const { ids } = block;
    if (ids.length === 0) return;
    this.queue.push(block);
    this.queued += ids.length;
    while (this.queued > this.backend.queueMaxSamples && this.queue.length > 1) {
      const oldest = this.queue.shift()!;
      this.queued -= oldest.ids.length;
      this.stats.droppedQueueFull += oldest.ids.length;
      countRemoteWriteDrop('queue_full', oldest.ids.length);
    }
    this.stats.queuedSamples = this.queued;
    setRemoteWriteQueue(this.queued);
  }

  /** Sends everything queued now; returns the samples delivered. Throws when the back-end is unreachable (kept queued). */
  async sendNow(): Promise<number> {
    while (this.sending) await this.sending.catch(() => {});
    const run = this.sendAll();
    this.sending = run;
    try {
      return await run;
    } finally {
      this.sending = undefined;
      this.stats.queuedSamples = this.queued;
      setRemoteWriteQueue(this.queued);
    }
  }

  private async sendAll(): Promise<number> {
    let delivered = 0;
    while (this.queue.length > 0) {
      const batch: Block[] = [];
      let n = 0;
      while (this.queue.length > 0 && n < this.batchSamples) {
        const b = this.queue.shift()!;
        batch.push(b);
        n += b.ids.length;
      }
      this.queued -= n;
      try {
        delivered += await this.sendBatch(batch);
      } catch (error) {
        // Kept for the next try; the reason shows on /api/health (also when PostgreSQL, asked for labels, failed).
        this.queue = [...batch, ...this.queue];
        this.queued += n;
        this.stats.lastError = error instanceof Error ? error.message : String(error);
        throw error;
      }
    }
    return delivered;
  }

  private async sendBatch(batch: Block[]): Promise<number> {
    if (Date.now() - this.labelsAt > LABELS_TTL_MS) {
      this.labels.clear();
      this.labelsAt = Date.now();
    }
    const bySeries = new Map<number, EncodeSeries['samples']>();
    for (const b of batch) {
      for (let i = 0; i < b.ids.length; i++) {
        const id = b.ids[i]!;
        let samples = bySeries.get(id);
        if (!samples) {
          samples = [];
          bySeries.set(id, samples);
        }
        samples.push(b.stale ? { value: Number.NaN, timestampMs: b.tsMs[i]!, stale: true } : { value: b.values[i]!, timestampMs: b.tsMs[i]! });
      }
    }
    const unknown = [...bySeries.keys()].filter((id) => !this.labels.has(id));
    if (unknown.length > 0) for (const [id, labels] of await seriesWriteLabels(this.pool, unknown)) this.labels.set(id, encodeLabels(labels));
    const series: EncodeSeries[] = [];
    let samples = 0;
    for (const [id, list] of bySeries) {
      const labelBytes = this.labels.get(id);
      if (!labelBytes) continue; // the series was deleted meanwhile
      if (list.length > 1) list.sort((a, b) => a.timestampMs - b.timestampMs);
      series.push({ labelBytes, samples: list });
      samples += list.length;
    }
    if (samples === 0) return 0;
    const headers: Record<string, string> = {
      'Content-Type': 'application/x-protobuf',
      'Content-Encoding': 'snappy',
      'X-Prometheus-Remote-Write-Version': '0.1.0',
      'User-Agent': 'Plenum',
    };
    if (this.backend.authorization) headers.Authorization = this.backend.authorization;
    let response: Response;
    try {
      response = await fetch(this.backend.remoteWriteUrl, { method: 'POST', headers, body: encodeRemoteWrite(series), signal: AbortSignal.timeout(30_000) });
    } catch (error) {
      const message = `remote write to ${this.backend.remoteWriteUrl}: ${error instanceof Error ? error.message : String(error)}`;
      this.failed(message);
      throw new Error(message);
    }
    const text = await response.text().catch(() => '');
    if (response.ok) {
      this.stats.sentSamples += samples;
      this.stats.lastError = null;
      countRemoteWriteSent(samples);
      return samples;
    }
    const message = `remote write to ${this.backend.remoteWriteUrl}: HTTP ${response.status} ${text.split('\n')[0]!.slice(0, 200)}`;
    if (response.status >= 500 || response.status === 429) {
      this.failed(message);
      throw new Error(message);
    }
    // The back-end refuses the data itself (out of order, too old, bad labels): retrying cannot help.
    this.stats.droppedRejected += samples;
    this.stats.lastError = message;
    countRemoteWriteDrop('rejected', samples);
    return 0;
  }

  private failed(message: string): void {
    this.stats.retries++;
    this.stats.lastError = message;
    countRemoteWriteRetry();
  }

  /** Sends every `intervalMs`, backing off (up to 30 s) while the back-end is away. */
  start(intervalMs: number): void {
    this.sendLoop.start(intervalMs);
  }

  async stop(): Promise<void> {
    this.sendLoop.stop();
    await this.sendNow().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// PromQL HTTP API

export class TsdbQueryError extends Error {}

type PromSeries = { metric: Record<string, string>; values?: [number, string][]; value?: [number, string] };

/** A PromQL value as the API writes it ("NaN", "+Inf", "-Inf", or a decimal). */
export function promValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  return Number(text);
}

/** POSTs a query to `/api/v1/<endpoint>` and returns its result series (matrix or vector). */
export async function promQuery(backend: RemoteTsdb, endpoint: 'query' | 'query_range', params: Record<string, string>): Promise<PromSeries[]> {
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' };
  if (backend.authorization) headers.Authorization = backend.authorization;
  const url = `${backend.queryUrl}/api/v1/${endpoint}`;
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers, body: new URLSearchParams(params).toString(), signal: AbortSignal.timeout(60_000) });
  } catch (error) {
    throw new TsdbQueryError(`telemetry back-end ${url} did not answer: ${error instanceof Error ? error.message : String(error)}`);
  }
  const body = (await response.json().catch(() => null)) as { status?: string; error?: string; data?: { result?: PromSeries[] } } | null;
  if (!response.ok || body?.status !== 'success' || !Array.isArray(body.data?.result)) {
    throw new TsdbQueryError(`telemetry back-end ${url} answered HTTP ${response.status}: ${body?.error ?? 'not a PromQL API response'}`);
  }
  return body.data.result;
}

/** Seconds since the epoch as the API takes them, exact to the millisecond. */
const promTime = (ms: number) => (ms / 1000).toFixed(3);

export type RemotePoint = { t: number; v: number; min?: number; max?: number };

/**
 * Points of the given Plenum series in [fromMs, toMs] from the back-end, by series id: raw samples (`step`
 * undefined), or per bucket of `stepMs` (bucket start in [fromMs, toMs], like the PostgreSQL rollups: mean, min, max
 * of the samples in [bucket, bucket + step)).
 */
export async function remoteSeriesPoints(backend: RemoteTsdb, metric: string, ids: readonly number[], fromMs: number, toMs: number, stepMs?: number): Promise<Map<number, RemotePoint[]>> {
  const out = new Map<number, RemotePoint[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return out;
  const selector = `${promMetricName(metric)}{plenum_series=~"${ids.join('|')}"}`;
  const seriesOf = (s: PromSeries) => out.get(Number(s.metric.plenum_series));
  if (stepMs === undefined) {
    // A range selector in an instant query answers the stored samples themselves; one millisecond wider than the
    // range (back-ends differ on whether its start is included), then cut to [fromMs, toMs] exactly.
    const result = await promQuery(backend, 'query', { query: `${selector}[${toMs - fromMs + 1}ms]`, time: promTime(toMs) });
    for (const s of result) {
      const list = seriesOf(s);
      if (!list) continue;
      for (const [t, v] of s.values ?? []) {
        const ms = Math.round(t * 1000);
        if (ms >= fromMs && ms <= toMs) list.push({ t: ms, v: promValue(v) });
      }
    }
  } else {
    const first = Math.ceil(fromMs / stepMs) * stepMs;
    const last = Math.floor(toMs / stepMs) * stepMs;
    if (last < first) return out;
    // Evaluated at each bucket's end over the preceding step, shifted back 1 ms: the window is [bucket, bucket + step).
    const range = { start: promTime(first + stepMs), end: promTime(last + stepMs), step: `${stepMs / 1000}s` };
    const [avg, min, max] = await Promise.all(
      (['avg', 'min', 'max'] as const).map((f) => promQuery(backend, 'query_range', { query: `${f}_over_time(${selector}[${stepMs}ms] offset 1ms)`, ...range })),
    );
    const extremes = new Map<string, number>();
    for (const [kind, result] of [
      ['min', min!],
      ['max', max!],
    ] as const) {
      for (const s of result) for (const [t, v] of s.values ?? []) extremes.set(`${kind}|${s.metric.plenum_series}|${Math.round(t * 1000)}`, promValue(v));
    }
    for (const s of avg!) {
      const list = seriesOf(s);
      if (!list) continue;
      for (const [t, v] of s.values ?? []) {
        const end = Math.round(t * 1000);
        const key = `${s.metric.plenum_series}|${end}`;
        list.push({ t: end - stepMs, v: promValue(v), min: extremes.get(`min|${key}`)!, max: extremes.get(`max|${key}`)! });
      }
    }
  }
  // A series re-labelled in the back-end (re-mapped, renamed rack) comes back in pieces: one timeline per id.
  for (const list of out.values()) list.sort((a, b) => a.t - b.t);
  return out;
}
