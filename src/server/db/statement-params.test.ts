import { describe, expect, it } from 'vitest';
import { preparedName, StatementParams } from './statement-params';

describe('statement parameters assembled from parts', () => {
  it('numbers placeholders in the order values are added and keeps the values', () => {
    const params = new StatementParams();
    const sqlText = `SELECT ${params.add(1)}::int, ${params.add('a')}::text, ${params.add([2, 3])}::int[]`;
    expect(sqlText).toBe('SELECT $1::int, $2::text, $3::int[]');
    expect(params.values).toEqual([1, 'a', [2, 3]]);
  });

  it('gives one name per statement text, the same each time it is asked', () => {
    const a = preparedName('SELECT 1 AS statement_params_test_a');
    const b = preparedName('SELECT 1 AS statement_params_test_b');
    expect(a).not.toBe(b);
    expect(preparedName('SELECT 1 AS statement_params_test_a')).toBe(a);
  });
});
