/**
 * AMD Device Metrics Exporter /metrics text for the AMD GPUs (MI300X, MI325X) of one host: the exporter's lower-case field
 * names (ROCm/device-metrics-exporter, docs/configuration/metricslist.md), every field a gauge as the exporter
 * registers them, with its always-set labels gpu_id, serial_number, card_model, hostname, gpu_partition_id,
 * gpu_compute_partition_type and gpu_memory_partition_type (the inventory's modes, default SPX / NPS1). Fields exported: the MI3xx power, temperature, activity,
 * energy, VRAM, ECC and health fields. Not simulated (left out): clocks per XCD, PCIe counters, XGMI link counters,
 * violation counters.
 * A GPU that cannot be read has no samples; NVIDIA GPUs are left out (the AMD exporter does not see them).
 */
import type { GpuReadings } from '../models/gpu';
import type { World } from '../world';
import { type MetricFamily, renderFamilies } from './prometheus';

interface AmdField {
  name: string;
  help: string;
  value: (r: GpuReadings) => number;
}

const MIB_PER_MB = 1; // amdsmi reports VRAM in MB that are MiB

/** The fields the simulator emits for an AMD Instinct GPU (MI300X, MI325X), in the exporter's field order. */
export const AMD_EXPORTER_FIELDS: readonly AmdField[] = [
  { name: 'gpu_package_power', help: 'Current socket power (W)', value: (r) => r.powerInstantW },
  { name: 'gpu_junction_temperature', help: 'Junction (hotspot) temperature (C)', value: (r) => r.gpuTempC },
  { name: 'gpu_memory_temperature', help: 'Memory temperature (C)', value: (r) => r.memoryTempC },
  { name: 'gpu_gfx_activity', help: 'Graphics engine activity (%)', value: (r) => r.gpuUtilPct },
  { name: 'gpu_umc_activity', help: 'Memory controller activity (%)', value: (r) => r.memCopyUtilPct },
  { name: 'gpu_energy_consumed', help: 'Energy consumed since boot (uJ)', value: (r) => r.energyMj * 1000 },
  { name: 'gpu_power_usage', help: 'Power usage (W)', value: (r) => r.powerW },
  { name: 'gpu_total_vram', help: 'Total VRAM (MB)', value: (r) => (r.fbUsedMib + r.fbFreeMib + r.fbReservedMib) * MIB_PER_MB },
  { name: 'gpu_ecc_correct_total', help: 'Correctable ECC errors', value: () => 0 },
  { name: 'gpu_ecc_uncorrect_total', help: 'Uncorrectable ECC errors', value: () => 0 },
  { name: 'gpu_ecc_correct_umc', help: 'Correctable ECC errors in UMC', value: () => 0 },
  { name: 'gpu_ecc_uncorrect_umc', help: 'Uncorrectable ECC errors in UMC', value: () => 0 },
  { name: 'gpu_used_vram', help: 'Used VRAM (MB)', value: (r) => r.fbUsedMib * MIB_PER_MB },
  { name: 'gpu_free_vram', help: 'Free VRAM (MB)', value: (r) => r.fbFreeMib * MIB_PER_MB },
  // An injected XID-style fault marks the GPU unhealthy, as the exporter does for a GPU with RAS events.
  { name: 'gpu_health', help: 'GPU health (1 healthy, 0 unhealthy)', value: (r) => (r.lastXid === 0 ? 1 : 0) },
];

export interface AmdRenderOptions {
  /** Field-name prefix (the exporter's CommonConfig.MetricsFieldPrefix; its ConfigMap example uses "amd_"). */
  prefix?: string;
}

/** Serial number the exporter would report, derived from the simulated UUID (stable per GPU). */
function serialOf(uuid: string): string {
  let h = 0;
  for (const c of uuid) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return `PCB${h.toString(16).toUpperCase().padStart(10, '0')}`;
}

/** AMD exporter /metrics text for a host; throws for an unknown hostname. */
export function renderAmdHostMetrics(world: World, hostname: string, options: AmdRenderOptions = {}): string {
  const host = world.hostView(hostname);
  if (!host) throw new Error(`unknown host ${hostname}`);
  const prefix = options.prefix ?? '';
  const amd = host.gpus.filter((g) => g.vendor === 'amd');
  const readable = amd.filter((g) => g.readings !== null);
  const families: MetricFamily[] = [
    // Recent exporter releases label this node-level gauge with the host's labels (gpuNodesTotal.With(nonGpuLabels) in
    // pkg/amdgpu/gpuagent/gpuagent.go); older ones set none. The simulator follows the recent ones.
    { name: `${prefix}gpu_nodes_total`, help: 'Number of GPUs in the node', type: 'gauge', samples: [{ labels: { hostname }, value: amd.length }] },
  ];
  for (const field of AMD_EXPORTER_FIELDS) {
    families.push({
      name: `${prefix}${field.name}`,
      help: field.help,
      type: 'gauge',
      samples: readable.map((g) => ({
        labels: {
          gpu_id: String(g.index),
          serial_number: serialOf(g.uuid),
          card_model: g.modelName,
          hostname,
          gpu_partition_id: '0',
          gpu_compute_partition_type: g.computePartition ?? 'SPX',
          gpu_memory_partition_type: g.memoryPartition ?? 'NPS1',
        },
        value: field.value(g.readings as GpuReadings),
      })),
    });
  }
  return renderFamilies(families);
}
