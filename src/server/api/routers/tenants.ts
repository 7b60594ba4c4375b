import { asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { dbId } from '../inputs';
import * as s from '../../db/schema';
import { asFieldError, fieldError } from '../errors';
import { assertAllZones, zoneConditionText } from '../../auth/zones';
import { adminProcedure, readProcedure, router } from '../trpc';

export const tenantInput = z.object({
  name: z
    .string()
    .trim()
    .min(1, 'is required')
    .max(64, 'is at most 64 characters')
    // Empty passes here so the field reports only "is required".
    .regex(/^([A-Za-z0-9][A-Za-z0-9._-]*)?$/, 'may contain letters, digits, ".", "_" and "-" only'),
  gpuQuota: z.number().int('must be whole GPUs').min(0, 'must be 0 or more').max(1_000_000, 'must be at most 1,000,000 GPUs'),
  clearedZoneLevel: z.number().int().min(0, 'must be 0-3').max(3, 'must be 0-3').default(1),
});

const TENANT_CONSTRAINTS = { tenants_name_unique: { field: 'name', reason: 'is already used by another tenant' } };

export const tenantsRouter = router({
  /** Every tenant with its quota and what it holds now (GPUs in whole-GPU equivalents), and its queue. */
  list: readProcedure.query(async ({ ctx }) => {
    // Usage is counted over the caller's zones only (all of it for an all-zones grant).
    const gpuInZone = sql.raw(zoneConditionText(ctx.principal, 'gpu', 'g.accelerator_id'));
    const jobInZone = sql.raw(zoneConditionText(ctx.principal, 'job', 'j.id'));
    const rows = await ctx.db
      .select({
        id: s.tenants.id,
        name: s.tenants.name,
        gpuQuota: s.tenants.gpuQuota,
        clearedZoneLevel: s.tenants.clearedZoneLevel,
        usedMilli: sql<number>`(SELECT coalesce(sum(g.milli), 0)::int FROM gpu_allocations g JOIN jobs j ON j.id = g.job_id WHERE j.tenant_id = tenants.id AND g.released_at IS NULL AND ${gpuInZone})`,
        runningJobs: sql<number>`(SELECT count(*)::int FROM jobs j WHERE j.tenant_id = tenants.id AND j.status IN ('scheduled', 'running') AND ${jobInZone})`,
        pendingJobs: sql<number>`(SELECT count(*)::int FROM jobs j WHERE j.tenant_id = tenants.id AND j.status = 'pending' AND ${jobInZone})`,
      })
      .from(s.tenants)
      .orderBy(asc(s.tenants.name));
    return rows.map((row) => ({ ...row, usedGpus: row.usedMilli / 1000 }));
  }),

  create: adminProcedure.meta({ example: { name: 'example', gpuQuota: 8 } }).input(tenantInput).mutation(async ({ ctx, input }) => {
    assertAllZones(ctx, 'tenants (quotas and clearances across every zone)');
    return ctx.db
      .insert(s.tenants)
      .values(input)
      .returning()
      .then((rows) => rows[0]!)
      .catch((error) => asFieldError(error, TENANT_CONSTRAINTS));
  }),

  update: adminProcedure
    .meta({ example: { id: 1, changes: { gpuQuota: 8 } } })
    .input(z.object({ id: dbId, changes: tenantInput.partial() }))
    .mutation(async ({ ctx, input }) => {
      assertAllZones(ctx, 'tenants (quotas and clearances across every zone)');
      const [updated] = await ctx.db
        .update(s.tenants)
        .set(input.changes)
        .where(eq(s.tenants.id, input.id))
        .returning()
        .catch((error) => asFieldError(error, TENANT_CONSTRAINTS));
      if (!updated) throw fieldError('id', `no tenant with id ${input.id}`);
      return updated;
    }),
});
