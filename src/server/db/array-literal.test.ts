import { describe, expect, it } from 'vitest';
import { float8ArrayLiteral, intArrayLiteral } from './array-literal';

describe('array literals for PostgreSQL parameters', () => {
  it('writes integers joined by commas, and an empty array as {}', () => {
    expect(intArrayLiteral([3, 1, 2])).toBe('{3,1,2}');
    expect(intArrayLiteral(new Int32Array([7, -8]))).toBe('{7,-8}');
    expect(intArrayLiteral([])).toBe('{}');
  });

  it('writes every double so that it reads back to the same bits, with float8 spellings of NaN, ±Infinity and -0', () => {
    const values = [0.1, 1 / 3, 1e21, 5e-324, -1.7976931348623157e308, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0];
    const literal = float8ArrayLiteral(values);
    expect(literal).toBe('{0.1,0.3333333333333333,1e+21,5e-324,-1.7976931348623157e+308,NaN,Infinity,-Infinity,-0,0}');
    const back = literal.slice(1, -1).split(',').map(Number);
    for (const [i, v] of back.entries()) expect(Object.is(v, values[i])).toBe(true);
  });
});
