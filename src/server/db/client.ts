import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema';

export type Db = NodePgDatabase<typeof schema>;
export type DbHandle = { pool: pg.Pool; db: Db };

// node-postgres returns int8 (bigint) as a string; counts and ids in this app fit in a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));

export function createDb(url: string, options: { max?: number; applicationName?: string } = {}): DbHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'plenum',
    connectionTimeoutMillis: 10_000,
    // A new connection is a new PostgreSQL backend that warms its caches over hundreds of partitions: measured ~29 ms
    // of server CPU before its first answers (bench/telemetry/connection-cost.ts). node-pg's default closes
    // a connection idle for 10 s, which the workers ticking every 10-60 s hit on every tick; keep them 5 minutes.
    idleTimeoutMillis: 300_000,
    // …without idle connections keeping a finished script alive.
    allowExitOnIdle: true,
  });
  // A client losing its connection (server restart, shutdown) must not crash the process: idle clients report on
  // the pool, checked-out ones on themselves. Queries on a lost connection still fail and are handled by their caller.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return { pool, db: drizzle(pool, { schema }) };
}

const sideHandles = new WeakMap<pg.Pool, DbHandle>();

/**
 * A small pool of its own on the same database, for writes that must commit outside a mutation's transaction (sign-in
 * throttling). Mutations hold connections of the main pool while they run; were these writes to wait for the main pool
 * too, enough concurrent sign-ins would each hold one connection and wait forever for another.
 */
export function sideHandle(handle: DbHandle): DbHandle {
  const existing = sideHandles.get(handle.pool);
  if (existing) return existing;
  const url = (handle.pool as unknown as { options: { connectionString?: string } }).options.connectionString;
  const side = url ? createDb(url, { max: 4, applicationName: 'plenum-side' }) : handle;
  sideHandles.set(handle.pool, side);
  return side;
}

/** Hides the password in a connection URL before it is printed. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

const connectionErrorText: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is PostgreSQL running there?)',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  '28P01': 'password authentication failed',
  '28000': 'authentication rejected',
  '3D000': 'database does not exist',
};

/** One line explaining why a database URL could not be used. */
export function describeConnectionError(url: string, error: unknown): string {
  const code = (error as { code?: string }).code ?? '';
  const reason = connectionErrorText[code] ?? (error instanceof Error ? error.message : String(error));
  return `cannot use database ${redactUrl(url)}: ${reason}`;
}

/** The app-wide pool for request handlers, built lazily from DATABASE_URL (set by the start script). */
export function getDb(): DbHandle {
  const holder = globalThis as unknown as { __plenumDb?: DbHandle };
  if (!holder.__plenumDb) {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error('DATABASE_URL is not set: start Plenum with `npm start`');
    holder.__plenumDb = createDb(url);
  }
  return holder.__plenumDb;
}
