// npx tsx bench/scheduler/queueing.ts [--seeds 42-44] [--jobs 12000] [--load 1.2] [--max-duration 7200] [--json]
// Queueing with time: what backfill buys, and whether EASY keeps its promise, on the openb trace.
//
// The placement benchmark (main.ts) replays arrivals only. Here pods also end. The cluster is every 6th node of the
// openb GPU node list (203 nodes, the same model mix); the pods are the default workload's shapes and durations
// (deletion − scheduled time, capped at --max-duration, 2 h by default, so the queue reaches a steady state within a
// few thousand arrivals; pods that could not run even on the empty slice are left out), drawn in
// a seeded random order and arriving as a Poisson process whose rate offers `--load` × the slice's GPU capacity.
// Every arrival or completion triggers a pass over the queue (arrival order, at most 100 pods looked at per pass, as
// Slurm's bf_max_job_test) with the production `plenum` placement and one of three queue policies:
//   fifo    start pods in order, stop at the first that does not fit (no backfill);
//   greedy  start every pod that fits, in order (backfill without a reservation: big pods can starve);
//   easy    EASY backfill as the scheduler loop runs it (src/scheduler/backfill.ts).
// Durations are exact here, so EASY's promise is checkable: a pod given a reserved start must start by then.

import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createScheduler, EasyBackfill, MILLI_PER_GPU, type PodRequest, Snapshot, seededRandom } from '../../src/scheduler';
import { parseNodes, parsePods, percentile, podGpuMilliOf, toPodRequest, toSchedNodes, typicalWorkloadOf } from './openb';
import { OPENB_TRACE_DIR } from './trace-dir';

const traceDir = OPENB_TRACE_DIR;
const SCAN_DEPTH = 100;
export const POLICIES = ['fifo', 'greedy', 'easy'] as const;
/** 'easy-unguarded' computes reservations like 'easy' but lets every pod that fits start: the tests' control. */
export type QueuePolicy = (typeof POLICIES)[number] | 'easy-unguarded';

type Job = { pod: PodRequest; arrival: number; duration: number; gpuMilli: number; start?: number; reservedStart?: number };

function parseArgs(argv: string[]) {
  const args = { seeds: [42, 43, 44], jobs: 12000, load: 1.2, maxDurationS: 7200, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => argv[++i] ?? '';
    if (a === '--json') args.json = true;
    else if (a === '--jobs') args.jobs = Number(value());
    else if (a === '--load') args.load = Number(value());
    else if (a === '--max-duration') args.maxDurationS = Number(value());
    else if (a === '--seeds') {
      const m = /^(\d+)(?:-(\d+))?$/.exec(value());
      if (!m) throw new Error('--seeds takes N or N-M');
      args.seeds = [];
      for (let s = Number(m[1]); s <= Number(m[2] ?? m[1]); s++) args.seeds.push(s);
    } else if (a !== '--') throw new Error(`unknown argument ${a}; usage: queueing.ts [--seeds 42-44] [--jobs 12000] [--load 1.2] [--max-duration 7200] [--json]`);
  }
  if (!(args.jobs > 0) || !(args.load > 0) || !(args.maxDurationS > 0)) throw new Error('--jobs, --load and --max-duration must be positive');
  return args;
}

/** A binary min-heap of completions (time, pod id). */
class Completions {
  private readonly items: Array<{ t: number; id: string }> = [];
  get size(): number {
    return this.items.length;
  }
  peek(): number {
    return this.items[0]?.t ?? Number.POSITIVE_INFINITY;
  }
  push(t: number, id: string): void {
    const a = this.items;
    a.push({ t, id });
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (a[p]!.t <= a[i]!.t) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }
  pop(): { t: number; id: string } {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]!.t < a[m]!.t) m = l;
        if (r < a.length && a[r]!.t < a[m]!.t) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
}

/** `nodeStride`: every n-th node of the openb GPU node list (6: 203 nodes with the list's model mix). */
export function makeJobs(seed: number, count: number, load: number, maxDurationS: number, nodeStride = 6) {
  const nodes = parseNodes(readFileSync(`${traceDir}/openb_node_list_gpu_node.csv`, 'utf8')).filter((_, i) => i % nodeStride === 0);
  const pods = parsePods(readFileSync(`${traceDir}/openb_pod_list_default.csv`, 'utf8'));
  const workload = typicalWorkloadOf(pods, 'plenum');
  const probe = createScheduler('plenum', { workload });
  const empty = new Snapshot(toSchedNodes(nodes));
  const runnable = pods.filter((p) => probe.schedule(empty, toPodRequest(p, p.name, 0)).status === 'scheduled');
  const rng = seededRandom(seed);
  const capacityMilli = nodes.reduce((s, n) => s + n.gpuCount * MILLI_PER_GPU, 0);
  const drawn = Array.from({ length: count }, () => runnable[Math.floor(rng() * runnable.length)]!);
  const duration = (p: (typeof pods)[number]) => Math.min(maxDurationS, p.durationS ?? maxDurationS);
  // Offered load = arrival rate × mean (GPU × duration) / capacity.
  const meanWork = drawn.reduce((s, p) => s + podGpuMilliOf(p) * duration(p), 0) / count;
  const rate = (load * capacityMilli) / meanWork;
  let t = 0;
  const jobs: Job[] = drawn.map((p, k) => {
    t += -Math.log(1 - rng()) / rate;
    return { pod: toPodRequest(p, `${p.name}#${k}`, k), arrival: t, duration: duration(p), gpuMilli: podGpuMilliOf(p) };
  });
  return { nodes, pods, workload, jobs, capacityMilli, runnable: runnable.length, total: pods.length };
}

export function simulate(setup: ReturnType<typeof makeJobs>, policy: QueuePolicy, seed: number) {
  const started = performance.now();
  const snapshot = new Snapshot(toSchedNodes(setup.nodes));
  const scheduler = createScheduler('plenum', { workload: setup.workload, rng: seededRandom(seed) });
  const jobs = setup.jobs.map((j) => ({ ...j }));
  const byId = new Map(jobs.map((j) => [j.pod.id, j]));
  const completions = new Completions();
  const endsAt = new Map<string, number>();
  const queue: Job[] = [];
  let next = 0;
  // GPU use is integrated over the arrival window only: after the last arrival the cluster just drains.
  let busyMilliSeconds = 0;
  const lastArrival = jobs.at(-1)!.arrival;
  let allocatedMilli = 0;
  let clock = 0;

  const pass = (now: number) => {
    const backfill = policy === 'easy' || policy === 'easy-unguarded' ? new EasyBackfill(scheduler, snapshot, endsAt) : null;
    const guarded = policy === 'easy';
    let reservationTries = 16;
    for (let i = 0, looked = 0; i < queue.length && looked < SCAN_DEPTH; looked++) {
      const job = queue[i]!;
      const end = now + job.duration;
      const result = scheduler.schedule(snapshot, job.pod, { preempt: false });
      if (result.status === 'unschedulable') {
        if (policy === 'fifo') return;
        if (backfill && !backfill.reservation && reservationTries-- > 0) {
          const reservation = backfill.reserve(job.pod);
          if (reservation) job.reservedStart ??= reservation.startAt;
        }
        i++;
        continue;
      }
      let decision = result.decision;
      if (backfill && guarded && !backfill.admits(job.pod, decision, end)) {
        const around = backfill.scheduleAround(job.pod);
        if (!around || !backfill.admits(job.pod, around, end)) {
          i++;
          continue;
        }
        decision = around;
      }
      snapshot.assume(decision, job.pod);
      backfill?.started(job.pod.id, end);
      endsAt.set(job.pod.id, end);
      completions.push(end, job.pod.id);
      allocatedMilli += job.gpuMilli;
      job.start = now;
      queue.splice(i, 1);
    }
  };

  while (next < jobs.length || completions.size > 0) {
    const now = Math.min(jobs[next]?.arrival ?? Number.POSITIVE_INFINITY, completions.peek());
    busyMilliSeconds += allocatedMilli * Math.max(0, Math.min(now, lastArrival) - clock);
    clock = now;
    while (completions.size > 0 && completions.peek() <= now) {
      const { id } = completions.pop();
      snapshot.release(id);
      endsAt.delete(id);
      allocatedMilli -= byId.get(id)!.gpuMilli;
    }
    while (next < jobs.length && jobs[next]!.arrival <= now) queue.push(jobs[next++]!);
    pass(now);
  }

  const waits = Float64Array.from(jobs.map((j) => j.start! - j.arrival)).sort();
  const bigWaits = jobs.filter((j) => j.gpuMilli >= 4 * MILLI_PER_GPU).map((j) => j.start! - j.arrival);
  const reserved = jobs.filter((j) => j.reservedStart !== undefined);
  const late = reserved.filter((j) => j.start! > j.reservedStart! + 1e-6);
  const mean = (xs: ArrayLike<number>) => {
    let sum = 0;
    for (let i = 0; i < xs.length; i++) sum += xs[i]!;
    return sum / Math.max(1, xs.length);
  };
  return {
    policy,
    seed,
    jobs: jobs.length,
    mean_wait_s: Math.round(mean(waits)),
    p50_wait_s: Math.round(percentile(waits, 0.5)),
    p95_wait_s: Math.round(percentile(waits, 0.95)),
    max_wait_s: Math.round(waits[waits.length - 1] ?? 0),
    big_jobs: bigWaits.length,
    big_mean_wait_s: Math.round(mean(bigWaits)),
    gpu_util_pct: Number(((100 * busyMilliSeconds) / (setup.capacityMilli * lastArrival)).toFixed(2)),
    makespan_h: Number((clock / 3600).toFixed(2)),
    arrivals_span_h: Number((lastArrival / 3600).toFixed(2)),
    reserved: reserved.length,
    reservations_missed: late.length,
    seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  };
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const results = [];
  for (const seed of args.seeds) {
    const setup = makeJobs(seed, args.jobs, args.load, args.maxDurationS);
    if (!args.json) console.log(`seed ${seed}: ${setup.nodes.length} nodes, ${setup.capacityMilli / 1000} GPUs; ${setup.runnable}/${setup.total} trace pods can run on the slice; ${args.jobs} arrivals at ${args.load} × capacity`);
    for (const policy of POLICIES) {
      const r = simulate(setup, policy, seed);
      results.push(r);
      if (!args.json) {
        console.log(
          `  ${policy.padEnd(6)} wait mean ${r.mean_wait_s} s p50 ${r.p50_wait_s} s p95 ${r.p95_wait_s} s max ${r.max_wait_s} s;` +
            ` ≥4-GPU pods (${r.big_jobs}) mean ${r.big_mean_wait_s} s; GPU util ${r.gpu_util_pct} % over ${r.arrivals_span_h} h of arrivals;` +
            ` reservations ${r.reserved}, missed ${r.reservations_missed}; ${r.seconds} s`,
        );
      }
    }
  }
  if (args.json) console.log(JSON.stringify({ seeds: args.seeds, jobs: args.jobs, load: args.load, results }));
}

// Run as a script, not when a test imports the simulation.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
