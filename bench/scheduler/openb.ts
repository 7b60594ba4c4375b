// Replay of the Alibaba openb trace with the protocol of the FGD paper's simulator (see
// ../shared/traces/openb/README.md): seeded shuffle, inflation by re-sampling with replacement up to 130 % of the
// GPU capacity, arrivals only, no retries; the GPU allocation ratio is read when the arrived GPU request crosses
// 100 % and 130 % of capacity. Pure functions over parsed rows, so tests can run them on a slice of the trace.

import {
  MILLI_PER_GPU,
  type PodRequest,
  type ProfileSpec,
  type SchedNode,
  Snapshot,
  TypicalWorkload,
  createScheduler,
  gpuDemandOf,
  seededRandom,
} from '../../src/scheduler';
import { FGD_REFERENCE_PROFILE, fgdRegistry, fgdTypicalWorkload } from './fgd';

export type Policy = 'random' | 'bestfit' | 'fgd' | 'plenum';
export const POLICIES: Policy[] = ['random', 'bestfit', 'fgd', 'plenum'];

export interface TraceNode {
  name: string;
  cpuMilli: number;
  memoryMib: number;
  gpuCount: number;
  gpuModel: string;
}

export interface TracePod {
  name: string;
  cpuMilli: number;
  memoryMib: number;
  numGpu: number;
  gpuMilli: number;
  gpuModels: string[];
  /** How long the pod ran in the trace (deletion − scheduled time, s); undefined where the file has no times. */
  durationS?: number;
}

function parseCsv(text: string): Array<Record<string, string>> {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const header = lines[0].split(',');
  return lines.slice(1).map((line) => {
    const cells = line.split(',');
    const row: Record<string, string> = {};
    header.forEach((h, i) => {
      row[h] = cells[i] ?? '';
    });
    return row;
  });
}

export function parseNodes(text: string): TraceNode[] {
  return parseCsv(text).map((r) => ({
    name: r.sn,
    cpuMilli: Number(r.cpu_milli),
    memoryMib: Number(r.memory_mib),
    gpuCount: Number(r.gpu),
    gpuModel: r.model ?? '',
  }));
}

/** The multigpu files have only name,cpu_milli,memory_mib,num_gpu,gpu_milli: missing gpu_spec means any model. */
export function parsePods(text: string): TracePod[] {
  return parseCsv(text).map((r) => ({
    name: r.name,
    cpuMilli: Number(r.cpu_milli),
    memoryMib: Number(r.memory_mib),
    numGpu: Number(r.num_gpu),
    gpuMilli: Number(r.gpu_milli),
    gpuModels: r.gpu_spec ? r.gpu_spec.split('|').filter((m) => m.length > 0) : [],
    durationS: durationOf(r),
  }));
}

function durationOf(r: Record<string, string>): number | undefined {
  if (!r.deletion_time) return undefined;
  const start = Number(r.scheduled_time || r.creation_time);
  const end = Number(r.deletion_time);
  return Number.isFinite(start) && Number.isFinite(end) ? Math.max(1, end - start) : undefined;
}

/**
 * Per-seed random name prefixes, as the published simulator gives its nodes: a policy that breaks ties by the lowest
 * node name (the faithful FGD) then breaks them in a random order that is fixed for the run.
 */
export function nodeNamePrefixes(count: number, seed: number): string[] {
  const rng = seededRandom(seed * 104729 + 3);
  return Array.from({ length: count }, () => Math.floor(rng() * 0x100000000).toString(16).padStart(8, '0'));
}

/** `prefixes` (one per node) are prepended to the names; ids stay the trace's node names. */
export function toSchedNodes(nodes: TraceNode[], prefixes?: string[]): SchedNode[] {
  return nodes.map((n, i) => ({
    id: n.name,
    name: prefixes ? `${prefixes[i]}-${n.name}` : n.name,
    cpuMilliFree: n.cpuMilli,
    cpuMilliTotal: n.cpuMilli,
    memoryMibFree: n.memoryMib,
    memoryMibTotal: n.memoryMib,
    gpuModel: n.gpuModel,
    gpus: Array.from({ length: n.gpuCount }, (_, index) => ({ index, freeMilli: MILLI_PER_GPU, healthy: true })),
    zoneLevel: 0,
    healthy: true,
  }));
}

export function toPodRequest(p: TracePod, id: string, createdAt: number): PodRequest {
  // num_gpu 1 with gpu_milli < 1000 is a share of one GPU; otherwise num_gpu whole GPUs.
  const share = p.numGpu === 1 && p.gpuMilli > 0 && p.gpuMilli < MILLI_PER_GPU;
  return {
    id,
    tenant: 'openb',
    priority: 0,
    preemptible: false,
    kind: 'batch',
    workers: 1,
    gpusPerWorker: share ? 0 : p.numGpu,
    gpuMilli: share ? p.gpuMilli : undefined,
    gpuModels: p.gpuModels.length > 0 ? p.gpuModels : undefined,
    cpuMilli: p.cpuMilli,
    memoryMib: p.memoryMib,
    requiredZoneLevel: 0,
    topology: 'none',
    expectedPowerWPerGpu: 0,
    createdAt,
  };
}

export function podGpuMilliOf(p: TracePod): number {
  if (p.numGpu === 0) return 0;
  return p.numGpu === 1 && p.gpuMilli > 0 ? p.gpuMilli : p.numGpu * MILLI_PER_GPU;
}

/**
 * Arrival sequence for one seed: the trace in a seeded random order, then pods re-sampled with replacement and
 * appended while the total GPU request stays within `inflation` x capacity (or, for a trace already bigger than
 * that, random pods removed until it fits).
 */
export function arrivalSequence(pods: TracePod[], capacityMilli: number, seed: number, inflation = 1.3): TracePod[] {
  const rng = seededRandom(seed);
  const order = [...pods];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  let total = order.reduce((s, p) => s + podGpuMilliOf(p), 0);
  const target = inflation * capacityMilli;
  // A trace bigger than the target (e.g. a slice of the cluster) is thinned at random instead.
  while (total > target && order.length > 0) {
    const [removed] = order.splice(Math.floor(rng() * order.length), 1);
    total -= podGpuMilliOf(removed);
  }
  for (;;) {
    const p = pods[Math.floor(rng() * pods.length)];
    if (total + podGpuMilliOf(p) > target) break;
    total += podGpuMilliOf(p);
    order.push(p);
  }
  return order;
}

/**
 * Typical workload of the trace (the fragmentation score's input), from the original pod list. The published FGD
 * keeps the most popular shapes up to 95 % of the pods and asks only "can one more pod of the shape run?" (see
 * fgd.ts). Our production profile keeps every shape (the rare 8-GPU shapes are the ones that need whole nodes kept
 * free) and, for GPU shares, blends FGD's measure with the 'capacity' measure, which also sees the leftover inside a
 * GPU that a share cannot use (whole-GPU shapes: FGD's measure alone; see TypicalWorkloadOptions.measure).
 */
export function typicalWorkloadOf(pods: TracePod[], policy: Policy = 'fgd', nodes?: TraceNode[]): TypicalWorkload {
  const samples = pods.map((p) => {
    const req = toPodRequest(p, p.name, 0);
    return { cpuMilli: p.cpuMilli, memoryMib: p.memoryMib, demand: gpuDemandOf(req), gpuModels: req.gpuModels };
  });
  if (policy === 'plenum') {
    const modelGpus = nodes ? modelGpusOf(nodes) : undefined;
    return TypicalWorkload.fromSamples(samples, { coverage: 1, measure: 'blend', modelGpus });
  }
  return fgdTypicalWorkload(samples);
}

/** GPUs per model of a node list. */
export function modelGpusOf(nodes: TraceNode[]): Record<string, number> {
  const gpus: Record<string, number> = {};
  for (const n of nodes) if (n.gpuCount > 0) gpus[n.gpuModel] = (gpus[n.gpuModel] ?? 0) + n.gpuCount;
  return gpus;
}

/** The scheduler of a policy: the faithful FGD port for 'fgd', the production profiles otherwise. */
export function schedulerFor(policy: Policy, workload: TypicalWorkload, seed: number, profile?: ProfileSpec) {
  const rng = seededRandom(seed * 7919 + 17);
  if (policy === 'fgd' && !profile) return createScheduler(FGD_REFERENCE_PROFILE, { workload, rng, registry: fgdRegistry(workload) });
  return createScheduler(profile ?? policy, { workload, rng });
}

export interface ReplayResult {
  policy: Policy;
  seed: number;
  allocPctAt100: number;
  allocPctAt130: number;
  arrived: number;
  placed: number;
  failed: number;
  decisionMsP50: number;
  decisionMsP99: number;
  seconds: number;
  snapshot: Snapshot;
}

export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Allocated milli-GPU / capacity, recomputed from the snapshot's GPUs. */
function allocPct(snapshot: Snapshot, capacityMilli: number): number {
  let free = 0;
  for (const node of snapshot.nodes) for (const gpu of node.gpus) free += gpu.freeMilli;
  return (100 * (capacityMilli - free)) / capacityMilli;
}

export function replay(
  nodes: TraceNode[],
  pods: TracePod[],
  policy: Policy,
  seed: number,
  workload: TypicalWorkload = typicalWorkloadOf(pods, policy, nodes),
  /** Overrides the policy's profile (for experiments); the policy name still picks the workload defaults. */
  profile?: ProfileSpec,
): ReplayResult {
  const started = performance.now();
  const snapshot = new Snapshot(toSchedNodes(nodes, nodeNamePrefixes(nodes.length, seed)));
  const capacityMilli = nodes.reduce((s, n) => s + n.gpuCount * MILLI_PER_GPU, 0);
  const arrivals = arrivalSequence(pods, capacityMilli, seed);
  // The policy's own random source is separate from the arrival order: every policy sees the same arrivals.
  const scheduler = schedulerFor(policy, workload, seed, profile);
  const latencyMs = new Float64Array(arrivals.length);
  let arrivedMilli = 0;
  let at100 = Number.NaN;
  let placed = 0;
  for (let k = 0; k < arrivals.length; k++) {
    const p = arrivals[k];
    const pod = toPodRequest(p, `${p.name}#${k}`, k);
    const t0 = performance.now();
    const result = scheduler.schedule(snapshot, pod);
    if (result.status === 'scheduled') {
      snapshot.assume(result.decision, pod);
      placed++;
    }
    latencyMs[k] = performance.now() - t0;
    arrivedMilli += podGpuMilliOf(p);
    if (Number.isNaN(at100) && arrivedMilli >= capacityMilli) at100 = allocPct(snapshot, capacityMilli);
  }
  const at130 = allocPct(snapshot, capacityMilli);
  latencyMs.sort();
  return {
    policy,
    seed,
    allocPctAt100: Number.isNaN(at100) ? at130 : at100,
    allocPctAt130: at130,
    arrived: arrivals.length,
    placed,
    failed: arrivals.length - placed,
    decisionMsP50: percentile(latencyMs, 0.5),
    decisionMsP99: percentile(latencyMs, 0.99),
    seconds: (performance.now() - started) / 1000,
    snapshot,
  };
}

/**
 * Independent check of a finished replay: rebuilds every node's usage from the recorded allocations and compares
 * it with the snapshot and the capacity (no GPU above 1000 milli, no CPU or memory above capacity, models obeyed).
 */
export function verifyReplay(nodes: TraceNode[], result: ReplayResult, pods: Map<string, TracePod>): string[] {
  const problems: string[] = [];
  const usedGpu = new Map<string, number[]>();
  const usedCpu = new Map<string, number>();
  const usedMem = new Map<string, number>();
  const byName = new Map(nodes.map((n) => [n.name, n]));
  for (const alloc of result.snapshot.allocations.values()) {
    const trace = pods.get(alloc.podId.split('#')[0]);
    for (const w of alloc.workers) {
      const node = byName.get(w.nodeId);
      if (!node) {
        problems.push(`${alloc.podId}: unknown node ${w.nodeId}`);
        continue;
      }
      if (trace && trace.gpuModels.length > 0 && !trace.gpuModels.includes(node.gpuModel)) {
        problems.push(`${alloc.podId}: model ${node.gpuModel} not in ${trace.gpuModels.join('|')}`);
      }
      if (trace && podGpuMilliOf(trace) !== w.milliPerGpu * w.gpuIndices.length) {
        problems.push(`${alloc.podId}: placed ${w.milliPerGpu}x${w.gpuIndices.length} for ${podGpuMilliOf(trace)}`);
      }
      if (new Set(w.gpuIndices).size !== w.gpuIndices.length) problems.push(`${alloc.podId}: GPU taken twice`);
      const gpus = usedGpu.get(w.nodeId) ?? new Array(node.gpuCount).fill(0);
      for (const g of w.gpuIndices) gpus[g] += w.milliPerGpu;
      usedGpu.set(w.nodeId, gpus);
      usedCpu.set(w.nodeId, (usedCpu.get(w.nodeId) ?? 0) + w.cpuMilli);
      usedMem.set(w.nodeId, (usedMem.get(w.nodeId) ?? 0) + w.memoryMib);
    }
  }
  let allocatedMilli = 0;
  for (const node of result.snapshot.nodes) {
    const trace = byName.get(node.id)!;
    const gpus = usedGpu.get(node.id) ?? new Array(trace.gpuCount).fill(0);
    gpus.forEach((used: number, g: number) => {
      allocatedMilli += used;
      if (used > MILLI_PER_GPU) problems.push(`${node.id} GPU ${g}: ${used} milli allocated`);
      if (node.gpus[g].freeMilli !== MILLI_PER_GPU - used) problems.push(`${node.id} GPU ${g}: snapshot disagrees`);
    });
    if ((usedCpu.get(node.id) ?? 0) > trace.cpuMilli) problems.push(`${node.id}: CPU over capacity`);
    if ((usedMem.get(node.id) ?? 0) > trace.memoryMib) problems.push(`${node.id}: memory over capacity`);
    if (node.cpuMilliFree !== trace.cpuMilli - (usedCpu.get(node.id) ?? 0)) problems.push(`${node.id}: CPU disagrees`);
  }
  const capacityMilli = nodes.reduce((s, n) => s + n.gpuCount * MILLI_PER_GPU, 0);
  const recomputed = (100 * allocatedMilli) / capacityMilli;
  if (Math.abs(recomputed - result.allocPctAt130) > 1e-9) {
    problems.push(`reported ${result.allocPctAt130} % but allocations add up to ${recomputed} %`);
  }
  return problems;
}
