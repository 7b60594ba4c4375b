import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, createUser } from '@/server/auth/accounts';
import { attemptLogin } from '@/server/auth/login';
import { seedIfEmpty } from '@/server/db/seed';
import { queryTelemetry } from '@/server/services/telemetry/query';
import { encodeWriteRequest, snappyLiteral, varint } from '@/telemetry/remote-write.testkit';
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

  const storedPower = async () =>
    (await queryTelemetry(database.pool, { metric: 'gpu_power_w', entity: gpuUuid, sinceMs: 60_000 })).series.flatMap((s) => s.points.map((p) => p.v));

  it('refuses a session cookie: remote-write takes API tokens only', async () => {
    const login = await attemptLogin(database.db, { username: 'rw-operator', password: 'remote write operator password', address: null, userAgent: null });
    if (!login.ok) throw new Error('sign-in failed');
    const response = await POST(
      new Request('http://localhost/api/v1/write', { method: 'POST', body: Buffer.from(payload()), headers: { 'content-type': 'application/x-protobuf', cookie: `plenum_session=${login.sessionId}` } }),
    );
    expect(response.status).toBe(401);
  });

  it('answers 204 only once the samples are committed', async () => {
    const before = (await storedPower()).length;
    expect((await write(payload(), tokens.operator)).status).toBe(204);
    // No polling: the rows must be in PostgreSQL when the writer gets its answer.
    expect((await storedPower()).length).toBe(before + 1);
  });

  it('stores the clean series of a request and drops (and counts) the hostile ones', async () => {
    const body = encodeWriteRequest([
      { labels: { __name__: 'DCGM_FI_DEV_POWER_USAGE', gpu: '0', UUID: gpuUuid, Hostname: 'a1-01-gpu1\u0000evil' }, samples: [[1, Date.now() - 500]] },
      { labels: { __name__: 'DCGM_FI_DEV_POWER_USAGE', gpu: '0', UUID: gpuUuid, Hostname: 'a1-01-gpu1' }, samples: [[700.25, Date.now() - 400]] },
      { labels: { __name__: 'evil_metric', note: 'x'.repeat(10_000) }, samples: [[1, Date.now() - 300]] },
    ]);
    expect((await write(body, tokens.operator)).status).toBe(204);
    expect(await storedPower()).toContain(700.25);
    const drops = await database.pool.query<{ reason: string; samples: number }>('SELECT reason, samples::int FROM telemetry_input_drops ORDER BY reason');
    expect(drops.rows).toEqual([
      { reason: 'label_value_too_long', samples: 1 },
      { reason: 'nul', samples: 1 },
    ]);
  });

  it('maps a GPU whose UUID changed after its pipeline started (a web-only process has no mapping worker)', async () => {
    const gpu = (await database.pool.query<{ id: number }>(`SELECT a.id FROM accelerators a JOIN devices d ON d.id = a.device_id WHERE d.name = 'a1-01-gpu2' AND a.index = 0`)).rows[0]!;
    const replaced = 'GPU-0badc0de-0000-4000-8000-000000000001';
    await database.pool.query('UPDATE accelerators SET uuid = $2 WHERE id = $1', [gpu.id, replaced]);
    const body = encodeWriteRequest([{ labels: { __name__: 'DCGM_FI_DEV_POWER_USAGE', gpu: '0', UUID: replaced, Hostname: 'a1-01-gpu2' }, samples: [[455.5, Date.now() - 200]] }]);
    expect((await write(body, tokens.operator)).status).toBe(204);
    const series = await database.pool.query<{ entity_kind: string; accelerator_id: number | null }>(
      `SELECT entity_kind, accelerator_id FROM telemetry_series WHERE metric = 'gpu_power_w' AND gpu_uuid = $1`,
      [replaced],
    );
    expect(series.rows).toEqual([{ entity_kind: 'gpu', accelerator_id: gpu.id }]);
  });

  describe('size limits (PLENUM_REMOTE_WRITE_MAX_BYTES = 64 KiB)', () => {
    const previous = process.env.PLENUM_REMOTE_WRITE_MAX_BYTES;
    beforeAll(() => {
      process.env.PLENUM_REMOTE_WRITE_MAX_BYTES = String(64 * 1024);
    });
    afterAll(() => {
      if (previous === undefined) delete process.env.PLENUM_REMOTE_WRITE_MAX_BYTES;
      else process.env.PLENUM_REMOTE_WRITE_MAX_BYTES = previous;
    });

    it('refuses a declared Content-Length over the limit without reading the body', async () => {
      let pulled = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          pulled += 65_536;
          if (pulled > 8 * 1024 * 1024) controller.close();
          else controller.enqueue(new Uint8Array(65_536));
        },
      });
      const response = await POST(
        new Request('http://localhost/api/v1/write', {
          method: 'POST',
          body: stream,
          duplex: 'half',
          headers: { authorization: `Bearer ${tokens.operator}`, 'content-length': String(300 * 1024 * 1024) },
        } as RequestInit),
      );
      expect(response.status).toBe(413);
      expect(pulled).toBeLessThanOrEqual(65_536 * 2);
    });

    it('stops reading a streamed body (no Content-Length) as soon as it passes the limit', async () => {
      let pulled = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          pulled += 65_536;
          if (pulled > 32 * 1024 * 1024) controller.close();
          else controller.enqueue(new Uint8Array(65_536));
        },
      });
      const response = await POST(
        new Request('http://localhost/api/v1/write', { method: 'POST', body: stream, duplex: 'half', headers: { authorization: `Bearer ${tokens.operator}` } } as RequestInit),
      );
      expect(response.status).toBe(413);
      expect(pulled).toBeLessThan(1024 * 1024);
    });

    it('refuses a small body whose snappy header declares more than the limit, before decoding', async () => {
      const bomb = Uint8Array.from([...varint(512 * 1024 * 1024), 0]);
      const response = await write(bomb, tokens.operator);
      expect(response.status).toBe(413);
      expect(await response.text()).toMatch(/PLENUM_REMOTE_WRITE_MAX_BYTES/);
      // Under the limit the same framing is decoded as usual.
      expect((await write(snappyLiteral([]), tokens.operator)).status).toBe(204);
    });
  });
});
