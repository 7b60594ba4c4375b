/**
 * PLENUM_TSDB=prometheus-remote against real back-ends from Debian packages: VictoriaMetrics (single node) and
 * Prometheus (remote-write receiver on). Plenum scrapes a static DCGM exporter of the test (explicit timestamps), its
 * ingest commits to PostgreSQL and hands every committed row to one remote writer per back-end; then queryTelemetry
 * answers the same per-rack power query from PostgreSQL and from each back-end, and the answers must agree exactly.
 * The reverse: Prometheus scrapes the exporter itself and Plenum reads those series from its federation endpoint.
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TsdbConfig } from '../src/server/config';
import { IngestPipeline } from '../src/server/services/telemetry/ingest';
import { queryTelemetry, type QueryResult } from '../src/server/services/telemetry/query';
import { type RemoteTsdb, RemoteWriter, setTsdbBackend } from '../src/server/services/telemetry/remote-backend';
import { runRollups } from '../src/server/services/telemetry/rollups';
import { Scraper } from '../src/server/services/telemetry/scraper';
import { TargetGuard } from '../src/server/services/telemetry/target-guard';
import { selfMetrics } from '../src/server/services/self-metrics';
import { decodeRemoteWrite } from '../src/telemetry/remote-write';
import { type Daemon, freePort, requirePackageBinary, startDaemon, tempFolder } from './daemon';
import { createDemoTelemetryDatabase, type TestDatabase } from './db';

const SEVENTEEN_DIGITS = 0.1 + 0.2; // 0.30000000000000004
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor<T>(what: string, f: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v) return v;
    } catch (error) {
      last = error;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(250);
  }
}
const httpOk = async (url: string) => (await fetch(url)).ok;

let db: TestDatabase;
let exporter: http.Server;
let exporterPort: number;
/** What the exporter serves: `/metrics` (with timestamps, for Plenum) and `/live` (without, for Prometheus). */
let metricsText = '';
let liveText = '';
const daemons: Daemon[] = [];
const folders: { cleanup: () => void }[] = [];
const backends: Record<'victoria-metrics' | 'prometheus', RemoteTsdb> = {} as never;
let promUrl = '';

function backendConfig(base: string, writePath: string): RemoteTsdb {
  return { kind: 'prometheus-remote', remoteWriteUrl: `${base}${writePath}`, queryUrl: base, authorization: undefined, queueMaxSamples: 100_000 };
}

beforeAll(async () => {
  const vmBinary = requirePackageBinary('victoria-metrics', '/usr/bin/victoria-metrics');
  const promBinary = requirePackageBinary('prometheus', '/usr/bin/prometheus');
  exporter = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end(req.url === '/live' ? liveText : metricsText);
  });
  await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
  exporterPort = (exporter.address() as { port: number }).port;

  const [vmPort, promPort] = [await freePort(), await freePort()];
  const vmDir = tempFolder('vm');
  const promDir = tempFolder('prom');
  folders.push(vmDir, promDir);
  const config = path.join(promDir.dir, 'prometheus.yml');
  writeFileSync(
    config,
    `global: { scrape_interval: 1s, scrape_timeout: 1s }\nscrape_configs:\n  - job_name: dcgm\n    metrics_path: /live\n    static_configs: [{ targets: ['127.0.0.1:${exporterPort}'] }]\n`,
  );
  const vmBase = `http://127.0.0.1:${vmPort}`;
  promUrl = `http://127.0.0.1:${promPort}`;
  const [vm, prom] = await Promise.all([
    startDaemon('victoria-metrics', vmBinary, ['-httpListenAddr', `127.0.0.1:${vmPort}`, '-storageDataPath', vmDir.dir, '-retentionPeriod', '1d', '-search.disableCache'], {
      ready: () => httpOk(`${vmBase}/health`),
    }),
    startDaemon(
      'prometheus',
      promBinary,
      ['--config.file', config, '--storage.tsdb.path', path.join(promDir.dir, 'data'), '--web.listen-address', `127.0.0.1:${promPort}`, '--web.enable-remote-write-receiver'],
      { ready: () => httpOk(`${promUrl}/-/ready`) },
    ),
  ]);
  daemons.push(vm, prom);
  backends['victoria-metrics'] = backendConfig(vmBase, '/api/v1/write');
  backends.prometheus = backendConfig(promUrl, '/api/v1/write');
  db = await createDemoTelemetryDatabase();
}, 60_000);

afterAll(async () => {
  setTsdbBackend(undefined);
  for (const d of daemons) await d.stop();
  for (const f of folders) f.cleanup();
  await new Promise((r) => exporter?.close(r));
  await db?.drop();
});

type Gpu = { rack: string; hostname: string; uuid: string; index: number };

/** The GPUs of the first rack (with a name unique across halls) that holds GPU servers. */
async function gpusOfOneRack(): Promise<Gpu[]> {
  const r = await db.pool.query<Gpu>(
    `WITH rack AS (
       SELECT d.rack_id FROM accelerators a JOIN devices d ON d.id = a.device_id JOIN racks r ON r.id = d.rack_id
        WHERE d.hostname IS NOT NULL AND (SELECT count(*) FROM racks x WHERE x.name = r.name) = 1
        ORDER BY d.rack_id LIMIT 1)
     SELECT r.name AS rack, d.hostname, a.uuid, a.index FROM accelerators a JOIN devices d ON d.id = a.device_id
       JOIN racks r ON r.id = d.rack_id WHERE d.rack_id = (SELECT rack_id FROM rack) ORDER BY d.hostname, a.index`,
  );
  return r.rows;
}

const dcgmLine = (g: Gpu, name: string, value: number, tsMs?: number) =>
  `${name}{gpu="${g.index}",UUID="${g.uuid}",device="nvidia${g.index}",modelName="NVIDIA H100 80GB HBM3",Hostname="${g.hostname}"} ${value}${tsMs === undefined ? '' : ` ${tsMs}`}`;

/** Series id → points, for comparing answers from different back-ends. */
const pointsById = (r: QueryResult) => new Map(r.series.map((s) => [s.seriesId, s.points]));

async function queryIn(tsdb: TsdbConfig, input: Parameters<typeof queryTelemetry>[1]): Promise<QueryResult> {
  setTsdbBackend(tsdb);
  try {
    return await queryTelemetry(db.pool, input);
  } finally {
    setTsdbBackend(undefined);
  }
}

describe('PLENUM_TSDB=prometheus-remote with VictoriaMetrics 1.79 and Prometheus 2.42', () => {
  it('remote-writes scraped samples to each back-end and reads them back exactly; the per-rack power query agrees with PostgreSQL', async () => {
    const gpus = await gpusOfOneRack();
    expect(gpus.length).toBeGreaterThan(0);
    const rack = gpus[0]!.rack;
    const writers = (['victoria-metrics', 'prometheus'] as const).map((name) => ({ name, writer: new RemoteWriter(db.pool, backends[name]) }));
    const ingest = new IngestPipeline(db.pool, {
      bufferMaxSamples: 1_000_000,
      rawRetentionDays: 7,
      notify: false,
      onCommitted: (ids, ts, values) => {
        for (const w of writers) w.writer.accept(ids.slice(), ts.slice(), values.slice());
      },
    });
    await ingest.loadInventory();
    const scraper = new Scraper(db.pool, ingest, 2, { maxBytes: 1 << 20, guard: new TargetGuard('127.0.0.1') });
    const url = `http://127.0.0.1:${exporterPort}/metrics`;
    const targetId = (await db.pool.query<{ id: number }>(`INSERT INTO scrape_targets (url, dialect, enabled) VALUES ($1, 'dcgm', false) RETURNING id`, [url])).rows[0]!.id;
    const target = { id: targetId, url, dialect: 'dcgm' as const, intervalMs: 10_000, timeoutMs: 5_000, hostOverride: null, managedBy: null, zoneId: null };

    // Two minutes of 10 s scrapes, a quarter of an hour ago, starting on a minute: closed 1-minute buckets.
    const t0 = Math.floor((Date.now() - 15 * 60_000) / 60_000) * 60_000;
    const served = new Map<string, { t: number; v: number }[]>();
    for (let k = 0; k < 12; k++) {
      const ts = t0 + k * 10_000;
      const lines = gpus.map((g, i) => {
        // Decimals as exporters print them (float64 cannot hold them exactly), and one value needing all 17 digits.
        const v = k === 5 && i === 0 ? SEVENTEEN_DIGITS : Number((300 + i * 7.3 + k * 0.1).toFixed(3));
        const list = served.get(g.uuid) ?? [];
        list.push({ t: ts, v });
        served.set(g.uuid, list);
        return dcgmLine(g, 'DCGM_FI_DEV_POWER_USAGE', v, ts);
      });
      metricsText = `# TYPE DCGM_FI_DEV_POWER_USAGE gauge\n${lines.join('\n')}\n`;
      const health = await scraper.scrape(target);
      expect(health.error).toBeNull();
      await ingest.flush();
    }
    for (const { name, writer } of writers) {
      expect(await writer.sendNow(), name).toBe(12 * gpus.length);
      expect(writer.stats.droppedRejected + writer.stats.droppedQueueFull, name).toBe(0);
    }
    await runRollups(db.pool);

    const raw = { metric: 'gpu_power_w', entity: rack, sinceMs: 5 * 60_000, untilMs: t0 + 5 * 60_000, resolution: 'raw' as const };
    const perMinute = { ...raw, sinceMs: 2 * 3_600_000, untilMs: t0 + 3_600_000, resolution: '1m' as const };
    const inPostgres = await queryIn({ kind: 'postgres' }, raw);
    expect(inPostgres.series).toHaveLength(gpus.length);
    const minutesInPostgres = await queryIn({ kind: 'postgres' }, perMinute);

    for (const { name } of writers) {
      const tsdb = backends[name];
      // A back-end makes written samples searchable within a second or so.
      const answer = await waitFor(`${name}: all samples searchable`, async () => {
        const r = await queryIn(tsdb, raw);
        return r.series.every((s) => s.points.length === 12) && r;
      });
      expect(answer.series.map((s) => s.seriesId), name).toEqual(inPostgres.series.map((s) => s.seriesId));
      for (const s of answer.series) {
        const want = served.get(s.entity)!;
        expect(s.points.map((p) => p.t), name).toEqual(want.map((p) => p.t));
        s.points.forEach((p, i) => {
          const v = want[i]!.v;
          // VictoriaMetrics keeps a float as a decimal of at most 15-16 significant digits (measured here): a value
          // that needs all 17 comes back rounded. Prometheus keeps float64 bits.
          if (name === 'victoria-metrics' && v === SEVENTEEN_DIGITS) expect(p.v).toBeCloseTo(v, 14);
          else expect(Object.is(p.v, v), `${name} ${s.entity} at ${p.t}: ${p.v} vs ${v}`).toBe(true);
        });
      }
      if (name === 'prometheus') expect(pointsById(answer), name).toEqual(pointsById(inPostgres));

      // 1-minute points: the same buckets as the PostgreSQL rollups; min and max exact, the mean to float rounding.
      const minutes = await queryIn(tsdb, perMinute);
      for (const s of minutesInPostgres.series) {
        const theirs = pointsById(minutes).get(s.seriesId)!;
        expect(theirs.map((p) => p.t), name).toEqual(s.points.map((p) => p.t));
        expect(s.points).toHaveLength(2);
        theirs.forEach((p, i) => {
          for (const f of ['min', 'max'] as const) {
            if (name === 'victoria-metrics' && s.points[i]![f] === SEVENTEEN_DIGITS) expect(p[f]).toBeCloseTo(SEVENTEEN_DIGITS, 14);
            else expect(p[f], `${name} ${f}`).toBe(s.points[i]![f]);
          }
          expect(p.v, name).toBeCloseTo(s.points[i]!.v, 9);
        });
      }
    }
    // The labels Plenum adds let people query by inventory too.
    const byRack = await fetch(`${backends.prometheus.queryUrl}/api/v1/query?${new URLSearchParams({ query: `count(count_over_time(gpu_power_w{rack="${rack}",plenum_entity="gpu"}[1h]))`, time: String((t0 + 300_000) / 1000) })}`);
    expect(((await byRack.json()) as { data: { result: { value: [number, string] }[] } }).data.result[0]!.value[1]).toBe(String(gpus.length));
  }, 60_000);

  it('reads GPU series the site Prometheus scraped from its federation endpoint, mapped to the inventory', async () => {
    const gpus = await gpusOfOneRack();
    const gpu = gpus.at(-1)!;
    liveText = `# TYPE DCGM_FI_DEV_GPU_TEMP gauge\n${dcgmLine(gpu, 'DCGM_FI_DEV_GPU_TEMP', 61.5)}\n`;
    const held = async () => {
      const r = await fetch(`${promUrl}/api/v1/query?${new URLSearchParams({ query: `DCGM_FI_DEV_GPU_TEMP{UUID="${gpu.uuid}"}[5m]` })}`);
      const body = (await r.json()) as { data: { result: { values: [number, string][] }[] } };
      return body.data.result[0]?.values ?? [];
    };
    await waitFor('Prometheus scraped the exporter', async () => (await held()).length > 0);

    const ingest = new IngestPipeline(db.pool, { bufferMaxSamples: 100_000, rawRetentionDays: 7, notify: false });
    await ingest.loadInventory();
    const scraper = new Scraper(db.pool, ingest, 2, { maxBytes: 1 << 20, guard: new TargetGuard('127.0.0.1') });
    const url = `${promUrl}/federate?${new URLSearchParams({ 'match[]': '{job="dcgm"}' })}`;
    // The target names a dialect, but a federation endpoint's series are routed by name; remote-write's preference.
    const targetId = (await db.pool.query<{ id: number }>(`INSERT INTO scrape_targets (url, dialect, enabled, preference) VALUES ($1, 'prometheus', false, 50) RETURNING id`, [url])).rows[0]!
      .id;
    const health = await scraper.scrape({ id: targetId, url, dialect: 'prometheus', intervalMs: 10_000, timeoutMs: 5_000, hostOverride: null, managedBy: null, zoneId: null });
    expect(health.error).toBeNull();
    expect(await ingest.flush()).toBeGreaterThan(0);

    const series = await db.pool.query<{ id: number; entity_kind: string; uuid: string; labels: Record<string, string> }>(
      `SELECT s.id, s.entity_kind, a.uuid, s.labels FROM telemetry_series s JOIN accelerators a ON a.id = s.accelerator_id
        WHERE s.metric = 'gpu_temp_c' AND s.target_id = $1`,
      [targetId],
    );
    expect(series.rows).toHaveLength(1);
    expect(series.rows[0]).toMatchObject({ entity_kind: 'gpu', uuid: gpu.uuid });
    expect(series.rows[0]!.labels).toMatchObject({ job: 'dcgm', instance: `127.0.0.1:${exporterPort}` });
    // The sample keeps the timestamp Prometheus scraped it at.
    const r = await queryTelemetry(db.pool, { metric: 'gpu_temp_c', entity: gpu.uuid, sinceMs: 5 * 60_000, resolution: 'raw' });
    const stored = r.series.find((s) => s.seriesId === series.rows[0]!.id)!.points;
    expect(stored).toHaveLength(1);
    expect(stored[0]!.v).toBe(61.5);
    expect((await held()).map(([t]) => Math.round(t * 1000))).toContain(stored[0]!.t);
  }, 60_000);

  it('forwards scrape-side staleness markers: each back-end stops answering a vanished series from its end on', async () => {
    const gpus = await gpusOfOneRack();
    const [stays, goes] = [gpus[0]!, gpus[1]!];
    const writers = (['victoria-metrics', 'prometheus'] as const).map((name) => ({ name, writer: new RemoteWriter(db.pool, backends[name]) }));
    const ingest = new IngestPipeline(db.pool, {
      bufferMaxSamples: 100_000,
      rawRetentionDays: 7,
      notify: false,
      onCommitted: (ids, ts, values) => {
        for (const w of writers) w.writer.accept(ids.slice(), ts.slice(), values.slice());
      },
      onSeriesEnded: (ids, ts) => {
        for (const w of writers) w.writer.acceptEnds(ids.slice(), ts.slice());
      },
    });
    await ingest.loadInventory();
    const scraper = new Scraper(db.pool, ingest, 2, { maxBytes: 1 << 20, guard: new TargetGuard('127.0.0.1') });
    const url = `http://127.0.0.1:${exporterPort}/metrics?stale`;
    const targetId = (await db.pool.query<{ id: number }>(`INSERT INTO scrape_targets (url, dialect, enabled) VALUES ($1, 'dcgm', false) RETURNING id`, [url])).rows[0]!.id;
    const target = { id: targetId, url, dialect: 'dcgm' as const, intervalMs: 10_000, timeoutMs: 5_000, hostOverride: null, managedBy: null, zoneId: null };
    // Samples without timestamps (stamped with the scrape time): the series Prometheus tracks for staleness.
    metricsText = `# TYPE DCGM_FI_DEV_GPU_TEMP gauge\n${dcgmLine(stays, 'DCGM_FI_DEV_GPU_TEMP', 55)}\n${dcgmLine(goes, 'DCGM_FI_DEV_GPU_TEMP', 66)}\n`;
    expect((await scraper.scrape(target)).error).toBeNull();
    await ingest.flush();
    await sleep(1_100);
    metricsText = `# TYPE DCGM_FI_DEV_GPU_TEMP gauge\n${dcgmLine(stays, 'DCGM_FI_DEV_GPU_TEMP', 56)}\n`;
    const vanished = await scraper.scrape(target);
    expect(vanished.error).toBeNull();
    await ingest.flush();
    const endMs = vanished.attemptAt.getTime();
    for (const { name, writer } of writers) expect(await writer.sendNow(), name).toBe(3 + 1);
    const seriesId = async (uuid: string) =>
      (await db.pool.query<{ id: number }>(`SELECT id FROM telemetry_series WHERE metric = 'gpu_temp_c' AND gpu_uuid = $1 AND target_id = $2`, [uuid, targetId])).rows[0]!.id;
    const [staysId, goesId] = [await seriesId(stays.uuid), await seriesId(goes.uuid)];
    for (const { name } of writers) {
      const instant = async (atMs: number) => {
        const r = await fetch(
          `${backends[name].queryUrl}/api/v1/query?${new URLSearchParams({ query: `gpu_temp_c{plenum_series=~"${staysId}|${goesId}"}`, time: String(atMs / 1000), nocache: '1' })}`,
        );
        const body = (await r.json()) as { data: { result: { metric: { plenum_series: string }; value: [number, string] }[] } };
        return new Map(body.data.result.map((x) => [Number(x.metric.plenum_series), Number(x.value[1])]));
      };
      // Just before the end both answer (their last values); from the end on only the series still scraped does.
      const before = await waitFor(`${name}: both series searchable`, async () => {
        const m = await instant(endMs - 1);
        return m.size === 2 && m;
      });
      expect(before.get(goesId), name).toBe(66);
      const after = await waitFor(`${name}: the marker searchable`, async () => {
        const m = await instant(endMs + 1_000);
        return m.get(staysId) === 56 && m;
      });
      expect([...after.keys()], name).toEqual([staysId]);
    }
  }, 60_000);

  it('keeps a batch queued while the back-end fails (5xx), drops one it refuses (4xx) and the oldest beyond the bound, all counted', async () => {
    const series = await db.pool.query<{ id: number }>(`SELECT id FROM telemetry_series WHERE metric = 'gpu_power_w' ORDER BY id LIMIT 1`);
    const id = series.rows[0]!.id;
    let answer = 503;
    const received: ReturnType<typeof decodeRemoteWrite>[] = [];
    const server = http.createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        if (answer === 200) received.push(decodeRemoteWrite(new Uint8Array(Buffer.concat(parts))));
        res.writeHead(answer).end(answer === 200 ? '' : 'no thanks');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const writer = new RemoteWriter(db.pool, { ...backendConfig(base, '/write'), queueMaxSamples: 1_000, authorization: 'Bearer t' });
      const block = (n: number, from: number) => [new Int32Array(n).fill(id), Float64Array.from({ length: n }, (_, i) => from + i), new Float64Array(n).fill(1.5)] as const;
      const metricsText = async () => selfMetrics().registry.metrics();
      writer.accept(...block(600, 1_000));
      writer.accept(...block(600, 2_000)); // over the bound: the first block goes
      expect(writer.stats).toMatchObject({ queuedSamples: 600, droppedQueueFull: 600 });
      expect(await metricsText()).toMatch(/plenum_tsdb_remote_write_dropped_samples_total\{reason="queue_full"\} [1-9]/);
      await expect(writer.sendNow()).rejects.toThrow(/HTTP 503 no thanks/);
      expect(writer.stats).toMatchObject({ queuedSamples: 600, retries: 1, sentSamples: 0 });
      answer = 200;
      expect(await writer.sendNow()).toBe(600);
      expect(received[0]!.timeseries[0]!.labels).toMatchObject({ __name__: 'gpu_power_w', plenum_series: String(id), plenum_entity: 'gpu' });
      expect(received[0]!.timeseries[0]!.samples[0]).toEqual({ value: 1.5, timestampMs: 2_000 });
      answer = 400;
      writer.accept(...block(10, 3_000));
      expect(await writer.sendNow()).toBe(0);
      expect(writer.stats).toMatchObject({ queuedSamples: 0, droppedRejected: 10, sentSamples: 600 });
      expect(await metricsText()).toMatch(/plenum_tsdb_remote_write_dropped_samples_total\{reason="rejected"\} [1-9]/);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
