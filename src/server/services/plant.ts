import { asc, eq, inArray } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import { analyzeCooling, type CoolingAnalysis, type CoolingModel, type CoolingUnitKind } from '@/domain/cooling';
import { analyzePowerChain, type PowerAnalysis, type PowerChain, type PowerNodeKind } from '@/domain/power';
import type { Db } from '../db/client';
import * as s from '../db/schema';
import { readAll } from '../db/transaction';
import { poolOf, processCache } from './process-cache';

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
  return buildPlantModel(siteId, await readPlantRows(db, siteId), overlay, options);
}

type PlantRows = Awaited<ReturnType<typeof readPlantRows>>;

/** The site's plant rows. Children are selected by sub-select on the site (a list of 37,537 device ids as bind parameters takes PostgreSQL seconds to parse). */
async function readPlantRows(db: Db, siteId: number) {
  const siteHalls = db.select({ id: s.halls.id }).from(s.halls).where(eq(s.halls.siteId, siteId));
  const siteRacks = db.select({ id: s.racks.id }).from(s.racks).where(inArray(s.racks.hallId, siteHalls));
  const siteNodes = db.select({ id: s.powerNodes.id }).from(s.powerNodes).where(eq(s.powerNodes.siteId, siteId));
  const siteDevices = db.select({ id: s.devices.id }).from(s.devices).where(inArray(s.devices.rackId, siteRacks));
  const siteUnits = db.select({ id: s.coolingUnits.id }).from(s.coolingUnits).where(eq(s.coolingUnits.siteId, siteId));
  const [racks, nodes, edges, devices, psus, units, served] = await readAll(db, [
    db.select().from(s.racks).where(inArray(s.racks.hallId, siteHalls)).orderBy(asc(s.racks.id)),
    db.select().from(s.powerNodes).where(eq(s.powerNodes.siteId, siteId)).orderBy(asc(s.powerNodes.id)),
    db.select().from(s.powerEdges).where(inArray(s.powerEdges.downstreamId, siteNodes)),
    db
      .select({ id: s.devices.id, name: s.devices.name, rackId: s.devices.rackId, status: s.devices.status, nameplateW: s.deviceTypes.nameplatePowerW })
      .from(s.devices)
      .innerJoin(s.deviceTypes, eq(s.deviceTypes.id, s.devices.deviceTypeId))
      .where(inArray(s.devices.rackId, siteRacks)),
    db.select().from(s.psuConnections).where(inArray(s.psuConnections.deviceId, siteDevices)),
    db.select().from(s.coolingUnits).where(eq(s.coolingUnits.siteId, siteId)),
    db.select().from(s.coolingServedAreas).where(inArray(s.coolingServedAreas.unitId, siteUnits)),
  ]);
  return { racks, nodes, edges, devices, psus, units, served };
}

/** The domain models from the plant rows (never changed here: they may be shared) and a live overlay. */
function buildPlantModel(siteId: number, rows: PlantRows, overlay: DeviceLoadOverlay, options: PlantModelOptions): PlantModel {
  const { racks, nodes, edges, devices, psus, units, served } = rows;
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
  const servedByUnit = new Map<number, (typeof served)[number][]>();
  for (const area of served) servedByUnit.set(area.unitId, [...(servedByUnit.get(area.unitId) ?? []), area]);
  const cooling: CoolingModel = {
    units: units.map((unit) => ({
      id: String(unit.id),
      name: unit.name,
      kind: COOLING_KIND[unit.kind],
      capacityKw: unit.capacityKw,
      supplySetpointC: unit.supplySetpointC,
      redundancyGroup: unit.redundancyGroup,
      status: unit.status === 'standby' ? 'active' : unit.status,
      serves: (servedByUnit.get(unit.id) ?? []).map((area) =>
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
  // The plant changes only when the plant does: its rows are read once per plant version, and the plant alone (no live
  // overlay, no options) is analysed once per version, shared by every caller (at 100,000 GPUs reading the rows takes
  // seconds, and so does an analysis). Never inside a transaction, which may see (and bump the version for) changes
  // that are then rolled back.
  if (db instanceof PgTransaction) return analyse(await loadPlantModel(db, siteId, overlay, options));
  const held = await sharedPlant(db, siteId);
  if (overlay === undefined && options === undefined) return held.analysis();
  return analyse(buildPlantModel(siteId, await held.rows, overlay ?? new Map(), options ?? {}));
}

function analyse(model: PlantModel): PlantAnalysis {
  return { model, power: analyzePowerChain(model.chain), cooling: analyzeCooling(model.cooling) };
}

/** The rows of one plant version, and its plant-alone analysis once someone asks for it. */
type SharedPlant = { version: number; rows: Promise<PlantRows>; analysis: () => Promise<PlantAnalysis> };

/** Per database (a process may serve two: tests), per site (process-cache.ts). */
async function sharedPlant(db: Db, siteId: number): Promise<SharedPlant> {
  const cache = processCache<number, SharedPlant>('plant:shared', poolOf(db));
  const [row] = await db.select({ version: s.plantVersion.version }).from(s.plantVersion);
  const version = row?.version ?? -1;
  const held = cache.get(siteId);
  if (held && held.version === version) return held;
  const rows = readPlantRows(db, siteId);
  let analysis: Promise<PlantAnalysis> | undefined;
  const shared: SharedPlant = {
    version,
    rows,
    analysis: () => {
      if (analysis === undefined) {
        analysis = rows.then((r) => analyse(buildPlantModel(siteId, r, new Map(), {})));
        analysis.catch(() => {
          if (cache.get(siteId) === shared) cache.delete(siteId);
        });
      }
      return analysis;
    },
  };
  cache.set(siteId, shared);
  rows.catch(() => {
    if (cache.get(siteId) === shared) cache.delete(siteId);
  });
  return shared;
}
