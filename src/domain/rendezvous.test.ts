import { describe, expect, it } from 'vitest';
import { Rendezvous, rendezvousOwner, shardSizes } from './rendezvous';

const ids = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
const members = ['0b7f3c9e-6a52-4c61-9d0e-2f8a1b4c5d6e', '5d1e8a2b-3c4f-4a6b-8c7d-9e0f1a2b3c4d', 'c3a9f0e1-7b2d-4e5f-a6b7-c8d9e0f1a2b3'];
const joiner = 'f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9';

describe('rendezvous hashing', () => {
  it('has no owner without members and one owner with one member', () => {
    expect(rendezvousOwner(7, [])).toBeUndefined();
    expect(rendezvousOwner(7, ['a'])).toBe('a');
  });

  it('does not depend on the order or repetition of the member list', () => {
    const a = new Rendezvous(members);
    const b = new Rendezvous([...members].reverse().concat(members[0]!));
    for (const key of ids(2_000)) expect(b.owner(key)).toBe(a.owner(key));
  });

  it('spreads 30,000 targets over 3 members within 3 % of a third each', () => {
    const sizes = shardSizes(ids(30_000), members);
    for (const size of sizes.values()) expect(Math.abs(size - 10_000)).toBeLessThan(300);
  });

  it('balances string keys and consecutive integers alike', () => {
    const sizes = shardSizes(
      ids(9_000).map((i) => `http://h${i}.example/metrics`),
      members,
    );
    for (const size of sizes.values()) expect(Math.abs(size - 3_000)).toBeLessThan(200);
  });

  it('moves only the keys the joining member wins (about a quarter), none between the others', () => {
    const before = new Rendezvous(members);
    const after = new Rendezvous([...members, joiner]);
    let moved = 0;
    for (const key of ids(20_000)) {
      const was = before.owner(key);
      const now = after.owner(key);
      if (was !== now) {
        expect(now).toBe(joiner);
        moved++;
      }
    }
    expect(moved).toBeGreaterThan(20_000 * 0.22);
    expect(moved).toBeLessThan(20_000 * 0.28);
  });

  it("moves only the leaving member's keys, spread over the others", () => {
    const before = new Rendezvous(members);
    const after = new Rendezvous(members.slice(1));
    const takenBy = new Map<string, number>();
    for (const key of ids(20_000)) {
      const was = before.owner(key)!;
      const now = after.owner(key)!;
      if (was === members[0]) takenBy.set(now, (takenBy.get(now) ?? 0) + 1);
      else expect(now).toBe(was);
    }
    const [x, y] = [...takenBy.values()];
    expect(Math.abs(x! - y!) / (x! + y!)).toBeLessThan(0.06);
  });
});
