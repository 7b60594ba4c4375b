import { and, desc, eq, lt, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import * as s from '../../db/schema';
import { changeLogCondition } from '../../auth/zones';
import { readProcedure, router } from '../trpc';

export const changesRouter = router({
  /** The change log, newest first; per object when objectType and objectId are given. */
  list: readProcedure
    .input(
      z.object({
        objectType: z.string().max(40).optional(),
        objectId: z.string().max(40).optional(),
        actor: z.string().max(200).optional(),
        /** A rack's history: its own changes and those of the devices placed in it or moved out of it. */
        rackId: z.number().int().positive().optional(),
        /** Continue below this change id (newest first). */
        cursor: z.number().int().positive().nullish(),
        limit: z.number().int().min(1).max(200).default(50),
      }),
    )
    .query(async ({ ctx, input }) => {
      const rows = await ctx.db
        .select()
        .from(s.changeLog)
        .where(
          and(
            input.objectType ? eq(s.changeLog.objectType, input.objectType) : undefined,
            input.objectId ? eq(s.changeLog.objectId, input.objectId) : undefined,
            input.actor ? eq(s.changeLog.actor, input.actor) : undefined,
            input.rackId
              ? or(
                  and(eq(s.changeLog.objectType, 'rack'), eq(s.changeLog.objectId, String(input.rackId))),
                  and(
                    eq(s.changeLog.objectType, 'device'),
                    or(sql`${s.changeLog.after}->>'rackId' = ${String(input.rackId)}`, sql`${s.changeLog.before}->>'rackId' = ${String(input.rackId)}`),
                  ),
                )
              : undefined,
            input.cursor ? lt(s.changeLog.id, input.cursor) : undefined,
            changeLogCondition(ctx),
          ),
        )
        .orderBy(desc(s.changeLog.id))
        .limit(input.limit + 1);
      const items = rows.slice(0, input.limit);
      return { items, nextCursor: rows.length > input.limit ? (items[items.length - 1]?.id ?? null) : null };
    }),
});
