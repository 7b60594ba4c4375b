/**
 * Three real instances (the start command, worker-only) on one database share the work: one simulated world, every
 * simulator target scraped by exactly one of them, each singleton role held by one. One is killed with SIGKILL (the
 * one running the world, which also holds rollups and the other singletons it took first), and the stored telemetry
 * must show no sample stored twice, no series interrupted for longer than two scrape intervals plus the takeover
 * allowance, and every role held again by a survivor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedIfEmpty } from '../src/server/db/seed';
import { getHealth } from '../src/server/services/health';
import { liveInstances } from '../src/server/services/instances';
import { maintainPartitions } from '../src/server/services/telemetry/partitions';
import { createTestDatabase, type TestDatabase } from './db';
import {
  type ChildInstance,
  doubleScrapes,
  duplicateSamples,
  eventually,
  longestSeriesGap,
  roleHolders,
  sleep,
  startChildInstance,
  stopChildInstance,
} from './instances-harness';

const INTERVAL_MS = 1_000;
/** The allowance for a takeover (a singleton role re-acquired, the world restarted, shards rebalanced). */
const TAKEOVER_ALLOWANCE_MS = 5_000;
/** Targets kept enabled: enough for every instance to have a shard, few enough for 2 CI cores. */
const TARGETS = 24;

let db: TestDatabase;
const instances: ChildInstance[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  await seedIfEmpty(db.db, 'demo');
  await maintainPartitions(db.pool, { rawRetentionDays: 7, rollupRetentionDays: 365 });
  const env = { PLENUM_SCRAPE_INTERVAL_MS: String(INTERVAL_MS), PLENUM_SIM_INVENTORY_REFRESH_MS: '600000' };
  // The first takes every singleton role (the world and rollups in one instance: the one to kill); then two more.
  instances.push(await startChildInstance(db.url, env));
  instances.push(...(await Promise.all([2, 3].map(() => startChildInstance(db.url, env)))));
  // The world registers one target per GPU host; keep a few of them (the world never re-enables a target). The device
  // protocol targets (SNMP, Modbus, Redfish) are left out: they carry the world's own address and move with it.
  await eventually('the simulator targets registered', async () => {
    const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM scrape_targets WHERE managed_by = 'simulator'`);
    return rows[0]!.n > TARGETS;
  });
  await db.pool.query(
    `UPDATE scrape_targets SET enabled = false WHERE managed_by = 'simulator'
        AND id NOT IN (SELECT id FROM scrape_targets WHERE managed_by = 'simulator' AND dialect IN ('dcgm', 'plenum') ORDER BY id LIMIT $1)`,
    [TARGETS],
  );
});

afterAll(async () => {
  for (const instance of instances) await stopChildInstance(instance);
  await db?.drop();
});

const shardTotal = async () => (await liveInstances(db.pool)).reduce((sum, i) => sum + (i.shardSize ?? 0), 0);

describe('three instances on one database', () => {
  it('share the targets, lose one to SIGKILL, and keep every series and role', async () => {
    // All three live, every role held, and the shards covering exactly the enabled targets.
    await eventually('three instances sharing the targets', async () => {
      const live = await liveInstances(db.pool);
      return live.length === 3 && live.every((i) => (i.shardSize ?? 0) > 0) && (await shardTotal()) === TARGETS;
    });
    const holders = await roleHolders(db.pool);
    expect([...holders.keys()].sort()).toEqual(['alerts', 'partitions', 'rollups', 'scheduler', 'simulator']);
    expect([...holders.values()].every((id) => instances.some((i) => i.id === id))).toBe(true);

    // Measured from when the join's hand-overs are surely done (a target handed over by a live instance is first
    // scraped by its new owner ~3 s after the owner sees the membership, so the two never scrape it together).
    const fromMs = Date.now() + 3_000 + 2 * INTERVAL_MS;
    await sleep(3_000 + 5 * INTERVAL_MS);
    const victim = instances.find((i) => i.id === holders.get('simulator'))!;
    expect(victim.id).toBe(holders.get('rollups'));
    victim.child.kill('SIGKILL');
    await victim.exited;
    const killedAtMs = Date.now();

    // Every singleton role held again, by a survivor, and the survivors share every target between them.
    await eventually('every role held by a survivor', async () => {
      const now = await roleHolders(db.pool);
      return [...now.values()].every((id) => id !== undefined && id !== victim.id) && now.size === holders.size;
    });
    await eventually('two instances sharing every target', async () => {
      const live = await liveInstances(db.pool);
      return live.length === 2 && !live.some((i) => i.id === victim.id) && (await shardTotal()) === TARGETS;
    });
    // Run on for a while after the takeover, so the stored series show whether scraping resumed for good.
    await sleep(Math.max(0, killedAtMs + 2 * TAKEOVER_ALLOWANCE_MS + 4 * INTERVAL_MS - Date.now()));
    const toMs = Date.now() - INTERVAL_MS;

    expect(await duplicateSamples(db.pool, fromMs, toMs)).toBe(0);
    // Nor one target scraped by two instances (two samples of a series far closer than the interval).
    expect(await doubleScrapes(db.pool, fromMs, toMs, INTERVAL_MS / 2)).toBe(0);
    const gap = await longestSeriesGap(db.pool, fromMs, toMs, 2 * INTERVAL_MS);
    // Every target's series (8 GPUs × several metrics per host), all tracked across the kill.
    expect(gap.series).toBeGreaterThan(TARGETS * 8);
    expect(gap.gapMs, `series ${gap.seriesId}`).toBeLessThanOrEqual(2 * INTERVAL_MS + TAKEOVER_ALLOWANCE_MS);

    // The dead instance is gone from the registry and, a lease later, from the workers /api/health reports.
    await eventually('the killed instance gone from /api/health', async () => {
      const health = await getHealth(db.pool);
      return !health.workers.some((w) => w.instance === victim.id) && health.instances?.length === 2 && health.roles?.every((r) => r.holder !== null);
    });
  });
});
