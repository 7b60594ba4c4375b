import { describe, expect, it } from 'vitest';
import { csvCell, csvDocument, csvLine, csvStream, filtersFrom } from './csv';

describe('CSV encoder', () => {
  it('leaves plain values bare and writes empty cells for null', () => {
    expect(csvLine(['A1-01', 42, 0.5, true, null, undefined, ''])).toBe('A1-01,42,0.5,true,,,\r\n');
    expect(csvCell(new Date('2026-01-02T03:04:05.000Z'))).toBe('2026-01-02T03:04:05.000Z');
    expect(csvCell(Number.NaN)).toBe('');
  });

  it('quotes fields with commas, quotes, CR or LF and doubles the quotes', () => {
    expect(csvCell('Hall A, north')).toBe('"Hall A, north"');
    expect(csvCell('19" rack')).toBe('"19"" rack"');
    expect(csvCell('line 1\nline 2')).toBe('"line 1\nline 2"');
    expect(csvCell('a\r\nb')).toBe('"a\r\nb"');
    expect(csvCell('naïve – Zürich')).toBe('naïve – Zürich');
  });

  it('defuses text a spreadsheet would run as a formula, but not numbers', () => {
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell(-5)).toBe('-5');
  });

  it('writes a header row and one line per row, CRLF-terminated', () => {
    const text = csvDocument(
      [
        { header: 'name', value: (r: { name: string; kw: number }) => r.name },
        { header: 'max_power_kw', value: (r: { name: string; kw: number }) => r.kw },
      ],
      [
        { name: 'A1-01', kw: 40 },
        { name: 'B,1', kw: 132.5 },
      ],
    );
    expect(text).toBe('name,max_power_kw\r\nA1-01,40\r\n"B,1",132.5\r\n');
  });

  it('streams every page after the header', async () => {
    const pages: Record<string, { items: { n: number }[]; nextCursor: string | null }> = {
      start: { items: [{ n: 1 }, { n: 2 }], nextCursor: 'p2' },
      p2: { items: [], nextCursor: 'p3' },
      p3: { items: [{ n: 3 }], nextCursor: null },
    };
    const response = await csvStream('x.csv', [{ header: 'n', value: (r: { n: number }) => r.n }], async (cursor) => pages[cursor ?? 'start']!);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="x.csv"');
    expect(await response.text()).toBe('n\r\n1\r\n2\r\n3\r\n');
  });

  it('reads numeric and text filters from the query string', () => {
    const url = new URL('http://h/api/export/racks.csv?hallId=3&status=active&search=&rowId=x&other=1');
    expect(filtersFrom(url, ['hallId', 'rowId'], ['status', 'search'])).toEqual({ hallId: 3, rowId: 'x', status: 'active' });
  });
});
