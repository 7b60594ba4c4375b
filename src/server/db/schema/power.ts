import { sql } from 'drizzle-orm';
import { check, index, integer, pgEnum, pgTable, primaryKey, real, serial, text, unique } from 'drizzle-orm/pg-core';
import { devices } from './devices';
import { racks, sites } from './inventory';

export const powerNodeKind = pgEnum('power_node_kind', [
  'utility-feed',
  'generator',
  'ats',
  'switchgear',
  'ups',
  'pdu',
  'rpp',
  'power-feed',
  'rack-pdu',
]);
export const powerSide = pgEnum('power_side', ['A', 'B', 'N']);
export const phase = pgEnum('phase', ['single', 'three']);

/**
 * One node of the power chain graph (utility → … → rack PDU). Capacity is either given in kW
 * (UPS, generator, PDU) or derived from voltage × amperage × phase × max utilisation (feeds, rack PDUs),
 * the way NetBox models a PowerFeed.
 */
export const powerNodes = pgTable(
  'power_nodes',
  {
    id: serial('id').primaryKey(),
    siteId: integer('site_id')
      .notNull()
      .references(() => sites.id, { onDelete: 'cascade' }),
    kind: powerNodeKind('kind').notNull(),
    name: text('name').notNull(),
    side: powerSide('side').notNull().default('N'),
    capacityKw: real('capacity_kw'),
    voltageV: real('voltage_v'),
    amperageA: real('amperage_a'),
    phase: phase('phase'),
    maxUtilizationPct: real('max_utilization_pct').notNull().default(80),
    /** UPS only: double-conversion efficiency at rated load, and battery runtime at full load. */
    efficiencyPct: real('efficiency_pct'),
    batteryRuntimeMin: real('battery_runtime_min'),
    /** Rack PDU only: how many outlets it has (null: not recorded); free ones count as ports in capacity planning. */
    outlets: integer('outlets'),
    /** Rack PDUs and rack feeds belong to a rack. */
    rackId: integer('rack_id').references(() => racks.id, { onDelete: 'cascade' }),
    deviceId: integer('device_id').references(() => devices.id, { onDelete: 'set null' }),
  },
  (t) => [
    unique('power_nodes_site_name').on(t.siteId, t.name),
    check(
      'power_nodes_has_capacity',
      sql`${t.capacityKw} > 0 OR (${t.voltageV} > 0 AND ${t.amperageA} > 0 AND ${t.phase} IS NOT NULL)`,
    ),
    check('power_nodes_max_util_range', sql`${t.maxUtilizationPct} > 0 AND ${t.maxUtilizationPct} <= 100`),
    check('power_nodes_efficiency_range', sql`${t.efficiencyPct} IS NULL OR (${t.efficiencyPct} > 50 AND ${t.efficiencyPct} <= 100)`),
    check('power_nodes_rack_pdu_has_rack', sql`${t.kind} <> 'rack-pdu' OR ${t.rackId} IS NOT NULL`),
    check('power_nodes_outlets_range', sql`${t.outlets} IS NULL OR (${t.outlets} BETWEEN 1 AND 200 AND ${t.kind} = 'rack-pdu')`),
    index('power_nodes_rack_idx').on(t.rackId),
  ],
);

/** Directed edge: power flows from upstream to downstream. An ATS has two upstreams (utility and generator). */
export const powerEdges = pgTable(
  'power_edges',
  {
    upstreamId: integer('upstream_id')
      .notNull()
      .references(() => powerNodes.id, { onDelete: 'cascade' }),
    downstreamId: integer('downstream_id')
      .notNull()
      .references(() => powerNodes.id, { onDelete: 'cascade' }),
    /** Order of preference among a node's sources: 0 carries the load, higher numbers stand by (an ATS's generator). */
    priority: integer('priority').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.upstreamId, t.downstreamId] }), check('power_edges_no_self_loop', sql`${t.upstreamId} <> ${t.downstreamId}`)],
);

/** A device PSU plugged into a rack PDU outlet, on side A or B. */
export const psuConnections = pgTable(
  'psu_connections',
  {
    id: serial('id').primaryKey(),
    deviceId: integer('device_id')
      .notNull()
      .references(() => devices.id, { onDelete: 'cascade' }),
    psuName: text('psu_name').notNull(),
    rackPduId: integer('rack_pdu_id')
      .notNull()
      .references(() => powerNodes.id, { onDelete: 'restrict' }),
    side: powerSide('side').notNull(),
    maximumDrawW: integer('maximum_draw_w').notNull(),
  },
  (t) => [unique('psu_connections_device_psu').on(t.deviceId, t.psuName), check('psu_connections_draw_positive', sql`${t.maximumDrawW} > 0`)],
);
