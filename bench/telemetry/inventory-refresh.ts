/**
 * The telemetry mapping worker's tick (every 30 s on every instance that scrapes): a full inventory load of the
 * mapper against a refresh that finds plant_version unchanged and loads nothing (InventoryMapper.refresh); and the
 * simulated world's inventory read (SimulatorHost.refreshInventory: loadSimInventory and its JSON), which its worker
 * makes on a plant change and every PLENUM_SIM_INVENTORY_REFRESH_MS as a backstop. Per tick:
 * Node CPU, PostgreSQL CPU (every process of the throwaway server) and wall time, the wall time being how long the
 * tick holds the event loop in its synchronous part at most (it is the whole tick here: nothing else runs).
 *
 *   npx tsx bench/telemetry/inventory-refresh.ts [--seed demo|large|xl] [--reps 10] [--load-only]
 *
 * `--load-only` measures the load alone: for a build from before the refresh existed (every tick was a load).
 */
import { createDb } from '../../src/server/db/client';
import { runMigrations } from '../../src/server/db/migrate';
import { seedIfEmpty } from '../../src/server/db/seed';
import { IngestPipeline } from '../../src/server/services/telemetry/ingest';
import { loadSimInventory } from '../../src/server/services/telemetry/sim-inventory';
import { arg, machine, nodeCpuSeconds, pct, postgresCpuSeconds, r3, throwawayPostgres } from './common';

const seed = arg('seed', 'demo') as 'demo' | 'large' | 'xl';
const reps = Number(arg('reps', '10'));
const loadOnly = process.argv.includes('--load-only');

async function measure(pgData: string, tick: () => Promise<unknown>) {
  const wallMs: number[] = [];
  const node0 = nodeCpuSeconds();
  const pg0 = postgresCpuSeconds(pgData);
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await tick();
    wallMs.push(performance.now() - t0);
  }
  return {
    nodeMsPerTick: r3(((nodeCpuSeconds() - node0) * 1000) / reps),
    postgresMsPerTick: r3(((postgresCpuSeconds(pgData) - pg0) * 1000) / reps),
    wallMsMedian: r3(pct(wallMs, 50)),
  };
}

async function main() {
  const started = machine();
  const server = await throwawayPostgres();
  const { pool, db } = createDb(server.url);
  try {
    await runMigrations(pool);
    await seedIfEmpty(db, seed);
    await pool.query('VACUUM ANALYZE');
    const accelerators = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM accelerators')).rows[0]!.n);
    const ingest = new IngestPipeline(pool, { bufferMaxSamples: 1_000, rawRetentionDays: 7 });
    for (let i = 0; i < 3; i++) await ingest.loadInventory(); // warm: code compiled, caches filled
    const load = await measure(server.pgData, () => ingest.loadInventory());
    const refresh = loadOnly
      ? undefined
      : await measure(server.pgData, async () => {
          if (await ingest.refreshInventory()) throw new Error('the plant changed during the bench');
        });
    const simulatorInventory = await measure(server.pgData, async () => JSON.stringify(await loadSimInventory(pool)));
    console.log(JSON.stringify({ bench: 'inventory-refresh', seed, accelerators, reps, load, refreshUnchanged: refresh, simulatorInventory, machine: started, machineAtEnd: machine() }, null, 1));
  } finally {
    await pool.end();
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
