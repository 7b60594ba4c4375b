/**
 * Every main page at xl size (PLENUM_SEED=xl, 100,800 GPUs): the server time and payload of what each page asks for
 * on first load (its tRPC queries, or the first answer of its live subscription), through the real router as an
 * all-zones viewer.
 *
 *   npm run bench:pages-xl -- [--reps 10] [--compute-reps 5] [--fresh-reps 3] [--fresh-only] [--fresh-pages trends,power]
 *     [--fresh-warm-up 0] [--trend-viewers]
 *
 * A throwaway embedded PostgreSQL, migrated and seeded with the xl site (seed time recorded), then one round of
 * telemetry for every GPU (utilisation, temperature, power, memory) plus the site meters and every rack's inlet,
 * through the real ingest path (exporter text → parse → map → COPY). Each page's queries run together, as the browser
 * issues them; the time is until the last answer. Dashboard aggregates are shared per telemetry update
 * (services/live-aggregates.ts): before each rep a new telemetry version is announced and the bench waits out the
 * refresh interval, so every rep recomputes them (the first viewer after an update); then again without (shared: what
 * every other viewer gets until the next update).
 * Before each dashboard page a fresh round of telemetry is ingested (its time is reported: a scrape round of existing
 * series), so dashboards read current values, not stale ones. First of all, each live aggregate is computed directly
 * `--compute-reps` times at the moment of the first round: the cost of one refresh, with Node and PostgreSQL CPU.
 * Payload: the JSON the client receives (superjson), raw and gzipped. HTML and JS of the pages are not included
 * (the pages are client components; `bench/bundle` measures their first-load JS).
 * Last, a process's first request (`--fresh-reps` per page, 0: skipped): each time a new process
 * (bench/pages/first-request.ts) asks for one page once, with the per-process caches (plant data, the last-hour
 * trends) warmed first as `npm start` does when the code has that (services/warm-up.ts), while this process stands for another instance serving live
 * viewers of the four dashboards (it keeps their aggregates refreshed and stored in `dashboard_snapshots`, a telemetry
 * version announced every second as the ingest's flushes do); telemetry is re-ingested whenever the last round is
 * older than 30 s. `--fresh-pages` limits these to the pages named (overview, floor-plan, thermal, power, utilisation,
 * trends; default all). This process also runs an instance's rollup worker every 10 s (the rollups, then the stored
 * site trends' pass: services/site-trend-store.ts). `--fresh-warm-up 0`: the children ask without warming up first. `--fresh-cold`: before each child the stored trend
 * ranges (`trend_snapshots`) are deleted, so each computes its range (no instance computed it in the last minute). `--trend-viewers`: this
 * process's viewers also re-read the site's last-hour trends every 10 s, as a dashboard page's trends chart does
 * (SiteTrends.tsx). `--fresh-only` skips the direct computations and the in-process pages above.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import superjson from 'superjson';
import { createCaller } from '../../src/server/api/root';
import { createContext } from '../../src/server/api/trpc';
import { createDb } from '../../src/server/db/client';
import { runMigrations } from '../../src/server/db/migrate';
import { seedIfEmpty } from '../../src/server/db/seed';
import { hallThermal, powerDashboard, refreshSiteTrendStore, siteOverview, utilisation } from '../../src/server/services/dashboards';
import { liveAggregatesFor, MIN_REFRESH_INTERVAL_MS } from '../../src/server/services/live-aggregates';
import { IngestPipeline, TELEMETRY_CHANNEL } from '../../src/server/services/telemetry/ingest';
import { MIN_COMPACTION_AGE_MS } from '../../src/server/services/telemetry/sample-store';
import { maintainPartitions } from '../../src/server/services/telemetry/partitions';
import { runRollups } from '../../src/server/services/telemetry/rollups';
import { arg, machine, pct, postgresCpuSeconds, throwawayPostgres } from '../telemetry/common';

const reps = Number(arg('reps', '10'));
const computeReps = Number(arg('compute-reps', '5'));
const freshReps = Number(arg('fresh-reps', '3'));
const freshOnly = process.argv.includes('--fresh-only');
const freshPages = arg('fresh-pages', 'overview,floor-plan,thermal,power,utilisation,trends').split(',');
const freshWarmUp = arg('fresh-warm-up', '1') === '1';
const trendViewers = process.argv.includes('--trend-viewers');
const freshCold = process.argv.includes('--fresh-cold');

async function timed(work: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await work();
  return Math.round(performance.now() - t0);
}

async function main() {
  const startedOn = machine();
  const pg = await throwawayPostgres();
  const handle = createDb(pg.url, { max: 20 });
  const { pool } = handle;
  try {
    await runMigrations(pool);
    const seedStart = performance.now();
    const seeded = await seedIfEmpty(handle.db, 'xl');
    const seedMs = Math.round(performance.now() - seedStart);
    console.error(`[bench] xl seed: ${seeded.gpus} GPUs in ${seedMs} ms`);
    await maintainPartitions(pool, { rawRetentionDays: 7, rollupRetentionDays: 365 });

    // One scrape's worth of telemetry for the whole site, through the real ingest path; again before each dashboard
    // page so its readings are fresh (a reading older than STALE_AFTER_MS counts as no data, which is cheaper).
    const ingestStart = performance.now();
    const site = (await pool.query<{ id: number; slug: string }>('SELECT id, slug FROM sites LIMIT 1')).rows[0]!;
    const gpus = (
      await pool.query<{ uuid: string; index: number; hostname: string }>(
        'SELECT a.uuid, a.index, d.hostname FROM accelerators a JOIN devices d ON d.id = a.device_id ORDER BY a.id',
      )
    ).rows;
    const racks = (await pool.query<{ name: string }>('SELECT name FROM racks')).rows;
    const pipeline = new IngestPipeline(pool, { bufferMaxSamples: 2_000_000, rawRetentionDays: 7, notify: false });
    await pipeline.loadInventory();
    let round = 0;
    const ingestRound = async (nowMs: number): Promise<number> => {
      round++;
      const lines: string[] = [];
      gpus.forEach((g, i) => {
        const l = `gpu="${g.index}",UUID="${g.uuid}",Hostname="${g.hostname}"`;
        lines.push(
          `DCGM_FI_DEV_GPU_UTIL{${l}} ${(i * 37 + round) % 100}`,
          `DCGM_FI_DEV_GPU_TEMP{${l}} ${45 + ((i * 13 + round) % 40)}`,
          `DCGM_FI_DEV_POWER_USAGE{${l}} ${300 + ((i * 7 + round) % 700)}`,
          `DCGM_FI_DEV_FB_USED{${l}} 40960`,
          `DCGM_FI_DEV_FB_FREE{${l}} 40960`,
        );
      });
      const s = `site="${site.slug}"`;
      const facility = [`plenum_it_power_watts{${s}} 120000000`, `plenum_facility_power_watts{${s}} 150000000`];
      racks.forEach((r, i) => {
        facility.push(`plenum_sensor_inlet_temp_celsius{${s},rack="${r.name}",sensor="${r.name}:inlet"} ${20 + (i % 12)}`);
      });
      let n = pipeline.ingestText(`${lines.join('\n')}\n`, 'dcgm', { targetId: null, nowMs });
      n += pipeline.ingestText(`${facility.join('\n')}\n`, 'plenum', { targetId: null, nowMs });
      await pipeline.flush();
      return n;
    };
    const telemetryAtMs = Date.now();
    const samples = await ingestRound(telemetryAtMs);
    const ingestMs = Math.round(performance.now() - ingestStart);
    console.error(`[bench] telemetry: ${samples} samples in ${ingestMs} ms`);

    const halls = (await pool.query<{ id: number; name: string; racks: number }>('SELECT h.id, h.name, count(r.id)::int AS racks FROM halls h JOIN racks r ON r.hall_id = h.id GROUP BY h.id ORDER BY h.id')).rows;
    const airHall = halls[0]!;
    const liquidHall = halls[1]!;

    // Each live aggregate computed directly, at the moment of the telemetry just written: what one refresh after a
    // telemetry update costs (live-aggregates.ts runs it once per update and scope for every viewer). CPU is this
    // process's (the aggregation in Node) plus PostgreSQL's (the queries), from the same run.
    // A second round first: the first one created every series, which can take longer than the compaction age on a
    // busy machine, and a moment that old is read from the samples (both forms), not from the latest values.
    const freshAtMs = Date.now();
    const refreshRoundMs = await timed(() => ingestRound(freshAtMs));
    const atMs = freshAtMs + 1_000;
    const stale = Date.now() - atMs > MIN_COMPACTION_AGE_MS - 60_000;
    console.error(`[bench] a round of existing series: ${refreshRoundMs} ms${stale ? ' (longer than the compaction age: the aggregates below read past samples)' : ''}`);
    const aggregates: { aggregate: string; compute: () => Promise<unknown> }[] = [
      { aggregate: 'overview', compute: () => siteOverview(pool, site.id, atMs) },
      { aggregate: 'power', compute: () => powerDashboard(handle.db, pool, site.id, atMs) },
      { aggregate: 'utilisation', compute: () => utilisation(pool, site.id, atMs) },
      { aggregate: `thermal (${airHall.name})`, compute: () => hallThermal(pool, airHall.id, atMs) },
    ];
    const computed = [];
    for (const { aggregate, compute } of freshOnly ? [] : aggregates) {
      const times: number[] = [];
      const cpu0 = process.cpuUsage();
      const pgCpu0 = postgresCpuSeconds(pg.pgData);
      for (let r = 0; r < computeReps; r++) {
        const t0 = performance.now();
        await compute();
        times.push(performance.now() - t0);
      }
      const cpu = process.cpuUsage(cpu0);
      const row = {
        aggregate,
        p50Ms: Math.round(pct(times, 50)),
        p95Ms: Math.round(pct(times, 95)),
        nodeCpuMsPerRun: Math.round((cpu.user + cpu.system) / 1000 / computeReps),
        postgresCpuMsPerRun: Math.round(((postgresCpuSeconds(pg.pgData) - pgCpu0) * 1000) / computeReps),
      };
      console.error(`[bench] ${JSON.stringify(row)}`);
      computed.push(row);
    }
    const caller = createCaller(createContext(handle));
    const siteId = site.id;
    const pages: { page: string; dashboard?: boolean; load: () => Promise<unknown>[] }[] = [
      { page: '/ (overview)', dashboard: true, load: () => [caller.sites.listWithHalls(), caller.dashboards.overview({ siteId })] },
      { page: `/halls/[id] (floor plan, ${airHall.name}, ${airHall.racks} racks)`, load: () => [caller.halls.floorPlan({ id: airHall.id })] },
      { page: `/halls/[id] (floor plan, ${liquidHall.name}, ${liquidHall.racks} racks)`, load: () => [caller.halls.floorPlan({ id: liquidHall.id })] },
      { page: '/racks (first page)', load: () => [caller.racks.list({ limit: 50 })] },
      { page: '/devices (first page)', load: () => [caller.devices.list({ limit: 50 })] },
      { page: `/dashboards/thermal (${airHall.name})`, dashboard: true, load: () => [caller.sites.listWithHalls(), caller.dashboards.thermal({ hallId: airHall.id })] },
      { page: '/dashboards/power', dashboard: true, load: () => [caller.sites.listWithHalls(), caller.dashboards.power({ siteId })] },
      { page: '/dashboards/utilisation', dashboard: true, load: () => [caller.sites.listWithHalls(), caller.dashboards.utilisation({ siteId })] },
      { page: '/dashboards/power (trends, 1 h)', load: () => [caller.dashboards.trends({ siteId, sinceMs: 3_600_000 })] },
      { page: '/power (chain)', load: () => [caller.sites.listWithHalls(), caller.power.nodes({ siteId }), caller.power.upstreamDiagram({ siteId })] },
      { page: '/topology (power, site)', load: () => [caller.sites.listWithHalls(), caller.topology.power({ siteId })] },
      { page: `/topology (network, ${airHall.name})`, load: () => [caller.topology.network({ siteId, hallId: airHall.id })] },
      { page: '/network', load: () => [caller.network.fabrics({ siteId }), caller.zones.list({ siteId })] },
      { page: '/cooling', load: () => [caller.cooling.units({ siteId })] },
      { page: `/sites/[id]`, load: () => [caller.sites.listWithHalls()] },
    ];
    let version = 1;
    const results = [];
    const refreshMs: number[] = [];
    // Dashboard pages twice: recomputed (the first viewer after a telemetry update) and shared (every other viewer).
    const runs = pages.flatMap((p) => (p.dashboard ? [{ ...p, page: `${p.page} [recomputed]` }, { ...p, page: `${p.page} [shared]`, dashboard: false }] : [p]));
    for (const { page, dashboard, load } of freshOnly ? [] : runs) {
      const times: number[] = [];
      let bytes = 0;
      let gzipBytes = 0;
      let error: string | undefined;
      for (let r = 0; r < reps; r++) {
        if (dashboard && r === 0) refreshMs.push(await timed(() => ingestRound(Date.now())));
        if (dashboard) {
          // A new telemetry version: the shared aggregate is recomputed for this rep.
          await pool.query(`SELECT pg_notify($1, $2)`, [TELEMETRY_CHANNEL, JSON.stringify({ version: Number.MAX_SAFE_INTEGER - 1_000_000 + version++ })]);
          await new Promise((res) => setTimeout(res, MIN_REFRESH_INTERVAL_MS + 100));
        }
        const t0 = performance.now();
        try {
          const answers = await Promise.all(load());
          times.push(performance.now() - t0);
          const body = JSON.stringify(answers.map((a) => superjson.serialize(a)));
          bytes = Buffer.byteLength(body);
          gzipBytes = gzipSync(body).length;
        } catch (e) {
          error = (e as Error).message.split('\n')[0];
          break;
        }
      }
      const row = { page, p50Ms: Math.round(pct(times, 50)), p95Ms: Math.round(pct(times, 95)), maxMs: Math.round(Math.max(...times)), kb: Math.round(bytes / 1024), gzipKb: Math.round(gzipBytes / 1024), error };
      console.error(`[bench] ${JSON.stringify(row)}`);
      results.push(row);
    }

    // A process's first request to each page, each in a new process, while this one serves live viewers.
    const fresh = [];
    let storedTrendPasses: unknown = null;
    if (freshReps > 0) {
      const hub = liveAggregatesFor(pool);
      const viewed: [string, () => Promise<unknown>][] = [
        [`overview:${siteId}:all`, () => siteOverview(pool, siteId)],
        [`power:${siteId}`, () => powerDashboard(handle.db, pool, siteId)],
        [`utilisation:${siteId}`, () => utilisation(pool, siteId)],
        [`thermal:${airHall.id}`, () => hallThermal(pool, airHall.id)],
      ];
      let lastRoundMs = 0;
      const currentTelemetry = async () => {
        if (Date.now() - lastRoundMs < 30_000) return;
        lastRoundMs = Date.now();
        await ingestRound(lastRoundMs);
      };
      await currentTelemetry();
      // The rollup worker of a running instance (telemetry/index.ts, every 10 s): the rollups, then the stored site
      // trends' pass (site-trend-store.ts). Its first pass, on a database that has none, computes the kept range.
      const passes: { ms: number; minutes: number; reset: boolean }[] = [];
      const rollupTick = async () => {
        await runRollups(pool);
        const t = await refreshSiteTrendStore(pool);
        if (t.locked) passes.push({ ms: t.ms, minutes: t.minutes, reset: t.reset });
      };
      await rollupTick();
      let ticking: Promise<void> | undefined;
      const rollupWorker = setInterval(() => {
        ticking ??= rollupTick()
          .catch((e) => console.error(`[bench] rollup tick: ${(e as Error).message}`))
          .finally(() => {
            ticking = undefined;
          });
      }, 10_000);
      // A live site's ingest announces a telemetry version on every flush (about once a second): the viewers'
      // aggregates are refreshed as often as their computation time allows (REFRESH_COST_FACTOR).
      const announcer = setInterval(() => {
        void pool.query('SELECT pg_notify($1, $2)', [TELEMETRY_CHANNEL, JSON.stringify({ version: Number.MAX_SAFE_INTEGER - 1_000_000 + version++ })]).catch(() => {});
      }, 1_000);
      const offs = viewed.map(([key, compute]) => hub.listen(key, compute, () => {}));
      for (const [key, compute] of viewed) await hub.get(key, compute);
      // Through the router, as the page asks: the process's trend cache refreshes it behind the held one.
      const readTrends = () => caller.dashboards.trends({ siteId, sinceMs: 3_600_000 });
      if (trendViewers) await readTrends();
      const trendPoll = trendViewers ? setInterval(() => void readTrends().catch(() => {}), 10_000) : undefined;
      const child = fileURLToPath(new URL('./first-request.ts', import.meta.url));
      const warm = freshWarmUp && existsSync(fileURLToPath(new URL('../../src/server/services/warm-up.ts', import.meta.url))) ? '1' : '0';
      for (const page of freshPages) {
        const times: number[] = [];
        const warmTimes: number[] = [];
        for (let r = 0; r < freshReps; r++) {
          await currentTelemetry();
          // No instance computed a trend range lately: each child computes it instead of reading another's row.
          if (freshCold) await pool.query('DELETE FROM trend_snapshots');
          // Asynchronously: this process keeps refreshing the viewed aggregates meanwhile, as another instance would.
          const run = await new Promise<{ ok: boolean; stdout: string; stderr: string }>((resolve) => {
            const args = ['--import', 'tsx', child, '--url', pg.url, '--page', page, '--site', String(siteId), '--hall', String(airHall.id), '--warm', warm];
            execFile(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20 }, (error, stdout, stderr) => resolve({ ok: !error, stdout, stderr }));
          });
          const line = run.stdout.trim().split('\n').at(-1) ?? '';
          if (!run.ok || !line.startsWith('{')) throw new Error(`first-request ${page}: ${run.stderr.slice(-2000)}`);
          const answer = JSON.parse(line) as { ms: number; warmMs: number | null };
          times.push(answer.ms);
          if (answer.warmMs !== null) warmTimes.push(answer.warmMs);
        }
        const row = { page, warmedUp: warm === '1', p50Ms: Math.round(pct(times, 50)), p95Ms: Math.round(pct(times, 95)), times, warmUpMs: warmTimes };
        console.error(`[bench] first request ${JSON.stringify(row)}`);
        fresh.push(row);
      }
      clearInterval(announcer);
      clearInterval(trendPoll);
      clearInterval(rollupWorker);
      await ticking;
      const regular = passes.filter((p) => !p.reset && p.minutes > 0).map((p) => p.ms);
      storedTrendPasses = { first: passes[0], regular: { n: regular.length, p50Ms: Math.round(pct(regular, 50)), maxMs: Math.max(0, ...regular) } };
      console.error(`[bench] stored trend passes: ${JSON.stringify(storedTrendPasses)}`);
      for (const off of offs) off();
      hub.close();
    }
    await pipeline.stop();
    console.log(
      JSON.stringify(
        { bench: 'pages-xl', date: new Date().toISOString(), machine: startedOn, freshWarmUp, trendViewers, gpus: seeded.gpus, seedMs, telemetrySamples: samples, ingestMs, refreshRoundMs, aggregatesReadPastSamples: stale, refreshIngestMs: refreshMs, reps, computeReps, aggregates: computed, pages: results, freshReps, firstRequest: fresh, storedTrendPasses, machineAtEnd: machine() },
        null,
        2,
      ),
    );
  } finally {
    await pool.end().catch(() => {});
    await pg.stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
