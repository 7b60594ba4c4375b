/**
 * Three Plenum instances on one PostgreSQL (a throwaway embedded server): the start command, worker-only, as three
 * child processes, with the demo site's simulated world and its scrape targets. Half-way through, the instance
 * running the world (and the singleton roles it took first) is killed with SIGKILL.
 *
 *   npm run bench:instances -- [--minutes 10] [--interval 2000] [--json]
 *
 * Reports: samples stored, duplicate samples (same series and timestamp twice) over the whole run, targets scraped
 * twice (two samples of a series closer than half an interval), the longest per-series gap across the kill (and
 * before it, for comparison), how long until every singleton role was held again (polled every 100 ms), how long
 * until the two survivors' shards covered every target again, and the shard sizes before and after.
 */
import { createDb } from '../../src/server/db/client';
import { runMigrations } from '../../src/server/db/migrate';
import { seedIfEmpty } from '../../src/server/db/seed';
import { liveInstances } from '../../src/server/services/instances';
import { maintainPartitions } from '../../src/server/services/telemetry/partitions';
import {
  type ChildInstance,
  doubleScrapes,
  duplicateSamples,
  eventually,
  longestSeriesGap,
  roleHolders,
  samplesPerSlot,
  sleep,
  startChildInstance,
  stopChildInstance,
} from '../../tests/instances-harness';
import { arg, machine, throwawayPostgres } from '../telemetry/common';

const minutes = Number(arg('minutes', '10'));
const intervalMs = Number(arg('interval', '2000'));
const json = process.argv.includes('--json');
const log = (line: string) => console.error(`[bench] ${line}`);

async function shards(pool: Parameters<typeof liveInstances>[0]) {
  return (await liveInstances(pool)).map((i) => ({ id: i.id.slice(0, 8), roles: i.rolesHeld, shard: i.shardSize }));
}

async function main() {
  const started = machine();
  const pg = await throwawayPostgres();
  const { pool, db } = createDb(pg.url, { max: 4 });
  const instances: ChildInstance[] = [];
  try {
    await runMigrations(pool);
    await seedIfEmpty(db, 'demo');
    await maintainPartitions(pool, { rawRetentionDays: 7, rollupRetentionDays: 365 });
    const env = { PLENUM_SCRAPE_INTERVAL_MS: String(intervalMs), PLENUM_SIM_INVENTORY_REFRESH_MS: '600000' };
    instances.push(await startChildInstance(pg.url, env));
    instances.push(...(await Promise.all([2, 3].map(() => startChildInstance(pg.url, env)))));
    const targets = await eventually('targets registered', async () => {
      const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM scrape_targets WHERE enabled`);
      return rows[0]!.n > 0 ? rows[0]!.n : undefined;
    });
    await eventually('three shards covering every target', async () => {
      const live = await liveInstances(pool);
      return live.length === 3 && live.every((i) => (i.shardSize ?? 0) > 0) && live.reduce((sum, i) => sum + (i.shardSize ?? 0), 0) === targets;
    });
    const shardsBefore = await shards(pool);
    log(`3 instances, ${targets} targets every ${intervalMs} ms: ${JSON.stringify(shardsBefore)}`);
    // From when the join's hand-overs are done (a target handed over by a live instance waits ~3 s for its new owner).
    const fromMs = Date.now() + 3_000 + 2 * intervalMs;
    const runMs = minutes * 60_000;
    // Watch the live set all along: it should change once (the kill).
    let membershipChanges = 0;
    let lastLive = (await liveInstances(pool)).map((i) => i.id).join(',');
    const watcher = setInterval(() => {
      void liveInstances(pool)
        .then((live) => {
          const now = live.map((i) => i.id).join(',');
          if (now !== lastLive) membershipChanges++;
          lastLive = now;
        })
        .catch(() => {});
    }, 500);
    await sleep(runMs / 2);

    const holders = await roleHolders(pool);
    const victim = instances.find((i) => i.id === holders.get('simulator'))!;
    const victimRoles = [...holders].filter(([, id]) => id === victim.id).map(([role]) => role);
    log(`SIGKILL ${victim.id.slice(0, 8)} (holding ${victimRoles.join(', ')})`);
    victim.child.kill('SIGKILL');
    const killedAtMs = Date.now();
    let rolesBackMs: number | undefined;
    let shardsBackMs: number | undefined;
    while (rolesBackMs === undefined || shardsBackMs === undefined) {
      const now = await roleHolders(pool);
      if (rolesBackMs === undefined && [...now.values()].every((id) => id !== undefined && id !== victim.id)) rolesBackMs = Date.now() - killedAtMs;
      const live = await liveInstances(pool);
      if (shardsBackMs === undefined && live.length === 2 && live.reduce((sum, i) => sum + (i.shardSize ?? 0), 0) === targets) shardsBackMs = Date.now() - killedAtMs;
      if (Date.now() - killedAtMs > 120_000) throw new Error('roles or shards not back after 2 minutes');
      await sleep(100);
    }
    const shardsAfter = await shards(pool);
    await sleep(Math.max(0, fromMs + runMs - Date.now()));
    const toMs = Date.now() - intervalMs;
    clearInterval(watcher);

    const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM telemetry_samples WHERE ts BETWEEN to_timestamp($1 / 1000.0) AND to_timestamp($2 / 1000.0)`, [fromMs, toMs]);
    const beforeKill = await longestSeriesGap(pool, fromMs, killedAtMs - intervalMs, 2 * intervalMs);
    const acrossKill = await longestSeriesGap(pool, fromMs, toMs, 2 * intervalMs);
    const result = {
      machine: started,
      minutes,
      intervalMs,
      instances: 3,
      targets,
      samples: rows[0]!.n,
      duplicateSamples: await duplicateSamples(pool, fromMs, toMs),
      doubleScrapes: await doubleScrapes(pool, fromMs, toMs, intervalMs),
      samplesPerSlot: await samplesPerSlot(pool, fromMs, toMs, intervalMs),
      // Role changes the instances logged besides the takeover (churn: a lease lost under load, a re-registration).
      roleChanges: instances.map((i) => (i.output().match(/\] (took|lost) the \w+ role/g) ?? []).length),
      membershipChanges,
      loadAverage: machine().loadavg,
      killed: { roles: victimRoles, shard: shardsBefore.find((s) => s.id === victim.id.slice(0, 8))?.shard ?? null },
      rolesHeldAgainMs: rolesBackMs,
      shardsCoverAgainMs: shardsBackMs,
      longestGapBeforeKillMs: beforeKill.gapMs,
      longestGapAcrossKillMs: acrossKill.gapMs,
      boundMs: 2 * intervalMs + 5_000,
      seriesTracked: acrossKill.series,
      shardsBefore,
      shardsAfter,
    };
    if (json) console.log(JSON.stringify(result, null, 2));
    else {
      console.log(`${result.instances} instances, ${minutes} min, ${targets} targets every ${intervalMs} ms; ${result.samples} samples`);
      console.log(`duplicate samples: ${result.duplicateSamples}; samples closer than half an interval: ${result.doubleScrapes}; samples per series per slot: mean ${result.samplesPerSlot.mean}, max ${result.samplesPerSlot.max}`);
      console.log(`role changes logged per instance: ${result.roleChanges.join(', ')}; live-set changes seen: ${membershipChanges}; load average at the end ${result.loadAverage.join(', ')}`);
      console.log(`killed ${victim.id.slice(0, 8)} (${victimRoles.join(', ')}; shard ${result.killed.shard} targets)`);
      console.log(`every role held again after ${rolesBackMs} ms; shards cover every target again after ${shardsBackMs} ms`);
      console.log(`longest per-series gap: ${beforeKill.gapMs} ms before the kill, ${acrossKill.gapMs} ms across it (bound ${result.boundMs} ms), ${acrossKill.series} series`);
      console.log(`shards before: ${JSON.stringify(shardsBefore)}\nshards after: ${JSON.stringify(shardsAfter)}`);
    }
  } finally {
    for (const instance of instances) await stopChildInstance(instance);
    await pool.end();
    await pg.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
