import { drizzle } from 'drizzle-orm/node-postgres';
import { PgTransaction } from 'drizzle-orm/pg-core';
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

/**
 * Independent reads at once on a pool, one after another in a transaction. A transaction is one connection: node-pg
 * only queues queries sent to it concurrently, warns that this is deprecated, and pg 9 refuses them. The reads are
 * drizzle query builders, which start when awaited.
 */
export async function readAll<T extends readonly unknown[]>(db: Db, reads: readonly [...{ [K in keyof T]: PromiseLike<T[K]> }]): Promise<T> {
  if (!(db instanceof PgTransaction)) return (await Promise.all(reads)) as unknown as T;
  const results: unknown[] = [];
  for (const read of reads) results.push(await read);
  return results as unknown as T;
}
