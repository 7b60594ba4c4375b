/**
 * AMD Instinct dialect: the AMD Device Metrics Exporter (ROCm/device-metrics-exporter) and, through
 * amd-smi-json.ts, `amd-smi metric --json`.
 *
 * Series: the exporter's lower-case field names (`gpu_power_usage`, `gpu_junction_temperature`, `gpu_ecc_correct_umc`,
 * `gpu_xgmi_link_rx`, …), optionally with the `amd_` prefix the exporter's ConfigMap example sets
 * (CommonConfig.MetricsFieldPrefix). Labels: gpu_id, serial_number, card_model, hostname, gpu_partition_id,
 * gpu_compute_partition_type, gpu_memory_partition_type (always set), plus per-series hbm_index, link_index,
 * clock_index / clock_type, and pod / namespace / container / job_* when the exporter knows the workload.
 *
 * Units as the exporter documents them: W, °C, % (0-100), MB (VRAM; amd-smi's MB are MiB), µJ (energy), KB (XGMI
 * data). They are converted to the catalogue's units here. Series of the exporter this table does not map (clocks,
 * PCIe speeds, GTT, XGMI neighbour beat counters, violation counters, …) pass through under their own names.
 */
import { getMetricDef, type Unit } from '../catalogue';
import {
  type CanonicalSample,
  countDrop,
  emptyStats,
  intLabel,
  k8sFromLabels,
  type MapContext,
  type MapResult,
  normaliseGpuUuid,
  type RawSample,
  scaleValue,
  unitFromSuffix,
} from '../samples';

interface Rule {
  metric: string;
  unit: Unit;
  factor: number;
  /** A label this series implies (the ECC block of a per-block counter). */
  extraLabels?: Record<string, string>;
}

const MIB = 1024 * 1024;
/** The exporter's optional field prefix (its ConfigMap example uses `amd_`). */
export const AMD_PREFIX = 'amd_';

function rule(metric: string, factor = 1, extraLabels?: Record<string, string>): Rule {
  const d = getMetricDef(metric);
  if (d === undefined) throw new Error(`amd dialect: ${metric} is not in the catalogue`);
  return extraLabels ? { metric, unit: d.unit, factor, extraLabels } : { metric, unit: d.unit, factor };
}

/** RAS blocks the exporter has per-block ECC counters for (gpu_ecc_correct_<block>, gpu_ecc_uncorrect_<block>). */
export const AMD_ECC_BLOCKS = [
  'sdma',
  'gfx',
  'mmhub',
  'athub',
  'bif',
  'hdp',
  'xgmi_wafl',
  'df',
  'smn',
  'sem',
  'mp0',
  'mp1',
  'fuse',
  'umc',
  'mca',
  'vcn',
  'jpeg',
  'ih',
  'mpio',
] as const;

/** Exporter field name (without prefix) → catalogue metric and the factor from the exporter's unit to ours. */
export const AMD_RULES: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  ['gpu_power_usage', rule('gpu_power_w')],
  ['gpu_package_power', rule('gpu_power_instant_w')],
  ['gpu_energy_consumed', rule('gpu_energy_mj', 0.001)],
  ['gpu_edge_temperature', rule('gpu_edge_temp_c')],
  ['gpu_junction_temperature', rule('gpu_junction_temp_c')],
  ['gpu_memory_temperature', rule('gpu_mem_temp_c')],
  ['gpu_hbm_temperature', rule('gpu_hbm_temp_c')],
  ['gpu_gfx_activity', rule('gpu_util_pct')],
  ['gpu_umc_activity', rule('gpu_mem_copy_util_pct')],
  ['gpu_total_vram', rule('gpu_fb_total_bytes', MIB)],
  ['gpu_used_vram', rule('gpu_fb_used_bytes', MIB)],
  ['gpu_free_vram', rule('gpu_fb_free_bytes', MIB)],
  ['gpu_ecc_correct_total', rule('gpu_ecc_correctable_total')],
  ['gpu_ecc_uncorrect_total', rule('gpu_ecc_uncorrectable_total')],
  ...AMD_ECC_BLOCKS.flatMap((block): [string, Rule][] => [
    [`gpu_ecc_correct_${block}`, rule('gpu_ecc_block_correctable_total', 1, { block })],
    [`gpu_ecc_uncorrect_${block}`, rule('gpu_ecc_block_uncorrectable_total', 1, { block })],
  ]),
  ['gpu_xgmi_link_rx', rule('gpu_xgmi_rx_bytes_total', 1024)],
  ['gpu_xgmi_link_tx', rule('gpu_xgmi_tx_bytes_total', 1024)],
  // Not an exporter field: amd-smi-json.ts writes amd-smi's xgmi_err status under this name.
  ['gpu_xgmi_error', rule('gpu_xgmi_error')],
  ['pcie_replay_count', rule('gpu_pcie_replay_total')],
  ['gpu_health', rule('gpu_healthy')],
]);

/**
 * Exporter series this dialect leaves under their own names that `auto` still routes here because no other exporter
 * uses them. Generic names the exporter also writes (gpu_clock, pcie_speed, pcie_bandwidth, …) are left to the
 * prometheus dialect under `auto`; with the dialect named `amd` they pass through here.
 */
const AMD_ONLY_PASS_THROUGH = new Set([
  'gpu_nodes_total',
  'gpu_average_package_power',
  'gpu_mma_activity',
  'gpu_vcn_activity',
  'gpu_jpeg_activity',
  'gpu_total_visible_vram',
  'gpu_used_visible_vram',
  'gpu_free_visible_vram',
  'gpu_total_gtt',
  'gpu_used_gtt',
  'gpu_free_gtt',
]);

function bareName(name: string): string {
  return name.startsWith(AMD_PREFIX) ? name.slice(AMD_PREFIX.length) : name;
}

/** Whether `auto` routes a series here: the exporter's own field names, or anything with its `amd_` prefix. */
export function isAmdSeries(name: string): boolean {
  if (name.startsWith(AMD_PREFIX)) return true;
  return AMD_RULES.has(name) || AMD_ONLY_PASS_THROUGH.has(name) || name.startsWith('xgmi_neighbor_') || name.startsWith('gpu_violation_');
}

export function mapAmd(samples: readonly RawSample[], ctx: MapContext = {}): MapResult {
  const stats = emptyStats();
  const out: CanonicalSample[] = [];
  for (const s of samples) {
    stats.total++;
    const r = AMD_RULES.get(bareName(s.name));
    if (r !== undefined && !Number.isFinite(s.value)) {
      countDrop(stats, s.name, 'nonFinite');
      continue;
    }
    const labels = r?.extraLabels ? { ...s.labels, ...r.extraLabels } : s.labels;
    const sample: CanonicalSample = {
      metric: r ? r.metric : s.name,
      known: r !== undefined,
      unit: r ? r.unit : unitFromSuffix(s.name),
      value: r ? scaleValue(s.value, r.factor) : s.value,
      timestampMs: s.timestampMs ?? ctx.defaultTimestampMs,
      labels,
    };
    // The exporter sets no UUID label by default; one added through its label config is used.
    const uuid = normaliseGpuUuid(labels.gpu_uuid);
    if (uuid !== undefined) sample.gpuUuid = uuid;
    const hostname = labels.hostname || ctx.hostname;
    if (hostname) sample.hostname = hostname;
    const gpuIndex = intLabel(labels.gpu_id);
    if (gpuIndex !== undefined) sample.gpuIndex = gpuIndex;
    const k8s = k8sFromLabels(labels);
    if (k8s !== undefined) sample.k8s = k8s;
    if (r) stats.mapped++;
    else stats.passedThrough++;
    out.push(sample);
  }
  return { samples: out, stats };
}
