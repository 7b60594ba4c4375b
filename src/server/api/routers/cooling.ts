import { asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { dbId } from '../inputs';
import * as s from '../../db/schema';
import { analysePlant } from '../../services/plant';
import { assertSiteWide } from '../../auth/zones';
import { readProcedure, router } from '../trpc';

export const coolingRouter = router({
  /** Cooling units with load vs capacity, and each redundancy group's N+1 state. */
  units: readProcedure.meta({ example: { siteId: 1 } }).input(z.object({ siteId: dbId })).query(async ({ ctx, input }) => {
    await assertSiteWide(ctx, input.siteId, 'the cooling plant');
    const units = await ctx.db.select().from(s.coolingUnits).where(eq(s.coolingUnits.siteId, input.siteId)).orderBy(asc(s.coolingUnits.name));
    const served = await ctx.db
      .select({ unitId: s.coolingServedAreas.unitId, hall: s.halls.name, row: s.rows.name, rack: s.racks.name })
      .from(s.coolingServedAreas)
      .leftJoin(s.halls, eq(s.halls.id, s.coolingServedAreas.hallId))
      .leftJoin(s.rows, eq(s.rows.id, s.coolingServedAreas.rowId))
      .leftJoin(s.racks, eq(s.racks.id, s.coolingServedAreas.rackId));
    const analysis = (await analysePlant(ctx.db, input.siteId)).cooling;
    return {
      issues: analysis.issues,
      groups: Object.values(analysis.groups).map((group) => ({
        ...group,
        unitNames: group.unitIds.map((unitId) => units.find((u) => String(u.id) === unitId)?.name ?? unitId),
      })),
      units: units.map((unit) => {
        const result = analysis.units[String(unit.id)];
        return {
          ...unit,
          serves: served.filter((area) => area.unitId === unit.id).map((area) => area.rack ?? area.row ?? area.hall ?? '?'),
          loadW: result?.loadW ?? 0,
          capacityW: result?.capacityW ?? unit.capacityKw * 1000,
          utilizationPct: result?.utilizationPct ?? null,
        };
      }),
    };
  }),
});
