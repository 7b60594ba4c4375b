/**
 * Telemetry settings from the environment (read once; every value has a default that suits the demo).
 * Durations are in the unit their name says.
 */
import { defaultScrapeIntervalMs } from '../../db/seed/plan';

export type TelemetrySettings = {
  /**
   * Raw samples are kept this many days (whole daily partitions are dropped after). Default 7, or 1 when
   * PLENUM_TSDB=prometheus-remote (history then lives in the back-end; PostgreSQL keeps the latest day).
   */
  rawRetentionDays: number;
  /** 1-minute and 1-hour rollups are kept this many days (monthly partitions). */
  rollupRetentionDays: number;
  /** Scrape interval given to the simulator's own targets. */
  simScrapeIntervalMs: number;
  /** Most scrapes in flight at once. */
  scrapeConcurrency: number;
  /**
   * The sample buffer flushes at least this often. Default: 1/10 of the scrape interval, between 250 ms and 1 s (250 ms
   * at 1-2.5 s scrapes, 500 ms at 5 s, 1 s from 10 s). A flush is one transaction whatever it holds, and its fixed
   * cost (about 2 ms of PostgreSQL CPU, measured at the demo's 10 s scrapes) dominates at small sites; waiting 1/10 of
   * the interval delays a reading by at most a tenth of the time it already waits for its next scrape.
   */
  flushIntervalMs: number;
  /** Samples held while PostgreSQL is unreachable; beyond this the oldest are dropped (and counted). */
  bufferMaxSamples: number;
  rollupIntervalMs: number;
  /** How often the compaction worker looks for closed windows to compress. */
  compactionIntervalMs: number;
  /** A 30-minute window is compressed once it ended this long ago (at least 10 minutes). */
  compactionDelayMs: number;
  /**
   * How often alert rules are evaluated. Default: the scrape interval (PLENUM_SCRAPE_INTERVAL_MS), Prometheus's
   * convention of evaluation_interval = scrape_interval: each rule reads every series of its metric, and evaluating
   * faster than the data changes re-reads the same values (at 30 s scrapes a 5 s evaluation read each value six times).
   */
  alertIntervalMs: number;
  /** A series whose latest sample is older than this no longer counts for alerts. */
  alertStalenessMs: number;
  /** Largest remote-write request, decoded (snappy-uncompressed); larger ones get 413 before they are read whole. */
  remoteWriteMaxBytes: number;
  /** Largest scrape response body; a target sending more fails that scrape ("response larger than …"). */
  scrapeMaxBytes: number;
};

function num(env: Record<string, string | undefined>, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name}: must be a number ≥ ${min}, got "${raw}"`);
  return value;
}

export function telemetrySettings(env: Record<string, string | undefined> = process.env): TelemetrySettings {
  const simScrapeIntervalMs = num(env, 'PLENUM_SCRAPE_INTERVAL_MS', defaultScrapeIntervalMs(env.PLENUM_SEED), 250);
  return {
    rawRetentionDays: num(env, 'PLENUM_RAW_RETENTION_DAYS', env.PLENUM_TSDB?.trim() === 'prometheus-remote' ? 1 : 7, 1),
    rollupRetentionDays: num(env, 'PLENUM_ROLLUP_RETENTION_DAYS', 365, 1),
    simScrapeIntervalMs,
    scrapeConcurrency: num(env, 'PLENUM_SCRAPE_CONCURRENCY', 16, 1),
    flushIntervalMs: num(env, 'PLENUM_INGEST_FLUSH_MS', defaultFlushIntervalMs(simScrapeIntervalMs), 10),
    bufferMaxSamples: num(env, 'PLENUM_INGEST_BUFFER_SAMPLES', 2_000_000, 1_000),
    rollupIntervalMs: num(env, 'PLENUM_ROLLUP_INTERVAL_MS', 10_000, 100),
    compactionIntervalMs: num(env, 'PLENUM_COMPACTION_INTERVAL_MS', 60_000, 1_000),
    compactionDelayMs: num(env, 'PLENUM_COMPACTION_DELAY_MS', 600_000, 600_000),
    alertIntervalMs: num(env, 'PLENUM_ALERT_INTERVAL_MS', simScrapeIntervalMs, 100),
    alertStalenessMs: num(env, 'PLENUM_ALERT_STALENESS_MS', 60_000, 1_000),
    remoteWriteMaxBytes: num(env, 'PLENUM_REMOTE_WRITE_MAX_BYTES', 32 * 1024 * 1024, 1024),
    scrapeMaxBytes: num(env, 'PLENUM_SCRAPE_MAX_BYTES', 64 * 1024 * 1024, 1024),
  };
}

/** The flush interval for a scrape interval: 1/10 of it, at least 250 ms (live charts) and at most 1 s. */
export function defaultFlushIntervalMs(scrapeIntervalMs: number): number {
  return Math.min(1_000, Math.max(250, Math.round(scrapeIntervalMs / 10)));
}

/** "30s", "10m", "2h", "7d", "1500ms" or a bare number of seconds → milliseconds. */
export function parseDurationMs(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!m) throw new Error(`not a duration: "${text}" (use e.g. 500ms, 10s, 5m, 2h, 7d)`);
  const factor = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(m[1]) * factor);
}
