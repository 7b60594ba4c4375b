/**
 * Plenum's own metrics, served as Prometheus text at `GET /metrics` (src/app/metrics/route.ts), through prom-client.
 *
 * One registry per process, kept on globalThis: `npm start` loads this module twice (once for the workers through
 * tsx, once inside the Next.js server bundle), and both must count into the registry the route serves.
 *
 * Other code counts through the small functions below (never through prom-client directly), so the metric names and
 * labels live in this one file: `countIngestDrop(reason, n)` for any reason a sample is dropped, `setCompactionLag`
 * for the compaction worker, `registerPool` for a pg pool whose state should be visible.
 */
import os from 'node:os';
import type pg from 'pg';
import client from 'prom-client';

export type SelfMetrics = ReturnType<typeof createSelfMetrics>;

/** This process's label for per-shard series (scrapes are sharded by process): PLENUM_INSTANCE, else host:pid. */
export function shardName(env: Record<string, string | undefined> = process.env): string {
  return env.PLENUM_INSTANCE || `${os.hostname()}:${process.pid}`;
}

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * How often the event-loop delay histogram (`nodejs_eventloop_lag_*`) samples the loop. prom-client's default, 10 ms,
 * wakes the process 100 times a second: 11 ms of CPU a second in an otherwise idle process on the 2-core VM, and
 * 4 µs of the demo's ~18 µs per sample on Node's main thread (docs/BENCHMARKS.md, "Wake-ups"). At 100 ms a stall of
 * 100 ms or more is always seen and a shorter one in proportion to its length; a 15 s scrape still gets 150 readings.
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

function createSelfMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  const pools = new Map<string, pg.Pool>();
  const shard = shardName();
  const on = { registers: [registry] };

  const metrics = {
    registry,
    pools,
    shard,
    ingestAccepted: new client.Counter({ name: 'plenum_ingest_accepted_samples_total', help: 'Samples accepted into the ingest buffer (scrapes and remote-write).', ...on }),
    ingestWritten: new client.Counter({ name: 'plenum_ingest_written_samples_total', help: 'Samples committed to PostgreSQL.', ...on }),
    ingestDropped: new client.Counter({
      name: 'plenum_ingest_dropped_samples_total',
      help: 'Samples not stored, by reason (buffer_full, out_of_window, dialect: exporter sentinels and NaN readings of catalogue metrics, …).',
      labelNames: ['reason'] as const,
      ...on,
    }),
    staleMarkers: new client.Counter({ name: 'plenum_ingest_stale_markers_total', help: 'Prometheus staleness markers received; each ended a series.', ...on }),
    flushDuration: new client.Histogram({ name: 'plenum_ingest_flush_duration_seconds', help: 'Time to write one flush (COPY, rollup deltas, commit).', buckets: SECONDS_BUCKETS, ...on }),
    flushFailures: new client.Counter({ name: 'plenum_ingest_flush_failures_total', help: 'Flushes that failed (rows stay buffered and are retried).', ...on }),
    bufferedSamples: new client.Gauge({ name: 'plenum_ingest_buffered_samples', help: 'Samples waiting in the ingest buffer of this process.', ...on }),
    seriesKnown: new client.Gauge({ name: 'plenum_ingest_series', help: 'Series known to the ingest of this process.', ...on }),
    scrapeDuration: new client.Histogram({
      name: 'plenum_scrape_duration_seconds',
      help: 'Duration of one scrape (fetch, parse, map, buffer), per scrape shard.',
      labelNames: ['shard'] as const,
      buckets: SECONDS_BUCKETS,
      ...on,
    }),
    scrapeLag: new client.Histogram({
      name: 'plenum_scrape_lag_seconds',
      help: 'How late a scrape started after its slot on the target interval grid, per scrape shard.',
      labelNames: ['shard'] as const,
      buckets: SECONDS_BUCKETS,
      ...on,
    }),
    scrapes: new client.Counter({ name: 'plenum_scrapes_total', help: 'Scrapes, by shard and result (ok, error).', labelNames: ['shard', 'result'] as const, ...on }),
    scrapeTargets: new client.Gauge({ name: 'plenum_scrape_targets', help: 'Enabled scrape targets this shard scrapes.', labelNames: ['shard'] as const, ...on }),
    rollupLag: new client.Gauge({
      name: 'plenum_rollup_lag_seconds',
      help: 'Age of the oldest flush not yet added to the rollups (about a minute is normal: a minute is added once it has closed).',
      ...on,
    }),
    rollupQueue: new client.Gauge({ name: 'plenum_rollup_queue_batches', help: 'Flushes waiting to be added to the rollups.', ...on }),
    rollupSamples: new client.Counter({ name: 'plenum_rollup_samples_total', help: 'Samples added to the 1 m and 1 h rollups.', ...on }),
    rollupDuration: new client.Histogram({ name: 'plenum_rollup_run_duration_seconds', help: 'Duration of one rollup run.', buckets: SECONDS_BUCKETS, ...on }),
    compactionLag: new client.Gauge({ name: 'plenum_compaction_lag_seconds', help: 'Age of the oldest closed raw window not yet compacted (set by the compaction worker).', ...on }),
    schedulerCycle: new client.Histogram({ name: 'plenum_scheduler_cycle_duration_seconds', help: 'Duration of one scheduling cycle (leader only).', buckets: SECONDS_BUCKETS, ...on }),
    schedulerQueue: new client.Gauge({
      name: 'plenum_scheduler_queue_depth',
      help: 'Jobs waiting to be scheduled (status pending), read from the database at scrape time.',
      ...on,
      async collect() {
        const pool = pools.values().next().value;
        if (!pool) return;
        try {
          const r = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobs WHERE status = 'pending'`);
          this.set(r.rows[0]?.n ?? 0);
        } catch {
          // PostgreSQL away: the pool gauges below show it; keep the last value rather than fail the scrape.
        }
      },
    }),
    tsdbRemoteSent: new client.Counter({ name: 'plenum_tsdb_remote_write_samples_total', help: 'Samples accepted by the Prometheus-compatible back-end (PLENUM_TSDB=prometheus-remote).', ...on }),
    tsdbRemoteDropped: new client.Counter({
      name: 'plenum_tsdb_remote_write_dropped_samples_total',
      help: 'Samples never delivered to the back-end, by reason (queue_full: back-end away too long; rejected: it answered 4xx).',
      labelNames: ['reason'] as const,
      ...on,
    }),
    tsdbRemoteRetries: new client.Counter({ name: 'plenum_tsdb_remote_write_retries_total', help: 'Remote-write requests that failed and were retried with backoff.', ...on }),
    tsdbRemoteQueue: new client.Gauge({ name: 'plenum_tsdb_remote_write_queued_samples', help: 'Samples waiting to be remote-written by this process.', ...on }),
    sseSubscribers: new client.Gauge({ name: 'plenum_sse_subscribers', help: 'Open live (SSE) subscriptions served by this process.', ...on }),
    dbPool: new client.Gauge({
      name: 'plenum_db_pool_connections',
      help: 'PostgreSQL pool connections of this process: total, idle, and clients waiting for one.',
      labelNames: ['pool', 'state'] as const,
      ...on,
      collect() {
        for (const [name, pool] of pools) {
          this.set({ pool: name, state: 'total' }, pool.totalCount);
          this.set({ pool: name, state: 'idle' }, pool.idleCount);
          this.set({ pool: name, state: 'waiting' }, pool.waitingCount);
        }
      },
    }),
  };
  // Every drop reason and this shard's scrape series show from the start (at 0): a chart or rate() never starts
  // from nothing, and this process scrapes no target until its scraper has loaded them.
  for (const reason of ['buffer_full', 'out_of_window', 'dialect']) metrics.ingestDropped.inc({ reason }, 0);
  metrics.scrapes.inc({ shard, result: 'ok' }, 0);
  metrics.scrapes.inc({ shard, result: 'error' }, 0);
  metrics.scrapeDuration.zero({ shard });
  metrics.scrapeLag.zero({ shard });
  metrics.scrapeTargets.set({ shard }, 0);
  return metrics;
}

/** The process's metrics (created on first use). */
export function selfMetrics(): SelfMetrics {
  const holder = globalThis as unknown as { __plenumSelfMetrics?: SelfMetrics };
  holder.__plenumSelfMetrics ??= createSelfMetrics();
  return holder.__plenumSelfMetrics;
}

/** Samples dropped for `reason` (snake_case, a fixed word per cause, never data from the sample). */
export function countIngestDrop(reason: string, samples: number): void {
  if (samples > 0) selfMetrics().ingestDropped.inc({ reason }, samples);
}

/** Remote-write to the Prometheus-compatible back-end: samples delivered, dropped by reason, retries, queue depth. */
export function countRemoteWriteSent(samples: number): void {
  selfMetrics().tsdbRemoteSent.inc(samples);
}
export function countRemoteWriteDrop(reason: 'queue_full' | 'rejected', samples: number): void {
  if (samples > 0) selfMetrics().tsdbRemoteDropped.inc({ reason }, samples);
}
export function countRemoteWriteRetry(): void {
  selfMetrics().tsdbRemoteRetries.inc();
}
export function setRemoteWriteQueue(samples: number): void {
  selfMetrics().tsdbRemoteQueue.set(samples);
}

export function setCompactionLag(seconds: number): void {
  selfMetrics().compactionLag.set(seconds);
}

/** Makes a pool's state (total / idle / waiting) visible under `name`. */
export function registerPool(name: string, pool: pg.Pool): void {
  selfMetrics().pools.set(name, pool);
}

/** The Prometheus text of this process's metrics and its content type. */
export async function renderSelfMetrics(): Promise<{ body: string; contentType: string }> {
  const { registry } = selfMetrics();
  return { body: await registry.metrics(), contentType: registry.contentType };
}

/**
 * Counts an SSE response as a subscriber while its stream is open: +1 now, −1 when the stream ends or the client
 * goes away. Other responses are returned unchanged.
 */
export function trackSseResponse(response: Response): Response {
  if (!response.body || !response.headers.get('content-type')?.startsWith('text/event-stream')) return response;
  const gauge = selfMetrics().sseSubscribers;
  gauge.inc();
  let open = true;
  const done = () => {
    if (open) gauge.dec();
    open = false;
  };
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done: finished, value } = await reader.read();
        if (finished) {
          done();
          controller.close();
        } else controller.enqueue(value);
      } catch (error) {
        done();
        controller.error(error);
      }
    },
    async cancel(reason) {
      done();
      await reader.cancel(reason);
    },
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}
