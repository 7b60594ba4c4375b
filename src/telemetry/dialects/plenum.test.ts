import { describe, expect, it } from 'vitest';
import { listMetrics } from '../catalogue';
import { parseExposition } from '../exposition';
import { mapExposition, mapSamples } from './index';
import { formatPlenumLine, mapPlenum } from './plenum';
import { mapPrometheus } from './prometheus';

describe('plenum facility dialect', () => {
  it('maps every facility catalogue metric written with the plenum_ prefix, round-tripping through the formatter', () => {
    const facility = listMetrics().filter((d) => d.scope === 'facility');
    expect(facility.length).toBeGreaterThan(10);
    const text = facility.map((d, k) => formatPlenumLine(d.name, { device: `dev-${k}`, site: 'ams-1' }, k + 0.5, 1_700_000_000_000)).join('\n');
    const { samples, stats } = mapPlenum(parseExposition(text).samples);
    expect(stats).toMatchObject({ total: facility.length, mapped: facility.length, passedThrough: 0 });
    samples.forEach((s, k) => {
      expect(s).toMatchObject({ metric: facility[k].name, unit: facility[k].unit, known: true, value: k + 0.5, device: `dev-${k}`, timestampMs: 1_700_000_000_000 });
    });
  });

  it('escapes label values and passes unknown plenum_ series through', () => {
    const line = formatPlenumLine('rack_inlet_temp_c', { device: 'rack "A"\\1\nx' }, 24.5);
    expect(line).toBe('plenum_rack_inlet_temp_c{device="rack \\"A\\"\\\\1\\nx"} 24.5');
    const { samples } = mapExposition(`${line}\nplenum_mystery_gauge{device="x"} 1\n`, 'auto');
    expect(samples[0]).toMatchObject({ metric: 'rack_inlet_temp_c', device: 'rack "A"\\1\nx', unit: 'C' });
    expect(samples[1]).toMatchObject({ metric: 'plenum_mystery_gauge', known: false, unit: 'unknown' });
  });
});

describe('generic prometheus dialect', () => {
  it('takes catalogue-named series as they are and guesses units of others from their suffix', () => {
    const text = [
      'gpu_power_w{uuid="5f0c2a1e-7d3b-4c9a-8e21-0b6d4f9a3c17",instance="node-4:9100",gpu="1"} 300',
      'node_hwmon_temp_celsius{instance="node-4:9100",chip="x"} 41',
      'node_memory_MemFree_bytes{instance="node-4:9100"} 1024',
      'up{instance="[fd00::1]:9100"} 1',
    ].join('\n');
    const { samples, stats } = mapPrometheus(parseExposition(text).samples);
    expect(stats).toMatchObject({ mapped: 1, passedThrough: 3 });
    expect(samples[0]).toMatchObject({ metric: 'gpu_power_w', unit: 'W', gpuUuid: 'GPU-5f0c2a1e-7d3b-4c9a-8e21-0b6d4f9a3c17', hostname: 'node-4', gpuIndex: 1 });
    expect(samples.slice(1).map((s) => [s.metric, s.unit, s.hostname])).toEqual([
      ['node_hwmon_temp_celsius', 'C', 'node-4'],
      ['node_memory_MemFree_bytes', 'bytes', 'node-4'],
      ['up', 'unknown', 'fd00::1'],
    ]);
  });

  it('auto mode routes a mixed batch (as remote-write delivers it) to each dialect', () => {
    const text = [
      'DCGM_FI_DEV_POWER_USAGE{gpu="0",UUID="GPU-a",Hostname="n1"} 100.5',
      'nvidia_smi_power_draw_watts{uuid="b"} 200.25',
      'plenum_pdu_power_w{device="pdu-1"} 5000',
      'process_cpu_seconds_total 12',
    ].join('\n');
    const { samples, stats } = mapSamples(parseExposition(text).samples, 'auto', { hostname: 'scraped' });
    expect(stats).toMatchObject({ total: 4, mapped: 3, passedThrough: 1 });
    expect(samples.map((s) => [s.metric, s.value, s.gpuUuid ?? s.device ?? null, s.hostname])).toEqual([
      ['gpu_power_w', 100.5, 'GPU-a', 'n1'],
      ['gpu_power_w', 200.25, 'GPU-b', 'scraped'],
      ['pdu_power_w', 5000, 'pdu-1', 'scraped'],
      ['process_cpu_seconds_total', 12, null, 'scraped'],
    ]);
  });
});
