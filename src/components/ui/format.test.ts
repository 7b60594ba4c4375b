import { describe, expect, it } from 'vitest';
import { csvExportHref } from './format';

describe('csvExportHref', () => {
  it('carries the set filters, encoded, and leaves empty ones out', () => {
    expect(csvExportHref('racks.csv', { search: 'A1 & B', status: undefined, kind: '' })).toBe('/api/export/racks.csv?search=A1+%26+B');
    expect(csvExportHref('audit.csv', {})).toBe('/api/export/audit.csv?');
  });
});
