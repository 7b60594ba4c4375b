/**
 * Renders NVML readings as dcgm-exporter's /metrics: the same series names, units, HELP texts and label set, so
 * anything that scrapes dcgm-exporter (including Plenum's dcgm dialect) reads this exporter unchanged.
 */
import type { GpuIdentity, GpuReading } from './nvml';

export interface RenderOptions {
  hostname: string;
  driverVersion: string;
  /** `Hostname` (dcgm-exporter until mid-2026) or `hostname` (later releases). */
  hostnameLabel: 'Hostname' | 'hostname';
}

interface Field {
  name: string;
  type: 'gauge' | 'counter';
  help: string;
  value: (r: GpuReading) => number | undefined;
}

const MIB = 1024 * 1024;
const mib = (b: number | undefined) => (b === undefined ? undefined : Math.floor(b / MIB));

/** In dcgm-exporter's default-counters order; units as dcgm-exporter reports them. */
export const FIELDS: readonly Field[] = [
  { name: 'DCGM_FI_DEV_SM_CLOCK', type: 'gauge', help: 'SM clock frequency (in MHz).', value: (r) => r.smClockMhz },
  { name: 'DCGM_FI_DEV_MEM_CLOCK', type: 'gauge', help: 'Memory clock frequency (in MHz).', value: (r) => r.memClockMhz },
  { name: 'DCGM_FI_DEV_MEMORY_TEMP', type: 'gauge', help: 'Memory temperature (in C).', value: (r) => r.memTempC },
  { name: 'DCGM_FI_DEV_GPU_TEMP', type: 'gauge', help: 'GPU temperature (in C).', value: (r) => r.tempC },
  {
    name: 'DCGM_FI_DEV_POWER_USAGE',
    type: 'gauge',
    help: 'Power draw (in W).',
    value: (r) => (r.powerMw === undefined ? undefined : r.powerMw / 1000),
  },
  {
    name: 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION',
    type: 'counter',
    help: 'Total energy consumption since boot (in mJ).',
    value: (r) => r.energyMj,
  },
  { name: 'DCGM_FI_DEV_GPU_UTIL', type: 'gauge', help: 'GPU utilization (in %).', value: (r) => r.utilGpuPct },
  { name: 'DCGM_FI_DEV_MEM_COPY_UTIL', type: 'gauge', help: 'Memory utilization (in %).', value: (r) => r.utilMemPct },
  { name: 'DCGM_FI_DEV_XID_ERRORS', type: 'gauge', help: 'Value of the last XID error encountered.', value: (r) => r.xidLast },
  { name: 'DCGM_FI_DEV_FB_FREE', type: 'gauge', help: 'Framebuffer memory free (in MiB).', value: (r) => mib(r.fbFreeBytes) },
  { name: 'DCGM_FI_DEV_FB_USED', type: 'gauge', help: 'Framebuffer memory used (in MiB).', value: (r) => mib(r.fbUsedBytes) },
  {
    name: 'DCGM_FI_DEV_FB_RESERVED',
    type: 'gauge',
    help: 'Framebuffer memory reserved (in MiB).',
    value: (r) => mib(r.fbReservedBytes),
  },
  {
    name: 'DCGM_FI_DEV_POWER_MGMT_LIMIT',
    type: 'gauge',
    help: 'Power management limit (in W).',
    value: (r) => (r.powerLimitMw === undefined ? undefined : r.powerLimitMw / 1000),
  },
  {
    name: 'DCGM_FI_DEV_CLOCKS_EVENT_REASONS',
    type: 'gauge',
    help: 'Current clock event reasons (bitmask).',
    value: (r) => r.clockEventReasons,
  },
];

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export function gpuLabels(gpu: GpuIdentity, opts: RenderOptions): string {
  const device = `nvidia${gpu.minor ?? gpu.index}`;
  return (
    `gpu="${gpu.index}",UUID="${escapeLabel(gpu.uuid)}",pci_bus_id="${escapeLabel(gpu.pciBusId)}",device="${device}",` +
    `modelName="${escapeLabel(gpu.name)}",${opts.hostnameLabel}="${escapeLabel(opts.hostname)}",` +
    `DCGM_FI_DRIVER_VERSION="${escapeLabel(opts.driverVersion)}"`
  );
}

/** The /metrics body for a set of GPUs and their readings (same order). A metric no GPU has is left out entirely. */
export function renderMetrics(gpus: readonly GpuIdentity[], readings: readonly GpuReading[], opts: RenderOptions): string {
  const labels = gpus.map((g) => gpuLabels(g, opts));
  const out: string[] = [];
  for (const f of FIELDS) {
    const lines: string[] = [];
    for (let k = 0; k < gpus.length; k++) {
      const v = f.value(readings[k]);
      if (v !== undefined && Number.isFinite(v)) lines.push(`${f.name}{${labels[k]}} ${v}`);
    }
    if (lines.length === 0) continue;
    out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`, ...lines);
  }
  return out.length ? `${out.join('\n')}\n` : '';
}
