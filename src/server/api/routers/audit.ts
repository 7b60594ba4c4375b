import { and, desc, eq, gte, ilike, lt, lte, or, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { auditLog } from '../../db/schema';
import { assertAllZones } from '../../auth/zones';
import { adminProcedure, router } from '../trpc';

export const auditFilterInput = z.object({
  /** Free text: actor, action, object id, address or anything in the detail. */
  search: z.string().trim().max(100).optional(),
  actor: z.string().trim().max(200).optional(),
  action: z.string().trim().max(200).optional(),
  outcome: z.enum(['ok', 'denied', 'error']).optional(),
  objectType: z.string().trim().max(40).optional(),
  objectId: z.string().trim().max(40).optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
});

export function auditFilters(input: z.infer<typeof auditFilterInput>): (SQL | undefined)[] {
  const pattern = input.search ? `%${input.search.replace(/[%_\\]/g, '\\$&')}%` : undefined;
  return [
    input.actor ? eq(auditLog.actor, input.actor) : undefined,
    input.action ? eq(auditLog.action, input.action) : undefined,
    input.outcome ? eq(auditLog.outcome, input.outcome) : undefined,
    input.objectType ? eq(auditLog.objectType, input.objectType) : undefined,
    input.objectId ? eq(auditLog.objectId, input.objectId) : undefined,
    input.from ? gte(auditLog.at, input.from) : undefined,
    input.to ? lte(auditLog.at, input.to) : undefined,
    pattern
      ? or(ilike(auditLog.actor, pattern), ilike(auditLog.action, pattern), ilike(auditLog.objectId, pattern), ilike(auditLog.address, pattern), sql`${auditLog.detail}::text ILIKE ${pattern}`)
      : undefined,
  ];
}

export const auditRouter = router({
  /** The audit trail, newest first, filtered; read-only (the table refuses UPDATE and DELETE). */
  list: adminProcedure
    .input(auditFilterInput.extend({ cursor: z.number().int().positive().nullish(), limit: z.number().int().min(1).max(500).default(100) }))
    .query(async ({ ctx, input }) => {
      // The trail records every zone's changes and their inputs: all-zones admins only.
      assertAllZones(ctx, 'the audit trail');
      const rows = await ctx.db
        .select()
        .from(auditLog)
        .where(and(...auditFilters(input), input.cursor ? lt(auditLog.id, input.cursor) : undefined))
        .orderBy(desc(auditLog.id))
        .limit(input.limit + 1);
      const items = rows.slice(0, input.limit);
      return { items, nextCursor: rows.length > input.limit ? (items.at(-1)?.id ?? null) : null };
    }),
});
