/**
 * Compute once, fan out: a live dashboard aggregate (overview, power, thermal, utilisation) is computed once per
 * telemetry update per scope, for every subscriber and every query in every instance.
 *
 * - A scope key names what an aggregate covers (`overview:<site>:all`, `overview:<site>:zones:3,5`, `thermal:<hall>`),
 *   so callers with different zone grants never share a body.
 * - Each ingest flush NOTIFYs its transaction id as the telemetry `version`. An aggregate is current when it reflects
 *   the latest version this process heard of and is younger than MAX_AGE_MS (jobs and alerts change without telemetry).
 * - A stale aggregate is refreshed single-flight per key in a process and, across processes, under a transaction
 *   advisory lock on the key: the first instance computes and stores the body in `dashboard_snapshots`, the others wait
 *   on the lock and then read that row. The computing instance NOTIFYs the key (not the body: NOTIFY payloads are
 *   limited to 8000 bytes) so every instance pushes the new body to its SSE subscribers.
 * - A process that holds nothing for a key yet (it just started) serves the stored row while it is as young as a held
 *   aggregate may be (heldMaxAgeMs, from the row's own computation time) and refreshes behind it, as after an update;
 *   an older row, or none, is computed first.
 */
import type pg from 'pg';
import { type SiteTrends, siteTrends, type TimeWindow } from './dashboards';
import { TELEMETRY_CHANNEL } from './telemetry/ingest';
import { ROLLUP_CHANNEL } from './telemetry/rollups';
import { getNotifyBus, NotifyBus } from './telemetry/notify-bus';

export const DASHBOARD_CHANNEL = 'plenum_dashboards';
/** Without a telemetry update an aggregate is still recomputed this often (jobs, alerts, staleness of readings). */
export const MAX_AGE_MS = 10_000;
/** A scope is refreshed at most this often however often the ingest commits (it flushes every second). */
export const MIN_REFRESH_INTERVAL_MS = 1_000;
/**
 * And no more often than this many times its last computation's duration, so that one scope's refreshes take at most
 * a quarter of a core: at 100,000 GPUs an aggregate takes seconds, and a refresh a second would never stop.
 */
export const REFRESH_COST_FACTOR = 4;
const LOCK_NAMESPACE = 'plenum-dashboard:';

/** How often a key may be refreshed: MIN_REFRESH_INTERVAL_MS, or longer when its computation is slow. */
function refreshIntervalMs(computeMs: number): number {
  return Math.max(MIN_REFRESH_INTERVAL_MS, REFRESH_COST_FACTOR * computeMs);
}

/**
 * How old an aggregate may be and still be served while a refresh runs behind it: MAX_AGE_MS, or two refresh
 * intervals of a slow computation (a refresh waits one interval, then takes a quarter of one to compute).
 */
export function heldMaxAgeMs(computeMs: number): number {
  return Math.max(MAX_AGE_MS, 2 * refreshIntervalMs(computeMs));
}

/** `computeMs`: how long its computation took, wherever it ran (0: not recorded). */
export type Snapshot<T = unknown> = { key: string; version: number; computedAtMs: number; computeMs: number; body: T };
type Listener = (snapshot: Snapshot) => void;
type Entry = {
  snapshot: Snapshot | undefined;
  inflight: Promise<Snapshot> | undefined;
  compute: (() => Promise<unknown>) | undefined;
  listeners: Set<Listener>;
  lastRefreshMs: number;
  /** How long the last computation of the key took: here, or in the instance whose row was adopted (0: unknown). */
  lastComputeMs: number;
  timer: NodeJS.Timeout | undefined;
  /** The read of the stored row by a process that holds nothing for the key yet (one for all its first callers). */
  storedRead: Promise<void> | undefined;
};

export class LiveAggregates {
  /** The newest telemetry version heard on the bus (0 until the first flush after start). */
  private latestVersion = 0;
  private readonly entries = new Map<string, Entry>();
  /** Aggregates this process computed itself, per key (the rest it read from another instance's row). */
  readonly computations = new Map<string, number>();
  private readonly unsubscribe: Array<() => void>;
  private readonly sweep: NodeJS.Timeout;

  constructor(
    private readonly pool: pg.Pool,
    bus: NotifyBus,
  ) {
    this.unsubscribe = [
      bus.subscribe(TELEMETRY_CHANNEL, (payload) => this.onTelemetry(payload)),
      bus.subscribe(DASHBOARD_CHANNEL, (key) => this.onAnnounced(key)),
    ];
    // Subscribed scopes are refreshed when they age out even if no telemetry arrives.
    this.sweep = setInterval(() => {
      for (const [key, entry] of this.entries) if (entry.listeners.size > 0 && !this.isCurrent(entry, 'latest')) this.schedule(key);
    }, 1_000);
    this.sweep.unref();
  }

  close(): void {
    clearInterval(this.sweep);
    for (const off of this.unsubscribe) off();
    for (const entry of this.entries.values()) if (entry.timer) clearTimeout(entry.timer);
  }

  /**
   * The aggregate for a key: the current one; else, while the held one is younger than heldMaxAgeMs, that one at once
   * with a refresh started behind it (a periodic query never waits for a recomputation: live subscribers get the
   * new one pushed); else another instance's or one computed now (once for all callers). A process holding nothing
   * for the key yet first adopts the stored row when that is young enough to be held.
   */
  async get<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const entry = this.entry(key);
    entry.compute = compute;
    if (!entry.snapshot && !entry.inflight) await this.adoptStored(key, entry);
    if (this.isCurrent(entry, 'recent')) return entry.snapshot!.body as T;
    if (entry.snapshot && Date.now() - entry.snapshot.computedAtMs < heldMaxAgeMs(entry.lastComputeMs)) {
      if (!entry.inflight && Date.now() - entry.lastRefreshMs >= refreshIntervalMs(entry.lastComputeMs)) void this.refresh(key).catch((error) => console.error(`[plenum] live aggregate ${key}: ${(error as Error).message}`));
      return entry.snapshot.body as T;
    }
    return (await this.refresh(key)).body as T;
  }

  /** Calls `listener` with every new aggregate for the key until the returned function is called. */
  listen(key: string, compute: () => Promise<unknown>, listener: Listener): () => void {
    const entry = this.entry(key);
    entry.compute = compute;
    entry.listeners.add(listener);
    return () => {
      entry.listeners.delete(listener);
      if (entry.listeners.size === 0 && entry.timer) {
        clearTimeout(entry.timer);
        entry.timer = undefined;
      }
    };
  }

  /** Yields the current aggregate, then each newer one, until the signal aborts. */
  async *stream<T>(key: string, compute: () => Promise<T>, signal: AbortSignal | undefined): AsyncGenerator<T> {
    let pending: Snapshot | undefined;
    let wake: (() => void) | undefined;
    const off = this.listen(key, compute, (snapshot) => {
      pending = snapshot;
      wake?.();
    });
    const onAbort = () => wake?.();
    signal?.addEventListener('abort', onAbort);
    try {
      let sent = await this.get(key, compute).then(() => this.entry(key).snapshot!);
      yield sent.body as T;
      while (!signal?.aborted) {
        if (!pending || pending === sent) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
          continue;
        }
        sent = pending;
        yield sent.body as T;
      }
    } finally {
      off();
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private entry(key: string): Entry {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { snapshot: undefined, inflight: undefined, compute: undefined, listeners: new Set(), lastRefreshMs: 0, lastComputeMs: 0, timer: undefined, storedRead: undefined };
      this.entries.set(key, entry);
    }
    return entry;
  }

  /**
   * 'latest': reflects the newest flush heard of (subscribers are pushed every update). 'recent': that, or computed
   * less than the key's refresh interval ago (queries between two refreshes share the last one). Both: younger than
   * MAX_AGE_MS.
   */
  private isCurrent(entry: Entry, how: 'latest' | 'recent'): boolean {
    const { snapshot } = entry;
    if (!snapshot) return false;
    const age = Date.now() - snapshot.computedAtMs;
    if (age >= MAX_AGE_MS) return false;
    return snapshot.version >= this.latestVersion || (how === 'recent' && age < refreshIntervalMs(entry.lastComputeMs));
  }

  /**
   * A cold key (nothing held, nothing running): the stored row, when another instance (or this process before a
   * restart) computed it recently enough that it would still serve it as held, i.e. younger than heldMaxAgeMs of the
   * row's own computation time. The key names the scope (zones included), so the row is that scope's. A failed read
   * leaves the key cold: the refresh that follows reads again and reports the error.
   */
  private async adoptStored(key: string, entry: Entry): Promise<void> {
    entry.storedRead ??= this.readRow(key)
      .then((row) => {
        if (row && !entry.snapshot && Date.now() - row.computedAtMs < heldMaxAgeMs(row.computeMs)) this.adopt(entry, row);
      })
      .catch(() => {})
      .finally(() => {
        entry.storedRead = undefined;
      });
    await entry.storedRead;
  }

  private onTelemetry(payload: string): void {
    let version: unknown;
    try {
      version = (JSON.parse(payload) as { version?: unknown }).version;
    } catch {
      return;
    }
    const v = Number(version);
    if (!Number.isSafeInteger(v) || v <= this.latestVersion) return;
    this.latestVersion = v;
    for (const [key, entry] of this.entries) if (entry.listeners.size > 0) this.schedule(key);
  }

  /** Another instance (or this one) stored a new aggregate: subscribers here get it without waiting for a refresh. */
  private onAnnounced(key: string): void {
    const entry = this.entries.get(key);
    if (!entry || entry.listeners.size === 0 || entry.inflight) return;
    void this.readRow(key)
      .then((row) => {
        if (row) this.adopt(entry, row);
      })
      .catch(() => {});
  }

  /** A refresh soon, no sooner than the key's refresh interval after the last one. */
  private schedule(key: string): void {
    const entry = this.entry(key);
    if (entry.timer || !entry.compute) return;
    const wait = Math.max(0, entry.lastRefreshMs + refreshIntervalMs(entry.lastComputeMs) - Date.now());
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      if (entry.listeners.size === 0 || this.isCurrent(entry, 'latest')) return;
      void this.refresh(key).catch((error) => console.error(`[plenum] live aggregate ${key}: ${(error as Error).message}`));
    }, wait);
  }

  private refresh(key: string): Promise<Snapshot> {
    const entry = this.entry(key);
    if (entry.inflight) return entry.inflight;
    entry.lastRefreshMs = Date.now();
    entry.inflight = this.refreshShared(key, entry).finally(() => {
      entry.inflight = undefined;
      // A flush that landed during the refresh: subscribers get one more (throttled) refresh for it.
      if (entry.listeners.size > 0 && !this.isCurrent(entry, 'latest')) this.schedule(key);
    });
    return entry.inflight;
  }

  private async refreshShared(key: string, entry: Entry): Promise<Snapshot> {
    const target = this.latestVersion;
    const fresh = (row: Snapshot | undefined) => !!row && row.version >= target && Date.now() - row.computedAtMs < MAX_AGE_MS;
    const stored = await this.readRow(key);
    if (stored && fresh(stored)) return this.adopt(entry, stored);
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      // Waits while another instance computes this key; its row is then fresh and read instead of computed again.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [LOCK_NAMESPACE + key]);
      const again = await this.readRow(key, client);
      if (again && fresh(again)) {
        await client.query('COMMIT');
        return this.adopt(entry, again);
      }
      const compute = entry.compute;
      if (!compute) throw new Error(`no computation registered for ${key}`);
      const computedAtMs = Date.now();
      const body = await compute();
      const computeMs = Date.now() - computedAtMs;
      entry.lastComputeMs = computeMs;
      this.computations.set(key, (this.computations.get(key) ?? 0) + 1);
      const snapshot: Snapshot = { key, version: target, computedAtMs, computeMs, body };
      await client.query(
        `INSERT INTO dashboard_snapshots (key, version, computed_at_ms, compute_ms, body) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (key) DO UPDATE SET version = excluded.version, computed_at_ms = excluded.computed_at_ms, compute_ms = excluded.compute_ms, body = excluded.body`,
        [key, target, computedAtMs, computeMs, JSON.stringify(body)],
      );
      await client.query('SELECT pg_notify($1, $2)', [DASHBOARD_CHANNEL, key]);
      await client.query('COMMIT');
      return this.adopt(entry, snapshot);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  private async readRow(key: string, client: pg.Pool | pg.PoolClient = this.pool): Promise<Snapshot | undefined> {
    const row = (
      await client.query<{ version: string; computed_at_ms: string; compute_ms: number; body: unknown }>(
        'SELECT version, computed_at_ms, compute_ms, body FROM dashboard_snapshots WHERE key = $1',
        [key],
      )
    ).rows[0];
    return row ? { key, version: Number(row.version), computedAtMs: Number(row.computed_at_ms), computeMs: row.compute_ms, body: row.body } : undefined;
  }

  /** Keeps the newer of the held and the given aggregate and tells the subscribers when it changed. */
  private adopt(entry: Entry, snapshot: Snapshot): Snapshot {
    const held = entry.snapshot;
    if (held && (held.version > snapshot.version || (held.version === snapshot.version && held.computedAtMs >= snapshot.computedAtMs))) return held;
    entry.snapshot = snapshot;
    // Another instance's computation costs what this one's would: its time paces this process's refreshes too.
    if (snapshot.computeMs > 0) entry.lastComputeMs = snapshot.computeMs;
    for (const listener of entry.listeners) {
      try {
        listener(snapshot);
      } catch {
        // One failing subscriber must not stop the others.
      }
    }
    return snapshot;
  }
}

/** The process-wide hub for a pool (the start script and the Next.js route handlers share it through globalThis). */
export function liveAggregatesFor(pool: pg.Pool): LiveAggregates {
  const holder = globalThis as unknown as { __plenumLiveAggregates?: WeakMap<pg.Pool, LiveAggregates> };
  holder.__plenumLiveAggregates ??= new WeakMap();
  let hub = holder.__plenumLiveAggregates.get(pool);
  if (!hub) {
    hub = new LiveAggregates(pool, busFor(pool));
    holder.__plenumLiveAggregates.set(pool, hub);
  }
  return hub;
}

type TrendEntry = { value: Promise<unknown>; resolution: string | undefined; cachedAtMs: number; newerSamples: boolean; refreshing?: boolean };
/** Even without a rollup notice a cached range is recomputed after this long. */
export const TREND_CACHE_MAX_AGE_MS = 60_000;
/** A raw-sample range with newer samples is kept at least this long (the ingest commits several times a second). */
export const RAW_TREND_MIN_AGE_MS = 5_000;
const TREND_CACHE_MAX_ENTRIES = 500;
const TREND_LOCK_NAMESPACE = 'plenum-trend:';

/**
 * A range as stored in `trend_snapshots`. `computedAtMs`: when its computation finished, the moment a process that
 * computed it itself counts its age from (its refreshes are paced from there).
 */
type StoredTrend = { resolution: string; rollupGeneration: number; computedAtMs: number; body: unknown };

/**
 * Whether a stored range is as good as computing it now: a raw-sample range younger than RAW_TREND_MIN_AGE_MS (newer
 * samples may exist, as they almost always do); a rollup range younger than TREND_CACHE_MAX_AGE_MS that no rollups
 * landed after (`generation`: the rollup generation now).
 */
function storedIsCurrent(row: StoredTrend, generation: number, nowMs = Date.now()): boolean {
  const age = nowMs - row.computedAtMs;
  return row.resolution === 'raw' ? age < RAW_TREND_MIN_AGE_MS : age < TREND_CACHE_MAX_AGE_MS && row.rollupGeneration === generation;
}

/**
 * Range queries (trends) cached per (scope, range, resolution): rollup-backed ranges until the rollup worker NOTIFYs
 * new rollups, raw-sample ranges until a telemetry flush (kept at least RAW_TREND_MIN_AGE_MS, then answered from the
 * held one while one refresh runs behind it).
 *
 * Computed once across instances, like the live aggregates: each computation runs under a transaction advisory lock
 * on the key and stores its result in `trend_snapshots` (migration 0032) with the rollup generation it read first; an
 * instance that waited on the lock reads that row instead of computing again. A process holding nothing for a key
 * (just started) serves the stored row as if it had computed it: when current (storedIsCurrent), or, for a raw range,
 * while younger than TREND_CACHE_MAX_AGE_MS with a refresh started behind it. The key names the scope: the router
 * keys a site's trends by site and window, and only callers granted every zone of the site reach them.
 */
export class TrendCache {
  private readonly entries = new Map<string, TrendEntry>();
  /** Ranges this process computed itself, per key (the rest it read from another instance's row). */
  readonly computations = new Map<string, number>();
  private readonly unsubscribe: Array<() => void>;

  constructor(
    private readonly pool: pg.Pool,
    bus: NotifyBus,
    rollupChannel: string,
  ) {
    this.unsubscribe = [
      bus.subscribe(rollupChannel, () => this.drop((resolution) => resolution !== 'raw')),
      bus.subscribe(TELEMETRY_CHANNEL, () => {
        for (const entry of this.entries.values()) if (entry.resolution === 'raw') entry.newerSamples = true;
      }),
    ];
  }

  close(): void {
    for (const off of this.unsubscribe) off();
  }

  get<T extends { resolution: string }>(key: string, compute: () => Promise<T>): Promise<T> {
    const held = this.entries.get(key);
    const age = held ? Date.now() - held.cachedAtMs : Number.POSITIVE_INFINITY;
    if (held && age < TREND_CACHE_MAX_AGE_MS && !(held.newerSamples && age >= RAW_TREND_MIN_AGE_MS)) return held.value as Promise<T>;
    // A raw range with newer samples: answered from the held one while one refresh runs behind it.
    if (held && held.resolution !== undefined && age < TREND_CACHE_MAX_AGE_MS) {
      this.refreshBehind(key, held, compute);
      return held.value as Promise<T>;
    }
    if (this.entries.size >= TREND_CACHE_MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    const entry: TrendEntry = { value: Promise.resolve(), resolution: undefined, cachedAtMs: Date.now(), newerSamples: false };
    entry.value = this.load(key, entry, compute);
    this.entries.set(key, entry);
    entry.value.then(
      (result) => {
        entry.resolution = (result as T).resolution;
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return entry.value as Promise<T>;
  }

  /** A cold key: the stored row when it may be served (a raw one that is not current gets a refresh behind it), else computed. */
  private async load<T extends { resolution: string }>(key: string, entry: TrendEntry, compute: () => Promise<T>): Promise<T> {
    const read = await this.readRow(key).catch(() => undefined);
    const stored = read?.stored;
    if (stored) {
      const current = storedIsCurrent(stored, read.generation);
      if (current || (stored.resolution === 'raw' && Date.now() - stored.computedAtMs < TREND_CACHE_MAX_AGE_MS)) {
        entry.cachedAtMs = stored.computedAtMs;
        entry.resolution = stored.resolution;
        // Another instance's raw range: newer samples have almost certainly landed since.
        entry.newerSamples = stored.resolution === 'raw';
        if (!current) this.refreshBehind(key, entry, compute);
        return stored.body as T;
      }
    }
    return (await this.computeShared(key, compute)).body;
  }

  /** One refresh of a held range at a time; the held one stays until it succeeds. */
  private refreshBehind<T extends { resolution: string }>(key: string, held: TrendEntry, compute: () => Promise<T>): void {
    if (held.refreshing) return;
    held.refreshing = true;
    const next = this.computeShared(key, compute);
    next.then(
      ({ body, computedAtMs }) => {
        if (this.entries.get(key) === held) this.entries.set(key, { value: Promise.resolve(body), resolution: body.resolution, cachedAtMs: computedAtMs, newerSamples: false });
      },
      (error) => {
        held.refreshing = false;
        console.error(`[plenum] trends ${key}: ${(error as Error).message}`);
      },
    );
  }

  /**
   * Computes the range and stores it, once across instances: under the key's lock, a row stored meanwhile that is
   * current (the instance this one waited for computed it) is taken instead. Returns the body and when it was computed.
   */
  private async computeShared<T extends { resolution: string }>(key: string, compute: () => Promise<T>): Promise<{ body: T; computedAtMs: number }> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [TREND_LOCK_NAMESPACE + key]);
      // The generation is read before the data: rollups that land during the computation leave the row not current.
      const { stored, generation } = await this.readRow(key, client);
      if (stored && storedIsCurrent(stored, generation)) {
        await client.query('COMMIT');
        return { body: stored.body as T, computedAtMs: stored.computedAtMs };
      }
      const startedAtMs = Date.now();
      const body = await compute();
      const computedAtMs = Date.now();
      this.computations.set(key, (this.computations.get(key) ?? 0) + 1);
      await client.query(
        `INSERT INTO trend_snapshots (key, resolution, rollup_generation, computed_at_ms, compute_ms, body) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (key) DO UPDATE SET resolution = excluded.resolution, rollup_generation = excluded.rollup_generation,
           computed_at_ms = excluded.computed_at_ms, compute_ms = excluded.compute_ms, body = excluded.body`,
        [key, body.resolution, generation, computedAtMs, computedAtMs - startedAtMs, JSON.stringify(body)],
      );
      // Rows no process would serve any more (ranges nobody has asked for lately): the table holds the ranges in use.
      // Rows another computation holds are left for a later one: waiting for them could deadlock two of these.
      await client.query('DELETE FROM trend_snapshots WHERE key IN (SELECT key FROM trend_snapshots WHERE computed_at_ms < $1 FOR UPDATE SKIP LOCKED)', [
        computedAtMs - TREND_CACHE_MAX_AGE_MS,
      ]);
      await client.query('COMMIT');
      return { body, computedAtMs };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /** The stored row of a key (undefined: none) and the rollup generation now. */
  private async readRow(key: string, client: pg.Pool | pg.PoolClient = this.pool): Promise<{ stored: StoredTrend | undefined; generation: number }> {
    const { rows } = await client.query<{ resolution: string | null; rollup_generation: string | null; computed_at_ms: string | null; body: unknown; generation: string }>(
      `SELECT t.resolution, t.rollup_generation, t.computed_at_ms, t.body, g.generation
         FROM rollup_generation g LEFT JOIN trend_snapshots t ON t.key = $1`,
      [key],
    );
    const row = rows[0];
    if (!row) throw new Error('rollup_generation has no row (migration 0032)');
    const stored = row.resolution === null ? undefined : { resolution: row.resolution, rollupGeneration: Number(row.rollup_generation), computedAtMs: Number(row.computed_at_ms), body: row.body };
    return { stored, generation: Number(row.generation) };
  }

  /** Forgets the ranges whose resolution matches (still-running computations are kept: they read newer data). */
  private drop(matches: (resolution: string) => boolean): void {
    for (const [key, entry] of this.entries) if (entry.resolution !== undefined && matches(entry.resolution)) this.entries.delete(key);
  }
}

/** The process-wide trend cache of a pool (the application's pool; tests have one per database). */
export function trendCacheFor(pool: pg.Pool): TrendCache {
  const holder = globalThis as unknown as { __plenumTrendCaches?: WeakMap<pg.Pool, TrendCache> };
  holder.__plenumTrendCaches ??= new WeakMap();
  let cache = holder.__plenumTrendCaches.get(pool);
  if (!cache) {
    cache = new TrendCache(pool, busFor(pool), ROLLUP_CHANNEL);
    holder.__plenumTrendCaches.set(pool, cache);
  }
  return cache;
}

/** A site's trends over a window through the pool's trend cache (the router and the start-up warm-up use the same key). */
export function cachedSiteTrends(pool: pg.Pool, siteId: number, window: TimeWindow): Promise<SiteTrends> {
  return trendCacheFor(pool).get(`trends:${siteId}:${window.sinceMs}:${window.untilMs ?? 'now'}`, () => siteTrends(pool, siteId, window));
}

/** The process's bus when the pool is the application's (DATABASE_URL), else one bus per pool (tests, benches). */
function busFor(pool: pg.Pool): NotifyBus {
  const url = (pool as pg.Pool & { options: { connectionString?: string } }).options.connectionString;
  if (!url || url === process.env.DATABASE_URL) return getNotifyBus();
  const holder = globalThis as unknown as { __plenumPoolBuses?: WeakMap<pg.Pool, NotifyBus> };
  holder.__plenumPoolBuses ??= new WeakMap();
  let bus = holder.__plenumPoolBuses.get(pool);
  if (!bus) {
    bus = new NotifyBus(url);
    holder.__plenumPoolBuses.set(pool, bus);
  }
  return bus;
}
