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

/**
 * The latest result per trend range key (e.g. `trends:1:3600000:now`), written by the instance that computed it
 * (services/live-aggregates.ts TrendCache, migration 0032).
 */
export const trendSnapshots = pgTable(
  'trend_snapshots',
  {
    key: text('key').primaryKey(),
    /** The data it was computed from: 'raw' samples, '1m' or '1h' rollups. */
    resolution: text('resolution').notNull(),
    /** rollup_generation.generation read before it was computed. */
    rollupGeneration: bigint('rollup_generation', { mode: 'number' }).notNull(),
    computedAtMs: bigint('computed_at_ms', { mode: 'number' }).notNull(),
    computeMs: integer('compute_ms').notNull(),
    body: json('body').notNull(),
  },
  (t) => [check('trend_snapshots_key_length', sql`length(${t.key}) BETWEEN 1 AND 200`)],
);

/** Bumped by every rollup run that added to the rollups (telemetry/rollups.ts): trend ranges over rollups are current per generation. */
export const rollupGeneration = pgTable(
  'rollup_generation',
  {
    id: boolean('id').primaryKey().default(true),
    generation: bigint('generation', { mode: 'number' }).notNull().default(0),
  },
  (t) => [check('rollup_generation_single_row', sql`${t.id}`)],
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
