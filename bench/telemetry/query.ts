/**
 * Query benchmark: the rack-power chart over 24 h at 1-minute resolution. The demo seed (672 GPUs, 120 hosts + the
 * facility endpoint) gets 24 h of history through the real ingest path (IngestPipeline.ingestText → binary COPY) and
 * the real rollup code (runRollups, run after every simulated hour as the rollups worker would), then
 * `queryTelemetry` (the service behind tRPC `telemetry.query` / `telemetry.live`) is timed for `pdu_power_w` of a
 * random rack over 24 h at 1m, `--reps` times.
 *
 *   npx tsx bench/telemetry/query.ts [--hours 24] [--reps 200] [--step 60]
 *
 * Shortcut: one scrape per target every `--step` seconds (60) instead of every 10 s. The 1-minute rollup table, which
 * is what a 1m query reads, has exactly the rows a 10 s scrape would give (one row per series per minute; only
 * `count` differs); the raw table is 6× smaller than production's, which a 1m query does not read.
 * Exporter text is rendered for 6 distinct world states and reused round-robin (rendering is the simulator's cost).
 */
import { renderFacilityMetrics, renderGpuHostMetrics } from '../../simulator/exporters';
import { World } from '../../simulator/world';
import { createDb } from '../../src/server/db/client';
import { runMigrations } from '../../src/server/db/migrate';
import { seedIfEmpty } from '../../src/server/db/seed';
import { IngestPipeline } from '../../src/server/services/telemetry/ingest';
import { maintainPartitions } from '../../src/server/services/telemetry/partitions';
import { queryTelemetry } from '../../src/server/services/telemetry/query';
import { runRollups } from '../../src/server/services/telemetry/rollups';
import { loadSimInventory } from '../../src/server/services/telemetry/sim-inventory';
import { arg, gpuHostnames, machine, pct, r1, r3, throwawayPostgres } from './common';

const hours = Number(arg('hours', '24'));
const reps = Number(arg('reps', '200'));
const stepS = Number(arg('step', '60'));

async function main() {
  const started = machine();
  const pg = await throwawayPostgres();
  const { pool, db } = createDb(pg.url, { max: 10 });
  try {
    await runMigrations(pool);
    const seeded = await seedIfEmpty(db, 'demo');
    await maintainPartitions(pool, { rawRetentionDays: 7, rollupRetentionDays: 365 });

    const inventory = await loadSimInventory(pool);
    const hosts = gpuHostnames(inventory);
    const world = new World(inventory, { seed: 7, startMs: Date.now() });
    const targetIds = new Map<string, number>();
    for (const [key, dialect] of [...hosts.map((h) => [`hosts/${h}`, 'dcgm']), ['facility', 'plenum']] as const) {
      const row = await pool.query<{ id: number }>(
        `INSERT INTO scrape_targets (url, dialect, enabled) VALUES ($1, $2, false) RETURNING id`,
        [`http://bench.invalid/${key}/metrics`, dialect],
      );
      targetIds.set(key, row.rows[0]!.id);
    }
    const states: { text: string; dialect: 'dcgm' | 'plenum'; targetId: number }[][] = [];
    for (let r = 0; r < 6; r++) {
      world.step(stepS);
      const round: { text: string; dialect: 'dcgm' | 'plenum'; targetId: number }[] = [];
      for (const h of hosts) round.push({ text: renderGpuHostMetrics(world, h), dialect: 'dcgm', targetId: targetIds.get(`hosts/${h}`)! });
      round.push({ text: renderFacilityMetrics(world, inventory.sites[0]!.id), dialect: 'plenum', targetId: targetIds.get('facility')! });
      states.push(round);
    }

    // History: `hours` back from now, one scrape of every target per step, rollups after every simulated hour.
    const ingest = new IngestPipeline(pool, { bufferMaxSamples: 50_000_000, rawRetentionDays: 7, notify: false });
    await ingest.loadInventory();
    const endMs = Date.now() - 60_000;
    const startMs = endMs - hours * 3_600_000;
    const rounds = Math.floor((hours * 3600) / stepS);
    const tIngest = performance.now();
    let samples = 0;
    let rollupSeconds = 0;
    const roundsPerHour = Math.round(3600 / stepS);
    for (let r = 0; r < rounds; r++) {
      for (const sc of states[r % states.length]!) samples += ingest.ingestText(sc.text, sc.dialect, { targetId: sc.targetId, nowMs: startMs + r * stepS * 1000 });
      if (ingest.bufferedSamples >= 200_000) await ingest.flush();
      if ((r + 1) % roundsPerHour === 0) {
        await ingest.flush();
        const t = performance.now();
        await runRollups(pool);
        rollupSeconds += (performance.now() - t) / 1000;
        console.error(`[bench] ${(r + 1) / roundsPerHour} h of history: ${samples} samples`);
      }
    }
    await ingest.flush();
    const tr = performance.now();
    await runRollups(pool);
    rollupSeconds += (performance.now() - tr) / 1000;
    const historySeconds = (performance.now() - tIngest) / 1000;
    // What autovacuum would have done by now on a live system (fresh statistics for the planner).
    await pool.query('ANALYZE telemetry_series; ANALYZE telemetry_rollup_1m; ANALYZE telemetry_rollup_1h');
    const sizes = (
      await pool.query<{ raw: number; m1: number; series: number }>(
        `SELECT (SELECT count(*) FROM telemetry_samples)::int AS raw, (SELECT count(*) FROM telemetry_rollup_1m)::int AS m1, (SELECT count(*) FROM telemetry_series)::int AS series`,
      )
    ).rows[0]!;

    const racks = (
      await pool.query<{ name: string; n: number }>(
        `SELECT r.name, count(*)::int AS n FROM telemetry_series s JOIN racks r ON r.id = s.rack_id
          WHERE s.metric = 'pdu_power_w' GROUP BY r.name HAVING (SELECT count(*) FROM racks r2 WHERE lower(r2.name) = lower(r.name)) = 1 ORDER BY r.name`,
      )
    ).rows;
    if (racks.length === 0) throw new Error('no rack has pdu_power_w series');
    let rng = 12345;
    const rand = () => {
      rng = (rng * 1103515245 + 12345) & 0x7fffffff;
      return rng / 0x80000000;
    };
    const run = async () => {
      const rack = racks[Math.floor(rand() * racks.length)]!.name;
      const t = performance.now();
      const res = await queryTelemetry(pool, { metric: 'pdu_power_w', entity: rack, sinceMs: 24 * 3_600_000, resolution: '1m' });
      const ms = performance.now() - t;
      return { ms, series: res.series.length, points: res.series.reduce((n, s) => n + s.points.length, 0) };
    };
    for (let i = 0; i < 10; i++) await run(); // warm-up (connections, plans, cache), not counted
    const times: number[] = [];
    const points: number[] = [];
    const seriesPer: number[] = [];
    for (let i = 0; i < reps; i++) {
      const q = await run();
      times.push(q.ms);
      points.push(q.points);
      seriesPer.push(q.series);
    }
    const plan = await pool.query(
      `EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) SELECT series_id, (extract(epoch FROM bucket) * 1000)::float8 AS t, sum / count AS v, min, max FROM telemetry_rollup_1m
        WHERE series_id = ANY(ARRAY(SELECT s.id FROM telemetry_series s JOIN racks r ON r.id = s.rack_id WHERE s.metric = 'pdu_power_w' AND r.name = $1))
          AND bucket >= now() - interval '24 hours' AND bucket <= now() ORDER BY series_id, bucket`,
      [racks[0]!.name],
    );
    console.log(
      JSON.stringify(
        {
          bench: 'query',
          machine: started,
          gpus: seeded.gpus,
          hours,
          stepSeconds: stepS,
          historySamples: samples,
          historySeconds: r1(historySeconds),
          rollupSeconds: r1(rollupSeconds),
          rows: sizes,
          racksWithPdu: racks.length,
          seriesPerQuery: { min: Math.min(...seriesPer), max: Math.max(...seriesPer) },
          pointsPerQuery: { min: Math.min(...points), median: pct(points, 50), max: Math.max(...points) },
          reps,
          p50Ms: r3(pct(times, 50)),
          p95Ms: r3(pct(times, 95)),
          p99Ms: r3(pct(times, 99)),
          maxMs: r3(Math.max(...times)),
          rollupPlan: plan.rows.map((r) => r['QUERY PLAN']).join('\n'),
          machineAtEnd: machine(),
        },
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
