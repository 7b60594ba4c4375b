/**
 * Pages at any size, against a real PostgreSQL with the demo seed: a hall's rack table is paged on the server (counts,
 * order, no rack twice or missing), the floor plan ships only what a tile draws, and the /network fabric statistics
 * (cached per plant version) match a direct count and follow a change to the network tables.
 */
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller } from '../src/server/api/root';
import { RACK_TABLE_MAX_LIMIT } from '../src/server/api/routers/halls';
import { createContext } from '../src/server/api/trpc';
import { seedIfEmpty } from '../src/server/db/seed';
import { createTestDatabase, type TestDatabase } from './db';

let database: TestDatabase;
let caller: ReturnType<typeof createCaller>;
let hallId: number;
let siteId: number;

beforeAll(async () => {
  database = await createTestDatabase();
  await seedIfEmpty(database.db, 'demo');
  caller = createCaller(createContext(database));
  hallId = (await database.pool.query<{ id: number }>(`SELECT id FROM halls WHERE slug = 'hall-a'`)).rows[0]!.id;
  siteId = (await database.pool.query<{ id: number }>(`SELECT id FROM sites WHERE slug = 'ams-ai-1'`)).rows[0]!.id;
});

afterAll(() => database?.drop());

describe("a hall's rack table, paged on the server", () => {
  it('pages through every rack once, in name order, with the total on every page', async () => {
    const expected = (await database.pool.query<{ name: string }>('SELECT name FROM racks WHERE hall_id = $1 ORDER BY name, id', [hallId])).rows.map((r) => r.name);
    expect(expected.length).toBeGreaterThan(7);
    const seen: string[] = [];
    for (let offset = 0; offset < expected.length; offset += 3) {
      const page = await caller.halls.rackTable({ id: hallId, offset, limit: 3 });
      expect(page.total).toBe(expected.length);
      expect(page.offset).toBe(offset);
      expect(page.racks.length).toBe(Math.min(3, expected.length - offset));
      seen.push(...page.racks.map((r) => r.name));
    }
    expect(seen).toEqual(expected);
    const past = await caller.halls.rackTable({ id: hallId, offset: expected.length, limit: 3 });
    expect(past).toMatchObject({ total: expected.length, racks: [] });
  });

  it('carries each rack the same load and headroom the floor plan analysis gives, and the floor plan only tile fields', async () => {
    const page = await caller.halls.rackTable({ id: hallId, offset: 0, limit: RACK_TABLE_MAX_LIMIT });
    const plan = await caller.halls.floorPlan({ id: hallId });
    expect(plan.racks.map((r) => r.id).sort()).toEqual(page.racks.map((r) => r.id).sort());
    const tile = new Map(plan.racks.map((r) => [r.id, r]));
    for (const rack of page.racks) {
      expect(rack.loadW).toBe(tile.get(rack.id)!.loadW);
      expect(rack.utilizationPct).toBe(tile.get(rack.id)!.utilizationPct);
      expect(rack.maxPowerKw).toBeGreaterThan(0);
    }
    expect(Object.keys(plan.racks[0]!).sort()).toEqual(['accelerators', 'coolingKind', 'gridX', 'gridY', 'id', 'loadW', 'name', 'rowName', 'status', 'utilizationPct', 'zoneName']);
  });

  it('refuses a page larger than the limit and a negative offset, naming the field', async () => {
    for (const input of [
      { id: hallId, offset: 0, limit: RACK_TABLE_MAX_LIMIT + 1 },
      { id: hallId, offset: -1, limit: 10 },
    ]) {
      const error = await caller.halls.rackTable(input).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TRPCError);
      expect((error as TRPCError).code).toBe('BAD_REQUEST');
      expect((error as TRPCError).message).toMatch(input.offset < 0 ? /offset/ : /limit/);
    }
  });
});

describe('/network fabric statistics', () => {
  it('match a direct count, and follow a new port and link on the network tables', async () => {
    const direct = async () =>
      (
        await database.pool.query<{ id: number; ports: number; links: number }>(
          `SELECT f.id, (SELECT count(*)::int FROM interfaces i WHERE i.fabric_id = f.id) AS ports,
                  (SELECT count(DISTINCT e.link_id)::int FROM interfaces i JOIN link_ends e ON e.interface_id = i.id WHERE i.fabric_id = f.id) AS links
             FROM fabrics f WHERE f.site_id = $1 ORDER BY f.name`,
          [siteId],
        )
      ).rows;
    const before = await caller.network.fabrics({ siteId });
    expect(before.map((f) => ({ id: f.id, ports: f.ports, links: f.links }))).toEqual(await direct());
    expect(before.some((f) => f.links > 0)).toBe(true);

    // Two new ports of the first fabric with links between them: one more link, two more ports.
    const fabric = before.find((f) => f.links > 0)!;
    const devices = (await database.pool.query<{ id: number }>(`SELECT DISTINCT i.device_id AS id FROM interfaces i WHERE i.fabric_id = $1 LIMIT 2`, [fabric.id])).rows;
    const ports = [];
    for (const [k, d] of devices.entries()) {
      ports.push((await database.pool.query<{ id: number }>(`INSERT INTO interfaces (device_id, name, kind, fabric_id, speed_gbps) VALUES ($1, $2, 'infiniband', $3, 400) RETURNING id`, [d.id, `paging-test-${k}`, fabric.id])).rows[0]!.id);
    }
    const link = (await database.pool.query<{ id: number }>(`INSERT INTO links DEFAULT VALUES RETURNING id`)).rows[0]!.id;
    await database.pool.query(`INSERT INTO link_ends (link_id, "end", interface_id) VALUES ($1, 'a', $2), ($1, 'b', $3)`, [link, ports[0], ports[1] ?? ports[0]]);
    const after = await caller.network.fabrics({ siteId });
    const changed = after.find((f) => f.id === fabric.id)!;
    expect(changed.ports).toBe(fabric.ports + ports.length);
    expect(changed.links).toBe(fabric.links + 1);
    expect(after.map((f) => ({ id: f.id, ports: f.ports, links: f.links }))).toEqual(await direct());
  });
});
