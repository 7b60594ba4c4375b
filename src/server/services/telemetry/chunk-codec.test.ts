import { describe, expect, it } from 'vitest';
import { decimalDigits, decodeChunk, decodeRollupWindow, encodeChunk, encodeRollupWindow, type ValueMode } from './chunk-codec';

/** Deterministic pseudo-random numbers (mulberry32), so a failure names a seed that reproduces it. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The 64 bits of each value as hex, so NaN payloads and -0 compare exactly. */
function bits(values: Float64Array): string[] {
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  const out: string[] = [];
  for (let i = 0; i < values.length; i++) out.push(words[2 * i + 1]!.toString(16).padStart(8, '0') + words[2 * i]!.toString(16).padStart(8, '0'));
  return out;
}

function fromBits(hex: string[]): Float64Array {
  const values = new Float64Array(hex.length);
  const words = new Uint32Array(values.buffer);
  hex.forEach((h, i) => {
    words[2 * i + 1] = Number.parseInt(h.slice(0, 8), 16);
    words[2 * i] = Number.parseInt(h.slice(8), 16);
  });
  return values;
}

function roundTrip(timestamps: number[], values: Float64Array, valueMode?: ValueMode) {
  const encoded = encodeChunk(timestamps, values, { valueMode });
  const decoded = decodeChunk(encoded);
  expect(Array.from(decoded.timestamps)).toEqual(timestamps);
  expect(bits(decoded.values)).toEqual(bits(values));
  return { encoded, decoded };
}

/** Scrape-like timestamps in µs: a 10 s interval with a few ms of jitter. */
function scrapeTimes(n: number, next: () => number, startUs = 1_795_000_000_000_000): number[] {
  return Array.from({ length: n }, (_, i) => startUs + i * 10_000_000 + Math.floor(next() * 40) * 1000);
}

describe('chunk codec', () => {
  it('round-trips special values to the bit: NaN payloads, ±Inf, -0, subnormals, extremes', () => {
    const values = fromBits([
      '7ff8000000000000', // the canonical NaN
      'fff8000000000001', // negative quiet NaN with a payload
      '7ff0000000000001', // signalling NaN
      '7ff4dead0000beef',
      '7ff0000000000000', // +Inf
      'fff0000000000000', // -Inf
      '8000000000000000', // -0
      '0000000000000000', // +0
      '0000000000000001', // smallest subnormal
      '000fffffffffffff', // largest subnormal
      '7fefffffffffffff', // largest finite
      'ffefffffffffffff',
      '3ff0000000000000',
      '3ff0000000000000',
      '7ff8000000000000',
    ]);
    const ts = scrapeTimes(values.length, random(1));
    const { decoded } = roundTrip(ts, values);
    expect(decoded.valueMode).toBe('xor');
    expect(Object.is(decoded.values[6], -0)).toBe(true);
  });

  it('round-trips a counter with resets in every value mode that applies', () => {
    const next = random(2);
    const values: number[] = [];
    let energy = 123_456_789;
    for (let i = 0; i < 500; i++) {
      energy = i % 170 === 169 ? Math.floor(next() * 1000) : energy + 7_000_000 + Math.floor(next() * 50_000);
      values.push(energy);
    }
    const ts = scrapeTimes(values.length, next);
    for (const mode of ['xor', 'decimal-delta', 'decimal-dod', undefined] as const) roundTrip(ts, Float64Array.from(values), mode);
    // A reset is a drop to near zero: check it survived.
    const decoded = decodeChunk(encodeChunk(ts, Float64Array.from(values))).values;
    expect(decoded[169]).toBeLessThan(1000);
    expect(decoded[168]).toBeGreaterThan(1e9);
  });

  it('round-trips random float64 bit patterns (property, 200 seeds)', () => {
    for (let seed = 0; seed < 200; seed++) {
      const next = random(1000 + seed);
      const n = 1 + Math.floor(next() * 300);
      const values = new Float64Array(n);
      const words = new Uint32Array(values.buffer);
      for (let i = 0; i < words.length; i++) words[i] = Math.floor(next() * 4294967296);
      // Runs of repeats and near-repeats, where the XOR windows are reused.
      for (let i = 1; i < n; i++) if (next() < 0.3) values[i] = values[i - 1]!;
      for (let i = 1; i < n; i++) if (next() < 0.2) words[2 * i] = words[2 * i - 2]! ^ (1 << Math.floor(next() * 32));
      const ts = Array.from({ length: n }, () => Math.floor((next() - 0.5) * 2 ** 40) * 1000);
      ts.sort((a, b) => a - b);
      roundTrip(ts, values);
    }
  });

  it('round-trips decimal readings with 0-9 digits and picks the decimal encoding when it is smaller (property)', () => {
    for (let seed = 0; seed < 200; seed++) {
      const next = random(5000 + seed);
      const digits = seed % 10;
      const scale = 10 ** digits;
      const n = 1 + Math.floor(next() * 250);
      const base = Math.floor(next() * 1e6);
      const values = Float64Array.from({ length: n }, () => (base + Math.floor((next() - 0.5) * 2000)) / scale);
      const ts = scrapeTimes(n, next);
      const { encoded, decoded } = roundTrip(ts, values);
      const xorOnly = encodeChunk(ts, values, { valueMode: 'xor' });
      expect(encoded.length).toBeLessThanOrEqual(xorOnly.length);
      if (n > 50 && digits > 0) expect(decoded.valueMode).not.toBe('xor');
    }
  });

  it('stores timestamps in their coarsest unit and keeps irregular gaps, duplicates and disorder', () => {
    const values = Float64Array.from([1, 2, 3, 4, 5, 6, 7]);
    roundTrip([0, 10_000_000, 20_000_000, 20_000_000, 15_000_000, 3_600_000_000_000, 3_600_000_000_001], values);
    roundTrip([-5_000_000, -4_000_000, 1, 2, 3, 4, 5], values);
    const msAligned = scrapeTimes(180, random(3));
    const usJitter = msAligned.map((t, i) => t + (i % 7));
    const v = Float64Array.from({ length: 180 }, () => 42);
    expect(roundTrip(msAligned, v).encoded.length).toBeLessThan(roundTrip(usJitter, v).encoded.length);
  });

  it('handles empty and single-sample chunks', () => {
    roundTrip([], new Float64Array(0));
    roundTrip([1_795_000_000_000_000], Float64Array.from([Number.NaN]));
    roundTrip([7], Float64Array.from([-0]));
  });

  it('compresses a steady 10 s gauge to a few bytes per sample', () => {
    const next = random(4);
    const n = 180;
    const ts = scrapeTimes(n, next);
    const power = Float64Array.from({ length: n }, () => Math.round((650 + next() * 20) * 100) / 100);
    const temperature = Float64Array.from({ length: n }, (_, i) => 60 + Math.floor(i / 40));
    expect(encodeChunk(ts, power).length / n).toBeLessThan(4);
    expect(encodeChunk(ts, temperature).length / n).toBeLessThan(1.5);
  });

  it('refuses what it cannot store exactly, naming the reason', () => {
    expect(() => encodeChunk([0.5], Float64Array.from([1]))).toThrow(/timestamp 0.5 at index 0 is not a safe integer/);
    expect(() => encodeChunk([1, 2], Float64Array.from([1]))).toThrow(/2 timestamps but 1 values/);
    expect(() => encodeChunk([1], Float64Array.from([Number.NaN]), { valueMode: 'decimal-delta' })).toThrow(/not exact decimals/);
    expect(() => encodeChunk([0, 2 ** 52], Float64Array.from([1, 2]))).toThrow(RangeError);
    expect(() => decodeChunk(Uint8Array.from([9, 0, 0]))).toThrow(/unknown format 9/);
    const truncated = encodeChunk(scrapeTimes(50, random(5)), Float64Array.from({ length: 50 }, (_, i) => i * 1.1));
    expect(() => decodeChunk(truncated.subarray(0, truncated.length - 10))).toThrow(/ends early/);
  });

  it('decimalDigits finds the smallest exact scale and rejects what is not decimal', () => {
    expect(decimalDigits(Float64Array.from([1, 2, 3]))).toBe(0);
    expect(decimalDigits(Float64Array.from([1.5, 2.25, 412.37]))).toBe(2);
    expect(decimalDigits(Float64Array.from([0.1 + 0.2]))).toBeUndefined();
    expect(decimalDigits(Float64Array.from([Number.POSITIVE_INFINITY]))).toBeUndefined();
    expect(decimalDigits(Float64Array.from([-0]))).toBeUndefined();
    expect(decimalDigits(Float64Array.from([2 ** 52]))).toBeUndefined();
  });
});

describe('1-minute rollup windows', () => {
  it('round-trips min / max / sum / count to the bit, NaN, ±Inf, -0, subnormals and gaps included', () => {
    const minutes = [29_000_000, 29_000_001, 29_000_002, 29_000_005, 29_000_006, 29_000_059];
    const mins = new Float64Array([Number.NaN, Number.NEGATIVE_INFINITY, -0, 5e-324, 312.25, 0.1 + 0.2]);
    const maxs = new Float64Array([Number.NaN, Number.POSITIVE_INFINITY, 0, 1.7976931348623157e308, 699.5, 1 / 3]);
    const sums = new Float64Array([Number.NaN, Number.NaN, -0, 5e-324 * 3, 2_998.75, 0.30000000000000004 + 1 / 3]);
    const counts = new Float64Array([6, 6, 1, 3, 6, 2_147_483_647]);
    const decoded = decodeRollupWindow(encodeRollupWindow({ minutes, mins, maxs, sums, counts }));
    expect(Array.from(decoded.minutes)).toEqual(minutes);
    expect(bits(decoded.mins)).toEqual(bits(mins));
    expect(bits(decoded.maxs)).toEqual(bits(maxs));
    expect(bits(decoded.sums)).toEqual(bits(sums));
    expect(bits(decoded.counts)).toEqual(bits(counts));
  });

  it('costs a few bytes per bucket for an hour of GPU power at 10 s scrapes', () => {
    const minutes = Array.from({ length: 60 }, (_, i) => 29_000_040 + i);
    const mins = Float64Array.from(minutes, (_, i) => 400 + ((i * 37) % 50) + 0.25);
    const maxs = Float64Array.from(mins, (v) => v + 12.5);
    const sums = Float64Array.from(mins, (v) => v * 6 + 31.75);
    const counts = new Float64Array(60).fill(6);
    const bytes = encodeRollupWindow({ minutes, mins, maxs, sums, counts });
    expect(bytes.length / 60).toBeLessThan(10);
    expect(() => decodeRollupWindow(bytes.subarray(0, bytes.length - 3))).toThrow();
  });

  it('leaves out the sums of buckets of one or two samples (min, min + max) and still round-trips to the bit', () => {
    // Two hours at 30 s scrapes: two samples a minute, one where a scrape was missed.
    const minutes = Array.from({ length: 120 }, (_, i) => 29_000_040 + i);
    const a = Float64Array.from(minutes, (_, i) => 400 + ((i * 37) % 50) + 0.125);
    const b = Float64Array.from(minutes, (_, i) => 380 + ((i * 53) % 70) + 0.5);
    const counts = Float64Array.from(minutes, (_, i) => (i === 17 ? 1 : 2));
    const mins = Float64Array.from(a, (v, i) => (counts[i] === 1 ? v : Math.min(v, b[i]!)));
    const maxs = Float64Array.from(a, (v, i) => (counts[i] === 1 ? v : Math.max(v, b[i]!)));
    const sums = Float64Array.from(a, (v, i) => (counts[i] === 1 ? v : v + b[i]!));
    const bytes = encodeRollupWindow({ minutes, mins, maxs, sums, counts });
    const decoded = decodeRollupWindow(bytes);
    expect(bits(decoded.sums)).toEqual(bits(sums));
    expect(bits(decoded.mins)).toEqual(bits(mins));
    expect(bits(decoded.maxs)).toEqual(bits(maxs));
    expect(bits(decoded.counts)).toEqual(bits(counts));
    // The same buckets with one sum that is not min + max (-0 + -0 added from 0: +0) keep every sum.
    const odd = Float64Array.from(sums);
    mins[40] = -0;
    maxs[40] = -0;
    odd[40] = 0;
    const kept = encodeRollupWindow({ minutes, mins, maxs, sums: odd, counts });
    expect(bits(decodeRollupWindow(kept).sums)).toEqual(bits(odd));
    expect(bytes.length).toBeLessThan(kept.length * 0.8);
  });

  it('reads windows written in format 1 (four chunks, no flags byte)', () => {
    const minutes = [29_000_000, 29_000_001];
    const columns = [new Float64Array([1.5, 2]), new Float64Array([3, 4.25]), new Float64Array([9, 12.5]), new Float64Array([4, 4])];
    const v1: number[] = [1];
    for (const c of columns) {
      const part = encodeChunk(minutes, c);
      v1.push(part.length, ...part);
    }
    const decoded = decodeRollupWindow(Uint8Array.from(v1));
    expect([decoded.mins, decoded.maxs, decoded.sums, decoded.counts].map((c) => Array.from(c))).toEqual(columns.map((c) => Array.from(c)));
  });
});
