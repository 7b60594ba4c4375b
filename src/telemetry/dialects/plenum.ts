/**
 * Plenum facility dialect: our own exporters (the simulator, facility gateways) write catalogue metrics prefixed with
 * `plenum_`, already in catalogue units, e.g.
 *
 *     plenum_pdu_power_w{device="pdu-r01-a"} 8123.5
 *     plenum_pdu_outlet_power_w{device="pdu-r01-a",outlet="7"} 1012
 *     plenum_pdu_phase_current_a{device="pdu-r01-a",phase="L1"} 12.4
 *     plenum_rack_inlet_temp_c{device="rack-r01",sensor="front-top"} 24.5
 *     plenum_cdu_flow_l_per_min{device="cdu-1"} 410
 *
 * `device` is the inventory device name (the mapping key for facility metrics). GPU metrics may also be written this way
 * (`plenum_gpu_power_w{UUID="GPU-…",Hostname="node-1"}`). A `plenum_` series not in the catalogue passes through.
 */
import type { MapContext, MapResult, RawSample } from '../samples';
import { mapByCatalogueName } from './prometheus';

export const PLENUM_PREFIX = 'plenum_';

export function isPlenumSeries(name: string): boolean {
  return name.startsWith(PLENUM_PREFIX);
}

export function mapPlenum(samples: readonly RawSample[], ctx: MapContext = {}): MapResult {
  return mapByCatalogueName(samples, ctx, PLENUM_PREFIX);
}

/** Formats one plenum-dialect exposition line (for exporters and the simulator). Label values are escaped. */
export function formatPlenumLine(metric: string, labels: Record<string, string>, value: number, timestampMs?: number): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(labels)) {
    parts.push(`${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`);
  }
  const v = Number.isNaN(value) ? 'NaN' : value === Infinity ? '+Inf' : value === -Infinity ? '-Inf' : String(value);
  const body = `${PLENUM_PREFIX}${metric}${parts.length ? `{${parts.join(',')}}` : ''} ${v}`;
  return timestampMs === undefined ? body : `${body} ${timestampMs}`;
}
