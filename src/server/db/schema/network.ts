import { sql } from 'drizzle-orm';
import { boolean, check, integer, pgEnum, pgTable, primaryKey, real, serial, text, unique } from 'drizzle-orm/pg-core';
import { devices } from './devices';
import { sites } from './inventory';

export const fabricPurpose = pgEnum('fabric_purpose', ['compute', 'storage', 'management', 'frontend']);
export const fabricTopology = pgEnum('fabric_topology', ['fat-tree', 'rail-optimised', 'leaf-spine', 'flat']);
export const fabricTier = pgEnum('fabric_tier', ['node', 'leaf', 'spine', 'core']);
export const interfaceKind = pgEnum('interface_kind', ['ethernet', 'infiniband', 'nvlink', 'management']);

export const fabrics = pgTable(
  'fabrics',
  {
    id: serial('id').primaryKey(),
    siteId: integer('site_id')
      .notNull()
      .references(() => sites.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    purpose: fabricPurpose('purpose').notNull(),
    topology: fabricTopology('topology').notNull(),
  },
  (t) => [unique('fabrics_site_name').on(t.siteId, t.name)],
);

/** A device's role in a fabric: the scheduler asks "same leaf?" through these rows and the links below. */
export const fabricMembers = pgTable(
  'fabric_members',
  {
    fabricId: integer('fabric_id')
      .notNull()
      .references(() => fabrics.id, { onDelete: 'cascade' }),
    deviceId: integer('device_id')
      .notNull()
      .references(() => devices.id, { onDelete: 'cascade' }),
    tier: fabricTier('tier').notNull(),
  },
  (t) => [primaryKey({ columns: [t.fabricId, t.deviceId] })],
);

export const interfaces = pgTable(
  'interfaces',
  {
    id: serial('id').primaryKey(),
    deviceId: integer('device_id')
      .notNull()
      .references(() => devices.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    kind: interfaceKind('kind').notNull(),
    speedGbps: real('speed_gbps').notNull(),
    fabricId: integer('fabric_id').references(() => fabrics.id, { onDelete: 'set null' }),
    enabled: boolean('enabled').notNull().default(true),
  },
  (t) => [unique('interfaces_device_name').on(t.deviceId, t.name), check('interfaces_speed_positive', sql`${t.speedGbps} > 0`)],
);

/** A cable between two interfaces. Each interface takes part in at most one link (enforced by link_ends). */
export const links = pgTable('links', {
  id: serial('id').primaryKey(),
  status: text('status').notNull().default('connected'),
  label: text('label').notNull().default(''),
});

export const linkEnds = pgTable(
  'link_ends',
  {
    linkId: integer('link_id')
      .notNull()
      .references(() => links.id, { onDelete: 'cascade' }),
    end: text('end').notNull(),
    interfaceId: integer('interface_id')
      .notNull()
      .unique()
      .references(() => interfaces.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.linkId, t.end] }), check('link_ends_end', sql`${t.end} IN ('a', 'b')`)],
);
