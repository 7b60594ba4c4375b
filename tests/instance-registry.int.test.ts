/**
 * The instance registry in one process (services/instances.ts): singleton roles held by exactly one registry and taken
 * over when the holder's lock connection dies, dead instances and their worker heartbeats cleared by a live one, and
 * /api/health degraded while a role that an instance may take is held by none.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getHealth } from '../src/server/services/health';
import { HEARTBEAT_MS, InstanceRegistry, liveInstances, ROLE_LOCK_KEYS } from '../src/server/services/instances';
import { createTestDatabase, type TestDatabase } from './db';

let db: TestDatabase;
const registries: InstanceRegistry[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  for (const registry of registries) await registry.stop();
  await db?.drop();
});

function registry(roles: ConstructorParameters<typeof InstanceRegistry>[2], events: string[] = []): InstanceRegistry {
  const r = new InstanceRegistry(db.pool, db.url, roles);
  r.onRole('simulator', {
    acquire: async () => void events.push('world started'),
    release: async () => void events.push('world stopped'),
  });
  registries.push(r);
  return r;
}

describe('instance registry', () => {
  it('holds each singleton role in exactly one instance; a survivor takes them when the holder’s connection dies', async () => {
    const firstEvents: string[] = [];
    const secondEvents: string[] = [];
    const first = registry(['scrape', 'rollups', 'alerts', 'simulator'], firstEvents);
    const second = registry(['scrape', 'rollups', 'alerts', 'simulator'], secondEvents);
    await first.tick();
    await second.tick();
    expect(first.rolesHeld).toEqual(['scrape', 'rollups', 'alerts', 'simulator']);
    expect(second.rolesHeld).toEqual(['scrape']);
    expect(firstEvents).toEqual(['world started']);
    expect((await liveInstances(db.pool)).map((i) => i.id).sort()).toEqual([first.id, second.id].sort());

    // The first instance's lock connection ends, as when its process is killed.
    const pid = first.backendPid();
    await db.pool.query('SELECT pg_terminate_backend($1)', [pid]);
    // pg_terminate_backend only signals: the locks go when the backend has exited.
    while ((await db.pool.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount) await new Promise((resolve) => setTimeout(resolve, 20));
    await second.tick();
    expect(second.rolesHeld).toEqual(['scrape', 'rollups', 'alerts', 'simulator']);
    expect(secondEvents).toEqual(['world started']);
    // The first is no longer live, and deleted by the second; when it notices, it stops its world and re-registers.
    expect((await liveInstances(db.pool)).map((i) => i.id)).toEqual([second.id]);
    await first.tick();
    expect(firstEvents).toEqual(['world started', 'world stopped']);
    expect(first.rolesHeld).toEqual(['scrape']);
    expect((await liveInstances(db.pool)).map((i) => i.id).sort()).toEqual([first.id, second.id].sort());
  });

  it('a live instance deletes expired instances and the heartbeats of their workers', async () => {
    await db.pool.query(
      `INSERT INTO instances (id, hostname, pid, version, roles_requested, roles_held, lock_key, started_at, heartbeat_at, lease_expires_at)
       VALUES ('dead-one', 'gone', 1, '0', '{scrape}', '{scrape}', 77, now() - interval '1 minute', now() - interval '1 minute', now() - interval '50 seconds')`,
    );
    await db.pool.query(
      `INSERT INTO worker_heartbeats (name, instance, pid, status, detail, started_at, heartbeat_at)
       VALUES ('telemetry-scraper', 'dead-one', 1, 'running', '', now() - interval '1 minute', now() - interval '1 minute')`,
    );
    expect((await getHealth(db.pool)).workers.some((w) => w.instance === 'dead-one' && w.stale)).toBe(true);
    await registries[1]!.heartbeat();
    expect((await db.pool.query(`SELECT 1 FROM instances WHERE id = 'dead-one'`)).rowCount).toBe(0);
    expect((await db.pool.query(`SELECT 1 FROM worker_heartbeats WHERE instance = 'dead-one'`)).rowCount).toBe(0);
  });

  it('health lists the instances with their roles, and is degraded while a role is held by none', async () => {
    const health = await getHealth(db.pool);
    expect(health.instances?.map((i) => i.rolesHeld)).toContainEqual(['scrape', 'rollups', 'alerts', 'simulator']);
    expect(health.roles).toEqual([
      { role: 'rollups', holder: registries[1]!.id },
      { role: 'alerts', holder: registries[1]!.id },
      { role: 'simulator', holder: registries[1]!.id },
    ]);
    expect(health.status).toBe('ok');

    // A third instance may take `partitions`, but something outside the registry holds its lock.
    const squatter = new pg.Client({ connectionString: db.url });
    await squatter.connect();
    try {
      await squatter.query('SELECT pg_advisory_lock($1::bigint)', [ROLE_LOCK_KEYS.partitions.toString()]);
      const third = registry(['partitions']);
      await third.tick();
      expect(third.rolesHeld).toEqual([]);
      const degraded = await getHealth(db.pool);
      expect(degraded.roles).toContainEqual({ role: 'partitions', holder: null });
      expect(degraded.status).toBe('degraded');
    } finally {
      await squatter.end();
    }
    await registries[2]!.tick();
    expect(registries[2]!.rolesHeld).toEqual(['partitions']);
  });

  it('keeps renewing its lease while a role takes long to start', async () => {
    let finishStart = () => {};
    let started = () => {};
    const starting = new Promise<void>((resolve) => (started = resolve));
    const slow = new InstanceRegistry(db.pool, db.url, ['alerts']);
    registries.push(slow);
    slow.onRole('alerts', {
      acquire: () => {
        started();
        return new Promise<void>((resolve) => (finishStart = resolve));
      },
      release: async () => {},
    });
    // Free the role if an earlier case's registry holds it, so this one takes it.
    for (const r of registries) if (r !== slow && r.holds('alerts')) await r.stop();
    const running = slow.start();
    await starting;
    const heartbeatAt = async () => (await db.pool.query<{ at: Date }>('SELECT heartbeat_at AS at FROM instances WHERE id = $1', [slow.id])).rows[0]?.at.getTime();
    // The round that would register it waits on the role; the lease is renewed beside it, again and again.
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    await sleep(1.5 * HEARTBEAT_MS);
    const first = await heartbeatAt();
    expect(first).toBeDefined();
    await sleep(1.5 * HEARTBEAT_MS);
    expect(await heartbeatAt()).toBeGreaterThan(first!);
    expect((await liveInstances(db.pool)).map((i) => i.id)).toContain(slow.id);
    finishStart();
    await running;
    expect(slow.rolesHeld).toEqual(['alerts']);
  });
});
