/**
 * Simulator entry point: `npx tsx simulator/main.ts <subcommand> [options]`.
 *   calibrate --trace <dir> [--table]   replay the real H200 trace; JSON per phase; exit 1 if any phase fails
 *   run                                 the live simulator fed by the database (not wired yet)
 */
import { resolve } from 'node:path';
import { calibrationTable, runCalibration } from './calibrate';

type Subcommand = (args: string[]) => number | Promise<number>;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

const calibrate: Subcommand = (args) => {
  const trace = option(args, '--trace') ?? '../shared/fixtures/nvml-h200';
  const result = runCalibration(resolve(process.cwd(), trace));
  if (args.includes('--table')) console.log(calibrationTable(result));
  else console.log(JSON.stringify(result, null, 2));
  return result.pass ? 0 : 1;
};

const run: Subcommand = async () => (await import('../src/server/services/simulator-run')).runSimulatorProcess();

export const subcommands: Record<string, Subcommand> = {
  calibrate,
  run,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = name ? subcommands[name] : undefined;
  if (!command) {
    console.error(`usage: simulator/main.ts <${Object.keys(subcommands).join('|')}> [options]`);
    return 2;
  }
  return command(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
