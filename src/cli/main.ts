import { cliEnv, createClient, describeClientError } from './client';
import { type Command, flag, parseArgs, UsageError } from './command';
import { commands } from './commands';

export { parseArgs } from './command';

/**
 * Greedy word wrap: lines of at most `width` characters (a single longer word keeps its own line), every line after the
 * first indented by `indent` spaces.
 */
export function wrap(text: string, width: number, indent = 0): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const prefix = lines.length === 0 && line === '' ? '' : ' '.repeat(indent);
    if (line === '') line = prefix + word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = ' '.repeat(indent) + word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** The terminal's width when stdout is one (or $COLUMNS), else 80; help never grows past 120 columns. */
function helpWidth(out: NodeJS.WritableStream): number {
  const columns = (out as { columns?: number }).columns ?? Number(process.env.COLUMNS);
  return Number.isFinite(columns) && columns > 0 ? Math.max(40, Math.min(columns, 120)) : 80;
}

export function usage(width = 80): string {
  const paragraph = (text: string, indent = 0) => wrap(text, width - indent).map((line) => ' '.repeat(indent) + line);
  const lines = Object.values(commands).flatMap((command) => [...wrap(`plenum ${command.usage}`, width - 2, 4).map((line) => `  ${line}`), ...paragraph(command.summary, 6)]);
  return [
    ...paragraph('usage: plenum <command> [arguments] [--json] [--url <server>]'),
    '',
    'commands:',
    ...lines,
    '',
    ...paragraph('every command: --json prints JSON on stdout. Exit codes: 0 success; 1 the server refused the request or cannot be reached; 2 wrong arguments (unknown command, missing or malformed argument, unknown value). Errors are one line on stderr.'),
    ...paragraph('environment: PLENUM_URL (default http://127.0.0.1:3000), PLENUM_TOKEN (API token: plnm_ followed by 43 characters, from plenum admin create-token or /admin/tokens)'),
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
    out.write(`${usage(helpWidth(out))}\n`);
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
