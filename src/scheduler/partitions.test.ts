import { describe, expect, it } from 'vitest';
import { createScheduler, MILLI_PER_GPU, type PodRequest, partitionDevices, type SchedNode, Snapshot, tenantUsage } from './index';

/** An 8-OAM MI300X node, every GPU in `partitions` partitions (CPX: 8), on one XGMI domain. */
function amdNode(id: string, partitions: number, held: Array<[gpu: number, partition: number]> = []): SchedNode {
  return {
    id,
    name: id,
    cpuMilliFree: 192_000,
    cpuMilliTotal: 192_000,
    memoryMibFree: 2_000_000,
    memoryMibTotal: 2_000_000,
    gpuModel: 'Instinct MI300X',
    gpus: partitionDevices(
      Array.from({ length: 8 }, (_, g) => ({
        uuid: `${id}-gpu${g}`,
        healthy: true,
        nvlinkDomain: `${id}-xgmi`,
        memoryGib: 192,
        partitions,
        heldPartitions: new Set(held.filter(([gpu]) => gpu === g).map(([, p]) => p)),
      })),
    ),
    zoneLevel: 0,
    healthy: true,
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
    expectedPowerWPerGpu: 750,
    createdAt: 0,
    ...overrides,
  };
}

describe('AMD partitions as the sharing unit', () => {
  it('makes a CPX node 64 logical GPUs of 24 GiB each, one XGMI domain', () => {
    const node = amdNode('cpx', 8);
    expect(node.gpus).toHaveLength(64);
    expect(node.gpus.every((g) => g.memoryGib === 24 && g.nvlinkDomain === 'cpx-xgmi' && g.partition?.count === 8)).toBe(true);
    expect(node.gpus[9]!.partition).toEqual({ gpu: 1, index: 1, count: 8 });
    expect(amdNode('spx', 1).gpus.map((g) => g.memoryGib)).toEqual(Array(8).fill(192));
  });

  it('gives a 2-GPU job on a CPX node 2 partitions, counted as a quarter GPU for quota and power', () => {
    const snapshot = new Snapshot([amdNode('cpx', 8)]);
    const result = createScheduler('plenum').schedule(snapshot, pod('two', { gpusPerWorker: 2 }));
    expect(result.status).toBe('scheduled');
    if (result.status !== 'scheduled') return;
    const [worker] = result.decision.workers;
    expect(worker!.gpuIndices).toHaveLength(2);
    expect(worker!.milliPerGpu).toBe(MILLI_PER_GPU);
    expect(worker!.physicalMilli).toBe(250);
    expect(worker!.expectedPowerW).toBeCloseTo(187.5, 6);
    snapshot.assume(result.decision, { tenant: 'team-a', priority: 0, preemptible: true });
    expect(snapshot.nodes[0]!.gpus.filter((g) => g.freeMilli === 0)).toHaveLength(2);
    expect(tenantUsage(snapshot.allocations.values()).get('team-a')).toBe(250);
  });

  it('asks for the memory per partition, not per physical GPU', () => {
    const snapshot = new Snapshot([amdNode('cpx', 8), amdNode('qpx', 4)]);
    const result = createScheduler('plenum').schedule(snapshot, pod('big-mem', { gpuMemoryGib: 40 }));
    expect(result.status).toBe('scheduled');
    if (result.status === 'scheduled') expect(result.decision.workers[0]!.nodeId).toBe('qpx');
    const tooBig = createScheduler('plenum').schedule(new Snapshot([amdNode('cpx', 8)]), pod('too-big', { gpuMemoryGib: 40 }));
    expect(tooBig.status).toBe('unschedulable');
    if (tooBig.status === 'unschedulable') expect(tooBig.explanation).toContain('insufficient GPU memory');
  });

  it('puts a GPU share on one whole partition that holds it, never a time-slice', () => {
    const snapshot = new Snapshot([amdNode('cpx', 8)]);
    const small = createScheduler('plenum').schedule(snapshot, pod('eighth', { gpusPerWorker: 0, gpuMilli: 100 }));
    expect(small.status).toBe('scheduled');
    if (small.status !== 'scheduled') return;
    expect(small.decision.workers[0]!.milliPerGpu).toBe(MILLI_PER_GPU);
    expect(small.decision.workers[0]!.physicalMilli).toBe(125);
    snapshot.assume(small.decision, { tenant: 'team-a', priority: 0, preemptible: true });
    // The partition is held whole: the next share takes another one.
    const taken = small.decision.workers[0]!.gpuIndices[0]!;
    expect(snapshot.nodes[0]!.gpus[taken]!.freeMilli).toBe(0);
    // A half-GPU share does not fit a CPX eighth.
    const half = createScheduler('plenum').schedule(snapshot, pod('half', { gpusPerWorker: 0, gpuMilli: 500 }));
    expect(half.status).toBe('unschedulable');
    if (half.status === 'unschedulable') expect(half.explanation).toContain('insufficient GPU');
    // On a DPX node it takes one half-GPU partition.
    const dpx = createScheduler('plenum').schedule(new Snapshot([amdNode('dpx', 2)]), pod('half', { gpusPerWorker: 0, gpuMilli: 500 }));
    expect(dpx.status).toBe('scheduled');
    if (dpx.status === 'scheduled') expect(dpx.decision.workers[0]!.physicalMilli).toBe(500);
    // A half-GPU share never holds a whole SPX GPU (half of it would sit idle): it needs a partition of its size.
    const spx = createScheduler('plenum').schedule(new Snapshot([amdNode('spx', 1)]), pod('half', { gpusPerWorker: 0, gpuMilli: 500 }));
    expect(spx.status).toBe('unschedulable');
    // A 0.6 share takes a whole SPX GPU (more than half of it used).
    const most = createScheduler('plenum').schedule(new Snapshot([amdNode('spx', 1)]), pod('most', { gpusPerWorker: 0, gpuMilli: 600 }));
    expect(most.status).toBe('scheduled');
  });

  it('skips held partitions and fills a node to exactly its 64 partitions', () => {
    const snapshot = new Snapshot([amdNode('cpx', 8, [[0, 0], [0, 1]])]);
    const scheduler = createScheduler('plenum');
    const first = scheduler.schedule(snapshot, pod('eight', { gpusPerWorker: 8 }));
    expect(first.status).toBe('scheduled');
    if (first.status !== 'scheduled') return;
    const held = new Set([0, 1]);
    expect(first.decision.workers[0]!.gpuIndices.some((g) => held.has(g))).toBe(false);
    snapshot.assume(first.decision, { tenant: 'team-a', priority: 0, preemptible: true });
    let placed = 0;
    for (let k = 0; k < 60; k++) {
      const r = scheduler.schedule(snapshot, pod(`p${k}`, { gpusPerWorker: 1, cpuMilli: 1_000 }));
      if (r.status !== 'scheduled') break;
      snapshot.assume(r.decision, { tenant: 'team-a', priority: 0, preemptible: true });
      placed++;
    }
    expect(placed).toBe(64 - 2 - 8);
  });
});
