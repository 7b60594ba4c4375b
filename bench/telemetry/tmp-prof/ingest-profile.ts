// Throwaway: profile parse → map → COPY of simulator text (not committed).
import { createDb } from '../../../src/server/db/client';
import { runMigrations } from '../../../src/server/db/migrate';
import { seedIfEmpty } from '../../../src/server/db/seed';
import { renderFacilityMetrics, renderGpuHostMetrics } from '../../../simulator/exporters';
import { World } from '../../../simulator/world';
import { IngestPipeline } from '../../../src/server/services/telemetry/ingest';
import { loadSimInventory } from '../../../src/server/services/telemetry/sim-inventory';
import { maintainPartitions } from '../../../src/server/services/telemetry/partitions';
import { throwawayPostgres } from '../common';

const pg = await throwawayPostgres();
const { pool, db } = createDb(pg.url);
await runMigrations(pool);
await seedIfEmpty(db, 'demo');
await maintainPartitions(pool, { rawRetentionDays: 7, rollupRetentionDays: 365 });
const inventory = await loadSimInventory(pool);
const hosts = inventory.sites.flatMap((s) => s.halls.flatMap((h) => h.racks.flatMap((r) => r.servers.map((x) => x.hostname)))).slice(0, 40);
const t0 = Date.now() - 3_600_000;
const world = new World(inventory, { seed: 3, startMs: t0 });
const ingest = new IngestPipeline(pool, { bufferMaxSamples: 5_000_000, rawRetentionDays: 7, notify: false });
await ingest.loadInventory();
const texts: string[][] = [];
for (let r = 0; r < 30; r++) {
  world.step(10);
  texts.push(hosts.map((h) => renderGpuHostMetrics(world, h)));
}
const c0 = process.cpuUsage();
let n = 0;
for (let r = 0; r < 30; r++) {
  const at = t0 + r * 10_000;
  for (const t of texts[r]!) ingest.ingestText(t, 'dcgm', { targetId: null, nowMs: at });
  for (let k = 0; k < 4; k++) n += await ingest.flush();
}
n += await ingest.flush();
const c1 = process.cpuUsage(c0);
console.log(JSON.stringify({ samples: n, nodeUsPerSample: (c1.user + c1.system) / n }));
await ingest.stop();
await pool.end();
await pg.stop();
