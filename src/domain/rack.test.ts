import { describe, expect, it } from 'vitest';
import { findOverlaps, fitsAt, freeSpans, freeUnits, positionsThatFit, type RackPlacement, rackWeight } from './rack';

const rack = { heightU: 42, maxWeightKg: 1_000 };
const placements: RackPlacement[] = [
  { id: 'xe9680', positionU: 1, heightU: 6, face: 'front', isFullDepth: true, weightKg: 114.05 },
  { id: 'patch', positionU: 42, heightU: 1, face: 'rear', isFullDepth: false, weightKg: 1 },
  { id: 'switch', positionU: 41, heightU: 1, face: 'front', isFullDepth: false },
  { id: 'pdu', positionU: 0, heightU: 0, face: 'rear', isFullDepth: false, weightKg: 8.4 },
];

describe('fitsAt', () => {
  it('accepts free space and rejects an overlap, naming what is in the way', () => {
    expect(fitsAt(rack, placements, { positionU: 7, heightU: 2, face: 'front', isFullDepth: true })).toEqual({ ok: true });
    const clash = fitsAt(rack, placements, { positionU: 5, heightU: 2, face: 'rear', isFullDepth: false });
    expect(clash).toEqual({ ok: false, reason: 'U5-U6 (rear) overlaps xe9680', conflictIds: ['xe9680'] });
  });

  it('lets half-depth devices share a unit on opposite faces but not a full-depth one', () => {
    expect(fitsAt(rack, placements, { positionU: 42, heightU: 1, face: 'front', isFullDepth: false }).ok).toBe(true);
    expect(fitsAt(rack, placements, { positionU: 41, heightU: 1, face: 'rear', isFullDepth: false }).ok).toBe(true);
    const full = fitsAt(rack, placements, { positionU: 41, heightU: 2, face: 'front', isFullDepth: true });
    expect(full.ok === false && full.conflictIds.sort()).toEqual(['patch', 'switch']);
  });

  it('rejects positions outside the rack and zero-U devices', () => {
    const top = fitsAt(rack, placements, { positionU: 40, heightU: 4, face: 'front', isFullDepth: true });
    expect(top.ok === false && top.reason).toBe('a 4U device at U40 reaches U43, above the top of this 42U rack');
    expect(fitsAt(rack, placements, { positionU: 0, heightU: 1, face: 'front', isFullDepth: true }).ok).toBe(false);
    expect(fitsAt(rack, placements, { positionU: 10, heightU: 0, face: 'front', isFullDepth: false }).ok).toBe(false);
    expect(fitsAt(rack, placements, { positionU: 10, heightU: 1.3, face: 'front', isFullDepth: false }).ok).toBe(false);
  });

  it('ignores the device itself when moving it', () => {
    expect(fitsAt(rack, placements, { id: 'xe9680', positionU: 2, heightU: 6, face: 'front', isFullDepth: true }).ok).toBe(true);
  });

  it('handles half-unit devices', () => {
    const half: RackPlacement[] = [{ id: 'h', positionU: 1, heightU: 0.5, face: 'front', isFullDepth: true }];
    expect(fitsAt(rack, half, { positionU: 1.5, heightU: 0.5, face: 'front', isFullDepth: true }).ok).toBe(true);
    expect(fitsAt(rack, half, { positionU: 1, heightU: 1, face: 'front', isFullDepth: true }).ok).toBe(false);
    expect(freeUnits({ heightU: 3 }, half, 'front')).toEqual([2, 3]);
    expect(freeSpans({ heightU: 3 }, half, 'front')).toEqual([{ startU: 1.5, heightU: 2.5 }]);
  });
});

describe('free space', () => {
  it('lists free units and spans per face', () => {
    const front = freeUnits(rack, placements, 'front');
    expect(front[0]).toBe(7);
    expect(front).not.toContain(41);
    expect(front).toContain(42);
    expect(front).toHaveLength(42 - 6 - 1);
    expect(freeSpans(rack, placements, 'front')).toEqual([
      { startU: 7, heightU: 34 },
      { startU: 42, heightU: 1 },
    ]);
    expect(freeSpans(rack, placements, 'rear')).toEqual([{ startU: 7, heightU: 35 }]);
  });

  it('finds every position where a device fits', () => {
    const positions = positionsThatFit(rack, placements, { heightU: 6, face: 'front', isFullDepth: true });
    expect(positions[0]).toBe(7);
    expect(positions[positions.length - 1]).toBe(35);
    expect(positions).toHaveLength(29);
  });

  it('finds overlaps between existing placements', () => {
    expect(findOverlaps([...placements, { id: 'bad', positionU: 6, heightU: 2, face: 'rear', isFullDepth: false }])).toEqual([['xe9680', 'bad']]);
  });
});

describe('rackWeight', () => {
  it('sums known weights, lists unknown ones and compares with the limit', () => {
    const w = rackWeight(rack, placements);
    expect(w.totalKg).toBeCloseTo(123.45, 9);
    expect(w.unknownWeightIds).toEqual(['switch']);
    expect(w.headroomKg).toBeCloseTo(876.55, 9);
    expect(w.overByKg).toBe(0);
    expect(rackWeight(rack, placements, 900).overByKg).toBeCloseTo(23.45, 9);
  });
});
