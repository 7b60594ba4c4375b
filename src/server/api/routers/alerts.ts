import { z } from 'zod';
import { dbId } from '../inputs';
import { acknowledgeAlerts, loadTriage, silenceAlerts } from '../../services/alert-triage';
import { ALERT_CHANNEL, acknowledgeAlert } from '../../services/telemetry/alerts';
import { parseDurationMs } from '../../services/telemetry/config';
import { getNotifyBus } from '../../services/telemetry/notify-bus';
import { fieldError } from '../errors';
import type { Principal } from '../../auth/principal';
import { assertInZone, zoneConditionText } from '../../auth/zones';
import { operateProcedure, readProcedure, router } from '../trpc';

const listInput = z
  .object({ state: z.enum(['open', 'firing', 'acknowledged', 'resolved', 'all']).default('all'), limit: z.number().int().min(1).max(1000).default(200) })
  .optional();

type AlertRow = {
  id: number;
  rule: string;
  severity: 'warning' | 'critical';
  entityLabel: string;
  entityKey: string;
  rackId: number | null;
  state: 'firing' | 'acknowledged' | 'resolved';
  value: number | null;
  unit: string | null;
  startedAt: Date;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  resolvedAt: Date | null;
};

async function listAlerts(pool: import('pg').Pool, principal: Principal, input: z.infer<typeof listInput>): Promise<AlertRow[]> {
  const state = input?.state ?? 'all';
  const where = state === 'all' ? 'true' : state === 'open' ? `a.state <> 'resolved'` : `a.state = '${state}'`;
  const rows = await pool.query<AlertRow>(
    `SELECT a.id, r.name AS rule, r.severity, a.entity_label AS "entityLabel", a.entity_key AS "entityKey", a.rack_id AS "rackId",
            a.state, a.value, CASE WHEN r.kind = 'rack-power-budget' THEN 'ratio' WHEN r.kind = 'target-down' THEN 's' ELSE s.unit END AS unit,
            a.started_at AS "startedAt", a.acknowledged_at AS "acknowledgedAt", a.acknowledged_by AS "acknowledgedBy", a.resolved_at AS "resolvedAt"
       FROM alerts a JOIN alert_rules r ON r.id = a.rule_id LEFT JOIN telemetry_series s ON s.id = a.series_id
      WHERE ${where} AND ${zoneConditionText(principal, 'alert', 'a.id')}
      ORDER BY (a.state = 'resolved'), a.started_at DESC, a.id DESC LIMIT $1`,
    [input?.limit ?? 200],
  );
  return rows.rows;
}

export const alertsRouter = router({
  list: readProcedure.input(listInput).query(({ ctx, input }) => listAlerts(ctx.pool, ctx.principal, input)),

  /** The alert list, again after every change (fired, acknowledged, resolved) in any process. */
  live: readProcedure.meta({ example: {} }).input(listInput).subscription(async function* ({ ctx, input, signal }) {
    yield await listAlerts(ctx.pool, ctx.principal, input);
    const bus = getNotifyBus();
    while (!signal?.aborted) {
      const changed = await bus.next(ALERT_CHANNEL, 15_000, signal);
      if (signal?.aborted) break;
      if (changed) await new Promise((r) => setTimeout(r, 100));
      yield await listAlerts(ctx.pool, ctx.principal, input);
    }
  }),

  events: readProcedure.meta({ example: { id: 1 } }).input(z.object({ id: dbId })).query(async ({ ctx, input }) => {
    await assertInZone(ctx, 'alert', input.id);
    const rows = await ctx.pool.query<{ at: Date; state: string; value: number | null; actor: string }>(
      'SELECT at, state, value, actor FROM alert_events WHERE alert_id = $1 ORDER BY at, id',
      [input.id],
    );
    return rows.rows;
  }),

  rules: readProcedure.query(async ({ ctx }) => {
    const rows = await ctx.pool.query(
      `SELECT id, name, kind, metric, comparator, threshold, duration_s AS "durationS", severity, enabled, description FROM alert_rules ORDER BY id`,
    );
    return rows.rows as { id: number; name: string; kind: string; metric: string | null; comparator: string; threshold: number; durationS: number; severity: string; enabled: boolean; description: string }[];
  }),

  /** Open alerts grouped by cause in triage order (severity, then age), silenced ones, and recent resolved ones. */
  triage: readProcedure.query(({ ctx }) => loadTriage(ctx.pool, zoneConditionText(ctx.principal, 'alert', 'a.id'))),

  /** Acknowledges several firing alerts with one note (alerts no longer firing are skipped and named). */
  ackMany: operateProcedure
    .meta({ example: { ids: [1], note: 'CRAH A-3 fan replaced, watching' } })
    .input(z.object({ ids: z.array(dbId).min(1, 'name at least one alert').max(500), note: z.string().trim().max(500, 'is at most 500 characters').default('') }))
    .mutation(async ({ ctx, input }) => {
      for (const id of input.ids) await assertInZone(ctx, 'alert', id);
      const acknowledged = await acknowledgeAlerts(ctx.pool, [...new Set(input.ids)], ctx.actor, input.note || null);
      if (acknowledged.length === 0) throw fieldError('ids', 'none of these alerts is firing');
      return { acknowledged, skipped: [...new Set(input.ids)].filter((id) => !acknowledged.includes(id)) };
    }),

  /** Hides open alerts from the triage list for a while ("30m", "2h", up to 7 days). */
  silence: operateProcedure
    .meta({ example: { ids: [1], duration: '2h' } })
    .input(
      z.object({
        ids: z.array(dbId).min(1, 'name at least one alert').max(500),
        duration: z.string().trim().min(1, 'is required'),
        note: z.string().trim().max(500, 'is at most 500 characters').default(''),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      for (const id of input.ids) await assertInZone(ctx, 'alert', id);
      let durationMs: number;
      try {
        durationMs = parseDurationMs(input.duration);
      } catch (error) {
        throw fieldError('duration', (error as Error).message);
      }
      if (durationMs < 60_000 || durationMs > 7 * 86_400_000) throw fieldError('duration', 'must be between 1m and 7d');
      const result = await silenceAlerts(ctx.pool, [...new Set(input.ids)], durationMs, ctx.actor, input.note || null);
      if (result.ids.length === 0) throw fieldError('ids', 'none of these alerts is open');
      return result;
    }),

  ack: operateProcedure.meta({ example: { id: 1 } }).input(z.object({ id: dbId })).mutation(async ({ ctx, input }) => {
    await assertInZone(ctx, 'alert', input.id);
    const ok = await acknowledgeAlert(ctx.pool, input.id, ctx.actor);
    if (!ok) throw fieldError('id', 'is not a firing alert');
    return { id: input.id, state: 'acknowledged' as const };
  }),
});
