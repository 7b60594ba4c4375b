// npx tsx bench/scheduler/scale.ts [--gpus 100000] [--decisions 2000] [--fill 0.7] [--seed 42]
//   [--workload production|openb] [--json]
// Decision time of the production `plenum` profile on a synthetic inventory of ~100,000 GPUs: the seed's design (an
// air-cooled HGX H100 hall, 3 eight-GPU servers per rack, and liquid-cooled GB200 NVL72 racks, src/server/db/seed/plan.ts)
// grown until it holds the requested GPUs, every node carrying rack power and cooling headroom. The cluster is first
// filled to `--fill` of its GPUs with pods of the openb default workload's shapes; then every measured decision is
// followed by one departure, so the load stays steady. Reported: p50 / p99 / max wall time of Scheduler.schedule(),
// and p50 / p99 of the process CPU time it took (user + system), which moves less than wall time when other work
// shares the machine's cores.

import { readFileSync } from 'node:fs';
import { type PodRequest, type SchedNode, Snapshot, createScheduler, seededRandom } from '../../src/scheduler';
import { parsePods, percentile, toPodRequest, typicalWorkloadOf } from './openb';
import { OPENB_TRACE_DIR } from './trace-dir';

const RACK_BUDGET_W = { hgx: 35_000, nvl72: 132_000 };
const HGX_PER_RACK = 3;

function parseArgs(argv: string[]) {
  const args = { gpus: 100_000, decisions: 2000, fill: 0.7, seed: 42, workload: 'production' as 'production' | 'openb', json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => Number(argv[++i]);
    if (a === '--gpus') args.gpus = value();
    else if (a === '--decisions') args.decisions = value();
    else if (a === '--fill') args.fill = value();
    else if (a === '--seed') args.seed = value();
    else if (a === '--json') args.json = true;
    else if (a === '--workload') {
      const v = argv[++i];
      if (v !== 'production' && v !== 'openb') throw new Error(`--workload: "${v}" is not production or openb`);
      args.workload = v;
    }
    else if (a !== '--') throw new Error(`unknown argument ${a}; usage: scale.ts [--gpus N] [--decisions N] [--fill 0-1] [--seed N] [--workload production|openb] [--json]`);
  }
  if (!(args.gpus > 0) || !(args.decisions > 0) || !(args.fill >= 0 && args.fill < 1)) {
    throw new Error('--gpus and --decisions must be positive, --fill in [0, 1)');
  }
  return args;
}

/** Two thirds of the GPUs in HGX racks, one third in NVL72 racks (18 trays of 4 GPUs, one NVLink domain). */
export function syntheticInventory(gpus: number): SchedNode[] {
  const nodes: SchedNode[] = [];
  const hgxRacks = Math.ceil((gpus * 2) / 3 / (8 * HGX_PER_RACK));
  const nvlRacks = Math.ceil(gpus / 3 / 72);
  const node = (id: string, rackId: string, model: string, gpuCount: number, cpuMilli: number, domain: string | undefined, headroomW: number): SchedNode => ({
    id,
    name: id,
    cpuMilliFree: cpuMilli,
    cpuMilliTotal: cpuMilli,
    memoryMibFree: 2_097_152,
    memoryMibTotal: 2_097_152,
    gpuModel: model,
    gpus: Array.from({ length: gpuCount }, (_, index) => ({ index, freeMilli: 1000, healthy: true, nvlinkDomain: domain })),
    rackId,
    leafSwitchId: `leaf-${rackId}`,
    zoneLevel: 0,
    powerHeadroomW: headroomW,
    coolingHeadroomW: headroomW,
    healthy: true,
  });
  for (let r = 0; r < hgxRacks; r++) {
    const rack = `hgx-rack-${r}`;
    for (let s = 0; s < HGX_PER_RACK; s++) nodes.push(node(`${rack}-srv${s}`, rack, 'H100', 8, 224_000, undefined, RACK_BUDGET_W.hgx - 3 * 1_800));
  }
  for (let r = 0; r < nvlRacks; r++) {
    const rack = `nvl-rack-${r}`;
    for (let t = 0; t < 18; t++) nodes.push(node(`${rack}-tray${t}`, rack, 'GB200', 4, 144_000, rack, RACK_BUDGET_W.nvl72 - 18 * 1_000));
  }
  return nodes;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const nodes = syntheticInventory(args.gpus);
  const totalGpus = nodes.reduce((s, n) => s + n.gpus.length, 0);
  const pods = parsePods(readFileSync(`${OPENB_TRACE_DIR}/openb_pod_list_default.csv`, 'utf8')).map((p) => ({ ...p, gpuModels: [] }));
  const snapshot = new Snapshot(nodes);
  // 'production': the generic typical mix the scheduler service runs with; 'openb': every shape of the trace (hundreds,
  // most decisions then meet a shape whose memo is cold on every node).
  const workload = args.workload === 'openb' ? typicalWorkloadOf(pods, 'plenum') : undefined;
  const scheduler = createScheduler('plenum', { workload, rng: seededRandom(args.seed) });
  const rng = seededRandom(args.seed);
  const running: string[] = [];
  let serial = 0;
  const nextPod = (): PodRequest => {
    const p = pods[Math.floor(rng() * pods.length)];
    const req = toPodRequest(p, `${p.name}#${serial}`, serial++);
    return { ...req, expectedPowerWPerGpu: 700 };
  };
  // Fill fast with random first-fit placements (scheduling 70,000 pods one by one would take the bench's whole budget).
  const fillStarted = performance.now();
  let allocated = 0;
  let misses = 0;
  while (allocated < args.fill * totalGpus * 1000 && misses < 10_000) {
    const pod = nextPod();
    const share = (pod.gpuMilli ?? 0) > 0 && (pod.gpuMilli ?? 0) < 1000;
    const milli = share ? pod.gpuMilli! : pod.gpusPerWorker * 1000;
    let done = false;
    for (let t = 0; t < 20 && !done; t++) {
      const node = nodes[Math.floor(rng() * nodes.length)];
      if (node.cpuMilliFree < pod.cpuMilli || node.memoryMibFree < pod.memoryMib) continue;
      const gpuIndices = share
        ? node.gpus.filter((g) => g.freeMilli >= milli).slice(0, 1).map((g) => g.index)
        : node.gpus.filter((g) => g.freeMilli === 1000).slice(0, pod.gpusPerWorker).map((g) => g.index);
      if ((share && gpuIndices.length === 0) || (!share && gpuIndices.length < pod.gpusPerWorker)) continue;
      const worker = { worker: 0, nodeId: node.id, gpuIndices, milliPerGpu: share ? milli : 1000, cpuMilli: pod.cpuMilli, memoryMib: pod.memoryMib, expectedPowerW: (milli / 1000) * 700 };
      snapshot.assume({ podId: pod.id, profile: 'fill', workers: [worker], victims: [], scores: [0] }, pod);
      running.push(pod.id);
      allocated += milli;
      done = true;
    }
    if (!done) misses++;
  }
  const fillSeconds = (performance.now() - fillStarted) / 1000;
  const times = new Float64Array(args.decisions);
  const cpuTimes = new Float64Array(args.decisions);
  let placed = 0;
  for (let k = 0; k < args.decisions; k++) {
    const pod = nextPod();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const r = scheduler.schedule(snapshot, pod);
    times[k] = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    cpuTimes[k] = (cpu.user + cpu.system) / 1000;
    if (r.status === 'scheduled') {
      snapshot.assume(r.decision, pod);
      running.push(pod.id);
      placed++;
    }
    // One departure per arrival keeps the fill steady.
    const j = Math.floor(rng() * running.length);
    snapshot.release(running[j]);
    running[j] = running[running.length - 1];
    running.pop();
  }
  times.sort();
  cpuTimes.sort();
  const summary = {
    workload: args.workload,
    gpus: totalGpus,
    nodes: nodes.length,
    racks: snapshot.rackMembers.size,
    fill_pct: Number(((100 * allocated) / (totalGpus * 1000)).toFixed(1)),
    fill_pods: running.length,
    fill_seconds: Number(fillSeconds.toFixed(1)),
    decisions: args.decisions,
    placed,
    decision_ms_p50: Number(percentile(times, 0.5).toFixed(2)),
    decision_ms_p99: Number(percentile(times, 0.99).toFixed(2)),
    decision_ms_max: Number(times[times.length - 1].toFixed(2)),
    decision_cpu_ms_p50: Number(percentile(cpuTimes, 0.5).toFixed(2)),
    decision_cpu_ms_p99: Number(percentile(cpuTimes, 0.99).toFixed(2)),
  };
  console.log(args.json ? JSON.stringify(summary) : summary);
}

main();
