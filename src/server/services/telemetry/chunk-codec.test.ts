import { describe, expect, it } from 'vitest';
import { appendChunk, appendRollupWindow, decimalDigits, decodeChunk, decodeRollupWindow, encodeChunk, encodeRollupWindow, type ValueMode } from './chunk-codec';

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

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('chunk codec: continuing a chunk (appendChunk)', () => {
  /** Value sets of every mode: specials (XOR), full-precision floats, decimal gauges, a counter with resets. */
  function valueSets(n: number, next: () => number): Float64Array[] {
    const specials = fromBits(['7ff4dead0000beef', '8000000000000000', '7ff0000000000000', 'fff0000000000000', '0000000000000001', '3ff0000000000000', '7ff8000000000000']);
    const counter: number[] = [];
    let c = 5_000;
    for (let i = 0; i < n; i++) {
      c = i % 37 === 36 ? Math.floor(next() * 10) : c + 1_000 + Math.floor(next() * 3);
      counter.push(c);
    }
    return [
      Float64Array.from({ length: n }, (_, i) => specials[i % specials.length]!),
      Float64Array.from({ length: n }, () => (next() - 0.5) * 1e6),
      Float64Array.from({ length: n }, () => Math.round((650 + next() * 20) * 100) / 100),
      Float64Array.from({ length: n }, (_, i) => 60 + Math.floor(i / 40)),
      Float64Array.from(counter),
    ];
  }

  it('continues to the very bits encodeChunk writes for all the samples, in every value mode, and decodes exactly', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const next = random(100 + seed);
      const n = 2 + Math.floor(next() * 300);
      const ts = scrapeTimes(n, next);
      for (const values of valueSets(n, next)) {
        const mode = decodeChunk(encodeChunk(ts, values)).valueMode;
        // Cut into 1-4 windows, each appended to what the earlier ones made.
        const cuts = [0, ...Array.from({ length: Math.floor(next() * 4) }, () => 1 + Math.floor(next() * (n - 1))).sort((a, b) => a - b), n];
        let chunk = encodeChunk(ts.slice(0, cuts[1]), values.slice(0, cuts[1]), { valueMode: mode, appendable: true });
        for (let c = 1; c + 1 < cuts.length; c++) {
          const appended = appendChunk(chunk, ts.slice(cuts[c], cuts[c + 1]), values.slice(cuts[c], cuts[c + 1]), { appendable: true });
          if (appended === undefined) throw new Error(`seed ${seed}: not appendable`);
          chunk = appended;
        }
        expect(hex(chunk), `seed ${seed} ${mode}`).toBe(hex(encodeChunk(ts, values, { valueMode: mode, appendable: true })));
        const decoded = decodeChunk(chunk);
        expect(Array.from(decoded.timestamps)).toEqual(ts);
        expect(bits(decoded.values)).toEqual(bits(values));
        // The last append without the state: what encodeChunk writes without it.
        const closed = appendChunk(encodeChunk(ts.slice(0, cuts[1]), values.slice(0, cuts[1]), { valueMode: mode, appendable: true }), ts.slice(cuts[1]), values.slice(cuts[1]));
        if (cuts[1]! < n) expect(hex(closed!)).toBe(hex(encodeChunk(ts, values, { valueMode: mode })));
      }
    }
  });

  it('keeps the state only when asked, and costs nothing without it', () => {
    const next = random(7);
    const ts = scrapeTimes(240, next);
    const values = Float64Array.from({ length: 240 }, () => (next() - 0.5) * 1e3);
    const open = encodeChunk(ts, values, { appendable: true });
    const closed = encodeChunk(ts, values);
    expect(open.length - closed.length).toBeGreaterThan(10);
    expect(open.length - closed.length).toBeLessThan(30);
    expect(appendChunk(closed, [ts.at(-1)! + 30_000_000], Float64Array.from([1]))).toBeUndefined();
    expect(bits(decodeChunk(open).values)).toEqual(bits(decodeChunk(closed).values));
  });

  it('refuses what it cannot continue exactly: earlier or equal timestamps, another unit, values outside the decimal mode', () => {
    const ts = [1_795_000_000_000_000, 1_795_000_030_000_000, 1_795_000_060_000_000];
    const decimal = encodeChunk(ts, Float64Array.from([1.5, 2.25, 3]), { valueMode: 'decimal-delta', appendable: true });
    const later = 1_795_000_090_000_000;
    expect(appendChunk(decimal, [ts[2]!], Float64Array.from([4]))).toBeUndefined();
    expect(appendChunk(decimal, [ts[1]!], Float64Array.from([4]))).toBeUndefined();
    expect(appendChunk(decimal, [later + 1_000], Float64Array.from([4]))).toBeUndefined(); // ms in a chunk of whole seconds
    expect(appendChunk(decimal, [later], Float64Array.from([4.125]))).toBeUndefined(); // a third digit
    expect(appendChunk(decimal, [later], Float64Array.from([-0]))).toBeUndefined();
    expect(appendChunk(decimal, [later], Float64Array.from([Number.NaN]))).toBeUndefined();
    expect(appendChunk(decimal, [later], Float64Array.from([0.1 + 0.2]))).toBeUndefined();
    const ok = appendChunk(decimal, [later], Float64Array.from([4.75]), { appendable: true })!;
    expect(Array.from(decodeChunk(ok).values)).toEqual([1.5, 2.25, 3, 4.75]);
    expect(decodeChunk(ok).valueMode).toBe('decimal-delta');
    // XOR takes anything, a counter reset and -0 included.
    const xor = encodeChunk(ts, Float64Array.from([0.1 + 0.2, 1e300, 7]), { appendable: true });
    const more = appendChunk(xor, [later, later + 30_000_000], Float64Array.from([-0, Number.NEGATIVE_INFINITY]))!;
    expect(bits(decodeChunk(more).values)).toEqual(bits(Float64Array.from([0.1 + 0.2, 1e300, 7, -0, Number.NEGATIVE_INFINITY])));
  });

  it('still reads chunks written in format 1', () => {
    const ts = [1_795_000_000_000_000, 1_795_000_030_002_000, 1_795_000_060_001_000, 1_795_000_090_004_000, 1_795_000_120_000_000];
    // Bytes written by format 1's encoder (commit 42a5bac).
    const v1 = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
    const xor = decodeChunk(v1('010105000001a1ee565e00f07532416110d7ff4dead0000beefc0ffffd37ab40002fbbf00bfffc1fbff8000000000000cffc00000000000040'));
    expect(Array.from(xor.timestamps)).toEqual(ts);
    expect(bits(xor.values)).toEqual(['7ff4dead0000beef', '8000000000000000', '7ff0000000000000', '0000000000000001', '3ff0000000000000']);
    const dod = decodeChunk(v1('01090500000001a1ee565e00f07532416110de7d0e7d040bc04e12'));
    expect([dod.valueMode, ...Array.from(dod.timestamps)]).toEqual(['decimal-dod', ...ts]);
    expect(Array.from(dod.values)).toEqual([1000, 2000, 3000, 4001, 5]);
    const delta = decodeChunk(v1('01050503000001a1ee565e00f07532416110dfab3d814e9c4edabdf4f093f280'));
    expect([delta.valueMode, ...Array.from(delta.values)]).toEqual(['decimal-delta', 650.25, 651.5, 649.75, 650, 612.125]);
    // A format 1 chunk has no state: the caller decodes and re-encodes it.
    expect(appendChunk(v1('01050503000001a1ee565e00f07532416110dfab3d814e9c4edabdf4f093f280'), [1_795_000_150_000_000], Float64Array.from([1]))).toBeUndefined();
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
  it('continues a window hour by hour to the bits encodeRollupWindow writes for all of it, sums derived or kept', () => {
    for (const derivedSums of [true, false]) {
      const minutes = Array.from({ length: 360 }, (_, i) => 29_000_040 + i);
      const a = Float64Array.from(minutes, (_, i) => 400 + ((i * 37) % 50) + 0.125);
      const b = Float64Array.from(minutes, (_, i) => 380 + ((i * 53) % 70) + 0.5);
      const counts = Float64Array.from(minutes, (_, i) => (derivedSums ? (i === 17 ? 1 : 2) : 6));
      const mins = Float64Array.from(a, (v, i) => Math.min(v, b[i]!));
      const maxs = Float64Array.from(a, (v, i) => Math.max(v, b[i]!));
      const sums = Float64Array.from(a, (v, i) => (counts[i] === 1 ? mins[i]! : counts[i] === 2 ? mins[i]! + maxs[i]! : v * 6 + 0.25));
      if (counts[17] === 1) maxs[17] = mins[17]!;
      const hour = (h: number) => {
        const s = h * 60;
        return { minutes: minutes.slice(s, s + 60), mins: mins.slice(s, s + 60), maxs: maxs.slice(s, s + 60), sums: sums.slice(s, s + 60), counts: counts.slice(s, s + 60) };
      };
      let window = encodeRollupWindow(hour(0), { appendable: true });
      for (let h = 1; h < 6; h++) window = appendRollupWindow(window, hour(h), { appendable: h < 5 })!;
      const all = { minutes, mins, maxs, sums, counts };
      expect(hex(window)).toBe(hex(encodeRollupWindow(all)));
      const decoded = decodeRollupWindow(window);
      expect(bits(decoded.sums)).toEqual(bits(sums));
      expect(bits(decoded.maxs)).toEqual(bits(maxs));
    }
    // A window that leaves out its sums cannot take a bucket whose sum is not derivable; one that keeps them keeps them.
    const one = { minutes: [29_000_000], mins: Float64Array.from([1]), maxs: Float64Array.from([2]), sums: Float64Array.from([3]), counts: Float64Array.from([2]) };
    const odd = { minutes: [29_000_001], mins: Float64Array.from([1]), maxs: Float64Array.from([2]), sums: Float64Array.from([4]), counts: Float64Array.from([2]) };
    expect(appendRollupWindow(encodeRollupWindow(one, { appendable: true }), odd)).toBeUndefined();
    const kept = appendRollupWindow(encodeRollupWindow(odd, { appendable: true }), { ...one, minutes: [29_000_002] })!;
    const both = { minutes: [29_000_001, 29_000_002], mins: Float64Array.from([1, 1]), maxs: Float64Array.from([2, 2]), sums: Float64Array.from([4, 3]), counts: Float64Array.from([2, 2]) };
    expect(hex(kept)).toBe(hex(encodeRollupWindow(both)));
    expect(Array.from(decodeRollupWindow(kept).sums)).toEqual([4, 3]);
    expect(appendRollupWindow(encodeRollupWindow(one), { ...one, minutes: [29_000_002] })).toBeUndefined();
  });
});
