import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, createUser } from '@/server/auth/accounts';
import { seedIfEmpty } from '@/server/db/seed';
import { queryTelemetry } from '@/server/services/telemetry/query';
import { encodeWriteRequest } from '@/telemetry/remote-write.testkit';
import { createTestDatabase, type TestDatabase } from '../../../../../tests/db';
import { POST } from './route';

/** Prometheus remote-write into Plenum: authenticated writers only, then the same mapping and storage as scrapes. */
describe('POST /api/v1/write', () => {
  let database: TestDatabase;
  const previousUrl = process.env.DATABASE_URL;
  const tokens = { viewer: '', operator: '' };
  let gpuUuid = '';

  beforeAll(async () => {
    database = await createTestDatabase();
    await seedIfEmpty(database.db, 'demo');
    process.env.DATABASE_URL = database.url;
    for (const role of ['viewer', 'operator'] as const) {
      const user = await createUser(database.db, { username: `rw-${role}`, role, password: `remote write ${role} password`, allZones: true, zoneIds: [] });
      tokens[role] = (await createToken(database.db, { userId: user.id, name: 'rw', role, allZones: true, zoneIds: [], expiresAt: null, createdBy: null })).secret;
    }
    gpuUuid = (await database.pool.query<{ uuid: string }>(`SELECT a.uuid FROM accelerators a JOIN devices d ON d.id = a.device_id WHERE d.name = 'a1-01-gpu1' AND a.index = 0`)).rows[0]!.uuid;
  });
  afterAll(async () => {
    const holder = globalThis as unknown as { __plenumDb?: { pool: { end: () => Promise<void> } } };
    await holder.__plenumDb?.pool.end();
    holder.__plenumDb = undefined;
    if (previousUrl === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = previousUrl;
    await database.drop();
  });

  const write = (body: Uint8Array, token?: string) =>
    POST(new Request('http://localhost/api/v1/write', { method: 'POST', body: Buffer.from(body), headers: { 'content-type': 'application/x-protobuf', ...(token ? { authorization: `Bearer ${token}` } : {}) } }));
  const payload = () =>
    encodeWriteRequest([
      {
        labels: { __name__: 'DCGM_FI_DEV_POWER_USAGE', gpu: '0', UUID: gpuUuid, Hostname: 'a1-01-gpu1', modelName: 'NVIDIA H100 80GB HBM3' },
        samples: [[612.5, Date.now() - 1_000]],
      },
    ]);

  it('refuses a writer without a token (401) and a read-only token (403)', async () => {
    expect((await write(payload())).status).toBe(401);
    expect((await write(payload(), tokens.viewer)).status).toBe(403);
  });

  it('rejects a body that is not snappy-compressed protobuf with 400 and the reason', async () => {
    const response = await write(Uint8Array.from([0xff, 0xff, 0xff]), tokens.operator);
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/snappy|protobuf/i);
  });

  it('stores an operator’s samples, mapped to the GPU by UUID', async () => {
    expect((await write(payload(), tokens.operator)).status).toBe(204);
    await expect
      .poll(async () => (await queryTelemetry(database.pool, { metric: 'gpu_power_w', entity: gpuUuid, sinceMs: 60_000 })).series.flatMap((s) => s.points.map((p) => p.v)), { timeout: 10_000 })
      .toEqual([612.5]);
  });
});
