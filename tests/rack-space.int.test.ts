import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devices, deviceTypes, halls, manufacturers, racks, rows, sites } from '../src/server/db/schema';
import { createTestDatabase, type TestDatabase } from './db';

/** The database itself keeps devices inside racks, apart from each other, and under the weight limit. */
describe('rack space rules in PostgreSQL', () => {
  let database: TestDatabase;
  let rackId: number;
  let serverTypeId: number;

  beforeAll(async () => {
    database = await createTestDatabase();
    const db = database.db;
    const [site] = await db.insert(sites).values({ slug: 's', name: 'S', utilityCapacityKw: 1000 }).returning();
    const [hall] = await db.insert(halls).values({ siteId: site!.id, slug: 'h', name: 'H', coolingType: 'air', designItLoadKw: 500, gridColumns: 10, gridRows: 10 }).returning();
    const [row] = await db.insert(rows).values({ hallId: hall!.id, name: 'R1', gridX: 1, gridY: 1 }).returning();
    const [rack] = await db.insert(racks).values({ hallId: hall!.id, rowId: row!.id, name: 'R1-01', positionInRow: 1, uHeight: 42, maxPowerKw: 40, maxWeightKg: 300 }).returning();
    rackId = rack!.id;
    const [maker] = await db.insert(manufacturers).values({ name: 'Dell', slug: 'dell' }).returning();
    const [type] = await db.insert(deviceTypes).values({ manufacturerId: maker!.id, model: 'XE9680', slug: 'xe9680', kind: 'server', uHeight: 6, weightKg: 107, nameplatePowerW: 10200 }).returning();
    serverTypeId = type!.id;
  });
  afterAll(() => database.drop());

  const place = (name: string, position: number, options: { face?: 'front' | 'rear'; uHeight?: number; fullDepth?: boolean; weightKg?: number } = {}) =>
    database.db
      .insert(devices)
      .values({
        deviceTypeId: serverTypeId,
        rackId,
        position,
        face: options.face ?? 'front',
        uHeight: options.uHeight ?? 6,
        isFullDepth: options.fullDepth ?? true,
        weightKg: options.weightKg ?? 10,
        name,
      })
      .returning();

  it('rejects an overlapping device', async () => {
    await place('a', 1);
    await expect(place('b', 6)).rejects.toMatchObject({ cause: { constraint: 'devices_no_overlap_front' } });
    await place('c', 7);
  });

  it('lets half-depth devices share a unit on opposite faces, but not with a full-depth one', async () => {
    await place('front-half', 20, { uHeight: 1, fullDepth: false, face: 'front' });
    await place('rear-half', 20, { uHeight: 1, fullDepth: false, face: 'rear' });
    await expect(place('full', 20, { uHeight: 1, fullDepth: true, face: 'front' })).rejects.toMatchObject({ cause: { code: '23P01' } });
  });

  it('rejects a device that does not fit inside the rack', async () => {
    await expect(place('too-high', 40)).rejects.toMatchObject({ cause: { constraint: 'devices_fit_in_rack' } });
  });

  it('rejects a device that would take the rack over its weight limit', async () => {
    await expect(place('heavy', 30, { weightKg: 500 })).rejects.toMatchObject({ cause: { constraint: 'devices_rack_weight' } });
  });

  it('lets exactly one of many racing placements into the same units win', async () => {
    const attempts = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => place(`race-${i}`, 25 + (i % 3))));
    const winners = attempts.filter((a) => a.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    const placed = await database.db.select().from(devices).where(eq(devices.rackId, rackId));
    const spans = placed.filter((d) => d.isFullDepth || d.face === 'front').map((d) => [d.position!, d.position! + d.uHeight - 1]);
    for (const [i, a] of spans.entries()) for (const b of spans.slice(i + 1)) expect(a[1]! < b[0]! || b[1]! < a[0]!).toBe(true);
  });

  it('keeps concurrent placements under the weight limit', async () => {
    // Each 1U device weighs 30 kg; what is left under 300 kg decides how many may land.
    const current = (await database.db.select().from(devices).where(eq(devices.rackId, rackId))).reduce((sum, d) => sum + d.weightKg, 0);
    const room = Math.floor((300 - current) / 30);
    const attempts = await Promise.allSettled(Array.from({ length: room + 5 }, (_, i) => place(`w-${i}`, 32 + i, { uHeight: 1, weightKg: 30 })));
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(room);
  });
});
