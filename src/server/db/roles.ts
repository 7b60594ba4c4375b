import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Plenum uses two database roles (docs/SECURITY.md, docs/database-roles.sql):
 * - the owner: owns the schema and runs the migrations (PLENUM_MIGRATION_DATABASE_URL, else DATABASE_URL);
 * - the application role: what the server and the CLI connect as. A LOGIN role that is not a superuser, owns no
 *   table and is a member of no other role: it reads and writes the tables, may only SELECT and INSERT on
 *   audit_log, and so can neither disable the append-only trigger (owners only) nor set session_replication_role
 *   (superusers only), nor SET ROLE to anyone who could.
 * Given one owner URL only, Plenum creates and manages the application role itself (`<database>_app`, a random
 * password kept in plenum_private.app_role, which only the owner can read).
 */

type Queryable = Pick<pg.Pool, 'query'>;

const PARTITION_FUNCTIONS = ['plenum_create_partition(text, text, timestamptz, timestamptz)', 'plenum_drop_partition(text)'];

/** Grants the application role what the server needs and nothing more. Run by the owner after migrations; idempotent. */
export async function grantAppRole(owner: Queryable, role: string): Promise<void> {
  const r = pg.escapeIdentifier(role);
  const { rows } = await owner.query<{ db: string }>('SELECT current_database() AS db');
  const statements = [
    `GRANT CONNECT, TEMPORARY ON DATABASE ${pg.escapeIdentifier(rows[0]!.db)} TO ${r}`,
    `GRANT USAGE ON SCHEMA public TO ${r}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${r}`,
    // The audit trail is append-only for the application: no UPDATE, DELETE or TRUNCATE, whatever the trigger says.
    `REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_log FROM ${r}`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${r}`,
    ...PARTITION_FUNCTIONS.map((fn) => `GRANT EXECUTE ON FUNCTION ${fn} TO ${r}`),
    // The health check reads how many migrations are applied.
    'CREATE SCHEMA IF NOT EXISTS drizzle',
    `GRANT USAGE ON SCHEMA drizzle TO ${r}`,
    `GRANT SELECT ON ALL TABLES IN SCHEMA drizzle TO ${r}`,
  ];
  for (const statement of statements) await owner.query(statement);
}

/**
 * Why the connected role is not a least-privilege application role (empty: it is one): a superuser, a role that
 * bypasses row security or creates roles, the owner of the audit trail, or a member of its owner.
 */
export async function leastPrivilegeProblems(app: Queryable): Promise<string[]> {
  const { rows } = await app.query<{ role: string; rolsuper: boolean; rolbypassrls: boolean; rolcreaterole: boolean; owns: boolean; member: boolean; replication: string }>(
    `SELECT r.rolname AS role, r.rolsuper, r.rolbypassrls, r.rolcreaterole,
            c.relowner = r.oid AS owns, pg_has_role(r.oid, c.relowner, 'MEMBER') AS member
       FROM pg_roles r, pg_class c
      WHERE r.rolname = current_user AND c.oid = 'public.audit_log'::regclass`,
  );
  const row = rows[0];
  if (!row) return ['cannot inspect the connected role'];
  const problems: string[] = [];
  if (row.rolsuper) problems.push(`${row.role} is a superuser`);
  if (row.rolbypassrls) problems.push(`${row.role} bypasses row-level security`);
  if (row.rolcreaterole) problems.push(`${row.role} may create roles`);
  if (row.owns) problems.push(`${row.role} owns the tables`);
  else if (row.member) problems.push(`${row.role} is a member of the role that owns the tables`);
  return problems;
}

/** The application role Plenum manages for a database: `<database>_app` (role names are per server, not per database). */
export function managedRoleName(database: string): string {
  return `${database.slice(0, 59)}_app`;
}

// Lock key for pg_advisory_xact_lock: two processes starting at once create the role once.
const ROLE_LOCK = 7_042_020;

export type ManagedRole = { ok: true; role: string; password: string } | { ok: false; problem: string };

/**
 * Creates (first start) or looks up the application role Plenum manages, then grants it its privileges. Needs an owner
 * connection that may create roles (a superuser, e.g. the embedded server's); otherwise reports why not.
 */
export async function ensureManagedAppRole(ownerPool: pg.Pool): Promise<ManagedRole> {
  const client = await ownerPool.connect();
  try {
    const { rows } = await client.query<{ db: string; can: boolean }>(
      'SELECT current_database() AS db, (rolsuper OR rolcreaterole) AS can FROM pg_roles WHERE rolname = current_user',
    );
    const role = managedRoleName(rows[0]!.db);
    if (!rows[0]!.can) return { ok: false, problem: 'the database role in DATABASE_URL may not create roles' };
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [ROLE_LOCK]);
      const stored = await client.query<{ password: string }>('SELECT password FROM plenum_private.app_role WHERE role_name = $1', [role]);
      const exists = (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rowCount === 1;
      let password = stored.rows[0]?.password;
      if (exists && !password) {
        await client.query('ROLLBACK');
        return { ok: false, problem: `a role named ${role} exists that Plenum did not create` };
      }
      if (!password) {
        password = randomBytes(24).toString('base64url');
        await client.query('INSERT INTO plenum_private.app_role (role_name, password) VALUES ($1, $2)', [role, password]);
      }
      const attributes = 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS';
      await client.query(`${exists ? 'ALTER' : 'CREATE'} ROLE ${pg.escapeIdentifier(role)} ${attributes} PASSWORD ${pg.escapeLiteral(password)}`);
      await grantAppRole(client, role);
      await client.query('COMMIT');
      return { ok: true, role, password };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    }
  } finally {
    client.release();
  }
}

/** The same server and database as `url`, signed in as another role. */
export function urlAs(url: string, role: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(role);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}
