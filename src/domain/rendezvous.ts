/**
 * Rendezvous (highest-random-weight) hashing: every member scores every key, and the key belongs to the member with
 * the highest score. Any process with the same member list picks the same owner without talking to the others, and
 * when a member joins or leaves only the keys it wins or held move (about 1/N of them), never keys between the
 * members that stayed.
 */

/** FNV-1a over the UTF-16 code units, then a murmur3 finaliser so nearby strings land far apart. */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/** murmur3's 32-bit finaliser: full avalanche, so every input bit moves every output bit. */
function mix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The score of one (key, member) pair; both hashed on their own first, so a member's score is cheap per key. */
function score(keyHash: number, memberHash: number): number {
  return mix32(Math.imul(keyHash ^ memberHash, 0x9e3779b1) ^ memberHash);
}

/**
 * Precomputed member hashes for many look-ups over one membership (a scraper's reload assigns every target).
 * Ties (one in 2³² per pair) go to the smaller member id, so the answer never depends on the members' order.
 */
export class Rendezvous {
  private readonly members: { id: string; hash: number }[];

  constructor(memberIds: readonly string[]) {
    this.members = [...new Set(memberIds)].sort().map((id) => ({ id, hash: hashString(id) }));
  }

  get size(): number {
    return this.members.length;
  }

  /** The member that owns `key`; undefined when there are no members. */
  owner(key: string | number): string | undefined {
    const keyHash = typeof key === 'number' && Number.isInteger(key) ? mix32(key ^ 0x5bd1e995) : hashString(String(key));
    let best: string | undefined;
    let bestScore = -1;
    for (const member of this.members) {
      const s = score(keyHash, member.hash);
      if (s > bestScore) {
        bestScore = s;
        best = member.id;
      }
    }
    return best;
  }
}

/** The member that owns `key` (one look-up; use `Rendezvous` for many). */
export function rendezvousOwner(key: string | number, memberIds: readonly string[]): string | undefined {
  return new Rendezvous(memberIds).owner(key);
}

/** How many of `keys` each member owns (every member listed, also at 0). */
export function shardSizes(keys: Iterable<string | number>, memberIds: readonly string[]): Map<string, number> {
  const hrw = new Rendezvous(memberIds);
  const sizes = new Map<string, number>(memberIds.map((id) => [id, 0]));
  for (const key of keys) {
    const owner = hrw.owner(key);
    if (owner !== undefined) sizes.set(owner, (sizes.get(owner) ?? 0) + 1);
  }
  return sizes;
}
