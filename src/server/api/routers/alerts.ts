import { z } from 'zod';
import { dbId } from '../inputs';
import { ALERT_CHANNEL, acknowledgeAlert } from '../../services/telemetry/alerts';
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

  ack: operateProcedure.meta({ example: { id: 1 } }).input(z.object({ id: dbId })).mutation(async ({ ctx, input }) => {
    await assertInZone(ctx, 'alert', input.id);
    const ok = await acknowledgeAlert(ctx.pool, input.id, ctx.actor);
    if (!ok) throw fieldError('id', 'is not a firing alert');
    return { id: input.id, state: 'acknowledged' as const };
  }),
});
