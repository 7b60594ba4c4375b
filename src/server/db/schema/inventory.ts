import { sql } from 'drizzle-orm';
import {
  check,
  foreignKey,
  index,
  integer,
  pgEnum,
  pgTable,
  real,
  serial,
  text,
  timestamp,
  unique,
} from 'drizzle-orm/pg-core';

export const accessLevel = pgEnum('access_level', ['public', 'restricted', 'secure', 'critical']);
export const hallCoolingType = pgEnum('hall_cooling_type', ['air', 'liquid', 'hybrid']);
export const compassSide = pgEnum('compass_side', ['north', 'south', 'east', 'west']);
export const rackCoolingKind = pgEnum('rack_cooling_kind', ['air', 'rear-door', 'direct-liquid']);
export const rackStatus = pgEnum('rack_status', ['planned', 'active', 'maintenance', 'decommissioned']);

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
};

export const sites = pgTable(
  'sites',
  {
    id: serial('id').primaryKey(),
    slug: text('slug').notNull().unique(),
    name: text('name').notNull(),
    address: text('address').notNull().default(''),
    timeZone: text('time_zone').notNull().default('UTC'),
    utilityCapacityKw: real('utility_capacity_kw').notNull(),
    pueTarget: real('pue_target').notNull().default(1.3),
    ...timestamps,
  },
  (t) => [
    check('sites_utility_capacity_positive', sql`${t.utilityCapacityKw} > 0`),
    check('sites_pue_target_range', sql`${t.pueTarget} >= 1 AND ${t.pueTarget} <= 3`),
  ],
);

export const securityZones = pgTable(
  'security_zones',
  {
    id: serial('id').primaryKey(),
    siteId: integer('site_id')
      .notNull()
      .references(() => sites.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    accessLevel: accessLevel('access_level').notNull(),
    description: text('description').notNull().default(''),
    ...timestamps,
  },
  (t) => [unique('security_zones_site_name').on(t.siteId, t.name)],
);

export const halls = pgTable(
  'halls',
  {
    id: serial('id').primaryKey(),
    siteId: integer('site_id')
      .notNull()
      .references(() => sites.id, { onDelete: 'restrict' }),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    coolingType: hallCoolingType('cooling_type').notNull(),
    designItLoadKw: real('design_it_load_kw').notNull(),
    /** Floor grid in tiles (600 mm raised-floor tiles by convention). */
    gridColumns: integer('grid_columns').notNull(),
    gridRows: integer('grid_rows').notNull(),
    securityZoneId: integer('security_zone_id').references(() => securityZones.id, { onDelete: 'set null' }),
    ...timestamps,
  },
  (t) => [
    unique('halls_site_slug').on(t.siteId, t.slug),
    check('halls_design_load_positive', sql`${t.designItLoadKw} > 0`),
    check('halls_grid_positive', sql`${t.gridColumns} > 0 AND ${t.gridRows} > 0`),
  ],
);

export const rows = pgTable(
  'rows',
  {
    id: serial('id').primaryKey(),
    hallId: integer('hall_id')
      .notNull()
      .references(() => halls.id, { onDelete: 'restrict' }),
    name: text('name').notNull(),
    /** Grid tile of the row's first rack; racks extend along +x. */
    gridX: integer('grid_x').notNull(),
    gridY: integer('grid_y').notNull(),
    /** The side the racks' fronts face: the cold aisle. */
    coldAisleSide: compassSide('cold_aisle_side').notNull().default('south'),
    ...timestamps,
  },
  (t) => [
    unique('rows_hall_name').on(t.hallId, t.name),
    // Lets racks reference (row, hall) together so a rack's hall always matches its row's hall.
    unique('rows_id_hall').on(t.id, t.hallId),
    check('rows_grid_non_negative', sql`${t.gridX} >= 0 AND ${t.gridY} >= 0`),
  ],
);

export const racks = pgTable(
  'racks',
  {
    id: serial('id').primaryKey(),
    hallId: integer('hall_id').notNull(),
    rowId: integer('row_id').notNull(),
    name: text('name').notNull(),
    positionInRow: integer('position_in_row').notNull(),
    uHeight: integer('u_height').notNull().default(42),
    maxPowerKw: real('max_power_kw').notNull(),
    maxWeightKg: real('max_weight_kg').notNull(),
    coolingKind: rackCoolingKind('cooling_kind').notNull().default('air'),
    securityZoneId: integer('security_zone_id').references(() => securityZones.id, { onDelete: 'set null' }),
    status: rackStatus('status').notNull().default('active'),
    ...timestamps,
  },
  (t) => [
    foreignKey({ columns: [t.rowId, t.hallId], foreignColumns: [rows.id, rows.hallId], name: 'racks_row_hall_fk' }),
    unique('racks_hall_name').on(t.hallId, t.name),
    unique('racks_row_position').on(t.rowId, t.positionInRow),
    check('racks_u_height_range', sql`${t.uHeight} BETWEEN 1 AND 60`),
    check('racks_position_non_negative', sql`${t.positionInRow} >= 0`),
    check('racks_max_power_positive', sql`${t.maxPowerKw} > 0`),
    check('racks_max_weight_positive', sql`${t.maxWeightKg} > 0`),
    index('racks_row_idx').on(t.rowId),
  ],
);

export const manufacturers = pgTable('manufacturers', {
  id: serial('id').primaryKey(),
  name: text('name').notNull().unique(),
  slug: text('slug').notNull().unique(),
});
