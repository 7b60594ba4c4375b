/**
 * The one way in for telemetry: exposition text (scrapes) or remote-write samples → dialect mapping
 * (src/telemetry) → facility normalisation → series id (cached; new series are mapped to the inventory) →
 * a bounded in-memory buffer → one statement per flush that inserts sample blocks into the partitioned
 * `telemetry_sample_blocks` table (sample-store.ts) with the flush's rollup queue entry and latest values.
 *
 * The buffer is what keeps samples through a PostgreSQL outage: a failed flush leaves every row in place and is
 * retried with backoff. When the buffer is full the OLDEST rows are dropped and counted (`droppedSamples`), so a
 * long outage costs the oldest data and never the process. Delivery is at-least-once: a connection lost exactly
 * while its statement commits can make a retry write a batch twice.
 *
 * Hostile input never stops storage: the parsers drop series PostgreSQL could not store (NUL, invalid UTF-8, over-long;
 * see src/telemetry/input-limits.ts) and count them by reason, and a flush that PostgreSQL still refuses for its data
 * (SQLSTATE classes 22, 23, 54) is split in halves until the offending series or rows are found: those are dropped and
 * counted, the rest is stored in the same flush. The counts are kept in `telemetry_input_drops` for every process to see.
 */
import type pg from 'pg';
import {
  addDropCounts,
  type CanonicalSample,
  DIALECTS,
  type DialectName,
  type DropCounts,
  emptyDropCounts,
  hostFromInstance,
  mapExposition,
  mapSamples,
  type MapStats,
  normaliseGpuUuid,
  parseExposition,
  type RawSample,
  readSampleTail,
  type SampleTail,
  seriesTextEnd,
  withDeclaredUnits,
  withFamilyUnits,
} from '@/telemetry';
import { normaliseFacilitySample } from '@/telemetry/facility-aliases';
import { SNMP_EXPORTER_ALIASES } from '@/telemetry/snmp-exporter-aliases';
import type { SeriesSource } from '../../db/schema/telemetry';
import { preparedQuery, StatementParams } from '../../db/statement-params';
import { countIngestDrop, selfMetrics } from '../self-metrics';
import { type CachedLine, cachedLine, dialectValueRule, droppedBy, LineCaches, ruleValue } from './line-cache';
import { type EntityRef, gpuIndexHint, InventoryMapper, type MappingInput } from './mapper';
import { rawWindowEndMs, rawWindowStartMs } from './partitions';
import { RetryLoop } from './retry-loop';
import { RollupDeltas } from './rollups';
import { LatestValues } from './latest-store';
import { sampleBlockColumns, sampleBlocksInsertSql } from './sample-store';

export const TELEMETRY_CHANNEL = 'plenum_telemetry';

/**
 * True for PostgreSQL errors about the data sent (22: data exception such as NUL or invalid encoding, 23: integrity,
 * 54: program limit such as an index row too large) rather than about the connection or the server: retrying the same
 * rows can never succeed, so the flush isolates them instead of keeping them buffered.
 */
export function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|54)/.test(code);
}

/** The reason under which rows PostgreSQL refused are counted (next to the parser's reasons). */
export const REJECTED_BY_DATABASE = 'rejected_by_database';

// ---------------------------------------------------------------------------------------------------------------------
// Series identity

/** metric + labels sorted by name: the identity of a series (label order differs between exporters and remote-write). */
export function seriesKey(metric: string, labels: Record<string, string>): string {
  const names = Object.keys(labels);
  for (let i = 1; i < names.length; i++) {
    if (names[i - 1]! > names[i]!) {
      names.sort();
      break;
    }
  }
  let key = metric;
  for (const n of names) key += `\x1f${n}=${labels[n]}`;
  return key;
}

export type NewSeries = { key: string; metric: string; unit: string; labels: Record<string, string>; hint: MappingInput; targetId: number | null; source: SeriesSource };

/** Series key → id, with the series not yet in the database waiting to be inserted at the next flush. */
export class SeriesRegistry {
  private readonly ids = new Map<string, number>();
  private readonly pending = new Map<string, NewSeries>();

  constructor(private readonly mapper: InventoryMapper) {}

  get size(): number {
    return this.ids.size;
  }

  lookup(key: string): number | undefined {
    return this.ids.get(key);
  }

  /** The series waiting to be inserted (tests, diagnostics). */
  pendingSeries(): readonly NewSeries[] {
    return [...this.pending.values()];
  }

  addPending(key: string, sample: CanonicalSample, targetId: number | null, source: SeriesSource): void {
    if (this.pending.has(key)) return;
    const hint: MappingInput = { labels: sample.labels };
    if (sample.gpuUuid) hint.gpuUuid = sample.gpuUuid;
    if (sample.hostname) hint.hostname = sample.hostname;
    if (sample.device) hint.device = sample.device;
    const gpuIndex = gpuIndexHint(sample.labels);
    if (gpuIndex !== undefined) hint.gpuIndex = gpuIndex;
    this.pending.set(key, { key, metric: sample.metric, unit: sample.unit, labels: sample.labels, hint, targetId, source });
  }

  /** Inserts pending series (mapped to the inventory) and learns their ids. */
  async resolvePending(client: pg.PoolClient | pg.Pool): Promise<void> {
    if (this.pending.size === 0) return;
    const all = [...this.pending.values()];
    for (let i = 0; i < all.length; i += 5000) await this.insertSeries(client, all.slice(i, i + 5000));
  }

  /**
   * `resolvePending` for a batch PostgreSQL refused: halves are retried until each refused series stands alone; those
   * leave the pending set and are returned (their rows cannot be stored).
   */
  async resolvePendingIsolating(client: pg.PoolClient | pg.Pool): Promise<Set<string>> {
    const refused = new Set<string>();
    const attempt = async (part: NewSeries[]): Promise<void> => {
      try {
        await this.insertSeries(client, part);
      } catch (error) {
        if (!isDataError(error)) throw error;
        if (part.length === 1) {
          refused.add(part[0]!.key);
          this.pending.delete(part[0]!.key);
          return;
        }
        const mid = part.length >> 1;
        await attempt(part.slice(0, mid));
        await attempt(part.slice(mid));
      }
    };
    const all = [...this.pending.values()];
    for (let i = 0; i < all.length; i += 5000) await attempt(all.slice(i, i + 5000));
    return refused;
  }

  private async insertSeries(client: pg.PoolClient | pg.Pool, part: NewSeries[]): Promise<void> {
    const refs: EntityRef[] = part.map((s) => this.mapper.resolve(s.hint));
    const col = <T>(f: (s: NewSeries, r: EntityRef) => T) => part.map((s, k) => f(s, refs[k]!));
    await client.query(
      `INSERT INTO telemetry_series (series_key, metric, unit, labels, gpu_uuid, hostname, device_name, entity_kind,
          accelerator_id, device_id, rack_id, power_node_id, cooling_unit_id, site_id, target_id, source)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::text[], $6::text[], $7::text[], $8::text[],
          $9::int[], $10::int[], $11::int[], $12::int[], $13::int[], $14::int[], $15::int[], $16::text[])
       ON CONFLICT (series_key) DO NOTHING`,
      [
        col((s) => s.key),
        col((s) => s.metric),
        col((s) => s.unit),
        col((s) => JSON.stringify(s.labels)),
        col((s) => s.hint.gpuUuid ?? null),
        col((s) => s.hint.hostname ?? null),
        col((s) => s.hint.device ?? null),
        col((_, r) => r.entityKind),
        col((_, r) => r.acceleratorId),
        col((_, r) => r.deviceId),
        col((_, r) => r.rackId),
        col((_, r) => r.powerNodeId),
        col((_, r) => r.coolingUnitId),
        col((_, r) => r.siteId),
        col((s) => s.targetId),
        col((s) => s.source),
      ],
    );
    const rows = await client.query<{ id: number; series_key: string }>('SELECT id, series_key FROM telemetry_series WHERE series_key = ANY($1)', [
      part.map((s) => s.key),
    ]);
    for (const r of rows.rows) {
      this.ids.set(r.series_key, r.id);
      this.pending.delete(r.series_key);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Row buffer (written as blocks: sample-store.ts sampleBlocksInsertSql)

const CHUNK_ROWS = 16_384;

/** A block of rows in column arrays. Rows whose series has no id yet carry -1 and their key in `pendingKeys`. */
class RowChunk {
  readonly seriesIds: Int32Array;
  readonly tsMs: Float64Array;
  readonly values: Float64Array;
  length = 0;
  pendingKeys: Map<number, string> | undefined;

  constructor(readonly capacity = CHUNK_ROWS) {
    this.seriesIds = new Int32Array(capacity);
    this.tsMs = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  get full(): boolean {
    return this.length === this.capacity;
  }
}

export type IngestStats = {
  /** Samples accepted into the buffer. */
  acceptedSamples: number;
  /** Samples written to PostgreSQL. */
  writtenSamples: number;
  /** Samples dropped because the buffer was full (PostgreSQL unreachable for too long). */
  droppedSamples: number;
  /** Samples refused because their timestamp is outside the stored window (older than raw retention, or future). */
  outOfWindowSamples: number;
  /** Samples the dialects dropped (DCGM blank sentinels, NaN readings of catalogue metrics). */
  dialectDroppedSamples: number;
  /** Samples the parsers refused (NUL, invalid UTF-8, over-long names or values), by reason, since start. */
  inputDropped: DropCounts;
  /** Samples a flush isolated and dropped because PostgreSQL refused them (whatever got past the parsers). */
  rejectedSamples: number;
  /** The last such refusal (SQLSTATE and first line of the message, never the rows). */
  lastRejectError: string | null;
  /**
   * Samples refused because the writer is confined to some security zones (a zone-scoped remote-write token, a scrape
   * target with a zone) and the sample maps to an object outside them, or to none.
   */
  zoneRefusedSamples: number;
  /** Prometheus staleness markers received (remote-write): each ended its series instead of being stored. */
  staleMarkers: number;
  bufferedSamples: number;
  seriesKnown: number;
  flushes: number;
  failedFlushes: number;
  lastFlushError: string | null;
  lastFlushAt: string | null;
};

export type IngestOptions = {
  bufferMaxSamples: number;
  rawRetentionDays: number;
  /** Notify listeners (live charts, alert evaluator) after each flush. */
  notify?: boolean;
  /** Per-target cache of known exposition lines (default on; off: every line takes the full path, for tests). */
  lineCache?: boolean;
  /**
   * Called with every block of rows once committed (series ids resolved): PLENUM_TSDB=prometheus-remote hands them to
   * the remote writer (remote-backend.ts). It must copy what it keeps and never throw.
   */
  onCommitted?: (seriesIds: Int32Array, tsMs: Float64Array, values: Float64Array) => void;
  /**
   * Called with the series a flush ended (staleness markers received, or series a scrape no longer carries) once their
   * `ended_at` is committed: the remote writer sends them on as Prometheus staleness markers. Must not throw.
   */
  onSeriesEnded?: (seriesIds: Int32Array, tsMs: Float64Array) => void;
};

/**
 * What one scrape target delivered last time, for scrape-side staleness (as Prometheus does): a series it no longer
 * carries, and every series of a failed scrape, is ended at that scrape's time. `keys` are the series of the last
 * successful scrape; `ended` the ones this tracking ended (key → time), revived (ended_at cleared) when they return.
 */
type ScrapedSeries = { keys: string[]; ended: Map<string, number> };
/** At most this many ended series are remembered per target for revival (the oldest are forgotten first). */
const MAX_ENDED_PER_TARGET = 10_000;

/** Row id of a line left to the full path, until that path fills the row in (or drops it: then it stays so). */
const ROW_UNRESOLVED = -2;

/**
 * The rows of one scrape, in line order, held until the whole document has parsed: a malformed line rejects the scrape
 * as a whole (nothing buffered, nothing counted), as it did when parsing came first. Reused from scrape to scrape.
 */
class ScrapeRows {
  ids = new Int32Array(4096);
  tsMs = new Float64Array(4096);
  values = new Float64Array(4096);
  length = 0;
  /** Rows whose series has no id yet (id -1) → the line that names the series. */
  readonly pending = new Map<number, CachedLine>();

  reset(): void {
    this.length = 0;
    this.pending.clear();
  }

  /** Appends a row; returns its index. */
  push(id: number, ts: number, value: number): number {
    if (this.length === this.ids.length) this.grow();
    const row = this.length++;
    this.set(row, id, ts, value);
    return row;
  }

  set(row: number, id: number, ts: number, value: number): void {
    this.ids[row] = id;
    this.tsMs[row] = ts;
    this.values[row] = value;
  }

  private grow(): void {
    const n = this.ids.length * 2;
    const ids = new Int32Array(n);
    ids.set(this.ids);
    const ts = new Float64Array(n);
    ts.set(this.tsMs);
    const values = new Float64Array(n);
    values.set(this.values);
    this.ids = ids;
    this.tsMs = ts;
    this.values = values;
  }
}

/**
 * Facility normalisation, then the identity labels a Prometheus server would add at scrape time (so series of
 * different hosts never merge). Mutates the sample; returns its series key. The one definition of a series' identity
 * for both the full path and the line cache.
 */
function finishSample(s: CanonicalSample, extra: { hostname?: string; instance?: string }): string {
  normaliseFacilitySample(s);
  if (extra.hostname && s.labels.Hostname === undefined && s.labels.hostname === undefined) s.labels = { ...s.labels, hostname: extra.hostname };
  if (extra.instance && s.labels.instance === undefined) s.labels = { ...s.labels, instance: extra.instance };
  return seriesKey(s.metric, s.labels);
}

/** Remote-write shaped input: `familyUnits` from its metadata, `zones` for a zone-scoped writer (undefined: all zones). */
type RawMeta = { targetId: number | null; nowMs?: number; familyUnits?: ReadonlyMap<string, string>; zones?: ReadonlySet<number> };

/** Exposition text from a scrape target is Plenum's own scrape; text handed in without one (tests, tools) is 'other'. */
function textSource(targetId: number | null): SeriesSource {
  return targetId === null ? 'other' : 'scrape';
}

/**
 * The ingest pipeline of one process: map → buffer → flush. `flush()` is called by the flush loop (see
 * `startFlushLoop`), by tests and by the benchmark; only one flush runs at a time.
 */
export class IngestPipeline {
  readonly mapper = new InventoryMapper();
  readonly series = new SeriesRegistry(this.mapper);
  readonly lineCaches = new LineCaches();
  private readonly scrapeRows = new ScrapeRows();
  private readonly tail: SampleTail = { value: 0, timestampMs: undefined };
  private chunks: RowChunk[] = [];
  private buffered = 0;
  private flushing: Promise<void> | undefined;
  /** The flush loop: retries with backoff up to 5 s while PostgreSQL is away. */
  private readonly flushLoop = new RetryLoop({
    minBackoffMs: 250,
    maxBackoffMs: 5_000,
    pending: () => this.buffered > 0 || this.unsavedDrops.size > 0 || this.endedSeries.size > 0 || this.revivedSeries.size > 0,
    attempt: async () => {
      await this.flush();
    },
  });
  /** Drops counted since they were last saved to `telemetry_input_drops`. */
  private unsavedDrops = new Map<string, number>();
  /** Series key → time of the latest staleness marker received for it, written (ended_at) by the next flush. */
  private endedSeries = new Map<string, number>();
  /** Series key → time a scrape delivered it again after this process had ended it: ended_at is cleared. */
  private revivedSeries = new Map<string, number>();
  /** Scrape target id → the series of its last scrape (scrape-side staleness). */
  private readonly scrapedSeries = new Map<number, ScrapedSeries>();
  readonly stats: IngestStats = {
    acceptedSamples: 0,
    writtenSamples: 0,
    droppedSamples: 0,
    outOfWindowSamples: 0,
    dialectDroppedSamples: 0,
    inputDropped: emptyDropCounts(),
    rejectedSamples: 0,
    lastRejectError: null,
    zoneRefusedSamples: 0,
    staleMarkers: 0,
    bufferedSamples: 0,
    seriesKnown: 0,
    flushes: 0,
    failedFlushes: 0,
    lastFlushError: null,
    lastFlushAt: null,
  };

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: IngestOptions,
  ) {}

  /** Loads the inventory for mapping; call before ingesting (and again when the inventory may have changed). */
  async loadInventory(): Promise<boolean> {
    return this.mapper.load(this.pool);
  }

  /** Loads the inventory again if the plant changed since the last load (InventoryMapper.refresh). */
  async refreshInventory(): Promise<boolean> {
    return this.mapper.refresh(this.pool);
  }

  /**
   * A scrape: parse, map with the target's dialect, buffer. Returns the number of samples accepted. `zones`: the
   * target's security zone(s); samples that map outside them are refused (see `keepInZones`).
   */
  ingestText(
    text: string,
    dialect: DialectName | 'auto',
    meta: { targetId: number | null; hostname?: string; instance?: string; nowMs?: number; zones?: ReadonlySet<number> },
  ): number {
    const nowMs = meta.nowMs ?? Date.now();
    // 'auto' routes each series by name and regroups them; rare (scrape targets name their dialect), so no cache.
    // A zoned target takes the full path too: every sample is mapped to the inventory before it is accepted.
    if (dialect !== 'auto' && this.options.lineCache !== false && !meta.zones) return this.ingestTextCached(text, dialect, meta, nowMs);
    const ctx = { defaultTimestampMs: nowMs, ...(meta.hostname ? { hostname: meta.hostname } : {}) };
    const result = mapExposition(text, dialect, ctx);
    this.countInputDrops(result.dropped);
    const samples = meta.zones ? this.keepInZones(result.samples, meta.zones) : result.samples;
    const present: string[] = [];
    const accepted = this.ingestMapped(samples, result.stats, meta.targetId, textSource(meta.targetId), nowMs, { ...meta, present });
    this.trackScrape(meta.targetId, present, nowMs);
    return accepted;
  }

  /**
   * A facility collector's readings (collectors/types.ts): `plenum_<metric>` samples with `device` / `site` labels,
   * ingested as a scrape of the target (source 'scrape'), with the same zone confinement as `ingestText`.
   */
  ingestCollected(samples: readonly RawSample[], meta: { targetId: number; nowMs: number; zones?: ReadonlySet<number> }): number {
    const result = mapSamples(samples, 'plenum', { defaultTimestampMs: meta.nowMs });
    const mapped = meta.zones ? this.keepInZones(result.samples, meta.zones) : result.samples;
    const present: string[] = [];
    const accepted = this.ingestMapped(mapped, result.stats, meta.targetId, textSource(meta.targetId), meta.nowMs, { present });
    this.trackScrape(meta.targetId, present, meta.nowMs);
    return accepted;
  }

  /**
   * Scrape-side staleness: `present` are the series this scrape of the target delivered a sample to, without a
   * timestamp of its own (as Prometheus, which leaves series with explicit timestamps to their source). A series the
   * last scrape delivered and this one did not is ended at this scrape's time; a series this tracking had ended and
   * that is back is revived. The common case, the same series in the same order as last time, costs one pass of
   * reference compares.
   */
  private trackScrape(targetId: number | null, present: string[], nowMs: number): void {
    if (targetId === null) return;
    const state = this.scrapedSeries.get(targetId);
    if (!state) {
      this.scrapedSeries.set(targetId, { keys: present, ended: new Map() });
      return;
    }
    const before = state.keys;
    state.keys = present;
    if (before.length === present.length && before.every((key, i) => key === present[i])) return;
    const now = new Set(present);
    for (const key of before) if (!now.has(key)) this.endScrapedSeries(state, key, nowMs);
    if (state.ended.size === 0) return;
    const earlier = new Set(before);
    for (const key of present) {
      if (earlier.has(key) || !state.ended.has(key)) continue;
      state.ended.delete(key);
      this.revivedSeries.set(key, nowMs);
    }
  }

  private endScrapedSeries(state: ScrapedSeries, key: string, atMs: number): void {
    this.noteSeriesEnd(key, atMs);
    this.revivedSeries.delete(key);
    state.ended.delete(key);
    state.ended.set(key, atMs);
    if (state.ended.size > MAX_ENDED_PER_TARGET) state.ended.delete(state.ended.keys().next().value!);
  }

  /** Records that `key` ended at `atMs` (written by the next flush; a later end is never replaced by an earlier one). */
  private noteSeriesEnd(key: string, atMs: number): void {
    const held = this.endedSeries.get(key);
    if (held === undefined || atMs > held) this.endedSeries.set(key, atMs);
  }

  /**
   * A target's scrape failed (or the target was removed or disabled): every series its last successful scrape
   * delivered ends at `atMs`, as Prometheus writes staleness markers for them.
   */
  endTargetSeries(targetId: number, atMs: number): void {
    const state = this.scrapedSeries.get(targetId);
    if (!state) return;
    for (const key of state.keys) this.endScrapedSeries(state, key, atMs);
    state.keys = [];
  }

  /** Forgets a target's scrape tracking without ending anything (the target moved to another instance's shard). */
  forgetTargetSeries(targetId: number): void {
    this.scrapedSeries.delete(targetId);
  }

  /**
   * Zone confinement of ingest: keeps the samples that map (through the inventory) to an object in `zones` and
   * refuses the rest, counted in `zoneRefusedSamples`. A sample that maps to no zoned object (unmapped, unracked,
   * facility or site-wide) is refused too: a zone-scoped writer may only report on its own zones' objects.
   */
  keepInZones(samples: CanonicalSample[], zones: ReadonlySet<number>): CanonicalSample[] {
    const kept: CanonicalSample[] = [];
    for (const s of samples) {
      const hint: MappingInput = { labels: s.labels };
      if (s.gpuUuid) hint.gpuUuid = s.gpuUuid;
      if (s.hostname) hint.hostname = s.hostname;
      if (s.device) hint.device = s.device;
      const gpuIndex = gpuIndexHint(s.labels);
      if (gpuIndex !== undefined) hint.gpuIndex = gpuIndex;
      const zone = this.mapper.zoneOf(this.mapper.resolve(hint));
      if (zone !== null && zones.has(zone)) kept.push(s);
      else this.stats.zoneRefusedSamples++;
    }
    return kept;
  }

  /**
   * `ingestText` through the target's line cache (see line-cache.ts): a line whose series text was seen before costs a
   * string compare (or a map lookup) and a number parse; new lines take the full path (dialect mapping of that one sample, facility
   * normalisation, series key) and are remembered. Same rows, ids, drops and counters as the full path.
   */
  private ingestTextCached(text: string, dialect: DialectName, meta: { targetId: number | null; hostname?: string; instance?: string }, nowMs: number): number {
    const cache = this.lineCaches.get(meta.targetId, dialect, meta.hostname, meta.instance, this.mapper.version);
    const windowStart = rawWindowStartMs(nowMs, this.options.rawRetentionDays);
    const windowEnd = rawWindowEndMs(nowMs);
    const rows = this.scrapeRows;
    rows.reset();
    const tail = this.tail;
    let droppedByDialect = 0;
    let outOfWindow = 0;
    /** The lines left to the parser, in order (they pair with `parsed.samples`): series text and reserved row. */
    const missTexts: string[] = [];
    const missRows: number[] = [];
    const missLines: number[] = [];
    /** This scrape's sample lines in document order: the next scrape's `cache.order`. */
    const order = cache.order;
    const nextOrder: (CachedLine | undefined)[] = [];
    const missPositions: number[] = [];
    /** Series this scrape delivered a sample to without a timestamp of its own (scrape-side staleness). */
    const present: string[] = [];

    const parsed = parseExposition(text, (t, start, end, lineNumber) => {
      const n = nextOrder.length;
      // Same line as at this position last time (the usual case): one string compare, else a lookup by text. (A slice
      // and === compare the characters with memcmp; `t.startsWith(line.text, start)` went character by character,
      // ~0.4 µs for a 160-character label block against ~0.04 µs.)
      const seriesText = t.slice(start, seriesTextEnd(t, start, end));
      let line = order[n];
      if (line === undefined || line.text !== seriesText) line = cache.lines.get(seriesText);
      if (line === undefined || !readSampleTail(t, start + seriesText.length, end, tail)) {
        missTexts.push(seriesText);
        missLines.push(lineNumber);
        missPositions.push(n);
        // Keep the row's place, so rows stay in line order whichever path a line takes.
        missRows.push(rows.push(ROW_UNRESOLVED, 0, 0));
        nextOrder.push(undefined);
        return false; // the parser parses it (or names the error), and it is handled below
      }
      nextOrder.push(line);
      const raw = tail.value;
      let value = raw;
      if (!(raw < line.keepBelow && raw > Number.NEGATIVE_INFINITY && line.unscaled)) {
        if (droppedBy(line, raw) !== 0) {
          droppedByDialect++;
          return true;
        }
        value = ruleValue(line, raw);
      }
      const ts = tail.timestampMs ?? nowMs;
      if (!(ts >= windowStart && ts < windowEnd)) {
        outOfWindow++;
        return true;
      }
      if (line.id < 0) this.learnId(line);
      const row = rows.push(line.id, ts, value);
      if (line.id < 0) rows.pending.set(row, line);
      if (tail.timestampMs === undefined) present.push(line.key);
      return true;
    });

    // New lines (and the odd line the short tail parser declined): the full mapping, one sample at a time. (For
    // nvidia-smi this skips the document-wide GPU-index join, which only fills fields the ingest does not store.)
    // Lines the parser refused (input limits) are missing from `parsed.samples`: pair by line number, and their
    // reserved rows stay unresolved.
    this.countInputDrops(parsed.dropped);
    const ctx = withDeclaredUnits({ defaultTimestampMs: nowMs, ...(meta.hostname ? { hostname: meta.hostname } : {}) }, parsed.families);
    const mapOne = DIALECTS[dialect];
    let k = 0;
    for (const raw of parsed.samples) {
      while (missLines[k] !== raw.line) k++;
      const m = k++;
      const mapped = mapOne([raw], ctx);
      droppedByDialect += mapped.stats.droppedSentinel + mapped.stats.droppedNonFinite;
      const s = mapped.samples[0];
      if (s === undefined) continue;
      const rule = dialectValueRule(dialect, raw.name);
      rule.facilityFactor = normaliseFacilitySample({ ...s, value: 1 }).value; // it multiplies: 1 × factor
      // An enum state (snmp_exporter's upsBasicOutputStatus → on battery) is no multiplication: never cached.
      if (SNMP_EXPORTER_ALIASES.get(raw.name)?.map) rule.facilityFactor = Number.NaN;
      const key = finishSample(s, meta);
      const id = this.series.lookup(key) ?? -1;
      // The sample is the series' metadata for its insert: a line whose series has an id does not keep it.
      const line = cachedLine(rule, missTexts[m]!, key, id, id < 0 ? s : undefined);
      // Cache only when the rule reproduces the real mapping of this reading (a guard against the rule drifting from
      // the dialect code; such a line keeps taking the full path).
      if (droppedBy(rule, raw.value) === 0 && Object.is(ruleValue(rule, raw.value), s.value)) {
        this.lineCaches.add(cache, line);
        nextOrder[missPositions[m]!] = line;
      }
      const ts = s.timestampMs ?? nowMs;
      if (!(ts >= windowStart && ts < windowEnd)) {
        outOfWindow++;
        continue;
      }
      const row = missRows[m]!;
      rows.set(row, line.id, ts, s.value);
      if (line.id < 0) rows.pending.set(row, line);
      if (raw.timestampMs === undefined) present.push(key);
    }
    cache.order = nextOrder;

    this.stats.dialectDroppedSamples += droppedByDialect;
    this.stats.outOfWindowSamples += outOfWindow;
    this.lineCaches.hits += nextOrder.length - missTexts.length;
    this.lineCaches.misses += missTexts.length;
    countIngestDrop('dialect', droppedByDialect);
    countIngestDrop('out_of_window', outOfWindow);
    const accepted = this.appendRows(rows, meta.targetId, textSource(meta.targetId));
    this.trackScrape(meta.targetId, present, nowMs);
    return accepted;
  }

  /** A cached line whose series was new: its id once the series is inserted (then the sample is no longer needed). */
  private learnId(line: CachedLine): void {
    const id = this.series.lookup(line.key);
    if (id !== undefined) {
      line.id = id;
      line.sample = undefined;
    }
  }

  /** Moves a scrape's rows into the buffer; rows of series without an id wait for the next flush to insert them. */
  private appendRows(rows: ScrapeRows, targetId: number | null, source: SeriesSource): number {
    let chunk = this.chunks.at(-1);
    if (chunk === undefined || chunk.full) chunk = this.newChunk();
    let accepted = 0;
    for (let r = 0; r < rows.length; r++) {
      const id = rows.ids[r]!;
      if (id === ROW_UNRESOLVED) continue; // a new line the dialect dropped, or outside the window
      if (chunk.full) chunk = this.newChunk();
      const row = chunk.length++;
      chunk.seriesIds[row] = id;
      chunk.tsMs[row] = rows.tsMs[r]!;
      chunk.values[row] = rows.values[r]!;
      if (id < 0) {
        const line = rows.pending.get(r)!;
        this.series.addPending(line.key, line.sample!, targetId, source);
        if (!chunk.pendingKeys) chunk.pendingKeys = new Map();
        chunk.pendingKeys.set(row, line.key);
      }
      accepted++;
    }
    this.buffered += accepted;
    this.stats.acceptedSamples += accepted;
    selfMetrics().ingestAccepted.inc(accepted);
    this.enforceBound();
    this.stats.bufferedSamples = this.buffered;
    return accepted;
  }

  /**
   * Remote-write shaped samples (already decoded: the decoder has applied the input limits), buffered for the flush
   * loop; `writeRawNow` writes them at once instead. Each series is routed to its dialect by name.
   */
  ingestRaw(samples: RawSample[], meta: RawMeta): number {
    const nowMs = meta.nowMs ?? Date.now();
    const mapped = this.mapRaw(samples, meta, nowMs);
    return this.ingestMapped(mapped.samples, mapped.stats, meta.targetId, 'remote-write', nowMs, {});
  }

  /**
   * Maps remote-write shaped samples: staleness markers end their series instead of being stored, units come from the
   * families' metadata, and a zone-scoped writer's samples outside its `zones` are refused (`keepInZones`).
   */
  private mapRaw(samples: RawSample[], meta: RawMeta, nowMs: number): { samples: CanonicalSample[]; stats: MapStats } {
    let readings = samples;
    if (samples.some((s) => s.stale)) {
      readings = samples.filter((s) => !s.stale);
      this.endSeries(
        samples.filter((s) => s.stale),
        nowMs,
        meta.zones,
      );
    }
    const result = mapSamples(readings, 'auto', withFamilyUnits({ defaultTimestampMs: nowMs }, meta.familyUnits ?? new Map()));
    return { samples: meta.zones ? this.keepInZones(result.samples, meta.zones) : result.samples, stats: result.stats };
  }

  /**
   * Staleness markers: each ends the series a reading with its name and labels would go to (mapped the same way, with
   * a stand-in value, since a NaN reading of a catalogue metric would be dropped before it names its series).
   */
  private endSeries(markers: RawSample[], nowMs: number, zones: ReadonlySet<number> | undefined): void {
    this.stats.staleMarkers += markers.length;
    selfMetrics().staleMarkers.inc(markers.length);
    const mapped = mapSamples(
      markers.map((m) => ({ name: m.name, labels: m.labels, value: 0, timestampMs: m.timestampMs })),
      'auto',
      { defaultTimestampMs: nowMs },
    );
    // A zone-scoped writer may end only its own zones' series.
    for (const s of zones ? this.keepInZones(mapped.samples, zones) : mapped.samples) {
      this.noteSeriesEnd(finishSample(s, {}), s.timestampMs ?? nowMs);
    }
  }

  /**
   * Remote-write: maps the samples like `ingestRaw` but writes them now, in a transaction of their own, and resolves
   * only once they are committed (so the writer is acknowledged only for stored samples, and a writer retrying after a
   * failure never finds them buffered too). `dropped`: what the decoder refused, counted with the parsers' drops.
   * Returns the samples stored; throws when PostgreSQL is unreachable (nothing is kept).
   */
  async writeRawNow(samples: RawSample[], meta: RawMeta & { dropped?: DropCounts }): Promise<number> {
    if (meta.dropped) this.countInputDrops(meta.dropped);
    const nowMs = meta.nowMs ?? Date.now();
    const mapped = this.mapRaw(samples, meta, nowMs);
    const own: RowChunk[] = [];
    const accepted = this.ingestMapped(mapped.samples, mapped.stats, meta.targetId, 'remote-write', nowMs, {}, own);
    const chunks = own.filter((c) => c.length > 0);
    if (chunks.length === 0) {
      await this.saveDrops().catch(() => {});
      return 0;
    }
    const stored = await this.exclusive(() => this.writeChunksIsolating(chunks, accepted));
    selfMetrics().ingestWritten.inc(stored);
    this.stats.writtenSamples += stored;
    await this.saveDrops().catch(() => {});
    return stored;
  }

  /**
   * Maps samples into row chunks: the shared buffer by default (bounded, flushed by the loop), or `into` (a caller's
   * own batch, written at once).
   */
  private ingestMapped(
    samples: CanonicalSample[],
    stats: MapStats,
    targetId: number | null,
    source: SeriesSource,
    nowMs: number,
    extra: { hostname?: string; instance?: string; present?: string[] },
    into?: RowChunk[],
  ): number {
    this.stats.dialectDroppedSamples += stats.droppedSentinel + stats.droppedNonFinite;
    countIngestDrop('dialect', stats.droppedSentinel + stats.droppedNonFinite);
    const windowStart = rawWindowStartMs(nowMs, this.options.rawRetentionDays);
    const windowEnd = rawWindowEndMs(nowMs);
    const chunks = into ?? this.chunks;
    const newChunk = () => {
      const c = new RowChunk();
      chunks.push(c);
      return c;
    };
    let chunk = chunks.at(-1);
    if (chunk === undefined || chunk.full) chunk = newChunk();
    let accepted = 0;
    for (const s of samples) {
      const ts = s.timestampMs ?? nowMs;
      if (!(ts >= windowStart && ts < windowEnd)) {
        this.stats.outOfWindowSamples++;
        countIngestDrop('out_of_window', 1);
        continue;
      }
      const key = finishSample(s, extra);
      let id = this.series.lookup(key);
      if (chunk.full) chunk = newChunk();
      const row = chunk.length++;
      if (id === undefined) {
        this.series.addPending(key, s, targetId, source);
        id = -1;
        if (!chunk.pendingKeys) chunk.pendingKeys = new Map();
        chunk.pendingKeys.set(row, key);
      }
      chunk.seriesIds[row] = id;
      chunk.tsMs[row] = ts;
      chunk.values[row] = s.value;
      // The dialects stamp a sample without a timestamp of its own with the scrape time.
      if (ts === nowMs) extra.present?.push(key);
      accepted++;
    }
    this.stats.acceptedSamples += accepted;
    selfMetrics().ingestAccepted.inc(accepted);
    if (into) return accepted;
    this.buffered += accepted;
    this.enforceBound();
    this.stats.bufferedSamples = this.buffered;
    return accepted;
  }

  /** Counts samples the parsers refused (kept in memory, saved to `telemetry_input_drops` at the next flush). */
  countInputDrops(counts: DropCounts): void {
    addDropCounts(this.stats.inputDropped, counts);
    for (const [reason, n] of Object.entries(counts)) {
      if (n <= 0) continue;
      this.unsavedDrops.set(reason, (this.unsavedDrops.get(reason) ?? 0) + n);
      countIngestDrop(reason, n);
    }
  }

  private countRejected(rows: number, error: unknown): void {
    if (rows === 0) return;
    this.stats.rejectedSamples += rows;
    this.unsavedDrops.set(REJECTED_BY_DATABASE, (this.unsavedDrops.get(REJECTED_BY_DATABASE) ?? 0) + rows);
    countIngestDrop(REJECTED_BY_DATABASE, rows);
    const pgError = error as { code?: string; message?: string };
    this.stats.lastRejectError = `${pgError.code ?? ''} ${String(pgError.message ?? error).split('\n')[0]}`.trim();
  }

  /** Adds the drops counted since the last save to `telemetry_input_drops` (kept for the next try on failure). */
  async saveDrops(): Promise<void> {
    if (this.unsavedDrops.size === 0) return;
    const saving = this.unsavedDrops;
    this.unsavedDrops = new Map();
    try {
      await this.pool.query(
        `INSERT INTO telemetry_input_drops (reason, samples, last_at)
         SELECT r, n, now() FROM unnest($1::text[], $2::bigint[]) AS u(r, n)
         ON CONFLICT (reason) DO UPDATE SET samples = telemetry_input_drops.samples + EXCLUDED.samples, last_at = EXCLUDED.last_at`,
        [[...saving.keys()], [...saving.values()]],
      );
    } catch (error) {
      for (const [reason, n] of saving) this.unsavedDrops.set(reason, (this.unsavedDrops.get(reason) ?? 0) + n);
      throw error;
    }
  }

  private newChunk(): RowChunk {
    const c = new RowChunk();
    this.chunks.push(c);
    return c;
  }

  /** Drops the oldest whole chunks beyond the bound (a chunk being flushed is not in `chunks`). */
  private enforceBound(): void {
    while (this.buffered > this.options.bufferMaxSamples && this.chunks.length > 1) {
      const oldest = this.chunks.shift()!;
      this.buffered -= oldest.length;
      this.stats.droppedSamples += oldest.length;
      countIngestDrop('buffer_full', oldest.length);
    }
  }

  get bufferedSamples(): number {
    return this.buffered;
  }

  /** The buffered rows, oldest first; `series` is the id, or the key while the series has none (tests, diagnostics). */
  bufferedRows(): { series: number | string; tsMs: number; value: number }[] {
    const out: { series: number | string; tsMs: number; value: number }[] = [];
    for (const c of this.chunks) {
      for (let i = 0; i < c.length; i++) {
        const id = c.seriesIds[i]!;
        out.push({ series: id >= 0 ? id : c.pendingKeys!.get(i)!, tsMs: c.tsMs[i]!, value: c.values[i]! });
      }
    }
    return out;
  }

  /** Runs `write` when no other write of this pipeline runs (flushes and remote-write batches take turns). */
  private async exclusive<T>(write: () => Promise<T>): Promise<T> {
    while (this.flushing) await this.flushing.catch(() => {});
    const run = write();
    this.flushing = run.then(
      () => {},
      () => {},
    );
    try {
      return await run;
    } finally {
      this.flushing = undefined;
    }
  }

  /**
   * Writes everything buffered now. Throws when PostgreSQL is unreachable; the rows then stay buffered. Rows that
   * PostgreSQL refuses for their data are isolated and dropped (counted), and the rest is written in the same call.
   */
  async flush(): Promise<number> {
    while (this.flushing) await this.flushing.catch(() => {});
    const taken = this.chunks.filter((c) => c.length > 0);
    const ends = this.endedSeries;
    const revived = this.revivedSeries;
    if (taken.length === 0 && ends.size === 0 && revived.size === 0) {
      await this.saveDrops().catch(() => {});
      return 0;
    }
    this.chunks = [];
    this.endedSeries = new Map();
    this.revivedSeries = new Map();
    const rows = taken.reduce((n, c) => n + c.length, 0);
    this.buffered -= rows;
    const run = (async () => {
      const stored = taken.length > 0 ? await this.writeChunksIsolating(taken, rows) : 0;
      await this.writeSeriesEnds(ends, revived);
      return stored;
    })();
    this.flushing = run.then(
      () => {},
      () => {},
    );
    const metrics = selfMetrics();
    const endTimer = metrics.flushDuration.startTimer();
    try {
      const stored = await run;
      endTimer();
      metrics.ingestWritten.inc(stored);
      this.stats.flushes++;
      this.stats.writtenSamples += stored;
      this.stats.lastFlushAt = new Date().toISOString();
      this.stats.lastFlushError = null;
      await this.saveDrops().catch(() => {});
      return stored;
    } catch (error) {
      // Put the rows back in front of anything buffered meanwhile, then apply the bound.
      this.chunks = [...taken, ...this.chunks];
      this.buffered += rows;
      for (const [key, ts] of ends) this.noteSeriesEnd(key, ts);
      for (const [key, ts] of revived) if (!this.revivedSeries.has(key) && !this.endedSeries.has(key)) this.revivedSeries.set(key, ts);
      this.enforceBound();
      this.stats.failedFlushes++;
      metrics.flushFailures.inc();
      this.stats.lastFlushError = error instanceof Error ? error.message : String(error);
      throw error;
    } finally {
      this.flushing = undefined;
      this.stats.bufferedSamples = this.buffered;
      this.stats.seriesKnown = this.series.size;
      metrics.bufferedSamples.set(this.buffered);
      metrics.seriesKnown.set(this.series.size);
    }
  }

  /**
   * Ends the series that staleness markers named or scrapes no longer carry (ended_at; a series never stored has
   * nothing to end), then clears ended_at of the series a scrape delivered again after an end (in this order, so an
   * end and a later return in the same flush leave the series live). The ends are handed to `onSeriesEnded`.
   */
  private async writeSeriesEnds(ends: ReadonlyMap<string, number>, revived: ReadonlyMap<string, number>): Promise<void> {
    if (ends.size > 0) {
      // A newer end is never overwritten by an older one.
      await this.pool.query(
        `UPDATE telemetry_series s SET ended_at = to_timestamp(e.ms / 1000.0)
           FROM unnest($1::text[], $2::float8[]) AS e(key, ms)
          WHERE s.series_key = e.key AND (s.ended_at IS NULL OR s.ended_at < to_timestamp(e.ms / 1000.0))`,
        [[...ends.keys()], [...ends.values()]],
      );
    }
    if (revived.size > 0) {
      await this.pool.query(
        `UPDATE telemetry_series s SET ended_at = NULL
           FROM unnest($1::text[], $2::float8[]) AS e(key, ms)
          WHERE s.series_key = e.key AND s.ended_at < to_timestamp(e.ms / 1000.0)`,
        [[...revived.keys()], [...revived.values()]],
      );
    }
    if (ends.size > 0 && this.options.onSeriesEnded) {
      const ids: number[] = [];
      const times: number[] = [];
      for (const [key, ms] of ends) {
        const id = this.series.lookup(key);
        if (id === undefined) continue;
        ids.push(id);
        times.push(ms);
      }
      if (ids.length > 0) this.options.onSeriesEnded(Int32Array.from(ids), Float64Array.from(times));
    }
  }

  /**
   * `writeChunks`, and when PostgreSQL refuses the batch for its data: insert the new series in halves until each
   * refused one stands alone, drop the rows of refused series, then write the rows in halves until each refused row
   * stands alone. Each stored half is its own transaction. Returns the rows stored.
   */
  private async writeChunksIsolating(chunks: RowChunk[], rows: number): Promise<number> {
    try {
      await this.writeChunks(chunks, rows);
      return rows;
    } catch (error) {
      if (!isDataError(error)) throw error;
      const refusedSeries = await this.series.resolvePendingIsolating(this.pool);
      const flat = new RowChunk(rows);
      for (const c of chunks) {
        for (let i = 0; i < c.length; i++) {
          const key = c.pendingKeys?.get(i);
          const id = key === undefined ? c.seriesIds[i]! : this.series.lookup(key);
          if (id === undefined || (key !== undefined && refusedSeries.has(key))) continue;
          const row = flat.length++;
          flat.seriesIds[row] = id;
          flat.tsMs[row] = c.tsMs[i]!;
          flat.values[row] = c.values[i]!;
        }
        c.pendingKeys = undefined;
      }
      this.countRejected(rows - flat.length, error);
      return this.writeRowsIsolating(flat, 0, flat.length);
    }
  }

  private async writeRowsIsolating(flat: RowChunk, from: number, to: number): Promise<number> {
    if (from === to) return 0;
    try {
      await this.commitRows([{ chunk: flat, from, to }], to - from);
      return to - from;
    } catch (error) {
      if (!isDataError(error)) throw error;
      if (to - from === 1) {
        this.countRejected(1, error);
        return 0;
      }
      const mid = from + ((to - from) >> 1);
      return (await this.writeRowsIsolating(flat, from, mid)) + (await this.writeRowsIsolating(flat, mid, to));
    }
  }

  private async writeChunks(chunks: RowChunk[], rows: number): Promise<void> {
    // New series first (own statements, idempotent), so the rows can be written with their ids.
    await this.series.resolvePending(this.pool);
    for (const c of chunks) {
      if (!c.pendingKeys) continue;
      for (const [row, key] of c.pendingKeys) {
        const id = this.series.lookup(key);
        if (id === undefined) throw new Error(`series ${key.split('\x1f')[0]} has no id after insert`);
        c.seriesIds[row] = id;
      }
      c.pendingKeys = undefined;
    }
    await this.commitRows(
      chunks.map((chunk) => ({ chunk, from: 0, to: chunk.length })),
      rows,
    );
  }

  /**
   * One statement (so one transaction and one round trip): insert the rows as sample blocks, queue their contribution
   * to the 1 m / 1 h rollups (rollups.ts), move each series' latest value forward (latest-store.ts), notify listeners.
   * Its text is the same for every flush, so each connection parses and plans it once (a prepared statement).
   */
  private async commitRows(parts: { chunk: RowChunk; from: number; to: number }[], rows: number): Promise<void> {
    if (rows === 0) return;
    let minTs = Number.POSITIVE_INFINITY;
    let maxTs = Number.NEGATIVE_INFINITY;
    const deltas = new RollupDeltas(rows);
    const latest = new LatestValues();
    for (const { chunk, from, to } of parts) {
      for (let i = from; i < to; i++) {
        const ts = chunk.tsMs[i]!;
        if (ts < minTs) minTs = ts;
        if (ts > maxTs) maxTs = ts;
        deltas.add(chunk.seriesIds[i]!, ts, chunk.values[i]!);
        latest.add(chunk.seriesIds[i]!, ts, chunk.values[i]!);
      }
    }
    const params = new StatementParams();
    const blocks = sampleBlocksInsertSql(
      params,
      sampleBlockColumns(parts.map(({ chunk, from, to }) => ({ seriesIds: chunk.seriesIds, tsMs: chunk.tsMs, values: chunk.values, from, to }))),
    );
    // Data-modifying WITH parts run once and to completion whether or not the final SELECT reads them.
    // `version` (the transaction's id) tells every instance which committed flush a live aggregate reflects.
    const notify =
      this.options.notify === false
        ? 'NULL'
        : `pg_notify(${params.add(TELEMETRY_CHANNEL)}, jsonb_set(${params.add(JSON.stringify({ rows, minTs, maxTs }))}::jsonb, '{version}', to_jsonb(txid_current()))::text)`;
    const text = `WITH blocks AS (${blocks}), queued AS (${deltas.insertSql(params)}), latest AS (${latest.upsertSql(params)}) SELECT ${notify}`;
    await preparedQuery(this.pool, text, params.values);
    if (this.options.onCommitted) for (const { chunk, from, to } of parts) this.options.onCommitted(chunk.seriesIds.slice(from, to), chunk.tsMs.slice(from, to), chunk.values.slice(from, to));
  }

  /** Flushes every `intervalMs` (and retries with backoff up to 5 s while PostgreSQL is away). */
  startFlushLoop(intervalMs: number): void {
    this.flushLoop.start(intervalMs);
  }

  /** Stops the loop and makes a last attempt to write what is buffered. */
  async stop(): Promise<void> {
    this.flushLoop.stop();
    await this.flush().catch(() => {});
  }
}

/** Re-maps every stored series to the inventory (after inventory changes). Returns how many changed. */
export async function remapSeries(pool: pg.Pool, mapper: InventoryMapper): Promise<number> {
  const rows = await pool.query<{
    id: number;
    labels: Record<string, string>;
    gpu_uuid: string | null;
    hostname: string | null;
    device_name: string | null;
    entity_kind: string;
    accelerator_id: number | null;
    device_id: number | null;
    rack_id: number | null;
    power_node_id: number | null;
    cooling_unit_id: number | null;
    site_id: number | null;
  }>(
    'SELECT id, labels, gpu_uuid, hostname, device_name, entity_kind, accelerator_id, device_id, rack_id, power_node_id, cooling_unit_id, site_id FROM telemetry_series',
  );
  const changed: { id: number; ref: EntityRef }[] = [];
  for (const r of rows.rows) {
    const hint: MappingInput = { labels: r.labels };
    if (r.gpu_uuid) hint.gpuUuid = r.gpu_uuid;
    if (r.hostname) hint.hostname = r.hostname;
    if (r.device_name) hint.device = r.device_name;
    const gpuIndex = gpuIndexHint(r.labels);
    if (gpuIndex !== undefined) hint.gpuIndex = gpuIndex;
    const ref = mapper.resolve(hint);
    if (
      ref.entityKind !== r.entity_kind ||
      ref.acceleratorId !== r.accelerator_id ||
      ref.deviceId !== r.device_id ||
      ref.rackId !== r.rack_id ||
      ref.powerNodeId !== r.power_node_id ||
      ref.coolingUnitId !== r.cooling_unit_id ||
      ref.siteId !== r.site_id
    ) {
      changed.push({ id: r.id, ref });
    }
  }
  for (let i = 0; i < changed.length; i += 5000) {
    const part = changed.slice(i, i + 5000);
    await pool.query(
      `UPDATE telemetry_series s SET entity_kind = u.kind, accelerator_id = u.acc, device_id = u.dev, rack_id = u.rack,
              power_node_id = u.pn, cooling_unit_id = u.cu, site_id = u.site
         FROM unnest($1::int[], $2::text[], $3::int[], $4::int[], $5::int[], $6::int[], $7::int[], $8::int[])
              AS u(id, kind, acc, dev, rack, pn, cu, site)
        WHERE s.id = u.id`,
      [
        part.map((c) => c.id),
        part.map((c) => c.ref.entityKind),
        part.map((c) => c.ref.acceleratorId),
        part.map((c) => c.ref.deviceId),
        part.map((c) => c.ref.rackId),
        part.map((c) => c.ref.powerNodeId),
        part.map((c) => c.ref.coolingUnitId),
        part.map((c) => c.ref.siteId),
      ],
    );
  }
  return changed.length;
}

/** The mapping input of stored labels, for series written before hints were kept (and for tests). */
export function hintFromLabels(labels: Record<string, string>): MappingInput {
  const hint: MappingInput = { labels };
  const uuid = normaliseGpuUuid(labels.UUID ?? labels.uuid ?? labels.gpu_uuid);
  if (uuid) hint.gpuUuid = uuid;
  const host = labels.Hostname || labels.hostname || labels.node || labels.nodename || hostFromInstance(labels.instance);
  if (host) hint.hostname = host;
  if (labels.device) hint.device = labels.device;
  const gpuIndex = gpuIndexHint(labels);
  if (gpuIndex !== undefined) hint.gpuIndex = gpuIndex;
  return hint;
}
