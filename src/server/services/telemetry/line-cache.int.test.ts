/**
 * The line cache against a real PostgreSQL: cached scrapes land on the same series as uncached ones (no duplicates),
 * a new label value makes a new series, and a series first stored unmapped keeps its id (and its cached lines keep
 * working) when the inventory changes and the series is re-mapped.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderFacilityMetrics, renderGpuHostMetrics } from '../../../../simulator/exporters';
import { World } from '../../../../simulator/world';
import { createDemoTelemetryDatabase, type TestDatabase } from '../../../../tests/db';
import { IngestPipeline, remapSeries } from './ingest';
import { loadSimInventory } from './sim-inventory';

let db: TestDatabase;

beforeAll(async () => {
  db = await createDemoTelemetryDatabase();
});
afterAll(async () => {
  await db?.drop();
});

const count = async (sql: string, params: unknown[] = []) => Number((await db.pool.query<{ n: number }>(sql, params)).rows[0]!.n);

describe('telemetry line cache', () => {
  it('stores cached scrapes on the same series as the full path, one sample per series per scrape', async () => {
    const inventory = await loadSimInventory(db.pool);
    const hosts = inventory.sites.flatMap((s) => s.halls.flatMap((h) => h.racks.flatMap((r) => r.servers.map((x) => x.hostname)))).slice(0, 12);
    const world = new World(inventory, { seed: 5, startMs: Date.now() });
    const t0 = Date.now() - 300_000;
    const round = (p: IngestPipeline, r: number) => {
      world.step(10);
      let n = 0;
      for (const [i, h] of hosts.entries()) {
        n += p.ingestText(renderGpuHostMetrics(world, h), 'dcgm', { targetId: null, hostname: `override-${i}`, nowMs: t0 + r * 10_000 });
      }
      n += p.ingestText(renderFacilityMetrics(world, 'ams-ai-1'), 'plenum', { targetId: null, nowMs: t0 + r * 10_000 });
      return n;
    };
    const cached = new IngestPipeline(db.pool, { bufferMaxSamples: 1_000_000, rawRetentionDays: 7, notify: false });
    await cached.loadInventory();
    const first = round(cached, 0);
    await cached.flush();
    const series = await count('SELECT count(*)::int AS n FROM telemetry_series');
    expect(series).toBe(first);
    expect(round(cached, 1)).toBe(first);
    await cached.flush();
    expect(cached.lineCaches.hits).toBeGreaterThanOrEqual(first);

    const full = new IngestPipeline(db.pool, { bufferMaxSamples: 1_000_000, rawRetentionDays: 7, notify: false, lineCache: false });
    await full.loadInventory();
    expect(round(full, 2)).toBe(first);
    await full.flush();
    expect(round(cached, 3)).toBe(first);
    await cached.flush();

    expect(await count('SELECT count(*)::int AS n FROM telemetry_series')).toBe(series);
    expect(await count('SELECT count(*)::int AS n FROM (SELECT series_id FROM telemetry_samples GROUP BY series_id HAVING count(*) = 4) x')).toBe(series);
    expect(await count(`SELECT count(*)::int AS n FROM telemetry_series WHERE entity_kind = 'unmapped'`)).toBe(0);

    // A new label value (another driver version) is a new series for every line that carries it.
    const text = renderGpuHostMetrics(world, hosts[0]!);
    const upgraded = text.replaceAll(`DCGM_FI_DRIVER_VERSION="${world.driverVersion}"`, 'DCGM_FI_DRIVER_VERSION="999.1"');
    expect(upgraded).not.toBe(text);
    const n = cached.ingestText(upgraded, 'dcgm', { targetId: null, hostname: 'override-0', nowMs: t0 + 40_000 });
    await cached.flush();
    expect(await count('SELECT count(*)::int AS n FROM telemetry_series')).toBe(series + n);
    expect(await count(`SELECT count(*)::int AS n FROM telemetry_series WHERE labels->>'DCGM_FI_DRIVER_VERSION' = '999.1' AND entity_kind = 'gpu'`)).toBe(n);
  });

  it('keeps a series that was stored unmapped (same id) when the inventory changes, and re-maps it', async () => {
    const dir = fileURLToPath(new URL('../../../../../shared/fixtures/exporters/nvidia_gpu_exporter/testdata/', import.meta.url));
    const text = readFileSync(`${dir}linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load.metrics`, 'utf8');
    const ingest = new IngestPipeline(db.pool, { bufferMaxSamples: 100_000, rawRetentionDays: 7, notify: false });
    await ingest.loadInventory();
    const meta = { targetId: null, hostname: 'lab-node-7' };
    const accepted = ingest.ingestText(text, 'nvidia-smi', { ...meta, nowMs: Date.now() - 20_000 });
    ingest.ingestText(text, 'nvidia-smi', { ...meta, nowMs: Date.now() - 10_000 });
    await ingest.flush();
    const ids = async () =>
      (await db.pool.query<{ id: number; metric: string }>(`SELECT id, metric FROM telemetry_series WHERE hostname = 'lab-node-7' ORDER BY id`)).rows;
    const before = await ids();
    expect(before.length).toBe(accepted);
    expect(await count(`SELECT count(*)::int AS n FROM telemetry_series WHERE hostname = 'lab-node-7' AND entity_kind = 'unmapped'`)).toBe(accepted);
    const uuid = (await db.pool.query<{ gpu_uuid: string }>(`SELECT gpu_uuid FROM telemetry_series WHERE hostname = 'lab-node-7' AND gpu_uuid IS NOT NULL LIMIT 1`)).rows[0]!
      .gpu_uuid;

    // The host joins the inventory: the mapper's version changes, the line caches are dropped.
    const device = (await db.pool.query<{ id: number }>(`SELECT id FROM devices WHERE hostname = 'a1-02-gpu1'`)).rows[0]!.id;
    await db.pool.query(`UPDATE devices SET hostname = 'lab-node-7' WHERE id = $1`, [device]);
    await db.pool.query(`UPDATE accelerators SET uuid = $1 WHERE device_id = $2 AND index = 0`, [uuid, device]);
    expect(await ingest.loadInventory()).toBe(true);
    expect(await remapSeries(db.pool, ingest.mapper)).toBeGreaterThanOrEqual(accepted); // (and the first test's GPU 0 of that host)
    expect(await count(`SELECT count(*)::int AS n FROM telemetry_series WHERE hostname = 'lab-node-7' AND entity_kind IN ('gpu', 'device')`)).toBe(accepted);
    const misses = ingest.lineCaches.misses;
    expect(ingest.ingestText(text, 'nvidia-smi', { ...meta, nowMs: Date.now() })).toBe(accepted);
    expect(ingest.lineCaches.misses - misses).toBe(accepted);
    // Lines made for series that already have ids keep no sample (it is only the metadata of a series' insert).
    const lines = [...ingest.lineCaches.get(null, 'nvidia-smi', 'lab-node-7', undefined, ingest.mapper.version).lines.values()];
    expect(lines.length).toBe(accepted);
    expect(lines.filter((line) => line.id < 0 || line.sample !== undefined)).toEqual([]);
    await ingest.flush();

    expect(await ids()).toEqual(before);
    const power = await db.pool.query<{ entity_kind: string; device_id: number; samples: number }>(
      `SELECT s.entity_kind, s.device_id, (SELECT count(*)::int FROM telemetry_samples x WHERE x.series_id = s.id) AS samples
         FROM telemetry_series s WHERE s.metric = 'gpu_power_w' AND s.hostname = 'lab-node-7'`,
    );
    expect(power.rows).toEqual([{ entity_kind: 'gpu', device_id: device, samples: 3 }]);
  });
});
