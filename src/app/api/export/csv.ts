/**
 * CSV for the list-view exports (RFC 4180: comma separated, CRLF line ends, fields with a comma, quote, CR or LF
 * quoted, quotes doubled). Text cells that a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR)
 * get a leading apostrophe, the OWASP advice against CSV injection; numbers are written as they are.
 */

export type CsvValue = string | number | boolean | null | undefined | Date;

export type CsvColumn<T> = { header: string; value: (row: T) => CsvValue };

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  let text = value instanceof Date ? value.toISOString() : value;
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: CsvValue[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

export function csvDocument<T>(columns: CsvColumn<T>[], rows: T[]): string {
  return csvLine(columns.map((c) => c.header)) + rows.map((row) => csvLine(columns.map((c) => c.value(row)))).join('');
}

type Page<T> = { items: T[]; nextCursor: string | null };

/**
 * A streamed CSV response: the header row, then every page that `fetchPage` returns until it has no next cursor.
 * The first page is fetched before answering, so a bad filter still gets a 400 instead of a broken download.
 */
export async function csvStream<T>(filename: string, columns: CsvColumn<T>[], fetchPage: (cursor: string | null) => Promise<Page<T>>): Promise<Response> {
  const encoder = new TextEncoder();
  let page: Page<T> | null = await fetchPage(null);
  let headerSent = false;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (!headerSent) {
          headerSent = true;
          controller.enqueue(encoder.encode(csvLine(columns.map((c) => c.header))));
          return;
        }
        // Each pull must enqueue something or close; empty pages are skipped.
        while (page) {
          const current: Page<T> = page;
          page = null;
          if (current.items.length > 0) controller.enqueue(encoder.encode(current.items.map((row) => csvLine(columns.map((c) => c.value(row)))).join('')));
          if (current.nextCursor) page = await fetchPage(current.nextCursor);
          if (current.items.length > 0) return;
        }
        controller.close();
      } catch (error) {
        controller.error(error);
      }
    },
  });
  return new Response(stream, {
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${filename}"`,
      'cache-control': 'no-store',
    },
  });
}

/**
 * The list filters from the query string: `numbers` are converted (an unparsable one is passed as text so the
 * procedure's validation names it), everything else passes as text. Unknown parameters are ignored.
 */
export function filtersFrom(url: URL, numbers: string[], strings: string[]): Record<string, string | number> {
  const filters: Record<string, string | number> = {};
  for (const name of numbers) {
    const raw = url.searchParams.get(name);
    if (raw !== null && raw !== '') filters[name] = /^\d+$/.test(raw) ? Number(raw) : raw;
  }
  for (const name of strings) {
    const raw = url.searchParams.get(name);
    if (raw !== null && raw !== '') filters[name] = raw;
  }
  return filters;
}

type FieldError = { field: string; reason: string };

/** A 400 for invalid filters (with field errors), 401/403 when the caller may not read, rethrowing anything else. */
export function badRequest(error: unknown): Response {
  const e = error as { code?: string; message?: string; cause?: unknown; fieldErrors?: FieldError[] };
  if (e?.code === 'UNAUTHORIZED' || e?.code === 'FORBIDDEN') {
    return Response.json({ error: e.message }, { status: e.code === 'UNAUTHORIZED' ? 401 : 403, headers: { 'cache-control': 'no-store' } });
  }
  if (e?.code !== 'BAD_REQUEST') throw error;
  const issues = (e.cause as { issues?: { path: PropertyKey[]; message: string }[] } | undefined)?.issues;
  const fieldErrors: FieldError[] = e.fieldErrors ?? issues?.map((i) => ({ field: i.path.map(String).join('.') || '(input)', reason: i.message })) ?? [];
  const message = fieldErrors.length ? fieldErrors.map((f) => `${f.field}: ${f.reason}`).join('; ') : (e.message ?? 'bad request');
  return Response.json({ error: message, fieldErrors }, { status: 400 });
}
