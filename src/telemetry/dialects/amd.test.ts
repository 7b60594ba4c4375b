import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AmdSmiJsonError, mapAmdSmiMetricJson } from '../amd-smi-json';
import { getMetricDef } from '../catalogue';
import { parseExposition } from '../exposition';
import type { CanonicalSample } from '../samples';
import { AMD_RULES, isAmdSeries, mapAmd } from './amd';
import { dialectOfSeries, mapExposition } from './index';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../../tests/fixtures/amd/${name}`, import.meta.url)), 'utf8');
const exporterText = fixture('device-metrics-exporter-mi300x.prom');

function pick(samples: CanonicalSample[], metric: string, gpuIndex: number, labels: Record<string, string> = {}): CanonicalSample {
  const hits = samples.filter(
    (s) => s.metric === metric && s.gpuIndex === gpuIndex && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  expect(hits, `${metric} gpu ${gpuIndex} ${JSON.stringify(labels)}`).toHaveLength(1);
  return hits[0];
}

describe('AMD Device Metrics Exporter dialect', () => {
  it('every rule targets a catalogue metric with the unit it declares', () => {
    for (const [name, r] of AMD_RULES) expect(getMetricDef(r.metric)?.unit, name).toBe(r.unit);
  });

  const { samples, stats } = mapExposition(exporterText, 'amd');

  it('maps power, temperatures, activity, energy and VRAM into catalogue units', () => {
    expect(pick(samples, 'gpu_power_w', 0).value).toBe(708);
    expect(pick(samples, 'gpu_power_instant_w', 0).value).toBe(712);
    expect(pick(samples, 'gpu_junction_temp_c', 0).value).toBe(83);
    expect(pick(samples, 'gpu_mem_temp_c', 1).value).toBe(38);
    expect(pick(samples, 'gpu_util_pct', 0).value).toBe(100);
    expect(pick(samples, 'gpu_mem_copy_util_pct', 0).value).toBe(37);
    // µJ → mJ
    expect(pick(samples, 'gpu_energy_mj', 0).value).toBeCloseTo(8.3265843e9, 0);
    // MB (MiB) → bytes
    expect(pick(samples, 'gpu_fb_total_bytes', 0).value).toBe(196592 * 1024 * 1024);
    expect(pick(samples, 'gpu_fb_used_bytes', 1).value).toBe(283 * 1024 * 1024);
    expect(pick(samples, 'gpu_fb_free_bytes', 0).value).toBe(15588 * 1024 * 1024);
  });

  it('maps ECC totals and per-block counters (block label), XGMI link data (KB → bytes, per link) and health', () => {
    expect(pick(samples, 'gpu_ecc_correctable_total', 0).value).toBe(2);
    expect(pick(samples, 'gpu_ecc_uncorrectable_total', 0).value).toBe(0);
    expect(pick(samples, 'gpu_ecc_block_correctable_total', 0, { block: 'umc' }).value).toBe(2);
    expect(pick(samples, 'gpu_ecc_block_uncorrectable_total', 0, { block: 'xgmi_wafl' }).value).toBe(0);
    expect(pick(samples, 'gpu_xgmi_rx_bytes_total', 0, { link_index: '1' }).value).toBe(123456789 * 2 * 1024);
    expect(pick(samples, 'gpu_xgmi_tx_bytes_total', 0, { link_index: '0' }).value).toBe(98765432 * 1024);
    expect(pick(samples, 'gpu_pcie_replay_total', 1).value).toBe(3);
    expect(pick(samples, 'gpu_healthy', 1).value).toBe(1);
  });

  it('keeps identity and partition labels: host from the hostname label, GPU index from gpu_id', () => {
    const s = pick(samples, 'gpu_power_w', 1);
    expect(s.hostname).toBe('mi300x-node1');
    expect(s.gpuUuid).toBeUndefined();
    expect(s.labels.serial_number).toBe('PCB046111');
    expect(s.labels.gpu_compute_partition_type).toBe('SPX');
    expect(s.labels.gpu_memory_partition_type).toBe('NPS1');
  });

  it('passes the series it does not map through under their own names', () => {
    const passed = new Set(samples.filter((s) => !s.known).map((s) => s.metric));
    expect([...passed].sort()).toEqual(['gpu_clock', 'gpu_nodes_total', 'pcie_speed', 'xgmi_neighbor_0_tx_throughput']);
    expect(stats.total).toBe(samples.length);
    expect(stats.mapped + stats.passedThrough).toBe(stats.total);
  });

  it('routes the exporter series to the amd dialect under auto, with or without the amd_ prefix', () => {
    expect(dialectOfSeries('gpu_junction_temperature')).toBe('amd');
    expect(dialectOfSeries('amd_gpu_power_usage')).toBe('amd');
    expect(dialectOfSeries('gpu_power_w')).toBe('prometheus');
    // A generic name another exporter may use too stays with the prometheus dialect under auto.
    expect(dialectOfSeries('pcie_speed')).toBe('prometheus');
    expect(dialectOfSeries('DCGM_FI_DEV_GPU_TEMP')).toBe('dcgm');
    const auto = mapExposition(exporterText, 'auto');
    const sorted = (list: CanonicalSample[]) => list.map((s) => `${s.metric} ${s.value}`).sort();
    expect(sorted(auto.samples)).toEqual(sorted(samples));
    const prefixed = mapExposition(exporterText.replace(/^(# TYPE )?(gpu_|pcie_|xgmi_)/gm, '$1amd_$2'), 'auto');
    // Mapped series land on the same catalogue metrics; passed-through ones keep their (prefixed) names.
    expect(sorted(prefixed.samples)).toEqual(sorted(samples.map((s) => ({ ...s, metric: s.known ? s.metric : `amd_${s.metric}` }))));
  });

  it('drops a non-finite reading of a mapped series and counts it', () => {
    const raw = parseExposition('gpu_power_usage{gpu_id="0"} NaN\ngpu_clock{gpu_id="0"} NaN\n').samples;
    const r = mapAmd(raw);
    expect(r.stats.droppedNonFinite).toBe(1);
    expect(r.samples.map((s) => s.metric)).toEqual(['gpu_clock']);
    expect(isAmdSeries('node_cpu_seconds_total')).toBe(false);
  });
});

describe('amd-smi metric --json', () => {
  it('reads the recent shape: gpu_data, {value, unit}, N/A skipped, banner skipped', () => {
    const { samples } = mapAmdSmiMetricJson(fixture('amd-smi-metric.txt'), { hostname: 'mi300x-node1', defaultTimestampMs: 1000 });
    expect(pick(samples, 'gpu_power_w', 0).value).toBe(705);
    expect(pick(samples, 'gpu_junction_temp_c', 0).value).toBe(82);
    expect(samples.some((s) => s.metric === 'gpu_edge_temp_c')).toBe(false);
    expect(pick(samples, 'gpu_mem_temp_c', 1).value).toBe(38);
    expect(pick(samples, 'gpu_util_pct', 0).value).toBe(98);
    expect(pick(samples, 'gpu_fb_used_bytes', 0).value).toBe(180992 * 1024 * 1024);
    // J → µJ in the converter, µJ → mJ in the dialect
    expect(pick(samples, 'gpu_energy_mj', 0).value).toBeCloseTo(8326584.3 * 1000, 0);
    expect(pick(samples, 'gpu_ecc_correctable_total', 0).value).toBe(2);
    expect(pick(samples, 'gpu_ecc_uncorrectable_total', 1).value).toBe(1);
    expect(pick(samples, 'gpu_ecc_block_correctable_total', 0, { block: 'umc' }).value).toBe(2);
    expect(pick(samples, 'gpu_ecc_block_correctable_total', 0, { block: 'bif' }).value).toBe(0);
    expect(pick(samples, 'gpu_pcie_replay_total', 1).value).toBe(3);
    expect(pick(samples, 'gpu_xgmi_error', 0).value).toBe(0);
    expect(pick(samples, 'gpu_xgmi_error', 1).value).toBe(1);
    const s = pick(samples, 'gpu_power_w', 1);
    expect([s.hostname, s.timestampMs, s.labels.gpu_id]).toEqual(['mi300x-node1', 1000, '1']);
  });

  it('reads the older shape: bare array, bare numbers, current_power, total_correctable', () => {
    const { samples } = mapAmdSmiMetricJson(fixture('amd-smi-metric-legacy.json'));
    expect(pick(samples, 'gpu_power_w', 0).value).toBe(705);
    expect(pick(samples, 'gpu_junction_temp_c', 0).value).toBe(82);
    expect(pick(samples, 'gpu_ecc_correctable_total', 0).value).toBe(2);
    expect(pick(samples, 'gpu_fb_total_bytes', 0).value).toBe(196592 * 1024 * 1024);
  });

  it('rejects bad input with the field and the reason', () => {
    expect(() => mapAmdSmiMetricJson('amd-smi: command not found')).toThrow(AmdSmiJsonError);
    expect(() => mapAmdSmiMetricJson('{"gpu_data": [ {"gpu": 0,')).toThrow(/not valid JSON/);
    expect(() => mapAmdSmiMetricJson('{"gpus": []}')).toThrow(/gpu_data/);
    expect(() => mapAmdSmiMetricJson('[{"usage": {}}]')).toThrow(/GPU entry 0 has no integer "gpu" index/);
    expect(() => mapAmdSmiMetricJson('[{"gpu": 2, "power": {"socket_power": {"value": 5, "unit": "kW"}}}]')).toThrow(
      /gpu 2 power\.socket_power is in "kW", expected one of W, mW/,
    );
    expect(() => mapAmdSmiMetricJson('[{"gpu": 0, "temperature": {"hotspot": true}}]')).toThrow(/gpu 0 temperature\.hotspot is true, not a number/);
  });
});
