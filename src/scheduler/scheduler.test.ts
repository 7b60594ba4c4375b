import { describe, expect, it } from 'vitest';
import {
  EasyBackfill,
  type PodRequest,
  type RunningAllocation,
  type SchedNode,
  Snapshot,
  TypicalWorkload,
  createScheduler,
  explain,
  scheduleQueue,
  seededRandom,
  sortQueue,
} from './index';

function node(id: string, overrides: Partial<SchedNode> = {}, gpuCount = 8): SchedNode {
  return {
    id,
    name: id,
    cpuMilliFree: 96_000,
    cpuMilliTotal: 96_000,
    memoryMibFree: 512_000,
    memoryMibTotal: 512_000,
    gpuModel: 'H100',
    gpus: Array.from({ length: gpuCount }, (_, index) => ({ index, freeMilli: 1000, healthy: true })),
    zoneLevel: 0,
    healthy: true,
    ...overrides,
  };
}

function pod(id: string, overrides: Partial<PodRequest> = {}): PodRequest {
  return {
    id,
    tenant: 'team-a',
    priority: 0,
    preemptible: true,
    kind: 'training',
    workers: 1,
    gpusPerWorker: 1,
    cpuMilli: 4_000,
    memoryMib: 16_000,
    requiredZoneLevel: 0,
    topology: 'none',
    expectedPowerWPerGpu: 700,
    createdAt: 0,
    ...overrides,
  };
}

/** Takes the allocations' resources from the nodes, as pods that are already running. */
function withRunning(snapshot: Snapshot, allocs: RunningAllocation[]): Snapshot {
  for (const a of allocs) {
    const decision = { podId: a.podId, profile: 'test', workers: a.workers, victims: [], scores: a.workers.map(() => 0) };
    snapshot.assume(decision, { tenant: a.tenant, priority: a.priority, preemptible: a.preemptible });
  }
  return snapshot;
}

function freeGpus(n: SchedNode): number {
  return n.gpus.filter((g) => g.freeMilli === 1000).length;
}

describe('filters and explanation', () => {
  it('counts each node once, under the first filter it fails', () => {
    const nodes = [
      node('down', { healthy: false, zoneLevel: 0 }), // also wrong zone: counted as unhealthy only
      node('public', { zoneLevel: 0 }),
      node('l40s', { zoneLevel: 2, gpuModel: 'L40S' }),
      node('full', { zoneLevel: 2 }),
      node('no-cpu', { zoneLevel: 2, cpuMilliFree: 1_000 }),
      node('hot-rack', { zoneLevel: 2, powerHeadroomW: 500 }),
      node('warm-rack', { zoneLevel: 2, coolingHeadroomW: 100 }),
      node('broken-gpus', { zoneLevel: 2 }),
    ];
    for (const g of nodes[3].gpus) g.freeMilli = 0;
    for (const g of nodes[7].gpus) g.healthy = false;
    const snapshot = new Snapshot(nodes);
    const result = createScheduler('plenum').schedule(
      snapshot,
      pod('p', { requiredZoneLevel: 2, gpuModels: ['H100'], gpusPerWorker: 1 }),
    );
    expect(result.status).toBe('unschedulable');
    if (result.status !== 'unschedulable') return;
    expect(result.reasons).toEqual({
      'node-unhealthy': 1,
      'zone-clearance': 1,
      'gpu-model': 1,
      'insufficient-gpu': 1,
      'gpu-unhealthy': 1,
      'insufficient-cpu': 1,
      'rack-power-headroom': 1,
      'cooling-headroom': 1,
    });
    expect(result.explanation.startsWith('0/8 nodes available: ')).toBe(true);
    expect(result.explanation).toContain('1 rack power headroom');
    expect(result.explanation).toContain('1 zone clearance');
  });

  it('formats the biggest groups first', () => {
    expect(explain({ 'insufficient-gpu': 800, 'rack-power-headroom': 13, 'zone-clearance': 4 }, 1213)).toBe(
      '0/1213 nodes available: 800 insufficient GPU, 13 rack power headroom, 4 zone clearance',
    );
  });

  it('leaves the snapshot untouched and returns the decision for the caller to commit', () => {
    const snapshot = new Snapshot([node('a')]);
    const result = createScheduler('plenum').schedule(snapshot, pod('p', { gpusPerWorker: 2 }));
    expect(result.status).toBe('scheduled');
    expect(freeGpus(snapshot.nodes[0])).toBe(8);
    if (result.status !== 'scheduled') return;
    expect(result.decision.workers[0].gpuIndices).toHaveLength(2);
    snapshot.assume(result.decision, pod('p'));
    expect(freeGpus(snapshot.nodes[0])).toBe(6);
    expect(snapshot.nodes[0].cpuMilliFree).toBe(92_000);
  });

  it('only places a pod on an allowed GPU model', () => {
    const snapshot = new Snapshot([node('h', { gpuModel: 'H100' }), node('t', { gpuModel: 'T4' })]);
    for (const policy of ['random', 'bestfit', 'fgd', 'plenum']) {
      const scheduler = createScheduler(policy, { rng: seededRandom(3) });
      for (let i = 0; i < 10; i++) {
        const result = scheduler.schedule(snapshot, pod(`p${i}`, { gpuModels: ['T4'] }));
        expect(result.status).toBe('scheduled');
        if (result.status === 'scheduled') expect(result.decision.workers[0].nodeId).toBe('t');
      }
    }
  });

  it('rack power headroom is shared by the nodes of a rack', () => {
    const snapshot = new Snapshot([
      node('r1-a', { rackId: 'r1', powerHeadroomW: 1_500 }),
      node('r1-b', { rackId: 'r1', powerHeadroomW: 1_500 }),
    ]);
    const scheduler = createScheduler('plenum');
    const first = scheduler.schedule(snapshot, pod('p1', { gpusPerWorker: 2 })); // 1400 W
    expect(first.status).toBe('scheduled');
    if (first.status === 'scheduled') snapshot.assume(first.decision, pod('p1'));
    expect(snapshot.nodes[1].powerHeadroomW).toBe(100);
    const second = scheduler.schedule(snapshot, pod('p2', { gpusPerWorker: 1 }));
    expect(second.status).toBe('unschedulable');
    if (second.status === 'unschedulable') expect(second.reasons['rack-power-headroom']).toBe(2);
  });
});

describe('gangs and topology', () => {
  it('places all workers or none', () => {
    const snapshot = new Snapshot([node('a'), node('b')]);
    const scheduler = createScheduler('plenum');
    const tooBig = scheduler.schedule(snapshot, pod('big', { workers: 3, gpusPerWorker: 8 }));
    expect(tooBig.status).toBe('unschedulable');
    if (tooBig.status === 'unschedulable') expect(tooBig.explanation).toContain('cannot hold all 3 workers');
    expect(snapshot.nodes.map(freeGpus)).toEqual([8, 8]); // nothing left reserved
    const fits = scheduler.schedule(snapshot, pod('ok', { workers: 2, gpusPerWorker: 8 }));
    expect(fits.status).toBe('scheduled');
    if (fits.status === 'scheduled') {
      expect(fits.decision.workers.map((w) => w.nodeId).sort()).toEqual(['a', 'b']);
    }
  });

  it('keeps a rack-topology gang inside one rack', () => {
    const nodes = [node('a1', { rackId: 'A' }), node('b1', { rackId: 'B' }), node('b2', { rackId: 'B' })];
    for (const n of nodes) for (const g of n.gpus.slice(4)) g.freeMilli = 0; // 4 free GPUs per node
    const snapshot = new Snapshot(nodes);
    const scheduler = createScheduler('plenum');
    const result = scheduler.schedule(snapshot, pod('g', { workers: 2, gpusPerWorker: 4, topology: 'rack' }));
    expect(result.status).toBe('scheduled');
    if (result.status === 'scheduled') {
      expect(result.decision.workers.map((w) => w.nodeId).sort()).toEqual(['b1', 'b2']);
    }
    const three = scheduler.schedule(snapshot, pod('g3', { workers: 3, gpusPerWorker: 4, topology: 'rack' }));
    expect(three.status).toBe('unschedulable');
    // Without the topology constraint the same gang fits across racks.
    const loose = scheduler.schedule(snapshot, pod('g4', { workers: 3, gpusPerWorker: 4, topology: 'none' }));
    expect(loose.status).toBe('scheduled');
  });

  it('takes a worker’s GPUs from one NVLink domain when asked to', () => {
    const n = node('hgx');
    n.gpus.forEach((g) => {
      g.nvlinkDomain = g.index < 4 ? 'd0' : 'd1';
    });
    for (const i of [0, 1, 4]) n.gpus[i].freeMilli = 0; // d0: 2 free, d1: 3 free
    const snapshot = new Snapshot([n]);
    const scheduler = createScheduler('plenum');
    expect(scheduler.schedule(snapshot, pod('nv4', { gpusPerWorker: 4, topology: 'nvlink-domain' })).status).toBe(
      'unschedulable',
    );
    const nv3 = scheduler.schedule(snapshot, pod('nv3', { gpusPerWorker: 3, topology: 'nvlink-domain' }));
    expect(nv3.status).toBe('scheduled');
    if (nv3.status === 'scheduled') expect(nv3.decision.workers[0].gpuIndices).toEqual([5, 6, 7]);
    expect(scheduler.schedule(snapshot, pod('any4', { gpusPerWorker: 4 })).status).toBe('scheduled');
  });
});

describe('preemption', () => {
  function running(podId: string, priority: number, gpuIndices: number[], preemptible = true): RunningAllocation {
    return {
      podId,
      tenant: 'batch',
      priority,
      preemptible,
      workers: [
        { worker: 0, nodeId: 'n', gpuIndices, milliPerGpu: 1000, cpuMilli: 1_000, memoryMib: 1_000, expectedPowerW: 0 },
      ],
    };
  }

  function fullNode(allocs: RunningAllocation[]): Snapshot {
    return withRunning(new Snapshot([node('n')]), allocs);
  }

  it('evicts the fewest lower-priority pods, cheapest first', () => {
    const allocs = [
      running('big-low', 1, [0, 1, 2, 3]),
      running('small-low', 1, [4, 5]),
      running('small-mid', 2, [6, 7]),
    ];
    const scheduler = createScheduler('plenum');
    const two = scheduler.schedule(fullNode(allocs), pod('urgent2', { priority: 10, gpusPerWorker: 2 }));
    expect(two.status).toBe('scheduled');
    if (two.status === 'scheduled') expect(two.decision.victims).toEqual(['small-low']);
    const four = scheduler.schedule(fullNode(allocs), pod('urgent4', { priority: 10, gpusPerWorker: 4 }));
    expect(four.status).toBe('scheduled');
    if (four.status === 'scheduled') expect(four.decision.victims).toEqual(['big-low']); // 1 victim beats 2
  });

  it('never evicts equal or higher priority or non-preemptible pods', () => {
    const allocs = [running('peer', 10, [0, 1, 2, 3]), running('pinned', 1, [4, 5, 6, 7], false)];
    const snapshot = fullNode(allocs);
    const result = createScheduler('plenum').schedule(snapshot, pod('p', { priority: 10, gpusPerWorker: 2 }));
    expect(result.status).toBe('unschedulable');
    expect(snapshot.nodes[0].gpus.every((g) => g.freeMilli === 0)).toBe(true); // trial evictions undone
  });

  it('applying a preempting decision releases the victims first', () => {
    const snapshot = fullNode([running('low', 1, [0, 1, 2, 3, 4, 5, 6, 7])]);
    const urgent = pod('urgent', { priority: 5, gpusPerWorker: 2 });
    const result = createScheduler('plenum').schedule(snapshot, urgent);
    expect(result.status).toBe('scheduled');
    if (result.status !== 'scheduled') return;
    snapshot.assume(result.decision, urgent);
    expect(snapshot.allocations.has('low')).toBe(false);
    expect(freeGpus(snapshot.nodes[0])).toBe(6);
  });
});

describe('gang preemption', () => {
  function holding(podId: string, nodeId: string, priority: number, gpuIndices: number[], preemptible = true): RunningAllocation {
    const workers = [{ worker: 0, nodeId, gpuIndices, milliPerGpu: 1000, cpuMilli: 1_000, memoryMib: 1_000, expectedPowerW: 0 }];
    return { podId, tenant: 'batch', priority, preemptible, workers };
  }

  function cluster(allocs: RunningAllocation[]): Snapshot {
    return withRunning(new Snapshot([node('n1'), node('n2'), node('n3')]), allocs);
  }

  it('evicts a minimal set across nodes, sparing the more important pods', () => {
    const allocs = [
      holding('low-1', 'n1', 1, [0, 1, 2, 3, 4, 5, 6, 7]),
      holding('low-2', 'n2', 1, [0, 1, 2, 3, 4, 5, 6, 7]),
      holding('mid-a', 'n3', 2, [0, 1, 2, 3]),
      holding('mid-b', 'n3', 2, [4, 5, 6, 7]),
    ];
    const gang = pod('gang', { priority: 5, workers: 2, gpusPerWorker: 8 });
    // Whatever the node order, the two priority-2 pods are spared.
    for (const order of [['n1', 'n2', 'n3'], ['n3', 'n1', 'n2'], ['n2', 'n3', 'n1']]) {
      const snapshot = withRunning(new Snapshot(order.map((id) => node(id))), allocs);
      const result = createScheduler('plenum').schedule(snapshot, gang);
      expect(result.status).toBe('scheduled');
      if (result.status !== 'scheduled') return;
      expect(result.decision.victims.sort()).toEqual(['low-1', 'low-2']);
      expect(result.decision.workers.map((w) => w.nodeId).sort()).toEqual(['n1', 'n2']);
      expect(snapshot.nodes.every((n) => freeGpus(n) === 0)).toBe(true); // trial evictions undone
      snapshot.assume(result.decision, gang);
      expect([...snapshot.allocations.keys()].sort()).toEqual(['gang', 'mid-a', 'mid-b']);
    }
  });

  it('uses free nodes first and evicts only what the rest of the gang needs', () => {
    const allocs = [holding('low-1', 'n1', 1, [0, 1, 2, 3, 4, 5, 6, 7]), holding('low-2', 'n2', 1, [0, 1, 2, 3, 4, 5, 6, 7])];
    const snapshot = withRunning(new Snapshot([node('n1'), node('n2'), node('n3')]), allocs);
    const result = createScheduler('plenum').schedule(snapshot, pod('gang', { priority: 5, workers: 2, gpusPerWorker: 8 }));
    expect(result.status).toBe('scheduled');
    if (result.status !== 'scheduled') return;
    expect(result.decision.victims).toHaveLength(1);
    expect(result.decision.workers.map((w) => w.nodeId)).toContain('n3');
  });

  it('evicts nothing when even every lower-priority victim would not make room', () => {
    const allocs = [
      holding('low', 'n1', 1, [0, 1, 2, 3, 4, 5, 6, 7]),
      holding('pinned', 'n2', 1, [0, 1, 2, 3, 4, 5, 6, 7], false),
      holding('peer', 'n3', 5, [0, 1, 2, 3, 4, 5, 6, 7]),
    ];
    const snapshot = cluster(allocs);
    const result = createScheduler('plenum').schedule(snapshot, pod('gang', { priority: 5, workers: 2, gpusPerWorker: 8 }));
    expect(result.status).toBe('unschedulable');
    expect(snapshot.nodes.every((n) => freeGpus(n) === 0)).toBe(true);
    expect(snapshot.allocations.size).toBe(3);
  });
});

describe('EASY backfill', () => {
  // n1 runs "long" (6 GPUs, ends at t=100); n2 runs "service" (8 GPUs, no end); the head needs a whole node.
  function setup() {
    const snapshot = withRunning(new Snapshot([node('n1'), node('n2')]), [
      { podId: 'long', tenant: 't', priority: 0, preemptible: false, workers: [{ worker: 0, nodeId: 'n1', gpuIndices: [0, 1, 2, 3, 4, 5], milliPerGpu: 1000, cpuMilli: 1_000, memoryMib: 1_000, expectedPowerW: 0 }] },
      { podId: 'service', tenant: 't', priority: 0, preemptible: false, workers: [{ worker: 0, nodeId: 'n2', gpuIndices: [0, 1, 2, 3, 4, 5, 6, 7], milliPerGpu: 1000, cpuMilli: 1_000, memoryMib: 1_000, expectedPowerW: 0 }] },
    ]);
    const scheduler = createScheduler('plenum');
    const backfill = new EasyBackfill(scheduler, snapshot, new Map([['long', 100]]));
    return { snapshot, scheduler, backfill };
  }

  function decide(scheduler: ReturnType<typeof createScheduler>, snapshot: Snapshot, request: PodRequest) {
    const result = scheduler.schedule(snapshot, request);
    if (result.status !== 'scheduled') throw new Error(`expected ${request.id} to fit now`);
    return result.decision;
  }

  it('reserves the head at the earliest end that makes room, on the nodes it would take', () => {
    const { snapshot, backfill } = setup();
    const reservation = backfill.reserve(pod('head', { gpusPerWorker: 8 }));
    expect(reservation).toEqual({ podId: 'head', startAt: 100, nodeIds: ['n1'], waitingFor: 1 });
    expect(freeGpus(snapshot.nodes[0])).toBe(2); // the what-if left the snapshot as it was
    expect([...snapshot.allocations.keys()].sort()).toEqual(['long', 'service']);
  });

  it('lets a job start only if it ends before the reserved start or does not take what the head needs', () => {
    const { snapshot, scheduler, backfill } = setup();
    backfill.reserve(pod('head', { gpusPerWorker: 8 }));
    const small = pod('small', { gpusPerWorker: 2 });
    const decision = decide(scheduler, snapshot, small);
    expect(backfill.admits(small, decision, 50)).toBe(true); // done by t=100
    expect(backfill.admits(small, decision, 101)).toBe(false); // would hold n1 past t=100
    expect(backfill.admits(small, decision, null)).toBe(false); // no estimate: runs for ever
    expect(freeGpus(snapshot.nodes[0])).toBe(2);
    expect(snapshot.allocations.has('small')).toBe(false);
    const cpuOnly = pod('cpu-only', { gpusPerWorker: 0, cpuMilli: 1_000 });
    expect(backfill.admits(cpuOnly, decide(scheduler, snapshot, cpuOnly), null)).toBe(true); // head still fits
  });

  it('counts a backfilled job that ends in time as gone by the reserved start', () => {
    const { snapshot, scheduler, backfill } = setup();
    backfill.reserve(pod('head', { gpusPerWorker: 8 }));
    const first = pod('first', { gpusPerWorker: 1 });
    const decision = decide(scheduler, snapshot, first);
    expect(backfill.admits(first, decision, 90)).toBe(true);
    snapshot.assume(decision, first);
    backfill.started('first', 90);
    const cpuOnly = pod('cpu-only', { gpusPerWorker: 0, cpuMilli: 1_000 });
    expect(backfill.admits(cpuOnly, decide(scheduler, snapshot, cpuOnly), null)).toBe(true);
  });

  it('searches the end times for the earliest that makes room', () => {
    // Four pods of 2 GPUs on n1 ending at 10, 20, 30, 40; the head needs 6 GPUs: room once three have ended.
    const running = (podId: string, gpuIndices: number[]): RunningAllocation => ({
      podId,
      tenant: 't',
      priority: 0,
      preemptible: false,
      workers: [{ worker: 0, nodeId: 'n1', gpuIndices, milliPerGpu: 1000, cpuMilli: 1_000, memoryMib: 1_000, expectedPowerW: 0 }],
    });
    const snapshot = withRunning(new Snapshot([node('n1')]), [running('a', [0, 1]), running('b', [2, 3]), running('c', [4, 5]), running('d', [6, 7])]);
    const order = [...snapshot.allocations.keys()];
    const backfill = new EasyBackfill(createScheduler('plenum'), snapshot, new Map([['d', 40], ['b', 20], ['a', 10], ['c', 30]]));
    expect(backfill.reserve(pod('head', { gpusPerWorker: 6 }))).toMatchObject({ startAt: 30, nodeIds: ['n1'], waitingFor: 3 });
    expect(backfill.reserve(pod('head', { gpusPerWorker: 2 }))).toMatchObject({ startAt: 10, waitingFor: 1 });
    expect([...snapshot.allocations.keys()]).toEqual(order); // what-ifs leave the allocation list as it was
    expect(freeGpus(snapshot.nodes[0])).toBe(0);
  });

  it('looks elsewhere for a job whose best node is the one the head waits for', () => {
    // n1: "long" holds 6 GPUs until t=100; n2: "service" holds 6 for ever. 2 GPUs free on each.
    const hold = (podId: string, nodeId: string): RunningAllocation => ({
      podId,
      tenant: 't',
      priority: 0,
      preemptible: false,
      workers: [{ worker: 0, nodeId, gpuIndices: [0, 1, 2, 3, 4, 5], milliPerGpu: 1000, cpuMilli: 1_000, memoryMib: 1_000, expectedPowerW: 0 }],
    });
    const snapshot = withRunning(new Snapshot([node('n1'), node('n2')]), [hold('long', 'n1'), hold('service', 'n2')]);
    const scheduler = createScheduler('plenum');
    const backfill = new EasyBackfill(scheduler, snapshot, new Map([['long', 100]]));
    backfill.reserve(pod('head', { gpusPerWorker: 8 }));
    const small = pod('small', { gpusPerWorker: 2 });
    const best = decide(scheduler, snapshot, small);
    expect(best.workers[0]!.nodeId).toBe('n1'); // equal scores: the first node
    expect(backfill.admits(small, best, null)).toBe(false);
    const around = backfill.scheduleAround(small);
    if (!around) throw new Error('expected a placement away from n1');
    expect(around.workers[0]!.nodeId).toBe('n2');
    expect(backfill.admits(small, around, null)).toBe(true);
    expect(snapshot.nodes.map((n) => n.healthy)).toEqual([true, true]);
  });

  it('reserves nothing for a head that never fits while the known jobs end', () => {
    const { snapshot, scheduler, backfill } = setup();
    expect(backfill.reserve(pod('huge', { workers: 3, gpusPerWorker: 8 }))).toBeNull();
    const small = pod('small', { gpusPerWorker: 2 });
    expect(backfill.admits(small, decide(scheduler, snapshot, small), null)).toBe(true);
  });
});

describe('queue sort and fair share', () => {
  it('orders by priority, then fair share, then age', () => {
    const pods = [
      pod('old-heavy', { tenant: 'heavy', createdAt: 1 }),
      pod('new-light', { tenant: 'light', createdAt: 5 }),
      pod('urgent', { tenant: 'heavy', priority: 9, createdAt: 9 }),
      pod('older-light', { tenant: 'light', createdAt: 2 }),
    ];
    const usage: RunningAllocation[] = [
      {
        podId: 'x',
        tenant: 'heavy',
        priority: 0,
        preemptible: true,
        workers: [
          { worker: 0, nodeId: 'n', gpuIndices: [0, 1, 2, 3], milliPerGpu: 1000, cpuMilli: 0, memoryMib: 0, expectedPowerW: 0 },
        ],
      },
    ];
    const quotas = [
      { tenant: 'heavy', gpuMilliQuota: 4_000 },
      { tenant: 'light', gpuMilliQuota: 4_000 },
    ];
    expect(sortQueue(pods, usage, quotas).map((p) => p.id)).toEqual(['urgent', 'older-light', 'new-light', 'old-heavy']);
  });

  it('updates usage as pods are placed, alternating tenants of equal quota', () => {
    const snapshot = new Snapshot([node('a'), node('b')]);
    const pods = [
      pod('a1', { tenant: 'a', createdAt: 1 }),
      pod('a2', { tenant: 'a', createdAt: 2 }),
      pod('a3', { tenant: 'a', createdAt: 3 }),
      pod('b1', { tenant: 'b', createdAt: 4 }),
      pod('b2', { tenant: 'b', createdAt: 5 }),
    ];
    const quotas = [
      { tenant: 'a', gpuMilliQuota: 8_000 },
      { tenant: 'b', gpuMilliQuota: 8_000 },
    ];
    const order = scheduleQueue(createScheduler('plenum'), snapshot, pods, quotas).map((r) => r.pod.id);
    expect(order).toEqual(['a1', 'b1', 'a2', 'b2', 'a3']);
    expect(snapshot.allocations.size).toBe(5);
  });
});

describe('GPU sharing', () => {
  it('never puts more than 1000 milli on one GPU, whatever the policy', () => {
    const rng = seededRandom(11);
    for (const policy of ['random', 'bestfit', 'fgd', 'plenum']) {
      const snapshot = new Snapshot([node('a', {}, 2), node('b', {}, 4), node('c', { gpuModel: 'T4' }, 1)]);
      const scheduler = createScheduler(policy, { rng: seededRandom(5) });
      const used = new Map<string, number>();
      for (let i = 0; i < 200; i++) {
        const share = 50 + Math.floor(rng() * 900);
        const p = pod(`s${i}`, { gpusPerWorker: 0, gpuMilli: share, cpuMilli: 100, memoryMib: 100 });
        const result = scheduler.schedule(snapshot, p);
        if (result.status !== 'scheduled') continue;
        snapshot.assume(result.decision, p);
        for (const w of result.decision.workers) {
          for (const g of w.gpuIndices) {
            const key = `${w.nodeId}/${g}`;
            used.set(key, (used.get(key) ?? 0) + w.milliPerGpu);
          }
        }
      }
      for (const [key, milli] of used) expect(milli, `${policy} ${key}`).toBeLessThanOrEqual(1000);
      for (const n of snapshot.nodes) {
        for (const g of n.gpus) expect(g.freeMilli).toBe(1000 - (used.get(`${n.id}/${g.index}`) ?? 0));
      }
      expect(used.size).toBeGreaterThan(0);
    }
  });

  it('best fit fills the fullest GPU that still fits; fragmentation keeps a useful share free', () => {
    // Typical pods take half a GPU. Putting 500 on the GPU with 600 free strands 100;
    // putting it on the idle GPU leaves 600 + 500, both still usable.
    const workload = new TypicalWorkload([
      { cpuMilli: 0, memoryMib: 0, gpuCount: 1, milliPerGpu: 500, gpuModels: null, weight: 1 },
    ]);
    const make = () => {
      const n = node('n', {}, 2);
      n.gpus[0].freeMilli = 600;
      return new Snapshot([n]);
    };
    const share = pod('half', { gpusPerWorker: 0, gpuMilli: 500 });
    const bestfit = createScheduler('bestfit').schedule(make(), share);
    const fgd = createScheduler('fgd', { workload }).schedule(make(), share);
    expect(bestfit.status === 'scheduled' && bestfit.decision.workers[0].gpuIndices).toEqual([0]);
    expect(fgd.status === 'scheduled' && fgd.decision.workers[0].gpuIndices).toEqual([1]);
  });
});

describe('fragmentation measure', () => {
  const shape = (gpuCount: number, milliPerGpu: number, cpuMilli: number, weight: number) => ({
    cpuMilli,
    memoryMib: 0,
    gpuCount,
    milliPerGpu,
    gpuModels: null,
    weight,
  });

  it('counts free GPU a shape cannot use', () => {
    const w = new TypicalWorkload([shape(1, 500, 0, 1)]);
    expect(w.fragmentationMilli('H100', 1e6, 1e6, [1000, 300], 2)).toBe(300);
    expect(w.fragmentationMilli('H100', 1e6, 1e6, [400, 300], 2)).toBe(700); // nothing fits: all of it
    expect(w.fragmentationMilli('H100', 1e6, 1e6, [0, 0], 2)).toBe(0);
  });

  it('weights shapes by popularity and treats CPU shortage as unusable', () => {
    const w = new TypicalWorkload([shape(1, 1000, 8_000, 3), shape(0, 0, 1_000, 1)]);
    // Whole-GPU shape (0.75): the partly used GPU (400) is a fragment; CPU-only shape (0.25): all 1400.
    expect(w.fragmentationMilli('H100', 16_000, 1e6, [1000, 400], 2)).toBeCloseTo(0.75 * 400 + 0.25 * 1400);
    // Not enough CPU for the GPU shape: everything is a fragment.
    expect(w.fragmentationMilli('H100', 4_000, 1e6, [1000, 400], 2)).toBeCloseTo(1400);
  });

  it('capacity measure sees GPUs stranded by CPU before the last pod stops fitting', () => {
    const fgd = new TypicalWorkload([shape(1, 1000, 10_000, 1)], false, 'fgd');
    const capacity = new TypicalWorkload([shape(1, 1000, 10_000, 1)], false, 'capacity');
    // 4 idle GPUs but CPU for only 2 more pods.
    expect(fgd.fragmentationMilli('H100', 25_000, 1e6, [1000, 1000, 1000, 1000], 4)).toBe(0);
    expect(capacity.fragmentationMilli('H100', 25_000, 1e6, [1000, 1000, 1000, 1000], 4)).toBe(2000);
  });

  it('blend: a share by 1/4 fgd + 3/4 capacity, a whole-GPU shape by the fgd measure alone', () => {
    // 4 idle GPUs, CPU for 2 more 10-core pods: 'capacity' would count 2 GPUs of the whole-GPU shape as stranded.
    const whole = new TypicalWorkload([shape(1, 1000, 10_000, 1)], false, 'blend');
    expect(whole.fragmentationMilli('H100', 25_000, 1e6, [1000, 1000, 1000, 1000], 4)).toBe(0);
    expect(whole.fragmentationMilli('H100', 5_000, 1e6, [1000, 1000, 1000, 400], 4)).toBe(3400); // no pod fits
    // A 300-milli share on GPUs with 1000 and 500 free: fgd 0 (both hold it), capacity 100 + 200 left over.
    const share = new TypicalWorkload([shape(1, 300, 0, 1)], false, 'blend');
    expect(share.fragmentationMilli('H100', 1e6, 1e6, [1000, 500], 2)).toBe(225);
    // Mixed: each shape weighs half.
    const both = new TypicalWorkload([shape(1, 1000, 10_000, 1), shape(1, 300, 0, 1)], false, 'blend');
    expect(both.fragmentationMilli('H100', 25_000, 1e6, [1000, 500], 2)).toBeCloseTo(0.5 * 500 + 0.5 * 225);
  });

  it('builds the typical mix from samples, keeping the popular shapes', () => {
    const sample = (milli: number) => ({
      cpuMilli: 1000,
      memoryMib: 0,
      demand: { mode: 'share' as const, gpuCount: 1, milliPerGpu: milli, totalMilli: milli },
    });
    const samples = [...Array(90).fill(sample(500)), ...Array(9).fill(sample(250)), sample(100)];
    const w = TypicalWorkload.fromSamples(samples, { coverage: 0.95 });
    expect(w.shapes.map((s) => s.milliPerGpu)).toEqual([500, 250]);
    expect(w.shapes[0].weight).toBeCloseTo(90 / 99);
  });
});

describe('inference replicas spread', () => {
  const placedNodes = (result: ReturnType<ReturnType<typeof createScheduler>['schedule']>) =>
    result.status === 'scheduled' ? result.decision.workers.map((w) => w.nodeId) : [];

  it('puts two replicas on two servers by default, where packing alone would stack them', () => {
    const snapshot = new Snapshot([node('n1', { rackId: 'r1' }), node('n2', { rackId: 'r1' }), node('n3', { rackId: 'r2' })]);
    const result = createScheduler('plenum').schedule(snapshot, pod('svc', { kind: 'inference', workers: 2, gpusPerWorker: 1 }));
    expect(result.status).toBe('scheduled');
    expect(new Set(placedNodes(result)).size).toBe(2);
  });

  it("spreads across racks where asked, and keeps a top-up off the placed replicas' servers", () => {
    const nodes = () => [node('n1', { rackId: 'r1' }), node('n2', { rackId: 'r1' }), node('n3', { rackId: 'r2' })];
    const byRack = createScheduler('plenum').schedule(new Snapshot(nodes()), pod('svc', { kind: 'inference', workers: 2, gpusPerWorker: 1, replicaSpread: 'rack' }));
    const racks = placedNodes(byRack).map((id) => (id === 'n3' ? 'r2' : 'r1'));
    expect(racks.sort()).toEqual(['r1', 'r2']);
    const topUp = createScheduler('plenum').schedule(new Snapshot(nodes()), pod('svc:top-up', { kind: 'inference', workers: 1, gpusPerWorker: 1, replicaNodeIds: ['n1', 'n2'] }));
    expect(placedNodes(topUp)).toEqual(['n3']);
  });

  it('says why when there are fewer servers than replicas, unless the service asks for no spread', () => {
    const one = () => new Snapshot([node('n1')]);
    const spread = createScheduler('plenum').schedule(one(), pod('svc', { kind: 'inference', workers: 2, gpusPerWorker: 1 }));
    expect(spread.status).toBe('unschedulable');
    if (spread.status === 'unschedulable') expect(spread.explanation).toBe('0/1 nodes available; 1 nodes fit one replica, but 2 replicas need 2 separate servers');
    // A top-up whose only server already runs a replica is told why.
    const topUp = createScheduler('plenum').schedule(one(), pod('svc:top-up', { kind: 'inference', workers: 1, gpusPerWorker: 1, replicaNodeIds: ['n1'] }));
    if (topUp.status === 'unschedulable') expect(topUp.reasons).toEqual({ 'replica-spread': 1 });
    expect(topUp.status).toBe('unschedulable');
    const packed = createScheduler('plenum').schedule(one(), pod('svc', { kind: 'inference', workers: 2, gpusPerWorker: 1, replicaSpread: 'none' }));
    expect(placedNodes(packed)).toEqual(['n1', 'n1']);
  });
});
