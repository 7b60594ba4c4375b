import { and, eq, gt, or, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import { fieldError } from './errors';

/** Keyset pagination over (name, id): stable under inserts, cheap at any depth. */
export const pageInput = {
  cursor: z.string().max(500).nullish(),
  limit: z.number().int().min(1).max(500).default(50),
};

type Cursor = { name: string; id: number };

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.name, cursor.id])).toString('base64url');
}

const cursorSchema = z.tuple([z.string(), z.number().int()]);

export function afterCursor(cursor: string | null | undefined, nameColumn: PgColumn, idColumn: PgColumn): SQL | undefined {
  if (!cursor) return undefined;
  let decoded: [string, number];
  try {
    decoded = cursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw fieldError('cursor', 'not a cursor returned by this list');
  }
  const [name, id] = decoded;
  return or(gt(nameColumn, name), and(eq(nameColumn, name), gt(idColumn, id)));
}

/** Fetch `limit + 1` rows; the extra one only says whether a next page exists. */
export function toPage<T extends { name: string; id: number }>(rows: T[], limit: number): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}
