// npx tsx bench/scheduler/facility.ts [--seeds 42-44] [--jobs 15000] [--load 0.9] [--max-duration 3600]
//   [--node-stride 3] [--policies bestfit,fgd,plenum,plenum-peak,plenum-hold] [--heat-margin 0.05] [--json]
//   [--hold-rows 1] [--hold-head] [--hold-largest] [--hold-move] [--hold-backfill] [--hold-rack] (variants of
//   plenum-hold, see runFacility) [--low-draw W] (the aware policies with a score for the GPUs that draw least)
// Does reading rack power, cooling and A/B failover at placement time buy anything? The openb GPU nodes are laid into
// racks, rows and halls (facility-model.ts); pods of the default workload arrive as a Poisson process and END after
// their trace duration (the queueing bench's jobs, queueing.ts makeJobs); every arrival or
// completion starts a greedy pass over the queue (arrival order, at most 100 pods looked at). The cluster is every
// --node-stride-th openb GPU node (3: 405 nodes with the list's model mix; 1: all 1,213, about 3 × the jobs needed for
// the same steady state); the first quarter of the arrival window is a warm-up and is not judged. Node power follows the
// jobs running on it through the simulator's calibrated GPU and server models (CPUs at a constant half load): a whole-GPU pod is compute-bound (the GPU at its
// power cap), a GPU share is inference whose activity follows a daily curve between 50 % and 100 %.
//
// Power-blind policies (BestFit, the faithful FGD) see only CPU, memory and GPUs. Plenum's profile also reads, per
// node, the headroom the caller computes from the facility: min(rack budget, row feed capacity (2N), row heat limit
// less --heat-margin) minus what the pods running there reserve (reservationW): 'plenum' reserves a GPU share's draw
// at the highest activity of the daily curve within its time limit, 'plenum-peak' every pod's peak; 'plenum-hold' is
// 'plenum' with a row held for the first pod refused for power (runFacility). Same jobs, same
// seeds for all. Each seed also prints fluidBound: the allocation the power limits allow at all on its arrivals (and
// with Plenum's reservations, with and without the heat margin). Each run prints where the waiting was (GPU-hours queued
// by pod size) and how often a pod was refused for power (some node had its GPUs) or for resources (none had).

import { pathToFileURL } from 'node:url';
import {
  type PodRequest,
  type SchedNode,
  Snapshot,
  MILLI_PER_GPU,
  createScheduler,
  type TypicalWorkload,
  seededRandom,
  PROFILES,
  defaultRegistry,
} from '../../src/scheduler';
import { type JobPower, reservationW as sharedReservationW, sineDailyCurve } from '../../src/domain/inference-reserve';
import { FGD_REFERENCE_PROFILE, fgdRegistry } from './fgd';
import {
  type Facility,
  type ViolationTotals,
  accountInterval,
  emptyTotals,
  layOut,
  newAccountingState,
  powerBoundGpus,
  rowHeatLimitW,
} from './facility-model';
import { percentile, toSchedNodes, typicalWorkloadOf } from './openb';
import { makeJobs } from './queueing';

export const FACILITY_POLICIES = ['bestfit', 'fgd', 'plenum', 'plenum-peak', 'plenum-hold'] as const;
export type FacilityPolicy = (typeof FACILITY_POLICIES)[number];
const SCAN_DEPTH = 100;
const STEP_S = 60;

/** Inference activity over the day, 0.5-1.0 (the shared rule's sine curve, src/domain/inference-reserve.ts). */
export const INFERENCE_CURVE = sineDailyCurve(0.5, 1);
export function inferenceActivity(tS: number): number {
  return INFERENCE_CURVE.activityAt(tS);
}

/** The highest inference activity over [fromS, toS] (exact: see sineDailyCurve). */
export function peakActivityOver(fromS: number, toS: number): number {
  return INFERENCE_CURVE.peakOver(fromS, toS);
}

export type { JobPower };

function jobPowerOf(facility: Facility, nodeIndex: number, pod: PodRequest): JobPower {
  const p = facility.power[nodeIndex];
  const milli = pod.gpuMilli !== undefined && pod.gpuMilli > 0 && pod.gpuMilli < MILLI_PER_GPU ? pod.gpuMilli : pod.gpusPerWorker * MILLI_PER_GPU;
  const gpus = milli / MILLI_PER_GPU;
  return { staticW: gpus * p.gpuContextW, dynamicW: gpus * p.gpuDynamicW, inference: milli > 0 && milli < MILLI_PER_GPU };
}

/** Peak draw of a pod on a node of this class (what Plenum reserves), W per GPU of the request. */
function peakWPerGpu(facility: Facility, nodeIndex: number): number {
  const p = facility.power[nodeIndex];
  return p.gpuContextW + p.gpuDynamicW;
}

export type FacilitySetup = ReturnType<typeof makeJobs> & {
  fgdWorkload: TypicalWorkload;
  plenumWorkload: TypicalWorkload;
  /** Every job ends within this long of its start (the site's time limit; the bench caps trace durations at it). */
  timeLimitS: number;
};

/**
 * What the facility-aware caller reserves for a pod that starts at `startS`, W: the shared rule
 * (src/domain/inference-reserve.ts reservationW), the one Plenum's scheduler service applies:
 * - a whole-GPU pod: its peak (compute-bound, at the GPU's power cap), in either mode;
 * - a GPU share (inference), 'peak': its peak; 'forecast': its static part plus its dynamic part at the highest
 *   activity the daily curve reaches while it may run (from its start to its start + the time limit).
 * Either bounds what the pod draws at every moment of its life. A placement is admitted only while the sum of the
 * reservations in its rack and row stays within their limits, and the sum only falls in between (departures), so the
 * draw never passes a limit.
 */
export type ReserveMode = 'peak' | 'forecast';
export function reservationW(jp: JobPower, startS: number, timeLimitS: number, mode: ReserveMode): number {
  return sharedReservationW(jp, startS, mode === 'forecast' ? timeLimitS : null, INFERENCE_CURVE);
}

/**
 * How much GPU allocation the layout's power limits allow at all on this arrival sequence, as a fluid bound: every
 * job asks for its GPUs from its arrival for its duration (what a policy with no power limit serves, as BestFit does);
 * a fluid server runs as much of the asked-for GPU time as the power bound allows at each moment (powerBoundGpus:
 * racks, row feeds and row heat limits; any fraction of a GPU, on the GPUs that draw least, no pod shapes, CPUs or
 * GPU models) and carries the rest over as backlog, served as soon as the bound allows. The judged window's served GPU
 * time over its capacity is the bound. Three draws per GPU in use:
 * - `actualPct`: GPU shares draw their dynamic part at the curve's activity of the moment. No placement can beat it
 *   without a violation: what the layout allows at all.
 * - `reservedPct`: shares at the highest activity over the next time limit, and the heat limit less `heatMargin`:
 *   what Plenum's reservations ('forecast') allow.
 * - `peakPct`: every GPU at its peak and the heat margin: what reserving each pod's peak allows.
 */
export function fluidBound(setup: FacilitySetup, facility: Facility, heatMargin = 0.05): { actualPct: number; reservedPct: number; peakPct: number } {
  const gpuCounts = setup.nodes.map((n) => n.gpuCount);
  const boundMilli = (heatShare: number) => MILLI_PER_GPU * powerBoundGpus(facility, gpuCounts, (i) => peakWPerGpu(facility, i), 0.5, heatShare);
  // A share's draw per milli over a whole GPU's: 1 − (1 − activity) × dynamic share; the largest dynamic share over
  // the classes makes it the lowest ratio, so the bound stays an upper bound.
  const dynShare = Math.max(...facility.power.map((p) => p.gpuDynamicW / (p.gpuContextW + p.gpuDynamicW)));
  const events: Array<{ t: number; milli: number; share: number }> = [];
  for (const j of setup.jobs) {
    const share = j.gpuMilli > 0 && j.gpuMilli < MILLI_PER_GPU ? j.gpuMilli : 0;
    events.push({ t: j.arrival, milli: j.gpuMilli, share }, { t: j.arrival + j.duration, milli: -j.gpuMilli, share: -share });
  }
  events.sort((a, b) => a.t - b.t);
  const lastArrival = setup.jobs.at(-1)!.arrival;
  const warmup = lastArrival / 4;
  const run = (peakMilli: number, activityOf: ((t: number) => number) | null) => {
    let demand = 0;
    let shareMilli = 0;
    let backlog = 0;
    let served = 0;
    let t = 0;
    const step = (to: number) => {
      while (t < to) {
        const dt = Math.min(STEP_S, to - t);
        const phi = demand > 0 ? shareMilli / demand : 0;
        const cap = activityOf ? peakMilli / (1 - phi * (1 - activityOf(t + dt / 2)) * dynShare) : peakMilli;
        // Serve the demand, then the backlog, up to the cap; the rest joins the backlog.
        let rate: number;
        if (demand >= cap) {
          rate = cap;
          backlog += (demand - cap) * dt;
        } else {
          const drain = Math.min(backlog, (cap - demand) * dt);
          backlog -= drain;
          rate = demand + drain / dt;
        }
        const from = Math.max(t, warmup);
        const until = Math.min(t + dt, lastArrival);
        if (until > from) served += rate * (until - from);
        t += dt;
      }
    };
    for (const e of events) {
      if (e.t > lastArrival) break;
      step(e.t);
      demand += e.milli;
      shareMilli += e.share;
    }
    step(lastArrival);
    return Number(((100 * served) / (setup.capacityMilli * (lastArrival - warmup))).toFixed(2));
  };
  const withMargin = boundMilli(1 - heatMargin);
  return {
    actualPct: run(boundMilli(1), inferenceActivity),
    reservedPct: run(withMargin, (t) => peakActivityOver(t, t + setup.timeLimitS)),
    peakPct: run(withMargin, null),
  };
}

/**
 * The earliest time a pod could start in one row if nothing else started there (its shadow time): the running pods of
 * the row end in end order, and the pod can start once the rack of one of its candidate nodes (nodes with room for it
 * but for the power, each with the pod's reservation there, `needW`) has that much below its budget and the row below
 * `rowLimitW`. `now` if it fits already, Infinity if it never does (or has no candidate).
 */
export function shadowStartS(
  now: number,
  rowLimitW: number,
  racks: Array<{ rack: number; budgetW: number; reservedW: number }>,
  candidates: Array<{ rack: number; needW: number }>,
  ending: Array<{ t: number; rack: number; w: number }>,
): number {
  if (candidates.length === 0) return Number.POSITIVE_INFINITY;
  const budget = new Map(racks.map((r) => [r.rack, r.budgetW]));
  const reserved = new Map(racks.map((r) => [r.rack, r.reservedW]));
  let rowReserved = racks.reduce((s, r) => s + r.reservedW, 0);
  const fits = () => candidates.some((c) => c.needW <= Math.min(budget.get(c.rack)! - reserved.get(c.rack)!, rowLimitW - rowReserved));
  if (fits()) return now;
  for (const e of [...ending].sort((a, b) => a.t - b.t)) {
    reserved.set(e.rack, reserved.get(e.rack)! - e.w);
    rowReserved -= e.w;
    if (fits()) return e.t;
  }
  return Number.POSITIVE_INFINITY;
}

export interface FacilityRunOptions {
  /** Share of each row's heat limit kept free (the aware policies); 0.05 unless given. */
  heatMargin?: number;
  /** Try every blocked pod on every pass (no skipping): for the test that skipping changes no decision. */
  retryAll?: boolean;
  /** 'plenum-hold' only: how many rows may be held at once (1), whether holds move, whether pods backfill into them. */
  hold?: { rack?: boolean; head?: boolean; largest?: boolean; rows?: number; move?: boolean; backfill?: boolean };
  /** Experiment: weight of a score preferring the GPU classes that draw least per GPU (none unless given). */
  lowDrawWeight?: number;
}

export function runFacility(setup: FacilitySetup, facility: Facility, policy: FacilityPolicy, seed: number, options: FacilityRunOptions = {}) {
  const started = performance.now();
  const aware = policy.startsWith('plenum');
  const reserveMode: ReserveMode = policy === 'plenum-peak' ? 'peak' : 'forecast';
  const rowHold = policy === 'plenum-hold';
  const heatShare = 1 - (options.heatMargin ?? 0.05);
  const schedNodes: SchedNode[] = toSchedNodes(setup.nodes);
  // CPU power is taken as constant at half the cores busy: the trace's CPU requests do not say how busy pods keep them.
  const rackIdle = facility.racks.map((r) => r.nodes.reduce((s, i) => s + facility.power[i].idleW + 0.5 * facility.power[i].cpuDynamicW, 0));
  // Rack draw now = steady + inference × activity. The aware policies read headroom against what is reserved: the
  // rack's idle floor plus each running pod's reservation (reservationW).
  const steadyW = Float64Array.from(rackIdle);
  const inferenceW = new Float64Array(facility.racks.length);
  const reservedW = Float64Array.from(rackIdle);
  const rackW = new Float64Array(facility.racks.length);
  const headroomOf = (rack: number) => {
    const r = facility.racks[rack];
    const row = facility.rows[r.row];
    let rowReserved = 0;
    for (const k of row.racks) rowReserved += reservedW[k];
    // Cooling: the heat at which the row's inlet would settle at 27 °C, less a margin (the room's first-order
    // response never overshoots its target, so the margin covers only error in the model of the room).
    const heatLimitW = heatShare * rowHeatLimitW(row);
    return Math.min(r.budgetW - reservedW[rack], row.feedCapacityW - rowReserved, heatLimitW - rowReserved);
  };
  // Every pod asks for the peak of the most power-hungry GPU class per GPU (the framework sizes a pod's draw before it
  // knows the node); each node's headroom is scaled by the same ratio, so the check is exact for the node's own class.
  const maxPeakPerGpu = Math.max(...setup.nodes.map((_, i) => peakWPerGpu(facility, i)));
  const refreshRow = (row: number) => {
    for (const k of facility.rows[row].racks) {
      const h = headroomOf(k);
      for (const i of facility.racks[k].nodes) {
        const scaled = (h * maxPeakPerGpu) / peakWPerGpu(facility, i);
        schedNodes[i].powerHeadroomW = scaled;
        schedNodes[i].coolingHeadroomW = scaled;
      }
    }
  };
  if (aware) {
    schedNodes.forEach((n, i) => {
      n.rackId = facility.racks[facility.rackOfNode[i]].id;
    });
    for (let r = 0; r < facility.rows.length; r++) refreshRow(r);
  }
  const snapshot = new Snapshot(schedNodes);
  const rng = seededRandom(seed * 7919 + 17);
  const scheduler =
    policy === 'fgd'
      ? createScheduler(FGD_REFERENCE_PROFILE, { workload: setup.fgdWorkload, rng, registry: fgdRegistry(setup.fgdWorkload) })
      : aware && options.lowDrawWeight
        ? createScheduler(
            { ...PROFILES.plenum, scores: [...PROFILES.plenum.scores, { plugin: 'LowDraw', weight: options.lowDrawWeight }] },
            {
              workload: setup.plenumWorkload,
              rng,
              registry: defaultRegistry().register('LowDraw', () => ({ name: 'LowDraw', score: (_state, node) => -peakWPerGpu(facility, snapshot.indexById.get(node.id)!) })),
            },
          )
        : createScheduler(aware ? 'plenum' : policy, { workload: aware ? setup.plenumWorkload : undefined, rng });

  const jobs = setup.jobs.map((j) => ({ ...j, pod: { ...j.pod }, start: undefined as number | undefined, blockedAt: -1, blockedAsking: 0, powerBlocked: false }));
  if (aware) for (const j of jobs) j.pod.expectedPowerWPerGpu = maxPeakPerGpu;
  // A share's request per GPU, in the same scaled units, for a given forecast activity: the largest ratio of
  // reservation to peak over the node classes, so it is at least the exact figure on whichever node it lands.
  const classes = [...new Map(facility.power.map((p) => [`${p.gpuContextW}/${p.gpuDynamicW}`, p])).values()];
  const shareRequestPerGpu = (activity: number) =>
    maxPeakPerGpu * Math.max(...classes.map((p) => (p.gpuContextW + activity * p.gpuDynamicW) / (p.gpuContextW + p.gpuDynamicW)));
  const isShare = (pod: PodRequest) => pod.gpuMilli !== undefined && pod.gpuMilli > 0 && pod.gpuMilli < MILLI_PER_GPU;
  const byId = new Map(jobs.map((j) => [j.pod.id, j]));
  interface Running {
    rack: number;
    jp: JobPower;
    reservedW: number;
  }
  const power = new Map<string, Running>();
  const ends: Array<{ t: number; id: string }> = [];
  const pushEnd = (t: number, id: string) => {
    ends.push({ t, id });
    for (let i = ends.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (ends[p].t <= ends[i].t) break;
      [ends[p], ends[i]] = [ends[i], ends[p]];
      i = p;
    }
  };
  const popEnd = () => {
    const top = ends[0];
    const last = ends.pop()!;
    if (ends.length > 0) {
      ends[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < ends.length && ends[l].t < ends[m].t) m = l;
        if (r < ends.length && ends[r].t < ends[m].t) m = r;
        if (m === i) break;
        [ends[m], ends[i]] = [ends[i], ends[m]];
        i = m;
      }
    }
    return top;
  };
  const apply = (run: Running, sign: 1 | -1) => {
    const { rack, jp } = run;
    if (jp.inference) {
      steadyW[rack] += sign * jp.staticW;
      inferenceW[rack] += sign * jp.dynamicW;
    } else steadyW[rack] += sign * (jp.staticW + jp.dynamicW);
    reservedW[rack] += sign * run.reservedW;
    if (aware) refreshRow(facility.racks[rack].row);
  };

  const queue: typeof jobs = [];
  const lastArrival = jobs.at(-1)!.arrival;
  let next = 0;
  let clock = 0;
  let allocatedMilli = 0;
  let busyMilliS = 0;
  let queuedS = 0;
  let spareRowWS = 0;
  let freeMilliS = 0;
  const freeByClassMilliS = new Map<number, number>();
  const spareByRow = new Float64Array(facility.rows.length);
  const spareRackByRow = new Float64Array(facility.rows.length);
  const totals: ViolationTotals = emptyTotals();
  const accounting = newAccountingState(facility);
  let accountedTo = 0;
  // Judged: the arrival window after a warm-up of a quarter of it (the cluster starts empty; afterwards it drains).
  const warmup = lastArrival / 4;
  const accountUntil = (t: number) => {
    const end = Math.min(t, lastArrival);
    if (accountedTo < warmup) {
      // During the warm-up only the inlet temperatures evolve; nothing is counted.
      const scratch = emptyTotals();
      while (accountedTo < Math.min(end, warmup)) {
        const dt = Math.min(STEP_S, Math.min(end, warmup) - accountedTo);
        const activity = inferenceActivity(accountedTo + dt / 2);
        for (let k = 0; k < rackW.length; k++) rackW[k] = steadyW[k] + inferenceW[k] * activity;
        accountInterval(facility, rackW, dt, accounting, scratch);
        accountedTo += dt;
      }
    }
    while (accountedTo < end) {
      const dt = Math.min(STEP_S, end - accountedTo);
      const activity = inferenceActivity(accountedTo + dt / 2);
      for (let k = 0; k < rackW.length; k++) rackW[k] = steadyW[k] + inferenceW[k] * activity;
      accountInterval(facility, rackW, dt, accounting, totals);
      accountedTo += dt;
    }
  };

  // A pod that found no node stays blocked until a node's resources or headroom grow, which only a departure does (its
  // row's headroom and its node's resources; placements only take), or until it asks for less power (a share's
  // forecast can fall). So a blocked pod is tried again only when a row changed since, and only if some node of a
  // changed row passes the filters now (every other node is as it was when the pod last failed, or fuller): the same
  // decisions, without the retries.
  const rowChangedAt = new Int32Array(facility.rows.length).fill(-1);
  let changeSeq = 0;
  const rowChanged = (row: number) => {
    rowChangedAt[row] = ++changeSeq;
  };
  const stillBlocked = (job: (typeof jobs)[number]) => {
    if (options.retryAll || job.blockedAt < 0 || job.pod.expectedPowerWPerGpu < job.blockedAsking) return false;
    let dirty = false;
    for (let r = 0; r < rowChangedAt.length; r++) if (rowChangedAt[r] > job.blockedAt) dirty = true;
    if (!dirty) return true;
    if ((job.pod.workers ?? 1) > 1) return false;
    const state = scheduler.newCycle(snapshot, job.pod);
    for (let r = 0; r < rowChangedAt.length; r++) {
      if (rowChangedAt[r] <= job.blockedAt) continue;
      for (const k of facility.rows[r].racks) {
        for (const i of facility.racks[k].nodes) if (scheduler.runFilters(state, snapshot.nodes[i], i) === null) return false;
      }
    }
    job.blockedAt = changeSeq;
    return true;
  };
  let scheduleCalls = 0;
  // 'plenum-hold': the first pod refused for power while some node has room for it but for the power is given a row
  // (of those nodes, the one with the most headroom), and until it starts no other pod is placed in that row, so the
  // power that departures free there adds up for it instead of going to the pods behind it in small pieces.
  // Variants (options.hold, --hold-*; measured in docs/BENCHMARKS.md, ninth session, none adopted): `rows`: up to that
  // many holds at once, each in its own row; `head`: a free hold goes to the pod longest in the queue whose last
  // refusal was for power, `largest`: to the one asking for the most power; `move`: every pass each hold goes to the
  // row where its pod could start soonest (shadowStartS, on the running pods' true ends); `backfill`: a pod may still
  // land in a held row if it ends (by its duration, exact in this bench) no later than the held pod's shadow time
  // there; `rack`: a pod may land in a held row outside the held node's rack while the row keeps the held pod's
  // reservation free.
  const holdOpts = {
    rows: options.hold?.rows ?? 1,
    head: (options.hold?.head || options.hold?.largest) ?? false,
    largest: options.hold?.largest ?? false,
    move: options.hold?.move ?? false,
    backfill: options.hold?.backfill ?? false,
    rack: options.hold?.rack ?? false,
  };
  const rowNodes = facility.rows.map((r) => r.racks.flatMap((k) => facility.racks[k].nodes));
  type Hold = { job: (typeof jobs)[number]; row: number; node: number; shadowAt: number; shadow: number; since: number };
  let holdCount = 0;
  let holdS = 0;
  const holdGpus: Record<string, number> = {};
  const holds: Hold[] = [];
  let heldBack = 0;
  let admittedInHeld = 0;
  let passSeq = 0;
  const heldRowOf = (row: number, except: (typeof jobs)[number]) => holds.find((h) => h.row === row && h.job !== except);
  const endOf = (id: string) => {
    const j = byId.get(id)!;
    return j.start! + j.duration;
  };
  /** Nodes of each row with room for `job` but for the power: the filters with a request that draws nothing. */
  const fitButPower = (job: (typeof jobs)[number]) => {
    const ask = job.pod.expectedPowerWPerGpu;
    job.pod.expectedPowerWPerGpu = 0;
    const state = scheduler.newCycle(snapshot, job.pod);
    const out = rowNodes.map((nodes) => nodes.filter((i) => scheduler.runFilters(state, snapshot.nodes[i], i) === null));
    job.pod.expectedPowerWPerGpu = ask;
    return out;
  };
  /**
   * The earliest time `job` could start on one of `candidates` (nodes of `row`) if nothing else started there: the
   * running pods of the row end in end order, and it can start once some candidate's rack and the row have its
   * reservation free (the same limits as headroomOf). Infinity when no candidate.
   */
  const shadowTime = (job: (typeof jobs)[number], row: number, candidates: number[], now: number) => {
    const r = facility.rows[row];
    const podW = ((job.gpuMilli / MILLI_PER_GPU) * job.pod.expectedPowerWPerGpu) / maxPeakPerGpu;
    const ending: Array<{ t: number; rack: number; w: number }> = [];
    for (const [id, run] of power) if (facility.racks[run.rack].row === row) ending.push({ t: endOf(id), rack: run.rack, w: run.reservedW });
    return shadowStartS(
      now,
      Math.min(r.feedCapacityW, heatShare * rowHeatLimitW(r)),
      r.racks.map((k) => ({ rack: k, budgetW: facility.racks[k].budgetW, reservedW: reservedW[k] })),
      candidates.map((i) => ({ rack: facility.rackOfNode[i], needW: podW * peakWPerGpu(facility, i) })),
      ending,
    );
  };
  const rowSpareW = (row: number) => {
    const r = facility.rows[row];
    let res = 0;
    for (const k of r.racks) res += reservedW[k];
    return Math.min(r.feedCapacityW, heatShare * rowHeatLimitW(r)) - res;
  };
  /** What `job` reserves on node `i`, W (its request is in the scaled units of the most power-hungry class). */
  const drawW = (job: (typeof jobs)[number], i: number) => ((job.gpuMilli / MILLI_PER_GPU) * job.pod.expectedPowerWPerGpu * peakWPerGpu(facility, i)) / maxPeakPerGpu;
  const shadowOf = (h: Hold, now: number) => {
    if (h.shadowAt !== passSeq) {
      h.shadow = shadowTime(h.job, h.row, fitButPower(h.job)[h.row], now);
      h.shadowAt = passSeq;
    }
    return h.shadow;
  };
  /**
   * The row to hold for `job`: of the rows not held for another pod that have a node with room for it but for the
   * power, the one with the node with the most headroom (with `move`: the soonest shadow time, then that).
   */
  const chooseRow = (job: (typeof jobs)[number], now: number) => {
    const fit = fitButPower(job);
    let best = { row: -1, shadow: Number.POSITIVE_INFINITY, headroom: Number.NEGATIVE_INFINITY, node: -1 };
    for (let r = 0; r < rowNodes.length; r++) {
      if (fit[r].length === 0 || heldRowOf(r, job)) continue;
      let node = fit[r][0];
      for (const i of fit[r]) if ((snapshot.nodes[i].powerHeadroomW ?? 0) > (snapshot.nodes[node].powerHeadroomW ?? 0)) node = i;
      const headroom = snapshot.nodes[node].powerHeadroomW ?? 0;
      const shadow = holdOpts.move ? shadowTime(job, r, fit[r], now) : 0;
      if (shadow < best.shadow || (shadow === best.shadow && headroom > best.headroom)) best = { row: r, shadow, headroom, node };
    }
    return best;
  };
  const holdFor = (job: (typeof jobs)[number], now: number) => {
    const best = chooseRow(job, now);
    if (best.row >= 0) {
      holds.push({ job, row: best.row, node: best.node, shadowAt: -1, shadow: 0, since: now });
      holdCount++;
    }
  };
  /**
   * With `head`: free holds go to the pods longest in the queue whose last refusal was for power; with `largest`, to
   * those that ask for the most power (then the longest in the queue).
   */
  const assignHolds = (now: number) => {
    const waiting = queue.slice(0, SCAN_DEPTH).filter((job) => job.powerBlocked && !holds.some((h) => h.job === job));
    if (holdOpts.largest) waiting.sort((a, b) => b.gpuMilli * b.pod.expectedPowerWPerGpu - a.gpuMilli * a.pod.expectedPowerWPerGpu);
    for (const job of waiting) {
      if (holds.length >= holdOpts.rows) break;
      holdFor(job, now);
    }
  };
  const outsideHeldRows = (job: (typeof jobs)[number]) => {
    const held = holds.filter((h) => h.job !== job).flatMap((h) => rowNodes[h.row].map((i) => snapshot.nodes[i]));
    const healthy = held.map((n) => n.healthy);
    for (const n of held) n.healthy = false;
    try {
      return scheduler.schedule(snapshot, job.pod, { preempt: false });
    } finally {
      held.forEach((n, k) => {
        n.healthy = healthy[k];
      });
    }
  };
  let refusedPower = 0;
  const refusedBySize: Record<string, [number, number]> = {};
  let refusedResources = 0;

  const pass = (now: number) => {
    passSeq++;
    if (holdOpts.move) {
      for (const h of holds) {
        const best = chooseRow(h.job, now);
        if (best.row >= 0 && best.row !== h.row) {
          h.row = best.row;
          h.node = best.node;
          h.shadowAt = -1;
        }
      }
    }
    if (rowHold && holdOpts.head && holds.length < holdOpts.rows) assignHolds(now);
    const shareAsk = reserveMode === 'peak' ? maxPeakPerGpu : shareRequestPerGpu(peakActivityOver(now, now + setup.timeLimitS));
    for (let i = 0, looked = 0; i < queue.length && looked < SCAN_DEPTH; looked++) {
      const job = queue[i];
      if (aware && isShare(job.pod)) job.pod.expectedPowerWPerGpu = shareAsk;
      if (stillBlocked(job)) {
        i++;
        continue;
      }
      scheduleCalls++;
      let result = scheduler.schedule(snapshot, job.pod, { preempt: false });
      if (rowHold && result.status === 'scheduled' && holds.length > 0) {
        const landed = snapshot.indexById.get(result.decision.workers[0].nodeId)!;
        const h = heldRowOf(facility.racks[facility.rackOfNode[landed]].row, job);
        if (h && holdOpts.backfill && now + job.duration <= shadowOf(h, now)) admittedInHeld++;
        else if (h && holdOpts.rack && facility.rackOfNode[landed] !== facility.rackOfNode[h.node] && rowSpareW(h.row) - drawW(job, landed) >= drawW(h.job, h.node)) admittedInHeld++;
        else if (h) {
          result = outsideHeldRows(job);
          if (result.status !== 'scheduled') {
            // Not blocked by the filters (it fits in a held row), so not marked blocked: tried again next pass.
            heldBack++;
            i++;
            continue;
          }
        }
      }
      if (result.status !== 'scheduled') {
        const forPower = (result.reasons['rack-power-headroom'] ?? 0) + (result.reasons['cooling-headroom'] ?? 0) > 0;
        job.powerBlocked = forPower;
        if (rowHold && forPower && holds.length < holdOpts.rows && !holds.some((h) => h.job === job)) {
          if (holdOpts.head) assignHolds(now);
          else holdFor(job, now);
        }
        // Why: some node had the GPUs, CPU and memory but not the power or cooling headroom, or none had them at all.
        if (forPower) refusedPower++;
        else refusedResources++;
        {
          const key = isShare(job.pod) ? 'share' : `${job.pod.gpusPerWorker * (job.pod.workers ?? 1)}`;
          refusedBySize[key] ??= [0, 0];
          refusedBySize[key][forPower ? 0 : 1]++;
        }
        job.blockedAt = changeSeq;
        job.blockedAsking = job.pod.expectedPowerWPerGpu;
        i++;
        continue;
      }
      snapshot.assume(result.decision, job.pod);
      const nodeIndex = snapshot.indexById.get(result.decision.workers[0].nodeId)!;
      const rack = facility.rackOfNode[nodeIndex];
      const jp = jobPowerOf(facility, nodeIndex, job.pod);
      const run: Running = { rack, jp, reservedW: reservationW(jp, now, setup.timeLimitS, reserveMode) };
      power.set(job.pod.id, run);
      apply(run, 1);
      pushEnd(now + job.duration, job.pod.id);
      allocatedMilli += job.gpuMilli;
      job.start = now;
      const mine = holds.findIndex((h) => h.job === job);
      if (mine >= 0) {
        holdS += now - holds[mine].since;
        const key = isShare(job.pod) ? 'share' : `${job.pod.gpusPerWorker * (job.pod.workers ?? 1)}`;
        holdGpus[key] = (holdGpus[key] ?? 0) + 1;
        holds.splice(mine, 1);
      }
      queue.splice(i, 1);
    }
  };

  while (next < jobs.length || ends.length > 0) {
    const now = Math.min(jobs[next]?.arrival ?? Number.POSITIVE_INFINITY, ends[0]?.t ?? Number.POSITIVE_INFINITY);
    accountUntil(now);
    const judgedS = Math.max(0, Math.min(now, lastArrival) - Math.max(clock, warmup));
    busyMilliS += allocatedMilli * judgedS;
    if (judgedS > 0 && queue.length > 0) {
      // While pods wait: the power left in each row (its tightest limit less what is reserved there) and the free GPUs.
      queuedS += judgedS;
      for (let r = 0; r < facility.rows.length; r++) {
        const row = facility.rows[r];
        let res = 0;
        for (const k of row.racks) res += reservedW[k];
        const rowSpare = Math.max(0, Math.min(row.feedCapacityW, heatShare * rowHeatLimitW(row)) - res);
        spareRowWS += rowSpare * judgedS;
        let rackSpare = 0;
        for (const k of row.racks) rackSpare += Math.max(0, facility.racks[k].budgetW - reservedW[k]);
        spareByRow[r] += rowSpare * judgedS;
        spareRackByRow[r] += Math.min(rowSpare, rackSpare) * judgedS;
      }
      freeMilliS += (setup.capacityMilli - allocatedMilli) * judgedS;
      for (let i = 0; i < snapshot.nodes.length; i++) {
        const key = Math.round(peakWPerGpu(facility, i));
        let free = 0;
        for (const g of snapshot.nodes[i].gpus) free += g.freeMilli;
        freeByClassMilliS.set(key, (freeByClassMilliS.get(key) ?? 0) + free * judgedS);
      }
    }
    clock = now;
    while (ends.length > 0 && ends[0].t <= now) {
      const { id } = popEnd();
      snapshot.release(id);
      const p = power.get(id)!;
      apply(p, -1);
      rowChanged(facility.racks[p.rack].row);
      power.delete(id);
      allocatedMilli -= byId.get(id)!.gpuMilli;
    }
    while (next < jobs.length && jobs[next].arrival <= now) queue.push(jobs[next++]);
    pass(now);
  }

  // A digest of every start time, so two runs can be compared decision for decision (same starts, same order).
  let digest = 2166136261;
  for (const j of jobs) {
    const text = `${j.pod.id}@${j.start}`;
    for (let c = 0; c < text.length; c++) digest = Math.imul(digest ^ text.charCodeAt(c), 16777619) >>> 0;
  }
  const judged = jobs.filter((j) => j.arrival >= warmup && j.arrival <= lastArrival);
  const waits = Float64Array.from(judged.map((j) => j.start! - j.arrival)).sort();
  const mean = (xs: Float64Array) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
  // Where the waiting is: GPU-hours spent queued by the judged pods, by size (a share, 1, 2, 4 or 8 GPUs).
  const waitGpuH: Record<string, number> = {};
  for (const j of judged) {
    const key = isShare(j.pod) ? 'share' : `${j.pod.gpusPerWorker * (j.pod.workers ?? 1)}`;
    waitGpuH[key] = (waitGpuH[key] ?? 0) + (j.gpuMilli * (j.start! - j.arrival)) / MILLI_PER_GPU / 3600;
  }
  for (const k of Object.keys(waitGpuH)) waitGpuH[k] = Number(waitGpuH[k].toFixed(1));
  return {
    policy,
    seed,
    jobs: jobs.length,
    alloc_pct: Number(((100 * busyMilliS) / (setup.capacityMilli * (lastArrival - warmup))).toFixed(2)),
    mean_wait_s: Math.round(mean(waits)),
    // Each pod's wait weighted by its GPUs: what the allocation feels (a large pod waiting holds back more GPU time).
    gpu_mean_wait_s: Math.round(judged.reduce((s, j) => s + j.gpuMilli * (j.start! - j.arrival), 0) / Math.max(1, judged.reduce((s, j) => s + j.gpuMilli, 0))),
    p95_wait_s: Math.round(percentile(waits, 0.95)),
    rack_budget_episodes: totals.rackBudgetEpisodes,
    rack_budget_kw_min: Number(totals.rackBudgetKwMin.toFixed(1)),
    failover_episodes: totals.failoverEpisodes,
    failover_kw_min: Number(totals.failoverKwMin.toFixed(1)),
    inlet_rack_min: Number(totals.inletRackMin.toFixed(1)),
    max_inlet_c: Number(totals.maxInletC.toFixed(1)),
    hours: Number((lastArrival / 3600).toFixed(1)),
    seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    starts_digest: digest.toString(16),
    schedule_calls: scheduleCalls,
    refused_power: refusedPower,
    refused_resources: refusedResources,
    refused_by_size: refusedBySize,
    held_back: heldBack,
    // Of the judged time, the share with pods queued, and then the mean spare row power (kW, all rows) and free GPUs.
    queued_share: Number((queuedS / (lastArrival - warmup)).toFixed(3)),
    queued_spare_row_kw: Number((spareRowWS / Math.max(1, queuedS) / 1000).toFixed(1)),
    queued_spare_by_row_kw: Array.from(spareByRow, (w) => Number((w / Math.max(1, queuedS) / 1000).toFixed(1))),
    queued_spare_racks_by_row_kw: Array.from(spareRackByRow, (w) => Number((w / Math.max(1, queuedS) / 1000).toFixed(1))),
    queued_free_gpus_by_peak_w: Object.fromEntries([...freeByClassMilliS].map(([w, m]) => [w, Number((m / Math.max(1, queuedS) / MILLI_PER_GPU).toFixed(1))])),
    queued_free_gpus: Number((freeMilliS / Math.max(1, queuedS) / MILLI_PER_GPU).toFixed(1)),
    admitted_in_held_row: admittedInHeld,
    holds: holdCount,
    hold_mean_s: Math.round(holdS / Math.max(1, holdCount)),
    holds_by_size: holdGpus,
    wait_gpu_h: waitGpuH,
  };
}

function parseArgs(argv: string[]) {
  const args = { seeds: [42, 43, 44], jobs: 15_000, load: 0.9, maxDurationS: 3600, nodeStride: 3, policies: [...FACILITY_POLICIES] as FacilityPolicy[], heatMargin: 0.05, json: false, lowDraw: 0, hold: {} as { rack?: boolean; head?: boolean; largest?: boolean; rows?: number; move?: boolean; backfill?: boolean } };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--json') args.json = true;
    else if (a === '--jobs') args.jobs = Number(value());
    else if (a === '--load') args.load = Number(value());
    else if (a === '--max-duration') args.maxDurationS = Number(value());
    else if (a === '--node-stride') args.nodeStride = Number(value());
    else if (a === '--heat-margin') args.heatMargin = Number(value());
    else if (a === '--hold-rows') args.hold.rows = Number(value());
    else if (a === '--hold-move') args.hold.move = true;
    else if (a === '--hold-head') args.hold.head = true;
    else if (a === '--hold-rack') args.hold.rack = true;
    else if (a === '--hold-largest') args.hold.largest = true;
    else if (a === '--low-draw') args.lowDraw = Number(value());
    else if (a === '--hold-backfill') args.hold.backfill = true;
    else if (a === '--policies') {
      const list = value().split(',');
      for (const p of list) if (!FACILITY_POLICIES.includes(p as FacilityPolicy)) throw new Error(`--policies: unknown policy "${p}"; known: ${FACILITY_POLICIES.join(', ')}`);
      args.policies = list as FacilityPolicy[];
    } else if (a === '--seeds') {
      const m = /^(\d+)(?:-(\d+))?$/.exec(value());
      if (!m) throw new Error('--seeds takes N or N-M');
      args.seeds = [];
      for (let s = Number(m[1]); s <= Number(m[2] ?? m[1]); s++) args.seeds.push(s);
    } else if (a !== '--') throw new Error(`unknown argument ${a}`);
  }
  if (!(args.jobs > 0) || !(args.load > 0) || !(args.maxDurationS > 0)) throw new Error('--jobs, --load and --max-duration must be positive numbers');
  return args;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const results: object[] = [];
  for (const seed of args.seeds) {
    const base = makeJobs(seed, args.jobs, args.load, args.maxDurationS, args.nodeStride);
    const facility = layOut(base.nodes);
    const setup = {
      ...base,
      fgdWorkload: typicalWorkloadOf(base.pods, 'fgd'),
      plenumWorkload: typicalWorkloadOf(base.pods, 'plenum', base.nodes),
      timeLimitS: args.maxDurationS,
    };
    if (!args.json && seed === args.seeds[0]) {
      const marginal = facility.rows.filter((r) => r.marginalCooling).length;
      console.log(
        `facility: ${base.nodes.length} nodes in ${facility.racks.length} racks, ${facility.rows.length} rows (${marginal} on marginal cooling), ${facility.halls} halls; ${args.jobs} jobs at ${args.load} × capacity`,
      );
    }
    const bound = fluidBound(setup, facility, args.heatMargin);
    // The same reservations with no heat margin: splits what the reservations cost into the forecast's and the margin's.
    const noMargin = args.heatMargin === 0 ? bound : fluidBound(setup, facility, 0);
    const boundRow = {
      policy: 'fluid-bound',
      seed,
      alloc_pct: bound.actualPct,
      alloc_reserved_pct: bound.reservedPct,
      alloc_reserved_no_margin_pct: noMargin.reservedPct,
      alloc_peak_pct: bound.peakPct,
    };
    results.push(boundRow);
    if (!args.json) console.log(JSON.stringify(boundRow));
    for (const policy of args.policies) {
      const r = runFacility(setup, facility, policy, seed, { heatMargin: args.heatMargin, hold: args.hold, lowDrawWeight: args.lowDraw });
      results.push(r);
      if (!args.json) console.log(JSON.stringify(r));
    }
  }
  if (args.json) console.log(JSON.stringify({ seeds: args.seeds, jobs: args.jobs, load: args.load, results }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
