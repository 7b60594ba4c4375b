import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, createUser } from '@/server/auth/accounts';
import { seedIfEmpty } from '@/server/db/seed';
import { createTestDatabase, type TestDatabase } from '../../../../tests/db';
import { GET as deviceTypesCsv } from './deviceTypes.csv/route';
import { GET as devicesCsv } from './devices.csv/route';
import { GET as racksCsv } from './racks.csv/route';

/** The CSV route handlers against a seeded database, through the same tRPC caller the pages use. */
describe('CSV exports of the list views', () => {
  let database: TestDatabase;
  const previousUrl = process.env.DATABASE_URL;

  beforeAll(async () => {
    database = await createTestDatabase();
    await seedIfEmpty(database.db, 'demo');
    process.env.DATABASE_URL = database.url;
    const viewer = await createUser(database.db, { username: 'csv-viewer', role: 'viewer', password: 'csv viewer password', allZones: true, zoneIds: [] });
    token = (await createToken(database.db, { userId: viewer.id, name: 'csv', role: 'viewer', allZones: true, zoneIds: [], expiresAt: null, createdBy: null })).secret;
  });
  /** The exports need a signed-in caller: a viewer's API token. */
  let token = '';
  const get = (url: string) => new Request(url, { headers: { authorization: `Bearer ${token}` } });

  it('refuses anonymous callers with 401', async () => {
    expect((await racksCsv(new Request('http://localhost/api/export/racks.csv'))).status).toBe(401);
  });
  afterAll(async () => {
    const holder = globalThis as unknown as { __plenumDb?: { pool: { end: () => Promise<void> } } };
    await holder.__plenumDb?.pool.end();
    holder.__plenumDb = undefined;
    if (previousUrl === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = previousUrl;
    await database.drop();
  });

  const lines = async (response: Response) => (await response.text()).split('\r\n').filter(Boolean);

  it('racks.csv: a header with units, every rack across pages, filters applied', async () => {
    const all = await lines(await racksCsv(get('http://localhost/api/export/racks.csv')));
    expect(all[0]).toBe('id,name,hall,row,status,u_height,used_u,device_count,max_power_kw,nameplate_power_w,max_weight_kg,weight_kg,cooling_kind,security_zone');
    const [{ n }] = (await database.pool.query('SELECT count(*)::int AS n FROM racks')).rows as [{ n: number }];
    expect(all).toHaveLength(n + 1);
    const hallA = await lines(await racksCsv(get('http://localhost/api/export/racks.csv?search=A1-0')));
    expect(hallA.slice(1).every((line) => line.split(',')[1]!.startsWith('A1-0'))).toBe(true);
    expect(hallA.length).toBeGreaterThan(1);
  });

  it('devices.csv streams every device and filters by kind', async () => {
    const all = await lines(await devicesCsv(get('http://localhost/api/export/devices.csv')));
    const [{ n }] = (await database.pool.query('SELECT count(*)::int AS n FROM devices')).rows as [{ n: number }];
    expect(all).toHaveLength(n + 1);
    expect(all[0]).toContain('nameplate_power_w');
    const switches = await lines(await devicesCsv(get('http://localhost/api/export/devices.csv?kind=switch')));
    expect(switches.slice(1).every((line) => line.split(',')[3] === 'switch')).toBe(true);
  });

  it('deviceTypes.csv lists the types; a bad filter is a 400 naming the field', async () => {
    const types = await lines(await deviceTypesCsv(get('http://localhost/api/export/deviceTypes.csv')));
    expect(types).toHaveLength(10); // a header and the demo seed's 9 types (incl. the AMD server and the two TPU hosts)
    const bad = await racksCsv(get('http://localhost/api/export/racks.csv?status=burning'));
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { fieldErrors: { field: string }[] };
    expect(body.fieldErrors[0]!.field).toBe('status');
  });
});
