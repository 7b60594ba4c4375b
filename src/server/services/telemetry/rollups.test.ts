import { describe, expect, it } from 'vitest';
import { seededRandom } from '@/scheduler';
import { combineDeltas, DELTA_BYTES, type DeltaColumns, decodeDeltas, encodeMinuteBlocks, MINUTE_BLOCK_MAX, pgMax, pgMin, RollupDeltas } from './rollups';

type Entry = { id: number; minute: number; min: number; max: number; sum: number; count: number };

function encode(entries: Entry[]): Buffer {
  const buf = Buffer.alloc(entries.length * DELTA_BYTES);
  entries.forEach((e, k) => {
    const o = k * DELTA_BYTES;
    buf.writeInt32BE(e.id, o);
    buf.writeInt32BE(e.minute, o + 4);
    buf.writeDoubleBE(e.min, o + 8);
    buf.writeDoubleBE(e.max, o + 16);
    buf.writeDoubleBE(e.sum, o + 24);
    buf.writeInt32BE(e.count, o + 32);
  });
  return buf;
}

/** The obvious combination: a map per (series, minute) in queue order, then sorted by minute and series. */
function reference(entries: Entry[]): Entry[] {
  const byKey = new Map<string, Entry>();
  for (const e of entries) {
    const key = `${e.minute}:${e.id}`;
    const b = byKey.get(key);
    if (b === undefined) byKey.set(key, { ...e });
    else {
      b.min = pgMin(b.min, e.min);
      b.max = pgMax(b.max, e.max);
      b.sum += e.sum;
      b.count += e.count;
    }
  }
  return [...byKey.values()].sort((a, b) => a.minute - b.minute || a.id - b.id);
}

const rowsOf = (c: DeltaColumns): Entry[] =>
  Array.from({ length: c.size }, (_, i) => ({ id: c.seriesIds[i]!, minute: c.minutes[i]!, min: c.mins[i]!, max: c.maxs[i]!, sum: c.sums[i]!, count: c.counts[i]! }));

function randomEntries(n: number, seed: number, ids: () => number): Entry[] {
  const rng = seededRandom(seed);
  const minutes = [29_000_000, 29_000_001, 29_000_002, 28_990_000]; // a late minute a week earlier among them
  const values = [0, -0, Number.NaN, Number.POSITIVE_INFINITY, 1e-300, 0.1, 0.2, 1e17];
  return Array.from({ length: n }, () => {
    const v = rng() < 0.2 ? values[Math.floor(rng() * values.length)]! : (rng() - 0.5) * 1e4;
    return { id: ids(), minute: minutes[Math.floor(rng() * minutes.length)]!, min: v, max: v, sum: v, count: 1 + Math.floor(rng() * 3) };
  });
}

describe('rollup deltas', () => {
  it.each([
    ['the default buffer, grown', undefined],
    ['a buffer made at the flush size', 3_000],
    ['a buffer made too small, grown', 1],
  ])('a flush writes one entry per sample (%s) that decode back bit for bit', (_, expected) => {
    const deltas = new RollupDeltas(expected);
    const samples = Array.from({ length: 3_000 }, (_, k) => ({ id: k % 700, ts: 1_740_000_000_000 + k * 37, value: k === 5 ? -0 : k === 6 ? Number.NaN : k * 0.1 }));
    for (const s of samples) deltas.add(s.id, s.ts, s.value);
    expect(deltas.size).toBe(3_000);
    expect(deltas.encode().length).toBe(3_000 * DELTA_BYTES);
    expect([deltas.minMinute, deltas.maxMinute]).toEqual([Math.floor(samples[0]!.ts / 60_000), Math.floor(samples.at(-1)!.ts / 60_000)]);
    const decoded = rowsOf(decodeDeltas([deltas.encode()]));
    expect(decoded).toEqual(samples.map((s) => ({ id: s.id, minute: Math.floor(s.ts / 60_000), min: s.value, max: s.value, sum: s.value, count: 1 })));
    expect(Object.is(decoded[5]!.min, -0)).toBe(true);
  });

  it('combines per (series, minute) exactly as a map in queue order would, ordered by minute then series', () => {
    const rng = seededRandom(7);
    const entries = randomEntries(20_000, 11, () => Math.floor(rng() * 3_000));
    const half = entries.length / 2;
    const combined = combineDeltas(decodeDeltas([encode(entries.slice(0, half)), encode(entries.slice(half))]));
    const expected = reference(entries);
    expect(combined.size).toBe(expected.length);
    const got = rowsOf(combined);
    // Object.is per field: -0, NaN and the order of the additions (the same sums to the last bit).
    const same = got.every((g, k) => Object.entries(expected[k]!).every(([f, v]) => Object.is(g[f as keyof Entry], v)));
    expect(same).toBe(true);
  });

  it('takes the general sort for series ids the fast path cannot key, with the same result', () => {
    const rng = seededRandom(3);
    const entries = randomEntries(2_000, 5, () => Math.floor(rng() * 200) - 100); // negative ids: no numeric key
    const got = rowsOf(combineDeltas(decodeDeltas([encode(entries)])));
    const expected = reference(entries);
    expect(got.every((g, k) => Object.entries(expected[k]!).every(([f, v]) => Object.is(g[f as keyof Entry], v)))).toBe(true);
    expect(got.length).toBe(expected.length);
  });

  it('encodes one block per minute and id range of MINUTE_BLOCK_MAX', () => {
    const entries: Entry[] = [];
    for (const minute of [100, 101]) for (let id = 0; id < 130; id++) entries.push({ id, minute, min: id, max: id, sum: id, count: 1 });
    // 130 ids in groups of 64: ranges [0, 48), [48, 64), [64, 112), [112, 128), [128, 130) → 5 blocks per minute.
    const { blocks } = encodeMinuteBlocks(combineDeltas(decodeDeltas([encode(entries)])));
    expect(MINUTE_BLOCK_MAX).toBe(48);
    expect(blocks).toBe(10);
  });
});
