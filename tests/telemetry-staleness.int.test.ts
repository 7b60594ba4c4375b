/**
 * Scrape-side staleness, against a real PostgreSQL with the demo seed and a real HTTP exporter: a series that vanishes
 * from a target's exposition, and every series of a failed scrape, is ended at that scrape's time (readers then show
 * no reading rather than the last value), comes back live when scraped again, and the ends are remote-written as
 * Prometheus staleness markers (the request body decoded here).
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestGpuReadings } from '../src/server/services/dashboards';
import { IngestPipeline } from '../src/server/services/telemetry/ingest';
import { RemoteWriter } from '../src/server/services/telemetry/remote-backend';
import { Scraper } from '../src/server/services/telemetry/scraper';
import { TargetGuard } from '../src/server/services/telemetry/target-guard';
import { decodeRemoteWrite, type WriteRequest } from '../src/telemetry/remote-write';
import { createDemoTelemetryDatabase, type TestDatabase } from './db';

let db: TestDatabase;
let exporter: http.Server;
let exporterUrl = '';
let served: { status: number; text: string } = { status: 200, text: '' };
let backend: http.Server;
let backendUrl = '';
const received: WriteRequest[] = [];
let gpus: { id: number; uuid: string; index: number }[];

beforeAll(async () => {
  exporter = http.createServer((_req, res) => {
    res.writeHead(served.status, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end(served.text);
  });
  await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
  exporterUrl = `http://127.0.0.1:${(exporter.address() as { port: number }).port}/metrics`;
  backend = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      received.push(decodeRemoteWrite(new Uint8Array(Buffer.concat(parts))));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  backendUrl = `http://127.0.0.1:${(backend.address() as { port: number }).port}`;
  db = await createDemoTelemetryDatabase();
  gpus = (
    await db.pool.query<{ id: number; uuid: string; index: number }>(
      `SELECT a.id, a.uuid, a.index FROM accelerators a JOIN devices d ON d.id = a.device_id WHERE d.hostname = 'a1-01-gpu1' ORDER BY a.index`,
    )
  ).rows;
  expect(gpus.length).toBeGreaterThanOrEqual(2);
}, 60_000);

afterAll(async () => {
  await new Promise((r) => exporter?.close(r));
  await new Promise((r) => backend?.close(r));
  await db?.drop();
});

const powerLines = (list: typeof gpus, watts: number) =>
  `# TYPE DCGM_FI_DEV_POWER_USAGE gauge\n${list.map((g) => `DCGM_FI_DEV_POWER_USAGE{gpu="${g.index}",UUID="${g.uuid}",Hostname="a1-01-gpu1"} ${watts}`).join('\n')}\n`;

async function endedAt(uuid: string): Promise<number | null> {
  const r = await db.pool.query<{ ms: number | null }>(
    `SELECT (extract(epoch FROM ended_at) * 1000)::float8 AS ms FROM telemetry_series WHERE metric = 'gpu_power_w' AND gpu_uuid = $1`,
    [uuid],
  );
  expect(r.rows).toHaveLength(1);
  return r.rows[0]!.ms;
}

const readingsFor = async (list: typeof gpus, atMs: number) =>
  (await latestGpuReadings(db.pool, list.map((g) => g.id), ['gpu_power_w'], atMs)).map((r) => r.acceleratorId).sort((a, b) => (a ?? 0) - (b ?? 0));

describe('scrape-side staleness markers', () => {
  it('ends a series that vanishes from a scrape and every series of a failed scrape; readers see no reading; the markers are remote-written', async () => {
    const writer = new RemoteWriter(db.pool, { kind: 'prometheus-remote', remoteWriteUrl: `${backendUrl}/api/v1/write`, queryUrl: backendUrl, authorization: undefined, queueMaxSamples: 100_000 });
    const ingest = new IngestPipeline(db.pool, {
      bufferMaxSamples: 100_000,
      rawRetentionDays: 7,
      notify: false,
      onCommitted: writer.accept,
      onSeriesEnded: writer.acceptEnds,
    });
    await ingest.loadInventory();
    const scraper = new Scraper(db.pool, ingest, 2, { maxBytes: 1 << 20, guard: new TargetGuard('127.0.0.1') });
    const targetId = (await db.pool.query<{ id: number }>(`INSERT INTO scrape_targets (url, dialect, enabled) VALUES ($1, 'dcgm', false) RETURNING id`, [exporterUrl])).rows[0]!.id;
    const target = { id: targetId, url: exporterUrl, dialect: 'dcgm' as const, intervalMs: 10_000, timeoutMs: 5_000, hostOverride: null, managedBy: null, zoneId: null };
    const [kept, vanishing] = [gpus.slice(0, 1), gpus.slice(1, 2)];
    const both = [...kept, ...vanishing];
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

    // Two scrapes with both GPUs, then one without the second: its series ends at that scrape's time.
    served = { status: 200, text: powerLines(both, 300) };
    for (let k = 0; k < 2; k++) {
      expect((await scraper.scrape(target)).error).toBeNull();
      await sleep(5);
    }
    await ingest.flush();
    expect(await endedAt(vanishing[0]!.uuid)).toBeNull();
    const beforeVanish = Date.now();
    expect(await readingsFor(both, beforeVanish)).toEqual(both.map((g) => g.id));

    served = { status: 200, text: powerLines(kept, 310) };
    const vanished = await scraper.scrape(target);
    expect(vanished.error).toBeNull();
    await ingest.flush();
    const vanishedAt = vanished.attemptAt.getTime();
    expect(await endedAt(vanishing[0]!.uuid)).toBe(vanishedAt);
    expect(await endedAt(kept[0]!.uuid)).toBeNull();
    // Its last sample is seconds old (well within the 60 s freshness), yet it has no reading any more.
    expect(await readingsFor(both, Date.now())).toEqual(kept.map((g) => g.id));

    // A failed scrape ends every series the target delivered.
    await sleep(5);
    served = { status: 500, text: 'exporter broken' };
    const failed = await scraper.scrape(target);
    expect(failed.ok).toBe(false);
    await ingest.flush();
    expect(await endedAt(kept[0]!.uuid)).toBe(failed.attemptAt.getTime());
    expect(await endedAt(vanishing[0]!.uuid)).toBe(vanishedAt); // not moved: it had ended already
    expect(await readingsFor(both, Date.now())).toEqual([]);

    // Both come back: live again, ended_at cleared.
    await sleep(5);
    served = { status: 200, text: powerLines(both, 320) };
    expect((await scraper.scrape(target)).error).toBeNull();
    await ingest.flush();
    expect(await endedAt(kept[0]!.uuid)).toBeNull();
    expect(await endedAt(vanishing[0]!.uuid)).toBeNull();
    expect(await readingsFor(both, Date.now())).toEqual(both.map((g) => g.id));

    // The back-end received every sample and, for each end, a staleness marker (the NaN 0x7ff0000000000002) at its time.
    await writer.sendNow();
    const ids = new Map<string, number>();
    for (const g of both) {
      const r = await db.pool.query<{ id: number }>(`SELECT id FROM telemetry_series WHERE metric = 'gpu_power_w' AND gpu_uuid = $1`, [g.uuid]);
      ids.set(String(r.rows[0]!.id), g.id);
    }
    const markers: { accelerator: number; t: number }[] = [];
    let readings = 0;
    for (const request of received) {
      for (const ts of request.timeseries) {
        for (const s of ts.samples) {
          if (s.stale) markers.push({ accelerator: ids.get(ts.labels.plenum_series!)!, t: s.timestampMs });
          else readings++;
        }
      }
    }
    expect(readings).toBe(2 * 2 + 1 + 2);
    expect(markers.sort((a, b) => a.t - b.t)).toEqual([
      { accelerator: vanishing[0]!.id, t: vanishedAt },
      { accelerator: kept[0]!.id, t: failed.attemptAt.getTime() },
    ]);
  }, 60_000);

  it('leaves series whose samples carry their own timestamps to their source, as Prometheus does', async () => {
    const ingest = new IngestPipeline(db.pool, { bufferMaxSamples: 100_000, rawRetentionDays: 7, notify: false });
    await ingest.loadInventory();
    const targetId = (await db.pool.query<{ id: number }>(`INSERT INTO scrape_targets (url, dialect, enabled) VALUES ('http://stamped.invalid/metrics', 'dcgm', false) RETURNING id`))
      .rows[0]!.id;
    const g = gpus.at(-1)!;
    const t0 = Date.now() - 60_000;
    ingest.ingestText(`DCGM_FI_DEV_GPU_TEMP{gpu="${g.index}",UUID="${g.uuid}"} 50 ${t0}\n`, 'dcgm', { targetId });
    ingest.ingestText('', 'dcgm', { targetId });
    await ingest.flush();
    const r = await db.pool.query<{ ended_at: Date | null }>(`SELECT ended_at FROM telemetry_series WHERE metric = 'gpu_temp_c' AND gpu_uuid = $1`, [g.uuid]);
    expect(r.rows).toEqual([{ ended_at: null }]);
  });
});
