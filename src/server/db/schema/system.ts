import { integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

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
