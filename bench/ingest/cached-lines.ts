/**
 * Node's CPU for the scrape-side ingest of known series, per sample: `ingestText` on simulator exposition text whose
 * lines the per-target line cache already holds (the steady state of every scrape after the first). A throwaway
 * PostgreSQL holds the demo seed's series; each round renders every GPU host's dcgm text and the facility endpoint
 * from the simulated world, ingests it (measured) and flushes (not measured), so every round after the first two
 * takes the cached path with known ids. (A flush that fails is retried by the pipeline: a bench that hangs here is
 * one whose samples the database refuses.)
 *
 *   npx tsx bench/ingest/cached-lines.ts [--hosts 64] [--rounds 40] [--reps 5]
 *
 * Prints the median over `--reps` passes of `--rounds` rounds of CPU µs per ingested sample (process CPU during the
 * `ingestText` calls only: the text is rendered before the clock starts), and the samples per round.
 */
import { createDb } from '../../src/server/db/client';
import { runMigrations } from '../../src/server/db/migrate';
import { seedIfEmpty } from '../../src/server/db/seed';
import { IngestPipeline } from '../../src/server/services/telemetry/ingest';
import { maintainPartitions } from '../../src/server/services/telemetry/partitions';
import { loadSimInventory } from '../../src/server/services/telemetry/sim-inventory';
import { renderFacilityMetrics, renderGpuHostMetrics } from '../../simulator/exporters';
import { World } from '../../simulator/world';
import { arg, gpuHostnames, machine, r3, throwawayPostgres } from '../telemetry/common';

const hostCount = Number(arg('hosts', '64'));
const rounds = Number(arg('rounds', '40'));
const reps = Number(arg('reps', '5'));
const stepMs = 30_000;

const cpuUs = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

async function main() {
  const started = machine();
  const pg = await throwawayPostgres();
  const { pool, db } = createDb(pg.url);
  try {
    await runMigrations(pool);
    await seedIfEmpty(db, 'demo');
    const inventory = await loadSimInventory(pool);
    const hosts = gpuHostnames(inventory, hostCount);
    const siteId = inventory.sites[0]!.id;
    const t0 = Math.floor(Date.now() / stepMs) * stepMs - (reps * rounds + 2) * stepMs;
    // The daily partitions the rounds need (the partition worker's job in service).
    for (const nowMs of [t0, Date.now()]) await maintainPartitions(pool, { nowMs, rawRetentionDays: 7, rollupRetentionDays: 365 });
    const world = new World(inventory, { seed: 5, startMs: t0 });
    const ingest = new IngestPipeline(pool, { bufferMaxSamples: 5_000_000, rawRetentionDays: 7, notify: false });
    await ingest.loadInventory();
    // No scrape target rows: the line cache is then per hostname (one per GPU host, one for the facility endpoint).
    const targets = [...hosts.map((h) => ({ text: () => renderGpuHostMetrics(world, h), dialect: 'dcgm' as const, hostname: h as string | undefined })), { text: () => renderFacilityMetrics(world, siteId), dialect: 'plenum' as const, hostname: undefined }];
    let round = 0;
    const oneRound = async (): Promise<{ us: number; samples: number }> => {
      world.step(stepMs / 1000);
      const at = t0 + round++ * stepMs;
      const texts = targets.map((t) => t.text());
      const before = ingest.stats.acceptedSamples;
      const c0 = cpuUs();
      for (let i = 0; i < targets.length; i++) {
        const t = targets[i]!;
        ingest.ingestText(texts[i]!, t.dialect, { targetId: null, nowMs: at, ...(t.hostname ? { hostname: t.hostname } : {}) });
      }
      const us = cpuUs() - c0;
      const samples = ingest.stats.acceptedSamples - before;
      await ingest.flush();
      return { us, samples };
    };
    console.error(`[bench] ${hosts.length} hosts, first round`);
    // Two rounds to create the series and learn their ids.
    await oneRound();
    await oneRound();
    const perSample: number[] = [];
    let samplesPerRound = 0;
    for (let rep = 0; rep < reps; rep++) {
      let us = 0;
      let samples = 0;
      for (let r = 0; r < rounds; r++) {
        const one = await oneRound();
        us += one.us;
        samples += one.samples;
      }
      perSample.push(us / samples);
      samplesPerRound = samples / rounds;
    }
    await ingest.stop();
    if (ingest.stats.rejectedSamples + ingest.stats.outOfWindowSamples > 0) throw new Error(`samples were refused: ${JSON.stringify(ingest.stats)}`);
    const sorted = [...perSample].sort((a, b) => a - b);
    console.log(
      JSON.stringify(
        {
          started,
          finished: machine(),
          command: process.argv.slice(1).join(' '),
          hosts: hosts.length,
          samplesPerRound,
          lineCache: { hits: ingest.lineCaches.hits, misses: ingest.lineCaches.misses },
          cpuUsPerSample: { median: r3(sorted[Math.floor(sorted.length / 2)]!), all: perSample.map(r3) },
        },
        null,
        2,
      ),
    );
  } finally {
    await pool.end();
    await pg.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
