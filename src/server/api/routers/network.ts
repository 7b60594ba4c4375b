import { asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { dbId } from '../inputs';
import * as s from '../../db/schema';
import { assertSiteWide } from '../../auth/zones';
import { fabricStats } from '../../services/fabric-stats';
import { readProcedure, router } from '../trpc';

export const networkRouter = router({
  /** Fabrics with their switches by tier, host count and link count. */
  fabrics: readProcedure.meta({ example: { siteId: 1 } }).input(z.object({ siteId: dbId })).query(async ({ ctx, input }) => {
    await assertSiteWide(ctx, input.siteId, 'the network fabrics');
    const fabrics = await ctx.db.select().from(s.fabrics).where(eq(s.fabrics.siteId, input.siteId)).orderBy(asc(s.fabrics.name));
    const stats = await fabricStats(ctx.db, input.siteId);
    return fabrics.map((fabric) => {
      const own = stats.get(fabric.id);
      return { ...fabric, tiers: own?.tiers ?? {}, links: own?.links ?? 0, ports: own?.ports ?? 0, maxSpeedGbps: own?.maxSpeedGbps ?? null };
    });
  }),
});
