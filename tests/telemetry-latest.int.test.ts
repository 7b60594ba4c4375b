/**
 * The latest values (telemetry_latest_blocks, services/telemetry/latest-store.ts) against a real PostgreSQL with the demo
 * seed: every flush moves each series' row to its newest sample (never back), dashboards read one reading per GPU from
 * it under the source preference, and stale values count as no data and are aged out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRemoteWrite, writeRequestToSamples } from '@/telemetry';
import { encodeWriteRequest } from '@/telemetry/remote-write.testkit';
import { latestReadings, STALE_AFTER_MS, siteOverview } from '../src/server/services/dashboards';
import { IngestPipeline } from '../src/server/services/telemetry/ingest';
import { ageOutLatest, LATEST_KEEP_MS } from '../src/server/services/telemetry/latest-store';
import { QUANTITY_LABELS } from '../src/server/services/telemetry/sources';
import { createDemoTelemetryDatabase, type TestDatabase } from './db';

let db: TestDatabase;
let ingest: IngestPipeline;
let siteId: number;
let gpus: { id: number; uuid: string; index: number }[];
let targetId: number;
const now = Date.now();

function dcgm(utilPct: (index: number) => number): string {
  return `${gpus.map((g) => `DCGM_FI_DEV_GPU_UTIL{gpu="${g.index}",UUID="${g.uuid}",Hostname="a1-01-gpu1"} ${utilPct(g.index)}`).join('\n')}\n`;
}

/** The same GPUs' utilisation as a site Prometheus remote-writes it (its own job / instance labels). */
function remoteWrittenUtil(utilPct: number, tMs: number) {
  const series = gpus.map((g) => ({
    labels: { __name__: 'DCGM_FI_DEV_GPU_UTIL', gpu: String(g.index), UUID: g.uuid, Hostname: 'a1-01-gpu1', job: 'dcgm', instance: 'a1-01-gpu1:9400' },
    samples: [[utilPct, tMs]] as [number, number][],
  }));
  return writeRequestToSamples(decodeRemoteWrite(encodeWriteRequest(series)));
}

async function latestRows(metric: string, source: string) {
  return (
    await db.pool.query<{ accelerator_id: number; value: number; ms: number }>(
      `SELECT s.accelerator_id, l.value, (extract(epoch FROM l.ts) * 1000)::float8 AS ms
         FROM telemetry_latest_values l JOIN telemetry_series s ON s.id = l.series_id
        WHERE s.metric = $1 AND s.source = $2 ORDER BY s.accelerator_id`,
      [metric, source],
    )
  ).rows;
}

beforeAll(async () => {
  db = await createDemoTelemetryDatabase();
  siteId = (await db.pool.query<{ id: number }>(`SELECT id FROM sites WHERE slug = 'ams-ai-1'`)).rows[0]!.id;
  gpus = (
    await db.pool.query<{ id: number; uuid: string; index: number }>(
      `SELECT a.id, a.uuid, a.index FROM accelerators a JOIN devices d ON d.id = a.device_id WHERE d.hostname = 'a1-01-gpu1' ORDER BY a.index`,
    )
  ).rows;
  expect(gpus).toHaveLength(8);
  targetId = (await db.pool.query<{ id: number }>(`INSERT INTO scrape_targets (url, dialect, enabled) VALUES ('http://a1-01-gpu1.invalid:9400/metrics', 'dcgm', false) RETURNING id`))
    .rows[0]!.id;
  ingest = new IngestPipeline(db.pool, { bufferMaxSamples: 100_000, rawRetentionDays: 7, notify: false });
  await ingest.loadInventory();
});

afterAll(async () => {
  await ingest?.stop();
  await db?.drop();
});

describe('telemetry_latest', () => {
  it('each flush moves every series to its newest sample; a late older sample never moves it back', async () => {
    ingest.ingestText(dcgm((i) => 10 + i), 'dcgm', { targetId, nowMs: now - 20_000 });
    await ingest.flush();
    let rows = await latestRows('gpu_util_pct', 'scrape');
    expect(rows.map((r) => r.value)).toEqual(gpus.map((g) => 10 + g.index));
    expect(rows.every((r) => r.ms === now - 20_000)).toBe(true);

    // Two samples of each series in one flush: the newer wins, whatever the order they came in.
    ingest.ingestText(dcgm((i) => 30 + i), 'dcgm', { targetId, nowMs: now - 10_000 });
    ingest.ingestText(dcgm((i) => 20 + i), 'dcgm', { targetId, nowMs: now - 15_000 });
    await ingest.flush();
    rows = await latestRows('gpu_util_pct', 'scrape');
    expect(rows.map((r) => r.value)).toEqual(gpus.map((g) => 30 + g.index));
    expect(rows.every((r) => r.ms === now - 10_000)).toBe(true);

    // A late sample older than the stored one (its own flush): stored as a sample, the latest value stays.
    ingest.ingestText(dcgm(() => 99), 'dcgm', { targetId, nowMs: now - 12_000 });
    await ingest.flush();
    rows = await latestRows('gpu_util_pct', 'scrape');
    expect(rows.map((r) => r.value)).toEqual(gpus.map((g) => 30 + g.index));

    // Every series' row is its newest stored sample, and there is exactly one row per series that has samples.
    const mismatch = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM telemetry_series s
         LEFT JOIN telemetry_latest_values l ON l.series_id = s.id
         LEFT JOIN LATERAL (SELECT x.ts, x.value FROM telemetry_samples x WHERE x.series_id = s.id ORDER BY x.ts DESC, x.value DESC LIMIT 1) x ON true
        WHERE x.ts IS DISTINCT FROM l.ts OR x.value IS DISTINCT FROM l.value`,
    );
    expect(mismatch.rows[0]!.n).toBe(0);

    const overview = await siteOverview(db.pool, siteId, now);
    expect(overview.avgGpuUtilPct).toBeCloseTo(30 + 3.5, 9);
    expect(overview.gpus.busy).toBe(8);
  });

  it('a moment just past reads the sample of that moment, not a newer latest value', async () => {
    const readings = await latestReadings(db.pool, siteId, ['gpu_util_pct'], now - 14_000);
    expect(readings.map((r) => r.value).sort((a, b) => a - b)).toEqual(gpus.map((g) => 20 + g.index));
  });

  it('one reading per GPU under the source preference: the scrape (100) over remote-write (50), until the scrape goes stale', async () => {
    ingest.ingestRaw(remoteWrittenUtil(77, now - 5_000), { targetId: null });
    await ingest.flush();
    expect(await latestRows('gpu_util_pct', 'remote-write')).toHaveLength(8);
    let readings = await latestReadings(db.pool, siteId, ['gpu_util_pct'], now);
    expect(readings).toHaveLength(8);
    expect(new Set(readings.map((r) => r.acceleratorId))).toEqual(new Set(gpus.map((g) => g.id)));
    expect(readings.map((r) => r.value).sort((a, b) => a - b)).toEqual(gpus.map((g) => 30 + g.index));

    // Below remote-write's preference, the remote-written readings count, still once per GPU.
    await db.pool.query('UPDATE scrape_targets SET preference = 10 WHERE id = $1', [targetId]);
    readings = await latestReadings(db.pool, siteId, ['gpu_util_pct'], now);
    expect(readings.map((r) => r.value)).toEqual(gpus.map(() => 77));
    await db.pool.query('UPDATE scrape_targets SET preference = 100 WHERE id = $1', [targetId]);

    // Later, the scrape has gone quiet past the staleness window while remote-write kept sending: remote-write counts.
    const later = now + STALE_AFTER_MS;
    ingest.ingestRaw(remoteWrittenUtil(66, later - 1_000), { targetId: null });
    await ingest.flush();
    readings = await latestReadings(db.pool, siteId, ['gpu_util_pct'], later);
    expect(readings.map((r) => r.value)).toEqual(gpus.map(() => 66));
    expect((await siteOverview(db.pool, siteId, later)).avgGpuUtilPct).toBe(66);
  });

  it('stale values count as no data, and rows older than the kept window are aged out', async () => {
    const muchLater = now + 5 * STALE_AFTER_MS;
    expect(await latestReadings(db.pool, siteId, ['gpu_util_pct'], muchLater)).toEqual([]);
    const overview = await siteOverview(db.pool, siteId, muchLater);
    expect(overview.avgGpuUtilPct).toBeNull();
    expect(overview.gpus.busy).toBe(0);

    const count = async () => (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM telemetry_latest_values')).rows[0]!.n;
    const before = await count();
    expect(before).toBeGreaterThanOrEqual(16);
    // Nothing is older than the window now: nothing goes.
    expect(await ageOutLatest(db.pool, now)).toBe(0);
    // Just past the window of the scraped rows (newest at now - 10 s), before that of the remote-written ones.
    expect(await ageOutLatest(db.pool, now - 10_000 + LATEST_KEEP_MS + 1)).toBe(8);
    expect(await latestRows('gpu_util_pct', 'scrape')).toEqual([]);
    expect(await latestRows('gpu_util_pct', 'remote-write')).toHaveLength(8);
    expect(await count()).toBe(before - 8);
    // A newer sample brings the series back.
    ingest.ingestText(dcgm(() => 42), 'dcgm', { targetId, nowMs: now + STALE_AFTER_MS + 5_000 });
    await ingest.flush();
    expect((await latestRows('gpu_util_pct', 'scrape')).map((r) => r.value)).toEqual(gpus.map(() => 42));
  });

  it("keeps each series' quantity labels (the covering index readers use) in step with QUANTITY_LABELS", async () => {
    const labels: Record<string, string> = { job: 'dcgm', instance: 'x:9400', Hostname: 'a1-01-gpu1' };
    for (const name of QUANTITY_LABELS) labels[name] = `${name}-value`;
    const row = await db.pool.query<{ id: number; quantity_labels: Record<string, string> }>(
      `INSERT INTO telemetry_series (series_key, metric, unit, labels, entity_kind) VALUES ('quantity-labels-test', 'x', 'ratio', $1, 'unmapped')
       RETURNING id, quantity_labels`,
      [JSON.stringify(labels)],
    );
    expect(row.rows[0]!.quantity_labels).toEqual(Object.fromEntries(QUANTITY_LABELS.map((name) => [name, `${name}-value`])));
    const updated = await db.pool.query<{ quantity_labels: Record<string, string> }>(
      `UPDATE telemetry_series SET labels = '{"sensor": "inlet", "job": "x"}' WHERE id = $1 RETURNING quantity_labels`,
      [row.rows[0]!.id],
    );
    expect(updated.rows[0]!.quantity_labels).toEqual({ sensor: 'inlet' });
  });
});
