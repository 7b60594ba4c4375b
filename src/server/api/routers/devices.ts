import { and, asc, desc, eq, ilike, inArray, ne, or, type SQL, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import { dbId } from '../inputs';
import type { Db } from '../../db/client';
import * as s from '../../db/schema';
import { COMPUTE_PARTITION_MODES, MEMORY_PARTITION_MODES } from '@/domain/amd-partitions';
import { PartitionModeError, setNodePartitionMode } from '../../services/amd-partitions';
import { checkDeviceAddition } from '../../services/capacity';
import { recordChange, type Tx } from '../../services/changelog';
import { asFieldError, fieldError } from '../errors';
import { afterCursor, pageInput, toPage } from '../pagination';
import { assertDeviceZone, assertInZone, zoneCondition } from '../../auth/zones';
import { hasPermission, operateOrPlanProcedure, operateProcedure, readProcedure, router, TRPCError } from '../trpc';

const id = dbId;

export const deviceInput = z.object({
  deviceTypeId: id,
  rackId: id.nullish(),
  position: z.number().int().min(1, 'must be U1 or higher').max(60, 'must be at most U60').nullish(),
  face: z.enum(s.rackFace.enumValues).nullish(),
  name: z
    .string()
    .trim()
    .min(1, 'is required')
    .max(64, 'is at most 64 characters')
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'may contain letters, digits, ".", "_" and "-" only'),
  serial: z.string().trim().max(64).default(''),
  assetTag: z.string().trim().max(64).nullish(),
  status: z.enum(s.deviceStatus.enumValues).default('active'),
  hostname: z.string().trim().max(253).nullish(),
  bmcAddress: z
    .string()
    .trim()
    .max(64)
    .regex(/^[0-9a-fA-F:.]+$/, 'must be an IPv4 or IPv6 address')
    .nullish(),
  /**
   * Placing or activating a device beyond the rack's power or cooling headroom is refused unless this says why it is
   * acceptable; the reason and the check are kept in the change log and the audit log.
   */
  capacityOverrideReason: z.string().trim().max(500, 'is at most 500 characters').nullish(),
});

type DeviceInput = z.infer<typeof deviceInput>;

/** A device in a rack draws (or is planned to draw) power unless decommissioned. */
const countsInRack = (device: { rackId?: number | null; status?: string | null }) => device.rackId != null && device.status !== 'decommissioned';

/**
 * The power and cooling check of the device forms: refuses (field error on the rack, with the reason) when the device
 * would overload the rack, an upstream node or a failover path, or its cooling; with an override reason, lets it through
 * and returns what to record. The rack row is locked first, so two placements into one rack are checked one after the other.
 */
async function checkCapacity(db: Db, tx: Tx, input: DeviceInput, deviceId?: number): Promise<{ reason: string; check: unknown } | null> {
  if (!countsInRack(input)) return null;
  await tx.execute(sql`SELECT 1 FROM racks WHERE id = ${input.rackId!} FOR UPDATE`);
  const check = await checkDeviceAddition(db, { rackId: input.rackId!, deviceTypeId: input.deviceTypeId, deviceId });
  if (!check?.blocker) return null;
  const override = input.capacityOverrideReason?.trim();
  if (!override) throw fieldError('rackId', `${check.reason}; choose another rack, or give an override reason to place it anyway`);
  return { reason: override, check };
}

/** Explains an overlap in words: which units on which face, and which device holds them. */
async function overlapReason(db: Db, input: { rackId: number; position: number; uHeight: number; face: 'front' | 'rear'; isFullDepth: boolean; excludeId?: number }): Promise<string> {
  const top = input.position + Math.max(input.uHeight, 1) - 1;
  const holders = await db
    .select({ name: s.devices.name, position: s.devices.position, uHeight: s.devices.uHeight, face: s.devices.face })
    .from(s.devices)
    .where(
      and(
        eq(s.devices.rackId, input.rackId),
        input.excludeId ? ne(s.devices.id, input.excludeId) : undefined,
        sql`${s.devices.uSpan} && int4range(${input.position}, ${top + 1})`,
        input.isFullDepth ? undefined : or(eq(s.devices.face, input.face), eq(s.devices.isFullDepth, true)),
      ),
    )
    .limit(1);
  const holder = holders[0];
  const span = input.uHeight > 1 ? `U${input.position}-U${top}` : `U${input.position}`;
  if (!holder) return `${span} overlaps another device`;
  const holderTop = holder.position! + Math.max(holder.uHeight, 1) - 1;
  return `${span} overlaps ${holder.name} at U${holder.position}${holderTop > holder.position! ? `-U${holderTop}` : ''} (${holder.face})`;
}

async function writeDevice(db: Db, tx: Tx, input: DeviceInput, existingId?: number) {
  const [type] = await tx.select().from(s.deviceTypes).where(eq(s.deviceTypes.id, input.deviceTypeId));
  if (!type) throw fieldError('deviceTypeId', 'does not exist');
  const placed = input.rackId != null;
  if (placed && (input.position == null || input.face == null)) {
    throw fieldError(input.position == null ? 'position' : 'face', 'is required when the device is in a rack');
  }
  const { capacityOverrideReason: _override, ...fields } = input;
  const values = {
    ...fields,
    rackId: input.rackId ?? null,
    position: placed ? input.position! : null,
    face: placed ? input.face! : null,
    assetTag: input.assetTag || null,
    hostname: input.hostname || null,
    bmcAddress: input.bmcAddress || null,
    uHeight: type.uHeight,
    isFullDepth: type.isFullDepth,
    weightKg: type.weightKg,
  };
  try {
    // A savepoint, so a constraint failure can be explained and the outer transaction rolled back cleanly.
    return await tx.transaction(async (inner) => {
      if (existingId) {
        const [updated] = await inner.update(s.devices).set({ ...values, updatedAt: new Date() }).where(eq(s.devices.id, existingId)).returning();
        return { device: updated!, type };
      }
      const [created] = await inner.insert(s.devices).values(values).returning();
      return { device: created!, type };
    });
  } catch (error) {
    const reasonForOverlap = placed
      ? await overlapReason(db, { rackId: values.rackId!, position: values.position!, uHeight: type.uHeight, face: values.face!, isFullDepth: type.isFullDepth, excludeId: existingId })
      : '';
    return asFieldError(error, {
      devices_no_overlap_front: { field: 'position', reason: reasonForOverlap },
      devices_no_overlap_rear: { field: 'position', reason: reasonForOverlap },
      devices_fit_in_rack: { field: 'position', reason: (pg) => pg.message ?? 'does not fit in the rack' },
      devices_rack_weight: { field: 'rackId', reason: (pg) => pg.message ?? 'the rack would be over its weight limit' },
      devices_name_unique: { field: 'name', reason: 'is already used by another device' },
      devices_asset_tag_unique: { field: 'assetTag', reason: 'is already used by another device' },
      devices_hostname_unique: { field: 'hostname', reason: 'is already used by another device' },
      devices_rack_id_racks_id_fk: { field: 'rackId', reason: 'does not exist' },
    });
  }
}

/**
 * Instantiates the type's components for a new device, as NetBox does: interfaces from the interface
 * templates, GPUs from the accelerator slots, and PSUs cabled alternately to the rack's A and B PDUs.
 */
async function instantiateComponents(tx: Tx, device: typeof s.devices.$inferSelect, type: typeof s.deviceTypes.$inferSelect) {
  if (type.interfaceTemplates.length) {
    await tx.insert(s.interfaces).values(type.interfaceTemplates.map((tpl) => ({ deviceId: device.id, name: tpl.name, kind: tpl.kind, speedGbps: tpl.speedGbps })));
  }
  if (type.acceleratorSlots > 0 && type.acceleratorModelId) {
    await tx.insert(s.accelerators).values(
      Array.from({ length: type.acceleratorSlots }, (_, index) => ({
        deviceId: device.id,
        index,
        // Until telemetry reports the real UUID, a random one in NVIDIA's form marks the slot.
        uuid: `GPU-${crypto.randomUUID()}`,
        modelId: type.acceleratorModelId!,
        nvlinkDomain: `${device.name}-board`,
      })),
    );
  }
  if (device.rackId && type.psuTemplates.length) {
    const pdus = await tx.select().from(s.powerNodes).where(and(eq(s.powerNodes.rackId, device.rackId), eq(s.powerNodes.kind, 'rack-pdu'))).orderBy(asc(s.powerNodes.side), asc(s.powerNodes.id));
    const bySide = { A: pdus.filter((p) => p.side === 'A'), B: pdus.filter((p) => p.side === 'B') };
    const rows = type.psuTemplates.flatMap((psu, i) => {
      const side = i % 2 === 0 ? 'A' : 'B';
      const pdu = bySide[side][0] ?? pdus[0];
      return pdu ? [{ deviceId: device.id, psuName: psu.name, rackPduId: pdu.id, side: pdu.side === 'N' ? side : pdu.side, maximumDrawW: psu.maximumDrawW }] : [];
    });
    if (rows.length) await tx.insert(s.psuConnections).values(rows);
  }
}

/** Planners (without operate) create, change and remove planned devices only. */
function assertPlannerMayTouch(ctx: Parameters<typeof hasPermission>[0], statuses: (string | undefined)[]): void {
  if (hasPermission(ctx, 'operate')) return;
  if (statuses.every((status) => status === 'planned')) return;
  throw new TRPCError({ code: 'FORBIDDEN', message: 'planners may create and change planned devices only (status "planned"); live devices need the operate permission' });
}

const exampleDevice = { deviceTypeId: 1, name: 'example-device', status: 'planned' as const };

export const devicesRouter = router({
  list: readProcedure
    .input(
      z.object({
        rackId: id.optional(),
        hallId: id.optional(),
        status: z.enum(s.deviceStatus.enumValues).optional(),
        kind: z.enum(s.deviceKind.enumValues).optional(),
        search: z.string().trim().max(100).optional(),
        ...pageInput,
      }),
    )
    .query(async ({ ctx, input }) => {
      const pattern = input.search ? `%${input.search.replace(/[%_\\]/g, '\\$&')}%` : undefined;
      const filters: (SQL | undefined)[] = [
        input.rackId ? eq(s.devices.rackId, input.rackId) : undefined,
        input.hallId ? eq(s.racks.hallId, input.hallId) : undefined,
        input.status ? eq(s.devices.status, input.status) : undefined,
        input.kind ? eq(s.deviceTypes.kind, input.kind) : undefined,
        pattern ? or(ilike(s.devices.name, pattern), ilike(s.devices.serial, pattern), ilike(s.devices.assetTag, pattern), ilike(s.devices.hostname, pattern)) : undefined,
        afterCursor(input.cursor, s.devices.name, s.devices.id),
        // A device is in its rack's zone (an unracked one in none): the rack sub-select is the cheaper one.
        zoneCondition(ctx, 'rack', s.devices.rackId),
      ];
      const rows = await ctx.db
        .select({
          id: s.devices.id,
          name: s.devices.name,
          status: s.devices.status,
          kind: s.deviceTypes.kind,
          typeModel: s.deviceTypes.model,
          manufacturer: s.manufacturers.name,
          rackId: s.devices.rackId,
          rackName: s.racks.name,
          position: s.devices.position,
          face: s.devices.face,
          uHeight: s.devices.uHeight,
          serial: s.devices.serial,
          assetTag: s.devices.assetTag,
          hostname: s.devices.hostname,
          nameplatePowerW: s.deviceTypes.nameplatePowerW,
        })
        .from(s.devices)
        .innerJoin(s.deviceTypes, eq(s.deviceTypes.id, s.devices.deviceTypeId))
        .innerJoin(s.manufacturers, eq(s.manufacturers.id, s.deviceTypes.manufacturerId))
        .leftJoin(s.racks, eq(s.racks.id, s.devices.rackId))
        .where(and(...filters))
        .orderBy(asc(s.devices.name), asc(s.devices.id))
        .limit(input.limit + 1);
      return toPage(rows, input.limit);
    }),

  /** A device with its GPUs, interfaces (and what each is cabled to), power connections and change log. */
  get: readProcedure.meta({ example: { id: 1 } }).input(z.object({ id })).query(async ({ ctx, input }) => {
    await assertInZone(ctx, 'device', input.id);
    const [row] = await ctx.db
      .select({ device: s.devices, type: s.deviceTypes, manufacturer: s.manufacturers.name, rack: { id: s.racks.id, name: s.racks.name, hallId: s.racks.hallId } })
      .from(s.devices)
      .innerJoin(s.deviceTypes, eq(s.deviceTypes.id, s.devices.deviceTypeId))
      .innerJoin(s.manufacturers, eq(s.manufacturers.id, s.deviceTypes.manufacturerId))
      .leftJoin(s.racks, eq(s.racks.id, s.devices.rackId))
      .where(eq(s.devices.id, input.id));
    if (!row) throw fieldError('id', `no device with id ${input.id}`);
    const accelerators = await ctx.db
      .select({ id: s.accelerators.id, index: s.accelerators.index, uuid: s.accelerators.uuid, model: s.acceleratorModels.name, memoryGib: s.acceleratorModels.memoryGib, tdpW: s.acceleratorModels.tdpW, nvlinkDomain: s.accelerators.nvlinkDomain, health: s.accelerators.health, sharingMode: s.accelerators.sharingMode, computePartition: s.accelerators.computePartition, memoryPartition: s.accelerators.memoryPartition })
      .from(s.accelerators)
      .innerJoin(s.acceleratorModels, eq(s.acceleratorModels.id, s.accelerators.modelId))
      .where(eq(s.accelerators.deviceId, input.id))
      .orderBy(asc(s.accelerators.index));
    const myEnd = alias(s.linkEnds, 'my_end');
    const peerEnd = alias(s.linkEnds, 'peer_end');
    const peerInterface = alias(s.interfaces, 'peer_interface');
    const peerDevice = alias(s.devices, 'peer_device');
    const interfaces = await ctx.db
      .select({ id: s.interfaces.id, name: s.interfaces.name, kind: s.interfaces.kind, speedGbps: s.interfaces.speedGbps, fabric: s.fabrics.name, peerDeviceId: peerDevice.id, peerDevice: peerDevice.name, peerInterface: peerInterface.name })
      .from(s.interfaces)
      .leftJoin(s.fabrics, eq(s.fabrics.id, s.interfaces.fabricId))
      .leftJoin(myEnd, eq(myEnd.interfaceId, s.interfaces.id))
      .leftJoin(peerEnd, and(eq(peerEnd.linkId, myEnd.linkId), ne(peerEnd.interfaceId, s.interfaces.id)))
      // A peer in another zone is not named to a zone-scoped caller (the cable shows, its far end does not).
      .leftJoin(peerInterface, and(eq(peerInterface.id, peerEnd.interfaceId), zoneCondition(ctx, 'device', peerInterface.deviceId)))
      .leftJoin(peerDevice, eq(peerDevice.id, peerInterface.deviceId))
      .where(eq(s.interfaces.deviceId, input.id))
      .orderBy(asc(s.interfaces.id));
    const power = await ctx.db
      .select({ psuName: s.psuConnections.psuName, side: s.psuConnections.side, maximumDrawW: s.psuConnections.maximumDrawW, rackPdu: s.powerNodes.name })
      .from(s.psuConnections)
      .innerJoin(s.powerNodes, eq(s.powerNodes.id, s.psuConnections.rackPduId))
      .where(eq(s.psuConnections.deviceId, input.id))
      .orderBy(asc(s.psuConnections.psuName));
    const changes = await ctx.db
      .select()
      .from(s.changeLog)
      .where(and(eq(s.changeLog.objectType, 'device'), eq(s.changeLog.objectId, String(input.id))))
      .orderBy(desc(s.changeLog.at))
      .limit(50);
    return { ...row, accelerators, interfaces, power, changes };
  }),

  create: operateOrPlanProcedure.meta({ example: exampleDevice }).input(deviceInput).mutation(({ ctx, input }) =>
    ctx.db.transaction(async (tx) => {
      assertPlannerMayTouch(ctx, [input.status]);
      await assertDeviceZone({ ...ctx, db: tx }, input.rackId, input.name);
      const override = await checkCapacity(ctx.db, tx, input);
      const { device, type } = await writeDevice(ctx.db, tx, input);
      await instantiateComponents(tx, device, type);
      await recordChange(tx, { actor: ctx.actor, action: 'create', objectType: 'device', objectId: device.id, after: override ? { ...device, capacityOverride: override } : device });
      return device;
    }),
  ),

  update: operateOrPlanProcedure.meta({ example: { id: 1, changes: exampleDevice } }).input(z.object({ id, changes: deviceInput })).mutation(({ ctx, input }) =>
    ctx.db.transaction(async (tx) => {
      const [before] = await tx.select().from(s.devices).where(eq(s.devices.id, input.id)).for('update');
      if (!before) throw fieldError('id', `no device with id ${input.id}`);
      await assertInZone({ ...ctx, db: tx }, 'device', input.id);
      assertPlannerMayTouch(ctx, [before.status, input.changes.status]);
      await assertDeviceZone({ ...ctx, db: tx }, before.rackId, before.name);
      await assertDeviceZone({ ...ctx, db: tx }, input.changes.rackId, input.changes.name);
      // Checked when the change places or activates: a new rack or type, planned → installed, or back from decommissioned.
      const addsLoad =
        countsInRack(input.changes) &&
        (!countsInRack(before) ||
          before.rackId !== input.changes.rackId ||
          before.deviceTypeId !== input.changes.deviceTypeId ||
          (before.status === 'planned' && input.changes.status !== 'planned'));
      const override = addsLoad ? await checkCapacity(ctx.db, tx, input.changes, input.id) : null;
      const { device } = await writeDevice(ctx.db, tx, input.changes, input.id);
      await recordChange(tx, { actor: ctx.actor, action: 'update', objectType: 'device', objectId: input.id, before, after: override ? { ...device, capacityOverride: override } : device });
      return device;
    }),
  ),

  delete: operateOrPlanProcedure.meta({ example: { id: 1 } }).input(z.object({ id })).mutation(({ ctx, input }) =>
    ctx.db.transaction(async (tx) => {
      const [current] = await tx.select().from(s.devices).where(eq(s.devices.id, input.id)).for('update');
      if (current) {
        await assertInZone({ ...ctx, db: tx }, 'device', input.id);
        assertPlannerMayTouch(ctx, [current.status]);
        await assertDeviceZone({ ...ctx, db: tx }, current.rackId, current.name);
      }
      const [before] = await tx.delete(s.devices).where(eq(s.devices.id, input.id)).returning();
      if (!before) throw fieldError('id', `no device with id ${input.id}`);
      await recordChange(tx, { actor: ctx.actor, action: 'delete', objectType: 'device', objectId: input.id, before });
      return { id: input.id };
    }),
  ),

  /**
   * Sets the AMD partition modes of every GPU of a node (compute SPX/DPX/QPX/CPX, memory NPS1/NPS4): the scheduler
   * then places on its partitions. Refused for a combination AMD does not support, a node without partitionable GPUs,
   * and while any job holds one of its GPUs.
   */
  setPartitionMode: operateProcedure
    .meta({ example: { id: 1, computePartition: 'CPX', memoryPartition: 'NPS4' } })
    .input(z.object({ id, computePartition: z.enum(COMPUTE_PARTITION_MODES), memoryPartition: z.enum(MEMORY_PARTITION_MODES) }))
    .mutation(({ ctx, input }) =>
      ctx.db.transaction(async (tx) => {
        await assertInZone({ ...ctx, db: tx }, 'device', input.id);
        try {
          return await setNodePartitionMode(tx, ctx.actor, input.id, input);
        } catch (error) {
          if (!(error instanceof PartitionModeError)) throw error;
          if (error.busy) throw new TRPCError({ code: 'CONFLICT', message: error.message });
          throw fieldError(error.field, error.message);
        }
      }),
    ),

  /** Device types for pickers, with what a form needs to show (height, weight, power). */
  types: readProcedure.input(z.object({ kind: z.enum(s.deviceKind.enumValues).optional() }).optional()).query(({ ctx, input }) =>
    ctx.db
      .select({ id: s.deviceTypes.id, manufacturer: s.manufacturers.name, model: s.deviceTypes.model, kind: s.deviceTypes.kind, uHeight: s.deviceTypes.uHeight, isFullDepth: s.deviceTypes.isFullDepth, weightKg: s.deviceTypes.weightKg, nameplatePowerW: s.deviceTypes.nameplatePowerW, source: s.deviceTypes.source })
      .from(s.deviceTypes)
      .innerJoin(s.manufacturers, eq(s.manufacturers.id, s.deviceTypes.manufacturerId))
      .where(input?.kind ? eq(s.deviceTypes.kind, input.kind) : undefined)
      .orderBy(asc(s.manufacturers.name), asc(s.deviceTypes.model)),
  ),

  byIds: readProcedure.meta({ example: { ids: [1] } }).input(z.object({ ids: z.array(id).max(500) })).query(({ ctx, input }) =>
    input.ids.length ? ctx.db
          .select({ id: s.devices.id, name: s.devices.name })
          .from(s.devices)
          .where(and(inArray(s.devices.id, input.ids), zoneCondition(ctx, 'device', s.devices.id))) : [],
  ),
});
