/**
 * GKE TPU device plugin /metrics text for the TPU chips of one host: the series and labels the tpu dialect reads
 * (src/telemetry/dialects/tpu.ts; sources in docs/telemetry.md, "Google TPU").
 *
 * As the plugin does: TensorCore and HBM bandwidth utilisation (`_node` series) are written for every chip; duty cycle
 * and HBM used / total only while a process holds the chip (the plugin reads them from the workload's libtpu). The
 * simulator has no pods, so it writes the node-scoped `_node` series only, never the per-container twins.
 * `accelerator_id` is the chip's inventory uuid; `tpu_topology` is the host's own block of chips (the simulator does not
 * know the slice a host is part of). No power or temperature: Google exposes none. A chip that cannot be read has no
 * samples; GPUs are left out.
 */
import type { GpuReadings } from '../models/gpu';
import { TPU_HOST_SHAPES, TPU_MODELS, type TpuHostShape } from '../models/tpu-params';
import type { World } from '../world';
import { type MetricFamily, renderFamilies } from './prometheus';

const MIB = 1024 * 1024;

interface TpuField {
  name: string;
  help: string;
  value: (r: GpuReadings) => number;
  /** Written only while a process holds the chip (runtime metrics from libtpu). */
  runtime: boolean;
}

/** The series the simulator writes per chip, in the plugin's order. */
export const TPU_EXPORTER_FIELDS: readonly TpuField[] = [
  { name: 'duty_cycle_node', help: 'Percent of time when the TPU was actively processing', value: (r) => r.gpuUtilPct, runtime: true },
  { name: 'memory_total_node', help: 'Total memory available on the TPU in bytes', value: (r) => (r.fbUsedMib + r.fbFreeMib + r.fbReservedMib) * MIB, runtime: true },
  { name: 'memory_used_node', help: 'Allocated TPU memory in bytes', value: (r) => r.fbUsedMib * MIB, runtime: true },
  { name: 'tensorcore_utilization_node', help: 'Tensorcore percent utilization of the TPU device per node', value: (r) => Math.round(r.tensorActive * 1000) / 10, runtime: false },
  {
    name: 'memory_bandwidth_utilization_node',
    help: 'Memory bandwidth utilization of the TPU device per node',
    value: (r) => Math.round(r.dramActive * 1000) / 10,
    runtime: false,
  },
];

/** The host shape of a TPU model by the name the simulator gives its chips (TPU_MODELS[...].modelName). */
function shapeOf(modelName: string): TpuHostShape | undefined {
  const id = Object.values(TPU_MODELS).find((p) => p.modelName === modelName)?.id;
  return id ? TPU_HOST_SHAPES[id as keyof typeof TPU_HOST_SHAPES] : undefined;
}

/** Device-plugin /metrics text for a host's TPU chips; throws for an unknown hostname. */
export function renderTpuHostMetrics(world: World, hostname: string): string {
  const host = world.hostView(hostname);
  if (!host) throw new Error(`unknown host ${hostname}`);
  const chips = host.gpus.filter((g) => g.vendor === 'google' && g.readings !== null);
  const families: MetricFamily[] = TPU_EXPORTER_FIELDS.map((field) => ({
    name: field.name,
    help: field.help,
    type: 'gauge' as const,
    samples: chips
      .filter((c) => !field.runtime || (c.readings as GpuReadings).fbUsedMib > 0)
      .map((c) => {
        const shape = shapeOf(c.modelName);
        return {
          labels: {
            accelerator_id: c.uuid,
            make: 'cloud-tpu',
            model: shape?.gkeAccelerator ?? c.modelName,
            tpu_topology: shape?.hostTopology ?? '',
          },
          value: field.value(c.readings as GpuReadings),
        };
      }),
  }));
  // A family with no samples (no process on any chip) is left out, as the plugin's registry leaves out an empty vector.
  return renderFamilies(families.filter((f) => f.samples.length > 0));
}
