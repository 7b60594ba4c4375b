import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller } from '../src/server/api/root';
import { createContext } from '../src/server/api/trpc';
import { createDb } from '../src/server/db/client';
import { migrationState, runMigrations } from '../src/server/db/migrate';
import { seedIfEmpty } from '../src/server/db/seed';
import { getHealth } from '../src/server/services/health';
import { heartbeatWorker, WorkerRunner } from '../src/server/services/workers';
import { createTestDatabase, type TestDatabase } from './db';

describe('migrations', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase({ migrate: false });
  });
  afterAll(() => database.drop());

  it('apply once when several processes start together, and again as a no-op', async () => {
    const pools = Array.from({ length: 4 }, () => createDb(database.url, { max: 2 }));
    const states = await Promise.all(pools.map((handle) => runMigrations(handle.pool)));
    await Promise.all(pools.map((handle) => handle.pool.end()));
    for (const state of states) expect(state.pending).toBe(0);
    const applied = states[0]!.applied;
    expect(applied).toBeGreaterThan(0);
    const again = await runMigrations(database.pool);
    expect(again).toEqual(states[0]);
    const rows = await database.pool.query('SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations');
    expect(rows.rows[0].n).toBe(applied);
  });
});

describe('demo seed', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it('seeds exactly once even when two processes race, within the promised GPU range', async () => {
    const [first, second] = await Promise.all([seedIfEmpty(database.db, 'demo'), seedIfEmpty(database.db, 'demo')]);
    expect([first.seeded, second.seeded].filter(Boolean)).toHaveLength(1);
    const gpus = first.gpus + second.gpus;
    expect(gpus).toBeGreaterThanOrEqual(256);
    expect(gpus).toBeLessThanOrEqual(1024);
    const counted = await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM accelerators`);
    expect(counted.rows[0]!.n).toBe(gpus);
    const third = await seedIfEmpty(database.db, 'demo');
    expect(third.seeded).toBe(false);
    const sites = await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM sites`);
    expect(sites.rows[0]!.n).toBe(1);
  });

  it('serves sites and halls through the tRPC router', async () => {
    const caller = createCaller(createContext(database));
    const sites = await caller.sites.listWithHalls();
    expect(sites).toHaveLength(1);
    expect(sites[0]!.halls.map((hall) => hall.name)).toEqual(['Hall A', 'Hall B']);
    expect(sites[0]!.halls.every((hall) => hall.rackCount > 0)).toBe(true);
    const hallA = sites[0]!.halls.find((hall) => hall.name === 'Hall A')!;
    expect((await caller.halls.rows({ id: hallA.id })).map((row) => row.name)).toEqual(['A1', 'A2', 'A3']); // A3: the AMD MI300X row
  });

  it('draws the upstream power chain with both sides', async () => {
    const caller = createCaller(createContext(database));
    const [site] = await caller.sites.listWithHalls();
    const diagram = await caller.power.upstreamDiagram({ siteId: site!.id });
    expect(diagram.source).toMatch(/^flowchart TB/);
    expect(diagram.source).toContain('UPS A');
    expect(diagram.source).toContain('UPS B');
    expect(diagram.source).toContain('Side A');
  });

  it('rejects bad input naming the field', async () => {
    const caller = createCaller(createContext(database));
    await expect(caller.power.upstreamDiagram({ siteId: -1 })).rejects.toThrow(/siteId/);
  });
});

describe('health', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it('reports the database, the migrations and each worker', async () => {
    const runner = new WorkerRunner(database.db);
    runner.add(heartbeatWorker(database.db));
    runner.start();
    await expect.poll(async () => (await getHealth(database.pool)).workers.length, { timeout: 10_000 }).toBe(1);
    const health = await getHealth(database.pool);
    expect(health.status).toBe('ok');
    expect(health.database.status).toBe('up');
    expect(health.migrations).toEqual(await migrationState(database.pool));
    expect(health.workers[0]).toMatchObject({ name: 'heartbeat', status: 'running', stale: false });
    await runner.stop();
    const stopped = await getHealth(database.pool);
    expect(stopped.workers[0]!.status).toBe('stopped');
  });

  it('says the database is down instead of throwing', async () => {
    const unreachable = createDb('postgresql://nobody@127.0.0.1:1/none');
    const health = await getHealth(unreachable.pool);
    await unreachable.pool.end();
    expect(health.status).toBe('down');
    expect(health.database.status).toBe('down');
  });
});
