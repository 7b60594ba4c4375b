import { asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { dbId } from '../inputs';
import * as s from '../../db/schema';
import { assertSiteWide } from '../../auth/zones';
import { readProcedure, router } from '../trpc';

export const networkRouter = router({
  /** Fabrics with their switches by tier, host count and link count. */
  fabrics: readProcedure.meta({ example: { siteId: 1 } }).input(z.object({ siteId: dbId })).query(async ({ ctx, input }) => {
    await assertSiteWide(ctx, input.siteId, 'the network fabrics');
    const fabrics = await ctx.db.select().from(s.fabrics).where(eq(s.fabrics.siteId, input.siteId)).orderBy(asc(s.fabrics.name));
    const members = await ctx.db
      .select({ fabricId: s.fabricMembers.fabricId, tier: s.fabricMembers.tier, count: sql<number>`count(*)::int` })
      .from(s.fabricMembers)
      .groupBy(s.fabricMembers.fabricId, s.fabricMembers.tier);
    const links = await ctx.db
      .select({ fabricId: s.interfaces.fabricId, links: sql<number>`count(DISTINCT ${s.linkEnds.linkId})::int`, ports: sql<number>`count(*)::int`, speedGbps: sql<number>`max(${s.interfaces.speedGbps})` })
      .from(s.interfaces)
      .leftJoin(s.linkEnds, eq(s.linkEnds.interfaceId, s.interfaces.id))
      .groupBy(s.interfaces.fabricId);
    return fabrics.map((fabric) => ({
      ...fabric,
      tiers: Object.fromEntries(members.filter((m) => m.fabricId === fabric.id).map((m) => [m.tier, m.count])) as Partial<Record<'node' | 'leaf' | 'spine' | 'core', number>>,
      links: links.find((l) => l.fabricId === fabric.id)?.links ?? 0,
      ports: links.find((l) => l.fabricId === fabric.id)?.ports ?? 0,
      maxSpeedGbps: links.find((l) => l.fabricId === fabric.id)?.speedGbps ?? null,
    }));
  }),
});
