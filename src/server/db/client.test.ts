import { describe, expect, it } from 'vitest';
import { describeConnectionError, redactUrl } from './client';

describe('connection errors', () => {
  it('never prints the password', () => {
    expect(redactUrl('postgresql://app:s3cret@db.example:5432/plenum')).toBe('postgresql://app:***@db.example:5432/plenum');
    expect(describeConnectionError('postgresql://app:s3cret@db:5432/p', { code: '28P01' })).not.toContain('s3cret');
  });

  it('explains common failures in words', () => {
    expect(describeConnectionError('postgresql://h:1/p', { code: 'ECONNREFUSED' })).toBe('cannot use database postgresql://h:1/p: connection refused (is PostgreSQL running there?)');
    expect(describeConnectionError('postgresql://h/p', { code: '3D000' })).toContain('database does not exist');
    expect(describeConnectionError('postgresql://h/p', new Error('odd failure'))).toContain('odd failure');
  });
});
