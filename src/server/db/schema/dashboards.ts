import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, check, doublePrecision, integer, json, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

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

/**
 * The site trends per 15 s bucket of the clock over the last hours, computed once per minute of data
 * (services/site-trend-store.ts, migration 0034): `value` is the bucket's point as siteTrend computes it from the raw
 * samples (one value per quantity, summed or averaged across).
 */
export const siteTrendBuckets = pgTable(
  'site_trend_buckets',
  {
    siteId: integer('site_id').notNull(),
    metric: text('metric').notNull(),
    bucket: timestamp('bucket', { withTimezone: true }).notNull(),
    value: doublePrecision('value').notNull(),
  },
  (t) => [primaryKey({ name: 'site_trend_buckets_pkey', columns: [t.siteId, t.metric, t.bucket] })],
);

/** Minutes (since the Unix epoch) whose stored trend buckets are to be recomputed: written by the rollup run that took their samples. */
export const siteTrendDirty = pgTable('site_trend_dirty', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  minute: integer('minute').notNull(),
});

/** From which minute the stored trend buckets are maintained (NULL: none), under which remote-write preference, as of when; generation bumps on reset. */
export const siteTrendState = pgTable(
  'site_trend_state',
  {
    id: boolean('id').primaryKey().default(true),
    coveredFromMinute: integer('covered_from_minute'),
    remoteWritePreference: integer('remote_write_preference'),
    /** When the last pass began: its buckets hold every sample committed before. */
    asOfMs: bigint('as_of_ms', { mode: 'number' }),
    generation: bigint('generation', { mode: 'number' }).notNull().default(0),
  },
  (t) => [check('site_trend_state_single_row', sql`${t.id}`)],
);
