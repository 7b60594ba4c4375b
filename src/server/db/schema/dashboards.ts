import { sql } from 'drizzle-orm';
import { bigint, boolean, check, integer, json, pgTable, text } from 'drizzle-orm/pg-core';

/** The latest live aggregate per scope key (e.g. `overview:1:all`), written by the instance that computed it. */
export const dashboardSnapshots = pgTable(
  'dashboard_snapshots',
  {
    key: text('key').primaryKey(),
    /** The telemetry version (ingest transaction id) the aggregate reflects. */
    version: bigint('version', { mode: 'number' }).notNull(),
    computedAtMs: bigint('computed_at_ms', { mode: 'number' }).notNull(),
    /** How long the computation took (0: not recorded, rows before migration 0028). */
    computeMs: integer('compute_ms').notNull().default(0),
    body: json('body').notNull(),
  },
  (t) => [check('dashboard_snapshots_key_length', sql`length(${t.key}) BETWEEN 1 AND 200`)],
);

/** Bumped by a statement trigger on every plant table (migration 0020): site analyses are cached per version. */
export const plantVersion = pgTable(
  'plant_version',
  {
    id: boolean('id').primaryKey().default(true),
    version: bigint('version', { mode: 'number' }).notNull().default(0),
  },
  (t) => [check('plant_version_single_row', sql`${t.id}`)],
);
