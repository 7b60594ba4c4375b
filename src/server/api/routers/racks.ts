import { and, asc, eq, ilike, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { dbId } from '../inputs';
import * as s from '../../db/schema';
import { recordChange } from '../../services/changelog';
import { analysePlant } from '../../services/plant';
import { asFieldError, fieldError } from '../errors';
import { afterCursor, pageInput, toPage } from '../pagination';
import { assertInZone, assertRackZone, assertZone, zoneCondition, zoneOfHall } from '../../auth/zones';
import { hasPermission, operateOrPlanProcedure, readProcedure, router, TRPCError } from '../trpc';

const id = dbId;
const name = z.string().trim().min(1, 'is required').max(64, 'is at most 64 characters');

export const rackInput = z.object({
  hallId: id,
  rowId: id,
  name,
  positionInRow: z.number().int().min(0, 'must be 0 or more').max(500),
  uHeight: z.number().int().min(1, 'must be at least 1 U').max(60, 'must be at most 60 U').default(42),
  maxPowerKw: z.number().positive('must be more than 0 kW').max(1000, 'must be at most 1,000 kW'),
  maxWeightKg: z.number().positive('must be more than 0 kg').max(5000, 'must be at most 5,000 kg'),
  coolingKind: z.enum(s.rackCoolingKind.enumValues).default('air'),
  securityZoneId: id.nullish(),
  status: z.enum(s.rackStatus.enumValues).default('active'),
});

const RACK_CONSTRAINTS = {
  racks_row_hall_fk: { field: 'rowId', reason: 'is not a row of that hall' },
  racks_hall_name: { field: 'name', reason: 'is already used by another rack in this hall' },
  racks_row_position: { field: 'positionInRow', reason: 'is already taken by another rack in this row' },
  racks_security_zone_id_security_zones_id_fk: { field: 'securityZoneId', reason: 'does not exist' },
};

/** Used U, device count, nameplate power and weight per rack, computed in SQL. */
const rackTotals = {
  deviceCount: sql<number>`(SELECT count(*)::int FROM devices d WHERE d.rack_id = racks.id)`,
  usedU: sql<number>`(SELECT coalesce(sum(d.u_height), 0)::int FROM devices d WHERE d.rack_id = racks.id AND (d.face = 'front' OR d.is_full_depth))`,
  weightKg: sql<number>`(SELECT coalesce(sum(d.weight_kg), 0)::real FROM devices d WHERE d.rack_id = racks.id)`,
  nameplateW: sql<number>`(SELECT coalesce(sum(t.nameplate_power_w), 0)::int FROM devices d JOIN device_types t ON t.id = d.device_type_id WHERE d.rack_id = racks.id AND d.status NOT IN ('planned', 'decommissioned'))`,
};

/** Planners (without operate) create and change planned racks only. */
function assertPlannerMayTouch(ctx: Parameters<typeof hasPermission>[0], statuses: (string | undefined)[]): void {
  if (hasPermission(ctx, 'operate')) return;
  if (statuses.every((status) => status === 'planned')) return;
  throw new TRPCError({ code: 'FORBIDDEN', message: 'planners may create and change planned racks only (status "planned"); changing a live rack needs the operate permission' });
}

const exampleRack = { hallId: 1, rowId: 1, name: 'EXAMPLE-01', positionInRow: 99, maxPowerKw: 10, maxWeightKg: 1000, status: 'planned' as const };

export const racksRouter = router({
  list: readProcedure
    .input(
      z.object({
        hallId: id.optional(),
        rowId: id.optional(),
        status: z.enum(s.rackStatus.enumValues).optional(),
        search: z.string().trim().max(100).optional(),
        ...pageInput,
      }),
    )
    .query(async ({ ctx, input }) => {
      const filters: (SQL | undefined)[] = [
        input.hallId ? eq(s.racks.hallId, input.hallId) : undefined,
        input.rowId ? eq(s.racks.rowId, input.rowId) : undefined,
        input.status ? eq(s.racks.status, input.status) : undefined,
        input.search ? ilike(s.racks.name, `%${input.search.replace(/[%_\\]/g, '\\$&')}%`) : undefined,
        afterCursor(input.cursor, s.racks.name, s.racks.id),
        zoneCondition(ctx, 'rack', s.racks.id),
      ];
      const rows = await ctx.db
        .select({
          id: s.racks.id,
          name: s.racks.name,
          hallId: s.racks.hallId,
          hallName: s.halls.name,
          rowName: s.rows.name,
          uHeight: s.racks.uHeight,
          maxPowerKw: s.racks.maxPowerKw,
          maxWeightKg: s.racks.maxWeightKg,
          coolingKind: s.racks.coolingKind,
          status: s.racks.status,
          zoneName: s.securityZones.name,
          ...rackTotals,
        })
        .from(s.racks)
        .innerJoin(s.halls, eq(s.halls.id, s.racks.hallId))
        .innerJoin(s.rows, eq(s.rows.id, s.racks.rowId))
        .leftJoin(s.securityZones, eq(s.securityZones.id, s.racks.securityZoneId))
        .where(and(...filters))
        .orderBy(asc(s.racks.name), asc(s.racks.id))
        .limit(input.limit + 1);
      return toPage(rows, input.limit);
    }),

  /** A rack with its devices for the elevation, and its power and cooling position from the domain analysis. */
  get: readProcedure.meta({ example: { id: 1 } }).input(z.object({ id })).query(async ({ ctx, input }) => {
    await assertInZone(ctx, 'rack', input.id);
    const [rack] = await ctx.db
      .select({
        rack: s.racks,
        hall: { id: s.halls.id, name: s.halls.name, siteId: s.halls.siteId },
        row: { id: s.rows.id, name: s.rows.name },
        zone: { id: s.securityZones.id, name: s.securityZones.name, accessLevel: s.securityZones.accessLevel },
      })
      .from(s.racks)
      .innerJoin(s.halls, eq(s.halls.id, s.racks.hallId))
      .innerJoin(s.rows, eq(s.rows.id, s.racks.rowId))
      .leftJoin(s.securityZones, eq(s.securityZones.id, s.racks.securityZoneId))
      .where(eq(s.racks.id, input.id));
    if (!rack) throw fieldError('id', `no rack with id ${input.id}`);
    const devices = await ctx.db
      .select({
        id: s.devices.id,
        name: s.devices.name,
        position: s.devices.position,
        face: s.devices.face,
        uHeight: s.devices.uHeight,
        isFullDepth: s.devices.isFullDepth,
        weightKg: s.devices.weightKg,
        status: s.devices.status,
        typeModel: s.deviceTypes.model,
        kind: s.deviceTypes.kind,
        nameplatePowerW: s.deviceTypes.nameplatePowerW,
      })
      .from(s.devices)
      .innerJoin(s.deviceTypes, eq(s.deviceTypes.id, s.devices.deviceTypeId))
      .where(eq(s.devices.rackId, input.id))
      .orderBy(asc(s.devices.position));
    const analysis = await analysePlant(ctx.db, rack.hall.siteId);
    const power = analysis.power.ok ? (analysis.power.racks[String(input.id)] ?? null) : null;
    const cooling = analysis.cooling.racks[String(input.id)] ?? null;
    // Headroom as the device forms check it: planned devices (here and upstream) count as planned load.
    const planned = await analysePlant(ctx.db, rack.hall.siteId, undefined, { countPlanned: true });
    const headroom = {
      powerHeadroomW: planned.power.ok ? (planned.power.racks[String(input.id)]?.powerHeadroomW ?? null) : null,
      coolingHeadroomW: planned.cooling.racks[String(input.id)]?.coolingHeadroomW ?? null,
      plannedLoadW: devices.filter((d) => d.status === 'planned').reduce((sum, d) => sum + d.nameplatePowerW, 0),
    };
    return { ...rack, devices, power, cooling, headroom };
  }),

  create: operateOrPlanProcedure.meta({ example: exampleRack }).input(rackInput).mutation(async ({ ctx, input }) => {
    assertPlannerMayTouch(ctx, [input.status]);
    await assertInZone(ctx, 'hall', input.hallId);
    const hallZone = await zoneOfHall(ctx.db, input.hallId);
    if (hallZone) {
      const zoneId = input.securityZoneId ?? hallZone.zoneId;
      const zone = input.securityZoneId != null ? { zoneId, zoneName: (await ctx.db.select({ name: s.securityZones.name }).from(s.securityZones).where(eq(s.securityZones.id, zoneId!)))[0]?.name ?? null } : hallZone;
      await assertZone(ctx, zone, `rack ${input.name}`);
    }
    return ctx.db
      .transaction(async (tx) => {
        const [created] = await tx.insert(s.racks).values(input).returning();
        await recordChange(tx, { actor: ctx.actor, action: 'create', objectType: 'rack', objectId: created!.id, after: created });
        return created!;
      })
      .catch((error) => asFieldError(error, RACK_CONSTRAINTS));
  }),

  update: operateOrPlanProcedure
    .meta({ example: { id: 1, changes: { status: 'planned' } } })
    .input(z.object({ id, changes: rackInput.partial() }))
    .mutation(async ({ ctx, input }) => {
      return ctx.db
        .transaction(async (tx) => {
          const [before] = await tx.select().from(s.racks).where(eq(s.racks.id, input.id)).for('update');
          if (!before) throw fieldError('id', `no rack with id ${input.id}`);
          await assertInZone({ ...ctx, db: tx }, 'rack', input.id);
          assertPlannerMayTouch(ctx, [before.status, input.changes.status ?? before.status]);
          await assertRackZone(ctx, input.id);
          if (input.changes.securityZoneId !== undefined || input.changes.hallId !== undefined) {
            const hallZone = await zoneOfHall(tx, input.changes.hallId ?? before.hallId);
            const ownZone = input.changes.securityZoneId !== undefined ? input.changes.securityZoneId : before.securityZoneId;
            const zoneId = ownZone ?? hallZone?.zoneId ?? null;
            const [zone] = zoneId != null ? await tx.select({ name: s.securityZones.name }).from(s.securityZones).where(eq(s.securityZones.id, zoneId)) : [];
            await assertZone(ctx, { zoneId, zoneName: zone?.name ?? null }, `rack ${before.name} after the change`);
          }
          const [after] = await tx
            .update(s.racks)
            .set({ ...input.changes, updatedAt: new Date() })
            .where(eq(s.racks.id, input.id))
            .returning();
          await recordChange(tx, { actor: ctx.actor, action: 'update', objectType: 'rack', objectId: input.id, before, after });
          return after!;
        })
        .catch((error) => asFieldError(error, RACK_CONSTRAINTS));
    }),
});
