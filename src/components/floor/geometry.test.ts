import { describe, expect, it } from 'vitest';
import { floorScale, floorViewBox, LABEL_UNITS, MAX_SCALE, MIN_LABEL_PX, MIN_SCALE, rackLabel, rowLabels, TILE } from './geometry';

const racks = [
  { gridX: 3, gridY: 2, rowName: 'A1' },
  { gridX: 4, gridY: 2, rowName: 'A1' },
  { gridX: 10, gridY: 6, rowName: 'A2' },
  { gridX: 5, gridY: 6, rowName: 'A2' },
];

describe('floor geometry', () => {
  it('crops the drawing to the racks, with room for the row names left of them', () => {
    const box = floorViewBox(racks, 20, 30);
    expect(box.x).toBe(1 * TILE);
    expect(box.y).toBe(1.5 * TILE);
    expect(box.x + box.width).toBe(11.5 * TILE);
    expect(box.y + box.height).toBe(8 * TILE);
    expect(floorViewBox([], 14, 20)).toEqual({ x: 0, y: 0, width: 14 * TILE, height: 20 * TILE });
  });

  it('fills the width, keeps labels at 11 px or more, and does not blow a small hall up', () => {
    const box = { x: 0, y: 0, width: 400, height: 300 };
    expect(floorScale(box, 1200, 10_000)).toBe(MAX_SCALE);
    expect(floorScale(box, 800, 10_000)).toBe(2);
    expect(floorScale(box, 800, 450)).toBe(1.5);
    expect(floorScale({ x: 0, y: 0, width: 3_000, height: 3_000 }, 1200, 600)).toBe(MIN_SCALE);
    expect(floorScale(box, 0, 600)).toBe(MIN_SCALE);
    expect(LABEL_UNITS * MIN_SCALE).toBeGreaterThanOrEqual(MIN_LABEL_PX);
  });

  it('names each row once, at its first rack', () => {
    expect(rowLabels(racks)).toEqual([
      { name: 'A1', x: 3 * TILE - 6, y: 2 * TILE + 27 },
      { name: 'A2', x: 5 * TILE - 6, y: 6 * TILE + 27 },
    ]);
    expect(rackLabel('A1-07')).toBe('07');
    expect(rackLabel('NET')).toBe('NET');
  });
});
