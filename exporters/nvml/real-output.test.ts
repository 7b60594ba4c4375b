import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mapDcgm } from '../../src/telemetry/dialects/dcgm';
import { parseExposition } from '../../src/telemetry/exposition';
import { mapNvidiaSmiCsv, parseNvidiaSmiCsv } from '../../src/telemetry/nvidia-smi-csv';

const testdata = path.join(import.meta.dirname, 'testdata');

/** Our exporter's /metrics from a real H100 (device run of 2026-11-26), against nvidia-smi read at the same moment. */
describe('NVML exporter output captured on a real H100', () => {
  const exporter = mapDcgm(parseExposition(readFileSync(path.join(testdata, 'h100-idle-metrics.txt'), 'utf8')).samples);
  const smi = mapNvidiaSmiCsv(parseNvidiaSmiCsv(readFileSync(path.join(testdata, 'h100-idle-nvidia-smi.csv'), 'utf8')));

  it('maps every series to a catalogue metric with the GPU identity', () => {
    expect(exporter.stats.passedThrough).toBe(0);
    expect(exporter.stats.droppedSentinel).toBe(0);
    for (const sample of exporter.samples) {
      expect(sample.gpuUuid).toBe('GPU-24f0a2f7-8c70-3d77-5ac5-d2a008ce8735');
      expect(sample.hostname).toBe('vm');
    }
  });

  it.each([
    ['gpu_power_w', 0.5],
    ['gpu_power_limit_w', 0],
    ['gpu_temp_c', 0],
    ['gpu_mem_temp_c', 0],
    ['gpu_fb_free_bytes', 0],
    ['gpu_fb_reserved_bytes', 0],
    ['gpu_sm_clock_mhz', 0],
    ['gpu_mem_clock_mhz', 0],
  ])('%s agrees with nvidia-smi within %d', (metric, tolerance) => {
    const ours = exporter.samples.find((s) => s.metric === metric);
    const theirs = smi.samples.find((s) => s.metric === metric);
    expect(ours).toBeDefined();
    expect(theirs).toBeDefined();
    expect(Math.abs(ours!.value - theirs!.value)).toBeLessThanOrEqual(tolerance);
  });
});
