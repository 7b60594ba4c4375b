import { and, asc, eq, sql } from 'drizzle-orm';
import { zoneCondition } from '../../auth/zones';
import { halls, racks, sites } from '../../db/schema';
import { readProcedure, router } from '../trpc';

export const sitesRouter = router({
  /** Sites with their halls and each hall's rack count, for the overview and navigation. */
  listWithHalls: readProcedure.query(async ({ ctx }) => {
    const siteRows = await ctx.db.select().from(sites).where(zoneCondition(ctx, 'site', sites.id)).orderBy(asc(sites.name));
    const hallRows = await ctx.db
      .select({
        id: halls.id,
        siteId: halls.siteId,
        slug: halls.slug,
        name: halls.name,
        coolingType: halls.coolingType,
        designItLoadKw: halls.designItLoadKw,
        rackCount: sql<number>`count(${racks.id})::int`,
      })
      .from(halls)
      .leftJoin(racks, and(eq(racks.hallId, halls.id), zoneCondition(ctx, 'rack', racks.id)))
      .where(zoneCondition(ctx, 'hall', halls.id))
      .groupBy(halls.id)
      .orderBy(asc(halls.name));
    return siteRows.map((site) => ({ ...site, halls: hallRows.filter((hall) => hall.siteId === site.id) }));
  }),
});
