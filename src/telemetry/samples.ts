/**
 * Canonical samples: what every dialect produces, whatever exporter the reading came from.
 */
import type { Unit } from './catalogue';

/** The minimum a dialect needs from a sample: an exposition line or a remote-write series point. */
export interface RawSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs: number | undefined;
  /** A Prometheus staleness marker (remote-write): the series ends here; `value` is not a reading. */
  stale?: true;
}

export interface MigInstance {
  /** MIG profile, e.g. "1g.10gb". */
  profile?: string;
  gpuInstanceId?: number;
  computeInstanceId?: number;
  /** The MIG device's own UUID (`MIG-…`), when the exporter gives it. */
  uuid?: string;
}

export interface K8sRef {
  pod?: string;
  namespace?: string;
  container?: string;
}

export interface CanonicalSample {
  /** Catalogue name when `known`, else the raw series name (passed through, never dropped). */
  metric: string;
  known: boolean;
  unit: Unit;
  value: number;
  timestampMs: number | undefined;
  /** `GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lower-case hex. */
  gpuUuid?: string;
  hostname?: string;
  gpuIndex?: number;
  migInstance?: MigInstance;
  k8s?: K8sRef;
  /** Facility device name (plenum dialect, label `device`). */
  device?: string;
  /** The series' labels as the exporter wrote them. */
  labels: Record<string, string>;
}

export type DialectName = 'dcgm' | 'nvidia-smi' | 'prometheus' | 'plenum' | 'amd' | 'tpu';

export interface MapStats {
  /** Samples read. */
  total: number;
  /** Samples mapped to a catalogue metric. */
  mapped: number;
  /** Samples kept under their raw name. */
  passedThrough: number;
  /** DCGM "blank / not supported" sentinels, dropped. */
  droppedSentinel: number;
  /** NaN / ±Inf readings of catalogue metrics, dropped. */
  droppedNonFinite: number;
  /** Dropped samples by series name. */
  droppedByName: Record<string, number>;
}

export interface MapResult {
  samples: CanonicalSample[];
  stats: MapStats;
}

export interface MapContext {
  /** Hostname of the scrape target; used when the series carry none (nvidia_gpu_exporter never does). */
  hostname?: string;
  /** Timestamp for samples that carry none (usually the scrape time). */
  defaultTimestampMs?: number;
  /** The unit a series' family declared (OpenMetrics `# UNIT`), by series name; used for passed-through series. */
  declaredUnit?: (seriesName: string) => string | undefined;
}

export function emptyStats(): MapStats {
  return { total: 0, mapped: 0, passedThrough: 0, droppedSentinel: 0, droppedNonFinite: 0, droppedByName: {} };
}

export function mergeStats(into: MapStats, from: MapStats): MapStats {
  into.total += from.total;
  into.mapped += from.mapped;
  into.passedThrough += from.passedThrough;
  into.droppedSentinel += from.droppedSentinel;
  into.droppedNonFinite += from.droppedNonFinite;
  for (const [k, v] of Object.entries(from.droppedByName)) into.droppedByName[k] = (into.droppedByName[k] ?? 0) + v;
  return into;
}

export function countDrop(stats: MapStats, name: string, reason: 'sentinel' | 'nonFinite'): void {
  if (reason === 'sentinel') stats.droppedSentinel++;
  else stats.droppedNonFinite++;
  stats.droppedByName[name] = (stats.droppedByName[name] ?? 0) + 1;
}

/**
 * Normalises a GPU UUID to NVIDIA's `GPU-<lower-case hex>` form. Accepts the bare form nvidia_gpu_exporter writes
 * (`00000000-0000-…`), any case, surrounding spaces. `MIG-…` UUIDs keep their prefix. Empty input gives undefined.
 */
const uuidMemo = new Map<string, string | undefined>();

export function normaliseGpuUuid(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const hit = uuidMemo.get(raw);
  if (hit !== undefined || uuidMemo.has(raw)) return hit;
  if (uuidMemo.size >= 65536) uuidMemo.clear(); // bounded: a fleet has far fewer GPUs
  const v = normaliseUncached(raw);
  uuidMemo.set(raw, v);
  return v;
}

function normaliseUncached(raw: string): string | undefined {
  const s = raw.trim();
  if (s.length === 0) return undefined;
  const prefix = s.slice(0, 4).toUpperCase();
  if (prefix === 'GPU-') return `GPU-${s.slice(4).toLowerCase()}`;
  if (prefix === 'MIG-') return `MIG-${s.slice(4).toLowerCase()}`;
  return `GPU-${s.toLowerCase()}`;
}

/** Parses a non-negative integer label ("0", "7"); undefined when absent or not an integer. */
export function intLabel(v: string | undefined): number | undefined {
  if (v === undefined || v.length === 0) return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** Multiplies and removes binary floating-point noise (0.11 × 100 = 11, not 11.000000000000002). */
export function scaleValue(v: number, factor: number): number {
  if (factor === 1) return v;
  const r = v * factor;
  if (!Number.isFinite(r) || Number.isInteger(r)) return r;
  if (Math.abs(r) >= 1e6) return r;
  return Math.round(r * 1e9) / 1e9;
}

/** Kubernetes pod reference from dcgm-exporter style labels; `exported_*` (set by a Prometheus that re-labelled) wins. */
export function k8sFromLabels(labels: Record<string, string>): K8sRef | undefined {
  const pod = labels.exported_pod || labels.pod;
  const namespace = labels.exported_namespace || labels.namespace;
  const container = labels.exported_container || labels.container;
  if (!pod && !namespace && !container) return undefined;
  const ref: K8sRef = {};
  if (pod) ref.pod = pod;
  if (namespace) ref.namespace = namespace;
  if (container) ref.container = container;
  return ref;
}

/** Host part of a Prometheus `instance` label ("node-1:9400" → "node-1", "[::1]:9400" → "::1"). */
export function hostFromInstance(instance: string | undefined): string | undefined {
  if (!instance) return undefined;
  if (instance.startsWith('[')) {
    const close = instance.indexOf(']');
    return close > 0 ? instance.slice(1, close) : instance;
  }
  const colon = instance.lastIndexOf(':');
  if (colon > 0 && instance.indexOf(':') === colon) return instance.slice(0, colon);
  return instance;
}

/** Units as OpenMetrics `# UNIT` lines (and the Prometheus naming convention) spell them. */
const NAMED_UNITS: Readonly<Record<string, Unit>> = {
  watts: 'W',
  celsius: 'C',
  bytes: 'bytes',
  bytes_per_second: 'bytes_per_s',
  ratio: 'ratio',
  percent: 'pct',
  seconds: 's',
  volts: 'V',
  amperes: 'A',
  hertz: 'Hz',
  joules: 'J',
};

/** Name suffix → unit, checked on the name without `_total` / `_sum` (`*_bytes_total` counts bytes). */
const SUFFIX_UNITS: readonly [string, Unit][] = [
  ['_bytes_per_second', 'bytes_per_s'],
  ['_watts', 'W'],
  ['_celsius', 'C'],
  ['_bytes', 'bytes'],
  ['_ratio', 'ratio'],
  ['_percent', 'pct'],
  ['_seconds', 's'],
  ['_volts', 'V'],
  ['_amperes', 'A'],
  ['_hertz', 'Hz'],
  ['_hz', 'Hz'], // nvidia_gpu_exporter's clocks
  ['_joules', 'J'],
];

/** The unit an OpenMetrics `# UNIT` line names, when Plenum knows it. */
export function unitFromName(unit: string | undefined): Unit | undefined {
  return unit ? NAMED_UNITS[unit.toLowerCase()] : undefined;
}

/**
 * Unit of a passed-through (non-catalogue) series: the unit its family declared (`# UNIT`), else the Prometheus
 * naming convention. One rule for every dialect:
 * - `_count` and `_bucket` series count observations: `count`, whatever the family measures;
 * - `_total` (counter) and `_sum` (histogram / summary) are dropped first, so `*_bytes_total` is bytes and
 *   `*_seconds_sum` is seconds; a `_total` without a unit suffix is a `count`;
 * - then `_watts`, `_celsius`, `_bytes`, `_bytes_per_second`, `_ratio`, `_percent`, `_seconds`, `_volts`, `_amperes`,
 *   `_hertz` / `_hz`, `_joules`; anything else is `unknown`.
 * Suffixes are matched case-sensitively, as the convention writes them (DCGM's upper-case field names never match).
 */
export function unitFromSuffix(name: string, declaredUnit?: string): Unit {
  if (name.endsWith('_count') || name.endsWith('_bucket')) return 'count';
  let base = name;
  let counter = false;
  if (base.endsWith('_total')) {
    base = base.slice(0, -'_total'.length);
    counter = true;
  } else if (base.endsWith('_sum')) {
    base = base.slice(0, -'_sum'.length);
  }
  const declared = unitFromName(declaredUnit);
  if (declared) return declared;
  for (const [suffix, unit] of SUFFIX_UNITS) if (base.endsWith(suffix)) return unit;
  return counter ? 'count' : 'unknown';
}
