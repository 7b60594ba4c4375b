/**
 * Generic Prometheus dialect: for series from any other exporter.
 *
 * A series whose name is a catalogue name (`gpu_power_w`, `rack_inlet_temp_c`, …) is taken as that metric, already in
 * its unit. Everything else is passed through under its own name, with a unit guessed from the Prometheus naming
 * convention (`_watts`, `_bytes`, `_seconds`, `_ratio`, …) or `unknown`.
 * Identity labels understood: UUID / uuid / gpu_uuid, Hostname / hostname / node / nodename, else the host part of
 * `instance`; gpu / gpu_index; device; pod / namespace / container.
 */
import { getMetricDef } from '../catalogue';
import {
  type CanonicalSample,
  countDrop,
  emptyStats,
  hostFromInstance,
  intLabel,
  k8sFromLabels,
  type MapContext,
  type MapResult,
  normaliseGpuUuid,
  type RawSample,
  unitFromSuffix,
} from '../samples';

/** Maps series whose name (after removing `prefix`) is a catalogue name. Shared by the prometheus and plenum dialects. */
export function mapByCatalogueName(samples: readonly RawSample[], ctx: MapContext, prefix: string): MapResult {
  const stats = emptyStats();
  const out: CanonicalSample[] = [];
  for (const s of samples) {
    stats.total++;
    const labels = s.labels;
    const def = s.name.startsWith(prefix) ? getMetricDef(s.name.slice(prefix.length)) : undefined;
    if (def !== undefined && !Number.isFinite(s.value)) {
      countDrop(stats, s.name, 'nonFinite');
      continue;
    }
    const sample: CanonicalSample = {
      metric: def ? def.name : s.name,
      known: def !== undefined,
      unit: def ? def.unit : unitFromSuffix(s.name, ctx.declaredUnit?.(s.name)),
      value: s.value,
      timestampMs: s.timestampMs ?? ctx.defaultTimestampMs,
      labels,
    };
    const uuid = normaliseGpuUuid(labels.UUID ?? labels.uuid ?? labels.gpu_uuid);
    if (uuid !== undefined) sample.gpuUuid = uuid;
    const hostname =
      labels.Hostname || labels.hostname || labels.node || labels.nodename || ctx.hostname || hostFromInstance(labels.instance);
    if (hostname) sample.hostname = hostname;
    const gpuIndex = intLabel(labels.gpu ?? labels.gpu_index);
    if (gpuIndex !== undefined) sample.gpuIndex = gpuIndex;
    if (labels.device && def?.scope === 'facility') sample.device = labels.device;
    const k8s = k8sFromLabels(labels);
    if (k8s !== undefined) sample.k8s = k8s;
    if (def) stats.mapped++;
    else stats.passedThrough++;
    out.push(sample);
  }
  return { samples: out, stats };
}

export function mapPrometheus(samples: readonly RawSample[], ctx: MapContext = {}): MapResult {
  return mapByCatalogueName(samples, ctx, '');
}
