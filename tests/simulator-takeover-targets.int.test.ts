/**
 * A simulated world that takes over (after the instance running the old one died) listens on new ports: its device
 * protocol targets (SNMP agents, Modbus units, the Redfish service) must move to the new addresses as the same rows,
 * so an operator's enabled flag and the series' target survive, and no stale address is left behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedIfEmpty } from '../src/server/db/seed';
import { SimulatorHost } from '../src/server/services/simulator-host';
import { loadSimInventory } from '../src/server/services/telemetry/sim-inventory';
import { createTestDatabase, type TestDatabase } from './db';

let db: TestDatabase;
const options = { accel: 1, seed: 5, port: 0, host: '127.0.0.1', scrapeIntervalMs: 10_000, inventoryRefreshMs: 60_000 };
type Row = { id: number; url: string; dialect: string; target_key: string; enabled: boolean };
const protocolTargets = async () =>
  (
    await db.pool.query<Row>(
      `SELECT id, url, dialect, target_key, enabled FROM scrape_targets WHERE managed_by = 'simulator' AND dialect IN ('snmp', 'modbus', 'redfish') ORDER BY id`,
    )
  ).rows;

beforeAll(async () => {
  db = await createTestDatabase();
  await seedIfEmpty(db.db, 'demo');
});

afterAll(async () => {
  await db?.drop();
});

describe('a world that takes over', () => {
  it('moves the device protocol targets to its own addresses, keeping their rows', async () => {
    const first = new SimulatorHost(db.pool, options);
    await first.start();
    const before = await protocolTargets();
    await first.stop();
    expect(new Set(before.map((t) => t.dialect))).toEqual(new Set(['snmp', 'modbus', 'redfish']));
    // An operator turned one off; the new world must not turn it back on.
    await db.pool.query('UPDATE scrape_targets SET enabled = false WHERE id = $1', [before[0]!.id]);

    const second = new SimulatorHost(db.pool, options);
    await second.start();
    try {
      const after = await protocolTargets();
      expect(after.map((t) => t.id)).toEqual(before.map((t) => t.id));
      expect(after.map((t) => t.target_key)).toEqual(before.map((t) => t.target_key));
      const moved = after.filter((t, i) => t.url !== before[i]!.url).length;
      expect(moved).toBeGreaterThan(0);
      // Every address is one the new world serves.
      const wanted = new Set(second.simulatorTargets(await loadSimInventory(db.pool)).map((t) => `${t.url} ${t.targetKey}`));
      for (const t of after) expect(wanted.has(`${t.url} ${t.target_key}`), t.url).toBe(true);
      expect(after[0]!.enabled).toBe(false);
    } finally {
      await second.stop();
    }
  });
});
