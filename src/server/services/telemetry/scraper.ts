/**
 * Scrapes the enabled targets on their intervals, with at most `concurrency` scrapes in flight and a per-target
 * timeout. Scraped text goes through the ingest pipeline; target health (last success / error / duration / samples)
 * is written in one batched UPDATE every second, and kept in memory while PostgreSQL is away.
 */
import type pg from 'pg';
import { type DialectName, ExpositionParseError } from '@/telemetry';
import { scrapeDialect } from './remote-backend';
import { selfMetrics } from '../self-metrics';
import type { IngestPipeline } from './ingest';
import { fetchExposition, ScrapeError, TargetGuard } from './target-guard';

type Target = {
  id: number;
  url: string;
  dialect: DialectName;
  intervalMs: number;
  timeoutMs: number;
  hostOverride: string | null;
  /** The target's security zone: its samples that map outside it are refused. Null: an all-zones target. */
  zoneId?: number | null;
  /** 'simulator' for the built-in simulator's own targets (on loopback, allowed without PLENUM_TARGET_ALLOW). */
  managedBy?: string | null;
};

type Health = { attemptAt: Date; ok: boolean; error: string | null; durationMs: number; samples: number };

const RELOAD_TARGETS_MS = 2_000;
const HEALTH_WRITE_MS = 1_000;
const TICK_MS = 100;

/**
 * What `lastError` says about a failed scrape: our own words only. Parse errors name the line, not its text (the
 * parser's message quotes the body, and a target must not be able to write into Plenum's UI or API through it).
 */
export function scrapeErrorText(error: unknown): string {
  if (error instanceof ScrapeError) return error.message.slice(0, 500);
  if (error instanceof ExpositionParseError) return `exposition line ${error.line} could not be parsed`;
  return 'scrape failed';
}

export class Scraper {
  private targets = new Map<number, Target>();
  private nextDueMs = new Map<number, number>();
  private inFlight = new Set<number>();
  private health = new Map<number, Health>();
  private timer: NodeJS.Timeout | undefined;
  private lastReloadMs = 0;
  private lastHealthWriteMs = 0;
  private reloading = false;
  private writingHealth = false;
  scrapes = 0;
  failures = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly ingest: IngestPipeline,
    private readonly concurrency: number,
    private readonly limits: { maxBytes: number; guard: TargetGuard } = { maxBytes: 64 * 1024 * 1024, guard: TargetGuard.fromEnv() },
  ) {}

  start(): void {
    const tick = () => {
      this.tick();
      if (this.timer !== undefined) this.timer = setTimeout(tick, TICK_MS);
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.writeHealth().catch(() => {});
  }

  get targetCount(): number {
    return this.targets.size;
  }

  private tick(): void {
    const now = Date.now();
    if (now - this.lastReloadMs >= RELOAD_TARGETS_MS && !this.reloading) {
      this.lastReloadMs = now;
      this.reloading = true;
      void this.reloadTargets().finally(() => (this.reloading = false));
    }
    if (now - this.lastHealthWriteMs >= HEALTH_WRITE_MS && !this.writingHealth && this.health.size > 0) {
      this.lastHealthWriteMs = now;
      this.writingHealth = true;
      void this.writeHealth()
        .catch(() => {})
        .finally(() => (this.writingHealth = false));
    }
    // The longest-overdue targets first: when scrape capacity is short, every target falls behind a little rather
    // than the high-numbered ones never being scraped.
    const dueTargets = [...this.targets.values()]
      .filter((t) => !this.inFlight.has(t.id) && (this.nextDueMs.get(t.id) ?? 0) <= now)
      .sort((a, b) => (this.nextDueMs.get(a.id) ?? 0) - (this.nextDueMs.get(b.id) ?? 0));
    for (const t of dueTargets) {
      if (this.inFlight.size >= this.concurrency) break;
      const due = this.nextDueMs.get(t.id) ?? 0;
      // Next slot on the target's own grid, so a slow scrape does not shift the schedule.
      this.nextDueMs.set(t.id, Math.max(due + t.intervalMs, now));
      this.inFlight.add(t.id);
      void this.scrape(t, due).finally(() => this.inFlight.delete(t.id));
    }
  }

  private async reloadTargets(): Promise<void> {
    try {
      const rows = await this.pool.query<{
        id: number;
        url: string;
        dialect: DialectName;
        interval_ms: number;
        timeout_ms: number;
        host_override: string | null;
        managed_by: string | null;
        security_zone_id: number | null;
      }>('SELECT id, url, dialect, interval_ms, timeout_ms, host_override, managed_by, security_zone_id FROM scrape_targets WHERE enabled ORDER BY id');
      const next = new Map<number, Target>();
      for (const r of rows.rows) {
        next.set(r.id, {
          id: r.id,
          url: r.url,
          dialect: r.dialect,
          intervalMs: r.interval_ms,
          timeoutMs: r.timeout_ms,
          hostOverride: r.host_override,
          managedBy: r.managed_by,
          zoneId: r.security_zone_id,
        });
        // Spread first scrapes over the interval so 100 new targets do not all fire in the same tick.
        if (!this.nextDueMs.has(r.id)) this.nextDueMs.set(r.id, Date.now() + ((r.id * 7919) % Math.max(1, r.interval_ms)));
      }
      // A removed target, or one whose dialect / host override / URL changed, leaves per-target ingest state behind.
      for (const [id, old] of this.targets) {
        const now = next.get(id);
        if (!now || now.dialect !== old.dialect || now.hostOverride !== old.hostOverride || now.url !== old.url) this.ingest.lineCaches.forgetTarget(id);
      }
      this.targets = next;
      const metrics = selfMetrics();
      metrics.scrapeTargets.set({ shard: metrics.shard }, next.size);
      for (const id of this.nextDueMs.keys()) if (!next.has(id)) this.nextDueMs.delete(id);
    } catch {
      // PostgreSQL away: keep scraping the targets we know; samples are buffered by the pipeline.
    }
  }

  /** Scrapes one target now (also used by tests); `dueMs` is the slot it was due in, for the lag metric. */
  async scrape(t: Target, dueMs?: number): Promise<Health> {
    const started = Date.now();
    const startedPerf = performance.now();
    let health: Health;
    try {
      const text = await fetchExposition(t.url, {
        timeoutMs: t.timeoutMs,
        maxBytes: this.limits.maxBytes,
        guard: t.managedBy === 'simulator' ? null : this.limits.guard,
      });
      const instance = t.dialect === 'prometheus' ? new URL(t.url).host : undefined;
      const samples = this.ingest.ingestText(text, scrapeDialect(t.url, t.dialect), {
        targetId: t.id,
        nowMs: started,
        ...(t.hostOverride ? { hostname: t.hostOverride } : {}),
        ...(instance ? { instance } : {}),
        ...(t.zoneId != null ? { zones: new Set([t.zoneId]) } : {}),
      });
      health = { attemptAt: new Date(started), ok: true, error: null, durationMs: performance.now() - startedPerf, samples };
    } catch (error) {
      this.failures++;
      health = { attemptAt: new Date(started), ok: false, error: scrapeErrorText(error), durationMs: performance.now() - startedPerf, samples: 0 };
    }
    this.scrapes++;
    const metrics = selfMetrics();
    metrics.scrapes.inc({ shard: metrics.shard, result: health.ok ? 'ok' : 'error' });
    metrics.scrapeDuration.observe({ shard: metrics.shard }, health.durationMs / 1000);
    if (dueMs !== undefined && dueMs > 0) metrics.scrapeLag.observe({ shard: metrics.shard }, Math.max(0, started - dueMs) / 1000);
    const previous = this.health.get(t.id);
    // Keep a failure visible until it is written, even if a success follows within the same second.
    this.health.set(t.id, previous && !previous.ok && health.ok ? { ...health, error: previous.error } : health);
    return health;
  }

  private async writeHealth(): Promise<void> {
    if (this.health.size === 0) return;
    const entries = [...this.health.entries()];
    this.health.clear();
    try {
      await this.pool.query(
        `UPDATE scrape_targets t SET
            last_attempt_at = u.at,
            last_success_at = CASE WHEN u.ok THEN u.at ELSE t.last_success_at END,
            last_error_at = CASE WHEN u.ok THEN t.last_error_at ELSE u.at END,
            last_error = CASE WHEN u.ok THEN t.last_error ELSE u.error END,
            last_duration_ms = u.duration,
            last_sample_count = u.samples,
            consecutive_failures = CASE WHEN u.ok THEN 0 ELSE t.consecutive_failures + 1 END
          FROM unnest($1::int[], $2::timestamptz[], $3::bool[], $4::text[], $5::float8[], $6::int[]) AS u(id, at, ok, error, duration, samples)
         WHERE t.id = u.id`,
        [
          entries.map(([id]) => id),
          entries.map(([, h]) => h.attemptAt),
          entries.map(([, h]) => h.ok),
          entries.map(([, h]) => h.error),
          entries.map(([, h]) => h.durationMs),
          entries.map(([, h]) => h.samples),
        ],
      );
    } catch (error) {
      for (const [id, h] of entries) if (!this.health.has(id)) this.health.set(id, h);
      throw error;
    }
  }
}
