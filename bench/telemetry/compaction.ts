/**
 * Compaction's CPU per sample in steady state: six hours (MAX_CHUNK_SPAN_MS, from a 6-hour boundary) of simulator
 * scrapes of `--hosts` GPU hosts and the facility endpoint, through the real ingest and rollups, compacted every 30
 * rounds on the simulated clock as the worker does, so sample chunks and 1-minute rollup chunks grow to their full
 * size window by window. Only the compaction calls are measured: this process's CPU and PostgreSQL's (all its
 * processes), per compacted sample, and with `--profile` Node's self time by function
 * during the compaction calls (the profiler's own cost inflates that run's figures).
 *
 *   npx tsx bench/telemetry/compaction.ts [--hosts 12] [--interval 30000] [--profile FILE.json]
 *
 * The live bench (versus-prometheus.ts) compacts everything at its end, a few minutes per series that no earlier
 * chunk holds; this one measures what a series' 30-minute windows cost once chunks grow across windows.
 */
import { Session } from 'node:inspector/promises';
import { writeFile } from 'node:fs/promises';
import { createDb } from '../../src/server/db/client';
import { runMigrations } from '../../src/server/db/migrate';
import { seedIfEmpty } from '../../src/server/db/seed';
import { renderFacilityMetrics, renderGpuHostMetrics } from '../../simulator/exporters';
import { World } from '../../simulator/world';
import { compactClosedWindows } from '../../src/server/services/telemetry/compaction';
import { IngestPipeline } from '../../src/server/services/telemetry/ingest';
import { maintainPartitions } from '../../src/server/services/telemetry/partitions';
import { runRollups } from '../../src/server/services/telemetry/rollups';
import { loadSimInventory } from '../../src/server/services/telemetry/sim-inventory';
import { MAX_CHUNK_SPAN_MS } from '../../src/server/services/telemetry/sample-store';
import { arg, gpuHostnames, machine, nodeCpuSeconds, postgresCpuSeconds, r3, throwawayPostgres } from './common';

const hostCount = Number(arg('hosts', '12'));
const stepMs = Number(arg('interval', '30000'));
const profileFile = arg('profile', '');

async function main() {
  const started = machine();
  const pg = await throwawayPostgres();
  process.env.DATABASE_URL = pg.url;
  const { pool, db } = createDb(pg.url);
  try {
    await runMigrations(pool);
    await seedIfEmpty(db, 'demo');
    const inventory = await loadSimInventory(pool);
    const hosts = gpuHostnames(inventory, hostCount);
    const t0 = Math.floor((Date.now() - 2 * MAX_CHUNK_SPAN_MS) / MAX_CHUNK_SPAN_MS) * MAX_CHUNK_SPAN_MS;
    // The daily partitions the six hours need (the partition worker's job in service).
    for (const nowMs of [t0, Date.now()]) await maintainPartitions(pool, { nowMs, rawRetentionDays: 7, rollupRetentionDays: 365 });
    const world = new World(inventory, { seed: 3, startMs: t0 });
    const ingest = new IngestPipeline(pool, { bufferMaxSamples: 5_000_000, rawRetentionDays: 7, notify: false });
    await ingest.loadInventory();
    const session = profileFile ? new Session() : undefined;
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
    }
    const total = { node: 0, pg: 0, samples: 0, buckets: 0, chunks: 0, runs: 0, wallMs: 0 };
    const compact = async (nowMs: number) => {
      const n0 = nodeCpuSeconds();
      const p0 = postgresCpuSeconds(pg.pgData);
      const w0 = performance.now();
      if (session) await session.post('Profiler.start');
      const c = await compactClosedWindows(pool, { nowMs, timeBudgetMs: 3_600_000 });
      if (session) {
        const { profile } = await session.post('Profiler.stop');
        profiles.push(profile);
      }
      total.wallMs += performance.now() - w0;
      total.node += nodeCpuSeconds() - n0;
      total.pg += postgresCpuSeconds(pg.pgData) - p0;
      total.samples += c.samples;
      total.buckets += c.rollups.buckets;
      total.chunks += c.chunks + c.rollups.chunks;
      total.runs++;
      // autovacuum keeping up (not measured here: versus-prometheus.ts reports it)
      if (c.chunks + c.rollups.chunks > 0) await pool.query('VACUUM telemetry_sample_blocks, telemetry_rollup_1m_blocks, telemetry_chunks, telemetry_rollup_1m_chunks, telemetry_rollup_1h');
    };
    const profiles: unknown[] = [];
    const rounds = MAX_CHUNK_SPAN_MS / stepMs;
    for (let r = 0; r < rounds; r++) {
      world.step(stepMs / 1000);
      const at = t0 + r * stepMs + ((r * 37) % 23);
      for (const h of hosts) ingest.ingestText(renderGpuHostMetrics(world, h), 'dcgm', { targetId: null, nowMs: at });
      ingest.ingestText(renderFacilityMetrics(world, inventory.sites[0]!.id), 'plenum', { targetId: null, nowMs: at + 3 });
      if (r % 30 === 29) {
        await ingest.flush();
        if (ingest.stats.rejectedSamples + ingest.stats.outOfWindowSamples > 0) throw new Error(`samples were refused: ${JSON.stringify(ingest.stats)}`);
        await runRollups(pool, { nowMs: at });
        await compact(at);
        if (r % 240 === 239) console.error(`[bench] ${((r + 1) * stepMs) / 3_600_000} h, ${total.samples} samples compacted`);
      }
    }
    await ingest.flush();
    await ingest.stop();
    if (ingest.stats.rejectedSamples + ingest.stats.outOfWindowSamples > 0) throw new Error(`samples were refused: ${JSON.stringify(ingest.stats)}`);
    await runRollups(pool, { nowMs: t0 + MAX_CHUNK_SPAN_MS + 3_600_000 });
    await compact(t0 + MAX_CHUNK_SPAN_MS + 3_600_000);
    const count = async (sql: string) => Number((await pool.query<{ n: string }>(sql)).rows[0]!.n);
    const stored = await count('SELECT coalesce(sum(count), 0) AS n FROM telemetry_chunks');
    if (stored !== total.samples) throw new Error(`chunks hold ${stored} samples, compaction reported ${total.samples}`);
    const chunkRows = await count('SELECT count(*) AS n FROM telemetry_chunks');
    const payload = await count('SELECT sum(octet_length(data))::bigint AS n FROM telemetry_chunks');
    const minutePayload = await count('SELECT sum(octet_length(data))::bigint AS n FROM telemetry_rollup_1m_chunks');
    if (session && profiles.length > 0) await writeFile(profileFile, JSON.stringify(selfTimes(profiles as Profile[], 40), null, 2));
    console.log(
      JSON.stringify(
        {
          started,
          finished: machine(),
          command: process.argv.slice(1).join(' '),
          hosts: hostCount,
          intervalMs: stepMs,
          compactionRuns: total.runs,
          samples: total.samples,
          minuteBuckets: total.buckets,
          chunkWrites: total.chunks,
          samplesPerChunk: r3(total.samples / chunkRows),
          payloadBytesPerSample: r3(payload / total.samples),
          minutePayloadBytesPerSample: r3(minutePayload / total.samples),
          cpuUsPerSample: {
            total: r3(((total.node + total.pg) / total.samples) * 1e6),
            node: r3((total.node / total.samples) * 1e6),
            postgres: r3((total.pg / total.samples) * 1e6),
          },
          wallUsPerSample: r3((total.wallMs / total.samples) * 1e3),
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

type Profile = { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[]; samples: number[]; timeDeltas: number[] };

/** Self time by function over all the runs' profiles, largest first, in ms. */
function selfTimes(list: Profile[], top: number): Record<string, number> {
  const byName = new Map<string, number>();
  for (const p of list) {
    const names = new Map(p.nodes.map((n) => [n.id, `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`]));
    p.samples.forEach((id, i) => {
      const name = names.get(id)!;
      byName.set(name, (byName.get(name) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
    });
  }
  return Object.fromEntries([...byName].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => [k, Math.round(v)]));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
