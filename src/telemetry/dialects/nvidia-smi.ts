/**
 * nvidia_gpu_exporter dialect (utkuozdemir/nvidia_gpu_exporter): `nvidia_smi_*` series.
 *
 * Quirks handled:
 * - Per-GPU series carry only `uuid`, in bare form without the `GPU-` prefix; it is normalised.
 * - The GPU index, name and PCI bus id live on `nvidia_smi_gpu_info{uuid,index,name,pci_bus_id,…} 1`; they are joined
 *   onto every series of that GPU. No hostname is exported at all: it comes from the scrape context.
 * - Units follow Prometheus conventions: clocks in Hz (`_clock_hz`), utilisation as 0-1 (`_ratio`), memory in bytes,
 *   power in watts, energy in joules. They are converted to the catalogue's MHz, percent and mJ.
 * - MIG (NVML backend): `nvidia_smi_mig_*{uuid,gpu_instance_id}` series; the profile comes from
 *   `nvidia_smi_mig_info{uuid,mig_uuid,gpu_instance_id,compute_instance_id,profile}`.
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

interface Rule {
  metric: string;
  unit: Unit;
  factor: number;
  mig: boolean;
}

function rule(metric: string, factor = 1, mig = false): Rule {
  const d = getMetricDef(metric);
  if (d === undefined) throw new Error(`nvidia-smi dialect: ${metric} is not in the catalogue`);
  return { metric, unit: d.unit, factor, mig };
}

const HZ_TO_MHZ = 1e-6;

export const NVIDIA_SMI_RULES: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  ['nvidia_smi_power_draw_watts', rule('gpu_power_w')],
  ['nvidia_smi_power_draw_instant_watts', rule('gpu_power_instant_w')],
  ['nvidia_smi_enforced_power_limit_watts', rule('gpu_power_limit_w')],
  ['nvidia_smi_energy_joules_total', rule('gpu_energy_mj', 1000)],
  ['nvidia_smi_temperature_gpu', rule('gpu_temp_c')],
  ['nvidia_smi_temperature_memory', rule('gpu_mem_temp_c')],
  ['nvidia_smi_utilization_gpu_ratio', rule('gpu_util_pct', 100)],
  ['nvidia_smi_utilization_memory_ratio', rule('gpu_mem_copy_util_pct', 100)],
  ['nvidia_smi_utilization_encoder_ratio', rule('gpu_enc_util_pct', 100)],
  ['nvidia_smi_utilization_decoder_ratio', rule('gpu_dec_util_pct', 100)],
  ['nvidia_smi_fan_speed_ratio', rule('gpu_fan_pct', 100)],
  ['nvidia_smi_memory_used_bytes', rule('gpu_fb_used_bytes')],
  ['nvidia_smi_memory_free_bytes', rule('gpu_fb_free_bytes')],
  ['nvidia_smi_memory_reserved_bytes', rule('gpu_fb_reserved_bytes')],
  ['nvidia_smi_memory_total_bytes', rule('gpu_fb_total_bytes')],
  ['nvidia_smi_clocks_current_sm_clock_hz', rule('gpu_sm_clock_mhz', HZ_TO_MHZ)],
  ['nvidia_smi_clocks_current_memory_clock_hz', rule('gpu_mem_clock_mhz', HZ_TO_MHZ)],
  ['nvidia_smi_clocks_current_graphics_clock_hz', rule('gpu_graphics_clock_mhz', HZ_TO_MHZ)],
  ['nvidia_smi_clocks_current_video_clock_hz', rule('gpu_video_clock_mhz', HZ_TO_MHZ)],
  ['nvidia_smi_clocks_event_reasons_active', rule('gpu_clock_event_reasons')],
  ['nvidia_smi_pstate', rule('gpu_pstate')],
  ['nvidia_smi_pcie_throughput_tx_bytes_per_second', rule('gpu_pcie_tx_bytes_per_s')],
  ['nvidia_smi_pcie_throughput_rx_bytes_per_second', rule('gpu_pcie_rx_bytes_per_s')],
  ['nvidia_smi_remapped_rows_correctable', rule('gpu_remapped_rows_correctable_total')],
  ['nvidia_smi_remapped_rows_uncorrectable', rule('gpu_remapped_rows_uncorrectable_total')],
  ['nvidia_smi_remapped_rows_failure', rule('gpu_row_remap_failure')],
  ['nvidia_smi_ecc_errors_corrected_volatile_total', rule('gpu_ecc_sbe_volatile_total')],
  ['nvidia_smi_ecc_errors_uncorrected_volatile_total', rule('gpu_ecc_dbe_volatile_total')],
  // MIG (per GPU instance)
  ['nvidia_smi_mig_memory_used_bytes', rule('gpu_fb_used_bytes', 1, true)],
  ['nvidia_smi_mig_memory_free_bytes', rule('gpu_fb_free_bytes', 1, true)],
  ['nvidia_smi_mig_memory_reserved_bytes', rule('gpu_fb_reserved_bytes', 1, true)],
  ['nvidia_smi_mig_memory_total_bytes', rule('gpu_fb_total_bytes', 1, true)],
  ['nvidia_smi_mig_graphics_activity_ratio', rule('gpu_gr_engine_active_ratio', 1, true)],
  ['nvidia_smi_mig_sm_activity_ratio', rule('gpu_sm_active_ratio', 1, true)],
  ['nvidia_smi_mig_sm_occupancy_ratio', rule('gpu_sm_occupancy_ratio', 1, true)],
  ['nvidia_smi_mig_tensor_activity_ratio', rule('gpu_tensor_active_ratio', 1, true)],
  ['nvidia_smi_mig_pcie_throughput_tx_bytes_per_second', rule('gpu_pcie_tx_bytes_per_s', 1, true)],
  ['nvidia_smi_mig_pcie_throughput_rx_bytes_per_second', rule('gpu_pcie_rx_bytes_per_s', 1, true)],
]);

export function isNvidiaSmiSeries(name: string): boolean {
  return name.startsWith('nvidia_smi_');
}

function normaliseMigUuid(raw: string): string {
  const s = raw.trim();
  return s.slice(0, 4).toUpperCase() === 'MIG-' ? `MIG-${s.slice(4).toLowerCase()}` : `MIG-${s.toLowerCase()}`;
}

interface GpuInfo {
  index?: number;
}

export function mapNvidiaSmi(samples: readonly RawSample[], ctx: MapContext = {}): MapResult {
  // Pass 1: the info series, so every other series can be joined with them whatever the order.
  const gpus = new Map<string, GpuInfo>();
  const migProfiles = new Map<string, MigInstance>(); // key: `${uuid}/${gpu_instance_id}`
  for (const s of samples) {
    if (s.name === 'nvidia_smi_gpu_info' || s.name === 'nvidia_smi_index') {
      const uuid = normaliseGpuUuid(s.labels.uuid);
      if (uuid === undefined) continue;
      const index = s.name === 'nvidia_smi_gpu_info' ? intLabel(s.labels.index) : Number.isInteger(s.value) ? s.value : undefined;
      const g = gpus.get(uuid) ?? {};
      if (index !== undefined) g.index = index;
      gpus.set(uuid, g);
    } else if (s.name === 'nvidia_smi_mig_info') {
      const uuid = normaliseGpuUuid(s.labels.uuid);
      const gi = intLabel(s.labels.gpu_instance_id);
      if (uuid === undefined || gi === undefined) continue;
      const key = `${uuid}/${gi}`;
      if (!migProfiles.has(key)) {
        const m: MigInstance = { gpuInstanceId: gi };
        if (s.labels.profile) m.profile = s.labels.profile;
        migProfiles.set(key, m);
      }
    }
  }

  const stats = emptyStats();
  const out: CanonicalSample[] = [];
  for (const s of samples) {
    stats.total++;
    const labels = s.labels;
    const r = NVIDIA_SMI_RULES.get(s.name);
    if (r !== undefined && !Number.isFinite(s.value)) {
      countDrop(stats, s.name, 'nonFinite');
      continue;
    }
    const sample: CanonicalSample = {
      metric: r ? r.metric : s.name,
      known: r !== undefined,
      unit: r ? r.unit : unitFromSuffix(s.name, ctx.declaredUnit?.(s.name)),
      value: r ? scaleValue(s.value, r.factor) : s.value,
      timestampMs: s.timestampMs ?? ctx.defaultTimestampMs,
      labels,
    };
    const gpuUuid = normaliseGpuUuid(labels.uuid);
    if (gpuUuid !== undefined) {
      sample.gpuUuid = gpuUuid;
      const index = gpus.get(gpuUuid)?.index;
      if (index !== undefined) sample.gpuIndex = index;
    }
    if (ctx.hostname) sample.hostname = ctx.hostname;
    const gi = intLabel(labels.gpu_instance_id);
    if (gi !== undefined) {
      const known = gpuUuid !== undefined ? migProfiles.get(`${gpuUuid}/${gi}`) : undefined;
      const mig: MigInstance = known ? { ...known } : { gpuInstanceId: gi };
      const ci = intLabel(labels.compute_instance_id);
      if (ci !== undefined) mig.computeInstanceId = ci;
      if (labels.profile && !mig.profile) mig.profile = labels.profile;
      if (labels.mig_uuid) mig.uuid = normaliseMigUuid(labels.mig_uuid);
      sample.migInstance = mig;
    }
    const k8s = k8sFromLabels(labels);
    if (k8s !== undefined) sample.k8s = k8s;
    if (r) stats.mapped++;
    else stats.passedThrough++;
    out.push(sample);
  }
  return { samples: out, stats };
}
