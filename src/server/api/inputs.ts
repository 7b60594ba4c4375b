/**
 * Input rules shared by every procedure, so hostile values are a 400 naming the field, never a 500 from PostgreSQL.
 *
 * - `checkInputShape` runs on every raw input before its schema (see `rejectHostileInput` in trpc.ts): NUL characters
 *   and lone UTF-16 surrogates in any string or key (PostgreSQL cannot store them), nesting deeper than
 *   MAX_INPUT_DEPTH, and non-finite numbers.
 * - `dbId`: ids of int4 columns (1 … 2^31 − 1).
 * - `databaseInputError`: the last line of defence, a PostgreSQL data exception (SQLSTATE class 22: out of range,
 *   invalid text, bad datetime…) raised by a procedure becomes BAD_REQUEST, without PostgreSQL's text.
 */
import type { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { FieldValidationError } from './errors';

export const MAX_INT4 = 2_147_483_647;
export const MAX_INPUT_DEPTH = 32;

/** A row id (PostgreSQL `integer` / `serial`). */
export const dbId = z.number().int('must be a whole number').min(1, 'must be 1 or more').max(MAX_INT4, `must be at most ${MAX_INT4}`);

const fieldName = (path: (string | number)[]) => (path.length === 0 ? '(input)' : path.join('.'));

/** The first problem with a raw input's shape, as a field error; undefined when there is none. */
export function inputShapeProblem(value: unknown, path: (string | number)[] = []): { field: string; reason: string } | undefined {
  if (path.length > MAX_INPUT_DEPTH) return { field: fieldName(path.slice(0, MAX_INPUT_DEPTH)), reason: `is nested more than ${MAX_INPUT_DEPTH} levels deep` };
  if (typeof value === 'string') {
    if (value.includes('\0')) return { field: fieldName(path), reason: 'must not contain NUL characters' };
    // With the u flag a surrogate pair is one code point: \p{Cs} matches only a lone surrogate.
    if (/\p{Cs}/u.test(value)) return { field: fieldName(path), reason: 'must be valid Unicode text (it holds a lone surrogate)' };
    return undefined;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : { field: fieldName(path), reason: 'must be a finite number' };
  if (value === null || typeof value !== 'object') return undefined;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? { field: fieldName(path), reason: 'must be a valid date' } : undefined;
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : value instanceof Map ? [...value.entries()] : value instanceof Set ? [...value].map((v, i) => [i, v]) : Object.entries(value);
  for (const [key, child] of entries) {
    if (typeof key === 'string') {
      const keyProblem = inputShapeProblem(key, [...path, '(key)']);
      if (keyProblem) return { field: fieldName([...path, JSON.stringify(key.slice(0, 40))]), reason: `names a field that ${keyProblem.reason}` };
    }
    const problem = inputShapeProblem(child, [...path, key]);
    if (problem) return problem;
  }
  return undefined;
}

/** Throws a BAD_REQUEST field error when the raw input has a problem `inputShapeProblem` finds. */
export function checkInputShape(value: unknown): void {
  const problem = inputShapeProblem(value);
  if (problem) throw new FieldValidationError([problem]);
}

function sqlStateOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

const DATA_EXCEPTIONS: Record<string, string> = {
  '22001': 'a text value is too long for the database',
  '22003': 'a number is out of range for the database',
  '22007': 'a date or time is not valid',
  '22008': 'a date or time is out of range',
  '22021': 'a text value holds a character the database cannot store',
  '22P02': 'a value does not have the expected form',
  '22P05': 'a text value holds a character the database cannot store',
  '2201E': 'a number is out of range for the database',
};

/** A BAD_REQUEST for a PostgreSQL data exception (class 22) raised while serving the input; undefined otherwise. */
export function databaseInputError(error: unknown): TRPCError | undefined {
  const code = sqlStateOf(error);
  if (!code?.startsWith('22')) return undefined;
  return new FieldValidationError([{ field: '(input)', reason: `${DATA_EXCEPTIONS[code] ?? 'a value is not valid for the database'} (SQLSTATE ${code})` }]);
}
