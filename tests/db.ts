import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { createDb, type DbHandle } from '../src/server/db/client';
import { MIGRATIONS_FOLDER, runMigrations } from '../src/server/db/migrate';
import { ensureManagedAppRole, managedRoleName, urlAs } from '../src/server/db/roles';
import { seedIfEmpty } from '../src/server/db/seed';
import { maintainPartitions } from '../src/server/services/telemetry/partitions';

export type TestDatabase = DbHandle & {
  url: string;
  /** A connection as the least-privilege application role the server runs as (created on first use). */
  appRole: () => Promise<DbHandle & { role: string; url: string }>;
  drop: () => Promise<void>;
};

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * Applies the migrations before the one tagged `firstTag` (say '0033'), as an installation of the version before it
 * had them: from a copy of drizzle/ whose journal stops there. Upgrade tests then add rows and run the rest.
 */
export async function migrateBefore(pool: pg.Pool, firstTag: string): Promise<void> {
  const folder = mkdtempSync(path.join(tmpdir(), `plenum-before-${firstTag}-`));
  try {
    cpSync(MIGRATIONS_FOLDER, folder, { recursive: true });
    const journalPath = path.join(folder, 'meta', '_journal.json');
    const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
    journal.entries = journal.entries.filter((e) => e.tag < firstTag);
    writeFileSync(journalPath, JSON.stringify(journal));
    await runMigrations(pool, folder);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
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
  let app: (DbHandle & { role: string; url: string }) | undefined;
  return {
    ...handle,
    url,
    appRole: async () => {
      if (app) return app;
      const managed = await ensureManagedAppRole(handle.pool);
      if (!managed.ok) throw new Error(managed.problem);
      const appUrl = urlAs(url, managed.role, managed.password);
      app = { ...createDb(appUrl, { max: 10 }), role: managed.role, url: appUrl };
      return app;
    },
    drop: async () => {
      await app?.pool.end();
      await handle.pool.end();
      const cleanup = new pg.Client({ connectionString: adminUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      // Role names are per server: the application role of this database goes with it.
      await cleanup.query(`DROP ROLE IF EXISTS ${managedRoleName(name)}`);
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
