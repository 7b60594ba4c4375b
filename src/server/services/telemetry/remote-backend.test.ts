import { describe, expect, it } from 'vitest';
import { promMetricName, promValue, scrapeDialect } from './remote-backend';

describe('Prometheus-compatible back-end helpers', () => {
  it('routes a federation endpoint by series name, any other target by its dialect', () => {
    expect(scrapeDialect('http://prom:9090/federate?match[]={job="dcgm"}', 'prometheus')).toBe('auto');
    expect(scrapeDialect('https://vm.example/select/0/prometheus/federate/', 'dcgm')).toBe('auto');
    expect(scrapeDialect('http://host:9400/metrics', 'dcgm')).toBe('dcgm');
    expect(scrapeDialect('http://host:9400/federated-metrics', 'plenum')).toBe('plenum');
  });

  it('reads PromQL API values, including the special ones', () => {
    expect(promValue('+Inf')).toBe(Number.POSITIVE_INFINITY);
    expect(promValue('-Inf')).toBe(Number.NEGATIVE_INFINITY);
    expect(promValue('NaN')).toBeNaN();
    expect(Object.is(promValue('0.30000000000000004'), 0.1 + 0.2)).toBe(true);
    expect(promValue('1e-7')).toBe(1e-7);
  });

  it('writes metric names Prometheus accepts', () => {
    expect(promMetricName('gpu_power_w')).toBe('gpu_power_w');
    expect(promMetricName('ups.load-pct')).toBe('ups_load_pct');
    expect(promMetricName('3phase')).toBe('_3phase');
  });
});
