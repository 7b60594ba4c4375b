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
    // Accelerators are the GPUs plus the TPU hall's chips (a v5p 4×4×8 pod and a v5e 8×8 pod: 128 + 64).
    const counted = await database.db.execute<{ gpus: number; tpus: number }>(
      sql`SELECT count(*) FILTER (WHERE c.accelerator_id IS NULL)::int AS gpus, count(c.accelerator_id)::int AS tpus FROM accelerators a LEFT JOIN tpu_chips c ON c.accelerator_id = a.id`,
    );
    expect(counted.rows[0]).toEqual({ gpus, tpus: 192 });
    const third = await seedIfEmpty(database.db, 'demo');
    expect(third.seeded).toBe(false);
    const sites = await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM sites`);
    expect(sites.rows[0]!.n).toBe(1);
  });

  it('serves sites and halls through the tRPC router', async () => {
    const caller = createCaller(createContext(database));
    const sites = await caller.sites.listWithHalls();
    expect(sites).toHaveLength(1);
    expect(sites[0]!.halls.map((hall) => hall.name)).toEqual(['Hall A', 'Hall B', 'Hall T']);
    expect(sites[0]!.halls.every((hall) => hall.rackCount > 0)).toBe(true);
    const hallA = sites[0]!.halls.find((hall) => hall.name === 'Hall A')!;
    expect((await caller.halls.rows({ id: hallA.id })).map((row) => row.name)).toEqual(['A1', 'A2', 'A3']); // A3: the AMD MI300X row
  });

  it('seeds a liquid-cooled TPU hall: one cube per rack, both feeds, CDUs', async () => {
    const racks = (
      await database.db.execute<{ rack: string; hosts: number; chips: number; cooling: string; pdus: number }>(sql`
        SELECT r.name AS rack, count(DISTINCT d.id)::int AS hosts, count(c.accelerator_id)::int AS chips, r.cooling_kind::text AS cooling,
               (SELECT count(*)::int FROM power_nodes p WHERE p.rack_id = r.id AND p.kind = 'rack-pdu') AS pdus
        FROM racks r JOIN devices d ON d.rack_id = r.id JOIN accelerators a ON a.device_id = d.id JOIN tpu_chips c ON c.accelerator_id = a.id
        GROUP BY r.id ORDER BY r.name`)
    ).rows;
    expect(racks).toEqual([
      { rack: 'T1-01', hosts: 16, chips: 64, cooling: 'direct-liquid', pdus: 2 },
      { rack: 'T1-02', hosts: 16, chips: 64, cooling: 'direct-liquid', pdus: 2 },
      { rack: 'T1-03', hosts: 8, chips: 64, cooling: 'direct-liquid', pdus: 2 },
    ]);
    const psus = await database.db.execute<{ n: number }>(sql`
      SELECT count(*)::int AS n FROM psu_connections p JOIN devices d ON d.id = p.device_id WHERE d.name LIKE 'tpu-%'`);
    expect(psus.rows[0]!.n).toBe(2 * 40);
    const cdus = await database.db.execute<{ name: string }>(sql`
      SELECT u.name FROM cooling_units u JOIN cooling_served_areas a ON a.unit_id = u.id JOIN halls h ON h.id = a.hall_id
      WHERE h.name = 'Hall T' AND u.kind = 'cdu' ORDER BY u.name`);
    expect(cdus.rows.map((r) => r.name)).toEqual(['CDU T-1', 'CDU T-2']);
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

  it('writes a tick to the heartbeat row only when it changes the status; the periodic heartbeat carries the rest', async () => {
    let ticks = 0;
    let failing = false;
    const runner = new WorkerRunner(database.db, 'test-instance');
    runner.add({
      name: 'fast',
      intervalMs: 20,
      tick: async () => {
        ticks++;
        if (failing) throw new Error('probe failed');
        return `tick ${ticks}`;
      },
    });
    const row = async () =>
      (
        await database.pool.query<{ status: string; detail: string; at: Date }>(
          `SELECT status, detail, heartbeat_at AS at FROM worker_heartbeats WHERE name = 'fast' AND instance = 'test-instance'`,
        )
      ).rows[0];
    runner.start();
    await expect.poll(async () => (await row())?.status, { timeout: 5_000 }).toBe('running');
    const first = (await row())!;
    const ticksAtFirst = ticks;
    // Well within the 5 s periodic heartbeat: many ticks, no write.
    await expect.poll(() => ticks, { timeout: 5_000 }).toBeGreaterThan(ticksAtFirst + 20);
    expect(await row()).toEqual(first);
    // A failure is written at once, and so is the recovery.
    failing = true;
    await expect.poll(async () => (await row())?.status, { timeout: 2_000 }).toBe('error');
    expect((await row())!.detail).toBe('probe failed');
    failing = false;
    await expect.poll(async () => (await row())?.status, { timeout: 2_000 }).toBe('running');
    await runner.stop();
  });

  it('says the database is down instead of throwing', async () => {
    const unreachable = createDb('postgresql://nobody@127.0.0.1:1/none');
    const health = await getHealth(unreachable.pool);
    await unreachable.pool.end();
    expect(health.status).toBe('down');
    expect(health.database.status).toBe('down');
  });
});
