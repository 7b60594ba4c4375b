import { and, asc, eq, ilike, or, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import * as s from '../../db/schema';
import { DEVICE_TYPE_IMPORT_LIMITS, importDeviceTypeFiles } from '../../services/devicetype-import';
import { afterCursor, pageInput, toPage } from '../pagination';
import { assertAllZones, zoneConditionText } from '../../auth/zones';
import { dbId } from '../inputs';
import { operateProcedure, readProcedure, router, TRPCError } from '../trpc';

const { maxFiles, maxFileBytes, maxNameLength } = DEVICE_TYPE_IMPORT_LIMITS;

export const deviceTypeFilesInput = z.object({
  files: z
    .array(
      z.object({
        name: z.string().trim().min(1, 'is required').max(maxNameLength, `is at most ${maxNameLength} characters`),
        content: z.string().refine((text) => Buffer.byteLength(text, 'utf8') <= maxFileBytes, `is larger than ${maxFileBytes / 1024} KiB`),
      }),
    )
    .min(1, 'needs at least one file')
    .max(maxFiles, `takes at most ${maxFiles} files per request; send more in batches`),
});

export const deviceTypeListInput = z.object({
  kind: z.enum(s.deviceKind.enumValues).optional(),
  source: z.string().trim().max(32).optional(),
  search: z.string().trim().max(100).optional(),
  ...pageInput,
});

/** The columns the list and the detail page both show (device_types joined with manufacturers). */
function typeFacts() {
  return {
    manufacturer: s.manufacturers.name,
    slug: s.deviceTypes.slug,
    partNumber: s.deviceTypes.partNumber,
    kind: s.deviceTypes.kind,
    uHeight: s.deviceTypes.uHeight,
    isFullDepth: s.deviceTypes.isFullDepth,
    airflow: s.deviceTypes.airflow,
    weightKg: s.deviceTypes.weightKg,
    nameplatePowerW: s.deviceTypes.nameplatePowerW,
    typicalPowerW: s.deviceTypes.typicalPowerW,
  };
}

export const deviceTypesRouter = router({
  /** Device types by model, with a cursor; `search` matches model, slug, part number and manufacturer. */
  list: readProcedure.input(deviceTypeListInput).query(async ({ ctx, input }) => {
    const pattern = input.search ? `%${input.search.replace(/[%_\\]/g, '\\$&')}%` : undefined;
    const filters: (SQL | undefined)[] = [
      input.kind ? eq(s.deviceTypes.kind, input.kind) : undefined,
      input.source ? eq(s.deviceTypes.source, input.source) : undefined,
      pattern
        ? or(ilike(s.deviceTypes.model, pattern), ilike(s.deviceTypes.slug, pattern), ilike(s.deviceTypes.partNumber, pattern), ilike(s.manufacturers.name, pattern))
        : undefined,
      afterCursor(input.cursor, s.deviceTypes.model, s.deviceTypes.id),
    ];
    const rows = await ctx.db
      .select({
        id: s.deviceTypes.id,
        /** The model; `name` so the list pages like the others. */
        name: s.deviceTypes.model,
        model: s.deviceTypes.model,
        ...typeFacts(),
        psuCount: sql<number>`jsonb_array_length(${s.deviceTypes.psuTemplates})::int`,
        interfaceCount: sql<number>`jsonb_array_length(${s.deviceTypes.interfaceTemplates})::int`,
        acceleratorSlots: s.deviceTypes.acceleratorSlots,
        acceleratorModel: s.acceleratorModels.name,
        source: s.deviceTypes.source,
        // Counted over the caller's zones.
        deviceCount: sql<number>`(SELECT count(*)::int FROM devices d WHERE d.device_type_id = ${s.deviceTypes.id} AND ${sql.raw(zoneConditionText(ctx.principal, 'rack', 'd.rack_id'))})`,
      })
      .from(s.deviceTypes)
      .innerJoin(s.manufacturers, eq(s.manufacturers.id, s.deviceTypes.manufacturerId))
      .leftJoin(s.acceleratorModels, eq(s.acceleratorModels.id, s.deviceTypes.acceleratorModelId))
      .where(and(...filters))
      .orderBy(asc(s.deviceTypes.model), asc(s.deviceTypes.id))
      .limit(input.limit + 1);
    return toPage(rows, input.limit);
  }),

  /**
   * One device type with its PSU and interface templates, and the devices of that type in the caller's zones (the
   * first 100 by name). A NetBox file without power ports gives a type with no PSUs and an unknown (0 W) nameplate.
   */
  get: readProcedure.meta({ example: { id: 1 } }).input(z.object({ id: dbId })).query(async ({ ctx, input }) => {
    const [type] = await ctx.db
      .select({
        id: s.deviceTypes.id,
        model: s.deviceTypes.model,
        ...typeFacts(),
        psuTemplates: s.deviceTypes.psuTemplates,
        interfaceTemplates: s.deviceTypes.interfaceTemplates,
        acceleratorSlots: s.deviceTypes.acceleratorSlots,
        acceleratorModel: s.acceleratorModels.name,
        source: s.deviceTypes.source,
        createdAt: s.deviceTypes.createdAt,
      })
      .from(s.deviceTypes)
      .innerJoin(s.manufacturers, eq(s.manufacturers.id, s.deviceTypes.manufacturerId))
      .leftJoin(s.acceleratorModels, eq(s.acceleratorModels.id, s.deviceTypes.acceleratorModelId))
      .where(eq(s.deviceTypes.id, input.id));
    if (!type) throw new TRPCError({ code: 'NOT_FOUND', message: `no device type with id ${input.id}` });
    const inZones = sql.raw(zoneConditionText(ctx.principal, 'rack', 'd.rack_id'));
    const devices = await ctx.db.execute<{ id: number; name: string; status: string; rackId: number | null; rackName: string | null; position: number | null }>(
      sql`SELECT d.id, d.name, d.status, d.rack_id AS "rackId", r.name AS "rackName", d.position
            FROM devices d LEFT JOIN racks r ON r.id = d.rack_id
           WHERE d.device_type_id = ${input.id} AND ${inZones}
           ORDER BY d.name, d.id LIMIT 100`,
    );
    const [counted] = (await ctx.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM devices d WHERE d.device_type_id = ${input.id} AND ${inZones}`)).rows;
    return { type, devices: devices.rows, deviceCount: counted?.n ?? 0 };
  }),

  /**
   * Imports NetBox devicetype-library files (YAML text). Each file lands in its own transaction; the answer says per
   * file imported / updated / skipped / rejected (with field and reason). Bad files do not fail the request.
   */
  import: operateProcedure
    .meta({ example: { files: [{ name: 'example.yaml', content: 'manufacturer: Example' }] } })
    .input(deviceTypeFilesInput)
    .mutation(({ ctx, input }) => {
      // The library is shared by every zone.
      assertAllZones(ctx, 'importing device types');
      return importDeviceTypeFiles(ctx.db, input.files, { actor: ctx.actor });
    }),
});
