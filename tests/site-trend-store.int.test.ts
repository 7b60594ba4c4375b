/**
 * The last hour's site trends from stored buckets (services/site-trend-store.ts) against the same trends read from
 * every raw sample: simulator telemetry (the demo seed's hosts through their exporters' text, the site meters) through
 * the real ingest path, the same GPUs also remote-written (one reading per quantity), samples of the open minute, late
 * samples (served as of the last pass while it is recent; when it is not, the buckets they change are read raw), a
 * pass that fails half-way and a new process that finishes it, and a change of series that voids what is stored.
 *
 * Tolerance: the stored value of a bucket is the same computation over the same samples, but the sums across
 * quantities may be added in another order (PostgreSQL's hash aggregate against Node), so values agree to 1e-9
 * relative; times and which buckets have points agree exactly.
 */
import { decodeRemoteWrite, writeRequestToSamples } from '@/telemetry';
import { encodeWriteRequest } from '@/telemetry/remote-write.testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderFacilityMetrics, renderGpuHostMetrics } from '../simulator/exporters';
import { World } from '../simulator/world';
import { createDb } from '../src/server/db/client';
import { refreshSiteTrendStore, type SiteTrends, siteTrends } from '../src/server/services/dashboards';
import { hostExporterDialect } from '../src/server/services/simulator-host';
import { readStoredTrend, refreshStoredTrends, TREND_DEMAND_MS } from '../src/server/services/site-trend-store';
import { IngestPipeline } from '../src/server/services/telemetry/ingest';
import { runRollups } from '../src/server/services/telemetry/rollups';
import { loadSimInventory } from '../src/server/services/telemetry/sim-inventory';
import { createDemoTelemetryDatabase, type TestDatabase } from './db';

let db: TestDatabase;
let siteId: number;
let world: World;
let ingest: IngestPipeline;
let hostnames: string[];
const HOUR = 3_600_000;
const now = Date.now();

/** One scrape of the chosen hosts (each at its own offset in the round) and the site meters at `atMs`. */
async function scrapeRound(atMs: number) {
  world.step(20);
  hostnames.forEach((h, i) => {
    ingest.ingestText(renderGpuHostMetrics(world, h), 'dcgm', { targetId: null, nowMs: atMs + (i % 4) * 3_000 });
  });
  ingest.ingestText(renderFacilityMetrics(world, 'ams-ai-1'), 'plenum', { targetId: null, nowMs: atMs + 1_000 });
}

/** The first two hosts' GPUs as a site Prometheus remote-writes them: the same quantities, another source and moment. */
async function remoteWriteRound(atMs: number, shift: number) {
  const gpus = (
    await db.pool.query<{ uuid: string; index: number; hostname: string }>(
      'SELECT a.uuid, a.index, d.hostname FROM accelerators a JOIN devices d ON d.id = a.device_id WHERE d.hostname = ANY($1) ORDER BY a.id',
      [hostnames.slice(0, 2)],
    )
  ).rows;
  const series = gpus.map((g) => ({
    labels: { __name__: 'DCGM_FI_DEV_GPU_UTIL', gpu: String(g.index), UUID: g.uuid, Hostname: g.hostname, job: 'dcgm', instance: `${g.hostname}:9400`, prometheus: 'ams-prom-0' },
    samples: [[(g.index * 7 + shift) % 100, atMs]] as [number, number][],
  }));
  ingest.ingestRaw(writeRequestToSamples(decodeRemoteWrite(encodeWriteRequest(series))), { targetId: null });
}

/** The stored-bucket read and the all-raw read of the last hour, ending at the same moment. */
async function bothReads(): Promise<{ stored: SiteTrends; raw: SiteTrends }> {
  const untilMs = Date.now();
  const [stored, raw] = await Promise.all([siteTrends(db.pool, siteId, { sinceMs: HOUR, untilMs }), siteTrends(db.pool, siteId, { sinceMs: HOUR, untilMs }, { stored: false })]);
  return { stored, raw };
}

function expectSameTrends(a: SiteTrends, b: SiteTrends) {
  expect(a.fromMs).toBe(b.fromMs);
  expect(a.points.map((p) => p.t)).toEqual(b.points.map((p) => p.t));
  const close = (x: number | null, y: number | null) => (x === null || y === null ? x === y : Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y)));
  a.points.forEach((p, i) => {
    const q = b.points[i]!;
    for (const k of ['itPowerW', 'facilityPowerW', 'pue', 'gpuUtilPct', 'itEnergyKwh', 'facilityEnergyKwh'] as const) {
      if (!close(p[k], q[k])) throw new Error(`bucket ${p.t} ${k}: stored ${p[k]} against raw ${q[k]}`);
    }
  });
}

/** As if the last pass ran two minutes earlier: no longer recent, so a read uses only the final buckets. */
const ageLastPass = () => db.pool.query('UPDATE site_trend_state SET as_of_ms = as_of_ms - 120000');
const sameAsRaw = async () => {
  const { stored, raw } = await bothReads();
  expectSameTrends(stored, raw);
  return stored;
};

const dirtyRows = async () => Number((await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM site_trend_dirty')).rows[0]!.n);

beforeAll(async () => {
  db = await createDemoTelemetryDatabase();
  siteId = (await db.pool.query<{ id: number }>(`SELECT id FROM sites WHERE slug = 'ams-ai-1'`)).rows[0]!.id;
  const inventory = await loadSimInventory(db.pool);
  const hosts = inventory.sites.flatMap((s) => s.halls.flatMap((h) => h.racks.flatMap((r) => r.servers))).filter((h) => hostExporterDialect(h) === 'dcgm');
  // Six hosts (48 GPUs) keep the test short; the store does not care how many.
  hostnames = hosts.slice(0, 6).map((h) => h.hostname);
  world = new World(inventory, { seed: 7, startMs: now - 40 * 60_000 });
  ingest = new IngestPipeline(db.pool, { bufferMaxSamples: 2_000_000, rawRetentionDays: 7, notify: false });
  await ingest.loadInventory();
  // 35 minutes of scrapes every 20 s (hosts spread over the round), ending 3 minutes ago, and the first two hosts'
  // GPUs remote-written every 30 s over the last 20 of them.
  for (let t = now - 38 * 60_000; t < now - 3 * 60_000; t += 20_000) await scrapeRound(t);
  for (let t = now - 23 * 60_000 + 7_000; t < now - 3 * 60_000; t += 30_000) await remoteWriteRound(t, t / 1000);
  await ingest.flush();
}, 120_000);

afterAll(async () => {
  await ingest?.stop();
  await db?.drop();
});

describe('site trends from stored buckets', () => {
  it('nothing is stored before the first pass: the read is all raw', async () => {
    expect(await readStoredTrend(db.pool, siteId, 'gpu_util_pct', now - HOUR, now)).toBeNull();
    const { stored, raw } = await bothReads();
    expectSameTrends(stored, raw);
    // On the clock's quarter minutes, the window's start at most 15 s before the first.
    expect(stored.fromMs % 15_000).toBe(0);
    expect(stored.fromMs - (stored.toMs - HOUR)).toBeLessThan(15_000);
    expect(stored.points.length).toBeLessThanOrEqual(240);
  });

  it('after the rollups and a pass, the stored buckets give the raw trends, remote-written GPUs counted once', async () => {
    await runRollups(db.pool);
    const pass = await refreshSiteTrendStore(db.pool);
    expect(pass).toMatchObject({ locked: true, reset: true });
    expect(await dirtyRows()).toBe(0);
    const plan = await readStoredTrend(db.pool, siteId, 'gpu_util_pct', now - HOUR, Date.now());
    expect(plan).not.toBeNull();
    // 35 minutes of 15 s buckets with utilisation: nearly all of them from the store.
    expect(plan!.points.length).toBeGreaterThan(120);
    const { stored, raw } = await bothReads();
    expectSameTrends(stored, raw);
    expect(stored.points.filter((p) => p.gpuUtilPct !== null).length).toBeGreaterThan(130);
    // Counted once: had the remote-written series counted as GPUs of their own, the average would differ.
    const scrapedOnly = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM telemetry_series WHERE metric = 'gpu_util_pct' AND source = 'remote-write'`);
    expect(scrapedOnly.rows[0]!.n).toBe(16);
  });

  it('samples of the open minute: the pass recomputes the minutes queued flushes touch', async () => {
    // Stamped in the past (the hosts' offsets reach 9 s): the pass holds what a raw read at its start would.
    await scrapeRound(Date.now() - 12_000);
    await ingest.flush();
    const pass = await refreshSiteTrendStore(db.pool);
    expect(pass).toMatchObject({ locked: true, reset: false });
    expect(pass.minutes).toBeGreaterThan(0);
    const plan = await readStoredTrend(db.pool, siteId, 'gpu_util_pct', now - HOUR, Date.now());
    expect(plan!.asOfMs).not.toBeNull();
    expect(plan!.points.at(-1)!.t).toBeGreaterThan(Date.now() - 60_000);
    await sameAsRaw();
  });

  it('late samples: served as of the last pass while it is recent, read raw when it is not, stored after the next pass', async () => {
    const asOfPass = (await bothReads()).stored;
    // A late round ten minutes back, other values (the world moved on).
    await scrapeRound(now - 10 * 60_000 + 2_000);
    await ingest.flush();
    const { stored, raw } = await bothReads();
    expect(stored.points.filter((p) => p.t < stored.toMs - 120_000)).toEqual(asOfPass.points.filter((p) => p.t < stored.toMs - 120_000));
    expect(() => expectSameTrends(stored, raw)).toThrow();
    await ageLastPass();
    await sameAsRaw();
    await runRollups(db.pool);
    expect(await dirtyRows()).toBeGreaterThan(0);
    await sameAsRaw();
    const pass = await refreshSiteTrendStore(db.pool);
    expect(pass).toMatchObject({ locked: true, reset: false });
    expect(await dirtyRows()).toBe(0);
    await sameAsRaw();
    await ageLastPass();
    await sameAsRaw();
  });

  it('with nobody reading, a pass leaves the open minutes to the readers; a read brings them back into the next pass', async () => {
    const nobodyReads = () => db.pool.query('UPDATE site_trend_state SET read_at_ms = $1', [Date.now() - TREND_DEMAND_MS - 60_000]);
    const state = async () => (await db.pool.query<{ open_covered: boolean; read_at_ms: number | null }>('SELECT open_covered, read_at_ms FROM site_trend_state')).rows[0]!;
    await refreshSiteTrendStore(db.pool);
    await nobodyReads();
    await scrapeRound(Date.now() - 12_000);
    await ingest.flush();
    const queuedFrom = (await db.pool.query<{ m: number }>('SELECT min(min_minute)::int AS m FROM telemetry_rollup_deltas')).rows[0]!.m;
    const pass = await refreshSiteTrendStore(db.pool);
    expect(pass).toMatchObject({ locked: true, reset: false, minutes: 0 });
    expect((await state()).open_covered).toBe(false);
    // The read: only the final buckets, before the queued minute; the rest raw, and the same trends.
    const plan = await readStoredTrend(db.pool, siteId, 'gpu_util_pct', now - HOUR, Date.now());
    expect(plan!.asOfMs).toBeNull();
    expect(plan!.coveredToMs).toBeLessThanOrEqual(queuedFrom * 60_000);
    expect((await state()).read_at_ms).toBeGreaterThan(Date.now() - 60_000);
    await sameAsRaw();
    // Someone read: the next pass does the open minutes, and reads are served as of it.
    const next = await refreshSiteTrendStore(db.pool);
    expect(next.minutes).toBeGreaterThan(0);
    expect((await state()).open_covered).toBe(true);
    expect((await readStoredTrend(db.pool, siteId, 'gpu_util_pct', now - HOUR, Date.now()))!.asOfMs).not.toBeNull();
    await sameAsRaw();
    // Nobody again: the rollup run takes the queued minutes once closed (dirty now), and a pass does each of them once.
    await nobodyReads();
    await runRollups(db.pool, { nowMs: Date.now() + 120_000 });
    expect(await dirtyRows()).toBeGreaterThan(0);
    const closing = await refreshSiteTrendStore(db.pool);
    expect(closing.minutes).toBeGreaterThan(0);
    expect(await dirtyRows()).toBe(0);
    await ageLastPass();
    await sameAsRaw();
  });

  it('a pass that fails half-way stores nothing; a new process finishes it', async () => {
    await remoteWriteRound(now - 8 * 60_000 + 11_000, 55);
    await ingest.flush();
    await runRollups(db.pool);
    const dirty = await dirtyRows();
    expect(dirty).toBeGreaterThan(0);
    const storedBefore = (await db.pool.query('SELECT * FROM site_trend_buckets ORDER BY site_id, metric, bucket')).rows;
    let calls = 0;
    await expect(
      refreshStoredTrends(db.pool, async () => {
        if (++calls > 1) throw new Error('the process died');
        return [{ t: now - 8 * 60_000, v: 12_345 }];
      }),
    ).rejects.toThrow('the process died');
    expect(await dirtyRows()).toBe(dirty);
    expect((await db.pool.query('SELECT * FROM site_trend_buckets ORDER BY site_id, metric, bucket')).rows).toEqual(storedBefore);
    await ageLastPass();
    await sameAsRaw();
    const restarted = createDb(db.url, { max: 4 });
    try {
      expect((await refreshSiteTrendStore(restarted.pool)).minutes).toBeGreaterThan(0);
    } finally {
      await restarted.pool.end();
    }
    expect(await dirtyRows()).toBe(0);
    await sameAsRaw();
  });

  it('a change to what a series measures forgets the stored buckets until the next pass', async () => {
    await db.pool.query(`UPDATE telemetry_series SET quantity_labels = quantity_labels WHERE metric = 'gpu_util_pct' AND source = 'remote-write'`);
    expect(await readStoredTrend(db.pool, siteId, 'gpu_util_pct', now - HOUR, Date.now())).toBeNull();
    expect((await refreshSiteTrendStore(db.pool)).reset).toBe(true);
    expect(await readStoredTrend(db.pool, siteId, 'gpu_util_pct', now - HOUR, Date.now())).not.toBeNull();
    await sameAsRaw();
  });

  it('a series that appears after earlier passes counts in the next one', async () => {
    await refreshSiteTrendStore(db.pool);
    const before = (await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM telemetry_series WHERE metric = 'gpu_util_pct'`)).rows[0]!.n;
    const newcomer = (await loadSimInventory(db.pool)).sites.flatMap((s) => s.halls.flatMap((h) => h.racks.flatMap((r) => r.servers))).find((h) => hostExporterDialect(h) === 'dcgm' && !hostnames.includes(h.hostname))!;
    ingest.ingestText(renderGpuHostMetrics(world, newcomer.hostname), 'dcgm', { targetId: null, nowMs: Date.now() - 5_000 });
    await ingest.flush();
    expect((await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM telemetry_series WHERE metric = 'gpu_util_pct'`)).rows[0]!.n).toBeGreaterThan(before);
    await refreshSiteTrendStore(db.pool);
    await sameAsRaw();
  });

  it("a source's preference: an edit that keeps it keeps the stored buckets, a change forgets them", async () => {
    const target = (await db.pool.query<{ id: number }>(`INSERT INTO scrape_targets (url, dialect, enabled) VALUES ('http://trend.invalid:9400/metrics', 'dcgm', false) RETURNING id`)).rows[0]!.id;
    await refreshSiteTrendStore(db.pool);
    await db.pool.query('UPDATE scrape_targets SET preference = preference, enabled = false WHERE id = $1', [target]);
    expect(await readStoredTrend(db.pool, siteId, 'gpu_util_pct', now - HOUR, Date.now())).not.toBeNull();
    await db.pool.query('UPDATE scrape_targets SET preference = preference + 1 WHERE id = $1', [target]);
    expect(await readStoredTrend(db.pool, siteId, 'gpu_util_pct', now - HOUR, Date.now())).toBeNull();
  });
});
