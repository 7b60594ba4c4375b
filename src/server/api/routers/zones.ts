import { and, asc, eq, sql } from 'drizzle-orm';
import { zoneCondition } from '../../auth/zones';
import { z } from 'zod';
import { dbId } from '../inputs';
import * as s from '../../db/schema';
import { readProcedure, router } from '../trpc';

export const zonesRouter = router({
  list: readProcedure.input(z.object({ siteId: dbId.optional() }).optional()).query(({ ctx, input }) =>
    ctx.db
      .select({
        id: s.securityZones.id,
        name: s.securityZones.name,
        accessLevel: s.securityZones.accessLevel,
        description: s.securityZones.description,
        siteId: s.securityZones.siteId,
        halls: sql<number>`(SELECT count(*)::int FROM halls h WHERE h.security_zone_id = security_zones.id)`,
        racks: sql<number>`(SELECT count(*)::int FROM racks r WHERE r.security_zone_id = security_zones.id)`,
      })
      .from(s.securityZones)
      .where(and(input?.siteId ? eq(s.securityZones.siteId, input.siteId) : undefined, zoneCondition(ctx, 'zone', s.securityZones.id)))
      .orderBy(asc(s.securityZones.name)),
  ),
});
