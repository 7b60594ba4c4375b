import { and, asc, eq, sql } from 'drizzle-orm';
import { assertInZone, zoneCondition } from '../../auth/zones';
import { z } from 'zod';
import { dbId } from '../inputs';
import * as s from '../../db/schema';
import { analysePlant } from '../../services/plant';
import { fieldError } from '../errors';
import { readProcedure, router } from '../trpc';

const id = dbId;
/** The most racks one page of a hall's rack table holds. */
export const RACK_TABLE_MAX_LIMIT = 200;

export const hallsRouter = router({
  /** A hall's rows, for pickers: no power or cooling analysis needed. */
  rows: readProcedure
    .meta({ example: { id: 1 } })
    .input(z.object({ id }))
    .query(async ({ ctx, input }) => {
      await assertInZone(ctx, 'hall', input.id);
      return ctx.db.select({ id: s.rows.id, name: s.rows.name }).from(s.rows).where(eq(s.rows.hallId, input.id)).orderBy(asc(s.rows.name));
    }),

  /** Everything the floor plan draws: the grid, the rows, each rack at its tile with status and load. */
  floorPlan: readProcedure.meta({ example: { id: 1 } }).input(z.object({ id })).query(async ({ ctx, input }) => {
    await assertInZone(ctx, 'hall', input.id);
    const [hall] = await ctx.db
      .select({ hall: s.halls, site: { id: s.sites.id, name: s.sites.name, slug: s.sites.slug }, zone: { name: s.securityZones.name, accessLevel: s.securityZones.accessLevel } })
      .from(s.halls)
      .innerJoin(s.sites, eq(s.sites.id, s.halls.siteId))
      .leftJoin(s.securityZones, eq(s.securityZones.id, s.halls.securityZoneId))
      .where(eq(s.halls.id, input.id));
    if (!hall) throw fieldError('id', `no hall with id ${input.id}`);
    const rows = await ctx.db.select().from(s.rows).where(eq(s.rows.hallId, input.id)).orderBy(asc(s.rows.name));
    const racks = await ctx.db
      .select({ id: s.racks.id, name: s.racks.name, rowId: s.racks.rowId, positionInRow: s.racks.positionInRow, status: s.racks.status, maxPowerKw: s.racks.maxPowerKw, coolingKind: s.racks.coolingKind, zoneName: s.securityZones.name })
      .from(s.racks)
      .leftJoin(s.securityZones, eq(s.securityZones.id, s.racks.securityZoneId))
      .where(and(eq(s.racks.hallId, input.id), zoneCondition(ctx, 'rack', s.racks.id)))
      .orderBy(asc(s.racks.name));
    const analysis = await analysePlant(ctx.db, hall.site.id);
    const rowById = new Map(rows.map((r) => [r.id, r]));
    // Only what a tile draws: the table below the plan pages through rackTable instead.
    // What each rack's accelerators are: GPUs, TPU chips (of a pod), or none, so TPU racks show beside GPU racks.
    const acceleratorKinds = new Map(
      (
        await ctx.db.execute<{ rack_id: number; gpus: number; tpus: number }>(sql`
          SELECT d.rack_id, count(*) FILTER (WHERE c.accelerator_id IS NULL)::int AS gpus, count(c.accelerator_id)::int AS tpus
          FROM accelerators a JOIN devices d ON d.id = a.device_id JOIN racks r ON r.id = d.rack_id LEFT JOIN tpu_chips c ON c.accelerator_id = a.id
          WHERE r.hall_id = ${input.id} GROUP BY d.rack_id`)
      ).rows.map((r) => [r.rack_id, r]),
    );
    const tpuPods = (await ctx.db.execute<{ id: number; name: string; generation: string }>(sql`SELECT id, name, generation FROM tpu_pods WHERE hall_id = ${input.id} ORDER BY name`)).rows;
    return {
      ...hall,
      rows,
      tpuPods,
      racks: racks.map((rack) => {
        const row = rowById.get(rack.rowId)!;
        const power = analysis.power.ok ? analysis.power.racks[String(rack.id)] : undefined;
        const kinds = acceleratorKinds.get(rack.id);
        return {
          id: rack.id,
          name: rack.name,
          status: rack.status,
          coolingKind: rack.coolingKind,
          zoneName: rack.zoneName,
          accelerators: (kinds?.tpus ? 'tpu' : kinds?.gpus ? 'gpu' : null) as 'tpu' | 'gpu' | null,
          rowName: row.name,
          gridX: row.gridX + rack.positionInRow,
          gridY: row.gridY,
          loadW: power?.loadW ?? 0,
          utilizationPct: power?.utilizationPct ?? null,
        };
      }),
    };
  }),

  /**
   * One page of a hall's rack table (by rack name) with each rack's load and headroom, and the hall's rack count:
   * at 630 racks a hall's table is paged on the server, never shipped whole.
   */
  rackTable: readProcedure
    .meta({ example: { id: 1, offset: 0, limit: 50 } })
    .input(z.object({ id, offset: z.number().int().min(0).max(100_000).default(0), limit: z.number().int().min(1).max(RACK_TABLE_MAX_LIMIT).default(50) }))
    .query(async ({ ctx, input }) => {
      await assertInZone(ctx, 'hall', input.id);
      const [hall] = await ctx.db.select({ siteId: s.halls.siteId }).from(s.halls).where(eq(s.halls.id, input.id));
      if (!hall) throw fieldError('id', `no hall with id ${input.id}`);
      const visible = and(eq(s.racks.hallId, input.id), zoneCondition(ctx, 'rack', s.racks.id));
      const [{ total }] = (await ctx.db.select({ total: sql<number>`count(*)::int` }).from(s.racks).where(visible)) as [{ total: number }];
      const racks = await ctx.db
        .select({ id: s.racks.id, name: s.racks.name, rowName: s.rows.name, status: s.racks.status, maxPowerKw: s.racks.maxPowerKw })
        .from(s.racks)
        .innerJoin(s.rows, eq(s.rows.id, s.racks.rowId))
        .where(visible)
        .orderBy(asc(s.racks.name), asc(s.racks.id))
        .offset(input.offset)
        .limit(input.limit);
      const analysis = await analysePlant(ctx.db, hall.siteId);
      return {
        total,
        offset: input.offset,
        limit: input.limit,
        racks: racks.map((rack) => {
          const power = analysis.power.ok ? analysis.power.racks[String(rack.id)] : undefined;
          return {
            ...rack,
            loadW: power?.loadW ?? 0,
            measuredW: power?.measuredW ?? null,
            allocatedW: power?.allocatedW ?? null,
            utilizationPct: power?.utilizationPct ?? null,
            powerHeadroomW: power?.powerHeadroomW ?? null,
            coolingHeadroomW: analysis.cooling.racks[String(rack.id)]?.coolingHeadroomW ?? null,
          };
        }),
      };
    }),
});
