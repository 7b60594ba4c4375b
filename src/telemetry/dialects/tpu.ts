/**
 * Google TPU dialect: the Prometheus text the GKE TPU device plugin serves on each TPU node (port 2112, /metrics; the
 * series GKE's "TPU metrics" and Google Cloud Managed Service for Prometheus scrape). Sources of every name and label:
 * docs/telemetry.md, "Google TPU".
 *
 * Series, each per chip: `duty_cycle` (% of time the TensorCores were busy), `memory_used` / `memory_total` (HBM
 * bytes), `tensorcore_utilization` (%), `memory_bandwidth_utilization` (% of peak HBM bandwidth), each with a `_node`
 * twin. The plain series carry the workload's namespace / pod / container; the `_node` twins do not. Labels: make
 * (`cloud-tpu`), model (`tpu-v5p-slice`, …), tpu_topology (`2x2x1`, …) and accelerator_id, `<instance id>-<device id>`,
 * which identifies the chip the way a UUID identifies an NVIDIA GPU: the inventory stores it as the chip's uuid.
 *
 * Google exposes no TPU chip power or temperature in any of its tools (device plugin, Cloud Monitoring, libtpu /
 * tpu-info), so this dialect has none to map; a TPU host's power comes from its PDU outlet or BMC. Series of the
 * plugin not in the table (gRPC / DCN counters, latency histograms, accelerator_request) pass through.
 */
import { getMetricDef, type Unit } from '../catalogue';
import { type CanonicalSample, countDrop, emptyStats, k8sFromLabels, type MapContext, type MapResult, type RawSample, unitFromSuffix } from '../samples';

interface Rule {
  metric: string;
  unit: Unit;
}

function rule(metric: string): Rule {
  const d = getMetricDef(metric);
  if (d === undefined) throw new Error(`tpu dialect: ${metric} is not in the catalogue`);
  return { metric, unit: d.unit };
}

/** Device-plugin series → catalogue metric. Units already match (% 0-100, bytes). */
const BASE_RULES: ReadonlyArray<[string, Rule]> = [
  ['duty_cycle', rule('gpu_util_pct')],
  ['memory_used', rule('gpu_fb_used_bytes')],
  ['memory_total', rule('gpu_fb_total_bytes')],
  ['tensorcore_utilization', rule('tpu_tensorcore_util_pct')],
  ['memory_bandwidth_utilization', rule('tpu_hbm_bandwidth_util_pct')],
];

export const TPU_RULES: ReadonlyMap<string, Rule> = new Map(BASE_RULES.flatMap(([name, r]): [string, Rule][] => [[name, r], [`${name}_node`, r]]));

/**
 * Series `auto` routes here: the names no other common exporter uses. The plain `duty_cycle`, `memory_used`,
 * `memory_total` and `memory_bandwidth_utilization` are too generic to claim by name; a target with the `tpu`
 * dialect reads them all.
 */
const TPU_ONLY_NAMES = new Set([...TPU_RULES.keys()].filter((n) => n.endsWith('_node') || n.startsWith('tensorcore_')));

export function isTpuSeries(name: string): boolean {
  return TPU_ONLY_NAMES.has(name);
}

/** The chip index within its host: the device id after the last '-' of accelerator_id. */
export function tpuChipIndex(acceleratorId: string): number | undefined {
  const m = /-(\d+)$/.exec(acceleratorId);
  return m ? Number(m[1]) : undefined;
}

export function mapTpu(samples: readonly RawSample[], ctx: MapContext = {}): MapResult {
  const stats = emptyStats();
  const out: CanonicalSample[] = [];
  for (const s of samples) {
    stats.total++;
    const r = TPU_RULES.get(s.name);
    if (r !== undefined && !Number.isFinite(s.value)) {
      countDrop(stats, s.name, 'nonFinite');
      continue;
    }
    const labels = s.labels;
    const sample: CanonicalSample = {
      metric: r ? r.metric : s.name,
      known: r !== undefined,
      unit: r ? r.unit : unitFromSuffix(s.name, ctx.declaredUnit?.(s.name)),
      value: s.value,
      timestampMs: s.timestampMs ?? ctx.defaultTimestampMs,
      labels,
    };
    // accelerator_id is the chip's identity (the inventory's uuid of the chip), kept verbatim.
    const chipId = labels.accelerator_id?.trim();
    if (chipId) {
      sample.gpuUuid = chipId;
      const index = tpuChipIndex(chipId);
      if (index !== undefined) sample.gpuIndex = index;
    }
    // The plugin writes no host label; a scrape's hostname (or a relabelled node label) names the host.
    const hostname = labels.node || labels.hostname || ctx.hostname;
    if (hostname) sample.hostname = hostname;
    const k8s = k8sFromLabels(labels);
    if (k8s !== undefined) sample.k8s = k8s;
    if (r) stats.mapped++;
    else stats.passedThrough++;
    out.push(sample);
  }
  return { samples: out, stats };
}
