import { asc, eq, inArray } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import { analyzeCooling, type CoolingAnalysis, type CoolingModel, type CoolingUnitKind } from '@/domain/cooling';
import { analyzePowerChain, type PowerAnalysis, type PowerChain, type PowerNodeKind } from '@/domain/power';
import type { Db } from '../db/client';
import * as s from '../db/schema';

/** Per-device live/allocated loads supplied by telemetry and the scheduler when they have them. */
export type DeviceLoadOverlay = Map<number, { measuredW?: number | null; allocatedW?: number | null }>;

export type PlantModel = {
  siteId: number;
  chain: PowerChain;
  cooling: CoolingModel;
  names: { powerNodes: Map<string, string>; racks: Map<string, string>; coolingUnits: Map<string, string> };
};

const COOLING_KIND: Record<(typeof s.coolingUnitKind.enumValues)[number], CoolingUnitKind> = {
  crah: 'crah',
  crac: 'crac',
  cdu: 'cdu',
  'rear-door': 'rear-door-hx',
  chiller: 'chiller',
  'dry-cooler': 'dry-cooler',
};

// An RPP is a floor-level distribution panel: electrically a PDU for the chain math.
const POWER_KIND = (kind: (typeof s.powerNodeKind.enumValues)[number]): PowerNodeKind => (kind === 'rpp' ? 'pdu' : kind);

export type PlantModelOptions = {
  /** Count planned devices at nameplate, as planned load (capacity headroom, the device forms' check). Default: off. */
  countPlanned?: boolean;
  /** Leave these devices out (a device being changed, checked as if added anew). */
  excludeDeviceIds?: number[];
};

/** Reads one site's power chain and cooling from the database into the pure domain models. */
export async function loadPlantModel(db: Db, siteId: number, overlay: DeviceLoadOverlay = new Map(), options: PlantModelOptions = {}): Promise<PlantModel> {
  const halls = await db.select({ id: s.halls.id }).from(s.halls).where(eq(s.halls.siteId, siteId));
  const hallIds = halls.map((h) => h.id);
  const racks = hallIds.length ? await db.select().from(s.racks).where(inArray(s.racks.hallId, hallIds)).orderBy(asc(s.racks.id)) : [];
  const rackIds = racks.map((r) => r.id);
  const nodes = await db.select().from(s.powerNodes).where(eq(s.powerNodes.siteId, siteId)).orderBy(asc(s.powerNodes.id));
  const nodeIds = nodes.map((n) => n.id);
  const edges = nodeIds.length ? await db.select().from(s.powerEdges).where(inArray(s.powerEdges.downstreamId, nodeIds)) : [];
  const devices = rackIds.length
    ? await db
        .select({ id: s.devices.id, name: s.devices.name, rackId: s.devices.rackId, status: s.devices.status, nameplateW: s.deviceTypes.nameplatePowerW })
        .from(s.devices)
        .innerJoin(s.deviceTypes, eq(s.deviceTypes.id, s.devices.deviceTypeId))
        .where(inArray(s.devices.rackId, rackIds))
    : [];
  const deviceIds = devices.map((d) => d.id);
  const psus = deviceIds.length ? await db.select().from(s.psuConnections).where(inArray(s.psuConnections.deviceId, deviceIds)) : [];
  const units = await db.select().from(s.coolingUnits).where(eq(s.coolingUnits.siteId, siteId));
  const unitIds = units.map((u) => u.id);
  const served = unitIds.length ? await db.select().from(s.coolingServedAreas).where(inArray(s.coolingServedAreas.unitId, unitIds)) : [];

  const parents = new Map<number, { id: number; priority: number }[]>();
  for (const edge of edges) parents.set(edge.downstreamId, [...(parents.get(edge.downstreamId) ?? []), { id: edge.upstreamId, priority: edge.priority }]);
  const psusByDevice = new Map<number, typeof psus>();
  for (const psu of psus) psusByDevice.set(psu.deviceId, [...(psusByDevice.get(psu.deviceId) ?? []), psu]);

  // Devices that draw no power now: decommissioned, and planned ones not yet installed (counted only as planned load).
  const excluded = new Set(options.excludeDeviceIds ?? []);
  const drawing = devices.filter((d) => !excluded.has(d.id) && d.status !== 'decommissioned' && (options.countPlanned || d.status !== 'planned'));
  const chain: PowerChain = {
    nodes: nodes.map((node) => ({
      id: String(node.id),
      name: node.name,
      kind: POWER_KIND(node.kind),
      parentIds: (parents.get(node.id) ?? []).sort((a, b) => a.priority - b.priority).map((p) => String(p.id)),
      capacityKw: node.capacityKw,
      circuit:
        node.voltageV && node.amperageA && node.phase
          ? { voltageV: node.voltageV, amperageA: node.amperageA, phase: node.phase, maxUtilizationPct: node.maxUtilizationPct }
          : null,
      side: node.side === 'N' ? null : node.side,
      rackId: node.rackId === null ? null : String(node.rackId),
      efficiency: node.kind === 'ups' ? undefined : node.efficiencyPct,
    })),
    racks: racks.map((rack) => ({ id: String(rack.id), name: rack.name, powerBudgetW: rack.maxPowerKw * 1000 })),
    devices: drawing.map((device) => ({
      id: String(device.id),
      name: device.name,
      rackId: String(device.rackId),
      nameplateW: device.nameplateW,
      allocatedW: overlay.get(device.id)?.allocatedW ?? null,
      measuredW: overlay.get(device.id)?.measuredW ?? null,
      psus: (psusByDevice.get(device.id) ?? []).map((psu) => ({ name: psu.psuName, rackPduId: String(psu.rackPduId) })),
    })),
  };

  const rackLoadW = new Map<number, number>();
  for (const device of drawing) {
    const load = overlay.get(device.id)?.measuredW ?? overlay.get(device.id)?.allocatedW ?? device.nameplateW;
    rackLoadW.set(device.rackId!, (rackLoadW.get(device.rackId!) ?? 0) + load);
  }
  const cooling: CoolingModel = {
    units: units.map((unit) => ({
      id: String(unit.id),
      name: unit.name,
      kind: COOLING_KIND[unit.kind],
      capacityKw: unit.capacityKw,
      supplySetpointC: unit.supplySetpointC,
      redundancyGroup: unit.redundancyGroup,
      status: unit.status === 'standby' ? 'active' : unit.status,
      serves: served
        .filter((area) => area.unitId === unit.id)
        .map((area) =>
          area.hallId !== null ? { kind: 'hall' as const, id: String(area.hallId) } : area.rowId !== null ? { kind: 'row' as const, id: String(area.rowId) } : { kind: 'rack' as const, id: String(area.rackId) },
        ),
    })),
    racks: racks.map((rack) => ({
      id: String(rack.id),
      hallId: String(rack.hallId),
      rowId: String(rack.rowId),
      itPowerW: rackLoadW.get(rack.id) ?? 0,
      liquidCooled: rack.coolingKind === 'direct-liquid',
    })),
  };

  return {
    siteId,
    chain,
    cooling,
    names: {
      powerNodes: new Map(nodes.map((n) => [String(n.id), n.name])),
      racks: new Map(racks.map((r) => [String(r.id), r.name])),
      coolingUnits: new Map(units.map((u) => [String(u.id), u.name])),
    },
  };
}

export type PlantAnalysis = { model: PlantModel; power: PowerAnalysis; cooling: CoolingAnalysis };

export async function analysePlant(db: Db, siteId: number, overlay?: DeviceLoadOverlay, options?: PlantModelOptions): Promise<PlantAnalysis> {
  // The plant alone (no live overlay, no options) changes only when the plant does: one analysis per plant version,
  // shared by every caller (at 100,000 GPUs an analysis takes seconds). Never inside a transaction, which may see
  // (and bump the version for) changes that are then rolled back.
  if (overlay === undefined && options === undefined && !(db instanceof PgTransaction)) return sharedAnalysis(db, siteId);
  const model = await loadPlantModel(db, siteId, overlay, options);
  return { model, power: analyzePowerChain(model.chain), cooling: analyzeCooling(model.cooling) };
}

/** Per database handle (a process may serve two databases: tests), per site. */
const analysisCaches = new WeakMap<Db, Map<number, { version: number; analysis: Promise<PlantAnalysis> }>>();

async function sharedAnalysis(db: Db, siteId: number): Promise<PlantAnalysis> {
  let analysisCache = analysisCaches.get(db);
  if (!analysisCache) {
    analysisCache = new Map();
    analysisCaches.set(db, analysisCache);
  }
  const [row] = await db.select({ version: s.plantVersion.version }).from(s.plantVersion);
  const version = row?.version ?? -1;
  const held = analysisCache.get(siteId);
  if (held && held.version === version) return held.analysis;
  const analysis = loadPlantModel(db, siteId).then((model) => ({ model, power: analyzePowerChain(model.chain), cooling: analyzeCooling(model.cooling) }));
  analysisCache.set(siteId, { version, analysis });
  analysis.catch(() => {
    if (analysisCache.get(siteId)?.analysis === analysis) analysisCache.delete(siteId);
  });
  return analysis;
}
