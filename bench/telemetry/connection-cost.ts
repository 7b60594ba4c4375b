/**
 * What a new connection costs PostgreSQL on Plenum's schema (fork, authentication, caches warmed over hundreds of
 * partitions), against the same queries on a connection kept open:
 *
 *   npx tsx bench/telemetry/connection-cost.ts [--connections 40]
 */
import pg from 'pg';
import { createDb } from '../../src/server/db/client';
import { runMigrations } from '../../src/server/db/migrate';
import { maintainPartitions } from '../../src/server/services/telemetry/partitions';
import { arg, machine, postgresCpuSeconds, r3, throwawayPostgres } from './common';

/** A few small reads of the tables the telemetry workers touch on every tick. */
async function work(client: pg.Client): Promise<void> {
  await client.query('SELECT count(*) FROM telemetry_latest_blocks');
  await client.query("SELECT count(*) FROM telemetry_samples WHERE ts > now() - interval '1 minute'");
  await client.query('SELECT count(*) FROM telemetry_rollup_deltas');
  await client.query("SELECT count(*) FROM telemetry_rollup_1m WHERE bucket > now() - interval '1 hour'");
}

async function main() {
  const connections = Number(arg('connections', '40'));
  const db = await throwawayPostgres();
  try {
    const handle = createDb(db.url);
    await runMigrations(handle.pool);
    await maintainPartitions(handle.pool, { rawRetentionDays: 7, rollupRetentionDays: 365 });
    await handle.pool.end();
    const msPer: Record<string, number> = {};
    for (const mode of ['fresh', 'kept'] as const) {
      const kept = new pg.Client({ connectionString: db.url });
      await kept.connect();
      await work(kept);
      const before = postgresCpuSeconds(db.pgData);
      for (let i = 0; i < connections; i++) {
        if (mode === 'kept') {
          await work(kept);
          continue;
        }
        const fresh = new pg.Client({ connectionString: db.url });
        await fresh.connect();
        await work(fresh);
        await fresh.end();
      }
      // Let the ended backends exit, so their CPU is counted through the postmaster.
      await new Promise((resolve) => setTimeout(resolve, 500));
      msPer[mode] = r3(((postgresCpuSeconds(db.pgData) - before) / connections) * 1000);
      await kept.end();
    }
    console.log(JSON.stringify({ bench: 'connection-cost', machine: machine(), connections, postgresCpuMsPerRound: msPer }, null, 2));
  } finally {
    await db.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
