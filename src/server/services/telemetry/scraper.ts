/**
 * Scrapes the enabled targets on their intervals, with at most `concurrency` scrapes in flight and a per-target
 * timeout. Scraped text goes through the ingest pipeline; target health (last success / error / duration / samples)
 * is written in one batched UPDATE every second, and kept in memory while PostgreSQL is away.
 *
 * With several instances, each scrapes only its shard: the targets that rendezvous hashing over the live `scrape`
 * instances gives it (membership re-read with the targets, every 2 s, so a join or a crash rebalances within a few
 * seconds). Simulator targets are scraped at the simulated world's advertised endpoint (services/instances.ts).
 */
import type pg from 'pg';
import { Rendezvous } from '@/domain/rendezvous';
import { type DialectName, ExpositionParseError } from '@/telemetry';
import type { TargetDialect } from '../../db/schema/telemetry';
import { preparedQuery } from '../../db/statement-params';
import { localSimulatorEndpoints, resolveSimulatorUrl, type ScrapeMembership, worldEndpoints } from '../instances';
import { scrapeDialect } from './remote-backend';
import { selfMetrics } from '../self-metrics';
import { DueQueue } from './due-queue';
import { collectorFor } from './collectors/index';
import { type CollectorTarget, isCollectorDialect } from './collectors/types';
import type { IngestPipeline } from './ingest';
import { fetchExposition, ScrapeError, TargetGuard } from './target-guard';

type Target = {
  id: number;
  url: string;
  dialect: TargetDialect | DialectName;
  intervalMs: number;
  timeoutMs: number;
  hostOverride: string | null;
  /** The target's security zone: its samples that map outside it are refused. Null: an all-zones target. */
  zoneId?: number | null;
  /** 'simulator' for the built-in simulator's own targets (on loopback, allowed without PLENUM_TARGET_ALLOW). */
  managedBy?: string | null;
  /** Facility collector targets (snmp / redfish / modbus): settings, secrets and the facility object read. */
  options?: Record<string, unknown>;
  credentials?: Record<string, unknown>;
  facility?: { name: string; siteSlug: string } | null;
};

type Health = { attemptAt: Date; ok: boolean; error: string | null; durationMs: number; samples: number };

const RELOAD_TARGETS_MS = 2_000;
/**
 * A target handed over by a live instance is first scraped here only after that instance has surely re-read the
 * membership and let it go (it re-reads every RELOAD_TARGETS_MS), so the two never scrape it in the same slot.
 */
const HANDOVER_MS = RELOAD_TARGETS_MS + 1_000;
/**
 * The target list is read again when scrape_targets_version moved (migration 0038), the membership or the world's
 * endpoints changed, or at least this often (names of facility objects, which the version does not follow).
 */
const FULL_RELOAD_MS = 60_000;
/** After a failed simulator scrape, reload sooner: the world may have moved to another instance. */
const RELOAD_AFTER_SIMULATOR_FAILURE_MS = 500;
const HEALTH_WRITE_MS = 1_000;
const TICK_MS = 100;
/** A scrape that starts at most this long after its slot stamps its samples with the slot: see scrapeTimestampMs. */
export const SCRAPE_STAMP_TOLERANCE_MS = 2 * TICK_MS;

/**
 * The timestamp of a scrape's samples (those whose exposition line carries none): the slot it was due in on the
 * target's grid when it started at most SCRAPE_STAMP_TOLERANCE_MS, and a fiftieth of its interval, after it; else the
 * time it started. The scheduler starts a scrape up to a tick after its slot, so a target's start times wander by up
 * to ~100 ms from one scrape to the next, and stored as they are each sample's delta-of-delta costs ~12 bits in its
 * chunk (about as much as its value), where slot times repeat one interval (1 bit). Prometheus aligns timestamps the
 * same way (prometheus/prometheus#7976, 2 ms by default, at most 1 % of the interval, for a scheduler with exact
 * timers); this one ticks every 100 ms, hence its larger tolerance. Exporters sample their devices on their own
 * clocks, so a shift of a tick says nothing false about a 10-30 s series.
 */
export function scrapeTimestampMs(startedMs: number, dueMs: number | undefined, intervalMs: number): number {
  if (dueMs === undefined || dueMs <= 0) return startedMs;
  const late = startedMs - dueMs;
  return late >= 0 && late <= Math.min(SCRAPE_STAMP_TOLERANCE_MS, intervalMs / 50) ? Math.round(dueMs) : startedMs;
}

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
  /** The targets by due time (entries whose time no longer matches nextDueMs are stale and skipped). */
  private dueQueue = new DueQueue();
  private inFlight = new Set<number>();
  /** Targets that came due while their previous scrape was still running: queued again when it ends. */
  private dueWhileInFlight = new Set<number>();
  private health = new Map<number, Health>();
  private timer: NodeJS.Timeout | undefined;
  private lastReloadMs = 0;
  private lastHealthWriteMs = 0;
  private reloading = false;
  private writingHealth = false;
  private simulatorEndpoints: Record<string, string> = {};
  private simulatorFailed = false;
  /** Simulator targets whose last scrape failed: scraped at once when the world comes back elsewhere. */
  private failedSimulatorTargets = new Set<number>();
  /** The scrape membership of the last reload, to tell a hand-over from a live instance from a dead one's share. */
  private membership: { hrw: Rendezvous; members: Set<string> } | undefined;
  /** What the target list was last read for: the targets' version, the membership and when (FULL_RELOAD_MS). */
  private loaded: { version: string; members: string; atMs: number } | undefined;
  /** Times the target list was read (tests, diagnostics). */
  targetListReads = 0;
  scrapes = 0;
  failures = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly ingest: IngestPipeline,
    private readonly concurrency: number,
    private readonly limits: { maxBytes: number; guard: TargetGuard } = { maxBytes: 64 * 1024 * 1024, guard: TargetGuard.fromEnv() },
    /**
     * The registry's view (services/instances.ts scrapeMembership), re-read on every reload. Without it this scraper
     * scrapes every target, and finds the simulator through this process's own advertised endpoints.
     */
    private readonly shard?: { membership: () => Promise<ScrapeMembership>; onShardSize?: (targets: number) => void },
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
    const reloadAfterMs = this.simulatorFailed ? RELOAD_AFTER_SIMULATOR_FAILURE_MS : RELOAD_TARGETS_MS;
    if (now - this.lastReloadMs >= reloadAfterMs && !this.reloading) {
      this.simulatorFailed = false;
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
    this.startDueScrapes(now);
  }

  /** Sets when a target is next due (the one place that does, so the queue holds every due time). */
  private setDue(id: number, dueMs: number): void {
    this.nextDueMs.set(id, dueMs);
    this.dueQueue.push(dueMs, id);
  }

  /**
   * Starts the longest-overdue targets while there is room under `concurrency`: when scrape capacity is short, every
   * target falls behind a little rather than the high-numbered ones never being scraped. Called on every tick and
   * whenever a scrape ends, so a freed slot is used at once (not at the next tick, which capped a scraper at
   * concurrency × 10 scrapes a second).
   */
  private startDueScrapes(now: number): void {
    while (this.inFlight.size < this.concurrency && this.dueQueue.peekDue() <= now) {
      const { dueMs: due, id } = this.dueQueue.pop()!;
      if (this.nextDueMs.get(id) !== due) continue; // stale: rescheduled or removed since
      const t = this.targets.get(id);
      if (!t) continue;
      if (this.inFlight.has(id)) {
        this.dueWhileInFlight.add(id);
        continue;
      }
      // Next slot on the target's own grid, so a slow scrape does not shift the schedule.
      this.setDue(id, Math.max(due + t.intervalMs, now));
      this.inFlight.add(id);
      void this.scrape(t, due).finally(() => {
        this.inFlight.delete(id);
        if (this.dueWhileInFlight.delete(id)) {
          const next = this.nextDueMs.get(id);
          if (next !== undefined) this.dueQueue.push(next, id);
        }
        if (this.timer !== undefined) this.startDueScrapes(Date.now());
      });
    }
  }

  /** Nothing the target list depends on moved since it was read (and it was read less than FULL_RELOAD_MS ago). */
  private listIsCurrent(version: string, membershipKey: string, endpoints: Record<string, string>): boolean {
    const loaded = this.loaded;
    return (
      loaded !== undefined &&
      loaded.version === version &&
      loaded.members === membershipKey &&
      JSON.stringify(endpoints) === JSON.stringify(this.simulatorEndpoints) &&
      Date.now() - loaded.atMs < FULL_RELOAD_MS
    );
  }

  private async reloadTargets(): Promise<void> {
    try {
      let owns = (_id: number) => true;
      let handedOverByLiveInstance = (_id: number) => false;
      let endpoints: Record<string, string>;
      // Read before the list: a change committed in between is in the list and moves nothing later.
      const version = (await preparedQuery<{ version: string }>(this.pool, 'SELECT version FROM scrape_targets_version')).rows[0]?.version ?? '';
      let membershipKey = '';
      if (this.shard) {
        const membership = await this.shard.membership();
        membershipKey = JSON.stringify([membership.self, ...membership.members]);
        if (this.listIsCurrent(version, membershipKey, membership.simulatorEndpoints)) return;
        const hrw = new Rendezvous(membership.members);
        const members = new Set(membership.members);
        // Not (or no longer) among the live scrape instances: scrape nothing until the registry has this one again.
        owns = (id) => hrw.owner(id) === membership.self;
        // Who scraped it before: the owner under the last membership, or (first reload) under the others alone.
        const before = this.membership?.hrw ?? new Rendezvous(membership.members.filter((id) => id !== membership.self));
        handedOverByLiveInstance = (id) => {
          const owner = before.owner(id);
          return owner !== undefined && owner !== membership.self && members.has(owner);
        };
        this.membership = { hrw, members };
        endpoints = membership.simulatorEndpoints;
      } else {
        // A process without a registry: its own world if it runs one, else the one the registry knows (a separate
        // `npm run simulator -- serve`).
        const local = localSimulatorEndpoints();
        endpoints = Object.keys(local).length ? local : await worldEndpoints(this.pool).catch(() => ({}));
        if (this.listIsCurrent(version, membershipKey, endpoints)) return;
      }
      // The world moved (a failover): scrape its targets now rather than at their next slot, to keep the gap short.
      const worldMoved = Object.keys(endpoints).length > 0 && JSON.stringify(endpoints) !== JSON.stringify(this.simulatorEndpoints);
      this.simulatorEndpoints = endpoints;
      const rows = await this.pool.query<{
        id: number;
        url: string;
        dialect: DialectName;
        interval_ms: number;
        timeout_ms: number;
        host_override: string | null;
        managed_by: string | null;
        security_zone_id: number | null;
        options: Record<string, unknown>;
        credentials: Record<string, unknown>;
        facility_name: string | null;
        facility_site: string | null;
        last_attempt_ms: number | null;
      }>(
        `SELECT t.id, t.url, t.dialect, t.interval_ms, t.timeout_ms, t.host_override, t.managed_by, t.security_zone_id, t.options, t.credentials,
                coalesce(pn.name, cu.name) AS facility_name, s.slug AS facility_site,
                (extract(epoch FROM t.last_attempt_at) * 1000)::float8 AS last_attempt_ms
           FROM scrape_targets t
           LEFT JOIN power_nodes pn ON pn.id = t.power_node_id
           LEFT JOIN cooling_units cu ON cu.id = t.cooling_unit_id
           LEFT JOIN sites s ON s.id = coalesce(pn.site_id, cu.site_id)
          WHERE t.enabled ORDER BY t.id`,
      );
      this.targetListReads++;
      this.loaded = { version, members: membershipKey, atMs: Date.now() };
      const next = new Map<number, Target>();
      const now = Date.now();
      const enabled = new Set<number>();
      for (const r of rows.rows) {
        enabled.add(r.id);
        if (!owns(r.id)) continue;
        next.set(r.id, {
          id: r.id,
          url: r.url,
          dialect: r.dialect,
          intervalMs: r.interval_ms,
          timeoutMs: r.timeout_ms,
          hostOverride: r.host_override,
          managedBy: r.managed_by,
          zoneId: r.security_zone_id,
          options: r.options,
          credentials: r.credentials,
          facility: r.facility_name !== null && r.facility_site !== null ? { name: r.facility_name, siteSlug: r.facility_site } : null,
        });
        if (!this.nextDueMs.has(r.id)) {
          // A target taken over from another instance keeps its grid (next slot after its last scrape there); new
          // ones spread their first scrapes over the interval so 100 new targets do not all fire in the same tick.
          const interval = Math.max(1, r.interval_ms);
          if (r.last_attempt_ms !== null && now - r.last_attempt_ms < 2 * interval) {
            let due = r.last_attempt_ms + interval;
            const notBefore = handedOverByLiveInstance(r.id) ? now + HANDOVER_MS : now;
            while (due < notBefore) due += interval;
            this.setDue(r.id, due);
          } else {
            this.setDue(r.id, now + ((r.id * 7919) % interval));
          }
        }
      }
      // A removed target, or one whose dialect / host override / URL changed, leaves per-target ingest state behind.
      for (const [id, old] of this.targets) {
        const current = next.get(id);
        if (!current || current.dialect !== old.dialect || current.hostOverride !== old.hostOverride || current.url !== old.url) this.ingest.lineCaches.forgetTarget(id);
        // Scrape-side staleness: a removed or disabled target's series end now (Prometheus does the same when a target
        // goes); one handed to another instance's shard is scraped on there, so nothing ends.
        if (!current && !enabled.has(id)) this.ingest.endTargetSeries(id, now);
        if (!current) this.ingest.forgetTargetSeries(id);
      }
      if (worldMoved) for (const id of this.failedSimulatorTargets) if (next.has(id)) this.setDue(id, now);
      this.targets = next;
      this.shard?.onShardSize?.(next.size);
      const metrics = selfMetrics();
      metrics.scrapeTargets.set({ shard: metrics.shard }, next.size);
      for (const id of this.nextDueMs.keys()) if (!next.has(id)) this.nextDueMs.delete(id);
      for (const id of this.dueWhileInFlight) if (!next.has(id)) this.dueWhileInFlight.delete(id);
      for (const id of this.failedSimulatorTargets) if (!next.has(id)) this.failedSimulatorTargets.delete(id);
    } catch {
      // PostgreSQL away: keep scraping the targets we know; samples are buffered by the pipeline.
    }
  }

  /**
   * Scrapes one target now (also used by tests); `dueMs` is the slot it was due in, for the lag metric and the samples'
   * timestamp (scrapeTimestampMs).
   */
  async scrape(t: Target, dueMs?: number): Promise<Health> {
    const started = Date.now();
    const stamp = scrapeTimestampMs(started, dueMs, t.intervalMs);
    const startedPerf = performance.now();
    let health: Health;
    try {
      if (isCollectorDialect(t.dialect)) {
        // Device protocols carry the world's own address (re-registered by a world that takes over): no placeholder.
        const samples = await this.collect(t, t.dialect, stamp);
        health = { attemptAt: new Date(started), ok: true, error: null, durationMs: performance.now() - startedPerf, samples };
      } else {
        const url = t.managedBy === 'simulator' ? this.simulatorUrl(t.url) : t.url;
        const text = await fetchExposition(url, {
          timeoutMs: t.timeoutMs,
          maxBytes: this.limits.maxBytes,
          guard: t.managedBy === 'simulator' ? null : this.limits.guard,
        });
        const instance = t.dialect === 'prometheus' ? new URL(t.url).host : undefined;
        const samples = this.ingest.ingestText(text, scrapeDialect(t.url, t.dialect), {
          targetId: t.id,
          nowMs: stamp,
          ...(t.hostOverride ? { hostname: t.hostOverride } : {}),
          ...(instance ? { instance } : {}),
          ...(t.zoneId != null ? { zones: new Set([t.zoneId]) } : {}),
        });
        health = { attemptAt: new Date(started), ok: true, error: null, durationMs: performance.now() - startedPerf, samples };
      }
      this.failedSimulatorTargets.delete(t.id);
    } catch (error) {
      this.failures++;
      // As Prometheus: a failed scrape ends every series the target's last successful scrape delivered.
      this.ingest.endTargetSeries(t.id, started);
      if (t.managedBy === 'simulator') {
        this.simulatorFailed = true;
        this.failedSimulatorTargets.add(t.id);
      }
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

  /**
   * A facility collector target: the collector reads the device (the target's timeout bounds the whole read), and its
   * readings are ingested as a scrape of this target. Returns the number of samples accepted.
   */
  private async collect(t: Target, dialect: CollectorTarget['dialect'], stampMs: number): Promise<number> {
    const collector = collectorFor(dialect);
    if (!collector) throw new ScrapeError(`no ${dialect} collector in this version of Plenum`);
    const samples = await collector.collect(
      {
        id: t.id,
        url: t.url,
        dialect,
        timeoutMs: t.timeoutMs,
        options: t.options ?? {},
        credentials: t.credentials ?? {},
        facility: t.facility ?? null,
      },
      { signal: AbortSignal.timeout(t.timeoutMs), guard: t.managedBy === 'simulator' ? null : this.limits.guard, nowMs: stampMs },
    );
    return this.ingest.ingestCollected(samples, { targetId: t.id, nowMs: stampMs, ...(t.zoneId != null ? { zones: new Set([t.zoneId]) } : {}) });
  }

  /** Where a simulator target answers now: its URL with the world's advertised endpoint for its scheme. */
  private simulatorUrl(url: string): string {
    const resolved = resolveSimulatorUrl(url, this.shard ? this.simulatorEndpoints : { ...this.simulatorEndpoints, ...localSimulatorEndpoints() });
    if (!resolved) throw new ScrapeError(`no simulated world advertises a ${new URL(url).protocol.replace(/:$/, '')} endpoint (is an instance with the simulator role running?)`);
    return resolved;
  }

  private async writeHealth(): Promise<void> {
    if (this.health.size === 0) return;
    const entries = [...this.health.entries()];
    this.health.clear();
    try {
      await preparedQuery(
        this.pool,
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
