import { sql } from 'drizzle-orm';
import { check, integer, pgEnum, pgTable, real, serial, text, unique } from 'drizzle-orm/pg-core';
import { halls, racks, rows, sites } from './inventory';

export const coolingUnitKind = pgEnum('cooling_unit_kind', ['crah', 'crac', 'cdu', 'rear-door', 'chiller', 'dry-cooler']);
export const coolingUnitStatus = pgEnum('cooling_unit_status', ['active', 'standby', 'maintenance', 'failed']);

export const coolingUnits = pgTable(
  'cooling_units',
  {
    id: serial('id').primaryKey(),
    siteId: integer('site_id')
      .notNull()
      .references(() => sites.id, { onDelete: 'cascade' }),
    kind: coolingUnitKind('kind').notNull(),
    name: text('name').notNull(),
    capacityKw: real('capacity_kw').notNull(),
    supplySetpointC: real('supply_setpoint_c').notNull(),
    /** Units in one group back each other up (N+1 is judged per group). */
    redundancyGroup: text('redundancy_group').notNull(),
    status: coolingUnitStatus('status').notNull().default('active'),
  },
  (t) => [
    unique('cooling_units_site_name').on(t.siteId, t.name),
    check('cooling_units_capacity_positive', sql`${t.capacityKw} > 0`),
    check('cooling_units_setpoint_range', sql`${t.supplySetpointC} BETWEEN 5 AND 45`),
  ],
);

/** What a unit cools: exactly one of a hall, a row or a rack. */
export const coolingServedAreas = pgTable(
  'cooling_served_areas',
  {
    id: serial('id').primaryKey(),
    unitId: integer('unit_id')
      .notNull()
      .references(() => coolingUnits.id, { onDelete: 'cascade' }),
    hallId: integer('hall_id').references(() => halls.id, { onDelete: 'cascade' }),
    rowId: integer('row_id').references(() => rows.id, { onDelete: 'cascade' }),
    rackId: integer('rack_id').references(() => racks.id, { onDelete: 'cascade' }),
  },
  (t) => [check('cooling_served_exactly_one', sql`num_nonnulls(${t.hallId}, ${t.rowId}, ${t.rackId}) = 1`)],
);
