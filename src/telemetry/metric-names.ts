/**
 * Metric names as users type them: a catalogue name (`gpu_power_w`) or any exporter's own name for it
 * (`DCGM_FI_DEV_POWER_USAGE`, `nvidia_smi_power_draw_watts`, `plenum_gpu_power_w`, `plenum_rack_pdu_power_watts`).
 * The aliases are read from the dialects' own mapping tables, so what a query accepts is exactly what ingest stores.
 */
import { listMetrics, type MetricDef } from './catalogue';
import { DCGM_RULES } from './dialects/dcgm';
import { NVIDIA_SMI_RULES } from './dialects/nvidia-smi';
import { PLENUM_PREFIX } from './dialects/plenum';
import { FACILITY_ALIASES } from './facility-aliases';

export type MetricWithAliases = MetricDef & { aliases: string[] };

function aliasTable(): Map<string, string> {
  const table = new Map<string, string>();
  for (const [name, rule] of DCGM_RULES) table.set(name, rule.metric);
  for (const [name, rule] of NVIDIA_SMI_RULES) table.set(name, rule.metric);
  for (const [name, alias] of FACILITY_ALIASES) table.set(name, alias.metric);
  for (const def of listMetrics()) table.set(`${PLENUM_PREFIX}${def.name}`, def.name);
  return table;
}

const ALIASES = aliasTable();

/** The catalogue name a metric name stands for; names that are neither catalogue names nor aliases come back unchanged. */
export function resolveMetricName(name: string): string {
  return ALIASES.get(name) ?? name;
}

/** Every catalogue metric with the exporter names that resolve to it (sorted), in catalogue order. */
export function metricsWithAliases(): MetricWithAliases[] {
  const byMetric = new Map<string, string[]>();
  for (const [alias, metric] of ALIASES) byMetric.set(metric, [...(byMetric.get(metric) ?? []), alias]);
  return listMetrics().map((def) => ({ ...def, aliases: (byMetric.get(def.name) ?? []).sort() }));
}
