import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgTable, primaryKey, serial, text, timestamp, unique, uniqueIndex } from 'drizzle-orm/pg-core';
import { devices } from './devices';
import { racks } from './inventory';

export type ClusterKind = 'slurm' | 'kubernetes';

/**
 * A job engine whose nodes are Plenum servers: Slurm through slurmrestd, or Kubernetes through its API server.
 * `credentials` is secret (a slurmrestd JWT, a kubeconfig): it is never returned by the API or the CLI.
 * `options` is parsed by `clusterOptionsSchema` (services/clusters/types.ts), which fills the defaults.
 */
export const clusters = pgTable(
  'clusters',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull().unique(),
    kind: text('kind').$type<ClusterKind>().notNull(),
    /** slurmrestd base URL, or the Kubernetes API server of the kubeconfig's context. */
    url: text('url').notNull(),
    credentials: jsonb('credentials').$type<Record<string, unknown>>().notNull().default({}),
    options: jsonb('options').$type<Record<string, unknown>>().notNull().default({}),
    lastSyncAt: timestamp('last_sync_at', { withTimezone: true }),
    lastErrorAt: timestamp('last_error_at', { withTimezone: true }),
    /** The last read's error text (cleared by the next good read). */
    lastError: text('last_error'),
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('clusters_kind', sql`${t.kind} IN ('slurm', 'kubernetes')`),
    check('clusters_name_shape', sql`${t.name} ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$'`),
    check('clusters_consecutive_failures_non_negative', sql`${t.consecutiveFailures} >= 0`),
  ],
);

/** A node as the engine last reported it, and the Plenum server it is (null: unmapped). */
export const clusterNodes = pgTable(
  'cluster_nodes',
  {
    id: serial('id').primaryKey(),
    clusterId: integer('cluster_id')
      .notNull()
      .references(() => clusters.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** The host name the engine reports for the node, when it differs from the node name. */
    hostname: text('hostname'),
    deviceId: integer('device_id').references(() => devices.id, { onDelete: 'set null' }),
    mapping: text('mapping').$type<'hostname' | 'explicit'>(),
    /** The engine's own state words (Slurm: IDLE, MIXED, DRAIN…; Kubernetes: Ready, NotReady, cordoned). */
    state: text('state').notNull(),
    reason: text('reason').notNull().default(''),
    /** False when the engine drained, downed or cordoned the node: Plenum places nothing there either. */
    available: boolean('available').notNull().default(true),
    gpusTotal: integer('gpus_total').notNull().default(0),
    gpusAllocated: integer('gpus_allocated').notNull().default(0),
    partitions: text('partitions').array().notNull().default(sql`'{}'::text[]`),
    labels: jsonb('labels').$type<Record<string, string>>().notNull().default({}),
    taints: jsonb('taints').$type<Array<{ key: string; value?: string; effect: string }>>().notNull().default([]),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('cluster_nodes_cluster_name_unique').on(t.clusterId, t.name),
    check('cluster_nodes_mapping', sql`${t.mapping} IS NULL OR ${t.mapping} IN ('hostname', 'explicit')`),
    check('cluster_nodes_mapped_how', sql`(${t.deviceId} IS NULL) = (${t.mapping} IS NULL)`),
    check('cluster_nodes_gpus_range', sql`${t.gpusTotal} >= 0 AND ${t.gpusAllocated} >= 0`),
    index('cluster_nodes_device_idx').on(t.deviceId),
  ],
);

/** `plenum clusters map <cluster> <node> <device>`: kept apart from the nodes so it survives before a node is seen. */
export const clusterNodeMappings = pgTable(
  'cluster_node_mappings',
  {
    clusterId: integer('cluster_id')
      .notNull()
      .references(() => clusters.id, { onDelete: 'cascade' }),
    nodeName: text('node_name').notNull(),
    deviceId: integer('device_id')
      .notNull()
      .references(() => devices.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'cluster_node_mappings_pk', columns: [t.clusterId, t.nodeName] })],
);

/**
 * Facility feedback: a node Plenum asked the engine to avoid (Slurm drain, Kubernetes taint), or only advised to
 * (the cluster is advise-only). Open while `released_at` is null; one open row per node.
 */
export const clusterSteering = pgTable(
  'cluster_steering',
  {
    id: serial('id').primaryKey(),
    clusterId: integer('cluster_id')
      .notNull()
      .references(() => clusters.id, { onDelete: 'cascade' }),
    nodeName: text('node_name').notNull(),
    rackId: integer('rack_id').references(() => racks.id, { onDelete: 'set null' }),
    cause: text('cause').notNull(),
    /** True when the engine was actually asked (false: advise only). */
    applied: boolean('applied').notNull(),
    state: text('state').$type<'steered' | 'advised' | 'failed' | 'released'>().notNull(),
    lastError: text('last_error'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    lastActionAt: timestamp('last_action_at', { withTimezone: true }).notNull().defaultNow(),
    releasedAt: timestamp('released_at', { withTimezone: true }),
  },
  (t) => [
    check('cluster_steering_state', sql`${t.state} IN ('steered', 'advised', 'failed', 'released')`),
    uniqueIndex('cluster_steering_open_unique').on(t.clusterId, t.nodeName).where(sql`${t.releasedAt} IS NULL`),
    index('cluster_steering_rack_idx').on(t.rackId),
  ],
);
