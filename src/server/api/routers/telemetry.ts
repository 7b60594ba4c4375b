import { z } from 'zod';
import { metricsWithAliases, resolveMetricName } from '@/telemetry/metric-names';
import { TARGET_DIALECTS } from '../../db/schema';
import { parseDurationMs } from '../../services/telemetry/config';
import { TELEMETRY_CHANNEL } from '../../services/telemetry/ingest';
import { getNotifyBus } from '../../services/telemetry/notify-bus';
import { listUnmapped, QueryError, queryTelemetry } from '../../services/telemetry/query';
import { asFieldError, fieldError } from '../errors';
import { operateProcedure, readProcedure, router } from '../trpc';

const duration = z
  .union([z.number().int().positive(), z.string().trim().min(1)])
  .transform((v, ctx) => {
    try {
      return typeof v === 'number' ? v : parseDurationMs(v);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });

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

async function runQuery(pool: Parameters<typeof queryTelemetry>[0], input: z.infer<typeof queryInput>, untilMs?: number) {
  try {
    return await queryTelemetry(pool, { metric: input.metric, entity: input.entity, target: input.target, sinceMs: input.since, resolution: input.resolution, untilMs });
  } catch (error) {
    if (error instanceof QueryError) throw fieldError(error.field, error.message);
    throw error;
  }
}

const targetInput = z.object({
  url: z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' }).max(2000),
  dialect: z.enum(TARGET_DIALECTS),
  interval: duration.default(10_000).refine((ms) => ms >= 250 && ms <= 86_400_000, 'must be between 250ms and 1d'),
  timeout: duration.default(5_000).refine((ms) => ms >= 100 && ms <= 600_000, 'must be between 100ms and 10m'),
  host: z.string().trim().min(1).max(253).optional(),
  enabled: z.boolean().default(true),
});

const TARGET_COLUMNS = `id, url, dialect, interval_ms AS "intervalMs", timeout_ms AS "timeoutMs", enabled, host_override AS "hostOverride",
  managed_by AS "managedBy", last_attempt_at AS "lastAttemptAt", last_success_at AS "lastSuccessAt", last_error_at AS "lastErrorAt",
  last_error AS "lastError", last_duration_ms AS "lastDurationMs", last_sample_count AS "lastSampleCount",
  consecutive_failures AS "consecutiveFailures",
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
  up: boolean;
};

export const telemetryRouter = router({
  /** The metric catalogue: each canonical name with its unit, kind, scope and the exporter names that resolve to it. */
  metrics: readProcedure.query(() => metricsWithAliases()),

  /** Points of one metric for an entity or a target; resolution raw / 1m / 1h chosen by the range unless given. */
  query: readProcedure.meta({ example: { metric: 'gpu_power_w', entity: 'example' } }).input(queryInput).query(({ ctx, input }) => runQuery(ctx.pool, input)),

  /** The query, then new points as the ingest commits them (PostgreSQL NOTIFY → SSE). */
  live: readProcedure.meta({ example: { metric: 'gpu_power_w', entity: 'example' } }).input(queryInput).subscription(async function* ({ ctx, input, signal }) {
    const bus = getNotifyBus();
    let result = await runQuery(ctx.pool, input);
    yield result;
    while (!signal?.aborted) {
      // Wake on the next committed flush, or every 5 s anyway (a missed NOTIFY during a reconnect costs 5 s at most).
      await bus.next(TELEMETRY_CHANNEL, 5_000, signal);
      if (signal?.aborted) break;
      await new Promise((r) => setTimeout(r, 100)); // coalesce bursts of flushes
      result = await runQuery(ctx.pool, input);
      yield result;
    }
  }),

  unmapped: readProcedure
    .input(z.object({ limit: z.number().int().min(1).max(1000).default(200) }).optional())
    .query(({ ctx, input }) => listUnmapped(ctx.pool, input?.limit ?? 200)),

  /** Ingest counters of this process (buffered / written / dropped samples). */
  ingestStats: readProcedure.query(async () => {
    const { getProcessIngest } = await import('../../services/telemetry/index');
    return getProcessIngest()?.stats ?? null;
  }),

  targets: router({
    list: readProcedure.query(async ({ ctx }) => {
      const rows = await ctx.pool.query<TargetRow>(`SELECT ${TARGET_COLUMNS} FROM scrape_targets ORDER BY managed_by NULLS FIRST, id`);
      return rows.rows;
    }),
    add: operateProcedure.meta({ example: { url: 'http://127.0.0.1:9/metrics', dialect: 'dcgm' } }).input(targetInput).mutation(async ({ ctx, input }) => {
      try {
        const rows = await ctx.pool.query<TargetRow>(
          `INSERT INTO scrape_targets (url, dialect, interval_ms, timeout_ms, host_override, enabled) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${TARGET_COLUMNS}`,
          [input.url, input.dialect, input.interval, Math.min(input.timeout, input.interval), input.host ?? null, input.enabled],
        );
        return rows.rows[0]!;
      } catch (error) {
        asFieldError(error, { scrape_targets_url_unique: { field: 'url', reason: 'is already a target' } });
      }
    }),
    update: operateProcedure
      .meta({ example: { id: 1 } })
      .input(z.object({ id: z.number().int().positive(), enabled: z.boolean().optional(), interval: duration.optional(), host: z.string().trim().max(253).nullish() }))
      .mutation(async ({ ctx, input }) => {
        const rows = await ctx.pool.query<TargetRow>(
          `UPDATE scrape_targets SET enabled = coalesce($2, enabled), interval_ms = coalesce($3, interval_ms),
                  host_override = CASE WHEN $5 THEN nullif($4, '') ELSE host_override END
            WHERE id = $1 RETURNING ${TARGET_COLUMNS}`,
          [input.id, input.enabled ?? null, input.interval ?? null, input.host ?? null, input.host !== undefined],
        );
        if (!rows.rows[0]) throw fieldError('id', 'no such target');
        return rows.rows[0];
      }),
    remove: operateProcedure.meta({ example: { id: 1 } }).input(z.object({ id: z.number().int().positive() })).mutation(async ({ ctx, input }) => {
      const rows = await ctx.pool.query<{ id: number; url: string; managed_by: string | null }>('DELETE FROM scrape_targets WHERE id = $1 RETURNING id, url, managed_by', [input.id]);
      if (!rows.rows[0]) throw fieldError('id', 'no such target');
      return { id: rows.rows[0].id, url: rows.rows[0].url };
    }),
  }),
});
