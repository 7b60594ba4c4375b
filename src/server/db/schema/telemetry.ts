/**
 * Telemetry and alerts. Raw samples and rollups live in time-partitioned tables created by a hand-written migration
 * (drizzle cannot express PARTITION BY RANGE): `telemetry_sample_blocks` (raw samples in blocks, drizzle/0030; the view
 * `telemetry_samples` shows them as rows of series_id, ts, value),
 * `telemetry_rollup_1m_blocks` (1-minute buckets in blocks, drizzle/0031; the view `telemetry_rollup_1m` shows them as
 * rows) and `telemetry_rollup_1h` (series_id, bucket, min, max, sum, count), and `telemetry_chunks`
 * (series_id, window_start, count, data bytea: a compressed 30-minute window of raw samples, drizzle/0012), and
 * `telemetry_rollup_1m_chunks` (series_id, window_start, buckets, data bytea: a compressed closed hour of 1-minute
 * rollups, drizzle/0019). They are read and written with SQL in src/server/services/telemetry, so they are not declared
 * here.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  real,
  serial,
  text,
  timestamp,
  unique,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { coolingUnits } from './cooling';
import { accelerators, devices } from './devices';
import { racks, securityZones, sites } from './inventory';
import { powerNodes } from './power';

export const TARGET_DIALECTS = ['dcgm', 'nvidia-smi', 'prometheus', 'plenum', 'amd', 'tpu', 'snmp', 'redfish', 'modbus'] as const;
export type TargetDialect = (typeof TARGET_DIALECTS)[number];

/** An exporter endpoint Plenum scrapes, with the health of its last scrapes. */
export const scrapeTargets = pgTable(
  'scrape_targets',
  {
    id: serial('id').primaryKey(),
    url: text('url').notNull(),
    dialect: text('dialect').$type<TargetDialect>().notNull(),
    intervalMs: integer('interval_ms').notNull().default(10_000),
    timeoutMs: integer('timeout_ms').notNull().default(5_000),
    enabled: boolean('enabled').notNull().default(true),
    /** Hostname for series that carry none (nvidia_gpu_exporter never does). */
    hostOverride: text('host_override'),
    /** 'simulator' for targets the live simulator registers (and re-registers) itself; null for user targets. */
    managedBy: text('managed_by'),
    /**
     * The security zone the target reports on (migration 0008): zone-scoped principals see and manage only targets of
     * their zones, and its samples that map to another zone's objects are refused. Null: an all-zones target. Deleting
     * the zone deletes its targets (never widens them to all zones).
     */
    securityZoneId: integer('security_zone_id').references(() => securityZones.id, { onDelete: 'cascade' }),
    lastAttemptAt: timestamp('last_attempt_at', { withTimezone: true }),
    lastSuccessAt: timestamp('last_success_at', { withTimezone: true }),
    lastErrorAt: timestamp('last_error_at', { withTimezone: true }),
    lastError: text('last_error'),
    lastDurationMs: real('last_duration_ms'),
    lastSampleCount: integer('last_sample_count'),
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    /**
     * Which source wins when this target and another (remote-write, another target) report the same quantity: higher
     * wins. Plenum's own scrape targets default to 100, remote-write is PLENUM_REMOTE_WRITE_PREFERENCE (50).
     */
    preference: integer('preference').notNull().default(100),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** Facility collector settings (snmp / redfish / modbus; migration 0016), validated by the collector's schema. */
    options: jsonb('options').$type<Record<string, unknown>>().notNull().default({}),
    /** Collector secrets (community, SNMPv3 keys, passwords): never returned by the API or the CLI. */
    credentials: jsonb('credentials').$type<Record<string, unknown>>().notNull().default({}),
    /** The facility object a collector target reads (at most one): its readings get its name as `device`. */
    powerNodeId: integer('power_node_id').references(() => powerNodes.id, { onDelete: 'cascade' }),
    coolingUnitId: integer('cooling_unit_id').references(() => coolingUnits.id, { onDelete: 'cascade' }),
    /** Tells apart devices behind one URL (facility object + collector key); '' for HTTP targets. */
    targetKey: text('target_key').notNull().default(''),
  },
  (t) => [
    check('scrape_targets_dialect', sql`${t.dialect} IN ('dcgm', 'nvidia-smi', 'prometheus', 'plenum', 'amd', 'tpu', 'snmp', 'redfish', 'modbus')`),
    unique('scrape_targets_url_key_unique').on(t.url, t.targetKey),
    check('scrape_targets_one_facility_object', sql`num_nonnulls(${t.powerNodeId}, ${t.coolingUnitId}) <= 1`),
    index('scrape_targets_power_node_idx').on(t.powerNodeId),
    index('scrape_targets_cooling_unit_idx').on(t.coolingUnitId),
    check('scrape_targets_interval_range', sql`${t.intervalMs} BETWEEN 250 AND 86400000`),
    check('scrape_targets_timeout_range', sql`${t.timeoutMs} BETWEEN 100 AND 600000`),
    index('scrape_targets_security_zone_idx').on(t.securityZoneId),
    check('scrape_targets_preference_range', sql`${t.preference} BETWEEN 0 AND 1000`),
  ],
);

/** Where a series' samples come from: a Plenum scrape target, Prometheus remote-write, or anything else. */
export const SERIES_SOURCES = ['scrape', 'remote-write', 'other'] as const;
export type SeriesSource = (typeof SERIES_SOURCES)[number];

export const SERIES_ENTITY_KINDS = ['gpu', 'device', 'rack', 'power-node', 'cooling-unit', 'site', 'unmapped'] as const;
export type SeriesEntityKind = (typeof SERIES_ENTITY_KINDS)[number];

/**
 * One time series: a metric and its identifying labels, mapped once (and re-mapped when the inventory changes) to the
 * inventory entity it measures. Unmapped series are kept with entity_kind 'unmapped', never dropped.
 * The enclosing entities are filled in too (a GPU series also names its device and rack) so queries by host or rack
 * find them without joins.
 */
export const telemetrySeries = pgTable(
  'telemetry_series',
  {
    id: serial('id').primaryKey(),
    /** metric + sorted labels: the identity of the series. */
    seriesKey: text('series_key').notNull(),
    metric: text('metric').notNull(),
    unit: text('unit').notNull(),
    labels: jsonb('labels').$type<Record<string, string>>().notNull(),
    /** The identity the series carried, kept so it can be re-mapped when the inventory changes. */
    gpuUuid: text('gpu_uuid'),
    hostname: text('hostname'),
    deviceName: text('device_name'),
    entityKind: text('entity_kind').$type<SeriesEntityKind>().notNull(),
    acceleratorId: integer('accelerator_id').references(() => accelerators.id, { onDelete: 'set null' }),
    deviceId: integer('device_id').references(() => devices.id, { onDelete: 'set null' }),
    rackId: integer('rack_id').references(() => racks.id, { onDelete: 'set null' }),
    powerNodeId: integer('power_node_id').references(() => powerNodes.id, { onDelete: 'set null' }),
    coolingUnitId: integer('cooling_unit_id').references(() => coolingUnits.id, { onDelete: 'set null' }),
    siteId: integer('site_id').references(() => sites.id, { onDelete: 'set null' }),
    /** The target that first delivered the series (null: remote-write). */
    targetId: integer('target_id').references(() => scrapeTargets.id, { onDelete: 'set null' }),
    source: text('source').$type<SeriesSource>().notNull().default('scrape'),
    /** Set by a Prometheus staleness marker: the series has no current value from then on, until a newer sample. */
    endedAt: timestamp('ended_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** The labels among QUANTITY_LABELS (sources.ts), set by a trigger from `labels` (migration 0024). */
    quantityLabels: jsonb('quantity_labels').$type<Record<string, string>>().notNull().default({}),
  },
  (t) => [
    uniqueIndex('telemetry_series_key').on(t.seriesKey),
    // Latest-value readers (dashboards.ts readLatest) scan only this index, never the wide series rows: migration 0024
    // INCLUDEs the columns they read (drizzle cannot declare INCLUDE).
    index('telemetry_series_latest_read_idx').on(t.metric, t.siteId),
    index('telemetry_series_metric_idx').on(t.metric),
    index('telemetry_series_accelerator_idx').on(t.acceleratorId),
    index('telemetry_series_device_idx').on(t.deviceId),
    index('telemetry_series_rack_idx').on(t.rackId),
    index('telemetry_series_target_idx').on(t.targetId),
    index('telemetry_series_unmapped_idx').on(t.id).where(sql`${t.entityKind} = 'unmapped'`),
    check('telemetry_series_source', sql`${t.source} IN ('scrape', 'remote-write', 'other')`),
    check(
      'telemetry_series_entity_kind',
      sql`${t.entityKind} IN ('gpu', 'device', 'rack', 'power-node', 'cooling-unit', 'site', 'unmapped')`,
    ),
  ],
);

/**
 * Partial aggregates of committed flushes, waiting for the rollup worker: one row per flush (written in the flush's
 * transaction), parallel arrays with one entry per (series, minute) of that flush. Minutes are whole minutes since the
 * Unix epoch. The worker deletes the rows it adds to the rollups, in one transaction, so each sample counts once.
 */
export const telemetryRollupQueue = pgTable('telemetry_rollup_queue', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  enqueuedAt: timestamp('enqueued_at', { withTimezone: true }).notNull().defaultNow(),
  maxMinute: integer('max_minute').notNull(),
  /** The first minute it touches (migration 0034; NULL on older rows): site trend buckets from it on are not final. */
  minMinute: integer('min_minute'),
  seriesIds: integer('series_ids').array().notNull(),
  minutes: integer('minutes').array().notNull(),
  mins: doublePrecision('mins').array().notNull(),
  maxs: doublePrecision('maxs').array().notNull(),
  sums: doublePrecision('sums').array().notNull(),
  counts: integer('counts').array().notNull(),
});

/**
 * Samples refused on the way in, by reason (the parsers' input limits, see src/telemetry/input-limits.ts, and
 * `rejected_by_database` for rows a flush isolated): running totals added by every ingesting process.
 */
export const telemetryInputDrops = pgTable('telemetry_input_drops', {
  reason: text('reason').primaryKey(),
  samples: bigint('samples', { mode: 'number' }).notNull().default(0),
  lastAt: timestamp('last_at', { withTimezone: true }).notNull().defaultNow(),
});

export const ALERT_RULE_KINDS = ['threshold', 'rack-power-budget', 'target-down'] as const;
export type AlertRuleKind = (typeof ALERT_RULE_KINDS)[number];
export type AlertSeverity = 'warning' | 'critical';
export type AlertState = 'firing' | 'acknowledged' | 'resolved';

/**
 * An alert rule. `threshold`: every sample of `metric` in the last `duration_s` compares true against `threshold`.
 * `rack-power-budget`: a rack's measured PDU power above `threshold` × its max power (ratio). `target-down`: a scrape
 * target without a successful scrape for `duration_s`.
 */
export const alertRules = pgTable(
  'alert_rules',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull().unique(),
    kind: text('kind').$type<AlertRuleKind>().notNull(),
    metric: text('metric'),
    comparator: text('comparator').$type<'>' | '<'>().notNull().default('>'),
    threshold: real('threshold').notNull(),
    durationS: integer('duration_s').notNull().default(0),
    severity: text('severity').$type<AlertSeverity>().notNull(),
    enabled: boolean('enabled').notNull().default(true),
    description: text('description').notNull().default(''),
  },
  (t) => [
    check('alert_rules_kind', sql`${t.kind} IN ('threshold', 'rack-power-budget', 'target-down')`),
    check('alert_rules_comparator', sql`${t.comparator} IN ('>', '<')`),
    check('alert_rules_severity', sql`${t.severity} IN ('warning', 'critical')`),
    check('alert_rules_duration_range', sql`${t.durationS} BETWEEN 0 AND 86400`),
    check('alert_rules_threshold_metric', sql`${t.kind} <> 'threshold' OR ${t.metric} IS NOT NULL`),
  ],
);

/** An alert: one rule firing for one entity. At most one open (firing or acknowledged) alert per rule and entity. */
export const alerts = pgTable(
  'alerts',
  {
    id: serial('id').primaryKey(),
    ruleId: integer('rule_id')
      .notNull()
      .references(() => alertRules.id, { onDelete: 'cascade' }),
    /** Stable identity of what fires: `series:<id>`, `rack:<id>`, `target:<id>`. */
    entityKey: text('entity_key').notNull(),
    /** What an operator reads: "A1-01 inlet (A1-01:inlet)", "GPU-… on a1-01-gpu1". */
    entityLabel: text('entity_label').notNull(),
    seriesId: integer('series_id').references(() => telemetrySeries.id, { onDelete: 'set null' }),
    rackId: integer('rack_id').references(() => racks.id, { onDelete: 'set null' }),
    state: text('state').$type<AlertState>().notNull(),
    value: real('value'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true }),
    acknowledgedBy: text('acknowledged_by'),
    /** What the operator wrote when acknowledging (bulk acknowledgements share one note). */
    ackNote: text('ack_note'),
    /** Hidden from the open list until then (the alert keeps its state and still resolves on its own). */
    silencedUntil: timestamp('silenced_until', { withTimezone: true }),
    silencedBy: text('silenced_by'),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('alerts_one_open_per_entity').on(t.ruleId, t.entityKey).where(sql`${t.state} <> 'resolved'`),
    index('alerts_state_idx').on(t.state, t.startedAt),
    check('alerts_state', sql`${t.state} IN ('firing', 'acknowledged', 'resolved')`),
  ],
);

/** The lifecycle history of each alert: fired, acknowledged, resolved (with the value and who did it). */
export const alertEvents = pgTable(
  'alert_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    alertId: integer('alert_id')
      .notNull()
      .references(() => alerts.id, { onDelete: 'cascade' }),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    state: text('state').$type<AlertState>().notNull(),
    value: real('value'),
    actor: text('actor').notNull().default('system'),
    /** The acknowledgement note, or what a silence was for and until when. */
    note: text('note'),
  },
  (t) => [index('alert_events_alert_idx').on(t.alertId, t.at)],
);
