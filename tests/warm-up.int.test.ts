/**
 * The start-up warm-up fills the caches the request handlers read: `npm start` warms on the start script's pool while
 * the handlers query through their own (`getDb()`, the same URL), so the caches are per database, not per pool.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../src/server/db/client';
import { fabricStats } from '../src/server/services/fabric-stats';
import { analysePlant } from '../src/server/services/plant';
import { processCache } from '../src/server/services/process-cache';
import { warmPlantCaches } from '../src/server/services/warm-up';
import { createDemoTelemetryDatabase, type TestDatabase } from './db';

let db: TestDatabase;
let start: DbHandle;
let web: DbHandle;

beforeAll(async () => {
  db = await createDemoTelemetryDatabase();
  start = createDb(db.url, { max: 2 });
  web = createDb(db.url, { max: 4 });
});

afterAll(async () => {
  await start?.pool.end();
  await web?.pool.end();
  await db?.drop();
});

describe('warming the plant caches at start-up', () => {
  it('reads every site once, and another pool on the database then answers from what it read', async () => {
    const sites = (await db.pool.query<{ id: number }>('SELECT id FROM sites ORDER BY id')).rows.map((r) => r.id);
    const plant = processCache<number, { version: number; analysis: () => Promise<unknown> }>('plant:shared', web.pool);
    const lists = processCache<string, { value: Promise<unknown> }>('dashboards:plant-versioned', web.pool);
    const fabrics = processCache<number, { stats: Promise<unknown> }>('fabric-stats', web.pool);
    expect(sites.every((id) => !plant.has(id) && !lists.has(`gpus:${id}`) && !fabrics.has(id))).toBe(true);

    const warm = await warmPlantCaches(start);
    expect(warm.sites).toBe(sites.length);
    expect(sites.length).toBeGreaterThan(0);
    for (const id of sites) {
      expect(lists.has(`gpus:${id}`)).toBe(true);
      expect(lists.has(`drawing-devices:${id}`)).toBe(true);
      // The handlers' pool gets the very objects the warm-up built: nothing read or analysed again.
      expect(await analysePlant(web.db, id)).toBe(await plant.get(id)!.analysis());
      expect(await fabricStats(web.db, id)).toBe(await fabrics.get(id)!.stats);
    }
    // A plant change still makes the next reader build a new analysis.
    const before = await analysePlant(web.db, sites[0]!);
    await db.pool.query(`UPDATE racks SET max_power_kw = max_power_kw + 1 WHERE id = (SELECT min(id) FROM racks)`);
    expect(await analysePlant(web.db, sites[0]!)).not.toBe(before);
  });

  it('a database is its URL: a pool on another database has caches of its own', async () => {
    const other = await createDemoTelemetryDatabase();
    try {
      const site = (await db.pool.query<{ id: number }>('SELECT id FROM sites ORDER BY id LIMIT 1')).rows[0]!.id;
      const here = await analysePlant(web.db, site);
      const there = await analysePlant(other.db, site);
      expect(there).not.toBe(here);
      expect(processCache('plant:shared', other.pool)).not.toBe(processCache('plant:shared', web.pool));
    } finally {
      await other.drop();
    }
  });
});
