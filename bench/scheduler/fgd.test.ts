import { describe, expect, it } from 'vitest';
import { type PodRequest, type SchedNode, Snapshot, createScheduler, gpuDemandOf } from '../../src/scheduler';
import { FGD_REFERENCE_PROFILE, fgdIntegerScore, fgdNodeScore, fgdRegistry, fgdTypicalWorkload } from './fgd';
import { nodeNamePrefixes } from './openb';

// Hand-computed cases for the faithful FGD port. The typical pods come from 20 samples:
//   A: 15 × a 500-milli share, 1 core   B: 4 × one whole GPU, 1 core   C: 1 × eight whole GPUs, 1 core
// Kept until 95 % of 20 = 19 pods are covered: A (15), then B (19); C is dropped. Weights are shares of ALL 20
// pods, not renormalised: A 0.75, B 0.20 (sum 0.95).
// Fragmentation of a node (free milli per GPU f, CPU plentiful):
//   A: the free milli of GPUs with f < 500 (all free milli if no GPU has 500);
//   B: the free milli of partly used GPUs if one GPU is fully free, else all free milli.

function pod(id: string, gpuMilli: number | undefined, gpusPerWorker: number): PodRequest {
  return {
    id,
    tenant: 't',
    priority: 0,
    preemptible: false,
    kind: 'batch',
    workers: 1,
    gpusPerWorker,
    gpuMilli,
    cpuMilli: 1000,
    memoryMib: 1024,
    requiredZoneLevel: 0,
    topology: 'none',
    expectedPowerWPerGpu: 0,
    createdAt: 0,
  };
}

const samples = [
  ...Array.from({ length: 15 }, () => pod('a', 500, 0)),
  ...Array.from({ length: 4 }, () => pod('b', undefined, 1)),
  pod('c', undefined, 8),
].map((p) => ({ cpuMilli: p.cpuMilli, memoryMib: p.memoryMib, demand: gpuDemandOf(p) }));
const workload = fgdTypicalWorkload(samples);

function node(name: string, free: number[]): SchedNode {
  return {
    id: name,
    name,
    cpuMilliFree: 10_000,
    cpuMilliTotal: 10_000,
    memoryMibFree: 100_000,
    memoryMibTotal: 100_000,
    gpuModel: 'T4',
    gpus: free.map((freeMilli, index) => ({ index, freeMilli, healthy: true })),
    zoneLevel: 0,
    healthy: true,
  };
}

const share250 = { cpuMilli: 1000, memoryMib: 1024, mode: 'share' as const, gpuCount: 1, milliPerGpu: 250 };

describe('faithful FGD port', () => {
  it('keeps the typical pods up to 95 % and weighs them by their share of all pods', () => {
    expect(workload.shapes.map((s) => [s.gpuCount, s.milliPerGpu, s.weight])).toEqual([
      [1, 500, 0.75],
      [1, 1000, 0.2],
    ]);
    // Free [1000, 300]: A 0.75 × 300 + B 0.20 × 300 = 285 (renormalised weights would give 300).
    expect(workload.fragmentationMilli('T4', 10_000, 100_000, [1000, 300], 2)).toBeCloseTo(285, 9);
  });

  it('truncates 100·sigmoid(Δ/1000) to an integer', () => {
    expect(fgdIntegerScore(1000, 1000)).toBe(50);
    expect(fgdIntegerScore(0, 150)).toBe(46); // 100/(1+e^0.15) = 46.26
    expect(fgdIntegerScore(100, 237.5)).toBe(46); // 100/(1+e^0.1375) = 46.57
    expect(fgdIntegerScore(2000, 0)).toBe(88); // 100/(1+e^-2) = 88.08
  });

  it('gives a share the lowest-index GPU among equal integer scores, not the best exact one', () => {
    // Free [1000, 500], fragmentation 100 (B: 0.2 × 500). A 250 share:
    //   on GPU 0 → [750, 500]: A 0, B 0.2 × 1250 = 250; Δ = −150 → 46.26 → 46
    //   on GPU 1 → [1000, 250]: A 0.75 × 250 + B 0.2 × 250 = 237.5; Δ = −137.5 → 46.57 → 46
    expect(fgdNodeScore(workload, 'T4', 10_000, 100_000, [1000, 500], 2, share250)).toEqual({ score: 46, gpu: 0 });
    // Free [300, 1000, 1000] (fragmentation 0.75 × 300 + 0.2 × 300 = 285). A 500 share: GPU 0 cannot take it;
    // GPU 1 and GPU 2 give [300, 500, 1000]: 225 + 0.2 × 800 = 385, Δ = −100 → 47.50 → 47; GPU 1 wins.
    const share500 = { ...share250, milliPerGpu: 500 };
    expect(fgdNodeScore(workload, 'T4', 10_000, 100_000, [300, 1000, 1000], 3, share500)).toEqual({ score: 47, gpu: 1 });
    // Whole GPU on [1000, 1000]: [0, 1000] → B 0, A 0: Δ = 0 → 50.
    const whole1 = { cpuMilli: 1000, memoryMib: 1024, mode: 'whole' as const, gpuCount: 1, milliPerGpu: 1000 };
    expect(fgdNodeScore(workload, 'T4', 10_000, 100_000, [1000, 1000], 2, whole1)).toEqual({ score: 50, gpu: -1 });
  });

  it('breaks equal node scores by the lowest node name, whatever the snapshot order and the exact values', () => {
    // z-node [1000, 500]: 46 (exact 46.57, GPU 0 as above). a-node [1000, 1000]: [750, 1000] → B 0.2 × 750 = 150,
    // Δ = −150 → 46.26 → 46. Equal integer scores: a-node wins although z-node comes first and is better exactly.
    // m-node [250, 250]: A and B cannot run (0.95 × 500 = 475); [0, 250] → 0.95 × 250 = 237.5: Δ = +237.5 → 55.
    const scheduler = createScheduler(FGD_REFERENCE_PROFILE, { workload, registry: fgdRegistry(workload) });
    const tie = scheduler.schedule(new Snapshot([node('z-node', [1000, 500]), node('a-node', [1000, 1000])]), pod('p', 250, 0));
    expect(tie.status).toBe('scheduled');
    if (tie.status !== 'scheduled') return;
    expect(tie.decision.workers[0]).toMatchObject({ nodeId: 'a-node', gpuIndices: [0] });
    const best = scheduler.schedule(
      new Snapshot([node('z-node', [1000, 500]), node('m-node', [250, 250]), node('a-node', [1000, 1000])]),
      pod('q', 250, 0),
    );
    expect(best.status === 'scheduled' && best.decision.workers[0]).toMatchObject({ nodeId: 'm-node', gpuIndices: [0] });
  });

  it('gives nodes a random name prefix per seed, the same for the same seed', () => {
    expect(nodeNamePrefixes(5, 42)).toEqual(nodeNamePrefixes(5, 42));
    expect(nodeNamePrefixes(5, 42)).not.toEqual(nodeNamePrefixes(5, 43));
    expect(nodeNamePrefixes(5, 42).every((p) => /^[0-9a-f]{8}$/.test(p))).toBe(true);
  });
});
