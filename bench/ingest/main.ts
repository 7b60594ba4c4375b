/**
 * Ingest benchmark: end-to-end ingest (parse + dialect map + inventory map + series lookup + the flush's statement
 * writing sample blocks into the partitioned write table) against a raw insert of exactly the same rows as blocks (binary
 * array parameters, no rollup queue or latest values), in the same run, alternating.
 *
 *   npx tsx bench/ingest/main.ts [--rounds 30] [--repeats 5]
 *
 * Data: the demo seed's 120 simulated GPU hosts (dcgm-exporter text) + the facility endpoint, each registered as its own
 * (disabled) scrape target, `rounds` scrapes of all of them with distinct timestamps. Uses PLENUM_BENCH_DATABASE_URL
 * (its telemetry_sample_blocks are TRUNCATEd), else a throwaway embedded PostgreSQL.
 * Besides the rates it prints, per run, the Node CPU seconds of the ingest and the tail: seconds from the last scrape
 * ingested to the last row committed (the write the parsing could not hide).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { renderFacilityMetrics, renderGpuHostMetrics } from '../../simulator/exporters';
import { World } from '../../simulator/world';
import { createDb } from '../../src/server/db/client';
import { startEmbeddedPostgres } from '../../src/server/db/embedded';
import { runMigrations } from '../../src/server/db/migrate';
import { seedIfEmpty } from '../../src/server/db/seed';
import { IngestPipeline } from '../../src/server/services/telemetry/ingest';
import { maintainPartitions } from '../../src/server/services/telemetry/partitions';
import { insertSampleBlocks } from '../../src/server/services/telemetry/sample-store';
import { loadSimInventory } from '../../src/server/services/telemetry/sim-inventory';
import { gpuHostnames } from '../telemetry/common';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const rounds = arg('rounds', 30);
const repeats = arg('repeats', 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  let url = process.env.PLENUM_BENCH_DATABASE_URL;
  let stop: (() => Promise<void>) | undefined;
  let dir: string | undefined;
  if (!url) {
    dir = await mkdtemp(path.join(tmpdir(), 'plenum-bench-'));
    const server = await startEmbeddedPostgres(dir);
    url = server.url;
    stop = server.stop;
  }
  const { pool, db } = createDb(url, { max: 4 });
  try {
    await runMigrations(pool);
    await seedIfEmpty(db, 'demo');
    await maintainPartitions(pool, { rawRetentionDays: 7, rollupRetentionDays: 365 });
    const version = (await pool.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;

    // Exporter text, rendered once (rendering is the simulator's cost, not ingest's).
    const inventory = await loadSimInventory(pool);
    const hosts = gpuHostnames(inventory);
    const world = new World(inventory, { seed: 7, startMs: Date.now() });
    // Each exporter is its own scrape target, as in production (the ingest keeps per-target state, see line-cache.ts).
    // Registered disabled: nothing scrapes them, the benchmark feeds their text itself.
    const targetIds = new Map<string, number>();
    for (const [key, dialect] of [...hosts.map((h) => [`hosts/${h}`, 'dcgm']), ['facility', 'plenum']] as const) {
      // scrape_targets.url is not unique (any longer): reuse a target an earlier run registered.
      const url = `http://bench.invalid/${key}/metrics`;
      const known = await pool.query<{ id: number }>('UPDATE scrape_targets SET dialect = $2 WHERE url = $1 RETURNING id', [url, dialect]);
      const row = known.rows.length > 0 ? known : await pool.query<{ id: number }>('INSERT INTO scrape_targets (url, dialect, enabled) VALUES ($1, $2, false) RETURNING id', [url, dialect]);
      targetIds.set(key, row.rows[0]!.id);
    }
    const scrapes: { text: string; dialect: 'dcgm' | 'plenum'; targetId: number }[] = [];
    for (let r = 0; r < 4; r++) {
      world.step(10);
      for (const h of hosts) scrapes.push({ text: renderGpuHostMetrics(world, h), dialect: 'dcgm', targetId: targetIds.get(`hosts/${h}`)! });
      scrapes.push({ text: renderFacilityMetrics(world, inventory.sites[0]!.id), dialect: 'plenum', targetId: targetIds.get('facility')! });
    }
    const perRound = scrapes.length / 4;
    const baseTs = Date.now() - 3_600_000;

    // Warm the series cache once (series creation is a one-off per series, not steady-state ingest).
    const warm = new IngestPipeline(pool, { bufferMaxSamples: 50_000_000, rawRetentionDays: 7, notify: false });
    await warm.loadInventory();
    for (let i = 0; i < perRound; i++) warm.ingestText(scrapes[i]!.text, scrapes[i]!.dialect, { targetId: scrapes[i]!.targetId, nowMs: baseTs - 1000 });
    await warm.flush();

    const ingestRun = async (): Promise<{ samples: number; seconds: number; ids: Int32Array; ts: Float64Array; values: Float64Array }> => {
      await pool.query('TRUNCATE telemetry_sample_blocks');
      const started = performance.now();
      const cpuStarted = process.cpuUsage();
      // Scrapes arrive, the flush loop writes behind them: flush whenever ≥ 50k rows are buffered, without waiting.
      let pending: Promise<number> | undefined;
      let samples = 0;
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < perRound; i++) {
          const sc = scrapes[(r % 4) * perRound + i]!;
          samples += warm.ingestText(sc.text, sc.dialect, { targetId: sc.targetId, nowMs: baseTs + r * 10_000 });
          if (warm.bufferedSamples >= 50_000 && !pending) pending = warm.flush().finally(() => (pending = undefined));
          // Each scrape is its own event-loop turn, as with real fetches, so a flush's statement goes out between them.
          if (pending) await new Promise((res) => setImmediate(res));
        }
      }
      const scrapedAt = performance.now();
      if (pending) await pending;
      await warm.flush();
      const seconds = (performance.now() - started) / 1000;
      tails.push((performance.now() - scrapedAt) / 1000);
      const cpu = process.cpuUsage(cpuStarted);
      nodeCpu.push((cpu.user + cpu.system) / 1e6);
      // The rows as stored, for the raw insert of the same data.
      const rows = await pool.query<{ series_id: number; t: number; value: number }>(
        'SELECT series_id, (extract(epoch FROM ts) * 1000)::float8 AS t, value FROM telemetry_samples',
      );
      const n = rows.rows.length;
      const ids = new Int32Array(n);
      const ts = new Float64Array(n);
      const values = new Float64Array(n);
      rows.rows.forEach((r, i) => {
        ids[i] = r.series_id;
        ts[i] = r.t;
        values[i] = r.value;
      });
      return { samples, seconds, ids, ts, values };
    };

    const rawRun = async (ids: Int32Array, ts: Float64Array, values: Float64Array): Promise<number> => {
      await pool.query('TRUNCATE telemetry_sample_blocks');
      const client = await pool.connect();
      try {
        const started = performance.now();
        // Encoding is part of a raw write too (the client must produce the bytes): the same blocks, 50k rows per statement.
        await client.query('BEGIN');
        for (let i = 0; i < ids.length; i += 50_000) {
          await insertSampleBlocks(client, [{ seriesIds: ids, tsMs: ts, values, from: i, to: Math.min(ids.length, i + 50_000) }]);
        }
        await client.query('COMMIT');
        return (performance.now() - started) / 1000;
      } finally {
        client.release();
      }
    };

    /** Seconds between the last scrape ingested and the last row committed (the write the parsing did not hide). */
    const tails: number[] = [];
    /** CPU seconds this (Node) process spent per ingest run: parse, map, encode, stream; PostgreSQL's work is not in it. */
    const nodeCpu: number[] = [];
    const ingestRates: number[] = [];
    const rawRates: number[] = [];
    let samples = 0;
    for (let k = 0; k < repeats; k++) {
      const run = await ingestRun();
      samples = run.samples;
      if (run.ids.length !== run.samples) throw new Error(`stored ${run.ids.length} rows for ${run.samples} samples`);
      ingestRates.push(run.samples / run.seconds);
      rawRates.push(run.samples / (await rawRun(run.ids, run.ts, run.values)));
    }
    const result = {
      postgres: version,
      samplesPerRun: samples,
      repeats,
      ingestSamplesPerS: Math.round(median(ingestRates)),
      rawCopySamplesPerS: Math.round(median(rawRates)),
      ratio: Math.round((median(ingestRates) / median(rawRates)) * 100) / 100,
      ingestRuns: ingestRates.map(Math.round),
      rawRuns: rawRates.map(Math.round),
      ingestSeconds: ingestRates.map((r) => Math.round((samples / r) * 1000) / 1000),
      nodeCpuSeconds: nodeCpu.map((t) => Math.round(t * 1000) / 1000),
      tailSeconds: tails.map((t) => Math.round(t * 1000) / 1000),
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await pool.end();
    await stop?.();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
