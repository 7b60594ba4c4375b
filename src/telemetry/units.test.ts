import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mapExposition } from './dialects/index';
import { parseExposition } from './exposition';
import { unitFromSuffix } from './samples';

const testdata = fileURLToPath(new URL('../../../shared/fixtures/exporters/nvidia_gpu_exporter/testdata/', import.meta.url));

/** Units of passed-through series: catalogue first, then OpenMetrics `# UNIT`, then one set of suffix rules. */
describe('units', () => {
  it('applies the suffix rules to real nvidia_gpu_exporter output (passed-through series)', () => {
    const text = readFileSync(`${testdata}linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load.metrics`, 'utf8');
    const { samples } = mapExposition(text, 'nvidia-smi', { hostname: 'lab-1' });
    const unitOf = (metric: string) => [...new Set(samples.filter((s) => s.metric === metric).map((s) => s.unit))];
    // Catalogue metrics keep the catalogue's unit (converted at the edge).
    expect(unitOf('gpu_power_w')).toEqual(['W']);
    expect(unitOf('gpu_sm_clock_mhz')).toEqual(['MHz']);
    // Passed through: the exporter's names, by the convention.
    expect(unitOf('nvidia_smi_clocks_max_graphics_clock_hz')).toEqual(['Hz']);
    expect(unitOf('nvidia_smi_clocks_event_reasons_counters_sw_power_cap_seconds')).toEqual(['s']);
    expect(unitOf('nvidia_smi_edpp_multiplier_ratio')).toEqual(['ratio']);
    expect(unitOf('nvidia_smi_failed_scrapes_total')).toEqual(['count']);
    // Every passed-through series with a unit suffix got that unit; none fell back to `unknown`.
    const passed = samples.filter((s) => !s.known);
    expect(passed.length).toBeGreaterThan(50);
    for (const s of passed) {
      if (/_(hz|seconds|watts|bytes|ratio|celsius)$/.test(s.metric)) expect({ metric: s.metric, unit: s.unit }).not.toEqual({ metric: s.metric, unit: 'unknown' });
    }
  });

  it('counters, sums, counts and buckets: *_bytes_total is bytes, *_seconds_sum is seconds, _count/_bucket count', () => {
    expect(unitFromSuffix('node_network_receive_bytes_total')).toBe('bytes');
    expect(unitFromSuffix('process_cpu_seconds_total')).toBe('s');
    expect(unitFromSuffix('http_request_duration_seconds_sum')).toBe('s');
    expect(unitFromSuffix('http_request_duration_seconds_count')).toBe('count');
    expect(unitFromSuffix('http_request_duration_seconds_bucket')).toBe('count');
    expect(unitFromSuffix('node_hwmon_temp_celsius')).toBe('C');
    expect(unitFromSuffix('node_energy_joules_total')).toBe('J');
    expect(unitFromSuffix('requests_total')).toBe('count');
    expect(unitFromSuffix('build_info')).toBe('unknown');
    // DCGM's upper-case field names do not follow the convention: never guessed.
    expect(unitFromSuffix('DCGM_FI_PROF_PCIE_TX_BYTES')).toBe('unknown');
  });

  it('takes the unit an OpenMetrics # UNIT line declares, for the family and its _total / _sum series', () => {
    const doc = [
      '# TYPE rack_energy counter',
      '# UNIT rack_energy joules',
      'rack_energy_total{rack="A1"} 123456',
      '# TYPE job_wait summary',
      '# UNIT job_wait seconds',
      'job_wait_sum 12.5',
      'job_wait_count 4',
      '# UNIT broken',
      'fan_speed 1200',
      '# EOF',
    ].join('\n');
    const parsed = parseExposition(doc);
    expect(parsed.families.get('rack_energy')?.unit).toBe('joules');
    expect(parsed.families.get('job_wait')?.unit).toBe('seconds');
    const units = Object.fromEntries(mapExposition(doc, 'prometheus').samples.map((s) => [s.metric, s.unit]));
    expect(units).toEqual({ rack_energy_total: 'J', job_wait_sum: 's', job_wait_count: 'count', fan_speed: 'unknown' });
  });
});
