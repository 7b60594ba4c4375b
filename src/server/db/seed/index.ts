import { getTableColumns, getTableName, inArray, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { ACCELERATORS } from '@/domain/accelerators';
import type { Db } from '../client';
import * as s from '../schema';
import { seedAmdRacks } from './amd';
import { buildTpuPod } from '../../services/tpu-inventory';
import {
  GPUS_PER_HGX_SERVER,
  GPUS_PER_NVL72_TRAY,
  NVL72_COMPUTE_TRAYS,
  SEED_SCALES,
  type SeedKind,
  type SeedScale,
  seededGpuUuid,
  seedTenants,
  TPU_SEED,
  tpuHallItKw,
} from './plan';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

const SEED_LOCK_KEY = 7_041_978;
/** Outlets per rack PDU of the air-cooled racks (the simulator's default; 0U three-phase PDUs have about 24-48). */
const RACK_PDU_OUTLETS = 24;

/**
 * Inserts rows in one statement (INSERT … SELECT FROM json_to_recordset), whatever their number: the xl seed's
 * hundreds of thousands of rows go in as one parameter per table instead of row by row. Keys are the drizzle
 * property names; the record's column types are read from the catalogue, so enums, arrays and jsonb parse as such.
 * Returns the named columns of the inserted rows in insertion order.
 */
async function insertMany<T extends PgTable, R extends string = never>(
  tx: Tx,
  table: T,
  rows: T['$inferInsert'][],
  returning: Record<R, string> = {} as Record<R, string>,
): Promise<Record<R, unknown>[]> {
  if (rows.length === 0) return [];
  const columns = getTableColumns(table) as Record<string, { name: string }>;
  const keys = [...new Set(rows.flatMap((row) => Object.keys(row)))].filter((key) => columns[key]);
  const names = keys.map((key) => columns[key]!.name);
  const name = getTableName(table);
  const catalogue = await tx.execute<{ name: string; type: string; fallback: string | null }>(
    sql`SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, pg_get_expr(d.adbin, d.adrelid) AS fallback
          FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attrelid = ${name}::regclass AND a.attnum > 0 AND NOT a.attisdropped`,
  );
  const column = new Map(catalogue.rows.map((r) => [r.name, r]));
  const record = names.map((n) => `"${n}" ${column.get(n)!.type}`).join(', ');
  const list = names.map((n) => `"${n}"`).join(', ');
  // A row without a key takes the column's default, as a drizzle insert would.
  const values = names.map((n) => (column.get(n)!.fallback ? `coalesce(x."${n}", ${column.get(n)!.fallback})` : `x."${n}"`)).join(', ');
  const payload = JSON.stringify(rows.map((row) => Object.fromEntries(keys.map((key, i) => [names[i], (row as Record<string, unknown>)[key] ?? null]))));
  const back = Object.entries(returning as Record<string, string>);
  const result = await tx.execute(
    sql`${sql.raw(`INSERT INTO "${name}" (${list}) SELECT ${values} FROM json_to_recordset(`)}${payload}${sql.raw(`::json) AS x(${record})`)}${sql.raw(
      back.length ? ` RETURNING ${back.map(([alias, column]) => `"${column}" AS "${alias}"`).join(', ')}` : '',
    )}`,
  );
  return result.rows as Record<R, unknown>[];
}

/** The accelerator catalogue from the domain, as database rows (name = the catalogue's model name). */
export const ACCELERATOR_MODELS = ACCELERATORS.map((model) => ({
  name: model.model,
  vendor: model.vendor,
  memoryGib: model.memoryGib,
  tdpW: model.tdpW,
  formFactor: model.formFactor,
}));

/**
 * Seeds the demo (or large) data center when the database has no site yet. Runs in one transaction
 * under an advisory lock, so two processes starting together seed once and a failure leaves nothing.
 */
export async function seedIfEmpty(db: Db, kind: SeedKind): Promise<{ seeded: boolean; gpus: number }> {
  if (kind === 'none') return { seeded: false, gpus: 0 };
  const scale = SEED_SCALES[kind];
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${SEED_LOCK_KEY})`);
    const existing = await tx.select({ id: s.sites.id }).from(s.sites).limit(1);
    if (existing.length > 0) return { seeded: false, gpus: 0 };
    const gpus = await seedSite(tx, scale);
    return { seeded: true, gpus };
  });
}

async function seedSite(tx: Tx, scale: SeedScale): Promise<number> {
  const hallAServers = scale.hallARows * scale.racksPerHallARow * scale.serversPerHallARack;
  const tpuItKw = scale.tpuHall ? tpuHallItKw() : 0;
  const [site] = await tx
    .insert(s.sites)
    .values({
      slug: 'ams-ai-1',
      name: 'Amsterdam AI-1',
      address: 'Science Park 140, 1098 XG Amsterdam, NL',
      timeZone: 'Europe/Amsterdam',
      utilityCapacityKw: Math.ceil((hallAServers * 10.2 + scale.hallBRacks * 132 + tpuItKw) * 1.6 / 100) * 100,
      pueTarget: 1.25,
    })
    .returning();
  const siteId = site!.id;

  const zones = await tx
    .insert(s.securityZones)
    .values([
      { siteId, name: 'Lobby', accessLevel: 'public', description: 'Reception and visitor areas' },
      { siteId, name: 'Data halls', accessLevel: 'restricted', description: 'Badge + PIN; staff and escorted contractors' },
      { siteId, name: 'Tenant cage', accessLevel: 'secure', description: 'Caged racks of a single tenant; biometric entry' },
    ])
    .returning();
  const zoneId = (name: string) => zones.find((z) => z.name === name)!.id;

  const acceleratorModels = await tx.insert(s.acceleratorModels).values(ACCELERATOR_MODELS).returning();
  const modelId = (name: string) => acceleratorModels.find((m) => m.name === name)!.id;

  const makers = await tx
    .insert(s.manufacturers)
    .values([
      { name: 'Dell', slug: 'dell' },
      { name: 'NVIDIA', slug: 'nvidia' },
      { name: 'APC', slug: 'apc' },
      { name: 'VAST Data', slug: 'vast-data' },
      ...(scale.tpuHall ? [{ name: 'Google', slug: 'google' }] : []),
    ])
    .returning();
  const makerId = (name: string) => makers.find((m) => m.name === name)!.id;

  const types = await tx
    .insert(s.deviceTypes)
    .values([
      {
        manufacturerId: makerId('Dell'),
        model: 'PowerEdge XE9680',
        slug: 'dell-poweredge-xe9680',
        partNumber: 'XE9680',
        kind: 'server',
        uHeight: 6,
        isFullDepth: true,
        airflow: 'front-to-rear',
        weightKg: 107,
        nameplatePowerW: 10_200,
        typicalPowerW: 8_000,
        psuTemplates: Array.from({ length: 6 }, (_, i) => ({ name: `PSU${i + 1}`, maximumDrawW: 2_800 })),
        interfaceTemplates: [
          ...Array.from({ length: 8 }, (_, i) => ({ name: `ib${i}`, kind: 'infiniband' as const, speedGbps: 400 })),
          { name: 'eth0', kind: 'ethernet', speedGbps: 200 },
          { name: 'bmc', kind: 'management', speedGbps: 1 },
        ],
        acceleratorSlots: 8,
        acceleratorModelId: modelId('H100 SXM5 80GB'),
      },
      {
        manufacturerId: makerId('NVIDIA'),
        model: 'GB200 NVL72 compute tray',
        slug: 'nvidia-gb200-nvl72-compute-tray',
        partNumber: 'GB200-NVL72-CT',
        kind: 'server',
        uHeight: 1,
        isFullDepth: true,
        airflow: 'liquid',
        weightKg: 45,
        nameplatePowerW: 6_500,
        typicalPowerW: 5_700,
        psuTemplates: [
          { name: 'PS-A', maximumDrawW: 6_500 },
          { name: 'PS-B', maximumDrawW: 6_500 },
        ],
        interfaceTemplates: [
          ...Array.from({ length: 4 }, (_, i) => ({ name: `ib${i}`, kind: 'infiniband' as const, speedGbps: 400 })),
          { name: 'eth0', kind: 'ethernet', speedGbps: 400 },
          { name: 'bmc', kind: 'management', speedGbps: 1 },
        ],
        acceleratorSlots: 4,
        acceleratorModelId: modelId('GB200 (one Blackwell GPU of an NVL72)'),
      },
      {
        manufacturerId: makerId('NVIDIA'),
        model: 'GB200 NVL72 NVLink switch tray',
        slug: 'nvidia-gb200-nvl72-switch-tray',
        kind: 'switch',
        uHeight: 1,
        isFullDepth: true,
        airflow: 'liquid',
        weightKg: 30,
        nameplatePowerW: 1_000,
        typicalPowerW: 800,
        psuTemplates: [
          { name: 'PS-A', maximumDrawW: 1_000 },
          { name: 'PS-B', maximumDrawW: 1_000 },
        ],
      },
      {
        manufacturerId: makerId('NVIDIA'),
        model: 'QM9700',
        slug: 'nvidia-qm9700',
        partNumber: 'MQM9700-NS2F',
        kind: 'switch',
        uHeight: 1,
        isFullDepth: true,
        airflow: 'front-to-rear',
        weightKg: 14.5,
        nameplatePowerW: 1_720,
        typicalPowerW: 1_100,
        psuTemplates: [
          { name: 'PS1', maximumDrawW: 1_720 },
          { name: 'PS2', maximumDrawW: 1_720 },
        ],
        interfaceTemplates: Array.from({ length: 64 }, (_, i) => ({ name: `p${i + 1}`, kind: 'infiniband' as const, speedGbps: 400 })),
      },
      {
        manufacturerId: makerId('NVIDIA'),
        model: 'SN5600',
        slug: 'nvidia-sn5600',
        partNumber: 'MSN5600-VS2FC',
        kind: 'switch',
        uHeight: 2,
        isFullDepth: true,
        airflow: 'front-to-rear',
        weightKg: 20,
        nameplatePowerW: 2_200,
        typicalPowerW: 1_500,
        psuTemplates: [
          { name: 'PS1', maximumDrawW: 2_200 },
          { name: 'PS2', maximumDrawW: 2_200 },
        ],
        interfaceTemplates: Array.from({ length: 64 }, (_, i) => ({ name: `swp${i + 1}`, kind: 'ethernet' as const, speedGbps: 800 })),
      },
      {
        manufacturerId: makerId('VAST Data'),
        model: 'Ceres DBox',
        slug: 'vast-ceres-dbox',
        kind: 'storage',
        uHeight: 1,
        isFullDepth: true,
        airflow: 'front-to-rear',
        weightKg: 32,
        nameplatePowerW: 1_200,
        typicalPowerW: 900,
        psuTemplates: [
          { name: 'PS1', maximumDrawW: 1_200 },
          { name: 'PS2', maximumDrawW: 1_200 },
        ],
        interfaceTemplates: [
          { name: 'eth0', kind: 'ethernet', speedGbps: 200 },
          { name: 'eth1', kind: 'ethernet', speedGbps: 200 },
        ],
      },
      // TPU hosts (Hall T): liquid-cooled trays of 4 v5p or 8 v5e chips; two PSUs, A and B. Power: TPU_SEED (assumed).
      ...(scale.tpuHall
        ? (['v5p', 'v5e'] as const).map((g) => ({
            manufacturerId: makerId('Google'),
            model: `TPU ${g} host`,
            slug: `google-tpu-${g}-host`,
            kind: 'server' as const,
            uHeight: TPU_SEED[g].hostU,
            isFullDepth: true,
            airflow: 'liquid' as const,
            weightKg: 40,
            nameplatePowerW: TPU_SEED[g].hostNameplateW,
            typicalPowerW: TPU_SEED[g].hostTypicalW,
            psuTemplates: [
              { name: 'PS-A', maximumDrawW: TPU_SEED[g].hostNameplateW },
              { name: 'PS-B', maximumDrawW: TPU_SEED[g].hostNameplateW },
            ],
            acceleratorSlots: g === 'v5p' ? 4 : 8,
            acceleratorModelId: modelId(g === 'v5p' ? 'TPU v5p' : 'TPU v5e'),
          }))
        : []),
    ])
    .returning();
  const type = (model: string) => types.find((t) => t.model === model)!;

  // ---- Places -------------------------------------------------------------------------------
  const liquidHallCount = scale.liquidHalls ?? 1;
  const liquidLetters = Array.from({ length: liquidHallCount }, (_, i) => String.fromCharCode('B'.charCodeAt(0) + i));
  const [hallA, ...liquidHalls] = await tx
    .insert(s.halls)
    .values([
      {
        siteId,
        slug: 'hall-a',
        name: 'Hall A',
        coolingType: 'air',
        designItLoadKw: Math.ceil((hallAServers * 10.2 * 1.25) / 50) * 50,
        gridColumns: scale.racksPerHallARow + 6,
        gridRows: scale.hallARows * 4 + 4,
        securityZoneId: zoneId('Data halls'),
      },
      ...liquidLetters.map((letter) => ({
        siteId,
        slug: `hall-${letter.toLowerCase()}`,
        name: `Hall ${letter}`,
        coolingType: 'liquid' as const,
        designItLoadKw: Math.ceil((scale.hallBRacks * 132 * 1.25) / 50) * 50,
        gridColumns: Math.min(scale.hallBRacks, 8) + 6,
        gridRows: Math.ceil(scale.hallBRacks / 8) * 4 + 4,
        securityZoneId: zoneId('Data halls'),
      })),
    ])
    .returning();
  const [tpuHall] = scale.tpuHall
    ? await tx
        .insert(s.halls)
        .values({ siteId, slug: 'hall-t', name: 'Hall T', coolingType: 'liquid', designItLoadKw: Math.ceil((tpuItKw * 1.25) / 10) * 10, gridColumns: 10, gridRows: 6, securityZoneId: zoneId('Data halls') })
        .returning()
    : [];
  const hallNameById = new Map([hallA!, ...liquidHalls, ...(tpuHall ? [tpuHall] : [])].map((h) => [h.id, h.name]));

  type RackPlan = { hallId: number; rowId: number; name: string; position: number; kind: 'hgx' | 'nvl72' | 'network' | 'tpu' };
  const rackPlans: RackPlan[] = [];
  const rowValues: (typeof s.rows.$inferInsert)[] = [];
  for (let r = 0; r < scale.hallARows; r++) rowValues.push({ hallId: hallA!.id, name: `A${r + 1}`, gridX: 3, gridY: 2 + r * 4, coldAisleSide: r % 2 === 0 ? 'south' : 'north' });
  const hallBRows = Math.ceil(scale.hallBRacks / 8);
  liquidHalls.forEach((hall, h) => {
    for (let r = 0; r < hallBRows; r++) rowValues.push({ hallId: hall.id, name: `${liquidLetters[h]}${r + 1}`, gridX: 3, gridY: 2 + r * 4, coldAisleSide: 'south' });
  });
  const rowRecords = await tx.insert(s.rows).values(rowValues).returning();
  const rowById = new Map(rowRecords.map((r) => [r.id, r]));

  for (const row of rowRecords) {
    if (row.hallId === hallA!.id) {
      rackPlans.push({ hallId: row.hallId, rowId: row.id, name: `${row.name}-NET`, position: 0, kind: 'network' });
      for (let p = 1; p <= scale.racksPerHallARow; p++) rackPlans.push({ hallId: row.hallId, rowId: row.id, name: `${row.name}-${String(p).padStart(2, '0')}`, position: p, kind: 'hgx' });
    } else {
      const rowIndex = Number(row.name.slice(1)) - 1;
      const count = Math.min(8, scale.hallBRacks - rowIndex * 8);
      rackPlans.push({ hallId: row.hallId, rowId: row.id, name: `${row.name}-NET`, position: 0, kind: 'network' });
      for (let p = 1; p <= count; p++) rackPlans.push({ hallId: row.hallId, rowId: row.id, name: `${row.name}-${String(p).padStart(2, '0')}`, position: p, kind: 'nvl72' });
    }
  }
  if (tpuHall) {
    const [tpuRow] = await tx.insert(s.rows).values({ hallId: tpuHall.id, name: 'T1', gridX: 3, gridY: 2, coldAisleSide: 'south' }).returning();
    rowById.set(tpuRow!.id, tpuRow!);
    const names = [...TPU_SEED.v5p.racks, ...TPU_SEED.v5e.racks];
    for (const [i, name] of names.entries()) rackPlans.push({ hallId: tpuHall.id, rowId: tpuRow!.id, name, position: i + 1, kind: 'tpu' });
  }
  // The last two H100 racks of the last Hall A row form a tenant's secure cage.
  const cageRackNames = new Set(rackPlans.filter((r) => r.kind === 'hgx').slice(-2).map((r) => r.name));
  const rackRecords = (await insertMany(
    tx,
    s.racks,
    rackPlans.map((plan) => ({
      hallId: plan.hallId,
      rowId: plan.rowId,
      name: plan.name,
      positionInRow: plan.position,
      uHeight: plan.kind === 'nvl72' ? 48 : 42,
      maxPowerKw: plan.kind === 'nvl72' ? 140 : plan.kind === 'tpu' ? TPU_SEED.rackMaxPowerKw : plan.kind === 'hgx' ? 40 : 25,
      maxWeightKg: plan.kind === 'nvl72' ? 1_600 : 1_360,
      coolingKind: plan.kind === 'nvl72' || plan.kind === 'tpu' ? ('direct-liquid' as const) : ('air' as const),
      securityZoneId: cageRackNames.has(plan.name) ? zoneId('Tenant cage') : null,
      status: 'active' as const,
    })),
    { id: 'id', name: 'name', hallId: 'hall_id' },
  )) as { id: number; name: string; hallId: number }[];
  const planByRackName = new Map(rackPlans.map((p) => [p.name, p]));

  // ---- Power chain (2N) -----------------------------------------------------------------------
  const hallAItKw = hallAServers * 10.2 + scale.hallARows * 6;
  const hallBItKw = scale.hallBRacks * 132 + hallBRows * 6;
  const upsKw = Math.ceil(((hallAItKw + hallBItKw * liquidHallCount + tpuItKw) * 1.15) / 100) * 100;
  const nodeRows: (typeof s.powerNodes.$inferInsert)[] = [];
  for (const side of ['A', 'B'] as const) {
    nodeRows.push(
      { siteId, kind: 'utility-feed', name: `Utility ${side}`, side, capacityKw: upsKw * 1.25 },
      { siteId, kind: 'generator', name: `Generator ${side}`, side, capacityKw: upsKw * 1.1 },
      { siteId, kind: 'ats', name: `ATS ${side}`, side, capacityKw: upsKw * 1.25 },
      { siteId, kind: 'ups', name: `UPS ${side}`, side, capacityKw: upsKw, efficiencyPct: 96, batteryRuntimeMin: 8 },
      { siteId, kind: 'pdu', name: `PDU ${side}-Hall A`, side, capacityKw: Math.ceil((hallAItKw * 1.15) / 50) * 50 },
      ...liquidHalls.map((hall) => ({ siteId, kind: 'pdu' as const, name: `PDU ${side}-${hall.name}`, side, capacityKw: Math.ceil((hallBItKw * 1.15) / 50) * 50 })),
      ...(tpuHall ? [{ siteId, kind: 'pdu' as const, name: `PDU ${side}-${tpuHall.name}`, side, capacityKw: Math.ceil((tpuItKw * 1.15) / 10) * 10 }] : []),
    );
    for (const rack of rackRecords) {
      const plan = planByRackName.get(rack.name)!;
      nodeRows.push(
        plan.kind === 'nvl72'
          ? { siteId, kind: 'rack-pdu', name: `${rack.name} PDU-${side}`, side, capacityKw: 140, rackId: rack.id }
          : // 415 V three-phase 60 A, used to 80 %: 34.5 kW per side, enough to carry the whole rack alone.
            { siteId, kind: 'rack-pdu', name: `${rack.name} PDU-${side}`, side, voltageV: 415, amperageA: 60, phase: 'three', maxUtilizationPct: 80, outlets: RACK_PDU_OUTLETS, rackId: rack.id },
      );
    }
  }
  const powerNodes = (await insertMany(tx, s.powerNodes, nodeRows, { id: 'id', name: 'name' })) as { id: number; name: string }[];
  const nodeIds = new Map(powerNodes.map((n) => [n.name, n.id]));
  const nodeId = (name: string) => nodeIds.get(name)!;
  const edges: (typeof s.powerEdges.$inferInsert)[] = [];
  for (const side of ['A', 'B']) {
    edges.push(
      { upstreamId: nodeId(`Utility ${side}`), downstreamId: nodeId(`ATS ${side}`) },
      { upstreamId: nodeId(`Generator ${side}`), downstreamId: nodeId(`ATS ${side}`), priority: 1 },
      { upstreamId: nodeId(`ATS ${side}`), downstreamId: nodeId(`UPS ${side}`) },
      { upstreamId: nodeId(`UPS ${side}`), downstreamId: nodeId(`PDU ${side}-Hall A`) },
      ...liquidHalls.map((hall) => ({ upstreamId: nodeId(`UPS ${side}`), downstreamId: nodeId(`PDU ${side}-${hall.name}`) })),
      ...(tpuHall ? [{ upstreamId: nodeId(`UPS ${side}`), downstreamId: nodeId(`PDU ${side}-${tpuHall.name}`) }] : []),
    );
    for (const rack of rackRecords) {
      const hallName = hallNameById.get(rack.hallId)!;
      edges.push({ upstreamId: nodeId(`PDU ${side}-${hallName}`), downstreamId: nodeId(`${rack.name} PDU-${side}`) });
    }
  }
  await insertMany(tx, s.powerEdges, edges);

  // ---- Cooling --------------------------------------------------------------------------------
  const crahKw = 200;
  const hallACrahs = Math.ceil(hallAItKw / crahKw) + 1; // N+1
  const coolingRows: (typeof s.coolingUnits.$inferInsert)[] = [];
  for (let i = 1; i <= hallACrahs; i++) coolingRows.push({ siteId, kind: 'crah', name: `CRAH A-${i}`, capacityKw: crahKw, supplySetpointC: 22, redundancyGroup: 'hall-a-air' });
  const cduKw = 600;
  const hallBCdus = Math.ceil((hallBItKw * 0.85) / cduKw) + 1;
  const hallBCrahs = Math.ceil((hallBItKw * 0.15) / 150) + 1;
  // Each liquid hall has its own CDUs and CRAHs (the demo's are named `CDU B-1`, `CRAH B-1`, …).
  const unitHall = new Map<string, number>();
  for (let i = 1; i <= hallACrahs; i++) unitHall.set(`CRAH A-${i}`, hallA!.id);
  liquidHalls.forEach((hall, h) => {
    const letter = liquidLetters[h]!;
    for (let i = 1; i <= hallBCdus; i++) {
      coolingRows.push({ siteId, kind: 'cdu', name: `CDU ${letter}-${i}`, capacityKw: cduKw, supplySetpointC: 30, redundancyGroup: `hall-${letter.toLowerCase()}-liquid` });
      unitHall.set(`CDU ${letter}-${i}`, hall.id);
    }
  });
  liquidHalls.forEach((hall, h) => {
    const letter = liquidLetters[h]!;
    for (let i = 1; i <= hallBCrahs; i++) {
      coolingRows.push({ siteId, kind: 'crah', name: `CRAH ${letter}-${i}`, capacityKw: 150, supplySetpointC: 24, redundancyGroup: `hall-${letter.toLowerCase()}-air` });
      unitHall.set(`CRAH ${letter}-${i}`, hall.id);
    }
  });
  if (tpuHall) {
    // Hall T: direct liquid takes ~85 % of the heat (two CDUs, N+1); two small CRAHs (N+1) take the rest.
    for (let i = 1; i <= 2; i++) {
      coolingRows.push({ siteId, kind: 'cdu', name: `CDU T-${i}`, capacityKw: TPU_SEED.cduKw, supplySetpointC: 30, redundancyGroup: 'hall-t-liquid' });
      coolingRows.push({ siteId, kind: 'crah', name: `CRAH T-${i}`, capacityKw: 30, supplySetpointC: 24, redundancyGroup: 'hall-t-air' });
      unitHall.set(`CDU T-${i}`, tpuHall.id);
      unitHall.set(`CRAH T-${i}`, tpuHall.id);
    }
  }
  const chillerKw = Math.ceil((hallAItKw + hallBItKw * liquidHallCount + tpuItKw) / 2 / 100) * 100;
  for (let i = 1; i <= 3; i++) coolingRows.push({ siteId, kind: 'chiller', name: `Chiller ${i}`, capacityKw: chillerKw, supplySetpointC: 14, redundancyGroup: 'chiller-plant' });
  const coolingUnits = await tx.insert(s.coolingUnits).values(coolingRows).returning();
  await insertMany(
    tx,
    s.coolingServedAreas,
    coolingUnits.map((unit) => ({ unitId: unit.id, hallId: unitHall.get(unit.name) ?? hallA!.id })),
  );
  // Chillers serve every hall.
  await insertMany(
    tx,
    s.coolingServedAreas,
    coolingUnits.filter((u) => u.kind === 'chiller').flatMap((unit) => [...liquidHalls, ...(tpuHall ? [tpuHall] : [])].map((hall) => ({ unitId: unit.id, hallId: hall.id }))),
  );

  // ---- Network fabrics --------------------------------------------------------------------------
  const fabrics = await tx
    .insert(s.fabrics)
    .values([
      { siteId, name: 'IB compute', purpose: 'compute', topology: 'rail-optimised' },
      { siteId, name: 'Ethernet storage', purpose: 'storage', topology: 'leaf-spine' },
      { siteId, name: 'Management', purpose: 'management', topology: 'flat' },
    ])
    .returning();
  const fabricId = (name: string) => fabrics.find((f) => f.name === name)!.id;

  // ---- Devices ----------------------------------------------------------------------------------
  type DevicePlan = { name: string; typeModel: string; rackName: string; position: number; hostname?: string; nvlinkDomain?: string; leafName?: string; storageLeafName?: string };
  const devicePlans: DevicePlan[] = [];
  let serial = 0;
  const racksPerRow = new Map<number, number>();
  for (const p of rackPlans) if (p.kind !== 'network') racksPerRow.set(p.rowId, (racksPerRow.get(p.rowId) ?? 0) + 1);
  for (const plan of rackPlans.filter((p) => p.kind === 'network')) {
    // Each row's network rack holds its IB leaves (one per 2 racks' worth of 400G ports) and a storage leaf.
    const rowRacks = racksPerRow.get(plan.rowId) ?? 0;
    const isHallA = plan.hallId === hallA!.id;
    const hostPorts = isHallA ? rowRacks * scale.serversPerHallARack * GPUS_PER_HGX_SERVER : rowRacks * NVL72_COMPUTE_TRAYS * GPUS_PER_NVL72_TRAY;
    const leaves = Math.ceil(hostPorts / 32); // 32 down + 32 up: non-blocking
    for (let l = 1; l <= leaves; l++) devicePlans.push({ name: `${plan.name}-ibleaf${l}`, typeModel: 'QM9700', rackName: plan.name, position: 40 - l });
    devicePlans.push({ name: `${plan.name}-stleaf1`, typeModel: 'SN5600', rackName: plan.name, position: 2 });
  }
  const spineCount = 4;
  const firstNetRack = rackPlans.find((p) => p.kind === 'network')!.name;
  for (let sp = 1; sp <= spineCount; sp++) devicePlans.push({ name: `ib-spine${sp}`, typeModel: 'QM9700', rackName: firstNetRack, position: 10 + sp });
  devicePlans.push({ name: 'vast-dbox1', typeModel: 'Ceres DBox', rackName: firstNetRack, position: 6 });

  const leavesByNetRack = new Map<string, string[]>();
  for (const d of devicePlans) if (d.typeModel === 'QM9700') leavesByNetRack.set(d.rackName, [...(leavesByNetRack.get(d.rackName) ?? []), d.name]);
  for (const plan of rackPlans) {
    const rowNet = `${rowById.get(plan.rowId)!.name}-NET`;
    const leafNames = leavesByNetRack.get(rowNet) ?? [];
    if (plan.kind === 'hgx') {
      for (let i = 0; i < scale.serversPerHallARack; i++) {
        const name = `${plan.name.toLowerCase()}-gpu${i + 1}`;
        devicePlans.push({ name, typeModel: 'PowerEdge XE9680', rackName: plan.name, position: 2 + i * 7, hostname: name, nvlinkDomain: `${name}-hgx`, leafName: leafNames[Math.floor(devicePlans.length / 4) % leafNames.length], storageLeafName: `${rowNet}-stleaf1` });
      }
    } else if (plan.kind === 'nvl72') {
      // NVL72 layout: 10 compute trays, 9 NVLink switch trays, 8 compute trays (48U rack, power shelves at the ends).
      for (let t = 0; t < NVL72_COMPUTE_TRAYS; t++) {
        const name = `${plan.name.toLowerCase()}-ct${String(t + 1).padStart(2, '0')}`;
        const position = t < 10 ? 6 + t : 6 + 10 + 9 + (t - 10);
        devicePlans.push({ name, typeModel: 'GB200 NVL72 compute tray', rackName: plan.name, position, hostname: name, nvlinkDomain: `${plan.name.toLowerCase()}-nvl72`, leafName: leafNames[t % leafNames.length], storageLeafName: `${rowNet}-stleaf1` });
      }
      for (let w = 0; w < 9; w++) devicePlans.push({ name: `${plan.name.toLowerCase()}-nvsw${w + 1}`, typeModel: 'GB200 NVL72 NVLink switch tray', rackName: plan.name, position: 16 + w });
    }
  }

  const rackByName = new Map(rackRecords.map((r) => [r.name, r]));
  const deviceRecords = (await insertMany(
    tx,
    s.devices,
    devicePlans.map((plan) => {
      const t = type(plan.typeModel);
      serial++;
      return {
        deviceTypeId: t.id,
        rackId: rackByName.get(plan.rackName)!.id,
        position: plan.position,
        face: 'front' as const,
        uHeight: t.uHeight,
        isFullDepth: t.isFullDepth,
        weightKg: t.weightKg,
        name: plan.name,
        serial: `SN${String(serial).padStart(7, '0')}`,
        assetTag: `AMS1-${String(serial).padStart(6, '0')}`,
        status: 'active' as const,
        hostname: plan.hostname ?? null,
        bmcAddress: `10.${Math.floor(serial / 65_536) % 256}.${Math.floor(serial / 256) % 256}.${serial % 256}`,
      };
    }),
    { id: 'id', name: 'name', deviceTypeId: 'device_type_id', rackId: 'rack_id' },
  )) as { id: number; name: string; deviceTypeId: number; rackId: number }[];
  const deviceByName = new Map(deviceRecords.map((d) => [d.name, d]));
  const typeById = new Map(types.map((t) => [t.id, t]));

  // Accelerators
  let gpuSerial = 0;
  const acceleratorRows: (typeof s.accelerators.$inferInsert)[] = [];
  for (const plan of devicePlans) {
    const device = deviceByName.get(plan.name)!;
    const t = typeById.get(device.deviceTypeId)!;
    for (let g = 0; g < t.acceleratorSlots; g++) {
      acceleratorRows.push({ deviceId: device.id, index: g, uuid: seededGpuUuid(++gpuSerial), modelId: t.acceleratorModelId!, nvlinkDomain: plan.nvlinkDomain ?? null });
    }
  }
  await insertMany(tx, s.accelerators, acceleratorRows);

  // TPU pods: hosts, chips with their torus coordinates, ICI links (services/tpu-inventory.ts).
  const tpuHosts: { id: number; deviceTypeId: number; rackId: number }[] = [];
  if (tpuHall) {
    for (const g of ['v5p', 'v5e'] as const) {
      const hostType = type(`TPU ${g} host`);
      const built = await buildTpuPod(tx, {
        name: TPU_SEED[g].pod,
        hallId: tpuHall.id,
        generation: `tpu-${g}`,
        dims: TPU_SEED[g].dims,
        rackIds: TPU_SEED[g].racks.map((name) => rackRecords.find((r) => r.name === name)!.id),
        hostTypeId: hostType.id,
        hostUHeight: hostType.uHeight,
        firstPosition: 4,
        acceleratorModelId: hostType.acceleratorModelId!,
        hostPrefix: `tpu-${g}`,
      });
      const hosts = await tx.select({ id: s.devices.id, rackId: s.devices.rackId }).from(s.devices).where(inArray(s.devices.id, built.hostIds));
      tpuHosts.push(...hosts.map((h) => ({ id: h.id, deviceTypeId: hostType.id, rackId: h.rackId! })));
    }
  }

  // PSU connections: PSUs alternate A/B; each goes to its rack's PDU on that side.
  const psuRows: (typeof s.psuConnections.$inferInsert)[] = [];
  const rackNameById = new Map(rackRecords.map((r) => [r.id, r.name]));
  for (const device of [...deviceRecords, ...tpuHosts]) {
    const t = typeById.get(device.deviceTypeId)!;
    const rackName = rackNameById.get(device.rackId)!;
    t.psuTemplates.forEach((psu, i) => {
      const side = i % 2 === 0 ? 'A' : 'B';
      psuRows.push({ deviceId: device.id, psuName: psu.name, rackPduId: nodeId(`${rackName} PDU-${side}`), side, maximumDrawW: psu.maximumDrawW });
    });
  }
  await insertMany(tx, s.psuConnections, psuRows);

  // Interfaces from the type templates, then links host → leaf.
  const interfaceRows: (typeof s.interfaces.$inferInsert)[] = [];
  for (const device of deviceRecords) {
    const t = typeById.get(device.deviceTypeId)!;
    for (const tpl of t.interfaceTemplates) {
      const fabric = tpl.kind === 'infiniband' ? 'IB compute' : tpl.kind === 'management' ? 'Management' : 'Ethernet storage';
      interfaceRows.push({ deviceId: device.id, name: tpl.name, kind: tpl.kind, speedGbps: tpl.speedGbps, fabricId: fabricId(fabric) });
    }
  }
  const interfaceIds = new Map<string, number>();
  for (const row of (await insertMany(tx, s.interfaces, interfaceRows, { id: 'id', deviceId: 'device_id', name: 'name' })) as { id: number; deviceId: number; name: string }[]) {
    interfaceIds.set(`${row.deviceId}/${row.name}`, row.id);
  }

  const nextFreePort = new Map<number, number>();
  const linkPairs: [number, number][] = [];
  const connect = (hostId: number, hostIf: string, switchName: string, portPrefix: string) => {
    const sw = deviceByName.get(switchName)!;
    const port = (nextFreePort.get(sw.id) ?? 0) + 1;
    nextFreePort.set(sw.id, port);
    const a = interfaceIds.get(`${hostId}/${hostIf}`);
    const b = interfaceIds.get(`${sw.id}/${portPrefix}${port}`);
    if (a && b) linkPairs.push([a, b]);
  };
  for (const plan of devicePlans) {
    if (!plan.leafName) continue;
    const device = deviceByName.get(plan.name)!;
    const t = typeById.get(device.deviceTypeId)!;
    for (const tpl of t.interfaceTemplates) {
      if (tpl.kind === 'infiniband') connect(device.id, tpl.name, plan.leafName, 'p');
      if (tpl.kind === 'ethernet' && plan.storageLeafName) connect(device.id, tpl.name, plan.storageLeafName, 'swp');
    }
  }
  // Leaf uplinks: ports 33-64 of each IB leaf spread over the spines (non-blocking).
  const leaves = devicePlans.filter((d) => d.name.includes('-ibleaf'));
  for (const leaf of leaves) {
    const leafDevice = deviceByName.get(leaf.name)!;
    for (let up = 0; up < 32; up++) {
      const spine = deviceByName.get(`ib-spine${(up % spineCount) + 1}`)!;
      const spinePort = (nextFreePort.get(spine.id) ?? 0) + 1;
      if (spinePort > 64) break;
      nextFreePort.set(spine.id, spinePort);
      const a = interfaceIds.get(`${leafDevice.id}/p${33 + up}`);
      const b = interfaceIds.get(`${spine.id}/p${spinePort}`);
      if (a && b) linkPairs.push([a, b]);
    }
  }
  const links = (await insertMany(tx, s.links, linkPairs.map(() => ({ status: 'connected' })), { id: 'id' })) as { id: number }[];
  await insertMany(
    tx,
    s.linkEnds,
    linkPairs.flatMap(([a, b], k) => [
      { linkId: links[k]!.id, end: 'a', interfaceId: a },
      { linkId: links[k]!.id, end: 'b', interfaceId: b },
    ]),
  );

  await insertMany(
    tx,
    s.fabricMembers,
    deviceRecords.flatMap((device): (typeof s.fabricMembers.$inferInsert)[] => {
      const t = typeById.get(device.deviceTypeId)!;
      if (device.name.startsWith('ib-spine')) return [{ fabricId: fabricId('IB compute'), deviceId: device.id, tier: 'spine' as const }];
      if (device.name.includes('-ibleaf')) return [{ fabricId: fabricId('IB compute'), deviceId: device.id, tier: 'leaf' as const }];
      if (device.name.includes('-stleaf')) return [{ fabricId: fabricId('Ethernet storage'), deviceId: device.id, tier: 'leaf' as const }];
      if (t.acceleratorSlots > 0)
        return [
          { fabricId: fabricId('IB compute'), deviceId: device.id, tier: 'node' as const },
          { fabricId: fabricId('Ethernet storage'), deviceId: device.id, tier: 'node' as const },
        ];
      return [];
    }),
  );

  await tx.insert(s.storageSystems).values({
    name: 'VAST shared storage',
    kind: 'parallel-fs',
    deviceId: deviceByName.get('vast-dbox1')!.id,
    fabricId: fabricId('Ethernet storage'),
    rawCapacityTb: 2_000,
    usableCapacityTb: 1_600,
    throughputGbps: 3_200,
  });

  const amdGpus = await seedAmdRacks(tx, scale, {
    siteId,
    hallAId: hallA!.id,
    makerId: makerId('Dell'),
    fabricIds: { storage: fabricId('Ethernet storage'), management: fabricId('Management') },
  });

  // Tenants with quotas, unless some already exist (an inventory import into a database that kept its tenants).
  const [anyTenant] = await tx.select({ id: s.tenants.id }).from(s.tenants).limit(1);
  if (!anyTenant) await tx.insert(s.tenants).values(seedTenants(scale));

  await tx.insert(s.changeLog).values({ actor: 'system:seed', action: 'create', objectType: 'site', objectId: String(siteId), after: { seed: scale } });
  return acceleratorRows.length + amdGpus;
}
