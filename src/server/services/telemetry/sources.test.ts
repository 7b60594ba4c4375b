import { describe, expect, it } from 'vitest';
import { onePerQuantity, quantityKey, remoteWritePreference } from './sources';

const gpu = (seriesId: number, labels: Record<string, string>, preference: number, tMs: number, value: number) => ({
  seriesId,
  metric: 'gpu_power_w',
  entityKind: 'gpu',
  acceleratorId: 7,
  deviceId: 3,
  rackId: 2,
  powerNodeId: null,
  coolingUnitId: null,
  siteId: 1,
  labels,
  preference,
  tMs,
  value,
});

describe('one reading per physical quantity', () => {
  it('source labels (job, instance, external labels) do not make a new quantity; sensor and MIG instance do', () => {
    const scraped = gpu(1, { UUID: 'GPU-a', Hostname: 'h1' }, 100, 1_000, 500);
    const remote = gpu(2, { UUID: 'GPU-a', Hostname: 'h1', job: 'dcgm', instance: 'h1:9400', prometheus: 'p0' }, 50, 2_000, 520);
    expect(quantityKey(scraped)).toBe(quantityKey(remote));
    expect(quantityKey(gpu(3, { GPU_I_ID: '1' }, 100, 0, 0))).not.toBe(quantityKey(gpu(4, { GPU_I_ID: '2' }, 100, 0, 0)));
    const unmapped = { ...scraped, entityKind: 'unmapped', acceleratorId: null };
    expect(quantityKey(unmapped)).toBe('series:1');
  });

  it('keeps the preferred source, then the freshest sample, then the oldest series', () => {
    const scraped = gpu(1, {}, 100, 1_000, 500);
    const remote = gpu(2, { job: 'dcgm' }, 50, 2_000, 520);
    expect(onePerQuantity([remote, scraped]).map((r) => r.value)).toEqual([500]);
    expect(onePerQuantity([gpu(1, {}, 50, 1_000, 1), gpu(2, { pod: 'x' }, 50, 2_000, 2)]).map((r) => r.value)).toEqual([2]);
    expect(onePerQuantity([gpu(9, {}, 50, 1_000, 1), gpu(4, { pod: 'x' }, 50, 1_000, 2)]).map((r) => r.value)).toEqual([2]);
  });

  it('reads the remote-write preference from the environment, refusing nonsense', () => {
    expect(remoteWritePreference({})).toBe(50);
    expect(remoteWritePreference({ PLENUM_REMOTE_WRITE_PREFERENCE: '150' })).toBe(150);
    expect(() => remoteWritePreference({ PLENUM_REMOTE_WRITE_PREFERENCE: 'high' })).toThrow(/PLENUM_REMOTE_WRITE_PREFERENCE.*0-1000/);
  });
});
