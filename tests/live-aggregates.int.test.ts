/**
 * Compute once, fan out: two hubs on their own pools and LISTEN connections stand for two Plenum instances on one
 * database. Telemetry goes in through the real ingest path (COPY + NOTIFY with its version); the tests count how often
 * the aggregate itself was computed, across both instances, while many subscribers and queries read it.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../src/server/api/trpc';
import { createCaller } from '../src/server/api/root';
import type { Principal } from '../src/server/auth/principal';
import { permissionsOf } from '../src/server/auth/permissions';
import { zoneConditionText } from '../src/server/auth/zones';
import { createDb, type DbHandle } from '../src/server/db/client';
import { siteOverview, type SiteOverview, siteTrends, type SiteTrends } from '../src/server/services/dashboards';
import { heldMaxAgeMs, LiveAggregates, MAX_AGE_MS, TrendCache } from '../src/server/services/live-aggregates';
import { analysePlant } from '../src/server/services/plant';
import { IngestPipeline, TELEMETRY_CHANNEL } from '../src/server/services/telemetry/ingest';
import { NotifyBus } from '../src/server/services/telemetry/notify-bus';
import { ROLLUP_CHANNEL, runRollups } from '../src/server/services/telemetry/rollups';
import { createDemoTelemetryDatabase, type TestDatabase } from './db';

let db: TestDatabase;
let siteId: number;
const instances: { handle: DbHandle; bus: NotifyBus; hub: LiveAggregates }[] = [];
const SITE = 'site="ams-ai-1"';

async function ingest(text: string, nowMs = Date.now()) {
  const pipeline = new IngestPipeline(db.pool, { bufferMaxSamples: 10_000, rawRetentionDays: 7 });
  await pipeline.loadInventory();
  pipeline.ingestText(text, 'plenum', { targetId: null, nowMs });
  await pipeline.flush();
  await pipeline.stop();
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const totalComputations = (key: string) => instances.reduce((n, i) => n + (i.hub.computations.get(key) ?? 0), 0);

/** A process that just started on the same database: its own pool, LISTEN connection and hub, nothing held. */
async function freshInstance<T>(work: (hub: LiveAggregates, handle: DbHandle, bus: NotifyBus) => Promise<T>): Promise<T> {
  const handle = createDb(db.url, { max: 4 });
  const bus = new NotifyBus(db.url);
  const hub = new LiveAggregates(handle.pool, bus);
  try {
    return await work(hub, handle, bus);
  } finally {
    hub.close();
    await bus.close();
    await handle.pool.end();
  }
}

/** Makes the stored row of a key look computed `ageMs` ago in `computeMs`; returns its body. */
async function storedRow(key: string, ageMs: number, computeMs: number): Promise<SiteOverview> {
  const { rows } = await db.pool.query<{ body: SiteOverview }>('UPDATE dashboard_snapshots SET computed_at_ms = $2, compute_ms = $3 WHERE key = $1 RETURNING body', [key, Date.now() - ageMs, computeMs]);
  expect(rows).toHaveLength(1);
  return rows[0]!.body;
}

beforeAll(async () => {
  db = await createDemoTelemetryDatabase();
  siteId = (await db.pool.query<{ id: number }>(`SELECT id FROM sites WHERE slug = 'ams-ai-1'`)).rows[0]!.id;
  await ingest(`plenum_it_power_watts{${SITE}} 500000\nplenum_facility_power_watts{${SITE}} 650000\n`);
  for (let i = 0; i < 2; i++) {
    const handle = createDb(db.url, { max: 10 });
    const bus = new NotifyBus(db.url);
    instances.push({ handle, bus, hub: new LiveAggregates(handle.pool, bus) });
  }
  // The buses LISTEN lazily: wait until both hear a NOTIFY before counting on them.
  for (const { bus } of instances) {
    const heard = bus.next(ROLLUP_CHANNEL, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    await db.pool.query('SELECT pg_notify($1, $2)', [ROLLUP_CHANNEL, '{}']);
    expect(await heard).toBe(true);
  }
});

afterAll(async () => {
  for (const { hub, bus, handle } of instances) {
    hub.close();
    await bus.close();
    await handle.pool.end();
  }
  await db?.drop();
});

describe('live aggregates: compute once, fan out', () => {
  it('40 subscribers on two instances: one computation per telemetry update, every subscriber gets the same body', async () => {
    const key = `overview:${siteId}:all`;
    const abort = new AbortController();
    const received: SiteOverview[][] = [];
    const streams = [];
    for (let s = 0; s < 40; s++) {
      const { hub, handle } = instances[s % 2]!;
      const got: SiteOverview[] = [];
      received.push(got);
      streams.push(
        (async () => {
          for await (const body of hub.stream(key, () => siteOverview(handle.pool, siteId), abort.signal)) got.push(body);
        })(),
      );
    }
    await until('every first answer', () => received.every((r) => r.length >= 1));
    expect(totalComputations(key)).toBe(1);
    expect(received.every((r) => r[0]!.facilityPowerW === 650_000)).toBe(true);

    await ingest(`plenum_it_power_watts{${SITE}} 520000\nplenum_facility_power_watts{${SITE}} 700000\n`);
    await until('the update at every subscriber', () => received.every((r) => r.at(-1)!.facilityPowerW === 700_000));
    expect(totalComputations(key)).toBe(2);
    // One body for all: the same computation time everywhere.
    expect(new Set(received.map((r) => r.at(-1)!.atMs)).size).toBe(1);

    // A query in either instance between updates reads the shared aggregate; nothing is recomputed.
    const queried = await instances[1]!.hub.get(key, () => siteOverview(instances[1]!.handle.pool, siteId));
    expect(queried.facilityPowerW).toBe(700_000);
    expect(totalComputations(key)).toBe(2);
    abort.abort();
    await Promise.all(streams);
  });

  it('zone scopes are separate keys through the router: a zone-scoped overview never carries the site meters', async () => {
    const zone = (await db.pool.query<{ id: number }>(`SELECT id FROM security_zones WHERE name = 'Tenant cage'`)).rows[0]!.id;
    const scoped: Principal = { kind: 'token', userId: null, username: 'caged', role: 'viewer', permissions: permissionsOf('viewer'), allZones: false, zoneIds: new Set([zone]), tokenId: null, sessionHash: null };
    const global = await createCaller(createContext(db)).dashboards.overview({ siteId });
    const caged = await createCaller(createContext(db, scoped)).dashboards.overview({ siteId });
    expect(global.itPowerW).not.toBeNull();
    expect(caged.itPowerW).toBeNull();
    expect(caged.gpus.total).toBeGreaterThan(0);
    expect(caged.gpus.total).toBeLessThan(global.gpus.total);
    // Asked again, each caller gets its own scope's body back (the cache does not mix them).
    expect((await createCaller(createContext(db, scoped)).dashboards.overview({ siteId })).gpus.total).toBe(caged.gpus.total);
    expect((await createCaller(createContext(db)).dashboards.overview({ siteId })).itPowerW).toBe(global.itPowerW);
  });

  it('a fresh process answers from the stored row while it is young enough to hold, and computes first when it is older', async () => {
    const key = `overview:${siteId}:all`;
    const { hub: peer, handle } = instances[0]!;
    await peer.get(key, () => siteOverview(handle.pool, siteId));

    // 2 s old, and the fresh process has heard of a newer flush (as a started server does within a second): served as
    // it is, then refreshed behind it.
    const young = await storedRow(key, 2_000, 0);
    const { version } = (await db.pool.query<{ version: string }>('SELECT version FROM dashboard_snapshots WHERE key = $1', [key])).rows[0]!;
    await freshInstance(async (hub, own, bus) => {
      const heard = bus.next(TELEMETRY_CHANNEL, 10_000);
      await new Promise((r) => setTimeout(r, 300));
      await db.pool.query('SELECT pg_notify($1, $2)', [TELEMETRY_CHANNEL, JSON.stringify({ version: Number(version) + 1 })]);
      expect(await heard).toBe(true);
      const served = await hub.get(key, () => siteOverview(own.pool, siteId));
      expect(served).toEqual(young);
      expect(hub.computations.get(key)).toBeUndefined();
      await until('the refresh behind it', () => hub.computations.get(key) === 1);
    });

    // Older than a held aggregate may be (MAX_AGE_MS when its computation took no time): computed before answering.
    const old = await storedRow(key, MAX_AGE_MS + 5_000, 0);
    await freshInstance(async (hub, own) => {
      const answered = await hub.get(key, () => siteOverview(own.pool, siteId));
      expect(hub.computations.get(key)).toBe(1);
      expect(answered.atMs).toBeGreaterThan(old.atMs);
    });

    // Equally old, but it took 3 s to compute: a held one that slow is served up to heldMaxAgeMs(3 s), so this row is
    // answered at once and refreshed behind it.
    expect(heldMaxAgeMs(3_000)).toBeGreaterThan(MAX_AGE_MS + 5_000);
    const slow = await storedRow(key, MAX_AGE_MS + 5_000, 3_000);
    await freshInstance(async (hub, own) => {
      const served = await hub.get(key, () => siteOverview(own.pool, siteId));
      expect(served).toEqual(slow);
      expect(hub.computations.get(key)).toBeUndefined();
      await until('the refresh behind it', () => hub.computations.get(key) === 1);
      let again = served;
      const deadline = Date.now() + 20_000;
      while (again.atMs <= slow.atMs && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        again = await hub.get(key, () => siteOverview(own.pool, siteId));
      }
      expect(again.atMs).toBeGreaterThan(slow.atMs);
      expect(hub.computations.get(key)).toBe(1);
    });
  });

  it('a fresh process never answers one zone scope with another scope\'s stored row', async () => {
    const zone = (await db.pool.query<{ id: number }>(`SELECT id FROM security_zones WHERE name = 'Tenant cage'`)).rows[0]!.id;
    const all = await storedRow(`overview:${siteId}:all`, 1_000, 0);
    expect(all.itPowerW).not.toBeNull();
    const scopedKey = `overview:${siteId}:zones:${zone}`;
    await db.pool.query('DELETE FROM dashboard_snapshots WHERE key = $1', [scopedKey]);
    const caged: Principal = { kind: 'token', userId: null, username: 'caged', role: 'viewer', permissions: permissionsOf('viewer'), allZones: false, zoneIds: new Set([zone]), tokenId: null, sessionHash: null };
    const zones = { gpu: zoneConditionText(caged, 'gpu', 'a.id'), job: zoneConditionText(caged, 'job', 'jobs.id'), alert: zoneConditionText(caged, 'alert', 'a.id') };
    await freshInstance(async (hub, own) => {
      const scoped = await hub.get(scopedKey, () => siteOverview(own.pool, siteId, Date.now(), zones));
      expect(hub.computations.get(scopedKey)).toBe(1);
      expect(scoped.itPowerW).toBeNull();
      expect(scoped.gpus.total).toBeLessThan(all.gpus.total);
    });
    // And the other way round: the scope's row, young, does not stand in for the site-wide key of a fresh process.
    await storedRow(`overview:${siteId}:all`, MAX_AGE_MS + 5_000, 0);
    await storedRow(scopedKey, 1_000, 0);
    await freshInstance(async (hub, own) => {
      const site = await hub.get(`overview:${siteId}:all`, () => siteOverview(own.pool, siteId));
      expect(hub.computations.get(`overview:${siteId}:all`)).toBe(1);
      expect(site.itPowerW).not.toBeNull();
    });
  });

  it('trends are cached per range until new rollups land', async () => {
    const cache = new TrendCache(instances[0]!.handle.pool, instances[0]!.bus, ROLLUP_CHANNEL);
    try {
      const pool = instances[0]!.handle.pool;
      const day = 86_400_000;
      const load = () => cache.get<SiteTrends>(`trends:${siteId}:${day}:now`, () => siteTrends(pool, siteId, { sinceMs: day }));
      const first = await load();
      expect(first.resolution).toBe('1m');
      await load();
      await load();
      expect(cache.computations.get(`trends:${siteId}:${day}:now`)).toBe(1);
      // Another range is another entry.
      await cache.get(`trends:${siteId}:${2 * day}:now`, () => siteTrends(pool, siteId, { sinceMs: 2 * day }));
      expect(cache.computations.get(`trends:${siteId}:${2 * day}:now`)).toBe(1);

      const rolled = instances[0]!.bus.next(ROLLUP_CHANNEL, 10_000);
      const run = await runRollups(db.pool, { nowMs: Date.now() + 120_000 });
      expect(run.batches).toBeGreaterThan(0);
      expect(await rolled).toBe(true);
      await new Promise((r) => setTimeout(r, 50));
      await load();
      expect(cache.computations.get(`trends:${siteId}:${day}:now`)).toBe(2);
    } finally {
      cache.close();
    }
  });

  it('the plant analysis is shared until a plant table changes (plant_version), and never cached inside a transaction', async () => {
    const first = await analysePlant(db.db, siteId);
    expect(await analysePlant(db.db, siteId)).toBe(first);
    const rack = (await db.pool.query<{ id: number; max_power_kw: number }>(`SELECT id, max_power_kw FROM racks WHERE name = 'A1-01'`)).rows[0]!;
    const budget = () => first.model.chain.racks.find((r) => r.id === String(rack.id))!.powerBudgetW;
    expect(budget()).toBe(rack.max_power_kw * 1000);
    await db.pool.query('UPDATE racks SET max_power_kw = max_power_kw + 1 WHERE id = $1', [rack.id]);
    const second = await analysePlant(db.db, siteId);
    expect(second).not.toBe(first);
    expect(second.model.chain.racks.find((r) => r.id === String(rack.id))!.powerBudgetW).toBe((rack.max_power_kw + 1) * 1000);
    // A transaction that changes the plant and rolls back leaves the shared analysis as it was.
    await db.db
      .transaction(async (tx) => {
        await tx.execute(sql`UPDATE racks SET max_power_kw = max_power_kw + 50 WHERE id = ${rack.id}`);
        const inside = await analysePlant(tx as never, siteId);
        expect(inside.model.chain.racks.find((r) => r.id === String(rack.id))!.powerBudgetW).toBe((rack.max_power_kw + 51) * 1000);
        throw new Error('roll back');
      })
      .catch(() => {});
    expect(await analysePlant(db.db, siteId)).toBe(second);
  });
});
