import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller } from '../src/server/api/root';
import { createContext } from '../src/server/api/trpc';
import * as s from '../src/server/db/schema';
import { seedIfEmpty } from '../src/server/db/seed';
import { createTestDatabase, type TestDatabase } from './db';
import { fieldErrors } from './field-errors';

/**
 * Rack power in the device forms, on the demo seed. Each Hall A GPU rack holds 3 × XE9680 (10.2 kW nameplate) on two
 * 34.5 kW rack PDUs; with one side lost the other carries 30.6 kW, so a rack takes 3.9 kW more (tests/capacity.int.test.ts).
 * A QM9700 switch is 1.72 kW: two fit (3.44 kW), a third does not.
 */
describe('placing or activating a device checks rack, upstream and failover power and cooling', () => {
  let database: TestDatabase;
  let caller: ReturnType<typeof createCaller>;
  let server: number;
  let switchType: number;
  const rack = async (name: string) => (await database.db.select({ id: s.racks.id }).from(s.racks).where(eq(s.racks.name, name)))[0]!.id;
  const deviceCount = async () => (await database.pool.query('SELECT count(*)::int AS n FROM devices')).rows[0].n as number;

  beforeAll(async () => {
    database = await createTestDatabase();
    await seedIfEmpty(database.db, 'demo');
    caller = createCaller(createContext(database));
    server = (await database.db.select({ id: s.deviceTypes.id }).from(s.deviceTypes).where(eq(s.deviceTypes.model, 'PowerEdge XE9680')))[0]!.id;
    switchType = (await database.db.select({ id: s.deviceTypes.id }).from(s.deviceTypes).where(eq(s.deviceTypes.model, 'QM9700')))[0]!.id;
  });
  afterAll(() => database.drop());

  it('refuses an active 10.2 kW server in a rack with 3.9 kW of headroom, naming the limit, and writes nothing', async () => {
    const before = await deviceCount();
    const errors = await fieldErrors(caller.devices.create({ deviceTypeId: server, rackId: await rack('A1-01'), position: 22, face: 'front', name: 'too-much', status: 'active' }));
    expect(Object.keys(errors)).toEqual(['rackId']);
    expect(errors.rackId).toMatch(/^needs 10\.2 kW, but rack A1-01 has 3\.9 kW of power headroom, limited by A1-01 PDU-[AB] when side [AB] lost; choose another rack, or give an override reason to place it anyway$/);
    expect(await deviceCount()).toBe(before);
  });

  it('places it with an explicit override reason, kept in the change log and the audit log', async () => {
    const device = await caller.devices.create({ deviceTypeId: server, rackId: await rack('A1-02'), position: 22, face: 'front', name: 'overridden', status: 'active', capacityOverrideReason: 'temporary burn-in, one PSU unplugged' });
    const [change] = await database.db.select().from(s.changeLog).where(and(eq(s.changeLog.objectType, 'device'), eq(s.changeLog.objectId, String(device.id))));
    const after = change!.after as { capacityOverride: { reason: string; check: { blocker: string; powerHeadroomW: number } } };
    expect(after.capacityOverride.reason).toBe('temporary burn-in, one PSU unplugged');
    expect(after.capacityOverride.check.blocker).toBe('power');
    expect(after.capacityOverride.check.powerHeadroomW).toBeCloseTo(415 * 60 * Math.sqrt(3) * 0.8 - 30_600, 0);
    const [audit] = await database.db.select().from(s.auditLog).where(and(eq(s.auditLog.action, 'devices.create'), eq(s.auditLog.outcome, 'ok')));
    expect(JSON.stringify(audit)).toContain('temporary burn-in, one PSU unplugged');
    // The rack is now over, as the rack's own figures say; a later status change that adds no load is not blocked.
    const view = await caller.racks.get({ id: await rack('A1-02') });
    expect(view.power!.powerHeadroomW).toBeLessThan(0);
    await caller.devices.update({ id: device.id, changes: { deviceTypeId: server, rackId: await rack('A1-02'), position: 22, face: 'front', name: 'overridden', status: 'maintenance' } });
  });

  it('counts planned devices as planned load: two planned switches fit, the third is refused', async () => {
    const rackId = await rack('A1-03');
    const headroom = async () => (await caller.capacity.headroom({ siteId: (await caller.sites.listWithHalls())[0]!.id })).racks.find((r) => r.name === 'A1-03')!.powerHeadroomW;
    const empty = await headroom();
    await caller.devices.create({ deviceTypeId: switchType, rackId, position: 22, face: 'front', name: 'planned-sw1', status: 'planned' });
    expect(await headroom()).toBeCloseTo(empty - 1720, 0);
    await caller.devices.create({ deviceTypeId: switchType, rackId, position: 23, face: 'front', name: 'planned-sw2', status: 'planned' });
    const errors = await fieldErrors(caller.devices.create({ deviceTypeId: switchType, rackId, position: 24, face: 'front', name: 'planned-sw3', status: 'planned' }));
    // 415 V × 60 A × √3 × 80 % − 30.6 kW − 2 × 1.72 kW = 462 W.
    expect(errors.rackId).toMatch(/^needs 1\.72 kW, but rack A1-03 has 462 W of power headroom, limited by A1-03 PDU-[AB] when side [AB] lost/);
    const view = await caller.racks.get({ id: rackId });
    expect(view.headroom.plannedLoadW).toBe(3440);
    expect(view.headroom.powerHeadroomW).toBeCloseTo(empty - 3440, 0);
    // The live figure leaves planned devices out: nothing is installed yet.
    expect(view.power!.powerHeadroomW).toBeCloseTo(empty, 0);
  });

  it('activating a planned device past the headroom is checked too', async () => {
    const rackId = await rack('A1-04');
    const planned = await caller.devices.create({ deviceTypeId: server, rackId, position: 22, face: 'front', name: 'planned-server', status: 'planned', capacityOverrideReason: 'planning a PDU upgrade first' });
    const errors = await fieldErrors(caller.devices.update({ id: planned.id, changes: { deviceTypeId: server, rackId, position: 22, face: 'front', name: 'planned-server', status: 'active' } }));
    expect(errors.rackId).toMatch(/^needs 10\.2 kW, but rack A1-04 has 3\.9 kW of power headroom/);
    const [row] = await database.db.select({ status: s.devices.status }).from(s.devices).where(eq(s.devices.id, planned.id));
    expect(row!.status).toBe('planned');
  });

  it("the rack's change log shows the devices added to it", async () => {
    const log = await caller.changes.list({ rackId: await rack('A1-03'), limit: 20 });
    expect(log.items.map((c) => `${c.action} ${c.objectType} ${(c.after as { name?: string }).name}`)).toEqual(['create device planned-sw2', 'create device planned-sw1']);
  });
});
