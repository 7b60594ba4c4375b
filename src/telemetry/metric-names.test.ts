import { describe, expect, it } from 'vitest';
import { listMetrics } from './catalogue';
import { metricsWithAliases, resolveMetricName } from './metric-names';

describe('metric names as users type them', () => {
  it('resolves exporter names to the catalogue metric they are stored as', () => {
    expect(resolveMetricName('DCGM_FI_DEV_POWER_USAGE')).toBe('gpu_power_w');
    expect(resolveMetricName('nvidia_smi_power_draw_watts')).toBe('gpu_power_w');
    expect(resolveMetricName('plenum_gpu_power_w')).toBe('gpu_power_w');
    expect(resolveMetricName('plenum_rack_pdu_power_watts')).toBe('pdu_power_w');
    expect(resolveMetricName('DCGM_FI_DEV_GPU_TEMP')).toBe('gpu_temp_c');
  });

  it('leaves catalogue names and unknown names as they are', () => {
    expect(resolveMetricName('gpu_power_w')).toBe('gpu_power_w');
    expect(resolveMetricName('my_exporter_thing')).toBe('my_exporter_thing');
  });

  it('lists every catalogue metric once, with the aliases that resolve to it', () => {
    const metrics = metricsWithAliases();
    expect(metrics.map((m) => m.name)).toEqual(listMetrics().map((m) => m.name));
    const power = metrics.find((m) => m.name === 'gpu_power_w')!;
    expect(power.unit).toBe('W');
    expect(power.aliases).toEqual(expect.arrayContaining(['DCGM_FI_DEV_POWER_USAGE', 'nvidia_smi_power_draw_watts', 'plenum_gpu_power_w']));
    for (const metric of metrics) for (const alias of metric.aliases) expect(resolveMetricName(alias)).toBe(metric.name);
  });
});
