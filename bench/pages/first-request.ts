/**
 * One page's first request in a fresh process: the child that `bench/pages/xl.ts --fresh-reps N` starts once per page
 * and rep, on the database it seeded (run alone it needs the same arguments).
 *
 *   tsx bench/pages/first-request.ts --url <postgres url> --page <overview|floor-plan|thermal|power|utilisation|trends>
 *     --site <id> --hall <id> [--warm 1]
 *
 * Two handles on one URL, as in `npm start`: the start script's (workers, and the start-up warm-up) and the one the
 * request handlers use (`getDb()`). With `--warm 1` the per-process plant caches are warmed first, as the start script
 * does once the server is ready (services/warm-up.ts; its time is reported apart), then the page is asked for once
 * through the real router as an all-zones viewer. Prints one JSON line on stdout.
 */
import { createCaller } from '../../src/server/api/root';
import { createContext } from '../../src/server/api/trpc';
import { createDb } from '../../src/server/db/client';
import { arg } from '../telemetry/common';

const url = arg('url', '');
const page = arg('page', '');
const siteId = Number(arg('site', '0'));
const hallId = Number(arg('hall', '0'));
const warm = arg('warm', '0') === '1';

async function main() {
  const start = createDb(url, { max: 4 });
  const web = createDb(url, { max: 20 });
  let warmMs: number | null = null;
  if (warm) {
    // Imported only when asked for: the same bench runs against code without it (the "before" measurement).
    const { warmPlantCaches } = await import('../../src/server/services/warm-up');
    const t0 = performance.now();
    await warmPlantCaches(start);
    warmMs = Math.round(performance.now() - t0);
  }
  const caller = createCaller(createContext(web));
  const loads: Record<string, () => Promise<unknown>[]> = {
    overview: () => [caller.sites.listWithHalls(), caller.dashboards.overview({ siteId })],
    'floor-plan': () => [caller.halls.floorPlan({ id: hallId })],
    thermal: () => [caller.sites.listWithHalls(), caller.dashboards.thermal({ hallId })],
    power: () => [caller.sites.listWithHalls(), caller.dashboards.power({ siteId })],
    utilisation: () => [caller.sites.listWithHalls(), caller.dashboards.utilisation({ siteId })],
    trends: () => [caller.dashboards.trends({ siteId, sinceMs: 3_600_000 })],
  };
  const load = loads[page];
  if (!load) throw new Error(`unknown page ${page}`);
  const t0 = performance.now();
  await Promise.all(load());
  const ms = Math.round(performance.now() - t0);
  console.log(JSON.stringify({ page, ms, warmMs }));
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
