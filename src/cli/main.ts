import { cliEnv, createClient, describeClientError } from './client';
import { type Command, flag, parseArgs, UsageError } from './command';
import { commands } from './commands';

export { parseArgs } from './command';

function usage(): string {
  const width = Math.max(...Object.values(commands).map((c) => c.usage.length)) + 2;
  const lines = Object.values(commands).map((command) => `  plenum ${command.usage.padEnd(width)} ${command.summary}`);
  return [
    'usage: plenum <command> [arguments] [--json] [--url <server>]',
    '',
    'commands:',
    ...lines,
    '',
    'every command: --json prints JSON on stdout; exit 0 on success, non-zero with one line on stderr otherwise',
    'environment: PLENUM_URL (default http://127.0.0.1:3000), PLENUM_TOKEN (API token)',
  ].join('\n');
}

/** The command whose words are the longest prefix of the positional arguments ("targets add" before "targets"). */
function findCommand(positional: string[]): { command: Command; rest: string[] } | undefined {
  for (let words = Math.min(positional.length, 3); words >= 1; words--) {
    const command = commands[positional.slice(0, words).join(' ')];
    if (command) return { command, rest: positional.slice(words) };
  }
  return undefined;
}

export async function main(argv: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(argv);
  } catch (error) {
    err.write(`plenum: ${(error as Error).message}\n`);
    return 2;
  }
  if (args.positional.length === 0 || args.positional[0] === 'help' || args.flags.has('help')) {
    out.write(`${usage()}\n`);
    return args.positional.length === 0 && !args.flags.has('help') ? 2 : 0;
  }
  const found = findCommand(args.positional);
  if (!found) {
    err.write(`plenum: unknown command '${args.positional.join(' ')}' (run 'plenum help')\n`);
    return 2;
  }
  const env = cliEnv();
  const url = flag(args, 'url');
  if (url) env.url = url.replace(/\/+$/, '');
  try {
    const result = await found.command.run(createClient(env), { ...args, positional: found.rest });
    out.write(args.flags.has('json') ? `${JSON.stringify(result.json, null, 2)}\n` : `${result.text}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      err.write(`plenum: ${error.message} (usage: plenum ${found.command.usage})\n`);
      return 2;
    }
    err.write(`plenum: ${describeClientError(error, env).split('\n')[0]}\n`);
    return 1;
  }
}
