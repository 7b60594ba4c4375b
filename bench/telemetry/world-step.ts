/**
 * CPU of one step of the simulated world at site scale: the example inventory (HGX H200 servers, 8 GPUs each, three
 * per rack so no breaker trips) grown to `--gpus`, stepped `--steps` times by `--step-s` seconds, as the live
 * simulator steps it (simulator-host.ts worldStepMs: 5 s at 30 s scrapes).
 *
 *   npx tsx bench/telemetry/world-step.ts [--gpus 100800] [--steps 12] [--step-s 5]
 *
 * Prints the median wall time of a step and its cost per GPU (the first two steps are warm-up).
 */
import { exampleInventory } from '../../simulator/example-inventory';
import { World } from '../../simulator/world';
import { arg, machine } from './common';

const gpus = Number(arg('gpus', '100800'));
const steps = Number(arg('steps', '12'));
const stepS = Number(arg('step-s', '5'));
const serversPerRack = 3;

const inventory = exampleInventory({ racks: Math.ceil(gpus / (8 * serversPerRack)), serversPerRack });
const world = new World(inventory, { seed: 1, startMs: Date.now() });
const simulatedGpus = inventory.sites.flatMap((s) => s.halls.flatMap((h) => h.racks.flatMap((r) => r.servers.flatMap((srv) => srv.gpus)))).length;
const times: number[] = [];
for (let i = 0; i < steps; i++) {
  const t = performance.now();
  world.step(stepS);
  times.push(performance.now() - t);
}
const measured = times.slice(2).sort((a, b) => a - b);
const medianMs = measured[Math.floor(measured.length / 2)]!;
console.log(
  JSON.stringify(
    {
      bench: 'world-step',
      date: new Date().toISOString(),
      machine: machine(),
      gpus: simulatedGpus,
      stepS,
      stepMsMedian: Math.round(medianMs),
      usPerGpuStep: Math.round((medianMs / simulatedGpus) * 1000 * 100) / 100,
      cpuShareAtThisStep: Math.round((medianMs / (stepS * 1000)) * 1000) / 1000,
      faults: world.listFaults().length,
    },
    null,
    2,
  ),
);
