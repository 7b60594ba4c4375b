/**
 * The compactor reads what it deletes, and the chunks it may extend, as binary COPY output (db/binary-copy.ts
 * `copyOutRows`) and writes chunk bytes as a binary bytea[] parameter (`byteaArrayParam`): checked here against what
 * PostgreSQL itself says the values are, including NULLs, empty values, every byte value and a large output that
 * arrives in several chunks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binaryCopyRows, byteaArrayParam, copyOutRows, int4ArrayParam, timestamptzMsOf } from '../src/server/db/binary-copy';
import { createTestDatabase, type TestDatabase } from './db';

describe('binary COPY out and bytea[] parameters', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  async function rows(query: string) {
    const client = await db.pool.connect();
    try {
      return await copyOutRows(client, query);
    } finally {
      client.release();
    }
  }

  it('gives each field in its binary form, NULL as null, in column order', async () => {
    const got = await rows(
      `SELECT 7::int4, NULL::bytea, ''::bytea, '\\x00ff10'::bytea, ARRAY[1, -2, 3]::int4[], '2026-12-06T10:00:00.123Z'::timestamptz, 1.5::float8`,
    );
    expect(got).toHaveLength(1);
    const [i, nul, empty, bytes, array, ts, f] = got[0]!;
    expect(i!.readInt32BE(0)).toBe(7);
    expect(nul).toBeNull();
    expect(empty!.length).toBe(0);
    expect([...bytes!]).toEqual([0, 255, 16]);
    // The array as array_send gives it.
    const sent = (await db.pool.query<{ b: Buffer }>(`SELECT array_send(ARRAY[1, -2, 3]::int4[]) AS b`)).rows[0]!.b;
    expect(array!.equals(sent)).toBe(true);
    expect(timestamptzMsOf(ts!)).toBe(Date.parse('2026-12-06T10:00:00.123Z'));
    expect(f!.readDoubleBE(0)).toBe(1.5);
  });

  it('reads a large output whole (many COPY data messages), rows in order', async () => {
    const got = await rows(`SELECT g::int4, convert_to(repeat(g::text, 50), 'UTF8') FROM generate_series(1, 20000) AS g ORDER BY g`);
    expect(got).toHaveLength(20_000);
    for (const [k, [n, text]] of got.entries()) {
      expect(n!.readInt32BE(0)).toBe(k + 1);
      if (k % 997 === 0) expect(text!.toString('utf8')).toBe(String(k + 1).repeat(50));
    }
  });

  it('runs a DELETE … RETURNING inside the caller’s transaction, which a rollback undoes', async () => {
    await db.pool.query('CREATE TABLE copy_out_probe (id int PRIMARY KEY, data bytea)');
    await db.pool.query(`INSERT INTO copy_out_probe SELECT g, int4send(g) FROM generate_series(1, 5) AS g`);
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      const gone = await copyOutRows(client, 'DELETE FROM copy_out_probe WHERE id <= 3 RETURNING id, data');
      expect(gone.map(([id, data]) => [id!.readInt32BE(0), data!.readInt32BE(0)]).sort((a, b) => a[0]! - b[0]!)).toEqual([
        [1, 1],
        [2, 2],
        [3, 3],
      ]);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    expect((await db.pool.query('SELECT count(*)::int AS n FROM copy_out_probe')).rows[0].n).toBe(5);
  });

  it('rejects with the server’s error when the statement fails, and leaves the connection usable', async () => {
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await expect(copyOutRows(client, 'SELECT 1 / (g - 3) FROM generate_series(1, 5) AS g')).rejects.toThrow(/division by zero/);
      await client.query('ROLLBACK');
      expect((await client.query<{ n: number }>('SELECT 41 + 1 AS n')).rows[0]!.n).toBe(42);
    } finally {
      client.release();
    }
  });

  it('fails the call when an AFTER trigger fails the statement, and the rows stay', async () => {
    await db.pool.query('CREATE TABLE copy_out_guarded (id int PRIMARY KEY)');
    await db.pool.query(`INSERT INTO copy_out_guarded SELECT g FROM generate_series(1, 3) AS g`);
    await db.pool.query(`CREATE FUNCTION copy_out_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'deletes are refused here'; END $$`);
    await db.pool.query('CREATE TRIGGER copy_out_refuse AFTER DELETE ON copy_out_guarded FOR EACH ROW EXECUTE FUNCTION copy_out_refuse()');
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await expect(copyOutRows(client, 'DELETE FROM copy_out_guarded RETURNING id')).rejects.toThrow(/deletes are refused here/);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    expect((await db.pool.query('SELECT count(*)::int AS n FROM copy_out_guarded')).rows[0].n).toBe(3);
  });

  it('refuses an int4 array parameter element that is not a 32-bit integer (the text form would have been refused)', () => {
    expect(() => int4ArrayParam([1, 2.5])).toThrow(/element 1 is not a 32-bit integer/);
    expect(() => int4ArrayParam([2 ** 31])).toThrow(/not a 32-bit integer/);
    expect(int4ArrayParam([-(2 ** 31), 2 ** 31 - 1, -0]).length).toBe(20 + 3 * 8);
  });

  it('refuses a body that is not binary COPY output', () => {
    expect(() => binaryCopyRows(Buffer.from('1\t2\n'))).toThrow(/PGCOPY signature/);
  });

  it('sends bytea[] parameters byte for byte, empty values and every byte value included', async () => {
    const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const values = [every, Buffer.alloc(0), Uint8Array.from([0]), every.subarray(100, 105)];
    const back = await db.pool.query<{ i: number; b: Buffer }>('SELECT i::int, b FROM unnest($1::bytea[], $2::int4[]) AS u(b, i) ORDER BY i', [
      byteaArrayParam(values),
      int4ArrayParam([0, 1, 2, 3]),
    ]);
    expect(back.rows.map((r) => [...r.b])).toEqual(values.map((v) => [...v]));
    const none = await db.pool.query<{ n: number }>('SELECT cardinality($1::bytea[]) AS n', [byteaArrayParam([])]);
    expect(none.rows[0]!.n).toBe(0);
  });
});
