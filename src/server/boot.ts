import type { PlenumConfig } from './config';
import { createDb, type DbHandle, describeConnectionError, redactUrl } from './db/client';
import { startEmbeddedPostgres } from './db/embedded';
import { type MigrationState, runMigrations } from './db/migrate';
import { ensureManagedAppRole, grantAppRole, leastPrivilegeProblems, urlAs } from './db/roles';
import { seedIfEmpty } from './db/seed';

export class BootError extends Error {}

export type BootedDatabase = DbHandle & {
  /** The URL the server's handlers and workers connect with: the application role's. */
  url: string;
  embedded: boolean;
  migrations: MigrationState;
  /** The role the server runs as, and whether it is a least-privilege one (docs/SECURITY.md). */
  role: { name: string; leastPrivilege: boolean };
  close: () => Promise<void>;
};

export type ConnectedDatabase = DbHandle & { url: string; migrations: MigrationState; role: BootedDatabase['role'] };

async function checkConnection(handle: DbHandle, url: string): Promise<void> {
  await handle.pool.query('SELECT 1').catch((error: unknown) => {
    throw new BootError(describeConnectionError(url, error));
  });
}

/**
 * Migrates as the owner, then connects as the application role: the one DATABASE_URL names when
 * PLENUM_MIGRATION_DATABASE_URL is set (refused unless it is least-privilege), else the one Plenum manages. Without
 * the right to create that role, the server keeps the owner's connection and says so.
 */
export async function connectDatabase(
  urls: { ownerUrl: string; appUrl?: string },
  log: (line: string) => void = () => {},
  options: { max?: number; applicationName?: string } = {},
): Promise<ConnectedDatabase> {
  const owner = createDb(urls.ownerUrl, { max: 2, applicationName: 'plenum-migrate' });
  try {
    await checkConnection(owner, urls.ownerUrl);
    const migrations = await runMigrations(owner.pool);
    log(`migrations applied: ${migrations.applied} (latest ${migrations.latest})`);
    let appUrl = urls.appUrl;
    if (appUrl) {
      const probe = createDb(appUrl, { max: 1 });
      try {
        await checkConnection(probe, appUrl);
        const { rows } = await probe.pool.query<{ role: string }>('SELECT current_user AS role');
        await grantAppRole(owner.pool, rows[0]!.role);
        const problems = await leastPrivilegeProblems(probe.pool);
        if (problems.length) {
          throw new BootError(`DATABASE_URL must name the application role, not an owner or superuser (${problems.join('; ')}): see docs/SECURITY.md`);
        }
      } finally {
        await probe.pool.end();
      }
    } else {
      const managed = await ensureManagedAppRole(owner.pool);
      if (managed.ok) appUrl = urlAs(urls.ownerUrl, managed.role, managed.password);
      else log(`WARNING: running as the database owner, not a least-privilege role (${managed.problem}); see docs/SECURITY.md`);
    }
    const app = createDb(appUrl ?? urls.ownerUrl, options);
    try {
      await checkConnection(app, redactUrl(appUrl ?? urls.ownerUrl));
    } catch (error) {
      await app.pool.end();
      throw error;
    }
    const { rows } = await app.pool.query<{ role: string }>('SELECT current_user AS role');
    const leastPrivilege = (await leastPrivilegeProblems(app.pool)).length === 0;
    if (leastPrivilege) log(`connected as the application role ${rows[0]!.role}`);
    return { ...app, url: appUrl ?? urls.ownerUrl, migrations, role: { name: rows[0]!.role, leastPrivilege } };
  } finally {
    await owner.pool.end().catch(() => {});
  }
}

/**
 * Brings the database to a usable state: the configured server or an embedded one,
 * connection checked, migrations applied (as the owner), the application role connected, demo data seeded when empty.
 */
export async function bootDatabase(config: PlenumConfig, log: (line: string) => void = () => {}): Promise<BootedDatabase> {
  let ownerUrl = config.migrationDatabaseUrl ?? config.databaseUrl;
  const appUrl = config.migrationDatabaseUrl ? config.databaseUrl : undefined;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!ownerUrl) {
    const server = await startEmbeddedPostgres(config.dataDir);
    ownerUrl = server.url;
    stopEmbedded = server.stop;
    log(`embedded PostgreSQL started on 127.0.0.1:${server.port} (data in ${server.dataDir})`);
  }
  let connected: ConnectedDatabase | undefined;
  const close = async () => {
    await connected?.pool.end().catch(() => {});
    await stopEmbedded?.();
  };
  try {
    connected = await connectDatabase({ ownerUrl, appUrl }, log);
    const seeded = await seedIfEmpty(connected.db, config.seed);
    if (seeded.seeded) log(`seeded the ${config.seed} data center: ${seeded.gpus} GPUs`);
    return { ...connected, embedded: Boolean(stopEmbedded), close };
  } catch (error) {
    await close();
    throw error;
  }
}
