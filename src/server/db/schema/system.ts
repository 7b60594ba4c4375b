import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/** Background workers report here, so /api/health in any process can see every worker's state. */
export const workerHeartbeats = pgTable(
  'worker_heartbeats',
  {
    name: text('name').notNull(),
    instance: text('instance').notNull(),
    pid: integer('pid').notNull(),
    status: text('status').notNull(),
    detail: text('detail').notNull().default(''),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.name, t.instance] })],
);

/**
 * The instance registry: every Plenum process (web, workers, a separate simulator) registers here with a lease it
 * renews every 2 s (services/instances.ts). An instance is live while its lease runs and it holds its liveness
 * advisory lock (`lock_key`), so a killed process drops out as soon as its connection closes. `endpoints` carries
 * what others must reach it at: the simulated world's exporter endpoints per scheme (`{"simulator": {"http": "host:port"}}`).
 */
export const instances = pgTable(
  'instances',
  {
    id: text('id').primaryKey(),
    hostname: text('hostname').notNull(),
    pid: integer('pid').notNull(),
    version: text('version').notNull(),
    rolesRequested: text('roles_requested').array().notNull().default([]),
    rolesHeld: text('roles_held').array().notNull().default([]),
    endpoints: jsonb('endpoints').$type<InstanceEndpoints>().notNull().default({}),
    lockKey: integer('lock_key').notNull(),
    /** Scrape targets this instance scrapes now (its rendezvous shard); null without the scrape role. */
    shardSize: integer('shard_size'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }).notNull(),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('instances_lock_key').on(t.lockKey),
    index('instances_lease_expires_at').on(t.leaseExpiresAt),
    check('instances_lock_key_positive', sql`${t.lockKey} > 0`),
    check('instances_lease_after_heartbeat', sql`${t.leaseExpiresAt} >= ${t.heartbeatAt}`),
  ],
);

/** Endpoints an instance advertises: per area, per scheme, a host:port. */
export type InstanceEndpoints = { simulator?: Record<string, string> };
