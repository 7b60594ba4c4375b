import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { dbId } from '../inputs';
import { DEFAULT_STRAND_THRESHOLD_W, rackHeadrooms, totalHeadroom, whatIfFailure, whatIfPlacement } from '@/domain/capacity';
import { analyzeCooling } from '@/domain/cooling';
import { analyzePowerChain } from '@/domain/power';
import * as s from '../../db/schema';
import { loadCapacityModel } from '../../services/capacity';
import { fieldError } from '../errors';
import { assertSiteWide } from '../../auth/zones';
import { planProcedure, readProcedure, router } from '../trpc';

const id = dbId;

export const capacityRouter = router({
  /** Headroom per rack, and totals per row, hall and site, with stranded capacity called out. */
  headroom: readProcedure.meta({ example: { siteId: 1 } }).input(z.object({ siteId: id, strandThresholdW: z.number().min(0).max(100_000).optional() })).query(async ({ ctx, input }) => {
      await assertSiteWide(ctx, input.siteId, 'site capacity');
    const { capacity } = await loadCapacityModel(ctx.db, input.siteId);
    const racks = rackHeadrooms(capacity, analyzePowerChain(capacity.chain), analyzeCooling(capacity.cooling), input.strandThresholdW);
    // The yardsticks for display: the operator's one for every rack, else one per cooling class of rack.
    const strandThresholds: { cooling: 'air' | 'liquid' | 'all'; thresholdW: number }[] =
      input.strandThresholdW !== undefined
        ? [{ cooling: 'all', thresholdW: input.strandThresholdW }]
        : Object.entries(capacity.strandThresholdByCoolingW ?? {}).map(([cooling, thresholdW]) => ({ cooling: cooling as 'air' | 'liquid', thresholdW: thresholdW! }));
    if (strandThresholds.length === 0) strandThresholds.push({ cooling: 'all', thresholdW: capacity.strandThresholdW ?? DEFAULT_STRAND_THRESHOLD_W });
    return { racks, rows: totalHeadroom(racks, 'row'), halls: totalHeadroom(racks, 'hall'), site: totalHeadroom(racks, 'site')[0] ?? null, strandThresholds };
  }),

  /** "Add N devices of type T in area A": which racks take them, and what blocks the rest. Writes nothing. */
  whatIfPlacement: planProcedure
    .meta({ example: { siteId: 1, deviceTypeId: 1, count: 1 } })
    .input(
      z.object({
        siteId: id,
        deviceTypeId: id,
        count: z.number().int().min(1, 'must be at least 1').max(1000, 'is at most 1,000 per what-if'),
        hallId: id.optional(),
        rowId: id.optional(),
        /** Power to plan for each device; default the type's nameplate. */
        powerW: z.number().positive().max(200_000).optional(),
      }),
    )
    .query(async ({ ctx, input }) => {
      await assertSiteWide(ctx, input.siteId, 'site capacity');
      const [type] = await ctx.db.select().from(s.deviceTypes).where(eq(s.deviceTypes.id, input.deviceTypeId));
      if (!type) throw fieldError('deviceTypeId', 'does not exist');
      if (type.uHeight === 0) throw fieldError('deviceTypeId', 'is a zero-U type: it takes no rack units, plan it with its rack');
      const powerW = input.powerW ?? type.nameplatePowerW;
      if (!powerW) throw fieldError('powerW', 'is required: this type has no nameplate power');
      const { capacity } = await loadCapacityModel(ctx.db, input.siteId);
      const area = capacity.racks.filter((rack) => (!input.hallId || rack.hallId === String(input.hallId)) && (!input.rowId || rack.rowId === String(input.rowId)));
      if (area.length === 0) throw fieldError(input.rowId ? 'rowId' : 'hallId', 'has no racks in this site');
      const result = whatIfPlacement(capacity, area.map((rack) => rack.id), { heightU: type.uHeight, isFullDepth: type.isFullDepth, weightKg: type.weightKg, powerW, psuCount: type.psuTemplates.length || 2 }, input.count);
      return { ...result, deviceType: `${type.model}`, powerWPerDevice: powerW, racksInArea: area.length };
    }),

  /** "Lose UPS A / CRAH A-3 / utility feed 1": what overloads, which racks go dark or overheat. Writes nothing. */
  whatIfFailure: planProcedure
    .meta({ example: { siteId: 1, powerNodeIds: [1] } })
    .input(z.object({ siteId: id, powerNodeIds: z.array(id).max(50).default([]), coolingUnitIds: z.array(id).max(50).default([]) }))
    .query(async ({ ctx, input }) => {
      await assertSiteWide(ctx, input.siteId, 'site capacity');
      if (input.powerNodeIds.length + input.coolingUnitIds.length === 0) throw fieldError('powerNodeIds', 'name at least one power node or cooling unit to fail');
      const { plant, capacity } = await loadCapacityModel(ctx.db, input.siteId);
      for (const nodeId of input.powerNodeIds) if (!plant.names.powerNodes.has(String(nodeId))) throw fieldError('powerNodeIds', `${nodeId} is not a power node of this site`);
      for (const unitId of input.coolingUnitIds) if (!plant.names.coolingUnits.has(String(unitId))) throw fieldError('coolingUnitIds', `${unitId} is not a cooling unit of this site`);
      const result = whatIfFailure(capacity, input.powerNodeIds.map(String), input.coolingUnitIds.map(String));
      const rackName = (rackId: string) => plant.names.racks.get(rackId) ?? rackId;
      // The jobs that would lose a GPU: those holding one in a rack that goes dark or overheats.
      const affectedJobs = result.affectedRackIds.length
        ? (
            await ctx.pool.query<{ id: number; name: string; tenant: string; gpus: number }>(
              `SELECT j.id, j.name, t.name AS tenant, count(DISTINCT g.accelerator_id)::int AS gpus
                 FROM gpu_allocations g
                 JOIN jobs j ON j.id = g.job_id
                 JOIN tenants t ON t.id = j.tenant_id
                 JOIN accelerators a ON a.id = g.accelerator_id
                 JOIN devices d ON d.id = a.device_id
                WHERE g.released_at IS NULL AND j.status IN ('scheduled', 'running') AND d.rack_id = ANY($1::int[])
                GROUP BY j.id, j.name, t.name ORDER BY j.id`,
              [result.affectedRackIds.map(Number)],
            )
          ).rows
        : [];
      return {
        affectedJobs,
        power: result.power && {
          overloads: result.power.overloads.map((o) => ({ ...o, name: plant.names.powerNodes.get(o.nodeId) ?? o.nodeId })),
          unpoweredRacks: result.power.unpoweredRackIds.map(rackName),
          unpoweredDeviceCount: result.power.unpoweredDeviceIds.length,
        },
        cooling: { ...result.cooling, overheatingRacks: result.cooling.overheatingRackIds.map(rackName) },
        affectedRacks: result.affectedRackIds.map(rackName),
      };
    }),
});
