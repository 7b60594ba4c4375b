/**
 * What a new connection costs PostgreSQL on Plenum's schema (fork, authentication, caches warmed over hundreds of
 * partitions), against the same queries on a connection kept open:
 *
 *   npx tsx bench/telemetry/connection-cost.ts
 */
import pg from 'pg';
import { throwawayPostgres, postgresCpuSeconds } from './common';
import { runMigrations } from '../../src/server/db/migrate';
import { createDb } from '../../src/server/db/client';
import { maintainPartitions } from '../../src/server/services/telemetry/partitions';
const db = await throwawayPostgres();
const h = createDb(db.url);
await runMigrations(h.pool);
await maintainPartitions(h.pool, { rawRetentionDays: 7, rollupRetentionDays: 365 });
await h.pool.end();
const work = async (c: pg.Client) => {
  await c.query('SELECT count(*) FROM telemetry_latest');
  await c.query("SELECT count(*) FROM telemetry_samples WHERE ts > now() - interval '1 minute'");
  await c.query('SELECT count(*) FROM telemetry_rollup_queue');
  await c.query("SELECT count(*) FROM telemetry_rollup_1m WHERE bucket > now() - interval '1 hour'");
};
for (const mode of ['fresh', 'reused']) {
  const N = 40;
  const reused = new pg.Client({ connectionString: db.url });
  await reused.connect();
  await work(reused);
  const t0 = postgresCpuSeconds(db.pgData);
  for (let i = 0; i < N; i++) {
    if (mode === 'fresh') {
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      await work(c);
      await c.end();
    } else await work(reused);
  }
  await new Promise((r) => setTimeout(r, 500));
  const t1 = postgresCpuSeconds(db.pgData);
  console.log(mode, 'PostgreSQL CPU ms per connection+work:', ((t1 - t0) / N) * 1000);
  await reused.end();
}
await db.stop();
