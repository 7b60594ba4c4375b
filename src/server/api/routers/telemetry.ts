import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { dbId } from '../inputs';
import { metricsWithAliases, resolveMetricName } from '@/telemetry/metric-names';
import { TARGET_DIALECTS } from '../../db/schema';
import { parseDurationMs } from '../../services/telemetry/config';
import { TELEMETRY_CHANNEL } from '../../services/telemetry/ingest';
import { getNotifyBus } from '../../services/telemetry/notify-bus';
import { listUnmapped, QueryError, queryTelemetry } from '../../services/telemetry/query';
import { scrapeDialect, TsdbQueryError } from '../../services/telemetry/remote-backend';
import { DEFAULT_TARGET_PREFERENCE, remoteWritePreference } from '../../services/telemetry/sources';
import { ScrapeError, TargetGuard } from '../../services/telemetry/target-guard';
import { asFieldError, fieldError } from '../errors';
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

const targetInput = z.object({
  url: z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' }).max(2000),
  dialect: z.enum(TARGET_DIALECTS),
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
});

const TARGET_COLUMNS = `id, url, dialect, interval_ms AS "intervalMs", timeout_ms AS "timeoutMs", enabled, host_override AS "hostOverride",
  managed_by AS "managedBy", last_attempt_at AS "lastAttemptAt", last_success_at AS "lastSuccessAt", last_error_at AS "lastErrorAt",
  last_error AS "lastError", last_duration_ms AS "lastDurationMs", last_sample_count AS "lastSampleCount",
  consecutive_failures AS "consecutiveFailures", security_zone_id AS "zoneId", preference,
  (enabled AND coalesce(last_success_at, 'epoch') >= now() - make_interval(secs => greatest(30, 3 * interval_ms / 1000.0))) AS up`;

type TargetRow = {
  id: number;
  url: string;
  dialect: string;
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
      try {
        const rows = await ctx.pool.query<TargetRow>(
          `INSERT INTO scrape_targets (url, dialect, interval_ms, timeout_ms, host_override, enabled, security_zone_id, preference) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${TARGET_COLUMNS}`,
          [input.url, input.dialect, input.interval, Math.min(input.timeout, input.interval), input.host ?? null, input.enabled, input.zoneId ?? null,
            input.preference ?? (scrapeDialect(input.url, input.dialect) === 'auto' ? remoteWritePreference() : DEFAULT_TARGET_PREFERENCE),
          ],
        );
        return rows.rows[0]!;
      } catch (error) {
        asFieldError(error, {
          scrape_targets_url_unique: { field: 'url', reason: 'is already a target' },
          scrape_targets_security_zone_id_security_zones_id_fk: { field: 'zoneId', reason: 'does not exist' },
        });
      }
    }),
    update: operateProcedure
      .meta({ example: { id: 1 } })
      .input(
        z.object({ id: dbId, enabled: z.boolean().optional(), interval: targetInterval.optional(), host: z.string().trim().max(253).nullish(), preference: preference.optional() }),
      )
      .mutation(async ({ ctx, input }) => {
        await assertInZone(ctx, 'target', input.id);
        const rows = await ctx.pool.query<TargetRow>(
          `UPDATE scrape_targets SET enabled = coalesce($2, enabled), interval_ms = coalesce($3, interval_ms),
                  host_override = CASE WHEN $5 THEN nullif($4, '') ELSE host_override END, preference = coalesce($6, preference)
            WHERE id = $1 RETURNING ${TARGET_COLUMNS}`,
          [input.id, input.enabled ?? null, input.interval ?? null, input.host ?? null, input.host !== undefined, input.preference ?? null],
        );
        if (!rows.rows[0]) throw fieldError('id', 'no such target');
        return rows.rows[0];
      }),
    remove: operateProcedure.meta({ example: { id: 1 } }).input(z.object({ id: dbId })).mutation(async ({ ctx, input }) => {
      await assertInZone(ctx, 'target', input.id);
      const rows = await ctx.pool.query<{ id: number; url: string; managed_by: string | null }>('DELETE FROM scrape_targets WHERE id = $1 RETURNING id, url, managed_by', [input.id]);
      if (!rows.rows[0]) throw fieldError('id', 'no such target');
      return { id: rows.rows[0].id, url: rows.rows[0].url };
    }),
  }),
});
