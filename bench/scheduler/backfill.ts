// npx tsx bench/scheduler/backfill.ts [--seeds 42-46] [--json]
// What EASY backfill costs on a real cluster: the openb trace's 1,213 GPU nodes are filled with the default workload
// up to 100 % of GPU capacity arrived (as the placement benchmark does), each running pod ending after its own
// duration in the trace. Then, as the scheduler loop does:
//   - reserve: for each of the first 100 pods that could not be placed, the earliest estimated start (EasyBackfill);
//   - admits: against the first reservation found, whether each of the next 1,000 arriving pods that fit now may start
//     without delaying it.
// Prints per seed the latency of both (p50 / p99, ms) and how many reservations and admissions there were.

import { readFileSync } from 'node:fs';
import { createScheduler, EasyBackfill, MILLI_PER_GPU, type PodRequest, Snapshot, seededRandom } from '../../src/scheduler';
import { arrivalSequence, parseNodes, parsePods, percentile, podGpuMilliOf, type TracePod, toPodRequest, toSchedNodes, typicalWorkloadOf } from './openb';
import { OPENB_TRACE_DIR } from './trace-dir';

const traceDir = OPENB_TRACE_DIR;
const HEADS = 100;
const CANDIDATES = 1000;

function parseArgs(argv: string[]): { seeds: number[]; json: boolean } {
  const args = { seeds: [42, 43, 44, 45, 46], json: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--json') args.json = true;
    else if (argv[i] === '--seeds') {
      const m = /^(\d+)(?:-(\d+))?$/.exec(argv[++i] ?? '');
      if (!m) throw new Error('--seeds takes N or N-M');
      args.seeds = [];
      for (let s = Number(m[1]); s <= Number(m[2] ?? m[1]); s++) args.seeds.push(s);
    } else if (argv[i] !== '--') throw new Error(`unknown argument ${argv[i]}; usage: backfill.ts [--seeds 42-46] [--json]`);
  }
  return args;
}

function timed<T>(samples: number[], run: () => T): T {
  const t0 = performance.now();
  const result = run();
  samples.push(performance.now() - t0);
  return result;
}

const ms = (xs: number[], q: number) => Number(percentile(Float64Array.from(xs).sort(), q).toFixed(3));

function runSeed(seed: number) {
  const nodes = parseNodes(readFileSync(`${traceDir}/openb_node_list_gpu_node.csv`, 'utf8'));
  const pods = parsePods(readFileSync(`${traceDir}/openb_pod_list_default.csv`, 'utf8'));
  const snapshot = new Snapshot(toSchedNodes(nodes));
  const scheduler = createScheduler('plenum', { workload: typicalWorkloadOf(pods, 'plenum'), rng: seededRandom(seed) });
  const capacityMilli = nodes.reduce((s, n) => s + n.gpuCount * MILLI_PER_GPU, 0);
  const arrivals = arrivalSequence(pods, capacityMilli, seed);
  const endsAt = new Map<string, number>(); // now = 0; a pod ends after its trace duration
  const waiting: PodRequest[] = [];
  const request = (p: TracePod, k: number) => toPodRequest(p, `${p.name}#${k}`, k);
  let k = 0;
  for (let arrived = 0; k < arrivals.length && arrived < capacityMilli; k++) {
    const pod = request(arrivals[k]!, k);
    arrived += podGpuMilliOf(arrivals[k]!);
    const result = scheduler.schedule(snapshot, pod, { preempt: false });
    if (result.status === 'scheduled') {
      snapshot.assume(result.decision, pod);
      endsAt.set(pod.id, (arrivals[k]!.durationS ?? 0) * 1000);
    } else {
      waiting.push(pod);
    }
  }

  // Heads: the trace's own waiting pods (mostly one GPU or a share), and whole 8-GPU nodes (a training worker).
  const wholeNode = (i: number): PodRequest => ({ ...request(arrivals[0]!, -1), id: `whole-node-${i}`, gpusPerWorker: 8, gpuMilli: undefined, gpuModels: undefined, cpuMilli: 8_000, memoryMib: 16_384 });
  const scenarios = {
    trace: waiting.slice(0, HEADS),
    'whole-node': Array.from({ length: HEADS }, (_, i) => wholeNode(i)),
  };
  const later = arrivals.slice(k).map((p, i) => ({ pod: request(p, k + i), endsAt: (p.durationS ?? 0) * 1000 }));
  return Object.entries(scenarios).map(([heads, pods]) => ({ seed, running: snapshot.allocations.size, heads, ...measure(scheduler, snapshot, endsAt, pods, later) }));
}

/** reserve() for every head; then, as the loop does, admits() for pods that fit now (elsewhere if refused). */
function measure(scheduler: ReturnType<typeof createScheduler>, snapshot: Snapshot, endsAt: Map<string, number>, heads: PodRequest[], later: Array<{ pod: PodRequest; endsAt: number }>) {
  const reserveMs: number[] = [];
  let backfill: EasyBackfill | null = null;
  let reservations = 0;
  for (const head of heads) {
    const candidate = new EasyBackfill(scheduler, snapshot, endsAt);
    if (timed(reserveMs, () => candidate.reserve(head))) {
      reservations++;
      backfill ??= candidate;
    }
  }
  const admitsMs: number[] = [];
  let tried = 0;
  let admitted = 0;
  let elsewhere = 0;
  for (const { pod, endsAt: end } of later) {
    if (!backfill || tried >= CANDIDATES) break;
    const result = scheduler.schedule(snapshot, pod, { preempt: false });
    if (result.status !== 'scheduled') continue;
    tried++;
    const ok = timed(admitsMs, () => {
      if (backfill.admits(pod, result.decision, end)) return 'here';
      const around = backfill.scheduleAround(pod);
      return around && backfill.admits(pod, around, end) ? 'elsewhere' : null;
    });
    if (ok) admitted++;
    if (ok === 'elsewhere') elsewhere++;
  }
  return {
    reservations: `${reservations}/${heads.length}`,
    reserve_ms_p50: ms(reserveMs, 0.5),
    reserve_ms_p99: ms(reserveMs, 0.99),
    candidates: tried,
    admitted,
    admitted_elsewhere: elsewhere,
    admits_ms_p50: ms(admitsMs, 0.5),
    admits_ms_p99: ms(admitsMs, 0.99),
  };
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const results = args.seeds.flatMap(runSeed);
  if (args.json) {
    console.log(JSON.stringify({ seeds: args.seeds, per_seed: results }));
    return;
  }
  for (const r of results) {
    console.log(
      `seed ${r.seed}  ${r.running} running  ${r.heads} heads: ${r.reservations} got a start, reserve p50 ${r.reserve_ms_p50} ms p99 ${r.reserve_ms_p99} ms` +
        `  admits: ${r.admitted}/${r.candidates} may start (${r.admitted_elsewhere} moved off reserved nodes), p50 ${r.admits_ms_p50} ms p99 ${r.admits_ms_p99} ms`,
    );
  }
}

main();
