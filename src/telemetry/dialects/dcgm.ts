/**
 * dcgm-exporter dialect (NVIDIA/dcgm-exporter, and our exporters/nvml which speaks the same format).
 *
 * Series: `DCGM_FI_*` (current) and the lower-case `dcgm_*` names of its 1.x compatibility mode.
 * Labels: gpu, UUID, pci_bus_id, device ("nvidia0"), modelName, Hostname (or `hostname` from mid-2026 releases),
 * DCGM_FI_DRIVER_VERSION; GPU_I_PROFILE / GPU_I_ID (/ GPU_CI_ID) for MIG instances; pod / namespace / container when the
 * GPU is assigned to a Kubernetes pod.
 *
 * DCGM writes a "blank" sentinel instead of a reading when a field is not supported or not yet sampled:
 * 0x7ffffffffffffff0 (9223372036854775792) and above for int64 fields, 2^47 (140737488355328) and above for double
 * fields. Those are dropped and counted, never stored as readings.
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
  type MigInstance,
  normaliseGpuUuid,
  type RawSample,
  scaleValue,
  unitFromSuffix,
} from '../samples';

/** 0x7ffffffffffffff0 = 9223372036854775792; as a double it rounds to 2^63, which is what comparisons see. */
export const DCGM_INT64_BLANK = 2 ** 63;
export const DCGM_FP64_BLANK = 140737488355328; // 2^47

interface Rule {
  metric: string;
  unit: Unit;
  factor: number;
  /** DCGM field value type, which decides the blank sentinel. */
  fp64: boolean;
}

const MIB = 1024 * 1024;

function rule(metric: string, factor = 1, fp64 = false): Rule {
  const d = getMetricDef(metric);
  if (d === undefined) throw new Error(`dcgm dialect: ${metric} is not in the catalogue`);
  return { metric, unit: d.unit, factor, fp64 };
}

/** DCGM field (or 1.x name) → canonical metric with the factor from DCGM's unit to ours. */
export const DCGM_RULES: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  ['DCGM_FI_DEV_SM_CLOCK', rule('gpu_sm_clock_mhz')],
  ['DCGM_FI_DEV_MEM_CLOCK', rule('gpu_mem_clock_mhz')],
  ['DCGM_FI_DEV_VIDEO_CLOCK', rule('gpu_video_clock_mhz')],
  ['DCGM_FI_DEV_MEMORY_TEMP', rule('gpu_mem_temp_c')],
  ['DCGM_FI_DEV_GPU_TEMP', rule('gpu_temp_c')],
  ['DCGM_FI_DEV_POWER_USAGE', rule('gpu_power_w', 1, true)],
  ['DCGM_FI_DEV_POWER_USAGE_INSTANT', rule('gpu_power_instant_w', 1, true)],
  ['DCGM_FI_DEV_POWER_MGMT_LIMIT', rule('gpu_power_limit_w', 1, true)],
  ['DCGM_FI_DEV_ENFORCED_POWER_LIMIT', rule('gpu_power_limit_w', 1, true)],
  ['DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', rule('gpu_energy_mj')],
  ['DCGM_FI_DEV_PCIE_REPLAY_COUNTER', rule('gpu_pcie_replay_total')],
  ['DCGM_FI_DEV_GPU_UTIL', rule('gpu_util_pct')],
  ['DCGM_FI_DEV_MEM_COPY_UTIL', rule('gpu_mem_copy_util_pct')],
  ['DCGM_FI_DEV_ENC_UTIL', rule('gpu_enc_util_pct')],
  ['DCGM_FI_DEV_DEC_UTIL', rule('gpu_dec_util_pct')],
  ['DCGM_FI_DEV_FAN_SPEED', rule('gpu_fan_pct')],
  ['DCGM_FI_DEV_XID_ERRORS', rule('gpu_xid_last')],
  ['DCGM_FI_DEV_FB_FREE', rule('gpu_fb_free_bytes', MIB)],
  ['DCGM_FI_DEV_FB_USED', rule('gpu_fb_used_bytes', MIB)],
  ['DCGM_FI_DEV_FB_RESERVED', rule('gpu_fb_reserved_bytes', MIB)],
  ['DCGM_FI_DEV_FB_TOTAL', rule('gpu_fb_total_bytes', MIB)],
  ['DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL', rule('gpu_nvlink_bandwidth_total')],
  ['DCGM_FI_DEV_VGPU_LICENSE_STATUS', rule('gpu_vgpu_license_status')],
  ['DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS', rule('gpu_remapped_rows_uncorrectable_total')],
  ['DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS', rule('gpu_remapped_rows_correctable_total')],
  ['DCGM_FI_DEV_ROW_REMAP_FAILURE', rule('gpu_row_remap_failure')],
  ['DCGM_FI_DEV_ECC_SBE_VOL_TOTAL', rule('gpu_ecc_sbe_volatile_total')],
  ['DCGM_FI_DEV_ECC_DBE_VOL_TOTAL', rule('gpu_ecc_dbe_volatile_total')],
  ['DCGM_FI_DEV_CLOCK_THROTTLE_REASONS', rule('gpu_clock_event_reasons')],
  ['DCGM_FI_DEV_CLOCKS_EVENT_REASONS', rule('gpu_clock_event_reasons')],
  ['DCGM_FI_DEV_PSTATE', rule('gpu_pstate')],
  ['DCGM_FI_PROF_GR_ENGINE_ACTIVE', rule('gpu_gr_engine_active_ratio', 1, true)],
  ['DCGM_FI_PROF_SM_ACTIVE', rule('gpu_sm_active_ratio', 1, true)],
  ['DCGM_FI_PROF_SM_OCCUPANCY', rule('gpu_sm_occupancy_ratio', 1, true)],
  ['DCGM_FI_PROF_PIPE_TENSOR_ACTIVE', rule('gpu_tensor_active_ratio', 1, true)],
  ['DCGM_FI_PROF_DRAM_ACTIVE', rule('gpu_dram_active_ratio', 1, true)],
  ['DCGM_FI_PROF_PCIE_TX_BYTES', rule('gpu_pcie_tx_bytes_per_s')],
  ['DCGM_FI_PROF_PCIE_RX_BYTES', rule('gpu_pcie_rx_bytes_per_s')],
  // dcgm-exporter 1.x compatibility names. The dcgm_fi_prof_* names are deliberately NOT mapped: that mode's own
  // counter list gives them two meanings each (a byte counter and a rate; a ratio labelled "in %"), so they pass through.
  ['dcgm_sm_clock', rule('gpu_sm_clock_mhz')],
  ['dcgm_memory_clock', rule('gpu_mem_clock_mhz')],
  ['dcgm_memory_temp', rule('gpu_mem_temp_c')],
  ['dcgm_gpu_temp', rule('gpu_temp_c')],
  ['dcgm_power_usage', rule('gpu_power_w', 1, true)],
  ['dcgm_total_energy_consumption', rule('gpu_energy_mj')],
  ['dcgm_pcie_replay_counter', rule('gpu_pcie_replay_total')],
  ['dcgm_gpu_utilization', rule('gpu_util_pct')],
  ['dcgm_mem_copy_utilization', rule('gpu_mem_copy_util_pct')],
  ['dcgm_enc_utilization', rule('gpu_enc_util_pct')],
  ['dcgm_dec_utilization', rule('gpu_dec_util_pct')],
  ['dcgm_xid_errors', rule('gpu_xid_last')],
  ['dcgm_fb_free', rule('gpu_fb_free_bytes', MIB)],
  ['dcgm_fb_used', rule('gpu_fb_used_bytes', MIB)],
  ['dcgm_nvlink_bandwidth_total', rule('gpu_nvlink_bandwidth_total')],
]);

export function isDcgmSeries(name: string): boolean {
  return name.startsWith('DCGM_') || name.startsWith('dcgm_');
}

/** True when a value is one of DCGM's blank / not-supported sentinels for a field of that type. */
export function isDcgmSentinel(value: number, fp64: boolean): boolean {
  return value >= DCGM_INT64_BLANK || (fp64 && value >= DCGM_FP64_BLANK);
}

function migFromLabels(labels: Record<string, string>): MigInstance | undefined {
  const profile = labels.GPU_I_PROFILE;
  const gi = intLabel(labels.GPU_I_ID);
  const ci = intLabel(labels.GPU_CI_ID);
  if (!profile && gi === undefined && ci === undefined) return undefined;
  const mig: MigInstance = {};
  if (profile) mig.profile = profile;
  if (gi !== undefined) mig.gpuInstanceId = gi;
  if (ci !== undefined) mig.computeInstanceId = ci;
  return mig;
}

export function mapDcgm(samples: readonly RawSample[], ctx: MapContext = {}): MapResult {
  const stats = emptyStats();
  const out: CanonicalSample[] = [];
  for (const s of samples) {
    stats.total++;
    const labels = s.labels;
    const r = DCGM_RULES.get(s.name);
    const value = s.value;
    // Sentinels are dropped whatever the series (a passed-through DCGM field carries the same blanks).
    if (isDcgmSentinel(value, r?.fp64 ?? false)) {
      countDrop(stats, s.name, 'sentinel');
      continue;
    }
    if (r !== undefined && !Number.isFinite(value)) {
      countDrop(stats, s.name, 'nonFinite');
      continue;
    }
    let gpuUuid = normaliseGpuUuid(labels.UUID ?? labels.uuid);
    let mig = migFromLabels(labels);
    if (gpuUuid?.startsWith('MIG-')) {
      mig = { ...mig, uuid: gpuUuid };
      gpuUuid = undefined;
    }
    const sample: CanonicalSample = {
      metric: r ? r.metric : s.name,
      known: r !== undefined,
      unit: r ? r.unit : unitFromSuffix(s.name, ctx.declaredUnit?.(s.name)),
      value: r ? scaleValue(value, r.factor) : value,
      timestampMs: s.timestampMs ?? ctx.defaultTimestampMs,
      labels,
    };
    if (gpuUuid !== undefined) sample.gpuUuid = gpuUuid;
    const hostname = labels.Hostname || labels.hostname || ctx.hostname;
    if (hostname) sample.hostname = hostname;
    const gpuIndex = intLabel(labels.gpu);
    if (gpuIndex !== undefined) sample.gpuIndex = gpuIndex;
    if (mig !== undefined) sample.migInstance = mig;
    const k8s = k8sFromLabels(labels);
    if (k8s !== undefined) sample.k8s = k8s;
    if (r) stats.mapped++;
    else stats.passedThrough++;
    out.push(sample);
  }
  return { samples: out, stats };
}
