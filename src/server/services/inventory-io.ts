/**
 * Whole-inventory export and import as one versioned JSON document.
 *
 * The document names everything by natural keys (site slug, hall slug, rack name, device name, interface name, …),
 * never by database ids, so it imports into another, empty database. Import validates the document with zod (errors
 * name the JSON path, e.g. `devices.12.position`), resolves every reference, then writes everything in ONE
 * transaction: any failure, including a database rule such as two devices in the same rack units, writes nothing and
 * reports the path of the offending entry. Import refuses an inventory that is not empty.
 *
 * TPU pods travel as three sections: `tpuPods` (hall, generation, torus and its dimensions), `tpuChips` (each chip an
 * accelerator of its host, named by device and index, at x, y, z inside the pod's dimensions; its health is the
 * accelerator's) and `tpuIciLinks` (each ICI link by the coordinates of its two chips, which must be torus neighbours
 * as src/domain/tpu-torus.ts wires a pod, and whether it is up).
 *
 * What is not part of the document: the change log, worker heartbeats, jobs and their TPU slices, and database ids.
 */
import { sql } from 'drizzle-orm';
import { acceleratorById, tpuGenerations } from '@/domain/accelerators';
import { COMPUTE_PARTITION_MODES, MEMORY_PARTITION_MODES, partitionModeProblem } from '@/domain/amd-partitions';
import { type Coord, formatShape, podLinks } from '@/domain/tpu-torus';
import type { PgTable } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import type { Db } from '../db/client';
import * as s from '../db/schema';
import { readAll } from '../db/transaction';
import { recordChange, type Tx } from './changelog';

export const INVENTORY_FORMAT = 'plenum-inventory';
export const INVENTORY_VERSION = 1;

// ---------------------------------------------------------------------------------------------------------------
// Document schema
// ---------------------------------------------------------------------------------------------------------------

const key = z.string().min(1, 'is required').max(1000, 'is at most 1,000 characters');
const text = z.string().max(10_000, 'is at most 10,000 characters');
const when = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).optional();
const timestamps = { createdAt: when, updatedAt: when };
const int = z.number().int('must be a whole number');
const positive = (unit: string) => z.number().positive(`must be more than 0 ${unit}`);
const nullableNumber = z.number().nullable().default(null);

const zoneRef = z.strictObject({ site: key, name: key });
const hallRef = z.strictObject({ site: key, hall: key });
const rowRef = z.strictObject({ site: key, hall: key, row: key });
const rackRef = z.strictObject({ site: key, hall: key, rack: key });
const siteObjectRef = z.strictObject({ site: key, name: key });
const interfaceRef = z.strictObject({ device: key, interface: key });

const psuTemplate = z.strictObject({ name: key, maximumDrawW: z.number().positive('must be more than 0 W'), allocatedDrawW: z.number().nonnegative().optional() });
const interfaceTemplate = z.strictObject({ name: key, kind: z.enum(s.interfaceKind.enumValues), speedGbps: positive('Gb/s') });

const site = z.strictObject({
  slug: key,
  name: key,
  address: text.default(''),
  timeZone: key.default('UTC'),
  utilityCapacityKw: positive('kW'),
  pueTarget: z.number().min(1, 'must be at least 1').max(3, 'must be at most 3').default(1.3),
  ...timestamps,
});
const securityZone = z.strictObject({ site: key, name: key, accessLevel: z.enum(s.accessLevel.enumValues), description: text.default(''), ...timestamps });
const hall = z.strictObject({
  site: key,
  slug: key,
  name: key,
  coolingType: z.enum(s.hallCoolingType.enumValues),
  designItLoadKw: positive('kW'),
  gridColumns: int.positive('must be at least 1'),
  gridRows: int.positive('must be at least 1'),
  securityZone: zoneRef.nullable().default(null),
  ...timestamps,
});
const row = z.strictObject({
  site: key,
  hall: key,
  name: key,
  gridX: int.nonnegative('must be 0 or more'),
  gridY: int.nonnegative('must be 0 or more'),
  coldAisleSide: z.enum(s.compassSide.enumValues).default('south'),
  ...timestamps,
});
const rack = z.strictObject({
  site: key,
  hall: key,
  row: key,
  name: key,
  positionInRow: int.nonnegative('must be 0 or more'),
  uHeight: int.min(1, 'must be at least 1 U').max(60, 'must be at most 60 U').default(42),
  maxPowerKw: positive('kW'),
  maxWeightKg: positive('kg'),
  coolingKind: z.enum(s.rackCoolingKind.enumValues).default('air'),
  securityZone: zoneRef.nullable().default(null),
  status: z.enum(s.rackStatus.enumValues).default('active'),
  ...timestamps,
});
const manufacturer = z.strictObject({ name: key, slug: key });
const acceleratorModel = z.strictObject({ name: key, vendor: key, memoryGib: positive('GiB'), tdpW: int.positive('must be more than 0 W').nullable().default(null), formFactor: key });
const deviceType = z
  .strictObject({
    manufacturer: key,
    model: key,
    slug: key,
    partNumber: text.default(''),
    kind: z.enum(s.deviceKind.enumValues),
    uHeight: int.min(0, 'must be 0-60 U').max(60, 'must be 0-60 U'),
    isFullDepth: z.boolean().default(true),
    airflow: z.enum(s.airflow.enumValues).nullable().default(null),
    weightKg: z.number().nonnegative('must be 0 kg or more').default(0),
    nameplatePowerW: int.nonnegative('must be 0 W or more').default(0),
    typicalPowerW: int.nonnegative('must be 0 W or more').default(0),
    psuTemplates: z.array(psuTemplate).default([]),
    interfaceTemplates: z.array(interfaceTemplate).default([]),
    acceleratorSlots: int.nonnegative('must be 0 or more').default(0),
    acceleratorModel: key.nullable().default(null),
    source: key.default('builtin'),
    sourceHash: key.nullable().default(null),
    createdAt: when,
  })
  .refine((t) => t.nameplatePowerW === 0 || t.typicalPowerW <= t.nameplatePowerW, { path: ['typicalPowerW'], message: 'must not exceed nameplatePowerW' });
const device = z
  .strictObject({
    name: key,
    type: key,
    rack: rackRef.nullable().default(null),
    position: int.min(1, 'must be U1 or higher').nullable().default(null),
    face: z.enum(s.rackFace.enumValues).nullable().default(null),
    uHeight: int.min(0, 'must be 0-60 U').max(60, 'must be 0-60 U').optional(),
    isFullDepth: z.boolean().optional(),
    weightKg: z.number().nonnegative('must be 0 kg or more').optional(),
    serial: text.default(''),
    assetTag: key.nullable().default(null),
    status: z.enum(s.deviceStatus.enumValues).default('active'),
    hostname: key.nullable().default(null),
    bmcAddress: key.nullable().default(null),
    ...timestamps,
  })
  .superRefine((d, ctx) => {
    if (d.rack && (d.position === null || d.face === null)) ctx.addIssue({ code: 'custom', path: [d.position === null ? 'position' : 'face'], message: 'is required when the device is in a rack' });
    if (!d.rack && (d.position !== null || d.face !== null)) ctx.addIssue({ code: 'custom', path: [d.position !== null ? 'position' : 'face'], message: 'must be null when the device is not in a rack' });
  });
const accelerator = z.strictObject({
  device: key,
  index: int.nonnegative('must be 0 or more'),
  uuid: key,
  model: key,
  nvlinkDomain: key.nullable().default(null),
  health: z.enum(s.acceleratorHealth.enumValues).default('healthy'),
  sharingMode: z.enum(s.sharingMode.enumValues).default('exclusive'),
  /** AMD partition modes (src/domain/amd-partitions.ts): both or neither, in a combination the model supports. */
  computePartition: z.enum(COMPUTE_PARTITION_MODES).nullable().default(null),
  memoryPartition: z.enum(MEMORY_PARTITION_MODES).nullable().default(null),
}).superRefine((a, ctx) => {
  if (a.computePartition === null && a.memoryPartition === null) return;
  if (a.computePartition === null || a.memoryPartition === null) {
    ctx.addIssue({ code: 'custom', path: [a.computePartition === null ? 'computePartition' : 'memoryPartition'], message: 'is required when the other partition mode is set' });
    return;
  }
  const problem = partitionModeProblem(a.model, { compute: a.computePartition, memory: a.memoryPartition });
  if (problem) ctx.addIssue({ code: 'custom', path: [problem.field === 'model' ? 'computePartition' : problem.field], message: problem.reason });
});
const storageSystem = z
  .strictObject({
    name: key,
    kind: z.enum(s.storageKind.enumValues),
    device: key.nullable().default(null),
    fabric: siteObjectRef.nullable().default(null),
    rawCapacityTb: positive('TB'),
    usableCapacityTb: positive('TB'),
    throughputGbps: z.number().nonnegative('must be 0 Gb/s or more'),
  })
  .refine((x) => x.usableCapacityTb <= x.rawCapacityTb, { path: ['usableCapacityTb'], message: 'must not exceed rawCapacityTb' });
const fabric = z.strictObject({ site: key, name: key, purpose: z.enum(s.fabricPurpose.enumValues), topology: z.enum(s.fabricTopology.enumValues) });
const fabricMember = z.strictObject({ fabric: siteObjectRef, device: key, tier: z.enum(s.fabricTier.enumValues) });
const iface = z.strictObject({
  device: key,
  name: key,
  kind: z.enum(s.interfaceKind.enumValues),
  speedGbps: positive('Gb/s'),
  fabric: siteObjectRef.nullable().default(null),
  enabled: z.boolean().default(true),
});
const link = z.strictObject({ a: interfaceRef.nullable(), b: interfaceRef.nullable(), status: key.default('connected'), label: text.default('') });
const powerNode = z.strictObject({
  site: key,
  name: key,
  kind: z.enum(s.powerNodeKind.enumValues),
  side: z.enum(s.powerSide.enumValues).default('N'),
  capacityKw: nullableNumber,
  voltageV: nullableNumber,
  amperageA: nullableNumber,
  phase: z.enum(s.phase.enumValues).nullable().default(null),
  maxUtilizationPct: z.number().gt(0, 'must be more than 0 %').max(100, 'must be at most 100 %').default(80),
  efficiencyPct: nullableNumber,
  batteryRuntimeMin: nullableNumber,
  outlets: int.min(1, 'must be at least 1').max(200, 'is at most 200').nullable().default(null),
  rack: rackRef.nullable().default(null),
  device: key.nullable().default(null),
});
const powerEdge = z.strictObject({ upstream: siteObjectRef, downstream: siteObjectRef, priority: int.default(0) });
const psuConnection = z.strictObject({ device: key, psuName: key, rackPdu: siteObjectRef, side: z.enum(s.powerSide.enumValues), maximumDrawW: int.positive('must be more than 0 W') });
const coolingUnit = z.strictObject({
  site: key,
  name: key,
  kind: z.enum(s.coolingUnitKind.enumValues),
  capacityKw: positive('kW'),
  supplySetpointC: z.number().min(5, 'must be 5-45 °C').max(45, 'must be 5-45 °C'),
  redundancyGroup: key,
  status: z.enum(s.coolingUnitStatus.enumValues).default('active'),
});
const coolingServedArea = z
  .strictObject({ unit: siteObjectRef, hall: hallRef.nullable().default(null), row: rowRef.nullable().default(null), rack: rackRef.nullable().default(null) })
  .refine((a) => [a.hall, a.row, a.rack].filter(Boolean).length === 1, { message: 'must name exactly one of hall, row and rack' });

const TPU_GENERATIONS = tpuGenerations().map((g) => g.id) as [string, ...string[]];
const podDimension = int.min(1, 'must be 1-64 chips').max(64, 'must be 1-64 chips');
const chipCoordinate = int.nonnegative('must be 0 or more');
const torusPosition = z.strictObject({ x: chipCoordinate, y: chipCoordinate, z: chipCoordinate });
const tpuPod = z
  .strictObject({
    name: key,
    site: key,
    hall: key,
    generation: z.enum(TPU_GENERATIONS, { message: `must be a TPU generation of the catalogue (${TPU_GENERATIONS.join(', ')})` }),
    torus: z.enum(['2d', '3d']),
    dims: z.tuple([podDimension, podDimension, podDimension]),
    cubeEdge: int.min(1, 'must be at least 1').nullable().default(null),
    wrapX: z.boolean().default(false),
    wrapY: z.boolean().default(false),
    createdAt: when,
  })
  .superRefine((p, ctx) => {
    const topology = acceleratorById(p.generation)?.tpu;
    if (topology && topology.torus !== p.torus) {
      ctx.addIssue({ code: 'custom', path: ['torus'], message: `must be "${topology.torus}": ${p.generation} is a ${topology.torus.toUpperCase()} torus` });
      return;
    }
    if (p.torus === '2d') {
      if (p.dims[2] !== 1) ctx.addIssue({ code: 'custom', path: ['dims', 2], message: 'must be 1 for a 2D torus' });
      if (p.cubeEdge !== null) ctx.addIssue({ code: 'custom', path: ['cubeEdge'], message: 'must be null for a 2D torus' });
      return;
    }
    if (p.cubeEdge === null) {
      ctx.addIssue({ code: 'custom', path: ['cubeEdge'], message: 'is required for a 3D torus (the edge of its cubes, 4 for v4 and v5p)' });
      return;
    }
    p.dims.forEach((d, axis) => {
      if (d % p.cubeEdge! !== 0) ctx.addIssue({ code: 'custom', path: ['dims', axis], message: `must be a multiple of the cube edge ${p.cubeEdge}` });
    });
  });
const tpuChip = z.strictObject({ pod: key, device: key, index: int.nonnegative('must be 0 or more'), x: chipCoordinate, y: chipCoordinate, z: chipCoordinate });
const tpuIciLink = z.strictObject({ pod: key, a: torusPosition, b: torusPosition, state: z.enum(['up', 'down']).default('up'), changedAt: when });

const list = <T extends z.ZodType>(item: T) => z.array(item).default([]);

export const inventoryDocumentSchema = z.strictObject({
  format: z.literal(INVENTORY_FORMAT, { message: `must be "${INVENTORY_FORMAT}"` }),
  version: z.literal(INVENTORY_VERSION, { message: `must be ${INVENTORY_VERSION} (this Plenum reads version ${INVENTORY_VERSION})` }),
  exportedAt: when,
  sites: list(site),
  securityZones: list(securityZone),
  halls: list(hall),
  rows: list(row),
  racks: list(rack),
  manufacturers: list(manufacturer),
  deviceTypes: list(deviceType),
  acceleratorModels: list(acceleratorModel),
  devices: list(device),
  accelerators: list(accelerator),
  storageSystems: list(storageSystem),
  fabrics: list(fabric),
  fabricMembers: list(fabricMember),
  interfaces: list(iface),
  links: list(link),
  powerNodes: list(powerNode),
  powerEdges: list(powerEdge),
  psuConnections: list(psuConnection),
  coolingUnits: list(coolingUnit),
  coolingServedAreas: list(coolingServedArea),
  tpuPods: list(tpuPod),
  tpuChips: list(tpuChip),
  tpuIciLinks: list(tpuIciLink),
});

export type InventoryDocument = z.output<typeof inventoryDocumentSchema>;
export type InventorySection = Exclude<keyof InventoryDocument, 'format' | 'version' | 'exportedAt'>;
export const INVENTORY_SECTIONS = Object.keys(inventoryDocumentSchema.shape).filter((k) => !['format', 'version', 'exportedAt'].includes(k)) as InventorySection[];

export type InventoryIssue = { field: string; reason: string };

/** The document is invalid: every issue names its JSON path (`devices.12.position`). */
export class InventoryImportError extends Error {
  constructor(readonly issues: InventoryIssue[]) {
    super(issues.map((i) => `${i.field}: ${i.reason}`).join('; '));
  }
}

/** The target database already holds inventory. */
export class InventoryNotEmptyError extends Error {}

const MAX_ISSUES = 50;

function capped(issues: InventoryIssue[]): InventoryIssue[] {
  return issues.length > MAX_ISSUES ? [...issues.slice(0, MAX_ISSUES), { field: '(document)', reason: `and ${issues.length - MAX_ISSUES} more problems` }] : issues;
}

export function parseInventoryDocument(input: unknown): InventoryDocument {
  const parsed = inventoryDocumentSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new InventoryImportError(capped(parsed.error.issues.map((issue) => ({ field: issue.path.join('.') || '(document)', reason: issue.message }))));
}

// ---------------------------------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------------------------------

const iso = (d: Date) => d.toISOString();

function compareKeys(a: unknown[], b: unknown[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (typeof x === 'number' && typeof y === 'number') {
      if (x !== y) return x - y;
    } else {
      const sx = String(x);
      const sy = String(y);
      if (sx !== sy) return sx < sy ? -1 : 1;
    }
  }
  return 0;
}

function sortBy<T>(items: T[], keyOf: (item: T) => unknown[]): T[] {
  return items.map((item) => ({ item, k: keyOf(item) })).sort((a, b) => compareKeys(a.k, b.k)).map((x) => x.item);
}

function need<K, V>(map: Map<K, V>, id: K, what: string): V {
  const value = map.get(id);
  if (value === undefined) throw new Error(`inventory export: ${what} ${String(id)} not found`);
  return value;
}

/** The whole inventory as one document, read in one repeatable-read snapshot. */
export async function exportInventory(db: Db): Promise<InventoryDocument> {
  return db.transaction(
    async (tx) => {
      const [sites, zones, halls, rows, racks, makers, models, types, devices, accelerators, storage, fabrics, members, interfaces, links, linkEnds, nodes, edges, psus, units, areas, pods, chips, iciLinks] =
        await readAll(tx as unknown as Db, [
          tx.select().from(s.sites),
          tx.select().from(s.securityZones),
          tx.select().from(s.halls),
          tx.select().from(s.rows),
          tx.select().from(s.racks),
          tx.select().from(s.manufacturers),
          tx.select().from(s.acceleratorModels),
          tx.select().from(s.deviceTypes),
          tx.select().from(s.devices),
          tx.select().from(s.accelerators),
          tx.select().from(s.storageSystems),
          tx.select().from(s.fabrics),
          tx.select().from(s.fabricMembers),
          tx.select().from(s.interfaces),
          tx.select().from(s.links),
          tx.select().from(s.linkEnds),
          tx.select().from(s.powerNodes),
          tx.select().from(s.powerEdges),
          tx.select().from(s.psuConnections),
          tx.select().from(s.coolingUnits),
          tx.select().from(s.coolingServedAreas),
          tx.select().from(s.tpuPods),
          tx.select().from(s.tpuChips),
          tx.select().from(s.tpuIciLinks),
        ]);
      const siteSlug = new Map(sites.map((x) => [x.id, x.slug]));
      const zoneRefById = new Map(zones.map((z) => [z.id, { site: need(siteSlug, z.siteId, 'site'), name: z.name }]));
      const hallRefById = new Map(halls.map((h) => [h.id, { site: need(siteSlug, h.siteId, 'site'), hall: h.slug }]));
      const rowRefById = new Map(rows.map((r) => [r.id, { ...need(hallRefById, r.hallId, 'hall'), row: r.name }]));
      const rackRefById = new Map(racks.map((r) => [r.id, { ...need(hallRefById, r.hallId, 'hall'), rack: r.name }]));
      const makerName = new Map(makers.map((m) => [m.id, m.name]));
      const modelName = new Map(models.map((m) => [m.id, m.name]));
      const typeSlug = new Map(types.map((t) => [t.id, t.slug]));
      const deviceName = new Map(devices.map((d) => [d.id, d.name]));
      const fabricRefById = new Map(fabrics.map((f) => [f.id, { site: need(siteSlug, f.siteId, 'site'), name: f.name }]));
      const interfaceRefById = new Map(interfaces.map((i) => [i.id, { device: need(deviceName, i.deviceId, 'device'), interface: i.name }]));
      const nodeRefById = new Map(nodes.map((n) => [n.id, { site: need(siteSlug, n.siteId, 'site'), name: n.name }]));
      const unitRefById = new Map(units.map((u) => [u.id, { site: need(siteSlug, u.siteId, 'site'), name: u.name }]));
      const zoneOf = (id: number | null) => (id === null ? null : need(zoneRefById, id, 'security zone'));
      const rackOf = (id: number | null) => (id === null ? null : need(rackRefById, id, 'rack'));
      const podName = new Map(pods.map((p) => [p.id, p.name]));
      const acceleratorOf = new Map(accelerators.map((a) => [a.id, a]));
      const chipById = new Map(chips.map((c) => [c.acceleratorId, c]));
      const position = (chipId: number) => {
        const c = need(chipById, chipId, 'TPU chip');
        return { x: c.x, y: c.y, z: c.z };
      };
      const endsByLink = new Map<number, { a: { device: string; interface: string } | null; b: { device: string; interface: string } | null }>();
      for (const end of linkEnds) {
        const entry = endsByLink.get(end.linkId) ?? { a: null, b: null };
        entry[end.end === 'a' ? 'a' : 'b'] = need(interfaceRefById, end.interfaceId, 'interface');
        endsByLink.set(end.linkId, entry);
      }

      const document: InventoryDocument = {
        format: INVENTORY_FORMAT,
        version: INVENTORY_VERSION,
        exportedAt: new Date().toISOString(),
        sites: sortBy(
          sites.map((x) => ({ slug: x.slug, name: x.name, address: x.address, timeZone: x.timeZone, utilityCapacityKw: x.utilityCapacityKw, pueTarget: x.pueTarget, createdAt: iso(x.createdAt), updatedAt: iso(x.updatedAt) })),
          (x) => [x.slug],
        ),
        securityZones: sortBy(
          zones.map((z) => ({ site: need(siteSlug, z.siteId, 'site'), name: z.name, accessLevel: z.accessLevel, description: z.description, createdAt: iso(z.createdAt), updatedAt: iso(z.updatedAt) })),
          (x) => [x.site, x.name],
        ),
        halls: sortBy(
          halls.map((h) => ({
            site: need(siteSlug, h.siteId, 'site'),
            slug: h.slug,
            name: h.name,
            coolingType: h.coolingType,
            designItLoadKw: h.designItLoadKw,
            gridColumns: h.gridColumns,
            gridRows: h.gridRows,
            securityZone: zoneOf(h.securityZoneId),
            createdAt: iso(h.createdAt),
            updatedAt: iso(h.updatedAt),
          })),
          (x) => [x.site, x.slug],
        ),
        rows: sortBy(
          rows.map((r) => ({ ...need(hallRefById, r.hallId, 'hall'), name: r.name, gridX: r.gridX, gridY: r.gridY, coldAisleSide: r.coldAisleSide, createdAt: iso(r.createdAt), updatedAt: iso(r.updatedAt) })),
          (x) => [x.site, x.hall, x.name],
        ),
        racks: sortBy(
          racks.map((r) => ({
            ...need(hallRefById, r.hallId, 'hall'),
            row: need(rowRefById, r.rowId, 'row').row,
            name: r.name,
            positionInRow: r.positionInRow,
            uHeight: r.uHeight,
            maxPowerKw: r.maxPowerKw,
            maxWeightKg: r.maxWeightKg,
            coolingKind: r.coolingKind,
            securityZone: zoneOf(r.securityZoneId),
            status: r.status,
            createdAt: iso(r.createdAt),
            updatedAt: iso(r.updatedAt),
          })),
          (x) => [x.site, x.hall, x.name],
        ),
        manufacturers: sortBy(
          makers.map((m) => ({ name: m.name, slug: m.slug })),
          (x) => [x.name],
        ),
        deviceTypes: sortBy(
          types.map((t) => ({
            manufacturer: need(makerName, t.manufacturerId, 'manufacturer'),
            model: t.model,
            slug: t.slug,
            partNumber: t.partNumber,
            kind: t.kind,
            uHeight: t.uHeight,
            isFullDepth: t.isFullDepth,
            airflow: t.airflow,
            weightKg: t.weightKg,
            nameplatePowerW: t.nameplatePowerW,
            typicalPowerW: t.typicalPowerW,
            psuTemplates: t.psuTemplates,
            interfaceTemplates: t.interfaceTemplates,
            acceleratorSlots: t.acceleratorSlots,
            acceleratorModel: t.acceleratorModelId === null ? null : need(modelName, t.acceleratorModelId, 'accelerator model'),
            source: t.source,
            sourceHash: t.sourceHash,
            createdAt: iso(t.createdAt),
          })),
          (x) => [x.slug],
        ),
        acceleratorModels: sortBy(
          models.map((m) => ({ name: m.name, vendor: m.vendor, memoryGib: m.memoryGib, tdpW: m.tdpW, formFactor: m.formFactor })),
          (x) => [x.name],
        ),
        devices: sortBy(
          devices.map((d) => ({
            name: d.name,
            type: need(typeSlug, d.deviceTypeId, 'device type'),
            rack: rackOf(d.rackId),
            position: d.position,
            face: d.face,
            uHeight: d.uHeight,
            isFullDepth: d.isFullDepth,
            weightKg: d.weightKg,
            serial: d.serial,
            assetTag: d.assetTag,
            status: d.status,
            hostname: d.hostname,
            bmcAddress: d.bmcAddress,
            createdAt: iso(d.createdAt),
            updatedAt: iso(d.updatedAt),
          })),
          (x) => [x.name],
        ),
        accelerators: sortBy(
          accelerators.map((a) => ({
            device: need(deviceName, a.deviceId, 'device'),
            index: a.index,
            uuid: a.uuid,
            model: need(modelName, a.modelId, 'accelerator model'),
            nvlinkDomain: a.nvlinkDomain,
            health: a.health,
            sharingMode: a.sharingMode,
            computePartition: a.computePartition,
            memoryPartition: a.memoryPartition,
          })),
          (x) => [x.device, x.index],
        ),
        storageSystems: sortBy(
          storage.map((x) => ({
            name: x.name,
            kind: x.kind,
            device: x.deviceId === null ? null : need(deviceName, x.deviceId, 'device'),
            // fabric_id has no foreign key: an id that names no fabric is exported as null.
            fabric: x.fabricId === null ? null : (fabricRefById.get(x.fabricId) ?? null),
            rawCapacityTb: x.rawCapacityTb,
            usableCapacityTb: x.usableCapacityTb,
            throughputGbps: x.throughputGbps,
          })),
          (x) => [x.name],
        ),
        fabrics: sortBy(
          fabrics.map((f) => ({ site: need(siteSlug, f.siteId, 'site'), name: f.name, purpose: f.purpose, topology: f.topology })),
          (x) => [x.site, x.name],
        ),
        fabricMembers: sortBy(
          members.map((m) => ({ fabric: need(fabricRefById, m.fabricId, 'fabric'), device: need(deviceName, m.deviceId, 'device'), tier: m.tier })),
          (x) => [x.fabric.site, x.fabric.name, x.device],
        ),
        interfaces: sortBy(
          interfaces.map((i) => ({
            device: need(deviceName, i.deviceId, 'device'),
            name: i.name,
            kind: i.kind,
            speedGbps: i.speedGbps,
            fabric: i.fabricId === null ? null : need(fabricRefById, i.fabricId, 'fabric'),
            enabled: i.enabled,
          })),
          (x) => [x.device, x.name],
        ),
        links: sortBy(
          links.map((l) => ({ ...(endsByLink.get(l.id) ?? { a: null, b: null }), status: l.status, label: l.label })),
          (x) => [x.a?.device, x.a?.interface, x.b?.device, x.b?.interface, x.status, x.label],
        ),
        powerNodes: sortBy(
          nodes.map((n) => ({
            site: need(siteSlug, n.siteId, 'site'),
            name: n.name,
            kind: n.kind,
            side: n.side,
            capacityKw: n.capacityKw,
            voltageV: n.voltageV,
            amperageA: n.amperageA,
            phase: n.phase,
            maxUtilizationPct: n.maxUtilizationPct,
            efficiencyPct: n.efficiencyPct,
            batteryRuntimeMin: n.batteryRuntimeMin,
            outlets: n.outlets,
            rack: rackOf(n.rackId),
            device: n.deviceId === null ? null : need(deviceName, n.deviceId, 'device'),
          })),
          (x) => [x.site, x.name],
        ),
        powerEdges: sortBy(
          edges.map((e) => ({ upstream: need(nodeRefById, e.upstreamId, 'power node'), downstream: need(nodeRefById, e.downstreamId, 'power node'), priority: e.priority })),
          (x) => [x.upstream.site, x.upstream.name, x.downstream.site, x.downstream.name],
        ),
        psuConnections: sortBy(
          psus.map((p) => ({ device: need(deviceName, p.deviceId, 'device'), psuName: p.psuName, rackPdu: need(nodeRefById, p.rackPduId, 'power node'), side: p.side, maximumDrawW: p.maximumDrawW })),
          (x) => [x.device, x.psuName],
        ),
        coolingUnits: sortBy(
          units.map((u) => ({ site: need(siteSlug, u.siteId, 'site'), name: u.name, kind: u.kind, capacityKw: u.capacityKw, supplySetpointC: u.supplySetpointC, redundancyGroup: u.redundancyGroup, status: u.status })),
          (x) => [x.site, x.name],
        ),
        coolingServedAreas: sortBy(
          areas.map((a) => ({
            unit: need(unitRefById, a.unitId, 'cooling unit'),
            hall: a.hallId === null ? null : need(hallRefById, a.hallId, 'hall'),
            row: a.rowId === null ? null : need(rowRefById, a.rowId, 'row'),
            rack: rackOf(a.rackId),
          })),
          (x) => [x.unit.site, x.unit.name, JSON.stringify([x.hall, x.row, x.rack])],
        ),
        tpuPods: sortBy(
          pods.map((p) => ({
            name: p.name,
            ...need(hallRefById, p.hallId, 'hall'),
            generation: p.generation,
            torus: p.torus,
            dims: [p.dimX, p.dimY, p.dimZ] as [number, number, number],
            cubeEdge: p.cubeEdge,
            wrapX: p.wrapX,
            wrapY: p.wrapY,
            createdAt: iso(p.createdAt),
          })),
          (x) => [x.name],
        ),
        tpuChips: sortBy(
          chips.map((c) => {
            const accelerator = need(acceleratorOf, c.acceleratorId, 'accelerator');
            return { pod: need(podName, c.podId, 'TPU pod'), device: need(deviceName, accelerator.deviceId, 'device'), index: accelerator.index, x: c.x, y: c.y, z: c.z };
          }),
          (x) => [x.pod, x.z, x.y, x.x],
        ),
        // Each link's ends in coordinate order (z, y, x), not by database id: ids differ between databases.
        tpuIciLinks: sortBy(
          iciLinks.map((l) => {
            const [a, b] = sortBy([position(l.chipA), position(l.chipB)], (p) => [p.z, p.y, p.x]);
            return { pod: need(podName, l.podId, 'TPU pod'), a: a!, b: b!, state: l.state, changedAt: iso(l.changedAt) };
          }),
          (x) => [x.pod, x.a.z, x.a.y, x.a.x, x.b.z, x.b.y, x.b.x],
        ),
      };
      return document;
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------------------------------------------

/** Tables that must all be empty before an import (the whole inventory, not the log or heartbeats). */
const INVENTORY_TABLES = [
  'sites',
  'security_zones',
  'halls',
  'rows',
  'racks',
  'manufacturers',
  'device_types',
  'accelerator_models',
  'devices',
  'accelerators',
  'storage_systems',
  'fabrics',
  'fabric_members',
  'interfaces',
  'links',
  'power_nodes',
  'power_edges',
  'psu_connections',
  'cooling_units',
  'cooling_served_areas',
  'tpu_pods',
  'tpu_chips',
  'tpu_ici_links',
] as const;

export type InventoryCounts = Record<InventorySection, number>;
export type InventoryImportResult = { dryRun: boolean; counts: InventoryCounts };

/** Row counts of the inventory tables that hold anything. */
export async function inventoryRowCounts(db: Db | Tx): Promise<Record<string, number>> {
  const selects = INVENTORY_TABLES.map((table) => sql`(SELECT count(*)::int FROM ${sql.identifier(table)}) AS ${sql.identifier(table)}`);
  const result = await db.execute<Record<string, number>>(sql`SELECT ${sql.join(selects, sql`, `)}`);
  return Object.fromEntries(Object.entries(result.rows[0] ?? {}).filter(([, n]) => Number(n) > 0)) as Record<string, number>;
}

class DryRunRollback extends Error {
  constructor(readonly result: InventoryImportResult) {
    super('dry run');
  }
}

type PgError = { code?: string; constraint?: string; column?: string; message?: string };

function pgErrorOf(error: unknown): PgError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const candidate = current as PgError & { cause?: unknown };
    if (typeof candidate.code === 'string' && /^[0-9A-Z]{5}$/.test(candidate.code)) return candidate;
    current = candidate.cause;
  }
  return undefined;
}

/** The document field a database rule concerns. */
const CONSTRAINT_FIELD: Record<string, string> = {
  sites_utility_capacity_positive: 'utilityCapacityKw',
  sites_pue_target_range: 'pueTarget',
  halls_design_load_positive: 'designItLoadKw',
  halls_grid_positive: 'gridColumns',
  rows_grid_non_negative: 'gridX',
  racks_u_height_range: 'uHeight',
  racks_position_non_negative: 'positionInRow',
  racks_row_position: 'positionInRow',
  racks_max_power_positive: 'maxPowerKw',
  racks_max_weight_positive: 'maxWeightKg',
  device_types_u_height_range: 'uHeight',
  device_types_weight_non_negative: 'weightKg',
  device_types_power_non_negative: 'nameplatePowerW',
  device_types_typical_le_nameplate: 'typicalPowerW',
  devices_placement_complete: 'rack',
  devices_position_positive: 'position',
  devices_no_overlap_front: 'position',
  devices_no_overlap_rear: 'position',
  devices_fit_in_rack: 'position',
  devices_rack_weight: 'weightKg',
  devices_asset_tag_unique: 'assetTag',
  devices_hostname_unique: 'hostname',
  accelerators_index_range: 'index',
  accelerators_uuid_unique: 'uuid',
  storage_usable_le_raw: 'usableCapacityTb',
  interfaces_speed_positive: 'speedGbps',
  power_nodes_has_capacity: 'capacityKw',
  power_nodes_max_util_range: 'maxUtilizationPct',
  power_nodes_efficiency_range: 'efficiencyPct',
  power_nodes_rack_pdu_has_rack: 'rack',
  power_nodes_outlets_range: 'outlets',
  power_edges_no_self_loop: 'downstream',
  psu_connections_draw_positive: 'maximumDrawW',
  cooling_units_capacity_positive: 'capacityKw',
  cooling_units_setpoint_range: 'supplySetpointC',
  cooling_served_exactly_one: 'hall',
  tpu_pods_dims_positive: 'dims',
  tpu_pods_2d_flat: 'dims',
  tpu_pods_3d_cubes: 'cubeEdge',
  tpu_chips_position_unique: 'x',
  tpu_chips_coordinates_non_negative: 'x',
  tpu_ici_links_pair_unique: 'b',
};

function describePgError(pg: PgError): { field?: string; reason: string } {
  const field = pg.constraint ? CONSTRAINT_FIELD[pg.constraint] : undefined;
  if (pg.code === '23505') return { field, reason: `is already used by another entry (${pg.constraint ?? 'unique'})` };
  if (pg.code === '23514' && pg.message && !pg.message.startsWith('new row for relation')) return { field, reason: pg.message };
  return { field, reason: pg.constraint ? `breaks the database rule ${pg.constraint}` : (pg.message ?? 'breaks a database rule') };
}

type Explain = (index: number, pg: PgError) => InventoryIssue;

/**
 * Inserts rows in batches, each batch behind a savepoint. When a batch breaks a database rule, its rows are
 * inserted one at a time to find the first that does, which is reported by its document path.
 */
async function insertChecked(tx: Tx, table: PgTable, values: Record<string, unknown>[], section: string, explain?: Explain): Promise<void> {
  const BATCH = 1000;
  for (let start = 0; start < values.length; start += BATCH) {
    const batch = values.slice(start, start + BATCH);
    try {
      await tx.transaction(async (sp) => {
        await sp.insert(table).values(batch as never);
      });
    } catch (error) {
      if (!pgErrorOf(error)?.code?.startsWith('23')) throw error;
      for (let j = 0; j < batch.length; j++) {
        try {
          await tx.transaction(async (sp) => {
            await sp.insert(table).values(batch[j] as never);
          });
        } catch (rowError) {
          const pg = pgErrorOf(rowError);
          if (!pg?.code?.startsWith('23')) throw rowError;
          const index = start + j;
          if (explain) throw new InventoryImportError([explain(index, pg)]);
          const { field, reason } = describePgError(pg);
          throw new InventoryImportError([{ field: `${section}.${index}${field ? `.${field}` : ''}`, reason }]);
        }
      }
      throw error;
    }
  }
}

/** `count` fresh ids from a table's serial sequence, so rows can reference each other before they are written. */
async function allocateIds(tx: Tx, table: string, count: number): Promise<number[]> {
  if (count === 0) return [];
  const result = await tx.execute<{ id: number }>(sql`SELECT nextval(pg_get_serial_sequence(${table}, 'id'))::int AS id FROM generate_series(1, ${count})`);
  return result.rows.map((r) => Number(r.id));
}

const k = (...parts: unknown[]) => parts.map(String).join('\u0000');

/** Builds the natural key → id map of one section, reporting duplicate keys. */
function keyed<T>(items: T[], ids: number[], keyOf: (item: T) => string, section: string, what: string, issues: InventoryIssue[]): Map<string, number> {
  const map = new Map<string, number>();
  const first = new Map<string, number>();
  items.forEach((item, i) => {
    const key = keyOf(item);
    const earlier = first.get(key);
    if (earlier !== undefined) issues.push({ field: `${section}.${i}`, reason: `duplicates ${section}.${earlier} (same ${what})` });
    else {
      first.set(key, i);
      map.set(key, ids[i]!);
    }
  });
  return map;
}

const date = (value: string | undefined) => (value === undefined ? undefined : new Date(value));

function span(position: number, uHeight: number): string {
  const top = position + Math.max(uHeight, 1) - 1;
  return top > position ? `U${position}-U${top}` : `U${position}`;
}

/**
 * Imports a document into an EMPTY inventory, in one transaction. `dryRun` does everything, then rolls back.
 * Throws InventoryImportError (paths and reasons) or InventoryNotEmptyError; on either, nothing is written.
 */
export async function importInventory(db: Db, input: unknown, options: { actor: string; dryRun?: boolean }): Promise<InventoryImportResult> {
  const doc = parseInventoryDocument(input);
  const counts = Object.fromEntries(INVENTORY_SECTIONS.map((section) => [section, doc[section].length])) as InventoryCounts;
  try {
    return await db.transaction(async (tx) => {
      // Serialises imports and the start-up seed: both look for an empty inventory before writing.
      await tx.execute(sql`LOCK TABLE sites IN ACCESS EXCLUSIVE MODE`);
      const present = await inventoryRowCounts(tx);
      if (Object.keys(present).length > 0) {
        const what = Object.entries(present)
          .map(([table, n]) => `${n} ${table.replace(/_/g, ' ')}`)
          .join(', ');
        throw new InventoryNotEmptyError(
          `the inventory is not empty (${what}); import only into an empty database (start a new instance with PLENUM_SEED=none, then import)`,
        );
      }
      await writeDocument(tx, doc);
      await recordChange(tx, {
        actor: options.actor,
        action: 'create',
        objectType: 'inventory',
        objectId: 'import',
        after: { format: doc.format, version: doc.version, exportedAt: doc.exportedAt ?? null, counts },
      });
      const result = { dryRun: options.dryRun === true, counts };
      if (options.dryRun) throw new DryRunRollback(result);
      return result;
    });
  } catch (error) {
    if (error instanceof DryRunRollback) return error.result;
    throw error;
  }
}

async function writeDocument(tx: Tx, doc: InventoryDocument): Promise<void> {
  const issues: InventoryIssue[] = [];
  const ids = {
    sites: await allocateIds(tx, 'sites', doc.sites.length),
    zones: await allocateIds(tx, 'security_zones', doc.securityZones.length),
    halls: await allocateIds(tx, 'halls', doc.halls.length),
    rows: await allocateIds(tx, 'rows', doc.rows.length),
    racks: await allocateIds(tx, 'racks', doc.racks.length),
    makers: await allocateIds(tx, 'manufacturers', doc.manufacturers.length),
    models: await allocateIds(tx, 'accelerator_models', doc.acceleratorModels.length),
    types: await allocateIds(tx, 'device_types', doc.deviceTypes.length),
    devices: await allocateIds(tx, 'devices', doc.devices.length),
    accelerators: await allocateIds(tx, 'accelerators', doc.accelerators.length),
    pods: await allocateIds(tx, 'tpu_pods', doc.tpuPods.length),
    fabrics: await allocateIds(tx, 'fabrics', doc.fabrics.length),
    interfaces: await allocateIds(tx, 'interfaces', doc.interfaces.length),
    links: await allocateIds(tx, 'links', doc.links.length),
    nodes: await allocateIds(tx, 'power_nodes', doc.powerNodes.length),
    units: await allocateIds(tx, 'cooling_units', doc.coolingUnits.length),
  };

  const siteId = keyed(doc.sites, ids.sites, (x) => x.slug, 'sites', 'slug', issues);
  const zoneId = keyed(doc.securityZones, ids.zones, (x) => k(x.site, x.name), 'securityZones', 'site and name', issues);
  const hallId = keyed(doc.halls, ids.halls, (x) => k(x.site, x.slug), 'halls', 'site and slug', issues);
  const rowId = keyed(doc.rows, ids.rows, (x) => k(x.site, x.hall, x.name), 'rows', 'site, hall and name', issues);
  const rackId = keyed(doc.racks, ids.racks, (x) => k(x.site, x.hall, x.name), 'racks', 'site, hall and name', issues);
  const makerId = keyed(doc.manufacturers, ids.makers, (x) => x.name, 'manufacturers', 'name', issues);
  const modelId = keyed(doc.acceleratorModels, ids.models, (x) => x.name, 'acceleratorModels', 'name', issues);
  const typeId = keyed(doc.deviceTypes, ids.types, (x) => x.slug, 'deviceTypes', 'slug', issues);
  const deviceId = keyed(doc.devices, ids.devices, (x) => x.name, 'devices', 'name', issues);
  const fabricId = keyed(doc.fabrics, ids.fabrics, (x) => k(x.site, x.name), 'fabrics', 'site and name', issues);
  const interfaceId = keyed(doc.interfaces, ids.interfaces, (x) => k(x.device, x.name), 'interfaces', 'device and name', issues);
  const nodeId = keyed(doc.powerNodes, ids.nodes, (x) => k(x.site, x.name), 'powerNodes', 'site and name', issues);
  const unitId = keyed(doc.coolingUnits, ids.units, (x) => k(x.site, x.name), 'coolingUnits', 'site and name', issues);

  /** Resolves a reference, or records why it does not resolve and returns 0 (nothing is written then). */
  function ref(map: Map<string, number>, keyParts: unknown[], path: string, describe: string): number {
    const id = map.get(k(...keyParts));
    if (id === undefined) {
      issues.push({ field: path, reason: `names ${describe}, which is not in the document` });
      return 0;
    }
    return id;
  }
  const refSite = (slug: string, path: string) => ref(siteId, [slug], path, `site "${slug}"`);
  const refZone = (z: { site: string; name: string } | null, path: string) => (z ? ref(zoneId, [z.site, z.name], path, `security zone "${z.name}" of site "${z.site}"`) : null);
  const refHall = (h: { site: string; hall: string }, path: string) => ref(hallId, [h.site, h.hall], path, `hall "${h.hall}" of site "${h.site}"`);
  const refRow = (r: { site: string; hall: string; row: string }, path: string) => ref(rowId, [r.site, r.hall, r.row], path, `row "${r.row}" of hall "${r.hall}" (site "${r.site}")`);
  const refRack = (r: { site: string; hall: string; rack: string } | null, path: string) =>
    r ? ref(rackId, [r.site, r.hall, r.rack], path, `rack "${r.rack}" of hall "${r.hall}" (site "${r.site}")`) : null;
  const refDevice = (name: string, path: string) => ref(deviceId, [name], path, `device "${name}"`);
  const refFabric = (f: { site: string; name: string } | null, path: string) => (f ? ref(fabricId, [f.site, f.name], path, `fabric "${f.name}" of site "${f.site}"`) : null);
  const refNode = (n: { site: string; name: string }, path: string) => ref(nodeId, [n.site, n.name], path, `power node "${n.name}" of site "${n.site}"`);
  const refInterface = (i: { device: string; interface: string }, path: string) => ref(interfaceId, [i.device, i.interface], path, `interface "${i.interface}" of device "${i.device}"`);

  const siteRows = doc.sites.map((x, i) => ({ id: ids.sites[i], ...x, createdAt: date(x.createdAt), updatedAt: date(x.updatedAt) }));
  const zoneRows = doc.securityZones.map((x, i) => ({
    id: ids.zones[i],
    siteId: refSite(x.site, `securityZones.${i}.site`),
    name: x.name,
    accessLevel: x.accessLevel,
    description: x.description,
    createdAt: date(x.createdAt),
    updatedAt: date(x.updatedAt),
  }));
  const hallRows = doc.halls.map((x, i) => ({
    id: ids.halls[i],
    siteId: refSite(x.site, `halls.${i}.site`),
    slug: x.slug,
    name: x.name,
    coolingType: x.coolingType,
    designItLoadKw: x.designItLoadKw,
    gridColumns: x.gridColumns,
    gridRows: x.gridRows,
    securityZoneId: refZone(x.securityZone, `halls.${i}.securityZone`),
    createdAt: date(x.createdAt),
    updatedAt: date(x.updatedAt),
  }));
  const rowRows = doc.rows.map((x, i) => ({
    id: ids.rows[i],
    hallId: refHall(x, `rows.${i}.hall`),
    name: x.name,
    gridX: x.gridX,
    gridY: x.gridY,
    coldAisleSide: x.coldAisleSide,
    createdAt: date(x.createdAt),
    updatedAt: date(x.updatedAt),
  }));
  const rackRows = doc.racks.map((x, i) => ({
    id: ids.racks[i],
    hallId: refHall(x, `racks.${i}.hall`),
    rowId: refRow({ site: x.site, hall: x.hall, row: x.row }, `racks.${i}.row`),
    name: x.name,
    positionInRow: x.positionInRow,
    uHeight: x.uHeight,
    maxPowerKw: x.maxPowerKw,
    maxWeightKg: x.maxWeightKg,
    coolingKind: x.coolingKind,
    securityZoneId: refZone(x.securityZone, `racks.${i}.securityZone`),
    status: x.status,
    createdAt: date(x.createdAt),
    updatedAt: date(x.updatedAt),
  }));
  const makerRows = doc.manufacturers.map((x, i) => ({ id: ids.makers[i], name: x.name, slug: x.slug }));
  const modelRows = doc.acceleratorModels.map((x, i) => ({ id: ids.models[i], ...x }));
  const typeRows = doc.deviceTypes.map((x, i) => ({
    id: ids.types[i],
    manufacturerId: ref(makerId, [x.manufacturer], `deviceTypes.${i}.manufacturer`, `manufacturer "${x.manufacturer}"`),
    model: x.model,
    slug: x.slug,
    partNumber: x.partNumber,
    kind: x.kind,
    uHeight: x.uHeight,
    isFullDepth: x.isFullDepth,
    airflow: x.airflow,
    weightKg: x.weightKg,
    nameplatePowerW: x.nameplatePowerW,
    typicalPowerW: x.typicalPowerW,
    psuTemplates: x.psuTemplates,
    interfaceTemplates: x.interfaceTemplates,
    acceleratorSlots: x.acceleratorSlots,
    acceleratorModelId: x.acceleratorModel === null ? null : ref(modelId, [x.acceleratorModel], `deviceTypes.${i}.acceleratorModel`, `accelerator model "${x.acceleratorModel}"`),
    source: x.source,
    sourceHash: x.sourceHash,
    createdAt: date(x.createdAt),
  }));
  const typeBySlug = new Map(doc.deviceTypes.map((t) => [t.slug, t]));
  const deviceRows = doc.devices.map((x, i) => {
    const type = typeBySlug.get(x.type);
    if (!type) issues.push({ field: `devices.${i}.type`, reason: `names device type "${x.type}", which is not in the document` });
    return {
      id: ids.devices[i],
      deviceTypeId: typeId.get(x.type) ?? 0,
      rackId: refRack(x.rack, `devices.${i}.rack`),
      position: x.position,
      face: x.face,
      uHeight: x.uHeight ?? type?.uHeight ?? 0,
      isFullDepth: x.isFullDepth ?? type?.isFullDepth ?? true,
      weightKg: x.weightKg ?? type?.weightKg ?? 0,
      name: x.name,
      serial: x.serial,
      assetTag: x.assetTag,
      status: x.status,
      hostname: x.hostname,
      bmcAddress: x.bmcAddress,
      createdAt: date(x.createdAt),
      updatedAt: date(x.updatedAt),
    };
  });
  const acceleratorId = keyed(doc.accelerators, ids.accelerators, (x) => k(x.device, x.index), 'accelerators', 'device and index', issues);
  const acceleratorRows = doc.accelerators.map((x, i) => ({
    id: ids.accelerators[i],
    deviceId: refDevice(x.device, `accelerators.${i}.device`),
    index: x.index,
    uuid: x.uuid,
    modelId: ref(modelId, [x.model], `accelerators.${i}.model`, `accelerator model "${x.model}"`),
    nvlinkDomain: x.nvlinkDomain,
    health: x.health,
    sharingMode: x.sharingMode,
    computePartition: x.computePartition,
    memoryPartition: x.memoryPartition,
  }));
  const fabricRows = doc.fabrics.map((x, i) => ({ id: ids.fabrics[i], siteId: refSite(x.site, `fabrics.${i}.site`), name: x.name, purpose: x.purpose, topology: x.topology }));
  const storageRows = doc.storageSystems.map((x, i) => ({
    name: x.name,
    kind: x.kind,
    deviceId: x.device === null ? null : refDevice(x.device, `storageSystems.${i}.device`),
    fabricId: refFabric(x.fabric, `storageSystems.${i}.fabric`),
    rawCapacityTb: x.rawCapacityTb,
    usableCapacityTb: x.usableCapacityTb,
    throughputGbps: x.throughputGbps,
  }));
  const memberRows = doc.fabricMembers.map((x, i) => ({ fabricId: refFabric(x.fabric, `fabricMembers.${i}.fabric`)!, deviceId: refDevice(x.device, `fabricMembers.${i}.device`), tier: x.tier }));
  const interfaceRows = doc.interfaces.map((x, i) => ({
    id: ids.interfaces[i],
    deviceId: refDevice(x.device, `interfaces.${i}.device`),
    name: x.name,
    kind: x.kind,
    speedGbps: x.speedGbps,
    fabricId: refFabric(x.fabric, `interfaces.${i}.fabric`),
    enabled: x.enabled,
  }));
  const linkRows = doc.links.map((x, i) => ({ id: ids.links[i], status: x.status, label: x.label }));
  const linkEndRows: { linkId: number; end: 'a' | 'b'; interfaceId: number; path: string }[] = [];
  doc.links.forEach((x, i) => {
    for (const end of ['a', 'b'] as const) {
      const target = x[end];
      if (target) linkEndRows.push({ linkId: ids.links[i]!, end, interfaceId: refInterface(target, `links.${i}.${end}`), path: `links.${i}.${end}` });
    }
  });
  const nodeRows = doc.powerNodes.map((x, i) => ({
    id: ids.nodes[i],
    siteId: refSite(x.site, `powerNodes.${i}.site`),
    kind: x.kind,
    name: x.name,
    side: x.side,
    capacityKw: x.capacityKw,
    voltageV: x.voltageV,
    amperageA: x.amperageA,
    phase: x.phase,
    maxUtilizationPct: x.maxUtilizationPct,
    efficiencyPct: x.efficiencyPct,
    batteryRuntimeMin: x.batteryRuntimeMin,
    outlets: x.outlets,
    rackId: refRack(x.rack, `powerNodes.${i}.rack`),
    deviceId: x.device === null ? null : refDevice(x.device, `powerNodes.${i}.device`),
  }));
  const edgeRows = doc.powerEdges.map((x, i) => ({ upstreamId: refNode(x.upstream, `powerEdges.${i}.upstream`), downstreamId: refNode(x.downstream, `powerEdges.${i}.downstream`), priority: x.priority }));
  const psuRows = doc.psuConnections.map((x, i) => ({
    deviceId: refDevice(x.device, `psuConnections.${i}.device`),
    psuName: x.psuName,
    rackPduId: refNode(x.rackPdu, `psuConnections.${i}.rackPdu`),
    side: x.side,
    maximumDrawW: x.maximumDrawW,
  }));
  const unitRows = doc.coolingUnits.map(({ site, ...x }, i) => ({ id: ids.units[i], siteId: refSite(site, `coolingUnits.${i}.site`), ...x }));
  const areaRows = doc.coolingServedAreas.map((x, i) => ({
    unitId: ref(unitId, [x.unit.site, x.unit.name], `coolingServedAreas.${i}.unit`, `cooling unit "${x.unit.name}" of site "${x.unit.site}"`),
    hallId: x.hall ? refHall(x.hall, `coolingServedAreas.${i}.hall`) : null,
    rowId: x.row ? refRow(x.row, `coolingServedAreas.${i}.row`) : null,
    rackId: refRack(x.rack, `coolingServedAreas.${i}.rack`),
  }));

  const { podRows, chipRows, iciLinkRows } = tpuRows(doc, ids.pods, acceleratorId, refHall, issues);

  if (issues.length > 0) throw new InventoryImportError(capped(issues));

  /** Why device `index` could not be placed: which earlier device of the document holds those units. */
  const explainDevice: Explain = (index, pg) => {
    const d = deviceRows[index]!;
    const path = `devices.${index}`;
    if (pg.constraint === 'devices_no_overlap_front' || pg.constraint === 'devices_no_overlap_rear') {
      const holder = deviceRows.findIndex(
        (o, j) =>
          j !== index &&
          o.rackId === d.rackId &&
          o.position !== null &&
          d.position !== null &&
          o.uHeight > 0 &&
          o.position < d.position + Math.max(d.uHeight, 1) &&
          d.position < o.position + Math.max(o.uHeight, 1) &&
          (o.isFullDepth || d.isFullDepth || o.face === d.face),
      );
      const h = deviceRows[holder];
      return {
        field: `${path}.position`,
        reason: h
          ? `${span(d.position!, d.uHeight)} (${d.face}) overlaps devices.${holder} "${h.name}" at ${span(h.position!, h.uHeight)} (${h.face}) in the same rack`
          : `${span(d.position!, d.uHeight)} overlaps another device in the same rack`,
      };
    }
    const { field, reason } = describePgError(pg);
    return { field: `${path}${field ? `.${field}` : ''}`, reason };
  };

  await insertChecked(tx, s.sites, siteRows, 'sites');
  await insertChecked(tx, s.securityZones, zoneRows, 'securityZones');
  await insertChecked(tx, s.halls, hallRows, 'halls');
  await insertChecked(tx, s.rows, rowRows, 'rows');
  await insertChecked(tx, s.racks, rackRows, 'racks');
  await insertChecked(tx, s.manufacturers, makerRows, 'manufacturers');
  await insertChecked(tx, s.acceleratorModels, modelRows, 'acceleratorModels');
  await insertChecked(tx, s.deviceTypes, typeRows, 'deviceTypes');
  await insertChecked(tx, s.devices, deviceRows, 'devices', explainDevice);
  await insertChecked(tx, s.accelerators, acceleratorRows, 'accelerators');
  await insertChecked(tx, s.fabrics, fabricRows, 'fabrics');
  await insertChecked(tx, s.storageSystems, storageRows, 'storageSystems');
  await insertChecked(tx, s.fabricMembers, memberRows, 'fabricMembers');
  await insertChecked(tx, s.interfaces, interfaceRows, 'interfaces');
  await insertChecked(tx, s.links, linkRows, 'links');
  await insertChecked(
    tx,
    s.linkEnds,
    linkEndRows.map(({ path: _path, ...rest }) => rest),
    'links',
    (index, pg) => ({
      field: linkEndRows[index]!.path,
      reason: pg.code === '23505' ? 'is an interface already cabled by another link' : describePgError(pg).reason,
    }),
  );
  await insertChecked(tx, s.powerNodes, nodeRows, 'powerNodes');
  await insertChecked(tx, s.powerEdges, edgeRows, 'powerEdges');
  await insertChecked(tx, s.psuConnections, psuRows, 'psuConnections');
  await insertChecked(tx, s.coolingUnits, unitRows, 'coolingUnits');
  await insertChecked(tx, s.coolingServedAreas, areaRows, 'coolingServedAreas');
  await insertChecked(tx, s.tpuPods, podRows, 'tpuPods');
  await insertChecked(tx, s.tpuChips, chipRows, 'tpuChips');
  await insertChecked(tx, s.tpuIciLinks, iciLinkRows, 'tpuIciLinks');
}

type TpuPodDoc = InventoryDocument['tpuPods'][number];

/**
 * The TPU sections as rows, with everything the database cannot say by itself checked first: each chip names an
 * accelerator of the document, of the pod's generation, at a position inside the pod's dimensions, one chip per
 * position; each ICI link joins two chips of its pod that are torus neighbours as the pod is wired (podLinks).
 */
function tpuRows(
  doc: InventoryDocument,
  podIds: number[],
  acceleratorId: Map<string, number>,
  refHall: (h: { site: string; hall: string }, path: string) => number,
  issues: InventoryIssue[],
) {
  const podId = keyed(doc.tpuPods, podIds, (x) => x.name, 'tpuPods', 'name', issues);
  const podByName = new Map(doc.tpuPods.map((p) => [p.name, p]));
  const refPod = (name: string, path: string): TpuPodDoc | undefined => {
    const pod = podByName.get(name);
    if (!pod) issues.push({ field: path, reason: `names TPU pod "${name}", which is not in the document` });
    return pod;
  };
  const shapeOf = (p: TpuPodDoc) => formatShape(p.dims, p.torus);
  const podRows = doc.tpuPods.map((x, i) => ({
    id: podIds[i],
    name: x.name,
    hallId: refHall(x, `tpuPods.${i}.hall`),
    generation: x.generation,
    torus: x.torus,
    dimX: x.dims[0],
    dimY: x.dims[1],
    dimZ: x.dims[2],
    cubeEdge: x.cubeEdge,
    wrapX: x.wrapX,
    wrapY: x.wrapY,
    createdAt: date(x.createdAt),
  }));

  const modelOf = new Map(doc.accelerators.map((a) => [k(a.device, a.index), a.model]));
  const chipAt = new Map<string, { accelerator: number; index: number }>();
  const chipOfAccelerator = new Map<number, number>();
  const chipRows: { acceleratorId: number; podId: number; x: number; y: number; z: number }[] = [];
  doc.tpuChips.forEach((x, i) => {
    const path = `tpuChips.${i}`;
    const pod = refPod(x.pod, `${path}.pod`);
    const accelerator = acceleratorId.get(k(x.device, x.index));
    if (accelerator === undefined) {
      issues.push({ field: `${path}.index`, reason: `names accelerator ${x.index} of device "${x.device}", which is not in the document` });
    } else if (chipOfAccelerator.has(accelerator)) {
      issues.push({ field: `${path}.index`, reason: `names the same accelerator as tpuChips.${chipOfAccelerator.get(accelerator)}` });
    } else {
      chipOfAccelerator.set(accelerator, i);
    }
    if (!pod) return;
    const chipModel = acceleratorById(pod.generation)?.model;
    const model = modelOf.get(k(x.device, x.index));
    if (model !== undefined && chipModel !== undefined && model !== chipModel) {
      issues.push({ field: `${path}.index`, reason: `is a "${model}" accelerator, not a ${chipModel} chip of pod "${pod.name}"` });
    }
    const axes = ['x', 'y', 'z'] as const;
    const outside = axes.findIndex((axis, n) => x[axis] >= pod.dims[n]!);
    if (outside >= 0) {
      const axis = axes[outside]!;
      issues.push({ field: `${path}.${axis}`, reason: `is ${x[axis]}, outside pod "${pod.name}" (${shapeOf(pod)}: ${axis} runs 0-${pod.dims[outside]! - 1})` });
      return;
    }
    const at = k(x.pod, x.x, x.y, x.z);
    const earlier = chipAt.get(at);
    if (earlier) {
      issues.push({ field: path, reason: `duplicates tpuChips.${earlier.index} (same pod and position)` });
      return;
    }
    if (accelerator === undefined) return;
    chipAt.set(at, { accelerator, index: i });
    chipRows.push({ acceleratorId: accelerator, podId: podId.get(x.pod) ?? 0, x: x.x, y: x.y, z: x.z });
  });

  // The neighbour pairs each pod is wired with, as "a|b" coordinate keys in both orders.
  const wiring = new Map<string, Set<string>>();
  const neighbours = (pod: TpuPodDoc) => {
    let pairs = wiring.get(pod.name);
    if (!pairs) {
      pairs = new Set();
      const wraps = [pod.wrapX, pod.wrapY, false] as const;
      for (const [a, b] of podLinks({ torus: pod.torus, dims: pod.dims, cubeEdge: pod.cubeEdge, wraps })) {
        pairs.add(`${a.join(',')}|${b.join(',')}`);
        pairs.add(`${b.join(',')}|${a.join(',')}`);
      }
      wiring.set(pod.name, pairs);
    }
    return pairs;
  };
  const seenLink = new Map<string, number>();
  const iciLinkRows: { podId: number; chipA: number; chipB: number; state: 'up' | 'down'; changedAt: Date | undefined }[] = [];
  doc.tpuIciLinks.forEach((x, i) => {
    const path = `tpuIciLinks.${i}`;
    const pod = refPod(x.pod, `${path}.pod`);
    if (!pod) return;
    const coord = (p: { x: number; y: number; z: number }): Coord => [p.x, p.y, p.z];
    const text = (c: Coord) => `(${c.join(', ')})`;
    const ends = (['a', 'b'] as const).map((end) => {
      const c = coord(x[end]);
      const chip = chipAt.get(k(x.pod, ...c));
      if (!chip) issues.push({ field: `${path}.${end}`, reason: `names no chip of pod "${pod.name}" at ${text(c)}` });
      return chip;
    });
    if (!ends[0] || !ends[1]) return;
    const a = coord(x.a);
    const b = coord(x.b);
    if (!neighbours(pod).has(`${a.join(',')}|${b.join(',')}`)) {
      const how = pod.torus === '3d' ? `ICI links join adjacent chips inside one ${pod.cubeEdge}×${pod.cubeEdge}×${pod.cubeEdge} cube` : 'ICI links join adjacent chips (and the ends of an axis with wrap links)';
      issues.push({ field: `${path}.b`, reason: `${text(b)} is not a torus neighbour of ${text(a)} in pod "${pod.name}" (${shapeOf(pod)}; ${how})` });
      return;
    }
    const pair = [ends[0].accelerator, ends[1].accelerator].sort((p, q) => p - q) as [number, number];
    const pairKey = pair.join(',');
    const earlier = seenLink.get(pairKey);
    if (earlier !== undefined) {
      issues.push({ field: path, reason: `duplicates tpuIciLinks.${earlier} (the same two chips)` });
      return;
    }
    seenLink.set(pairKey, i);
    iciLinkRows.push({ podId: podId.get(x.pod) ?? 0, chipA: pair[0], chipB: pair[1], state: x.state, changedAt: date(x.changedAt) });
  });
  return { podRows, chipRows, iciLinkRows };
}
