/**
 * An empty instance (PLENUM_SEED=none) runs its simulator with no hosts; `plenum inventory import` fills the plant, and
 * the simulator's next worker tick (plant_version changed) models the new hosts and registers their targets, and their
 * telemetry arrives through scrape and ingest: without a restart, and long before the periodic inventory refresh.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedIfEmpty } from '../src/server/db/seed';
import { exportInventory, importInventory } from '../src/server/services/inventory-io';
import { SimulatorHost, simulatorWorker } from '../src/server/services/simulator-host';
import { telemetrySettings } from '../src/server/services/telemetry/config';
import { createTelemetry, type TelemetryRuntime } from '../src/server/services/telemetry/index';
import { queryTelemetry } from '../src/server/services/telemetry/query';
import { createTestDatabase, type TestDatabase } from './db';

let source: TestDatabase;
let empty: TestDatabase;
let telemetry: TelemetryRuntime;
let sim: SimulatorHost;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  [source, empty] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  await seedIfEmpty(source.db, 'demo');
  telemetry = await createTelemetry(empty.pool, { ...telemetrySettings({}), flushIntervalMs: 200, scrapeConcurrency: 32 });
  // The periodic refresh is far away: only the plant change can bring the hosts in during this test.
  sim = new SimulatorHost(empty.pool, { accel: 30, seed: 5, port: 0, host: '127.0.0.1', scrapeIntervalMs: 1_000, inventoryRefreshMs: 3_600_000 });
  await sim.start();
});

afterAll(async () => {
  await sim?.stop();
  await telemetry?.scraper.stop();
  await telemetry?.ingest.stop();
  await Promise.all([source?.drop(), empty?.drop()]);
});

describe('inventory import into a running instance', () => {
  it('the simulator models the imported hosts at its next tick and they produce telemetry', async () => {
    const worker = simulatorWorker(() => sim);
    await worker.tick();
    expect(sim.status().hosts).toBe(0);

    const result = await importInventory(empty.db, await exportInventory(source.db), { actor: 'cli:test' });
    expect(result.counts.devices).toBeGreaterThan(0);
    const hostnames = (await empty.pool.query<{ hostname: string }>(`SELECT DISTINCT d.name AS hostname FROM devices d JOIN accelerators a ON a.device_id = d.id`)).rows;
    expect(hostnames.length).toBeGreaterThan(0);

    const status = await worker.tick();
    expect(sim.status().hosts).toBe(hostnames.length);
    expect(status).toContain(`${hostnames.length} hosts`);
    const targets = await empty.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM scrape_targets WHERE managed_by = 'simulator' AND url LIKE '%/hosts/%'`);
    expect(targets.rows[0]!.n).toBe(hostnames.length);

    // An imported GPU's power arrives through scrape and ingest, mapped to the GPU once the mapping worker (every 30 s
    // in a running instance; ticked here between polls) has read the new inventory.
    const mapping = telemetry.workers.find((w) => w.name === 'telemetry-mapping')!;
    const until = Date.now() + 90_000;
    let power: number[] = [];
    while (power.length < 8 && Date.now() < until) {
      await sleep(500);
      await mapping.tick();
      const answer = await queryTelemetry(empty.pool, { metric: 'gpu_power_w', entity: 'a1-01-gpu1', sinceMs: 60_000 });
      power = answer.series.map((series) => series.points.at(-1)?.v).filter((v): v is number => v !== undefined);
    }
    expect(power).toHaveLength(8);
    expect(power.every((w) => w > 50 && w < 800)).toBe(true);
  });
});
