/**
 * The tpu dialect on GKE TPU device-plugin output. The fixture is written from the published metric lists, not captured
 * (provenance: tests/fixtures/tpu/README.md): names, HELP strings and labels as the plugin's metrics server declares
 * them; accelerator_id as `<instance id>-<device id>` as in the sample output Ray's TPU reporter tests publish.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { getMetricDef } from '../catalogue';
import { parseExposition } from '../exposition';
import type { CanonicalSample } from '../samples';
import { dialectOfSeries, mapExposition } from './index';
import { isTpuSeries, mapTpu, TPU_RULES, tpuChipIndex } from './tpu';

const pluginText = readFileSync(fileURLToPath(new URL('../../../tests/fixtures/tpu/gke-tpu-device-plugin-v5p.prom', import.meta.url)), 'utf8');
const INSTANCE = '7305948170026414481';
const GIB = 1024 ** 3;

function pick(samples: CanonicalSample[], metric: string, chip: number, scope: 'node' | 'container'): CanonicalSample {
  const hits = samples.filter((s) => s.metric === metric && s.gpuUuid === `${INSTANCE}-${chip}` && (scope === 'container') === (s.k8s !== undefined));
  expect(hits, `${metric} chip ${chip} ${scope}`).toHaveLength(1);
  return hits[0]!;
}

describe('GKE TPU device plugin dialect', () => {
  it('every rule targets a catalogue metric with the unit it declares', () => {
    for (const [name, r] of TPU_RULES) expect(getMetricDef(r.metric)?.unit, name).toBe(r.unit);
  });

  const { samples, stats } = mapExposition(pluginText, 'tpu', { hostname: 'tpu-v5p-host-0' });

  it('maps duty cycle, HBM used / total, TensorCore and HBM bandwidth utilisation per chip', () => {
    expect(pick(samples, 'gpu_util_pct', 0, 'container').value).toBe(97);
    expect(pick(samples, 'gpu_util_pct', 2, 'node').value).toBe(95);
    expect(pick(samples, 'gpu_fb_total_bytes', 1, 'node').value).toBe(95 * GIB);
    expect(pick(samples, 'gpu_fb_used_bytes', 2, 'container').value).toBe(82 * GIB);
    expect(pick(samples, 'tpu_tensorcore_util_pct', 1, 'node').value).toBe(62);
    expect(pick(samples, 'tpu_tensorcore_util_pct', 1, 'container').value).toBe(62);
    expect(pick(samples, 'tpu_hbm_bandwidth_util_pct', 0, 'node').value).toBe(42);
  });

  it('an idle chip has only the host metrics the plugin writes without a workload', () => {
    const chip3 = samples.filter((s) => s.gpuUuid === `${INSTANCE}-3`).map((s) => s.metric);
    expect(chip3.sort()).toEqual(['tpu_hbm_bandwidth_util_pct', 'tpu_tensorcore_util_pct']);
  });

  it('identifies the chip by accelerator_id (its inventory uuid) and index, the host by the scrape, the workload by pod labels', () => {
    const s = pick(samples, 'gpu_util_pct', 1, 'container');
    expect([s.gpuUuid, s.gpuIndex, s.hostname]).toEqual([`${INSTANCE}-1`, 1, 'tpu-v5p-host-0']);
    expect(s.k8s).toEqual({ namespace: 'default', pod: 'llama-train-0-abcde', container: 'trainer' });
    expect(s.labels.model).toBe('tpu-v5p-slice');
    expect(s.labels.tpu_topology).toBe('2x2x1');
    expect(tpuChipIndex('2605441806135329501-404')).toBe(404);
    expect(tpuChipIndex('no-index-here')).toBeUndefined();
  });

  it('has no power or temperature to map: Google exposes none', () => {
    expect(samples.some((s) => /power|temp/.test(s.metric))).toBe(false);
  });

  it('passes the series it does not map through under their own names', () => {
    const passed = new Set(samples.filter((s) => !s.known).map((s) => s.metric));
    expect([...passed].sort()).toEqual(['accelerator_request', 'grpc_tcp_bytes_sent_count']);
    // Chips 0-2: duty cycle, HBM used, HBM total and TensorCore twice (workload + node), HBM bandwidth once; chip 3: 2.
    expect(stats.mapped).toBe(3 * 9 + 2);
    expect(stats.mapped + stats.passedThrough).toBe(stats.total);
  });

  it('auto routes the TPU-only names here and leaves the generic ones to the prometheus dialect', () => {
    expect(dialectOfSeries('tensorcore_utilization')).toBe('tpu');
    expect(dialectOfSeries('duty_cycle_node')).toBe('tpu');
    expect(dialectOfSeries('memory_used_node')).toBe('tpu');
    expect(dialectOfSeries('memory_used')).toBe('prometheus');
    expect(dialectOfSeries('duty_cycle')).toBe('prometheus');
    expect(isTpuSeries('gpu_power_usage')).toBe(false);
    const auto = mapExposition(pluginText, 'auto');
    const nodeMetrics = auto.samples.filter((s) => s.known).map((s) => s.metric);
    // Under auto: the _node twins and tensorcore_utilization map; plain duty_cycle / memory_* stay unknown pass-through.
    expect(nodeMetrics.filter((m) => m === 'gpu_util_pct')).toHaveLength(3);
    expect(nodeMetrics.filter((m) => m === 'tpu_tensorcore_util_pct')).toHaveLength(7);
  });

  it('drops a non-finite reading of a mapped series and counts it', () => {
    const raw = parseExposition('duty_cycle_node{accelerator_id="1-0"} NaN\naccelerator_request{pod="p"} NaN\n').samples;
    const r = mapTpu(raw);
    expect(r.stats.droppedNonFinite).toBe(1);
    expect(r.samples.map((s) => s.metric)).toEqual(['accelerator_request']);
  });
});
