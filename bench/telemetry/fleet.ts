/**
 * Fleet benchmark: does any scrape fall behind? The large seed (8,448 GPUs) or the demo seed, with the live simulator,
 * scrapers, ingest, rollups, alerts, partitions and mapping workers exactly as `npm start` wires them
 * (`telemetryWorkers` on a WorkerRunner; not the Next.js server and not the scheduler worker), in this one process,
 * against a throwaway embedded PostgreSQL.
 *
 *   npx tsx bench/telemetry/fleet.ts [--seed large] [--interval 10000] [--seconds 150]
 *   npx tsx bench/telemetry/fleet.ts --seed demo --interval 1000 --seconds 60
 *
 * Instrumentation (no product change): Scraper.prototype.scrape is wrapped to record, per scrape, the slot it was due
 * in (the scraper's own next-due grid), when it started and when the scrape was done (text fetched, parsed and
 * buffered). Lag = done − due. A scrape "fell behind" when it was done after the target's next slot was due
 * (lag ≥ interval): the target then misses a slot. Also sampled every interval: samples committed/s (ingest
 * stats), buffer drops, Node CPU (process.cpuUsage), PostgreSQL CPU (/proc of the postmaster and its children),
 * event-loop delay.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createDb } from '../../src/server/db/client';
import { runMigrations } from '../../src/server/db/migrate';
import { seedIfEmpty } from '../../src/server/db/seed';
import { getProcessIngest } from '../../src/server/services/telemetry/index';
import { Scraper } from '../../src/server/services/telemetry/scraper';
import { telemetryWorkers } from '../../src/server/services/telemetry/start';
import { WorkerRunner } from '../../src/server/services/workers';
import { arg, machine, pct, postgresCpuSeconds, r1, r3, throwawayPostgres } from './common';

const seedKind = arg('seed', 'large') as 'large' | 'demo';
const intervalMs = Number(arg('interval', '10000'));
const seconds = Number(arg('seconds', '150'));

type Rec = { target: number; k: number; due: number; start: number; done: number; ok: boolean; samples: number };

async function main() {
  const started = machine();
  process.env.PLENUM_SCRAPE_INTERVAL_MS = String(intervalMs);
  const pg = await throwawayPostgres();
  process.env.DATABASE_URL = pg.url;
  const { pool, db } = createDb(pg.url);
  const records: Rec[] = [];
  const runner = new WorkerRunner(db);
  let stopped = false;
  try {
    await runMigrations(pool);
    const t0 = performance.now();
    const seeded = await seedIfEmpty(db, seedKind);
    const seedSeconds = (performance.now() - t0) / 1000;

    // Wrap the scrape: due = the slot the scraper scheduled (its nextDueMs before this tick moved it on).
    const proto = Scraper.prototype as unknown as { scrape: (t: { id: number; intervalMs: number }) => Promise<{ ok: boolean; samples: number }> };
    const original = proto.scrape;
    const lastNext = new Map<number, number>();
    const count = new Map<number, number>();
    proto.scrape = async function (this: { nextDueMs: Map<number, number> }, t) {
      const start = Date.now();
      const next = this.nextDueMs.get(t.id)!;
      const due = lastNext.get(t.id) ?? next - t.intervalMs;
      lastNext.set(t.id, next);
      const k = count.get(t.id) ?? 0;
      count.set(t.id, k + 1);
      const h = await original.call(this, t);
      if (!stopped) records.push({ target: t.id, k, due, start, done: Date.now(), ok: h.ok, samples: h.samples });
      return h;
    };

    const eld = monitorEventLoopDelay({ resolution: 10 });
    eld.enable();
    const tw = performance.now();
    for (const w of await telemetryWorkers(pool, (l) => console.error(`[bench] ${l}`))) runner.add(w);
    runner.start();
    const startupSeconds = (performance.now() - tw) / 1000;
    const ingest = getProcessIngest()!;
    const targets = (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM scrape_targets WHERE enabled`)).rows[0]!.n;

    // Periodic samples of throughput and CPU.
    const windows: { t: number; written: number; dropped: number; buffered: number; nodeCpu: number; pgCpu: number; eldP99: number; eldMax: number }[] = [];
    const runStart = Date.now();
    let cpu = process.cpuUsage();
    let pgCpu = postgresCpuSeconds(pg.pgData);
    let written = ingest.stats.writtenSamples;
    let last = performance.now();
    const windowMs = Math.max(intervalMs, 5_000);
    while (Date.now() - runStart < seconds * 1000) {
      await new Promise((r) => setTimeout(r, windowMs));
      const now = performance.now();
      const dt = (now - last) / 1000;
      const c = process.cpuUsage(cpu);
      const p = postgresCpuSeconds(pg.pgData);
      windows.push({
        t: r1((Date.now() - runStart) / 1000),
        written: Math.round((ingest.stats.writtenSamples - written) / dt),
        dropped: ingest.stats.droppedSamples,
        buffered: ingest.stats.bufferedSamples,
        nodeCpu: r3((c.user + c.system) / 1e6 / dt),
        pgCpu: r3((p - pgCpu) / dt),
        eldP99: r1(eld.percentile(99) / 1e6),
        eldMax: r1(eld.max / 1e6),
      });
      console.error(`[bench] ${JSON.stringify(windows.at(-1))}`);
      eld.reset();
      cpu = process.cpuUsage();
      pgCpu = p;
      written = ingest.stats.writtenSamples;
      last = now;
    }
    stopped = true;

    // Per round (k-th scrape of every target).
    const byK = new Map<number, Rec[]>();
    for (const r of records) (byK.get(r.k) ?? byK.set(r.k, []).get(r.k)!).push(r);
    const rounds = [...byK.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([k, rs]) => {
        const lag = rs.map((r) => r.done - r.due);
        const startLag = rs.map((r) => r.start - r.due);
        return {
          round: k + 1,
          scrapes: rs.length,
          complete: rs.length === targets,
          failed: rs.filter((r) => !r.ok).length,
          samples: rs.reduce((n, r) => n + r.samples, 0),
          lagP50Ms: Math.round(pct(lag, 50)),
          lagP95Ms: Math.round(pct(lag, 95)),
          lagMaxMs: Math.round(Math.max(...lag)),
          startLagP95Ms: Math.round(pct(startLag, 95)),
          fellBehind: lag.filter((l) => l >= intervalMs).length,
          over1s: lag.filter((l) => l >= 1000).length,
        };
      });
    const complete = rounds.filter((r) => r.complete);
    const steady = complete.slice(1); // round 1 creates every series and fills the line caches
    const allLag = records.filter((r) => r.k >= 1).map((r) => r.done - r.due);
    const dur = records.filter((r) => r.k >= 1).map((r) => r.done - r.start);
    const steadyWin = windows.slice(1);
    const result = {
      bench: 'fleet',
      machine: started,
      seed: seedKind,
      gpus: seeded.gpus,
      seedSeconds: r1(seedSeconds),
      startupSeconds: r1(startupSeconds),
      targets,
      intervalMs,
      seconds,
      scrapes: records.length,
      failedScrapes: records.filter((r) => !r.ok).length,
      steadyState: {
        note: 'scrapes after each target\'s first; lag = done − due',
        lagP50Ms: Math.round(pct(allLag, 50)),
        lagP95Ms: Math.round(pct(allLag, 95)),
        lagP99Ms: Math.round(pct(allLag, 99)),
        lagMaxMs: Math.round(Math.max(...allLag)),
        scrapeDurationP50Ms: Math.round(pct(dur, 50)),
        scrapeDurationP95Ms: Math.round(pct(dur, 95)),
        fellBehind: allLag.filter((l) => l >= intervalMs).length,
        samplesPerRound: steady.length ? Math.round(steady.reduce((n, r) => n + r.samples, 0) / steady.length) : null,
        committedSamplesPerSMedian: Math.round(pct(steadyWin.map((w) => w.written), 50)),
        nodeCpuMedian: pct(steadyWin.map((w) => w.nodeCpu), 50),
        nodeCpuMax: Math.max(...steadyWin.map((w) => w.nodeCpu)),
        pgCpuMedian: pct(steadyWin.map((w) => w.pgCpu), 50),
        eventLoopDelayP99MsMax: Math.max(...steadyWin.map((w) => w.eldP99)),
      },
      droppedSamples: ingest.stats.droppedSamples,
      outOfWindowSamples: ingest.stats.outOfWindowSamples,
      failedFlushes: ingest.stats.failedFlushes,
      seriesKnown: ingest.stats.seriesKnown,
      rounds,
      windows,
      machineAtEnd: machine(),
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    stopped = true;
    await runner.stop().catch(() => {});
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
