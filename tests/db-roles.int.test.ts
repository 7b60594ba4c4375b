import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAudit } from '../src/server/auth/audit';
import { leastPrivilegeProblems } from '../src/server/db/roles';
import { seedIfEmpty } from '../src/server/db/seed';
import { maintainPartitions } from '../src/server/services/telemetry/partitions';
import { createTestDatabase, type TestDatabase } from './db';

/** Least privilege in the database: what the application role (the one the server runs as) can and cannot do. */
describe('the application database role', () => {
  let database: TestDatabase;
  let app: Awaited<ReturnType<TestDatabase['appRole']>>;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await database.appRole();
    await writeAudit(database.db, { actor: 'owner', action: 'test.seed', outcome: 'ok' });
  });
  afterAll(() => database.drop());

  it('is a plain login role: not a superuser, owns nothing, member of no owner', async () => {
    expect(await leastPrivilegeProblems(app.pool)).toEqual([]);
    // The test server's own role is a superuser: the check does tell them apart.
    expect((await leastPrivilegeProblems(database.pool)).join('; ')).toMatch(/superuser/);
  });

  it('cannot disable, drop or replace the append-only trigger', async () => {
    await expect(app.pool.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete')).rejects.toMatchObject({ code: '42501' });
    await expect(app.pool.query('ALTER TABLE audit_log DISABLE TRIGGER ALL')).rejects.toMatchObject({ code: '42501' });
    await expect(app.pool.query('DROP TRIGGER audit_log_no_update_delete ON audit_log')).rejects.toMatchObject({ code: '42501' });
    await expect(app.pool.query('CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$')).rejects.toMatchObject({ code: '42501' });
    await expect(app.pool.query('DROP TABLE audit_log')).rejects.toMatchObject({ code: '42501' });
  });

  it('cannot set session_replication_role (which would skip triggers)', async () => {
    await expect(app.pool.query('SET session_replication_role = replica')).rejects.toMatchObject({ code: '42501' });
    await expect(app.pool.query("SELECT set_config('session_replication_role', 'replica', false)")).rejects.toMatchObject({ code: '42501' });
  });

  it('may only SELECT and INSERT audit rows: UPDATE, DELETE and TRUNCATE are refused by privilege, not just the trigger', async () => {
    await writeAudit(app.db, { actor: 'app', action: 'test.insert', outcome: 'ok' });
    const { rows } = await app.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_log WHERE action LIKE 'test.%'");
    expect(rows[0]!.n).toBe(2);
    for (const statement of ["UPDATE audit_log SET actor = 'someone else'", 'DELETE FROM audit_log', 'TRUNCATE audit_log']) {
      await expect(app.pool.query(statement), statement).rejects.toThrow(/permission denied/);
    }
  });

  it('cannot become another role, create roles or tables, or read the role password', async () => {
    await expect(app.pool.query('SET ROLE postgres')).rejects.toMatchObject({ code: '42501' });
    await expect(app.pool.query('CREATE ROLE sneaky SUPERUSER')).rejects.toMatchObject({ code: '42501' });
    await expect(app.pool.query('CREATE TABLE public.sneaky (id int)')).rejects.toMatchObject({ code: '42501' });
    await expect(app.pool.query('SELECT * FROM plenum_private.app_role')).rejects.toMatchObject({ code: '42501' });
  });

  it('still does the work of the server: writes tables and keeps telemetry partitions through the owner-run functions', async () => {
    // The start-up seed runs as this role too.
    expect((await seedIfEmpty(app.db, 'demo')).seeded).toBe(true);
    await app.pool.query("UPDATE sites SET name = 'Renamed by the app role'");
    const created = await maintainPartitions(app.pool, { rawRetentionDays: 2, rollupRetentionDays: 40 });
    expect(created.created.length).toBeGreaterThan(0);
    const dropped = await maintainPartitions(app.pool, { nowMs: Date.now() + 10 * 86_400_000, rawRetentionDays: 2, rollupRetentionDays: 40 });
    expect(dropped.dropped.length).toBeGreaterThan(0);
    // Every partition, including those just created by the app role, keeps no statistics on its payload columns
    // (migration 0036: autovacuum's ANALYZE of the block arrays cost seconds) and the default on its key columns.
    const targets = await app.pool.query<{ partition: string; column: string; target: number | null }>(
      `SELECT c.relname AS partition, a.attname AS column, a.attstattarget::int AS target
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE p.relname IN ('telemetry_sample_blocks', 'telemetry_rollup_1m_blocks', 'telemetry_chunks', 'telemetry_rollup_1m_chunks')`,
    );
    const payload = new Set(['series_ids', 'stamps', 'vals', 'mins', 'maxs', 'sums', 'counts', 'data']);
    expect(new Set(targets.rows.map((r) => r.partition.replace(/_p\d+$/, '')))).toEqual(
      new Set(['telemetry_sample_blocks', 'telemetry_rollup_1m_blocks', 'telemetry_chunks', 'telemetry_rollup_1m_chunks']),
    );
    for (const r of targets.rows) expect(r.target === 0, `${r.partition}.${r.column}`).toBe(payload.has(r.column));
    // The write tables' partitions, new ones included, and the rollup queue take no insert-triggered vacuums (0039);
    // the block partitions are analyzed when their rows have about doubled (0040); the chunks keep the defaults.
    const autovacuum = await app.pool.query<{ table: string; options: string[] | null }>(
      `SELECT c.relname AS table, c.reloptions AS options
         FROM pg_class c LEFT JOIN pg_inherits i ON i.inhrelid = c.oid LEFT JOIN pg_class p ON p.oid = i.inhparent
        WHERE p.relname IN ('telemetry_sample_blocks', 'telemetry_rollup_1m_blocks', 'telemetry_chunks') OR c.relname = 'telemetry_rollup_deltas'`,
    );
    expect(autovacuum.rows.length).toBeGreaterThan(3);
    for (const r of autovacuum.rows) {
      const options = r.options ?? [];
      expect(options.includes('autovacuum_vacuum_insert_threshold=-1'), r.table).toBe(!r.table.startsWith('telemetry_chunks'));
      expect(options.includes('autovacuum_analyze_scale_factor=1'), r.table).toBe(/^telemetry_(sample|rollup_1m)_blocks_p/.test(r.table));
    }
    // The functions take telemetry partitions only.
    await expect(app.pool.query("SELECT plenum_drop_partition('users')")).rejects.toThrow(/not a telemetry partition/);
    await expect(app.pool.query("SELECT plenum_create_partition('users', 'users_p202601', now(), now() + interval '1 day')")).rejects.toThrow(/not a telemetry partition/);
    // The health check reads the migration count.
    const { rows } = await app.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations');
    expect(rows[0]!.n).toBeGreaterThan(0);
  });
});
