/**
 * Trends computed once across instances (services/live-aggregates.ts TrendCache, `trend_snapshots`): a process that
 * holds nothing for a range serves the row another instance stored, which must be exactly what computing it returns,
 * and a range over rollups stops being served once new rollups land (`rollup_generation`). Telemetry goes in through
 * the real ingest path; "instances" are caches on their own pools and LISTEN connections on one database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller } from '../src/server/api/root';
import { createContext } from '../src/server/api/trpc';
import { permissionsOf } from '../src/server/auth/permissions';
import type { Principal } from '../src/server/auth/principal';
import { createDb, type DbHandle } from '../src/server/db/client';
import { type SiteTrends, siteTrends } from '../src/server/services/dashboards';
import { cachedSiteTrends, TREND_CACHE_MAX_AGE_MS, TrendCache, trendCacheFor } from '../src/server/services/live-aggregates';
import { IngestPipeline } from '../src/server/services/telemetry/ingest';
import { NotifyBus } from '../src/server/services/telemetry/notify-bus';
import { ROLLUP_CHANNEL, runRollups } from '../src/server/services/telemetry/rollups';
import { createDemoTelemetryDatabase, type TestDatabase } from './db';

let db: TestDatabase;
let siteId: number;
let gpus: { uuid: string; index: number }[];
const SITE = 'site="ams-ai-1"';
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** One scrape of the site meters and eight GPUs at `nowMs`, the values shifted by `shift`. */
async function scrape(nowMs: number, shift: number) {
  const pipeline = new IngestPipeline(db.pool, { bufferMaxSamples: 10_000, rawRetentionDays: 7 });
  await pipeline.loadInventory();
  const dcgm = gpus.map((g) => `DCGM_FI_DEV_GPU_UTIL{gpu="${g.index}",UUID="${g.uuid}",Hostname="a1-01-gpu1"} ${(g.index * 11 + shift) % 100}`).join('\n');
  pipeline.ingestText(`${dcgm}\n`, 'dcgm', { targetId: null, nowMs });
  pipeline.ingestText(`plenum_it_power_watts{${SITE}} ${500_000 + shift * 1_000}\nplenum_facility_power_watts{${SITE}} ${650_000 + shift * 1_300}\n`, 'plenum', { targetId: null, nowMs });
  await pipeline.flush();
  await pipeline.stop();
}

/** A process that just started on the same database: its own pool, LISTEN connection and trend cache, nothing held. */
async function freshInstance<T>(work: (cache: TrendCache, pool: DbHandle['pool'], bus: NotifyBus) => Promise<T>): Promise<T> {
  const handle = createDb(db.url, { max: 6 });
  const bus = new NotifyBus(db.url);
  const cache = new TrendCache(handle.pool, bus, ROLLUP_CHANNEL);
  try {
    return await work(cache, handle.pool, bus);
  } finally {
    cache.close();
    await bus.close();
    await handle.pool.end();
  }
}

const key = (sinceMs: number, untilMs?: number) => `trends:${siteId}:${sinceMs}:${untilMs ?? 'now'}`;
const trendsOf = (cache: TrendCache, pool: DbHandle['pool'], sinceMs: number, untilMs?: number) =>
  cache.get<SiteTrends>(key(sinceMs, untilMs), () => siteTrends(pool, siteId, { sinceMs, untilMs }));
/** What computing the range returns: the same window, ending where the answer ends. */
const computed = (answer: SiteTrends) => siteTrends(db.pool, siteId, { sinceMs: answer.toMs - answer.fromMs, untilMs: answer.toMs });

async function storedRow(k: string) {
  return (await db.pool.query<{ resolution: string; rollup_generation: string; computed_at_ms: string; body: SiteTrends }>('SELECT * FROM trend_snapshots WHERE key = $1', [k])).rows[0];
}
const generation = async () => Number((await db.pool.query<{ generation: string }>('SELECT generation FROM rollup_generation')).rows[0]!.generation);

beforeAll(async () => {
  db = await createDemoTelemetryDatabase();
  siteId = (await db.pool.query<{ id: number }>(`SELECT id FROM sites WHERE slug = 'ams-ai-1'`)).rows[0]!.id;
  gpus = (
    await db.pool.query<{ uuid: string; index: number }>(
      `SELECT a.uuid, a.index FROM accelerators a JOIN devices d ON d.id = a.device_id WHERE d.hostname = 'a1-01-gpu1' ORDER BY a.index`,
    )
  ).rows;
  expect(gpus).toHaveLength(8);
  // Twenty minutes of scrapes, one every 30 s, all rolled up.
  const now = Date.now();
  for (let i = 40; i >= 1; i--) await scrape(now - i * 30_000, i);
  await runRollups(db.pool, { nowMs: now + 120_000 });
});

afterAll(async () => {
  await db?.drop();
});

describe('trends stored across instances', () => {
  it('a fresh instance serves the stored range, exactly what computing it returns, raw samples and rollups alike', async () => {
    for (const sinceMs of [HOUR, DAY]) {
      const first = await freshInstance((cache, pool) => trendsOf(cache, pool, sinceMs).then((t) => ({ t, n: cache.computations.get(key(sinceMs)) })));
      expect(first.n).toBe(1);
      expect(first.t.resolution).toBe(sinceMs === HOUR ? 'raw' : '1m');
      expect(first.t.points.filter((p) => p.itPowerW !== null && p.gpuUtilPct !== null).length).toBeGreaterThan(sinceMs === HOUR ? 10 : 2);
      // The row holds it; another fresh instance serves it without computing.
      expect((await storedRow(key(sinceMs)))!.body).toEqual(first.t);
      const second = await freshInstance((cache, pool) => trendsOf(cache, pool, sinceMs).then((t) => ({ t, n: cache.computations.get(key(sinceMs)) ?? 0 })));
      expect(second.n).toBe(0);
      expect(second.t).toEqual(first.t);
      expect(second.t).toEqual(await computed(first.t));
    }
    // A custom range (a fixed end) likewise.
    const untilMs = Date.now() - 60_000;
    const fixed = await freshInstance((cache, pool) => trendsOf(cache, pool, HOUR, untilMs));
    const again = await freshInstance((cache, pool) => trendsOf(cache, pool, HOUR, untilMs).then((t) => ({ t, n: cache.computations.get(key(HOUR, untilMs)) ?? 0 })));
    expect(again.n).toBe(0);
    expect(again.t).toEqual(fixed);
    expect(again.t).toEqual(await siteTrends(db.pool, siteId, { sinceMs: HOUR, untilMs }));
  });

  it('new rollups: the stored rollup range is not served again, the next reader computes and stores the new one', async () => {
    await db.pool.query('DELETE FROM trend_snapshots');
    const before = await freshInstance((cache, pool) => trendsOf(cache, pool, DAY));
    const storedGeneration = Number((await storedRow(key(DAY)))!.rollup_generation);
    expect(storedGeneration).toBe(await generation());

    // An instance holding the range hears the rollups and reads what the next instance stores.
    const holder = createDb(db.url, { max: 6 });
    const holderBus = new NotifyBus(db.url);
    const held = new TrendCache(holder.pool, holderBus, ROLLUP_CHANNEL);
    try {
      // The bus LISTENs lazily: wait until it hears a NOTIFY before counting on it.
      const listening = holderBus.next(ROLLUP_CHANNEL, 10_000);
      await new Promise((r) => setTimeout(r, 300));
      await db.pool.query('SELECT pg_notify($1, $2)', [ROLLUP_CHANNEL, '{}']);
      expect(await listening).toBe(true);
      expect(await trendsOf(held, holder.pool, DAY)).toEqual(before);
      expect(held.computations.get(key(DAY)) ?? 0).toBe(0);

      // New telemetry, far from the earlier values, rolled up: a new generation.
      const heard = holderBus.next(ROLLUP_CHANNEL, 10_000);
      const now = Date.now();
      await scrape(now - 1_000, 400);
      await scrape(now, 401);
      const run = await runRollups(db.pool, { nowMs: now + 120_000 });
      expect(run.batches).toBeGreaterThan(0);
      expect(await heard).toBe(true);
      expect(await generation()).toBe(storedGeneration + 1);
      await new Promise((r) => setTimeout(r, 50));

      // The row is young but from the previous generation: a fresh instance computes.
      const after = await freshInstance((cache, pool) => trendsOf(cache, pool, DAY).then((t) => ({ t, n: cache.computations.get(key(DAY)) ?? 0 })));
      expect(after.n).toBe(1);
      expect(after.t).not.toEqual(before);
      expect(after.t).toEqual(await computed(after.t));
      expect(Math.max(...after.t.points.map((p) => p.itPowerW ?? 0))).toBeGreaterThan(Math.max(...before.points.map((p) => p.itPowerW ?? 0)));
      expect(Number((await storedRow(key(DAY)))!.rollup_generation)).toBe(storedGeneration + 1);

      // The holder dropped its range on the notice and now reads the new row: nothing computed there.
      expect(await trendsOf(held, holder.pool, DAY)).toEqual(after.t);
      expect(held.computations.get(key(DAY)) ?? 0).toBe(0);
    } finally {
      held.close();
      await holderBus.close();
      await holder.pool.end();
    }
  });

  it('computed once for instances that ask at the same moment', async () => {
    const sinceMs = 2 * DAY;
    const answers = await Promise.all([0, 1, 2].map(() => freshInstance((cache, pool) => trendsOf(cache, pool, sinceMs).then((t) => ({ t, n: cache.computations.get(key(sinceMs)) ?? 0 })))));
    expect(answers.reduce((n, a) => n + a.n, 0)).toBe(1);
    expect(answers[1]!.t).toEqual(answers[0]!.t);
    expect(answers[2]!.t).toEqual(answers[0]!.t);
  });

  it('a raw range a little old is served with a refresh behind it; one older than the cache keeps nothing is computed first', async () => {
    const k = key(HOUR);
    await freshInstance((cache, pool) => trendsOf(cache, pool, HOUR));
    await db.pool.query('UPDATE trend_snapshots SET computed_at_ms = $2 WHERE key = $1', [k, Date.now() - 20_000]);
    const served = (await storedRow(k))!;
    await freshInstance(async (cache, pool) => {
      expect(await trendsOf(cache, pool, HOUR)).toEqual(served.body);
      // The refresh behind it stores a newer row.
      const deadline = Date.now() + 20_000;
      while ((cache.computations.get(k) ?? 0) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(cache.computations.get(k)).toBe(1);
    });
    expect(Number((await storedRow(k))!.computed_at_ms)).toBeGreaterThan(Number(served.computed_at_ms));

    await db.pool.query('UPDATE trend_snapshots SET computed_at_ms = $2 WHERE key = $1', [k, Date.now() - TREND_CACHE_MAX_AGE_MS - 1_000]);
    await freshInstance(async (cache, pool) => {
      const answer = await trendsOf(cache, pool, HOUR);
      expect(cache.computations.get(k)).toBe(1);
      expect(answer).toEqual(await computed(answer));
    });
  });

  it('a computation drops the rows no process would serve any more', async () => {
    const stale = `trends:${siteId}:120000:now`;
    await db.pool.query(
      `INSERT INTO trend_snapshots (key, resolution, rollup_generation, computed_at_ms, compute_ms, body) VALUES ($1, 'raw', 0, $2, 1, '{}')`,
      [stale, Date.now() - TREND_CACHE_MAX_AGE_MS - 1_000],
    );
    await db.pool.query('DELETE FROM trend_snapshots WHERE key = $1', [key(3 * HOUR)]);
    await freshInstance((cache, pool) => trendsOf(cache, pool, 3 * HOUR));
    expect(await storedRow(stale)).toBeUndefined();
    expect(await storedRow(key(3 * HOUR))).toBeDefined();
  });

  it('through the router: the start-up path stores the range, the handlers of a fresh process serve it', async () => {
    const start = createDb(db.url, { max: 4 });
    const web = createDb(db.url, { max: 6 });
    try {
      const warmed = await cachedSiteTrends(start.pool, siteId, { sinceMs: 6 * HOUR });
      const answer = await createCaller(createContext(web)).dashboards.trends({ siteId, sinceMs: 6 * HOUR });
      expect(trendCacheFor(web.pool).computations.get(key(6 * HOUR)) ?? 0).toBe(0);
      expect(answer).toEqual(warmed);
      expect(answer).toEqual(await computed(answer));
      // The stored range is site-wide: a caller granted one zone of the site is refused before any cache is read.
      const zone = (await db.pool.query<{ id: number }>(`SELECT id FROM security_zones WHERE name = 'Tenant cage'`)).rows[0]!.id;
      const caged: Principal = { kind: 'token', userId: null, username: 'caged', role: 'viewer', permissions: permissionsOf('viewer'), allZones: false, zoneIds: new Set([zone]), tokenId: null, sessionHash: null };
      await expect(createCaller(createContext(web, caged)).dashboards.trends({ siteId, sinceMs: 6 * HOUR })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    } finally {
      trendCacheFor(start.pool).close();
      trendCacheFor(web.pool).close();
      await start.pool.end();
      await web.pool.end();
    }
  });
});
