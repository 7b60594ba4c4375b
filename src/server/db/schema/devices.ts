import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  real,
  serial,
  text,
  timestamp,
  unique,
} from 'drizzle-orm/pg-core';
import type { ComputePartitionMode, MemoryPartitionMode } from '../../../domain/amd-partitions';
import { manufacturers, racks } from './inventory';

export const deviceKind = pgEnum('device_kind', [
  'server',
  'switch',
  'storage',
  'rack-pdu',
  'ups',
  'crah',
  'cdu',
  'patch-panel',
  'power-shelf',
  'other',
]);
export const airflow = pgEnum('airflow', ['front-to-rear', 'rear-to-front', 'side-to-rear', 'passive', 'liquid', 'mixed']);
export const deviceStatus = pgEnum('device_status', ['planned', 'active', 'maintenance', 'failed', 'decommissioned']);
export const rackFace = pgEnum('rack_face', ['front', 'rear']);
export const acceleratorHealth = pgEnum('accelerator_health', ['healthy', 'degraded', 'failed']);
export const sharingMode = pgEnum('sharing_mode', ['exclusive', 'mig', 'mps', 'time-slicing']);
export const storageKind = pgEnum('storage_kind', ['nvme', 'ssd', 'hdd', 'object', 'parallel-fs']);

/** int4range, for the U span a device occupies (lower inclusive, upper exclusive). */
const int4range = customType<{ data: string }>({ dataType: () => 'int4range' });

export type PsuTemplate = { name: string; maximumDrawW: number; allocatedDrawW?: number };
export type InterfaceTemplate = {
  name: string;
  kind: 'ethernet' | 'infiniband' | 'nvlink' | 'management';
  speedGbps: number;
};

export const deviceTypes = pgTable(
  'device_types',
  {
    id: serial('id').primaryKey(),
    manufacturerId: integer('manufacturer_id')
      .notNull()
      .references(() => manufacturers.id, { onDelete: 'restrict' }),
    model: text('model').notNull(),
    slug: text('slug').notNull().unique(),
    partNumber: text('part_number').notNull().default(''),
    kind: deviceKind('kind').notNull(),
    uHeight: integer('u_height').notNull(),
    isFullDepth: boolean('is_full_depth').notNull().default(true),
    airflow: airflow('airflow'),
    weightKg: real('weight_kg').notNull().default(0),
    nameplatePowerW: integer('nameplate_power_w').notNull().default(0),
    typicalPowerW: integer('typical_power_w').notNull().default(0),
    psuTemplates: jsonb('psu_templates').$type<PsuTemplate[]>().notNull().default([]),
    interfaceTemplates: jsonb('interface_templates').$type<InterfaceTemplate[]>().notNull().default([]),
    acceleratorSlots: integer('accelerator_slots').notNull().default(0),
    acceleratorModelId: integer('accelerator_model_id').references(() => acceleratorModels.id),
    /** Where the type came from: built in, or a NetBox devicetype-library file (its content hash). */
    source: text('source').notNull().default('builtin'),
    sourceHash: text('source_hash'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('device_types_manufacturer_model').on(t.manufacturerId, t.model),
    check('device_types_u_height_range', sql`${t.uHeight} BETWEEN 0 AND 60`),
    check('device_types_weight_non_negative', sql`${t.weightKg} >= 0`),
    check('device_types_power_non_negative', sql`${t.nameplatePowerW} >= 0 AND ${t.typicalPowerW} >= 0`),
    check('device_types_typical_le_nameplate', sql`${t.typicalPowerW} <= ${t.nameplatePowerW} OR ${t.nameplatePowerW} = 0`),
  ],
);

export const devices = pgTable(
  'devices',
  {
    id: serial('id').primaryKey(),
    deviceTypeId: integer('device_type_id')
      .notNull()
      .references(() => deviceTypes.id, { onDelete: 'restrict' }),
    rackId: integer('rack_id').references(() => racks.id, { onDelete: 'restrict' }),
    /** Lowest rack unit the device occupies, 1-based from the bottom. */
    position: integer('position'),
    face: rackFace('face'),
    /** Copied from the type at placement so the database can enforce space without a join. */
    uHeight: integer('u_height').notNull(),
    isFullDepth: boolean('is_full_depth').notNull(),
    weightKg: real('weight_kg').notNull().default(0),
    uSpan: int4range('u_span').generatedAlwaysAs(sql`int4range(position, position + u_height)`),
    name: text('name').notNull().unique(),
    serial: text('serial').notNull().default(''),
    assetTag: text('asset_tag').unique(),
    status: deviceStatus('status').notNull().default('active'),
    hostname: text('hostname').unique(),
    bmcAddress: text('bmc_address'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check(
      'devices_placement_complete',
      sql`(${t.rackId} IS NULL AND ${t.position} IS NULL AND ${t.face} IS NULL) OR (${t.rackId} IS NOT NULL AND ${t.position} IS NOT NULL AND ${t.face} IS NOT NULL)`,
    ),
    check('devices_position_positive', sql`${t.position} IS NULL OR ${t.position} >= 1`),
    index('devices_rack_idx').on(t.rackId),
  ],
);

export const acceleratorModels = pgTable('accelerator_models', {
  id: serial('id').primaryKey(),
  name: text('name').notNull().unique(),
  vendor: text('vendor').notNull(),
  memoryGib: real('memory_gib').notNull(),
  /** Default power limit; null where the vendor publishes none. */
  tdpW: integer('tdp_w'),
  formFactor: text('form_factor').notNull(),
});

export const accelerators = pgTable(
  'accelerators',
  {
    id: serial('id').primaryKey(),
    deviceId: integer('device_id')
      .notNull()
      .references(() => devices.id, { onDelete: 'cascade' }),
    index: integer('index').notNull(),
    uuid: text('uuid').notNull().unique(),
    modelId: integer('model_id')
      .notNull()
      .references(() => acceleratorModels.id),
    /** GPUs sharing a value share an NVLink/NVSwitch domain (an HGX board, or a whole NVL72 rack). */
    nvlinkDomain: text('nvlink_domain'),
    health: acceleratorHealth('health').notNull().default('healthy'),
    sharingMode: sharingMode('sharing_mode').notNull().default('exclusive'),
    /** AMD compute partition mode (SPX/DPX/QPX/CPX) of a partitionable GPU; null otherwise (src/domain/amd-partitions.ts). */
    computePartition: text('compute_partition').$type<ComputePartitionMode>(),
    /** AMD memory partition mode (NPS1/NPS4); set exactly when computePartition is. */
    memoryPartition: text('memory_partition').$type<MemoryPartitionMode>(),
  },
  (t) => [
    unique('accelerators_device_index').on(t.deviceId, t.index),
    check('accelerators_index_range', sql`${t.index} >= 0`),
    check('accelerators_compute_partition', sql`${t.computePartition} IN ('SPX', 'DPX', 'QPX', 'CPX')`),
    check('accelerators_memory_partition', sql`${t.memoryPartition} IN ('NPS1', 'NPS4')`),
    check(
      'accelerators_partition_pair',
      sql`(${t.computePartition} IS NULL) = (${t.memoryPartition} IS NULL) AND (${t.memoryPartition} IS DISTINCT FROM 'NPS4' OR ${t.computePartition} = 'CPX')`,
    ),
  ],
);

export const storageSystems = pgTable(
  'storage_systems',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull().unique(),
    kind: storageKind('kind').notNull(),
    deviceId: integer('device_id').references(() => devices.id, { onDelete: 'set null' }),
    fabricId: integer('fabric_id'),
    rawCapacityTb: real('raw_capacity_tb').notNull(),
    usableCapacityTb: real('usable_capacity_tb').notNull(),
    throughputGbps: real('throughput_gbps').notNull(),
  },
  (t) => [check('storage_usable_le_raw', sql`${t.usableCapacityTb} <= ${t.rawCapacityTb} AND ${t.usableCapacityTb} > 0`)],
);
