import { z } from 'zod';
import { dbId } from '../inputs';
import { cachedSiteTrends, liveAggregatesFor } from '../../services/live-aggregates';
import { DEFAULT_TREND_RANGE_MS, hallThermal, powerDashboard, siteOverview, utilisation } from '../../services/dashboards';
import { fieldError } from '../errors';
import { assertHallWhollyInZone, assertInZone, assertSiteWide, scopedZoneIds, zoneConditionText } from '../../auth/zones';
import { type Context, readProcedure, router } from '../trpc';

const siteInput = z.object({ siteId: dbId });
const hallInput = z.object({ hallId: dbId });
/** A window: the last `sinceMs`, ending now or at `untilMs` (custom range). At most 400 days. */
const windowInput = siteInput.extend({
  sinceMs: z.number().int().min(60_000).max(400 * 86_400_000).default(DEFAULT_TREND_RANGE_MS),
  untilMs: z.number().int().positive().optional(),
});

/**
 * Every dashboard aggregate goes through the process's LiveAggregates hub under a scope key: computed once per
 * telemetry update per scope (across instances), and the same body for every query and subscriber of that scope.
 */
function shared<T>(ctx: Context, key: string, compute: () => Promise<T>): Promise<T> {
  return liveAggregatesFor(ctx.pool).get(key, compute);
}

function live<T>(ctx: Context, key: string, compute: () => Promise<T>, signal: AbortSignal | undefined): AsyncGenerator<T> {
  return liveAggregatesFor(ctx.pool).stream(key, compute, signal);
}

/** The zones an overview covers: every zone, or the caller's zone set (sorted, so equal grants share one key). */
function overviewKey(ctx: Context, siteId: number): string {
  const zones = scopedZoneIds(ctx.principal);
  return `overview:${siteId}:${zones === null ? 'all' : `zones:${[...new Set(zones)].sort((a, b) => a - b).join(',')}`}`;
}

async function thermalOrError(pool: Parameters<typeof hallThermal>[0], hallId: number) {
  const result = await hallThermal(pool, hallId);
  if (!result) throw fieldError('hallId', `no hall with id ${hallId}`);
  return result;
}

/** Site dashboards aggregate every zone of the site; checked once, before the first answer of a subscription too. */
async function siteWide<T>(ctx: Context, siteId: number, load: () => Promise<T>): Promise<T> {
  await assertSiteWide(ctx, siteId, 'site dashboards');
  return load();
}

/**
 * The overview, computed over the caller's zones: for a zone-scoped caller its GPUs, jobs and alerts only (NOT_FOUND
 * for a site without its zones), without the site's shared IT and facility meters.
 */
function computeOverview(ctx: Context, siteId: number) {
  if (scopedZoneIds(ctx.principal) === null) return () => siteOverview(ctx.pool, siteId);
  const { principal } = ctx;
  const zones = {
    gpu: zoneConditionText(principal, 'gpu', 'a.id'),
    job: zoneConditionText(principal, 'job', 'jobs.id'),
    alert: zoneConditionText(principal, 'alert', 'a.id'),
  };
  return () => siteOverview(ctx.pool, siteId, Date.now(), zones);
}

async function overviewFor(ctx: Context, siteId: number) {
  if (scopedZoneIds(ctx.principal) !== null) await assertInZone(ctx, 'site', siteId);
  return shared(ctx, overviewKey(ctx, siteId), computeOverview(ctx, siteId));
}

export const dashboardsRouter = router({
  /** IT / facility load, PUE, GPUs by state, average utilisation, jobs and alerts, now. */
  overview: readProcedure.meta({ example: { siteId: 1 } }).input(siteInput).query(({ ctx, input }) => overviewFor(ctx, input.siteId)),
  overviewLive: readProcedure
    .meta({ example: { siteId: 1 } })
    .input(siteInput)
    .subscription(async function* ({ ctx, input, signal }) {
      if (scopedZoneIds(ctx.principal) !== null) await assertInZone(ctx, 'site', input.siteId);
      yield* live(ctx, overviewKey(ctx, input.siteId), computeOverview(ctx, input.siteId), signal);
    }),

  /** IT / facility power, PUE, GPU utilisation and energy over a window (raw ≤ 2 h, 1-minute ≤ 3 d, else 1-hour data). */
  trends: readProcedure
    .meta({ example: { siteId: 1 } })
    .input(windowInput)
    .query(({ ctx, input }) =>
      siteWide(ctx, input.siteId, () =>
        cachedSiteTrends(ctx.pool, input.siteId, { sinceMs: input.sinceMs, untilMs: input.untilMs }),
      ),
    ),

  /** Load vs capacity at every level of the power chain with budget, allocated and measured side by side. */
  power: readProcedure.meta({ example: { siteId: 1 } }).input(siteInput).query(({ ctx, input }) => siteWide(ctx, input.siteId, () => shared(ctx, `power:${input.siteId}`, () => powerDashboard(ctx.db, ctx.pool, input.siteId)))),
  powerLive: readProcedure
    .meta({ example: { siteId: 1 } })
    .input(siteInput)
    .subscription(async function* ({ ctx, input, signal }) {
      await assertSiteWide(ctx, input.siteId, 'site dashboards');
      yield* live(ctx, `power:${input.siteId}`, () => powerDashboard(ctx.db, ctx.pool, input.siteId), signal);
    }),

  /** Rack inlets on the floor plan with ASHRAE bands, cooling units, GPU temperature histogram and hot spots. */
  thermal: readProcedure.meta({ example: { hallId: 1 } }).input(hallInput).query(async ({ ctx, input }) => {
    await assertHallWhollyInZone(ctx, input.hallId, 'the thermal map');
    return shared(ctx, `thermal:${input.hallId}`, () => thermalOrError(ctx.pool, input.hallId));
  }),
  thermalLive: readProcedure
    .meta({ example: { hallId: 1 } })
    .input(hallInput)
    .subscription(async function* ({ ctx, input, signal }) {
      await assertHallWhollyInZone(ctx, input.hallId, 'the thermal map');
      yield* live(ctx, `thermal:${input.hallId}`, () => thermalOrError(ctx.pool, input.hallId), signal);
    }),

  /** GPU utilisation and memory by hall, rack, tenant and job; idle-but-allocated GPUs. */
  utilisation: readProcedure.meta({ example: { siteId: 1 } }).input(siteInput).query(({ ctx, input }) => siteWide(ctx, input.siteId, () => shared(ctx, `utilisation:${input.siteId}`, () => utilisation(ctx.pool, input.siteId)))),
  utilisationLive: readProcedure
    .meta({ example: { siteId: 1 } })
    .input(siteInput)
    .subscription(async function* ({ ctx, input, signal }) {
      await assertSiteWide(ctx, input.siteId, 'site dashboards');
      yield* live(ctx, `utilisation:${input.siteId}`, () => utilisation(ctx.pool, input.siteId), signal);
    }),
});
