/**
 * Telemetry services of one process, as WorkerRunner workers (each reports a heartbeat that /api/health shows):
 * ingest (flush loop + buffer stats), scraper, partitions (create ahead / drop expired), mapping (re-map series when
 * the inventory changes), rollups, compaction (closed windows of raw samples → compressed chunks) and alerts. Any of them can run in another process against the same database.
 */
import type pg from 'pg';
import { registerPool } from '../self-metrics';
import { totalDrops } from '@/telemetry';
import { type InstanceRegistry, roleWorker, scrapeMembership } from '../instances';
import type { Worker } from '../workers';
import { AlertEvaluator, ensureDefaultRules } from './alerts';
import { compactClosedWindows } from './compaction';
import { type TelemetrySettings, telemetrySettings } from './config';
import { IngestPipeline, remapSeries } from './ingest';
import { ageOutLatest, LATEST_KEEP_MS } from './latest-store';
import { maintainPartitions } from './partitions';
import { RemoteWriter, tsdbBackend } from './remote-backend';
import { refreshSiteTrendStore } from '../dashboards';
import { runRollups } from './rollups';
import { Scraper } from './scraper';
import { TargetGuard } from './target-guard';

export type TelemetryRuntime = { ingest: IngestPipeline; scraper: Scraper; workers: Worker[]; settings: TelemetrySettings; remote: RemoteWriter | undefined };

/** The pipeline of this process, shared with the Next.js route handlers (remote-write) through globalThis. */
export function setProcessIngest(ingest: IngestPipeline): void {
  (globalThis as unknown as { __plenumIngest?: IngestPipeline }).__plenumIngest = ingest;
}
export function getProcessIngest(): IngestPipeline | undefined {
  return (globalThis as unknown as { __plenumIngest?: IngestPipeline }).__plenumIngest;
}

/**
 * With an instance registry, each worker runs under its role (roleWorker): the scraper only with `scrape` (and then
 * only its rendezvous shard), rollups, partitions (with compaction) and alerts only while this instance holds that
 * role. Ingest and series mapping run in every instance (remote-write arrives at any web instance).
 */
export async function createTelemetry(pool: pg.Pool, settings = telemetrySettings(), registry?: InstanceRegistry): Promise<TelemetryRuntime> {
  registerPool('workers', pool);
  const retention = { rawRetentionDays: settings.rawRetentionDays, rollupRetentionDays: settings.rollupRetentionDays };
  await maintainPartitions(pool, retention);
  await ensureDefaultRules(pool);
  // PLENUM_TSDB=prometheus-remote: everything committed is also remote-written to the back-end (remote-backend.ts).
  const backend = tsdbBackend();
  const remote = backend.kind === 'prometheus-remote' ? new RemoteWriter(pool, backend) : undefined;
  const ingest = new IngestPipeline(pool, {
    bufferMaxSamples: settings.bufferMaxSamples,
    rawRetentionDays: settings.rawRetentionDays,
    ...(remote ? { onCommitted: remote.accept, onSeriesEnded: remote.acceptEnds } : {}),
  });
  await ingest.loadInventory();
  setProcessIngest(ingest);
  const shard = registry && {
    membership: () => scrapeMembership(pool, registry.id),
    onShardSize: (targets: number) => {
      registry.shardSize = targets;
    },
  };
  const scraper = new Scraper(pool, ingest, settings.scrapeConcurrency, { maxBytes: settings.scrapeMaxBytes, guard: TargetGuard.fromEnv() }, shard);
  const evaluator = new AlertEvaluator(pool, settings.alertStalenessMs);

  const workers: (Worker | undefined)[] = [
    {
      name: 'telemetry-ingest',
      intervalMs: 2_000,
      tick: async () => {
        const s = ingest.stats;
        if (s.lastFlushError && s.bufferedSamples > 0) throw new Error(`buffering ${s.bufferedSamples} samples: ${s.lastFlushError}`);
        return `written ${s.writtenSamples}, buffered ${s.bufferedSamples}, dropped ${s.droppedSamples}, out of window ${s.outOfWindowSamples}, invalid ${totalDrops(s.inputDropped)}, refused by the database ${s.rejectedSamples}, series ${s.seriesKnown}`;
      },
      stop: () => ingest.stop(),
    },
    roleWorker(registry, 'scrape', {
      name: 'telemetry-scraper',
      intervalMs: 5_000,
      tick: async () => `${scraper.targetCount} targets${registry ? ' in this shard' : ''}, ${scraper.scrapes} scrapes, ${scraper.failures} failed`,
      stop: () => scraper.stop(),
    }),
    roleWorker(registry, 'partitions', {
      name: 'telemetry-partitions',
      intervalMs: 3_600_000,
      tick: async () => {
        const r = await maintainPartitions(pool, retention);
        return `created ${r.created.length}, dropped ${r.dropped.length}`;
      },
    }),
    {
      name: 'telemetry-mapping',
      intervalMs: 30_000,
      tick: async () => {
        const changed = await ingest.refreshInventory();
        const remapped = changed ? await remapSeries(pool, ingest.mapper) : 0;
        return `inventory ${changed ? 'changed' : 'unchanged'}, ${remapped} series re-mapped`;
      },
    },
    roleWorker(registry, 'rollups', {
      name: 'telemetry-rollups',
      intervalMs: settings.rollupIntervalMs,
      tick: async () => {
        const r = await runRollups(pool);
        // Then the stored site trends of the minutes it took (site-trend-store.ts), from the same process.
        const t = await refreshSiteTrendStore(pool);
        return `${r.samples} samples of ${r.batches} flushes added to ${r.minuteBuckets} minute buckets; ${r.queuedBatches} queued, oldest ${Math.round(r.lagSeconds)} s; site trends: ${t.locked ? `${t.minutes} minutes recomputed in ${t.ms} ms${t.reset ? ' (reset)' : ''}` : 'another process'}`;
      },
    }),
    roleWorker(registry, 'partitions', {
      name: 'telemetry-latest-age-out',
      intervalMs: 60_000,
      tick: async () => `${await ageOutLatest(pool)} latest values older than ${LATEST_KEEP_MS / 60_000} min deleted`,
    }),
    roleWorker(registry, 'partitions', {
      name: 'telemetry-compaction',
      intervalMs: settings.compactionIntervalMs,
      tick: async () => {
        // Never compact the last `alertStalenessMs` (+ 1 min): raw readers of the last minutes find them in the write table.
        const r = await compactClosedWindows(pool, { delayMs: Math.max(settings.compactionDelayMs, settings.alertStalenessMs + 60_000) });
        if (r.skipped) return 'another process compacts';
        return `${r.windows} windows, ${r.chunks} chunks, ${r.samples} samples compressed; lag ${Math.round(r.lagMs / 1000)} s`;
      },
    }),
    roleWorker(registry, 'alerts', {
      name: 'telemetry-alerts',
      intervalMs: settings.alertIntervalMs,
      tick: async () => {
        const r = await evaluator.evaluate();
        return r.skipped ? 'another process evaluates' : `fired ${r.fired}, resolved ${r.resolved}`;
      },
    }),
  ];
  if (remote) {
    workers.push({
      name: 'telemetry-remote-write',
      intervalMs: 5_000,
      tick: async () => {
        const s = remote.stats;
        if (s.lastError && s.queuedSamples > 0) throw new Error(`queueing ${s.queuedSamples} samples: ${s.lastError}`);
        return `sent ${s.sentSamples}, queued ${s.queuedSamples}, dropped ${s.droppedQueueFull} (queue full) + ${s.droppedRejected} (refused), ${s.retries} retries`;
      },
      // After the ingest's last flush (workers stop in order), so its rows are sent too.
      stop: () => remote.stop(),
    });
    remote.start(1_000);
  }
  ingest.startFlushLoop(settings.flushIntervalMs);
  if (!registry || registry.rolesRequested.includes('scrape')) scraper.start();
  return { ingest, scraper, workers: workers.filter((worker): worker is Worker => worker !== undefined), settings, remote };
}
