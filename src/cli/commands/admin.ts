import { createInterface } from 'node:readline';
import { ROLES, type Role } from '../../server/auth/permissions';
import { type Command, flag, type ParsedArgs, requiredPositional, UsageError } from '../command';

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

export const adminCommands: Record<string, Command> = {
  'admin create-user': {
    usage: 'admin create-user <username> --role <role> [--zone <name>]... [--password-stdin]',
    summary: 'create a local account directly in the database (the first admin, or a recovery); reads the password from stdin or asks for it',
    run: async (_client, args) => {
      const username = requiredPositional(args, 0, 'username');
      const role = roleFlag(args);
      const zones = args.flags.get('zone') ?? [];
      const password = await readPassword(args);
      const { withDatabase, cliCreateUser } = await import('./admin-database');
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
      const { withDatabase, cliCreateToken, parseDuration } = await import('./admin-database');
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
