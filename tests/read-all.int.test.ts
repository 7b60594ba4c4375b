import { QueryPromise, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/server/db/client';
import { inTransaction, readAll } from '../src/server/db/transaction';
import { createTestDatabase, type TestDatabase } from './db';

/** readAll: reads at once on a pool, one at a time on a transaction's single connection. */
describe('readAll', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  /** A lazy read, like drizzle's builders (it starts when awaited), that notes when it starts and ends. */
  class TimedRead extends QueryPromise<number> {
    constructor(
      private readonly db: Db,
      private readonly n: number,
      private readonly events: string[],
    ) {
      super();
    }
    async execute(): Promise<number> {
      this.events.push(`start ${this.n}`);
      const result = await this.db.execute(sql`SELECT ${this.n}::int AS n, pg_sleep(0.02)`);
      this.events.push(`end ${this.n}`);
      return Number((result.rows[0] as { n: number }).n);
    }
  }
  const timedRead = (db: Db, n: number, events: string[]) => new TimedRead(db, n, events);

  it('runs the reads of a transaction one after another, in order', async () => {
    const events: string[] = [];
    const results = await inTransaction(database, (tx) => readAll(tx.db, [timedRead(tx.db, 1, events), timedRead(tx.db, 2, events), timedRead(tx.db, 3, events)]));
    expect(results).toEqual([1, 2, 3]);
    expect(events).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });

  it('starts the reads on a pool together, and answers in their order', async () => {
    const events: string[] = [];
    const results = await readAll(database.db, [timedRead(database.db, 1, events), timedRead(database.db, 2, events), timedRead(database.db, 3, events)]);
    expect(results).toEqual([1, 2, 3]);
    expect(events.slice(0, 3)).toEqual(['start 1', 'start 2', 'start 3']);
  });
});
