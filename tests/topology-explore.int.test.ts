import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller } from '../src/server/api/root';
import { createContext } from '../src/server/api/trpc';
import { seedIfEmpty } from '../src/server/db/seed';
import { createTestDatabase, type TestDatabase } from './db';
import { fieldErrors } from './field-errors';

/** The bounded, hierarchical topology on the demo seed: what the site shows closed, opened, and searched. */
describe('topology.explore on the demo seed', () => {
  let database: TestDatabase;
  let caller: ReturnType<typeof createCaller>;
  let siteId: number;

  beforeAll(async () => {
    database = await createTestDatabase();
    await seedIfEmpty(database.db, 'demo');
    caller = createCaller(createContext(database));
    siteId = (await caller.sites.listWithHalls())[0]!.id;
  });
  afterAll(() => database.drop());

  it('shows the power chain as sources and closed halls, then opens a hall and a row', async () => {
    const site = await caller.topology.explore({ siteId, view: 'power' });
    const labels = site.nodes.map((n) => n.label);
    expect(labels).toEqual(expect.arrayContaining(['UPS A', 'UPS B', 'Hall A']));
    expect(labels).not.toContain('Rack A1-01');
    const hallA = site.nodes.find((n) => n.label === 'Hall A')!;
    expect(hallA.kind).toBe('group');
    expect(site.edges.some((e) => e.to === hallA.id)).toBe(true);
    expect(site.mermaid).toContain('flowchart TB');

    const row = (await caller.topology.explore({ siteId, view: 'power', expanded: [hallA.id] })).nodes.find((n) => n.label === 'Row A1')!;
    const opened = await caller.topology.explore({ siteId, view: 'power', expanded: [hallA.id, row.id] });
    expect(opened.expanded).toEqual([hallA.id, row.id]);
    const rack = opened.nodes.find((n) => n.label === 'Rack A1-01')!;
    expect(rack.kind).toBe('group');
    // A rack's own figures (3 × 10.2 kW allocated of its 40 kW budget), not the sum of its A and B rack PDUs.
    expect(rack.detail).toBe('2 inside · 30.6 kW / 40 kW');
    expect(opened.nodes.length).toBeLessThanOrEqual(opened.maxNodes);
    // Both rack PDUs of a closed rack merge into one edge per upstream PDU or one with a count.
    expect(opened.edges.filter((e) => e.to === rack.id).reduce((n, e) => n + e.count, 0)).toBe(2);
  });

  it('finds a node by name and opens the groups above it; an unknown name is a field error', async () => {
    const found = await caller.topology.explore({ siteId, view: 'cooling', focus: 'CRAH A-1' });
    expect(found.nodes.find((n) => n.id === found.focusId)?.label).toBe('CRAH A-1');
    expect(found.expanded.length).toBeGreaterThan(0);
    // With other groups open, the path to the node searched for opens too.
    const site = await caller.topology.explore({ siteId, view: 'power' });
    const halls = site.nodes.filter((n) => n.kind === 'group').map((n) => n.id);
    const crowded = await caller.topology.explore({ siteId, view: 'power', expanded: halls, focus: 'B1-04 PDU-A' });
    expect(crowded.nodes.find((n) => n.id === crowded.focusId)?.label).toBe('B1-04 PDU-A');
    expect(await fieldErrors(caller.topology.explore({ siteId, view: 'power', focus: 'no such node' }))).toMatchObject({ focus: expect.stringContaining('nothing named like') });
  });

  it('draws the fabric as spines, leaf groups and host groups with oversubscription', async () => {
    const site = await caller.topology.explore({ siteId, view: 'network' });
    expect(site.fabric).not.toBeNull();
    expect(site.nodes.some((n) => n.detail === 'spine')).toBe(true);
    const hallA = site.nodes.find((n) => n.label === 'Hall A')!;
    const hall = await caller.topology.explore({ siteId, view: 'network', expanded: [hallA.id] });
    const row = hall.nodes.find((n) => n.label === 'Row A1')!;
    const opened = await caller.topology.explore({ siteId, view: 'network', expanded: [hallA.id, row.id] });
    expect(opened.nodes.some((n) => n.detail?.includes('oversubscription'))).toBe(true);
    expect(opened.nodes.some((n) => n.label.endsWith('hosts'))).toBe(true);
  });

  it('is rebuilt after the inventory changes (a renamed hall, slower host links)', async () => {
    const open = async (view: 'power' | 'network') => {
      const site = await caller.topology.explore({ siteId, view });
      const hall = site.nodes.find((n) => n.label === 'Hall A' || n.label === 'Hall A (renamed)')!;
      const row = (await caller.topology.explore({ siteId, view, expanded: [hall.id] })).nodes.find((n) => n.label === 'Row A1')!;
      return caller.topology.explore({ siteId, view, expanded: [hall.id, row.id] });
    };
    expect((await open('network')).nodes.some((n) => n.detail?.includes('oversubscription 1.00:1'))).toBe(true);
    await database.pool.query(`UPDATE halls SET name = 'Hall A (renamed)' WHERE name = 'Hall A'`);
    expect((await caller.topology.explore({ siteId, view: 'power' })).nodes.map((n) => n.label)).toContain('Hall A (renamed)');
    await database.pool.query(`UPDATE interfaces SET speed_gbps = speed_gbps / 2 WHERE device_id IN (SELECT device_id FROM fabric_members WHERE tier = 'node')`);
    expect((await open('network')).nodes.some((n) => n.detail?.includes('oversubscription 0.50:1'))).toBe(true);
  });
});
