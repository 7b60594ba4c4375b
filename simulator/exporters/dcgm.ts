/**
 * dcgm-exporter-compatible /metrics text for one GPU host, as dcgm-exporter emits it with its default counters
 * (etc/default-counters.csv): per counter a # HELP and a # TYPE line, then one sample per GPU with the labels
 * gpu, UUID, pci_bus_id, device, modelName, Hostname, DCGM_FI_DRIVER_VERSION. Integer fields print as integers,
 * double fields (power, profiling ratios) with six decimals, as dcgm-exporter's %f does.
 * A GPU that cannot be read (fallen off the bus, shut down, host unpowered) has no samples. AMD GPUs are not
 * visible to DCGM, so they are left out.
 */
import type { GpuReadings } from '../models/gpu';
import type { World } from '../world';
import { escapeLabelValue } from './prometheus';

interface DcgmCounter {
  field: string;
  type: 'gauge' | 'counter';
  help: string;
  kind: 'int' | 'double';
  value: (r: GpuReadings) => number;
}

/** The default counters of dcgm-exporter, in the order of default-counters.csv. */
export const DCGM_DEFAULT_COUNTERS: readonly DcgmCounter[] = [
  { field: 'DCGM_FI_DEV_SM_CLOCK', type: 'gauge', help: 'SM clock frequency (in MHz).', kind: 'int', value: (r) => r.smClockMhz },
  { field: 'DCGM_FI_DEV_MEM_CLOCK', type: 'gauge', help: 'Memory clock frequency (in MHz).', kind: 'int', value: (r) => r.memClockMhz },
  { field: 'DCGM_FI_DEV_MEMORY_TEMP', type: 'gauge', help: 'Memory temperature (in C).', kind: 'int', value: (r) => r.memoryTempC },
  { field: 'DCGM_FI_DEV_GPU_TEMP', type: 'gauge', help: 'GPU temperature (in C).', kind: 'int', value: (r) => r.gpuTempC },
  { field: 'DCGM_FI_DEV_POWER_USAGE', type: 'gauge', help: 'Power draw (in W).', kind: 'double', value: (r) => r.powerW },
  {
    field: 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION',
    type: 'counter',
    help: 'Total energy consumption since boot (in mJ).',
    kind: 'int',
    value: (r) => r.energyMj,
  },
  { field: 'DCGM_FI_DEV_PCIE_REPLAY_COUNTER', type: 'counter', help: 'Total number of PCIe retries.', kind: 'int', value: () => 0 },
  { field: 'DCGM_FI_DEV_GPU_UTIL', type: 'gauge', help: 'GPU utilization (in %).', kind: 'int', value: (r) => r.gpuUtilPct },
  { field: 'DCGM_FI_DEV_MEM_COPY_UTIL', type: 'gauge', help: 'Memory utilization (in %).', kind: 'int', value: (r) => r.memCopyUtilPct },
  { field: 'DCGM_FI_DEV_ENC_UTIL', type: 'gauge', help: 'Encoder utilization (in %).', kind: 'int', value: () => 0 },
  { field: 'DCGM_FI_DEV_DEC_UTIL', type: 'gauge', help: 'Decoder utilization (in %).', kind: 'int', value: () => 0 },
  { field: 'DCGM_FI_DEV_XID_ERRORS', type: 'gauge', help: 'Value of the last XID error encountered.', kind: 'int', value: (r) => r.lastXid },
  { field: 'DCGM_FI_DEV_FB_FREE', type: 'gauge', help: 'Framebuffer memory free (in MiB).', kind: 'int', value: (r) => r.fbFreeMib },
  { field: 'DCGM_FI_DEV_FB_USED', type: 'gauge', help: 'Framebuffer memory used (in MiB).', kind: 'int', value: (r) => r.fbUsedMib },
  { field: 'DCGM_FI_DEV_FB_RESERVED', type: 'gauge', help: 'Framebuffer memory reserved (in MiB).', kind: 'int', value: (r) => r.fbReservedMib },
  {
    field: 'DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL',
    type: 'counter',
    help: 'Total number of NVLink bandwidth counters for all lanes.',
    kind: 'int',
    value: () => 0,
  },
  { field: 'DCGM_FI_DEV_VGPU_LICENSE_STATUS', type: 'gauge', help: 'vGPU License status', kind: 'int', value: () => 0 },
  {
    field: 'DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS',
    type: 'counter',
    help: 'Number of remapped rows for uncorrectable errors',
    kind: 'int',
    value: () => 0,
  },
  {
    field: 'DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS',
    type: 'counter',
    help: 'Number of remapped rows for correctable errors',
    kind: 'int',
    value: () => 0,
  },
  { field: 'DCGM_FI_DEV_ROW_REMAP_FAILURE', type: 'gauge', help: 'Whether remapping of rows has failed', kind: 'int', value: () => 0 },
  {
    field: 'DCGM_FI_PROF_GR_ENGINE_ACTIVE',
    type: 'gauge',
    help: 'Ratio of time the graphics engine is active.',
    kind: 'double',
    value: (r) => r.grEngineActive,
  },
  {
    field: 'DCGM_FI_PROF_PIPE_TENSOR_ACTIVE',
    type: 'gauge',
    help: 'Ratio of cycles the tensor (HMMA) pipe is active.',
    kind: 'double',
    value: (r) => r.tensorActive,
  },
  {
    field: 'DCGM_FI_PROF_DRAM_ACTIVE',
    type: 'gauge',
    help: 'Ratio of cycles the device memory interface is active sending or receiving data.',
    kind: 'double',
    value: (r) => r.dramActive,
  },
  {
    field: 'DCGM_FI_PROF_PCIE_TX_BYTES',
    type: 'gauge',
    help: 'The rate of data transmitted over the PCIe bus - including both protocol headers and data payloads - in bytes per second.',
    kind: 'int',
    value: (r) => r.pcieTxBytesPerS,
  },
  {
    field: 'DCGM_FI_PROF_PCIE_RX_BYTES',
    type: 'gauge',
    help: 'The rate of data received over the PCIe bus - including both protocol headers and data payloads - in bytes per second.',
    kind: 'int',
    value: (r) => r.pcieRxBytesPerS,
  },
];

export interface DcgmRenderOptions {
  /** dcgm-exporter spells the label "Hostname" up to its mid-2026 releases, "hostname" after. Default "Hostname". */
  hostnameLabel?: 'Hostname' | 'hostname';
}

function formatDcgmValue(value: number, kind: 'int' | 'double'): string {
  return kind === 'int' ? String(Math.round(value)) : value.toFixed(6);
}

/** dcgm-exporter /metrics text for a host; throws for an unknown hostname. */
export function renderGpuHostMetrics(world: World, hostname: string, options: DcgmRenderOptions = {}): string {
  const host = world.hostView(hostname);
  if (!host) throw new Error(`unknown host ${hostname}`);
  const hostnameLabel = options.hostnameLabel ?? 'Hostname';
  const gpus = host.gpus
    .filter((g) => g.vendor === 'nvidia' && g.readings !== null)
    .map((g) => ({
      readings: g.readings as GpuReadings,
      labels:
        `gpu="${g.index}",UUID="${escapeLabelValue(g.uuid)}",pci_bus_id="${g.pciBusId}",device="nvidia${g.index}",` +
        `modelName="${escapeLabelValue(g.modelName)}",${hostnameLabel}="${escapeLabelValue(hostname)}",` +
        `DCGM_FI_DRIVER_VERSION="${escapeLabelValue(world.driverVersion)}"`,
    }));
  const lines: string[] = [];
  for (const c of DCGM_DEFAULT_COUNTERS) {
    lines.push(`# HELP ${c.field} ${c.help}`, `# TYPE ${c.field} ${c.type}`);
    for (const g of gpus) lines.push(`${c.field}{${g.labels}} ${formatDcgmValue(c.value(g.readings), c.kind)}`);
  }
  return `${lines.join('\n')}\n`;
}
