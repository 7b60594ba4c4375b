import { describe, expect, it } from 'vitest';
import { seededRandom } from '@/scheduler';
import { allIndices, orderById } from './id-order';

/** The comparator sort the numeric key replaces: by id, ties by position in `indices`. */
const reference = (indices: Int32Array, ids: ArrayLike<number>) =>
  [...indices].map((index, j) => ({ index, j })).sort((a, b) => ids[a.index]! - ids[b.index]! || a.j - b.j).map((x) => x.index);

describe('orderById', () => {
  it('orders by id with ties in the given order, for a subset of entries in any order', () => {
    const rng = seededRandom(2);
    const ids = Array.from({ length: 5_000 }, () => Math.floor(rng() * 800) + (rng() < 0.01 ? 2_147_000_000 : 0));
    const subset = Int32Array.from(allIndices(ids.length).filter(() => rng() < 0.6)).reverse();
    expect([...orderById(subset, ids)]).toEqual(reference(subset, ids));
    expect([...orderById(allIndices(ids.length), ids)]).toEqual(reference(allIndices(ids.length), ids));
  });

  it('takes the comparator sort for ids the key cannot hold (negative, beyond int4), with the same order', () => {
    const ids = [5, -3, 2 ** 32, 5, -3, 0];
    const indices = Int32Array.from([5, 4, 3, 2, 1, 0]);
    expect([...orderById(indices, ids)]).toEqual(reference(indices, ids));
    expect([...orderById(indices, ids)]).toEqual([4, 1, 5, 3, 0, 2]);
  });
});
