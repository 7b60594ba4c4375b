import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { dbId } from '../inputs';
import { metricsWithAliases, resolveMetricName } from '@/telemetry/metric-names';
import { TARGET_DIALECTS } from '../../db/schema';
import { parseDurationMs } from '../../services/telemetry/config';
import { TELEMETRY_CHANNEL } from '../../services/telemetry/ingest';
import { getNotifyBus } from '../../services/telemetry/notify-bus';
import { listUnmapped, QueryError, queryTelemetry } from '../../services/telemetry/query';
import { listRegisterMaps, loadRegisterMap } from '@/telemetry/modbus/register-map';
import { collectorFor } from '../../services/telemetry/collectors/index';
import { type Collector, isCollectorDialect } from '../../services/telemetry/collectors/types';
import { scrapeDialect, TsdbQueryError } from '../../services/telemetry/remote-backend';
import { DEFAULT_TARGET_PREFERENCE, remoteWritePreference } from '../../services/telemetry/sources';
import { ScrapeError, TargetGuard } from '../../services/telemetry/target-guard';
import { snmpProfiles } from '@/telemetry/snmp/profile';
import { asFieldError, FieldValidationError, fieldError } from '../errors';
import { assertInZone, isInZone, scopedZoneIds, zoneConditionText } from '../../auth/zones';
import { type Context, operateProcedure, readProcedure, router } from '../trpc';

/** The longest duration any input takes (anything longer is a typo or an attack on an integer column). */
const MAX_DURATION_MS = 3650 * 86_400_000;

const duration = z
  .union([z.number().int().positive(), z.string().trim().min(1).max(40)])
  .transform((v, ctx) => {
    try {
      const ms = typeof v === 'number' ? v : parseDurationMs(v);
      if (ms > MAX_DURATION_MS) {
        ctx.addIssue({ code: 'custom', message: 'must be at most 3650d' });
        return z.NEVER;
      }
      return ms;
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });

/** A target's scrape interval: the same bounds on add and on update. */
const targetInterval = duration.refine((ms) => ms >= 250 && ms <= 86_400_000, 'must be between 250ms and 1d');

const queryInput = z
  .object({
    /** A catalogue name or an exporter's own name for it (DCGM_FI_DEV_POWER_USAGE → gpu_power_w). */
    metric: z.string().trim().min(1).max(200).transform(resolveMetricName),
    entity: z.string().trim().min(1).max(200).optional(),
    target: z.string().trim().min(1).max(2000).optional(),
    /** How far back: milliseconds or a duration ("15m", "2h", "7d"). */
    since: duration.default(900_000),
    resolution: z.enum(['auto', 'raw', '1m', '1h']).default('auto'),
  })
  .refine((v) => v.entity || v.target, { message: 'give an entity or a target', path: ['entity'] });

async function runQuery(ctx: Context, input: z.infer<typeof queryInput>, untilMs?: number) {
  // Zone-scoped callers read only series of their racks, and only entities and targets of their zones.
  const zones =
    scopedZoneIds(ctx.principal) === null
      ? undefined
      : { visible: (kind: 'gpu' | 'device' | 'rack' | 'target', id: number) => isInZone(ctx, kind, id), seriesCondition: zoneConditionText(ctx.principal, 'series', 's.id') };
  try {
    return await queryTelemetry(ctx.pool, { metric: input.metric, entity: input.entity, target: input.target, sinceMs: input.since, resolution: input.resolution, untilMs }, zones);
  } catch (error) {
    if (error instanceof QueryError) throw fieldError(error.field, error.message);
    // PLENUM_TSDB=prometheus-remote and the back-end failed: say which and why, not "internal error".
    if (error instanceof TsdbQueryError) throw new TRPCError({ code: 'BAD_GATEWAY', message: error.message });
    throw error;
  }
}

const preference = z.number().int().min(0, 'must be 0-1000').max(1000, 'must be 0-1000');

/** The URL schemes each dialect takes: HTTP exporters and Redfish over http(s), SNMP agents and Modbus gateways by address. */
const DIALECT_SCHEMES: Record<string, readonly string[]> = { snmp: ['snmp:'], modbus: ['modbus:'] };
const schemesOf = (dialect: string) => DIALECT_SCHEMES[dialect] ?? ['http:', 'https:'];

/** Collector settings and secrets arrive as objects; the dialect's collector validates their contents. */
const collectorObject = z.record(z.string().max(100), z.unknown());

/** A facility object by name, or `site/name` when two sites have one of that name. */
const facilityName = z.string().trim().min(1).max(300);

const targetInput = z
  .object({
    url: z.url({ protocol: /^(https?|snmp|modbus)$/, message: 'must be an http://, https://, snmp:// or modbus:// URL' }).max(2000),
    dialect: z.enum(TARGET_DIALECTS),
    /** Facility collectors (snmp, redfish, modbus): settings such as `{ profile: 'ups-mib' }`, validated by the collector. */
    options: collectorObject.default({}),
    /** Facility collector secrets (community, SNMPv3 keys, passwords): stored, never returned. */
    credentials: collectorObject.default({}),
    /** The UPS, PDU, rack PDU, meter or cooling unit a collector target reads. */
    device: facilityName.optional(),
    interval: targetInterval.default(10_000),
    timeout: duration.default(5_000).refine((ms) => ms >= 100 && ms <= 600_000, 'must be between 100ms and 10m'),
    host: z.string().trim().min(1).max(253).optional(),
    enabled: z.boolean().default(true),
    /** The security zone whose objects this target reports on: required for zone-scoped callers, else all zones. */
    zoneId: z.number().int().positive().optional(),
    /**
     * Source preference when another source (remote-write) reports the same quantity: higher wins; remote-write is 50.
     * Default 100, or remote-write's for a federation endpoint (a site Prometheus' copy of what an exporter said).
     */
    preference: preference.optional(),
  })
  .superRefine((v, ctx) => {
    const scheme = `${v.url.split(':')[0]}:`.toLowerCase();
    if (!schemesOf(v.dialect).includes(scheme)) ctx.addIssue({ code: 'custom', path: ['url'], message: `a ${v.dialect} target's URL starts with ${schemesOf(v.dialect).map((s) => `${s}//`).join(' or ')}` });
    if (!isCollectorDialect(v.dialect)) {
      if (Object.keys(v.options).length > 0) ctx.addIssue({ code: 'custom', path: ['options'], message: `are only for the snmp, redfish and modbus dialects` });
      if (Object.keys(v.credentials).length > 0) ctx.addIssue({ code: 'custom', path: ['credentials'], message: `are only for the snmp, redfish and modbus dialects` });
      if (v.device !== undefined) ctx.addIssue({ code: 'custom', path: ['device'], message: 'is only for the snmp, redfish and modbus dialects' });
    }
  });

/** Validates a collector's options or credentials; each problem names its field (`options.profile`). */
function parseCollectorField(schema: z.ZodType, value: unknown, field: 'options' | 'credentials'): Record<string, unknown> {
  const r = schema.safeParse(value);
  if (r.success) return r.data as Record<string, unknown>;
  throw new FieldValidationError(
    r.error.issues.map((issue) => ({
      field: [field, ...issue.path.map(String)].join('.'),
      reason: issue.code === 'unrecognized_keys' ? `unknown setting ${issue.keys.join(', ')}` : issue.message,
    })),
  );
}

function collectorOf(dialect: string): Collector {
  const collector = collectorFor(dialect);
  if (!collector) throw fieldError('dialect', `has no collector in this version of Plenum`);
  return collector;
}

type FacilityObject = { powerNodeId: number | null; coolingUnitId: number | null; key: string };

/**
 * Finds the facility object a collector target reads: a power node (UPS, PDU, rack PDU, meter) or a cooling unit. A
 * zone-scoped caller finds rack PDUs only in racks of its zones (the others are "not found", as in collectorChoices).
 */
async function facilityObjectByName(ctx: Context, name: string): Promise<FacilityObject> {
  const slash = name.indexOf('/');
  const site = slash > 0 ? name.slice(0, slash).trim().toLowerCase() : null;
  const objectName = slash > 0 ? name.slice(slash + 1).trim() : name;
  const rows = await ctx.pool.query<{ kind: 'power-node' | 'cooling-unit'; id: number; slug: string }>(
    `SELECT 'power-node' AS kind, pn.id, s.slug FROM power_nodes pn JOIN sites s ON s.id = pn.site_id
      WHERE lower(pn.name) = lower($1) AND ($2::text IS NULL OR s.slug = $2)
        AND (pn.rack_id IS NULL OR ${zoneConditionText(ctx.principal, 'rack', 'pn.rack_id')})
     UNION ALL
     SELECT 'cooling-unit', cu.id, s.slug FROM cooling_units cu JOIN sites s ON s.id = cu.site_id
      WHERE lower(cu.name) = lower($1) AND ($2::text IS NULL OR s.slug = $2)`,
    [objectName, site],
  );
  if (rows.rows.length === 0) throw fieldError('device', `no UPS, PDU, rack PDU, meter or cooling unit is named "${name}"`);
  if (rows.rows.length > 1) throw fieldError('device', `"${name}" names ${rows.rows.length} objects: write it as <site>/<name> (${rows.rows.map((r) => `${r.slug}/${objectName}`).join(', ')})`);
  const found = rows.rows[0]!;
  return found.kind === 'power-node' ? { powerNodeId: found.id, coolingUnitId: null, key: `power-node:${found.id}` } : { powerNodeId: null, coolingUnitId: found.id, key: `cooling-unit:${found.id}` };
}

/** The part of a target's unique key after its URL: the facility object and what the collector says tells devices apart. */
function targetKeyOf(collector: Collector, options: Record<string, unknown>, facility: FacilityObject | null): string {
  return [facility?.key ?? '', collector.targetKey?.(options) ?? ''].filter((k) => k !== '').join('/');
}

// Credentials are never selected: the API and the CLI only say whether a target has some.
const TARGET_COLUMNS = `id, url, dialect, options, credentials <> '{}'::jsonb AS "hasCredentials",
  coalesce((SELECT name FROM power_nodes WHERE id = power_node_id), (SELECT name FROM cooling_units WHERE id = cooling_unit_id)) AS device,
  interval_ms AS "intervalMs", timeout_ms AS "timeoutMs", enabled, host_override AS "hostOverride",
  managed_by AS "managedBy", last_attempt_at AS "lastAttemptAt", last_success_at AS "lastSuccessAt", last_error_at AS "lastErrorAt",
  last_error AS "lastError", last_duration_ms AS "lastDurationMs", last_sample_count AS "lastSampleCount",
  consecutive_failures AS "consecutiveFailures", security_zone_id AS "zoneId", preference,
  (enabled AND coalesce(last_success_at, 'epoch') >= now() - make_interval(secs => greatest(30, 3 * interval_ms / 1000.0))) AS up`;

type TargetRow = {
  id: number;
  url: string;
  dialect: string;
  options: Record<string, unknown>;
  hasCredentials: boolean;
  /** The facility object a collector target reads, by name. */
  device: string | null;
  intervalMs: number;
  timeoutMs: number;
  enabled: boolean;
  hostOverride: string | null;
  managedBy: string | null;
  lastAttemptAt: Date | null;
  lastSuccessAt: Date | null;
  lastErrorAt: Date | null;
  lastError: string | null;
  lastDurationMs: number | null;
  lastSampleCount: number | null;
  consecutiveFailures: number;
  zoneId: number | null;
  preference: number;
  up: boolean;
};

export const telemetryRouter = router({
  /** The metric catalogue: each canonical name with its unit, kind, scope and the exporter names that resolve to it. */
  metrics: readProcedure.query(() => metricsWithAliases()),

  /** Points of one metric for an entity or a target; resolution raw / 1m / 1h chosen by the range unless given. */
  query: readProcedure.meta({ example: { metric: 'gpu_power_w', entity: 'example' } }).input(queryInput).query(({ ctx, input }) => runQuery(ctx, input)),

  /** The query, then new points as the ingest commits them (PostgreSQL NOTIFY → SSE). */
  live: readProcedure.meta({ example: { metric: 'gpu_power_w', entity: 'example' } }).input(queryInput).subscription(async function* ({ ctx, input, signal }) {
    let result = await runQuery(ctx, input);
    yield result;
    const bus = getNotifyBus();
    while (!signal?.aborted) {
      // Wake on the next committed flush, or every 5 s anyway (a missed NOTIFY during a reconnect costs 5 s at most).
      await bus.next(TELEMETRY_CHANNEL, 5_000, signal);
      if (signal?.aborted) break;
      await new Promise((r) => setTimeout(r, 100)); // coalesce bursts of flushes
      result = await runQuery(ctx, input);
      yield result;
    }
  }),

  unmapped: readProcedure
    .input(z.object({ limit: z.number().int().min(1).max(1000).default(200) }).optional())
    .query(({ ctx, input }) => listUnmapped(ctx.pool, input?.limit ?? 200, zoneConditionText(ctx.principal, 'target', 's.target_id'))),

  /** Ingest counters of this process (buffered / written / dropped samples). */
  ingestStats: readProcedure.query(async () => {
    const { getProcessIngest } = await import('../../services/telemetry/index');
    return getProcessIngest()?.stats ?? null;
  }),

  /**
   * What a collector target can be pointed at: the SNMP device profiles, and the facility objects by name (UPS, PDUs,
   * meters and cooling units of the sites; rack PDUs only of racks in the caller's zones).
   */
  collectorChoices: readProcedure.query(async ({ ctx }) => {
    const objects = await ctx.pool.query<{ name: string; site: string; kind: string }>(
      `SELECT pn.name, s.slug AS site, pn.kind::text AS kind FROM power_nodes pn JOIN sites s ON s.id = pn.site_id
        WHERE pn.rack_id IS NULL OR ${zoneConditionText(ctx.principal, 'rack', 'pn.rack_id')}
       UNION ALL
       SELECT cu.name, s.slug, cu.kind::text FROM cooling_units cu JOIN sites s ON s.id = cu.site_id
       ORDER BY 2, 1`,
    );
    return {
      snmpProfiles: [...snmpProfiles().values()].map((p) => ({ name: p.name, description: p.description, kind: p.kind })),
      modbusMaps: listRegisterMaps().map((name) => ({ name, description: loadRegisterMap(name).description })),
      devices: objects.rows,
    };
  }),

  targets: router({
    list: readProcedure.query(async ({ ctx }) => {
      const rows = await ctx.pool.query<TargetRow>(
        `SELECT ${TARGET_COLUMNS} FROM scrape_targets WHERE ${zoneConditionText(ctx.principal, 'target', 'scrape_targets.id')} ORDER BY managed_by NULLS FIRST, id`,
      );
      return rows.rows;
    }),
    add: operateProcedure.meta({ example: { url: 'http://192.0.2.10:9400/metrics', dialect: 'dcgm' } }).input(targetInput).mutation(async ({ ctx, input }) => {
      const scoped = scopedZoneIds(ctx.principal);
      if (scoped !== null && input.zoneId === undefined) throw fieldError('zoneId', 'is required: your grant covers only some zones, so the target must name one of them');
      if (scoped !== null && !scoped.includes(input.zoneId!)) throw fieldError('zoneId', 'is not one of your zones');
      // Loopback, link-local and metadata addresses are refused unless PLENUM_TARGET_ALLOW names them (the scraper
      // checks again at every connection, after DNS).
      await TargetGuard.fromEnv()
        .check(input.url)
        .catch((error: unknown) => {
          if (error instanceof ScrapeError) throw fieldError('url', error.message);
          throw error;
        });
      let options: Record<string, unknown> = {};
      let credentials: Record<string, unknown> = {};
      let facility: FacilityObject | null = null;
      let targetKey = '';
      if (isCollectorDialect(input.dialect)) {
        const collector = collectorOf(input.dialect);
        options = parseCollectorField(collector.optionsSchema, input.options, 'options');
        credentials = parseCollectorField(collector.credentialsSchema, input.credentials, 'credentials');
        facility = input.device === undefined ? null : await facilityObjectByName(ctx, input.device);
        targetKey = targetKeyOf(collector, options, facility);
      }
      try {
        const rows = await ctx.pool.query<TargetRow>(
          `INSERT INTO scrape_targets (url, dialect, interval_ms, timeout_ms, host_override, enabled, security_zone_id, preference, options, credentials, power_node_id, cooling_unit_id, target_key)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING ${TARGET_COLUMNS}`,
          [
            input.url,
            input.dialect,
            input.interval,
            Math.min(input.timeout, input.interval),
            input.host ?? null,
            input.enabled,
            input.zoneId ?? null,
            input.preference ?? (scrapeDialect(input.url, input.dialect) === 'auto' ? remoteWritePreference() : DEFAULT_TARGET_PREFERENCE),
            options,
            credentials,
            facility?.powerNodeId ?? null,
            facility?.coolingUnitId ?? null,
            targetKey,
          ],
        );
        return rows.rows[0]!;
      } catch (error) {
        asFieldError(error, {
          scrape_targets_url_key_unique: { field: 'url', reason: targetKey ? 'is already a target for this device and settings' : 'is already a target' },
          scrape_targets_security_zone_id_security_zones_id_fk: { field: 'zoneId', reason: 'does not exist' },
        });
      }
    }),
    update: operateProcedure
      .meta({ example: { id: 1 } })
      .input(
        z.object({
          id: dbId,
          enabled: z.boolean().optional(),
          interval: targetInterval.optional(),
          host: z.string().trim().max(253).nullish(),
          preference: preference.optional(),
          /** Collector targets: new settings (replace the old ones), new secrets (omit to keep), another facility object (null: none). */
          options: collectorObject.optional(),
          credentials: collectorObject.optional(),
          device: facilityName.nullish(),
        }),
      )
      .mutation(async ({ ctx, input }) => {
        await assertInZone(ctx, 'target', input.id);
        const current = await ctx.pool.query<{ dialect: string; options: Record<string, unknown>; power_node_id: number | null; cooling_unit_id: number | null }>(
          'SELECT dialect, options, power_node_id, cooling_unit_id FROM scrape_targets WHERE id = $1',
          [input.id],
        );
        const target = current.rows[0];
        if (!target) throw fieldError('id', 'no such target');
        const collectorChange = input.options !== undefined || input.credentials !== undefined || input.device !== undefined;
        let collectorSet: { options: Record<string, unknown>; credentials: Record<string, unknown> | null; facility: FacilityObject | null; key: string } | null = null;
        if (collectorChange) {
          if (!isCollectorDialect(target.dialect)) throw fieldError(input.options !== undefined ? 'options' : input.credentials !== undefined ? 'credentials' : 'device', 'is only for the snmp, redfish and modbus dialects');
          const collector = collectorOf(target.dialect);
          const options = parseCollectorField(collector.optionsSchema, input.options ?? target.options, 'options');
          const credentials = input.credentials === undefined ? null : parseCollectorField(collector.credentialsSchema, input.credentials, 'credentials');
          const facility =
            input.device === undefined
              ? target.power_node_id !== null
                ? { powerNodeId: target.power_node_id, coolingUnitId: null, key: `power-node:${target.power_node_id}` }
                : target.cooling_unit_id !== null
                  ? { powerNodeId: null, coolingUnitId: target.cooling_unit_id, key: `cooling-unit:${target.cooling_unit_id}` }
                  : null
              : input.device === null
                ? null
                : await facilityObjectByName(ctx, input.device);
          collectorSet = { options, credentials, facility, key: targetKeyOf(collector, options, facility) };
        }
        try {
          const rows = await ctx.pool.query<TargetRow>(
            `UPDATE scrape_targets SET enabled = coalesce($2, enabled), interval_ms = coalesce($3, interval_ms),
                    host_override = CASE WHEN $5 THEN nullif($4, '') ELSE host_override END, preference = coalesce($6, preference),
                    options = CASE WHEN $7 THEN $8::jsonb ELSE options END, credentials = coalesce($9::jsonb, credentials),
                    power_node_id = CASE WHEN $7 THEN $10 ELSE power_node_id END, cooling_unit_id = CASE WHEN $7 THEN $11 ELSE cooling_unit_id END,
                    target_key = CASE WHEN $7 THEN $12 ELSE target_key END
              WHERE id = $1 RETURNING ${TARGET_COLUMNS}`,
            [
              input.id,
              input.enabled ?? null,
              input.interval ?? null,
              input.host ?? null,
              input.host !== undefined,
              input.preference ?? null,
              collectorSet !== null,
              collectorSet?.options ?? {},
              collectorSet?.credentials ?? null,
              collectorSet?.facility?.powerNodeId ?? null,
              collectorSet?.facility?.coolingUnitId ?? null,
              collectorSet?.key ?? '',
            ],
          );
          if (!rows.rows[0]) throw fieldError('id', 'no such target');
          return rows.rows[0];
        } catch (error) {
          asFieldError(error, { scrape_targets_url_key_unique: { field: 'device', reason: 'another target already reads this device at this URL with these settings' } });
        }
      }),
    remove: operateProcedure.meta({ example: { id: 1 } }).input(z.object({ id: dbId })).mutation(async ({ ctx, input }) => {
      await assertInZone(ctx, 'target', input.id);
      const rows = await ctx.pool.query<{ id: number; url: string; managed_by: string | null }>('DELETE FROM scrape_targets WHERE id = $1 RETURNING id, url, managed_by', [input.id]);
      if (!rows.rows[0]) throw fieldError('id', 'no such target');
      return { id: rows.rows[0].id, url: rows.rows[0].url };
    }),
  }),
});
