/**
 * An ingest flush on its own, shaped like the demo's at 10 s scrapes (a flush a second holding the scrapes of ~12 of
 * its 121 exporters, ~1,850 samples): CPU per flush of Plenum's Node process and of PostgreSQL (every process of a
 * throwaway server, so WAL writing and commits count), and the flush's wall time. Scrapes are parsed before the
 * clock starts, so the figures are the flush alone: sample blocks, rollup queue, latest values, NOTIFY, commit.
 *
 *   npx tsx bench/telemetry/flush.ts [--flushes 600] [--per-flush 12]
 */
import { renderFacilityMetrics, renderGpuHostMetrics } from '../../simulator/exporters';
import { World } from '../../simulator/world';
import { createDb } from '../../src/server/db/client';
import { runMigrations } from '../../src/server/db/migrate';
import { seedIfEmpty } from '../../src/server/db/seed';
import { IngestPipeline } from '../../src/server/services/telemetry/ingest';
import { maintainPartitions } from '../../src/server/services/telemetry/partitions';
import { loadSimInventory } from '../../src/server/services/telemetry/sim-inventory';
import { arg, gpuHostnames, machine, pct, postgresCpuSeconds, r3, throwawayPostgres } from './common';

const flushes = Number(arg('flushes', '600'));
const perFlush = Number(arg('per-flush', '12'));

async function main() {
  const started = machine();
  const server = await throwawayPostgres();
  const { pool, db } = createDb(server.url, { max: 4 });
  try {
    await runMigrations(pool);
    await seedIfEmpty(db, 'demo');
    await maintainPartitions(pool, { rawRetentionDays: 7, rollupRetentionDays: 365 });
    const inventory = await loadSimInventory(pool);
    const hosts = gpuHostnames(inventory);
    const world = new World(inventory, { seed: 7, startMs: Date.now() });
    const targets: { key: string; id: number; dialect: 'dcgm' | 'plenum' }[] = [];
    for (const [key, dialect] of [...hosts.map((h) => [h, 'dcgm'] as const), ['facility', 'plenum'] as const]) {
      const row = await pool.query<{ id: number }>('INSERT INTO scrape_targets (url, dialect, enabled) VALUES ($1, $2, false) RETURNING id', [`http://bench.invalid/${key}/metrics`, dialect]);
      targets.push({ key, id: row.rows[0]!.id, dialect });
    }
    const render = (key: string) => (key === 'facility' ? renderFacilityMetrics(world, inventory.sites[0]!.id) : renderGpuHostMetrics(world, key));
    const ingest = new IngestPipeline(pool, { bufferMaxSamples: 10_000_000, rawRetentionDays: 7 });
    await ingest.loadInventory();
    // Every target once first: its series are created (a one-off, not a flush's steady work).
    const t0 = Date.now() - 3_600_000;
    for (const t of targets) ingest.ingestText(render(t.key), t.dialect, { targetId: t.id, nowMs: t0 });
    await ingest.flush();

    // Ten rounds of text per target (values move), reused: the flushes' content, not the rendering, is measured.
    const texts = Array.from({ length: 10 }, () => {
      world.step(10);
      return targets.map((t) => render(t.key));
    });
    const nodeMs: number[] = [];
    const wallMs: number[] = [];
    let samples = 0;
    let next = 0;
    const pg0 = postgresCpuSeconds(server.pgData);
    const node0 = process.cpuUsage();
    for (let f = 0; f < flushes; f++) {
      for (let k = 0; k < perFlush; k++, next++) {
        const t = targets[next % targets.length]!;
        const round = Math.floor(next / targets.length);
        samples += ingest.ingestText(texts[round % 10]![next % targets.length]!, t.dialect, { targetId: t.id, nowMs: t0 + 10_000 * (round + 1) + (next % targets.length) * 80 });
      }
      const cpu0 = process.cpuUsage();
      const w0 = performance.now();
      await ingest.flush();
      wallMs.push(performance.now() - w0);
      const cpu = process.cpuUsage(cpu0);
      nodeMs.push((cpu.user + cpu.system) / 1000);
    }
    const nodeAll = process.cpuUsage(node0);
    const pgS = postgresCpuSeconds(server.pgData) - pg0;
    const flushNodeMs = nodeMs.reduce((a, b) => a + b, 0);
    console.log(
      JSON.stringify(
        {
          bench: 'flush',
          machine: started,
          flushes,
          samplesPerFlush: Math.round(samples / flushes),
          postgresCpuMsPerFlush: r3((pgS * 1000) / flushes),
          nodeFlushCpuMsPerFlush: r3(flushNodeMs / flushes),
          postgresCpuUsPerSample: r3((pgS * 1e6) / samples),
          nodeFlushCpuUsPerSample: r3((flushNodeMs * 1000) / samples),
          nodeAllCpuUsPerSample: r3((nodeAll.user + nodeAll.system) / samples), // cpuUsage counts µs
          wallMs: { p50: r3(pct(wallMs, 50)), p90: r3(pct(wallMs, 90)) },
        },
        null,
        2,
      ),
    );
  } finally {
    await pool.end();
    await server.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
