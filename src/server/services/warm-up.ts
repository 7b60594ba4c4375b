/**
 * After start-up, before the first viewer: what every process keeps per plant version (process-cache.ts) is read in
 * the background, so the first request to the dashboards or a floor plan does not pay for it. At 100,800 GPUs each is
 * a second or more: the site's GPU list and drawing devices (dashboards.ts), its plant rows and the plant-alone power
 * and cooling analysis (plant.ts: the floor plans, the power chain and the live power analysis start from them), its
 * fabric statistics (fabric-stats.ts). Last, each site's trends over the range a page shows first
 * (DEFAULT_TREND_RANGE_MS): from `trend_snapshots` when another instance computed them lately, else computed and stored
 * there (live-aggregates.ts TrendCache); the handlers' pool then reads that row instead of computing (a request that
 * comes while it is computed waits on the range's lock, then reads it).
 *
 * One at a time, on the pool it is given (the start script's, not the request handlers'), yielding to pending work
 * between steps; a request that needs one of them meanwhile waits for that one read instead of starting its own (the
 * caches hold the promise). The plant analysis itself is synchronous CPU work that no request can interrupt.
 * Not warmed, because they depend on the request: zone-scoped GPU lists (read per request), analyses with a live
 * overlay or options (per call), topology trees (per view and fabric, built on first view).
 */
import { setImmediate as yieldToPendingWork } from 'node:timers/promises';
import type { DbHandle } from '../db/client';
import { DEFAULT_TREND_RANGE_MS, warmSiteLists } from './dashboards';
import { fabricStats } from './fabric-stats';
import { cachedSiteTrends } from './live-aggregates';
import { analysePlant } from './plant';

export type WarmUp = { sites: number; steps: number; ms: number };

export async function warmPlantCaches(handle: DbHandle): Promise<WarmUp> {
  const started = performance.now();
  const { rows: sites } = await handle.pool.query<{ id: number }>('SELECT id FROM sites ORDER BY id');
  const steps: (() => Promise<unknown>)[] = [
    ...sites.flatMap(({ id }) => [() => warmSiteLists(handle.pool, id), () => analysePlant(handle.db, id), () => fabricStats(handle.db, id)]),
    ...sites.map(({ id }) => () => cachedSiteTrends(handle.pool, id, { sinceMs: DEFAULT_TREND_RANGE_MS })),
  ];
  for (const step of steps) {
    await yieldToPendingWork();
    await step();
  }
  return { sites: sites.length, steps: steps.length, ms: Math.round(performance.now() - started) };
}
