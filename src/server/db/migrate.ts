import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type pg from 'pg';

/** The drizzle/ folder in `folder` or the nearest folder above it that has one. */
function drizzleFolderAbove(folder: string): string | undefined {
  for (let dir = folder; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'drizzle', 'meta', '_journal.json'))) return path.join(dir, 'drizzle');
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * The project's drizzle/ folder: under the working folder when Plenum runs from the project (the web server's bundle
 * has no source path to go by), else above this file (the CLI's `admin` commands run from any folder, from
 * src/server/db or from the CLI's build in dist/cli).
 */
const WORKING_FOLDER_DRIZZLE = path.resolve(process.cwd(), 'drizzle');
export const MIGRATIONS_FOLDER = existsSync(path.join(WORKING_FOLDER_DRIZZLE, 'meta', '_journal.json'))
  ? WORKING_FOLDER_DRIZZLE
  : (drizzleFolderAbove(import.meta.dirname ?? '.') ?? WORKING_FOLDER_DRIZZLE);
// Any constant works; it only has to be the same in every Plenum process.
const MIGRATION_LOCK_KEY = 7_041_977;

type Journal = { entries: { idx: number; tag: string; when: number }[] };

function readJournal(folder: string): Journal {
  return JSON.parse(readFileSync(path.join(folder, 'meta', '_journal.json'), 'utf8')) as Journal;
}

/**
 * Applies pending migrations. Safe when several processes start at once: they queue on an
 * advisory lock, and each applies only what is still missing.
 */
export async function runMigrations(pool: pg.Pool, folder = MIGRATIONS_FOLDER): Promise<MigrationState> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await migrate(drizzle(client), { migrationsFolder: folder });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
  return migrationState(pool, folder);
}

export type MigrationState = { applied: number; latest: string | null; pending: number };

export async function migrationState(pool: pg.Pool, folder = MIGRATIONS_FOLDER): Promise<MigrationState> {
  const journal = readJournal(folder);
  const result = await pool
    .query<{ applied: number }>('SELECT count(*)::int AS applied FROM drizzle.__drizzle_migrations')
    .catch(() => ({ rows: [{ applied: 0 }] }));
  const applied = result.rows[0]?.applied ?? 0;
  return {
    applied,
    latest: applied > 0 ? (journal.entries[applied - 1]?.tag ?? null) : null,
    pending: Math.max(0, journal.entries.length - applied),
  };
}
