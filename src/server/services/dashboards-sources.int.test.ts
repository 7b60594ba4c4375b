/**
 * One reading per physical quantity, against a real PostgreSQL with the demo seed: the same GPUs, host and rack PDUs
 * scraped by Plenum and remote-written by a site Prometheus (its series carry extra job / instance / external labels)
 * must show their true power and count once; the per-target preference picks the source; a staleness marker ends a
 * remote-written series instead of storing NaN.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRemoteWrite, writeRequestToSamples } from '@/telemetry';
import { encodeWriteRequest, STALE } from '@/telemetry/remote-write.testkit';
import { createDemoTelemetryDatabase, type TestDatabase } from '../../../tests/db';
import { type EntityColumn, latestPerEntity, type PowerDashboard, powerDashboard, siteOverview, siteTrends } from './dashboards';
import { AlertEvaluator, ensureDefaultRules } from './telemetry/alerts';
import { IngestPipeline } from './telemetry/ingest';
import { latestOfSeriesSql } from './telemetry/latest-store';
import { type QuantityRow, quantityColumnsSql, quantityFieldsOf, quantityKey, quantityKeySql } from './telemetry/sources';

let db: TestDatabase;
let ingest: IngestPipeline;
let siteId: number;
let gpus: { uuid: string; index: number }[];
let gpuTargetId: number;
let facilityTargetId: number;
// One second before a quarter minute: the readings each step writes (now − 5 s … now − 0.5 s) fall in one 15 s bucket of
// the last-hour trend, so its last point holds both sources (else, 2 times in 15, the remote-written one stands alone).
const now = Math.floor(Date.now() / 15_000) * 15_000 - 1_000;
const site = 'site="ams-ai-1"';

function scrapedGpus(powerW: number, utilPct: number): string {
  return `${gpus
    .flatMap((g) => {
      const l = `gpu="${g.index}",UUID="${g.uuid}",Hostname="a1-01-gpu1"`;
      return [`DCGM_FI_DEV_POWER_USAGE{${l}} ${powerW}`, `DCGM_FI_DEV_GPU_UTIL{${l}} ${utilPct}`];
    })
    .join('\n')}\n`;
}

function scrapedFacility(pduW: number, hostW: number, itW: number): string {
  return `${[
    `plenum_it_power_watts{${site}} ${itW}`,
    `plenum_server_power_watts{${site},rack="A1-01",hostname="a1-01-gpu1"} ${hostW}`,
    `plenum_rack_pdu_power_watts{${site},rack="A1-01",pdu="A1-01 PDU-A",feed="A"} ${pduW}`,
    `plenum_rack_pdu_power_watts{${site},rack="A1-01",pdu="A1-01 PDU-B",feed="B"} ${pduW}`,
  ].join('\n')}\n`;
}

/** What the site's Prometheus remote-writes for the same hardware: its own job / instance and an external label. */
function remoteWritten(values: { gpuW: number | typeof STALE; utilPct: number; pduW: number; hostW: number; itW: number; up: number | typeof STALE }, tMs: number) {
  const prom = { prometheus: 'ams-prom-0' };
  const series: { labels: Record<string, string>; samples: [number | typeof STALE, number][] }[] = [];
  for (const g of gpus) {
    const l = { gpu: String(g.index), UUID: g.uuid, Hostname: 'a1-01-gpu1', job: 'dcgm', instance: 'a1-01-gpu1:9400', ...prom };
    series.push({ labels: { __name__: 'DCGM_FI_DEV_POWER_USAGE', ...l }, samples: [[values.gpuW, tMs]] });
    series.push({ labels: { __name__: 'DCGM_FI_DEV_GPU_UTIL', ...l }, samples: [[values.utilPct, tMs]] });
  }
  const f = { site: 'ams-ai-1', job: 'plenum-facility', instance: 'facility-gw:9200', ...prom };
  series.push({ labels: { __name__: 'plenum_it_power_watts', ...f }, samples: [[values.itW, tMs]] });
  series.push({ labels: { __name__: 'plenum_server_power_watts', ...f, rack: 'A1-01', hostname: 'a1-01-gpu1' }, samples: [[values.hostW, tMs]] });
  for (const side of ['A', 'B']) {
    series.push({ labels: { __name__: 'plenum_rack_pdu_power_watts', ...f, rack: 'A1-01', pdu: `A1-01 PDU-${side}`, feed: side }, samples: [[values.pduW, tMs]] });
  }
  series.push({ labels: { __name__: 'up', job: 'dcgm', instance: 'a1-01-gpu1:9400', ...prom }, samples: [[values.up, tMs]] });
  return writeRequestToSamples(decodeRemoteWrite(encodeWriteRequest(series)));
}

const server = (p: PowerDashboard) => p.servers.find((s) => s.name === 'a1-01-gpu1')!;
const rack = (p: PowerDashboard) => p.racks.find((r) => r.name === 'A1-01')!;

beforeAll(async () => {
  db = await createDemoTelemetryDatabase();
  siteId = (await db.pool.query<{ id: number }>(`SELECT id FROM sites WHERE slug = 'ams-ai-1'`)).rows[0]!.id;
  gpus = (
    await db.pool.query<{ uuid: string; index: number }>(
      `SELECT a.uuid, a.index FROM accelerators a JOIN devices d ON d.id = a.device_id WHERE d.hostname = 'a1-01-gpu1' ORDER BY a.index`,
    )
  ).rows;
  expect(gpus).toHaveLength(8);
  const target = async (url: string, dialect: string) =>
    (await db.pool.query<{ id: number }>('INSERT INTO scrape_targets (url, dialect, enabled) VALUES ($1, $2, false) RETURNING id', [url, dialect])).rows[0]!.id;
  gpuTargetId = await target('http://a1-01-gpu1.invalid:9400/metrics', 'dcgm');
  facilityTargetId = await target('http://facility.invalid:9200/metrics', 'plenum');
  ingest = new IngestPipeline(db.pool, { bufferMaxSamples: 100_000, rawRetentionDays: 7, notify: false });
  await ingest.loadInventory();
});
afterAll(async () => {
  await db?.drop();
});

describe('one reading per physical quantity', () => {
  let scrapedOnly: PowerDashboard;

  it('a GPU, host and rack scraped and remote-written show their true power and count once', async () => {
    ingest.ingestText(scrapedGpus(500, 50), 'dcgm', { targetId: gpuTargetId, nowMs: now - 5_000 });
    ingest.ingestText(scrapedFacility(10_000, 6_000, 500_000), 'plenum', { targetId: facilityTargetId, nowMs: now - 5_000 });
    await ingest.flush();
    scrapedOnly = await powerDashboard(db.db, db.pool, siteId, now);
    expect(scrapedOnly.gpus.reporting).toBe(8);
    expect(server(scrapedOnly).gpuPowerW).toBe(4_000);
    expect(server(scrapedOnly).measuredW).toBe(6_000);
    expect(rack(scrapedOnly).measuredW).toBeCloseTo(20_000, 6);

    // The site's Prometheus sends the same hardware (slightly different readings: a different moment).
    ingest.ingestRaw(remoteWritten({ gpuW: 520, utilPct: 60, pduW: 10_400, hostW: 6_100, itW: 510_000, up: 1 }, now - 3_000), { targetId: null });
    await ingest.flush();
    const both = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM telemetry_series WHERE metric = 'gpu_power_w' AND source = 'remote-write'`);
    expect(both.rows[0]!.n).toBe(8); // stored as their own series, mapped to the same GPUs

    const p = await powerDashboard(db.db, db.pool, siteId, now);
    expect(p.gpus.reporting).toBe(8);
    expect(p.gpus.measuredW).toBe(4_000);
    expect(server(p).gpuPowerW).toBe(4_000);
    expect(server(p).measuredW).toBe(6_000);
    expect(rack(p).measuredW).toBeCloseTo(20_000, 6);
    expect(rack(p).utilizationPct).toBe(rack(scrapedOnly).utilizationPct);
    expect(p.racks).toEqual(scrapedOnly.racks);
    expect(p.utility.itPowerW).toBe(500_000);

    const overview = await siteOverview(db.pool, siteId, now);
    expect(overview.itPowerW).toBe(500_000);
    expect(overview.avgGpuUtilPct).toBe(50);
    const trend = await siteTrends(db.pool, siteId, { sinceMs: 3_600_000, untilMs: now });
    expect(trend.points.at(-1)!.itPowerW).toBe(500_000);
  });

  it('the per-target preference picks the source: below remote-write, the remote-written readings count (once)', async () => {
    await db.pool.query('UPDATE scrape_targets SET preference = 10 WHERE id = ANY($1)', [[gpuTargetId, facilityTargetId]]);
    const p = await powerDashboard(db.db, db.pool, siteId, now);
    expect(p.gpus.reporting).toBe(8);
    expect(server(p).gpuPowerW).toBe(8 * 520);
    expect(server(p).measuredW).toBe(6_100);
    expect(rack(p).measuredW).toBeCloseTo(20_800, 6);
    expect((await siteOverview(db.pool, siteId, now)).avgGpuUtilPct).toBe(60);
    const trend = await siteTrends(db.pool, siteId, { sinceMs: 3_600_000, untilMs: now });
    expect(trend.points.at(-1)!.itPowerW).toBe(510_000);
  });

  it('per-entity readings computed in PostgreSQL equal the ones combined from the readings', async () => {
    const columns: EntityColumn[] = [
      { metric: 'gpu_power_w', combine: 'sum' },
      { metric: 'gpu_power_w', combine: 'max' },
      { metric: 'gpu_power_w', combine: 'gpus' },
      { metric: 'gpu_util_pct', combine: 'sum' },
      { metric: 'plenum_server_power_watts', combine: 'sum', entityKind: 'device' },
    ];
    for (const key of ['accelerator_id', 'device_id'] as const) {
      const sql = await latestPerEntity(db.pool, siteId, key, columns, now);
      const readings = await latestPerEntity(db.pool, siteId, key, columns, now, { via: 'readings' });
      expect(sql.size).toBeGreaterThan(0);
      expect(sql).toEqual(readings);
    }
    const rackSql = await latestPerEntity(db.pool, siteId, 'rack_id', [{ metric: 'pdu_power_w', combine: 'sum', entityKind: 'power-node' }], now);
    expect(rackSql).toEqual(await latestPerEntity(db.pool, siteId, 'rack_id', [{ metric: 'pdu_power_w', combine: 'sum', entityKind: 'power-node' }], now, { via: 'readings' }));
    // Remote-write is preferred now (the targets' preference is 10): its values, each GPU once.
    const server = await latestPerEntity(db.pool, siteId, 'device_id', columns, now);
    expect([...server.values()].find((v) => v[2] === 8)?.slice(0, 4)).toEqual([8 * 520, 520, 8, 8 * 60]);
  });

  it('a staleness marker ends the remote-written series (no NaN stored); the scraped reading counts again', async () => {
    const markerMs = now - 1_000;
    ingest.ingestRaw(remoteWritten({ gpuW: STALE, utilPct: 60, pduW: 10_400, hostW: 6_100, itW: 510_000, up: STALE }, markerMs), { targetId: null });
    expect(ingest.stats.staleMarkers).toBe(9); // 8 GPU power series and `up`
    await ingest.flush();
    const nan = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM telemetry_samples WHERE value = 'NaN'::float8`);
    expect(nan.rows[0]!.n).toBe(0);
    const ended = await db.pool.query<{ metric: string; n: number }>(
      `SELECT metric, count(*)::int AS n FROM telemetry_series WHERE ended_at = to_timestamp($1 / 1000.0) GROUP BY metric ORDER BY metric`,
      [markerMs],
    );
    expect(ended.rows).toEqual([
      { metric: 'gpu_power_w', n: 8 },
      { metric: 'up', n: 1 },
    ]);
    const p = await powerDashboard(db.db, db.pool, siteId, now);
    expect(p.gpus.reporting).toBe(8);
    expect(server(p).gpuPowerW).toBe(4_000); // the remote-written series ended: the scrape's readings are current again
    expect(server(p).measuredW).toBe(6_100); // not ended: still preferred

    // A newer sample revives the series.
    ingest.ingestRaw(remoteWritten({ gpuW: 530, utilPct: 60, pduW: 10_400, hostW: 6_100, itW: 510_000, up: 1 }, now - 500), { targetId: null });
    await ingest.flush();
    expect(server(await powerDashboard(db.db, db.pool, siteId, now)).gpuPowerW).toBe(8 * 530);
  });

  it('an alert fires once for a GPU that both sources report', async () => {
    await ensureDefaultRules(db.pool);
    const g = gpus[2]!;
    const t = Date.now() - 1_000;
    ingest.ingestText(`DCGM_FI_DEV_XID_ERRORS{gpu="${g.index}",UUID="${g.uuid}",Hostname="a1-01-gpu1"} 79\n`, 'dcgm', { targetId: gpuTargetId, nowMs: t });
    const labels = { gpu: String(g.index), UUID: g.uuid, Hostname: 'a1-01-gpu1', job: 'dcgm', instance: 'a1-01-gpu1:9400' };
    ingest.ingestRaw(writeRequestToSamples(decodeRemoteWrite(encodeWriteRequest([{ labels: { __name__: 'DCGM_FI_DEV_XID_ERRORS', ...labels }, samples: [[79, t]] }]))), { targetId: null });
    await ingest.flush();
    const series = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM telemetry_series WHERE metric = 'gpu_xid_last'`);
    expect(series.rows[0]!.n).toBe(2);
    await new AlertEvaluator(db.pool, 60_000).evaluate();
    const open = await db.pool.query<{ entity_label: string }>(
      `SELECT a.entity_label FROM alerts a JOIN alert_rules r ON r.id = a.rule_id WHERE r.name = 'GPU XID error' AND a.state <> 'resolved'`,
    );
    expect(open.rows).toHaveLength(1);
    expect(open.rows[0]!.entity_label).toContain(g.uuid);
  });

  it('an alert follows the preferred source of a GPU, not whichever source holds, and a NaN reading never holds', async () => {
    await ensureDefaultRules(db.pool);
    const g = gpus[3]!;
    const t = Date.now() - 1_000;
    // The scrape (preference 100; an earlier test set 10) reads no XID; the remote-written copy (50) reads 79: the GPU
    // has no XID error.
    await db.pool.query('UPDATE scrape_targets SET preference = 100 WHERE id = $1', [gpuTargetId]);
    ingest.ingestText(`DCGM_FI_DEV_XID_ERRORS{gpu="${g.index}",UUID="${g.uuid}",Hostname="a1-01-gpu1"} 0\n`, 'dcgm', { targetId: gpuTargetId, nowMs: t });
    const labels = { gpu: String(g.index), UUID: g.uuid, Hostname: 'a1-01-gpu1', job: 'dcgm', instance: 'a1-01-gpu1:9400' };
    ingest.ingestRaw(writeRequestToSamples(decodeRemoteWrite(encodeWriteRequest([{ labels: { __name__: 'DCGM_FI_DEV_XID_ERRORS', ...labels }, samples: [[79, t]] }]))), { targetId: null });
    // A metric outside the catalogue keeps NaN readings; a rule on it must not fire on them (PostgreSQL sorts NaN above 1).
    ingest.ingestText('site_custom_gauge{site="ams-ai-1"} NaN\n', 'prometheus', { targetId: null, nowMs: t });
    await db.pool.query(
      `INSERT INTO alert_rules (name, kind, metric, comparator, threshold, duration_s, severity, description)
       VALUES ('Custom gauge above 1', 'threshold', 'site_custom_gauge', '>', 1, 0, 'warning', 'test')`,
    );
    await ingest.flush();
    const nan = await db.pool.query<{ value: number }>(
      `SELECT latest.value FROM telemetry_series s CROSS JOIN LATERAL (${latestOfSeriesSql('s.id')}) latest WHERE s.metric = 'site_custom_gauge'`,
    );
    expect(nan.rows.map((r) => r.value)).toEqual([Number.NaN]);
    await new AlertEvaluator(db.pool, 60_000).evaluate();
    const open = await db.pool.query<{ rule: string; entity_label: string }>(
      `SELECT r.name AS rule, a.entity_label FROM alerts a JOIN alert_rules r ON r.id = a.rule_id
        WHERE r.name IN ('GPU XID error', 'Custom gauge above 1') AND a.state <> 'resolved'`,
    );
    expect(open.rows.filter((r) => r.entity_label.includes(g.uuid))).toEqual([]);
    expect(open.rows.filter((r) => r.rule === 'Custom gauge above 1')).toEqual([]);
    // The same evaluation does fire once the preferred source reads an error too.
    ingest.ingestText(`DCGM_FI_DEV_XID_ERRORS{gpu="${g.index}",UUID="${g.uuid}",Hostname="a1-01-gpu1"} 48\n`, 'dcgm', { targetId: gpuTargetId, nowMs: t + 500 });
    ingest.ingestText('site_custom_gauge{site="ams-ai-1"} 2\n', 'prometheus', { targetId: null, nowMs: t + 500 });
    await ingest.flush();
    await new AlertEvaluator(db.pool, 60_000).evaluate();
    const fired = await db.pool.query<{ rule: string; entity_label: string; value: number }>(
      `SELECT r.name AS rule, a.entity_label, a.value FROM alerts a JOIN alert_rules r ON r.id = a.rule_id
        WHERE r.name IN ('GPU XID error', 'Custom gauge above 1') AND a.state <> 'resolved' ORDER BY r.name`,
    );
    expect(fired.rows.filter((r) => r.rule === 'Custom gauge above 1').map((r) => r.value)).toEqual([2]);
    expect(fired.rows.filter((r) => r.entity_label.includes(g.uuid)).map((r) => r.value)).toEqual([48]);
  });

  it('the SQL quantity key groups every stored series exactly as quantityKey does', async () => {
    // Two inlet sensors of one rack are two quantities of one entity (the `sensor` label), each from two sources.
    const inlets = (job: string) =>
      ['top', 'bottom'].map((sensor) => `plenum_sensor_inlet_temp_celsius{${site},rack="A1-01",sensor="${sensor}",job="${job}"} 24`).join('\n');
    ingest.ingestText(`${inlets('a')}\n${inlets('b')}\n`, 'plenum', { targetId: null, nowMs: Date.now() - 1_000 });
    await ingest.flush();
    const rows = await db.pool.query<QuantityRow & { id: number; metric: string; sql_group: string }>(
      `SELECT s.id, s.metric, ${quantityColumnsSql('0')},
              dense_rank() OVER (ORDER BY s.metric, ${quantityKeySql()})::text AS sql_group
         FROM telemetry_series s LEFT JOIN scrape_targets t ON t.id = s.target_id`,
    );
    expect(rows.rows.length).toBeGreaterThan(40);
    const groups = (key: (r: (typeof rows.rows)[number]) => string) => {
      const members = new Map<string, number[]>();
      for (const r of rows.rows) members.set(key(r), [...(members.get(key(r)) ?? []), r.id]);
      return [...members.values()].map((ids) => ids.sort((a, b) => a - b).join(',')).sort();
    };
    const js = groups((r) => quantityKey(quantityFieldsOf(r.id, r.metric, r)));
    expect(groups((r) => r.sql_group)).toEqual(js);
    expect(js.some((g) => g.includes(','))).toBe(true); // some quantity has two sources
  });

  it('the GPU counts follow a GPU added to a server (plant version) and a GPU failing (read live)', async () => {
    const before = await siteOverview(db.pool, siteId, now);
    const model = await db.pool.query<{ id: number }>(`SELECT model_id AS id FROM accelerators a JOIN devices d ON d.id = a.device_id WHERE d.hostname = 'a1-01-gpu1' LIMIT 1`);
    await db.pool.query(
      `INSERT INTO accelerators (device_id, index, uuid, model_id) SELECT id, 8, 'GPU-test-added', $1 FROM devices WHERE hostname = 'a1-01-gpu1'`,
      [model.rows[0]!.id],
    );
    const added = await siteOverview(db.pool, siteId, now);
    expect(added.gpus.total).toBe(before.gpus.total + 1);
    expect(added.gpus.failed).toBe(before.gpus.failed + 1); // no readings yet
    await db.pool.query(`UPDATE accelerators SET health = 'failed' WHERE uuid = $1`, [gpus[0]!.uuid]);
    const failing = await siteOverview(db.pool, siteId, now);
    expect(failing.gpus.failedHealth).toBe(added.gpus.failedHealth + 1);
    expect(failing.gpus.total).toBe(added.gpus.total);
  });
});
