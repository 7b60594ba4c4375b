/**
 * Per-target cache from the series text of an exposition line (metric name + label block, before the value) to what
 * the ingest needs for every later sample of that series: the series id (or key, while the series waits to be
 * inserted) and the few value-dependent steps of its dialect (sentinel / non-finite drops, unit factor).
 *
 * Why: exporters repeat the same series lines every scrape and only the values change. Without the cache each sample
 * costs label parsing (an object per sample), dialect mapping, facility normalisation and building + hashing a sorted
 * series key: ~3.3 µs per sample in Node, which made the ingest CPU-bound at ~0.43 × raw COPY speed. With it, a known
 * line costs a string compare of its series text and a number parse (~1 µs with the line loop), and PostgreSQL's
 * COPY becomes the bottleneck (docs/telemetry.md, Benchmark).
 *
 * Why it is exact: for a line that parsed, its series text alone determines name and labels (see `seriesTextEnd`);
 * the dialect mapping, facility normalisation and the `hostname` / `instance` labels added at scrape time depend only
 * on those and on the scope (dialect, host override, instance), which is part of the cache's identity. Only the value
 * goes through per-sample steps, described by {@link ValueRule} and checked against the real mapping each time an entry
 * is made (an entry whose rule disagrees is not cached; the line then always takes the full path).
 *
 * Invalidation: entries hold series ids, which do not depend on the inventory (a mapping change updates the series rows
 * in place, `remapSeries`). The caches are still dropped when the mapper's inventory version changes: it is cheap (one
 * slow scrape per target) and keeps this safe should mapping ever feed into series identity.
 */
import {
  AMD_PREFIX,
  AMD_RULES,
  type CanonicalSample,
  DCGM_FP64_BLANK,
  DCGM_INT64_BLANK,
  DCGM_RULES,
  type DialectName,
  getMetricDef,
  NVIDIA_SMI_RULES,
  PLENUM_PREFIX,
  scaleValue,
  TPU_RULES,
} from '@/telemetry';

/** The value-dependent part of a dialect's mapping for one series (everything else is fixed by the series text). */
export interface ValueRule {
  /**
   * DCGM blank sentinels (`isDcgmSentinel`): readings at or above this are dropped, 2^63 for int64 fields and 2^47 for
   * fp64 fields (which also catches 2^63); undefined for the other dialects. A plain number compare per sample, no call.
   */
  sentinelAtOrAbove: number | undefined;
  /** NaN / ±Inf readings are dropped (catalogue metrics). */
  dropNonFinite: boolean;
  /** Dialect unit factor, applied with `scaleValue` (1: none). */
  factor: number;
  /** Facility alias factor (`normaliseFacilitySample` multiplies by it; 1: none). */
  facilityFactor: number;
}

/**
 * The rule of a series of `name` under `dialect`, read from the same tables the dialects use (src/telemetry/dialects).
 * `facilityFactor` is filled in by the caller from `normaliseFacilitySample`.
 */
export function dialectValueRule(dialect: DialectName, name: string): ValueRule {
  switch (dialect) {
    case 'dcgm': {
      // mapDcgm: sentinels are dropped for every DCGM series (unknown ones use the int64 sentinel), non-finite
      // readings of known fields, and known fields are scaled.
      const r = DCGM_RULES.get(name);
      return { sentinelAtOrAbove: r?.fp64 ? DCGM_FP64_BLANK : DCGM_INT64_BLANK, dropNonFinite: r !== undefined, factor: r ? r.factor : 1, facilityFactor: 1 };
    }
    case 'nvidia-smi': {
      const r = NVIDIA_SMI_RULES.get(name);
      return { sentinelAtOrAbove: undefined, dropNonFinite: r !== undefined, factor: r ? r.factor : 1, facilityFactor: 1 };
    }
    case 'prometheus':
      return { sentinelAtOrAbove: undefined, dropNonFinite: getMetricDef(name) !== undefined, factor: 1, facilityFactor: 1 };
    case 'amd': {
      const r = AMD_RULES.get(name.startsWith(AMD_PREFIX) ? name.slice(AMD_PREFIX.length) : name);
      return { sentinelAtOrAbove: undefined, dropNonFinite: r !== undefined, factor: r ? r.factor : 1, facilityFactor: 1 };
    }
    case 'tpu':
      return { sentinelAtOrAbove: undefined, dropNonFinite: TPU_RULES.has(name), factor: 1, facilityFactor: 1 };
    case 'plenum': {
      const def = name.startsWith(PLENUM_PREFIX) ? getMetricDef(name.slice(PLENUM_PREFIX.length)) : undefined;
      return { sentinelAtOrAbove: undefined, dropNonFinite: def !== undefined, factor: 1, facilityFactor: 1 };
    }
  }
}

/** Whether a rule drops a reading: 0 kept, 1 a DCGM blank sentinel, 2 a non-finite reading of a catalogue metric. */
export function droppedBy(rule: ValueRule, raw: number): 0 | 1 | 2 {
  if (rule.sentinelAtOrAbove !== undefined && raw >= rule.sentinelAtOrAbove) return 1;
  if (rule.dropNonFinite && !Number.isFinite(raw)) return 2;
  return 0;
}

/** The stored value of a kept reading (the same arithmetic, in the same order, as the dialect + facility steps). */
export function ruleValue(rule: ValueRule, raw: number): number {
  let v = raw;
  if (rule.factor !== 1) v = scaleValue(v, rule.factor);
  if (rule.facilityFactor !== 1) v *= rule.facilityFactor;
  return v;
}

/**
 * The common case of a rule, checked inline by the ingest's line loop without calling `droppedBy` / `ruleValue`: a
 * finite reading below `keepBelow` (the sentinel, else +Infinity) is kept as read when `unscaled`. Every other reading
 * takes the two calls.
 */
export interface FastRule {
  keepBelow: number;
  unscaled: boolean;
}

/** One known series line. */
export interface CachedLine extends ValueRule, FastRule {
  /** The series text (name + label block) of the line. */
  text: string;
  /** Series key (metric + sorted labels). */
  key: string;
  /** Series id; -1 until the series has one (then `sample` is what gets inserted). */
  id: number;
  /** The mapped sample of the first sighting, kept only while the series has no id (series metadata for the insert). */
  sample: CanonicalSample | undefined;
}

/**
 * A cached line, built field by field in one fixed order so that every line shares one hidden class. (An object
 * literal that spreads the rule, `{ ...rule, text, … }`, gave each line a map of its own in V8 11.3: the line loop's
 * property loads then went megamorphic and missed V8's stub cache on every sample, and the cached ingest took 2.8
 * times the CPU: docs/BENCHMARKS.md.)
 */
export function cachedLine(rule: ValueRule, text: string, key: string, id: number, sample: CanonicalSample | undefined): CachedLine {
  return {
    sentinelAtOrAbove: rule.sentinelAtOrAbove,
    dropNonFinite: rule.dropNonFinite,
    factor: rule.factor,
    facilityFactor: rule.facilityFactor,
    keepBelow: rule.sentinelAtOrAbove ?? Number.POSITIVE_INFINITY,
    unscaled: rule.factor === 1 && rule.facilityFactor === 1,
    text,
    key,
    id,
    sample,
  };
}

/** Lines of one scope (target + dialect + host override + instance). */
export class LineCache {
  /** By series text. The texts are slices of the scrape that first had them (V8 keeps that text alive: one per target). */
  readonly lines = new Map<string, CachedLine>();
  /**
   * The lines of the last scrape, in document order. Exporters write their series in the same order every time, so the
   * n-th sample line is first compared with `order[n]` (a slice and a string compare: ~0.04 µs against ~0.45 µs for
   * hashing a 200-character label block for the map lookup).
   */
  order: (CachedLine | undefined)[] = [];
  constructor(readonly scope: string) {}
}

/**
 * The caches of one ingest pipeline. Bounded: when more than `maxLines` lines are cached in all (label values that
 * never repeat, e.g. churning pod names, would otherwise grow it forever) everything is dropped and rebuilt by the next
 * scrapes. Dropped as well when the inventory version changes (see the file comment).
 */
export class LineCaches {
  private readonly byScope = new Map<string, LineCache>();
  private inventoryVersion = '';
  private total = 0;
  /** Sample lines taken from the cache / left to the full path (diagnostics, tests). */
  hits = 0;
  misses = 0;

  constructor(readonly maxLines = 1_000_000) {}

  /** The cache of a scope; `inventoryVersion` is the mapper's current version. */
  get(targetId: number | null, dialect: DialectName, hostname: string | undefined, instance: string | undefined, inventoryVersion: string): LineCache {
    if (inventoryVersion !== this.inventoryVersion || this.total > this.maxLines) {
      this.clear();
      this.inventoryVersion = inventoryVersion;
    }
    const scope = `${targetId ?? ''}\x1f${dialect}\x1f${hostname ?? ''}\x1f${instance ?? ''}`;
    let cache = this.byScope.get(scope);
    if (cache === undefined) {
      cache = new LineCache(scope);
      this.byScope.set(scope, cache);
    }
    return cache;
  }

  /** Records a new line (counted against the bound). */
  add(cache: LineCache, line: CachedLine): void {
    if (!cache.lines.has(line.text)) this.total++;
    cache.lines.set(line.text, line);
  }

  /** Drops a target's caches (the target was removed or its dialect / host override changed). */
  forgetTarget(targetId: number): void {
    const prefix = `${targetId}\x1f`;
    for (const [scope, cache] of this.byScope) {
      if (!scope.startsWith(prefix)) continue;
      this.total -= cache.lines.size;
      this.byScope.delete(scope);
    }
  }

  clear(): void {
    this.byScope.clear();
    this.total = 0;
  }

  get size(): number {
    return this.total;
  }
}
