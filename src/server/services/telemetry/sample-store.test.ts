import { describe, expect, it } from 'vitest';
import {
  BLOCK_MAX_SAMPLES,
  CHUNK_TARGET_SAMPLES,
  chunkFor,
  COMPACTION_WINDOW_MS,
  DAY_MS,
  MAX_CHUNK_SPAN_MS,
  MIN_COMPACTION_AGE_MS,
  mayBeCompacted,
  mergeSorted,
  type SampleBlockColumns,
  sampleBlockColumns,
  unpackSamples,
  usToMs,
  windowStartMs,
} from './sample-store';

const hex = (v: Float64Array) => {
  const w = new Uint32Array(v.buffer, v.byteOffset, v.length * 2);
  return Array.from({ length: v.length }, (_, i) => `${w[2 * i + 1]!.toString(16)}:${w[2 * i]!.toString(16)}`);
};

describe('sample store helpers', () => {
  it('unpacks timestamptz_send ‖ float8send records: µs since 1970 and every value bit', () => {
    // 2026-12-05T00:00:00.123456Z is 849_744_000_123_456 µs after 2000-01-01; a NaN with a payload; -0.
    const buf = Buffer.alloc(32);
    buf.writeBigInt64BE(849_744_000_123_456n, 0);
    buf.writeUInt32BE(0x7ff4dead, 8);
    buf.writeUInt32BE(0x0000beef, 12);
    buf.writeBigInt64BE(-1n, 16); // one µs before 2000-01-01
    buf.writeUInt32BE(0x80000000, 24);
    buf.writeUInt32BE(0, 28);
    const { us, values } = unpackSamples(buf);
    expect(us).toEqual([Date.UTC(2026, 11, 5) * 1000 + 123_456, Date.UTC(2000, 0, 1) * 1000 - 1]);
    expect(hex(values)).toEqual(['7ff4dead:beef', '80000000:0']);
    expect(usToMs(us[0]!)).toBe(Date.UTC(2026, 11, 5) + 123.456);
  });

  it('merges parts: concatenates successive windows, sorts overlapping ones by time then value bits', () => {
    const a = { us: [30, 40], values: Float64Array.from([3, 4]) };
    const b = { us: [10, 20], values: Float64Array.from([1, 2]) };
    expect(mergeSorted([a, b])).toEqual({ us: [10, 20, 30, 40], values: Float64Array.from([1, 2, 3, 4]) });
    const late = { us: [15, 20], values: Float64Array.from([1.5, 1]) };
    const merged = mergeSorted([a, b, late, { us: [], values: new Float64Array(0) }]);
    expect(merged.us).toEqual([10, 15, 20, 20, 30, 40]);
    expect(Array.from(merged.values)).toEqual([1, 1.5, 1, 2, 3, 4]);
  });

  it('aligns windows to the epoch and says when a time range may hold compacted samples', () => {
    expect(windowStartMs(COMPACTION_WINDOW_MS * 7 + 5)).toBe(COMPACTION_WINDOW_MS * 7);
    expect(86_400_000 % COMPACTION_WINDOW_MS).toBe(0); // a window never straddles a daily partition
    const now = 1_800_000_000_000;
    expect(mayBeCompacted(now - 60_000, now)).toBe(false);
    expect(mayBeCompacted(now - MIN_COMPACTION_AGE_MS, now)).toBe(true);
  });

  it('grows a chunk over the following windows until it holds enough samples, for 6 hours at most, never across a day', () => {
    const W = COMPACTION_WINDOW_MS;
    const limits = { target: CHUNK_TARGET_SAMPLES, maxSpanMs: MAX_CHUNK_SPAN_MS };
    const day = 20_000 * DAY_MS;
    // Every 30 s: 60 samples a window, so a chunk takes four windows (240 samples), then the next one starts.
    let prior: { startMs: number; spanMs: number; count: number } | undefined;
    const starts: number[] = [];
    for (let k = 0; k < 8; k++) {
      const c = chunkFor(day + k * W, W, prior, limits);
      prior = { startMs: c.startMs, spanMs: c.spanMs, count: (c.merge ? prior!.count : 0) + 60 };
      starts.push((c.startMs - day) / W);
    }
    expect(starts).toEqual([0, 0, 0, 0, 4, 4, 4, 4]);
    expect(prior!.spanMs).toBe(4 * W);
    // Every 10 s (180 a window): two windows. Every second (1,800): one.
    expect(chunkFor(day + W, W, { startMs: day, spanMs: W, count: 180 }, limits)).toEqual({ startMs: day, spanMs: 2 * W, merge: true });
    expect(chunkFor(day + 2 * W, W, { startMs: day, spanMs: 2 * W, count: 360 }, limits)).toEqual({ startMs: day + 2 * W, spanMs: W, merge: false });
    expect(chunkFor(day + W, W, { startMs: day, spanMs: W, count: 1_800 }, limits).merge).toBe(false);
    // A slow series stops at 6 hours; no chunk crosses midnight; a gap starts a new chunk; late samples join theirs.
    expect(chunkFor(day + 12 * W, W, { startMs: day, spanMs: 12 * W, count: 72 }, limits).merge).toBe(false);
    expect(chunkFor(day + DAY_MS, W, { startMs: day + DAY_MS - 2 * W, spanMs: 2 * W, count: 20 }, limits)).toEqual({ startMs: day + DAY_MS, spanMs: W, merge: false });
    expect(chunkFor(day + 3 * W, W, { startMs: day, spanMs: 2 * W, count: 20 }, limits).merge).toBe(false);
    expect(chunkFor(day + W, W, { startMs: day, spanMs: 4 * W, count: 240 }, limits)).toEqual({ startMs: day, spanMs: 4 * W, merge: true });
    expect(chunkFor(day, W, undefined, limits)).toEqual({ startMs: day, spanMs: W, merge: false });
  });
});

describe('sample blocks', () => {
  /** The blocks of `sampleBlockColumns`: per block its group, window and samples (series, ms, value). */
  function blocksOf(c: SampleBlockColumns) {
    return c.groups.map((group, b) => {
      const range = (col: number[]) => col.slice(c.firsts[b]! - 1, c.lasts[b]);
      return { window: c.windowMs[b]!, group, min: c.tsMin[b]!, max: c.tsMax[b]!, ids: range(c.ids), ms: range(c.tsMs), values: range(c.values) };
    });
  }

  it('groups samples by series group and compaction window, at most BLOCK_MAX_SAMPLES a block, losing none', () => {
    const t0 = Date.UTC(2026, 11, 5, 10, 29, 59);
    const ids: number[] = [];
    const tsMs: number[] = [];
    const values: number[] = [];
    // 130 series at one scrape (groups 0, 1, 2), then series 5 scraped 70 times across the window boundary at 10:30.
    const add = (id: number, ms: number, value: number) => {
      ids.push(id);
      tsMs.push(ms);
      values.push(value);
    };
    for (let id = 0; id < 130; id++) add(id, t0, id / 3);
    for (let k = 0; k < 70; k++) add(5, t0 + k * 100, -k);
    const columns = sampleBlockColumns([{ seriesIds: ids, tsMs, values, from: 0, to: ids.length }]);
    const decoded = blocksOf(columns);
    expect(columns.ids.length).toBe(ids.length);
    for (const b of decoded) {
      expect(b.ids.length).toBeLessThanOrEqual(BLOCK_MAX_SAMPLES);
      expect(b.ids.every((id) => id >> 6 === b.group)).toBe(true);
      expect(b.ms.every((ms) => windowStartMs(ms) === b.window)).toBe(true);
      expect([Math.min(...b.ms), Math.max(...b.ms)]).toEqual([b.min, b.max]);
    }
    // Group 0 before 10:30: series 0-63 and the first 10 samples of series 5 (74: two blocks); after: 60 samples.
    expect(decoded.map((b) => [b.group, b.window - windowStartMs(t0), b.ids.length])).toEqual([
      [0, 0, 64],
      [0, 0, 10],
      [1, 0, 64],
      [2, 0, 2],
      [0, COMPACTION_WINDOW_MS, 60],
    ]);
    const back = decoded.flatMap((b) => b.ids.map((id, i) => `${id}@${b.ms[i]}=${b.values[i]}`)).sort();
    expect(back).toEqual(ids.map((id, i) => `${id}@${tsMs[i]}=${values[i]}`).sort());
  });

  it('makes no block of no rows', () => {
    const columns = sampleBlockColumns([{ seriesIds: [1], tsMs: [0], values: [1], from: 0, to: 0 }]);
    expect(columns.groups).toEqual([]);
    expect(columns.ids).toEqual([]);
  });
});
