import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createDb, type DbHandle } from '../src/server/db/client';
import { runMigrations } from '../src/server/db/migrate';
import { seedIfEmpty } from '../src/server/db/seed';
import { maintainPartitions } from '../src/server/services/telemetry/partitions';

export type TestDatabase = DbHandle & { url: string; drop: () => Promise<void> };

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A fresh database on the integration server, migrated unless `migrate: false`. */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = inject('adminDatabaseUrl');
  const name = `plenum_test_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = withDatabase(adminUrl, name);
  const handle = createDb(url, { max: 30 });
  if (options.migrate !== false) await runMigrations(handle.pool);
  return {
    ...handle,
    url,
    drop: async () => {
      await handle.pool.end();
      const cleanup = new pg.Client({ connectionString: adminUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}

/** A throwaway database holding the demo data center and the current telemetry partitions: ready for ingest. */
export async function createDemoTelemetryDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase();
  await seedIfEmpty(database.db, 'demo');
  await maintainPartitions(database.pool, { rawRetentionDays: 7, rollupRetentionDays: 365 });
  return database;
}
