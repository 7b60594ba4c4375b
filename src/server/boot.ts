import type { PlenumConfig } from './config';
import { createDb, type DbHandle, describeConnectionError } from './db/client';
import { startEmbeddedPostgres } from './db/embedded';
import { type MigrationState, runMigrations } from './db/migrate';
import { seedIfEmpty } from './db/seed';

export class BootError extends Error {}

export type BootedDatabase = DbHandle & {
  url: string;
  embedded: boolean;
  migrations: MigrationState;
  close: () => Promise<void>;
};

/**
 * Brings the database to a usable state: the configured server or an embedded one,
 * connection checked, migrations applied, demo data seeded when empty.
 */
export async function bootDatabase(config: PlenumConfig, log: (line: string) => void = () => {}): Promise<BootedDatabase> {
  let url = config.databaseUrl;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!url) {
    const server = await startEmbeddedPostgres(config.dataDir);
    url = server.url;
    stopEmbedded = server.stop;
    log(`embedded PostgreSQL started on 127.0.0.1:${server.port} (data in ${server.dataDir})`);
  }
  const handle = createDb(url);
  const close = async () => {
    await handle.pool.end().catch(() => {});
    await stopEmbedded?.();
  };
  try {
    await handle.pool.query('SELECT 1').catch((error: unknown) => {
      throw new BootError(describeConnectionError(url, error));
    });
    const migrations = await runMigrations(handle.pool);
    log(`migrations applied: ${migrations.applied} (latest ${migrations.latest})`);
    const seeded = await seedIfEmpty(handle.db, config.seed);
    if (seeded.seeded) log(`seeded the ${config.seed} data center: ${seeded.gpus} GPUs`);
    return { ...handle, url, embedded: Boolean(stopEmbedded), migrations, close };
  } catch (error) {
    await close();
    throw error;
  }
}
