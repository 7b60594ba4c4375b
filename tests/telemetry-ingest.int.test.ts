/**
 * Telemetry ingest against a real PostgreSQL: the simulator's exporter text for the demo seed goes through the same
 * parse → map → COPY path as a real scrape; every series maps to the inventory; unknown series are kept as unmapped;
 * rollups and partition retention work on the stored rows; a real nvidia_gpu_exporter capture is ingested too.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderAmdHostMetrics, renderFacilityMetrics, renderGpuHostMetrics } from '../simulator/exporters';
import { World } from '../simulator/world';
import { IngestPipeline, remapSeries } from '../src/server/services/telemetry/ingest';
import { maintainPartitions, plannedPartitions, RAW_TABLE } from '../src/server/services/telemetry/partitions';
import { hourRollupsSql } from '../src/server/services/telemetry/rollup-store';
import { runRollups } from '../src/server/services/telemetry/rollups';
import { hostExporterDialect } from '../src/server/services/simulator-host';
import { loadSimInventory } from '../src/server/services/telemetry/sim-inventory';
import { createDemoTelemetryDatabase, type TestDatabase } from './db';

const FIXTURES = '../shared/fixtures/exporters/nvidia_gpu_exporter';
let db: TestDatabase;

beforeAll(async () => {
  db = await createDemoTelemetryDatabase();
});
afterAll(async () => {
  await db?.drop();
});

const count = async (sql: string, params: unknown[] = []) => Number((await db.pool.query<{ n: number }>(sql, params)).rows[0]!.n);

describe('telemetry ingest', () => {
  it('maps every simulated GPU and facility series of the demo seed to the inventory and stores every sample', async () => {
    const inventory = await loadSimInventory(db.pool);
    // GPU hosts only: the TPU hall's hosts speak the tpu dialect (tests/telemetry-tpu.int.test.ts).
    const hosts = inventory.sites.flatMap((s) => s.halls.flatMap((h) => h.racks.flatMap((r) => r.servers))).filter((h) => hostExporterDialect(h) !== 'tpu');
    const gpuCount = hosts.reduce((n, h) => n + h.gpus.length, 0);
    // 384 H100 (Hall A) + 288 GB200 (Hall B) + 32 MI300X (row A3).
    expect(gpuCount).toBe(704);
    // Each host is read through the exporter its vendor ships: the MI300X hosts through the AMD one.
    expect(hosts.filter((h) => hostExporterDialect(h) === 'amd').map((h) => h.hostname)).toEqual(['a3-01-mi300x1', 'a3-01-mi300x2', 'a3-01-mi300x3', 'a3-01-mi300x4']);
    const world = new World(inventory, { seed: 3, startMs: Date.now() });
    world.step(30);
    const ingest = new IngestPipeline(db.pool, { bufferMaxSamples: 1_000_000, rawRetentionDays: 7 });
    await ingest.loadInventory();
    const t0 = Date.now() - 120_000;
    let accepted = 0;
    for (let round = 0; round < 2; round++) {
      for (const h of hosts) {
        const dialect = hostExporterDialect(h);
        const text = dialect === 'amd' ? renderAmdHostMetrics(world, h.hostname) : renderGpuHostMetrics(world, h.hostname);
        accepted += ingest.ingestText(text, dialect, { targetId: null, nowMs: t0 + round * 60_000 });
      }
      accepted += ingest.ingestText(renderFacilityMetrics(world, 'ams-ai-1'), 'plenum', { targetId: null, nowMs: t0 + round * 60_000 });
    }
    const written = await ingest.flush();
    expect(written).toBe(accepted);
    expect(await count('SELECT count(*)::int AS n FROM telemetry_samples')).toBe(accepted);
    // Every GPU has its power series, mapped to its accelerator.
    expect(await count(`SELECT count(DISTINCT accelerator_id)::int AS n FROM telemetry_series WHERE metric = 'gpu_power_w' AND entity_kind = 'gpu'`)).toBe(704);
    // The AMD exporter's series (no UUID label) map to the MI300X GPUs by hostname and gpu_id.
    expect(
      await count(`SELECT count(DISTINCT s.accelerator_id)::int AS n FROM telemetry_series s JOIN accelerators a ON a.id = s.accelerator_id JOIN accelerator_models m ON m.id = a.model_id
                    WHERE s.metric IN ('gpu_power_w', 'gpu_junction_temp_c', 'gpu_fb_used_bytes') AND m.name = 'Instinct MI300X'`),
    ).toBe(32);
    // Facility: rack inlet sensors → racks, rack PDUs and UPSs → power nodes, CRAH/CDU → cooling units.
    const inlet = await db.pool.query<{ entity_kind: string; rack: string }>(
      `SELECT s.entity_kind, r.name AS rack FROM telemetry_series s JOIN racks r ON r.id = s.rack_id WHERE s.metric = 'rack_inlet_temp_c' ORDER BY r.name`,
    );
    expect(inlet.rows.length).toBeGreaterThan(10);
    expect(new Set(inlet.rows.map((r) => r.entity_kind))).toEqual(new Set(['rack']));
    expect(await count(`SELECT count(*)::int AS n FROM telemetry_series WHERE metric = 'pdu_power_w' AND entity_kind = 'power-node' AND rack_id IS NOT NULL`)).toBe(
      await count(`SELECT count(*)::int AS n FROM power_nodes WHERE kind = 'rack-pdu'`),
    );
    expect(await count(`SELECT count(*)::int AS n FROM telemetry_series WHERE metric = 'ups_on_battery' AND entity_kind = 'power-node'`)).toBe(2);
    expect(await count(`SELECT count(*)::int AS n FROM telemetry_series WHERE metric = 'plenum_cooling_unit_running' AND entity_kind = 'cooling-unit'`)).toBeGreaterThan(4);
    expect(await count(`SELECT count(*)::int AS n FROM telemetry_series WHERE entity_kind = 'unmapped'`)).toBe(0);
    // Units are stored per series, as the catalogue says.
    const units = await db.pool.query<{ metric: string; unit: string }>(
      `SELECT DISTINCT metric, unit FROM telemetry_series WHERE metric IN ('gpu_power_w', 'gpu_temp_c', 'rack_inlet_temp_c', 'ups_runtime_s') ORDER BY metric`,
    );
    expect(units.rows).toEqual([
      { metric: 'gpu_power_w', unit: 'W' },
      { metric: 'gpu_temp_c', unit: 'C' },
      { metric: 'rack_inlet_temp_c', unit: 'C' },
      { metric: 'ups_runtime_s', unit: 's' },
    ]);

    // Rollups: the two minutes written, every series, count = samples per minute.
    const r = await runRollups(db.pool);
    expect(r.minutes).toBe(2);
    expect(await count('SELECT sum(count)::int AS n FROM telemetry_rollup_1m')).toBe(accepted);
    // Hours as readers get them (the open hour comes from the 1-minute rows until compaction stores it).
    expect(await count(`SELECT sum(count)::int AS n FROM ${hourRollupsSql('ARRAY(SELECT id FROM telemetry_series)', "timestamptz '1970-01-01 00:00:00+00'", "timestamptz '2100-01-01 00:00:00+00'")} h`)).toBe(accepted);
    const check = await db.pool.query<{ ok: boolean }>(
      `SELECT bool_and(abs(r.sum / r.count - x.avg) < 1e-6 AND r.min = x.min AND r.max = x.max) AS ok
         FROM telemetry_rollup_1m r
         JOIN (SELECT series_id, date_trunc('minute', ts) AS b, avg(value) AS avg, min(value) AS min, max(value) AS max FROM telemetry_samples GROUP BY 1, 2) x
           ON x.series_id = r.series_id AND x.b = r.bucket`,
    );
    expect(check.rows[0]!.ok).toBe(true);
    // Nothing left to do: a second run recomputes nothing.
    expect((await runRollups(db.pool)).minutes).toBe(0);
  });

  it('keeps series it cannot map as unmapped, and maps them once the inventory has them', async () => {
    const ingest = new IngestPipeline(db.pool, { bufferMaxSamples: 10_000, rawRetentionDays: 7 });
    await ingest.loadInventory();
    const text = readFileSync(`${FIXTURES}/testdata/linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load.metrics`, 'utf8');
    const accepted = ingest.ingestText(text, 'nvidia-smi', { targetId: null, hostname: 'lab-node-7' });
    expect(accepted).toBeGreaterThan(10);
    await ingest.flush();
    const unmapped = await db.pool.query<{ metric: string; hostname: string | null; gpu_uuid: string | null }>(
      `SELECT metric, hostname, gpu_uuid FROM telemetry_series WHERE entity_kind = 'unmapped' ORDER BY metric`,
    );
    expect(unmapped.rows.length).toBeGreaterThan(5);
    expect(unmapped.rows.map((r) => r.metric)).toContain('gpu_power_w');
    expect(unmapped.rows.every((r) => r.hostname === 'lab-node-7')).toBe(true);
    const uuid = unmapped.rows.find((r) => r.gpu_uuid)!.gpu_uuid!;

    // The host joins the inventory: a device with that hostname and the GPU with that UUID.
    const device = await db.pool.query<{ id: number }>(`SELECT id FROM devices WHERE hostname = 'a1-01-gpu1'`);
    await db.pool.query(`UPDATE devices SET hostname = 'lab-node-7' WHERE id = $1`, [device.rows[0]!.id]);
    await db.pool.query(`UPDATE accelerators SET uuid = $1 WHERE device_id = $2 AND index = 0`, [uuid, device.rows[0]!.id]);
    expect(await ingest.loadInventory()).toBe(true);
    const changed = await remapSeries(db.pool, ingest.mapper);
    expect(changed).toBeGreaterThan(5);
    const power = await db.pool.query<{ entity_kind: string; device_id: number }>(`SELECT entity_kind, device_id FROM telemetry_series WHERE metric = 'gpu_power_w' AND hostname = 'lab-node-7'`);
    expect(power.rows[0]).toEqual({ entity_kind: 'gpu', device_id: device.rows[0]!.id });
  });

  it('loads the inventory again only when the plant changed (plant_version, sites included), and detects any change to what it maps', async () => {
    const ingest = new IngestPipeline(db.pool, { bufferMaxSamples: 10_000, rawRetentionDays: 7 });
    await ingest.loadInventory();
    expect(await ingest.refreshInventory()).toBe(false);
    const device = (await db.pool.query<{ id: number; hostname: string }>(`SELECT id, hostname FROM devices WHERE hostname = 'a1-02-gpu1'`)).rows[0]!;
    const byHost = (hostname: string) => ingest.mapper.resolve({ hostname, labels: {} }).deviceId;
    expect(byHost('a1-02-gpu1')).toBe(device.id);

    // A rename that plant_version does not see (its trigger held back, as no application path can): the refresh keeps
    // the loaded mapping, so it really skipped the load; a full load sees the rename (the digest covers hostnames).
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SET LOCAL session_replication_role = replica`);
      await client.query(`UPDATE devices SET hostname = 'renamed-quietly' WHERE id = $1`, [device.id]);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect(await ingest.refreshInventory()).toBe(false);
    expect(byHost('renamed-quietly')).toBeNull();
    expect(await ingest.loadInventory()).toBe(true);
    expect(byHost('renamed-quietly')).toBe(device.id);

    // The same rename through the plant's triggers: the next refresh loads it.
    await db.pool.query(`UPDATE devices SET hostname = $2 WHERE id = $1`, [device.id, device.hostname]);
    expect(await ingest.refreshInventory()).toBe(true);
    expect(byHost(device.hostname)).toBe(device.id);

    // A new site (migration 0043): facility series naming its slug map to it after the next refresh.
    await db.pool.query(`INSERT INTO sites (slug, name, utility_capacity_kw) VALUES ('lab-2', 'Lab 2', 500)`);
    expect(await ingest.refreshInventory()).toBe(true);
    expect(ingest.mapper.resolve({ labels: { site: 'lab-2' } }).entityKind).toBe('site');

    // A plant change outside what the mapper reads (a row's name) loads again and finds the mapping unchanged.
    await db.pool.query(`UPDATE rows SET name = name WHERE id = (SELECT min(id) FROM rows)`);
    expect(await ingest.refreshInventory()).toBe(false);
  });

  it('refuses samples outside the stored window and counts them', async () => {
    const ingest = new IngestPipeline(db.pool, { bufferMaxSamples: 10_000, rawRetentionDays: 7 });
    await ingest.loadInventory();
    const old = Date.now() - 30 * 86_400_000;
    const accepted = ingest.ingestText(`gpu_power_w{uuid="GPU-x"} 1 ${old}\ngpu_power_w{uuid="GPU-x"} 2\n`, 'prometheus', { targetId: null });
    expect(accepted).toBe(1);
    expect(ingest.stats.outOfWindowSamples).toBe(1);
  });

  it('drops whole expired partitions and creates the ones ahead', async () => {
    const nowMs = Date.now();
    const before = await count(`SELECT count(*)::int AS n FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = '${RAW_TABLE}'`);
    expect(before).toBe(plannedPartitions(nowMs, 7, 365).filter((p) => p.table === RAW_TABLE).length);
    // Ten days later with the same retention: today's data is 10 days old, its partition goes.
    const later = await maintainPartitions(db.pool, { nowMs: nowMs + 10 * 86_400_000, rawRetentionDays: 7, rollupRetentionDays: 365 });
    expect(later.dropped.some((n) => n.startsWith(`${RAW_TABLE}_p`))).toBe(true);
    expect(later.created.length).toBeGreaterThan(0);
    expect(await count('SELECT count(*)::int AS n FROM telemetry_samples')).toBe(0);
    expect(await count('SELECT count(*)::int AS n FROM telemetry_rollup_1m')).toBeGreaterThan(0);
  });

  it('vacuums chunk partitions, those migrated and those created since, after 1,000 dead versions (each window rewrites every growing chunk)', async () => {
    const parts = await db.pool.query<{ parent: string; options: string[] | null; toast_options: string[] | null }>(
      `SELECT p.relname AS parent, c.reloptions AS options, t.reloptions AS toast_options
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
         LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
        WHERE p.relname IN ('telemetry_chunks', 'telemetry_rollup_1m_chunks')`,
    );
    // Both tables, today's partitions and the ones the previous test created ten days ahead.
    expect(new Set(parts.rows.map((r) => r.parent))).toEqual(new Set(['telemetry_chunks', 'telemetry_rollup_1m_chunks']));
    expect(parts.rows.length).toBeGreaterThan(plannedPartitions(Date.now(), 7, 365).filter((p) => p.table === 'telemetry_chunks').length);
    for (const r of parts.rows) {
      expect(r.options).toEqual(expect.arrayContaining(['autovacuum_vacuum_scale_factor=0', 'autovacuum_vacuum_threshold=1000']));
      expect(r.toast_options).toEqual(expect.arrayContaining(['autovacuum_vacuum_scale_factor=0', 'autovacuum_vacuum_threshold=1000']));
    }
    // The write tables keep autovacuum's default rule for dead rows.
    const blockOptions = await db.pool.query<{ options: string[] | null }>(
      `SELECT c.reloptions AS options FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = '${RAW_TABLE}'::regclass`,
    );
    for (const r of blockOptions.rows) expect((r.options ?? []).some((o) => o.startsWith('autovacuum_vacuum_threshold='))).toBe(false);
  });
});
