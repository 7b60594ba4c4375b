import { drizzle } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import type { Db, DbHandle } from './client';
import * as schema from './schema';

/**
 * A pg.Pool stand-in whose queries run on one client inside its open transaction. Code written for a pool keeps
 * working unchanged: `connect()` hands out the same client, and its BEGIN / COMMIT / ROLLBACK become a savepoint,
 * its release, and a rollback to it, so such code nests in the outer transaction instead of committing on its own.
 */
function transactionPool(client: pg.PoolClient): pg.Pool {
  let savepoints = 0;
  const query = (...args: unknown[]) => (client.query as (...a: unknown[]) => unknown)(...args);
  const connect = async () => {
    const name = `plenum_nested_${++savepoints}`;
    const nestedQuery = (...args: unknown[]) => {
      const text = typeof args[0] === 'string' ? args[0].trim().replace(/;$/, '').toUpperCase() : '';
      if (/^(BEGIN|START TRANSACTION)\b/.test(text)) return client.query(`SAVEPOINT ${name}`);
      if (text === 'COMMIT' || text === 'END') return client.query(`RELEASE SAVEPOINT ${name}`);
      if (text === 'ROLLBACK') return client.query(`ROLLBACK TO SAVEPOINT ${name}`).then(() => client.query(`RELEASE SAVEPOINT ${name}`));
      return query(...args);
    };
    return { query: nestedQuery, release: () => {}, on: () => {}, off: () => {} };
  };
  return { query, connect, on: () => {}, off: () => {} } as unknown as pg.Pool;
}

/**
 * Runs `work` in one transaction on one pooled connection, handing it a db and a pool both bound to that transaction
 * (drizzle's own `transaction()` on the db becomes a savepoint). Commits when `work` returns, rolls back when it throws.
 */
export async function inTransaction<T>(handle: DbHandle, work: (tx: DbHandle) => Promise<T>): Promise<T> {
  const client = await handle.pool.connect();
  try {
    return await drizzle(client, { schema }).transaction((tx) => work({ db: tx as unknown as Db, pool: transactionPool(client) }));
  } finally {
    client.release();
  }
}
