import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { type CapacityModel, type CapacityRack, checkRackAddition, type RackAdditionCheck, strandThresholdW } from '@/domain/capacity';
import type { Db } from '../db/client';
import * as s from '../db/schema';
import { loadPlantModel, type PlantModel } from './plant';

/**
 * The plant model plus what capacity planning needs per rack: placements, weight, free switch ports and free rack PDU
 * outlets, and the smallest server nameplate on the site (the stranding yardstick). Planned devices
 * count as planned load (at nameplate) in every headroom figure it gives.
 */
export async function loadCapacityModel(db: Db, siteId: number, options: { excludeDeviceIds?: number[] } = {}): Promise<{ plant: PlantModel; capacity: CapacityModel }> {
  const plant = await loadPlantModel(db, siteId, new Map(), { countPlanned: true, excludeDeviceIds: options.excludeDeviceIds });
  const rackIds = plant.chain.racks.map((r) => Number(r.id));
  const racks = rackIds.length
    ? await db
        .select({ id: s.racks.id, name: s.racks.name, uHeight: s.racks.uHeight, maxWeightKg: s.racks.maxWeightKg, status: s.racks.status, coolingKind: s.racks.coolingKind, rowId: s.rows.id, rowName: s.rows.name, hallId: s.halls.id, hallName: s.halls.name })
        .from(s.racks)
        .innerJoin(s.rows, eq(s.rows.id, s.racks.rowId))
        .innerJoin(s.halls, eq(s.halls.id, s.racks.hallId))
        .where(inArray(s.racks.id, rackIds))
    : [];
  const devices = rackIds.length
    ? await db
        .select({ id: s.devices.id, rackId: s.devices.rackId, position: s.devices.position, face: s.devices.face, uHeight: s.devices.uHeight, isFullDepth: s.devices.isFullDepth, weightKg: s.devices.weightKg })
        .from(s.devices)
        .where(inArray(s.devices.rackId, rackIds))
    : [];
  const freePorts = rackIds.length
    ? await db
        .select({ rackId: s.devices.rackId, speedGbps: s.interfaces.speedGbps, count: sql<number>`count(*)::int` })
        .from(s.interfaces)
        .innerJoin(s.devices, eq(s.devices.id, s.interfaces.deviceId))
        .innerJoin(s.deviceTypes, eq(s.deviceTypes.id, s.devices.deviceTypeId))
        .leftJoin(s.linkEnds, eq(s.linkEnds.interfaceId, s.interfaces.id))
        .where(and(inArray(s.devices.rackId, rackIds), eq(s.deviceTypes.kind, 'switch'), isNull(s.linkEnds.linkId), eq(s.interfaces.enabled, true)))
        .groupBy(s.devices.rackId, s.interfaces.speedGbps)
    : [];
  // Free outlets per rack: each rack PDU with a recorded outlet count, less the PSUs plugged into it.
  const outletRows = rackIds.length
    ? await db
        .select({
          rackId: s.powerNodes.rackId,
          // Spelled out: drizzle leaves column names unqualified inside sql``, which a correlated subquery needs.
          free: sql<number>`greatest(0, power_nodes.outlets - (SELECT count(*) FROM psu_connections pc WHERE pc.rack_pdu_id = power_nodes.id))::int`,
        })
        .from(s.powerNodes)
        .where(and(inArray(s.powerNodes.rackId, rackIds), eq(s.powerNodes.kind, 'rack-pdu'), sql`${s.powerNodes.outlets} IS NOT NULL`))
    : [];
  const freeOutlets = new Map<number, number>();
  for (const row of outletRows) if (row.rackId !== null) freeOutlets.set(row.rackId, (freeOutlets.get(row.rackId) ?? 0) + row.free);
  // The stranding rule's yardstick: the server types placed on the site (their nameplate power).
  const serverTypes = rackIds.length
    ? await db
        .selectDistinct({ nameplatePowerW: s.deviceTypes.nameplatePowerW, rackCooling: s.racks.coolingKind })
        .from(s.devices)
        .innerJoin(s.deviceTypes, eq(s.deviceTypes.id, s.devices.deviceTypeId))
        .innerJoin(s.racks, eq(s.racks.id, s.devices.rackId))
        .where(and(inArray(s.devices.rackId, rackIds), eq(s.deviceTypes.kind, 'server'), sql`${s.deviceTypes.uHeight} > 0`, sql`${s.devices.status} <> 'decommissioned'`))
    : [];
  // Per cooling class: the smallest server placed in racks cooled that way (absent: the site-wide yardstick).
  const thresholdByCooling = new Map<string, number>();
  for (const kind of new Set(serverTypes.map((t) => coolingClass(t.rackCooling))))
    thresholdByCooling.set(kind, strandThresholdW(serverTypes.filter((t) => coolingClass(t.rackCooling) === kind).map((t) => t.nameplatePowerW)));
  const capacityRacks: CapacityRack[] = racks.map((rack) => ({
    id: String(rack.id),
    name: rack.name,
    rowId: String(rack.rowId),
    rowName: rack.rowName,
    hallId: String(rack.hallId),
    hallName: rack.hallName,
    heightU: rack.uHeight,
    maxWeightKg: rack.maxWeightKg,
    acceptsEquipment: rack.status === 'active' || rack.status === 'maintenance',
    placements: devices
      .filter((d) => d.rackId === rack.id && d.position !== null && d.uHeight > 0)
      .map((d) => ({ id: String(d.id), positionU: d.position!, heightU: d.uHeight, face: d.face!, isFullDepth: d.isFullDepth, weightKg: d.weightKg })),
    freePortsByGbps: Object.fromEntries(freePorts.filter((p) => p.rackId === rack.id).map((p) => [String(p.speedGbps), p.count])),
    freeOutlets: freeOutlets.get(rack.id) ?? 0,
    strandThresholdW: thresholdByCooling.get(coolingClass(rack.coolingKind)),
  }));
  return { plant, capacity: { racks: capacityRacks, chain: plant.chain, cooling: plant.cooling, strandThresholdW: strandThresholdW(serverTypes.map((t) => t.nameplatePowerW)), strandThresholdByCoolingW: Object.fromEntries(thresholdByCooling) } };
}

/**
 * Whether a device of this type fits the rack's power (rack budget, upstream nodes, every A/B failover scenario) and
 * cooling (N+1 kept), through the same analyses as the capacity what-if, with planned devices counted. `deviceId`, when
 * the device exists already, is left out of the model so it is checked as if added anew. Null when the type draws nothing.
 */
export async function checkDeviceAddition(db: Db, input: { rackId: number; deviceTypeId: number; deviceId?: number }): Promise<RackAdditionCheck | null> {
  const [type] = await db.select({ nameplatePowerW: s.deviceTypes.nameplatePowerW }).from(s.deviceTypes).where(eq(s.deviceTypes.id, input.deviceTypeId));
  const [rack] = await db.select({ name: s.racks.name, siteId: s.halls.siteId }).from(s.racks).innerJoin(s.halls, eq(s.halls.id, s.racks.hallId)).where(eq(s.racks.id, input.rackId));
  if (!type || !rack || type.nameplatePowerW <= 0) return null;
  const { plant, capacity } = await loadCapacityModel(db, rack.siteId, { excludeDeviceIds: input.deviceId ? [input.deviceId] : [] });
  return checkRackAddition(capacity, String(input.rackId), type.nameplatePowerW, undefined, undefined, { powerNodes: plant.names.powerNodes, rack: `rack ${rack.name}` });
}

/** Air-cooled racks (air, rear-door) take air-cooled servers; direct-liquid racks take liquid-cooled trays. */
function coolingClass(coolingKind: string): 'liquid' | 'air' {
  return coolingKind === 'direct-liquid' ? 'liquid' : 'air';
}
