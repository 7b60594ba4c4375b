/**
 * Simulator entry point: `npx tsx simulator/main.ts <subcommand> [options]` (or `npm run simulator -- …`).
 *   calibrate --trace <dir> [--holdout <phase>] [--replay] [--json] [--exporters <dir>]
 *       in-sample table (fit on every phase), out-of-sample table (leave-one-phase-out, or every phase with the
 *       --holdout label held out), the validation scenarios and the H100 prediction. --replay drives the model from
 *       the trace's utilisation columns only. Exit 1 if an in-sample phase (or, with --holdout, a held-out phase)
 *       misses the tolerance.
 *   serve (or run)                      the simulated world as its own process against DATABASE_URL, registered in the
 *                                       instance registry with the simulator role (src/server/services/simulator-run.ts)
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  calibrationTable,
  dutyCycleTimings,
  dutyTimingTable,
  outOfSampleTable,
  predictH100,
  runCalibration,
  runOutOfSample,
  runScenarios,
  scenarioTable,
  secondModelTable,
} from './calibrate';

type Subcommand = (args: string[]) => number | Promise<number>;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

const calibrate: Subcommand = (args) => {
  const trace = resolve(process.cwd(), option(args, '--trace') ?? '../shared/fixtures/nvml-h200');
  const exporters = resolve(process.cwd(), option(args, '--exporters') ?? resolve(trace, '../exporters'));
  const holdout = option(args, '--holdout');
  const mode = args.includes('--replay') ? 'replay' : 'label';
  const inSample = runCalibration(trace, { mode });
  const outOfSample = runOutOfSample(trace, { mode, holdout });
  const scenarios = holdout === undefined ? runScenarios(trace, { mode }) : [];
  const h100 = holdout === undefined && existsSync(exporters) ? predictH100(exporters, trace) : [];
  const dutyTimings = holdout === undefined ? dutyCycleTimings(trace) : [];
  if (args.includes('--json')) {
    console.log(JSON.stringify({ inSample, outOfSample, scenarios, dutyTimings, h100 }, null, 2));
  } else {
    const drive = mode === 'replay' ? 'replay of the utilisation columns' : 'phase labels';
    console.log(`## In sample: fitted on every phase, driven by ${drive}, hall inlet ${inSample.inletC} °C\n`);
    console.log(calibrationTable(inSample));
    console.log(`\nEnergy: real ${inSample.energy.realDeltaMj} mJ, simulated ${inSample.energy.simDeltaMj} mJ (${inSample.energy.errorPct} %)\n`);
    const how = holdout === undefined ? 'leave-one-phase-out' : `every "${holdout}" phase held out`;
    console.log(`## Out of sample: ${how}, driven by ${drive}\n`);
    console.log(outOfSampleTable(outOfSample));
    if (scenarios.length) {
      console.log('\n## Validation scenarios (predicted with the in-sample fit)\n');
      console.log(scenarioTable(scenarios));
    }
    if (dutyTimings.length) {
      console.log('\n## Duty cycles: the host loop\'s timing against what the GPU ran\n');
      console.log(dutyTimingTable(dutyTimings));
    }
    if (h100.length) {
      console.log('\n## Second model out of sample: H100 SXM against the nvidia_gpu_exporter captures\n');
      console.log(secondModelTable(h100));
    }
  }
  const judged = holdout === undefined ? inSample.phases : outOfSample;
  return judged.every((p) => p.pass) ? 0 : 1;
};

const run: Subcommand = async () => (await import('../src/server/services/simulator-run')).runSimulatorProcess();

export const subcommands: Record<string, Subcommand> = {
  calibrate,
  serve: run,
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
    // Bad input (a missing trace column, an unknown --holdout label) reads best as its message alone.
    console.error(error instanceof Error ? `simulator: ${error.message}` : error);
    process.exitCode = 1;
  },
);
