import { TRPCError } from '@trpc/server';
import type { FieldError } from './trpc';

/** A validation failure that names the field, raised by services and shown next to the form field. */
export class FieldValidationError extends TRPCError {
  readonly fieldErrors: FieldError[];
  constructor(fieldErrors: FieldError[]) {
    super({ code: 'BAD_REQUEST', message: fieldErrors.map((e) => `${e.field}: ${e.reason}`).join('; ') });
    this.fieldErrors = fieldErrors;
  }
}

export function fieldError(field: string, reason: string): FieldValidationError {
  return new FieldValidationError([{ field, reason }]);
}

type PgError = { code?: string; constraint?: string; detail?: string; message?: string; column?: string };

function pgErrorOf(error: unknown): PgError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const candidate = current as PgError & { cause?: unknown };
    if (typeof candidate.code === 'string' && /^[0-9A-Z]{5}$/.test(candidate.code)) return candidate;
    current = candidate.cause;
  }
  return undefined;
}

/**
 * Turns a PostgreSQL constraint violation into a field error. `fields` maps constraint names to the
 * input field they concern and the reason to show; unknown violations keep PostgreSQL's own message
 * without SQL. Anything that is not a constraint violation is rethrown unchanged.
 */
export function asFieldError(error: unknown, fields: Record<string, { field: string; reason: string | ((pg: PgError) => string) }>): never {
  const pg = pgErrorOf(error);
  if (!pg?.code?.startsWith('23')) throw error;
  const known = pg.constraint ? fields[pg.constraint] : undefined;
  if (known) throw fieldError(known.field, typeof known.reason === 'function' ? known.reason(pg) : known.reason);
  throw fieldError(pg.column ?? '(input)', pg.code === '23505' ? 'already exists' : (pg.message ?? 'violates a data rule'));
}
