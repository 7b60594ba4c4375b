/**
 * What prom-client's default metrics cost a process that has nothing else to do: its event-loop delay histogram
 * (`monitorEventLoopDelay`) wakes the loop every `eventLoopMonitoringPrecision` ms, 10 by default. Each case runs in a
 * fresh Node process, alternated `--reps` times; the figure is that process's CPU (user + system) per second of wall
 * time over `--seconds`, counted after a settling time (the first seconds after loading a module still compile and
 * collect garbage), median over the reps (the bench's nearest-rank `pct`).
 *
 *   npx tsx bench/telemetry/idle-wakeups.ts [--seconds 20] [--reps 3] [--settle 10]
 */
import { spawnSync } from 'node:child_process';
import { EVENT_LOOP_SAMPLE_MS } from '../../src/server/services/self-metrics';
import { arg, machine, pct } from './common';

const seconds = Number(arg('seconds', '20'));
const reps = Number(arg('reps', '3'));
const settleSeconds = Number(arg('settle', '10'));

/** The child: sets up the case, idles (one 1 s interval keeps it alive), and prints its CPU ms per second once settled. */
function childScript(setup: string): string {
  return `${setup}
setInterval(() => {}, 1000);
setTimeout(() => {
  const t0 = process.cpuUsage();
  setTimeout(() => { const u = process.cpuUsage(t0); console.log(((u.user + u.system) / 1000 / ${seconds}).toFixed(3)); process.exit(0); }, ${seconds * 1000});
}, ${settleSeconds * 1000});`;
}

const cases: { name: string; setup: string }[] = [
  { name: 'nothing', setup: '' },
  { name: 'prom-client default metrics, default precision (10 ms)', setup: "require('prom-client').collectDefaultMetrics();" },
  {
    name: `prom-client default metrics, Plenum's precision (${EVENT_LOOP_SAMPLE_MS} ms)`,
    setup: `require('prom-client').collectDefaultMetrics({ eventLoopMonitoringPrecision: ${EVENT_LOOP_SAMPLE_MS} });`,
  },
];

function main() {
  const started = machine();
  const runs = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let rep = 0; rep < reps; rep++) {
    for (const c of cases) {
      const child = spawnSync(process.execPath, ['-e', childScript(c.setup)], { encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`case "${c.name}" failed: ${child.stderr}`);
      runs.get(c.name)!.push(Number(child.stdout.trim()));
    }
  }
  const results = cases.map((c) => ({ case: c.name, cpuMsPerSecond: pct(runs.get(c.name)!, 50), runs: runs.get(c.name)! }));
  console.log(JSON.stringify({ bench: 'idle-wakeups', machine: started, seconds, settleSeconds, reps, results, machineAtEnd: machine() }, null, 2));
}

main();
