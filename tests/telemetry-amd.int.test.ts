/**
 * AMD Instinct telemetry through the real ingest path into a real PostgreSQL: the AMD Device Metrics Exporter text
 * (tests/fixtures/amd, hand-written from the published metric list) and `amd-smi metric --json` land as catalogue
 * series with catalogue units, mapped by hostname and `gpu_id` to the GPU of the MI300X host that reported them.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngestPipeline } from '../src/server/services/telemetry/ingest';
import { loadSimInventory } from '../src/server/services/telemetry/sim-inventory';
import { amdSmiMetricSamples } from '../src/telemetry';
import { createDemoTelemetryDatabase, type TestDatabase } from './db';

let db: TestDatabase;
beforeAll(async () => {
  db = await createDemoTelemetryDatabase();
});
afterAll(async () => {
  await db?.drop();
});

const fixture = (name: string) => readFileSync(new URL(`./fixtures/amd/${name}`, import.meta.url), 'utf8');

describe('AMD telemetry ingest', () => {
  it('stores exporter and amd-smi readings as catalogue series of the reporting GPU', async () => {
    const inventory = await loadSimInventory(db.pool);
    // The demo seed's first MI300X server (row A3 of Hall A).
    const hostname = inventory.sites.flatMap((s) => s.halls.flatMap((h) => h.racks.flatMap((r) => r.servers))).find((s) => s.gpus[0]?.model === 'MI300X')!.hostname;
    expect(hostname).toBe('a3-01-mi300x1');
    const gpu0 = (
      await db.pool.query<{ id: number }>(`SELECT a.id FROM accelerators a JOIN devices d ON d.id = a.device_id WHERE d.hostname = $1 AND a.index = 0`, [hostname])
    ).rows[0]!.id;
    const ingest = new IngestPipeline(db.pool, { bufferMaxSamples: 100_000, rawRetentionDays: 7 });
    await ingest.loadInventory();
    const now = Date.now() - 60_000;
    const exporterText = fixture('device-metrics-exporter-mi300x.prom').replaceAll('mi300x-node1', hostname);
    let accepted = ingest.ingestText(exporterText, 'amd', { targetId: null, hostname, nowMs: now });
    accepted += ingest.ingestText(exporterText, 'amd', { targetId: null, hostname, nowMs: now + 10_000 });
    accepted += ingest.ingestRaw(amdSmiMetricSamples(fixture('amd-smi-metric.txt'), { hostname }), { targetId: null, nowMs: now + 20_000 });
    expect(await ingest.flush()).toBe(accepted);

    const series = await db.pool.query<{ metric: string; unit: string; entity_kind: string; accelerator_id: number | null; labels: Record<string, string>; value: number }>(
      `SELECT s.metric, s.unit, s.entity_kind, s.accelerator_id, s.labels, x.value
         FROM telemetry_series s
         JOIN LATERAL (SELECT value FROM telemetry_samples WHERE series_id = s.id ORDER BY ts DESC LIMIT 1) x ON true
        WHERE s.hostname = $1 AND s.labels->>'gpu_id' = '0' AND s.metric IN ('gpu_power_w', 'gpu_junction_temp_c', 'gpu_fb_used_bytes', 'gpu_ecc_block_correctable_total')
        ORDER BY s.metric, s.labels->>'block'`,
      [hostname],
    );
    const byMetric = new Map(series.rows.map((r) => [`${r.metric}${r.labels.block ? `/${r.labels.block}` : ''}`, r]));
    expect(byMetric.get('gpu_power_w')).toMatchObject({ unit: 'W', entity_kind: 'gpu', accelerator_id: gpu0 });
    expect(byMetric.get('gpu_junction_temp_c')).toMatchObject({ unit: 'C', entity_kind: 'gpu', accelerator_id: gpu0 });
    expect(byMetric.get('gpu_fb_used_bytes')).toMatchObject({ unit: 'bytes', entity_kind: 'gpu', accelerator_id: gpu0 });
    expect(byMetric.get('gpu_ecc_block_correctable_total/umc')).toMatchObject({ unit: 'count', value: 2 });
    // Exporter and amd-smi carry different label sets (serial_number, partitions), so they are separate series.
    const power = await db.pool.query<{ value: number }>(
      `SELECT x.value FROM telemetry_series s JOIN telemetry_samples x ON x.series_id = s.id
        WHERE s.hostname = $1 AND s.metric = 'gpu_power_w' AND s.labels->>'gpu_id' = '0' ORDER BY x.ts`,
      [hostname],
    );
    expect(power.rows.map((r) => r.value)).toEqual([708, 708, 705]);
    expect(Number((await db.pool.query(`SELECT count(*) AS n FROM telemetry_series WHERE entity_kind = 'unmapped'`)).rows[0].n)).toBe(0);
  });
});
