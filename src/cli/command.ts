import type { PlenumClient } from './client';

/**
 * Conventions for every command: `--json` prints machine-readable JSON on stdout; exit code 0 on
 * success, non-zero with a one-line error on stderr otherwise.
 */
export type Command = {
  /** e.g. `targets add <url> --dialect <dcgm|nvidia-smi|prometheus>` */
  usage: string;
  summary: string;
  run: (client: PlenumClient, args: ParsedArgs) => Promise<{ json: unknown; text: string }>;
};

export type ParsedArgs = { positional: string[]; flags: Map<string, string[]> };

/** Wrong arguments: reported as one line, exit code 2. */
export class UsageError extends Error {}

/** Flags that never take a value. Every other `--flag` takes the next argument (or `--flag=value`). */
const SWITCHES = new Set(['json', 'help', 'dry-run', 'all', 'force', 'password-stdin', 'none']);

export function parseArgs(argv: string[]): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  const add = (name: string, value: string) => flags.set(name, [...(flags.get(name) ?? []), value]);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--') || arg === '--') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    if (eq > 0) add(name, arg.slice(eq + 1));
    else if (SWITCHES.has(name)) add(name, 'true');
    else {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
      add(name, value);
      i++;
    }
  }
  return { positional, flags };
}

/** The last value of a flag (later flags win), or undefined. */
export function flag(args: ParsedArgs, name: string): string | undefined {
  return args.flags.get(name)?.at(-1);
}

export function requiredPositional(args: ParsedArgs, index: number, what: string): string {
  const value = args.positional[index];
  if (value === undefined) throw new UsageError(`missing ${what}`);
  return value;
}
