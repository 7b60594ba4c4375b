import { describe, expect, it } from 'vitest';
import { decodeRemoteWrite, snappyDecompress } from './remote-write';
import { type EncodeSeries, encodeLabels, encodeRemoteWrite, snappyCompress } from './remote-write-encode';

describe('remote-write encoder', () => {
  it('round-trips series through the decoder, bit-exact for float64, NaN, ±Inf, negative timestamps and staleness markers', () => {
    const series: EncodeSeries[] = [
      {
        labels: { __name__: 'gpu_power_watts', gpu_uuid: 'GPU-0a1b2c3d-0000-0000-0000-000000000001', rack: 'R01', device: 'gpu-node-01', plenum_series: '17' },
        samples: [
          { value: 312.25, timestampMs: 1_796_428_000_000 },
          { value: 0.1 + 0.2, timestampMs: 1_796_428_010_000 },
          { value: Number.NaN, timestampMs: 1_796_428_020_000 },
          { value: Number.POSITIVE_INFINITY, timestampMs: 1_796_428_030_000 },
          { value: Number.NEGATIVE_INFINITY, timestampMs: -5 },
          { value: -0, timestampMs: 0 },
          { value: Number.MIN_VALUE, timestampMs: 1 },
        ],
      },
      { labels: { __name__: 'up', instance: 'höst:9400', job: 'dcgm' }, samples: [{ value: 1, timestampMs: 1_796_428_000_000, stale: true }] },
    ];
    const decoded = decodeRemoteWrite(encodeRemoteWrite(series));
    expect(decoded.timeseries).toHaveLength(2);
    expect(decoded.timeseries[0]!.labels).toEqual(series[0]!.labels);
    const got = decoded.timeseries[0]!.samples;
    expect(got.map((s) => s.timestampMs)).toEqual(series[0]!.samples.map((s) => s.timestampMs));
    for (let i = 0; i < got.length; i++) expect(Object.is(got[i]!.value, series[0]!.samples[i]!.value)).toBe(true);
    expect(decoded.timeseries[1]!.labels).toEqual({ __name__: 'up', instance: 'höst:9400', job: 'dcgm' });
    expect(decoded.timeseries[1]!.samples[0]!.stale).toBe(true);
  });

  it('writes labels sorted by name, as the protocol requires', () => {
    const decoded = decodeRemoteWrite(encodeRemoteWrite([{ labels: { zeta: '1', __name__: 'm', alpha: '2' }, samples: [{ value: 1, timestampMs: 1 }] }]));
    expect(Object.keys(decoded.timeseries[0]!.labels)).toEqual(['__name__', 'alpha', 'zeta']);
  });

  it('takes labels encoded in advance (a writer caches them per series) exactly as it takes them plain', () => {
    const labels = { __name__: 'gpu_power_w', plenum_series: '3', rack: 'R-ü' };
    const samples = [{ value: 1.25, timestampMs: 1_796_428_000_000 }];
    expect(encodeRemoteWrite([{ labelBytes: encodeLabels(labels), samples }])).toEqual(encodeRemoteWrite([{ labels, samples }]));
  });

  it('snappy-compresses repetitive input and round-trips inputs of every shape, across 64 KiB blocks', () => {
    const repetitive = new TextEncoder().encode('gpu_power_watts{rack="R01"} '.repeat(10_000));
    const compressed = snappyCompress(repetitive);
    expect(compressed.length).toBeLessThan(repetitive.length / 10);
    expect(Buffer.from(snappyDecompress(compressed)).equals(Buffer.from(repetitive))).toBe(true);
    let seed = 7;
    const random = new Uint8Array(200_000).map(() => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % 7; // few symbols: short and long matches at every offset
    });
    for (const size of [0, 1, 3, 4, 5, 59, 60, 61, 255, 256, 257, 65_535, 65_536, 65_537, 200_000]) {
      const input = random.subarray(0, size);
      expect(Buffer.from(snappyDecompress(snappyCompress(input))).equals(Buffer.from(input))).toBe(true);
    }
  });
});
