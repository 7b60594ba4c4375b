import { describe, expect, it } from 'vitest';
import { LOAD_BASIS_ORDER, loadBasisOf, loadBasisOfFigures } from './LoadFigure';

describe('live versus planned labels', () => {
  it('orders measured first, then the planned figures, then the limits', () => {
    expect(LOAD_BASIS_ORDER).toEqual(['measured', 'allocated', 'nameplate', 'design', 'budget', 'capacity']);
  });

  it('names the basis of a mixed load the way the power analysis computes it', () => {
    expect(loadBasisOf({ measured: 2, allocated: 1, nameplate: 5 })).toBe('measured');
    expect(loadBasisOf({ measured: 0, allocated: 1, nameplate: 5 })).toBe('allocated');
    expect(loadBasisOf({ measured: 0, allocated: 0, nameplate: 5 })).toBe('nameplate');
    expect(loadBasisOf(undefined)).toBe('nameplate');
    expect(loadBasisOfFigures(0, 120)).toBe('measured');
    expect(loadBasisOfFigures(null, 120)).toBe('allocated');
    expect(loadBasisOfFigures(null, 0)).toBe('nameplate');
  });
});
