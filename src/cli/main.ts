import { cliEnv, createClient, describeClientError, type PlenumClient } from './client';

/**
 * Conventions for every command: `--json` prints machine-readable JSON on stdout; exit code 0 on
 * success, non-zero with a one-line error on stderr otherwise.
 */
type Command = {
  summary: string;
  run: (client: PlenumClient, args: ParsedArgs) => Promise<{ json: unknown; text: string }>;
};

export type ParsedArgs = { positional: string[]; flags: Map<string, string | true> };

export class UsageError extends Error {}

export function parseArgs(argv: string[]): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith('--')) {
      const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
      const next = argv[i + 1];
      if (inline !== undefined) flags.set(name, inline);
      else if (next !== undefined && !next.startsWith('--') && VALUE_FLAGS.has(name)) {
        flags.set(name, next);
        i++;
      } else flags.set(name, true);
    } else positional.push(arg);
  }
  return { positional, flags };
}

/** Flags that take a value; every other flag is a boolean switch. */
const VALUE_FLAGS = new Set<string>(['url']);

const commands: Record<string, Command> = {
  health: {
    summary: 'print the server health (database, migrations, workers)',
    run: async (client) => {
      const health = await client.system.health.query();
      const workers = health.workers.map((w) => `  ${w.name} (${w.instance}): ${w.status}${w.stale ? ' (stale)' : ''}`).join('\n');
      const text = [
        `status: ${health.status}`,
        `database: ${health.database.status}${health.database.latencyMs !== undefined ? ` (${health.database.latencyMs} ms)` : ''}`,
        `migrations: ${health.migrations ? `${health.migrations.applied} applied, latest ${health.migrations.latest}, ${health.migrations.pending} pending` : 'unknown'}`,
        `workers:\n${workers || '  none'}`,
      ].join('\n');
      return { json: health, text };
    },
  },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, command]) => `  ${name.padEnd(20)} ${command.summary}`);
  return ['usage: plenum <command> [--json]', '', 'commands:', ...lines, '', 'environment: PLENUM_URL (default http://127.0.0.1:3000), PLENUM_TOKEN'].join('\n');
}

export async function main(argv: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const args = parseArgs(argv);
  const name = args.positional[0];
  if (!name || name === 'help' || args.flags.has('help')) {
    out.write(`${usage()}\n`);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    err.write(`plenum: unknown command '${name}' (run 'plenum help')\n`);
    return 2;
  }
  const env = cliEnv();
  const url = args.flags.get('url');
  if (typeof url === 'string') env.url = url.replace(/\/+$/, '');
  try {
    const result = await command.run(createClient(env), { ...args, positional: args.positional.slice(1) });
    out.write(args.flags.has('json') ? `${JSON.stringify(result.json, null, 2)}\n` : `${result.text}\n`);
    return 0;
  } catch (error) {
    const message = error instanceof UsageError ? error.message : describeClientError(error, env);
    err.write(`plenum: ${message.split('\n')[0]}\n`);
    return 1;
  }
}
