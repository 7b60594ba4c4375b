// The fragmentation score measures node states through GPU signatures (one set of per-shape GPU terms per distinct
// multiset of free milli) instead of looping over every GPU for every shape. These tests pin that this changes
// nothing: the same fragmentation to the last bit, and the same placement decisions, on seeded random clusters.

import { describe, expect, it } from 'vitest';
import { type FragmentationMeasure, TypicalWorkload, type WorkloadShape } from './fragmentation';
import { seededRandom } from './framework';
import { fragmentationScore } from './plugins/fragmentation';
import { PROFILES, createScheduler, defaultRegistry } from './profiles';
import { Snapshot } from './snapshot';
import type { PodRequest, SchedNode, Topology } from './types';

const MODELS = ['H100', 'A100', 'T4'];
const SHARES = [50, 110, 160, 230, 250, 320, 470, 500, 650, 810];

function pickOf<T>(rng: () => number, items: T[]): T {
  return items[Math.floor(rng() * items.length)]!;
}

function randomWorkload(rng: () => number, measure: FragmentationMeasure, checkMemory: boolean, perModel: boolean): TypicalWorkload {
  const shapes: WorkloadShape[] = [];
  for (let s = 0; s < 40; s++) {
    const kind = rng();
    const gpuCount = kind < 0.1 ? 0 : kind < 0.6 ? 1 : pickOf(rng, [1, 2, 4, 8]);
    const milliPerGpu = gpuCount === 0 ? 0 : kind < 0.4 ? pickOf(rng, SHARES) : 1000;
    shapes.push({
      cpuMilli: pickOf(rng, [0, 1000, 4000, 6000, 8000, 11_908, 32_000, 96_000]),
      memoryMib: checkMemory ? pickOf(rng, [0, 8_000, 64_000, 300_000]) : 0,
      gpuCount,
      milliPerGpu,
      gpuModels: rng() < 0.2 ? [pickOf(rng, MODELS)] : null,
      weight: 1 + Math.floor(rng() * 100),
    });
  }
  const modelGpus = perModel ? { H100: 800, A100: 400, T4: 120 } : null;
  return new TypicalWorkload(shapes, checkMemory, measure, true, modelGpus);
}

function randomFree(rng: () => number, gpus: number): number[] {
  return Array.from({ length: gpus }, () => {
    const r = rng();
    return r < 0.35 ? 1000 : r < 0.55 ? 0 : 10 * Math.floor(rng() * 100);
  });
}

const VARIANTS: Array<{ measure: FragmentationMeasure; checkMemory: boolean; perModel: boolean }> = [
  { measure: 'fgd', checkMemory: false, perModel: false },
  { measure: 'capacity', checkMemory: true, perModel: false },
  { measure: 'blend', checkMemory: false, perModel: true },
  { measure: 'blend', checkMemory: true, perModel: true },
];

describe('fragmentation through GPU signatures', () => {
  it.each(VARIANTS)('equals fragmentationMilli to the last bit, before and after GPUs are taken ($measure, memory $checkMemory, per model $perModel)', ({ measure, checkMemory, perModel }) => {
    const rng = seededRandom(7);
    const workload = randomWorkload(rng, measure, checkMemory, perModel);
    let compared = 0;
    for (let k = 0; k < 3000; k++) {
      const model = pickOf(rng, MODELS);
      const free = randomFree(rng, pickOf(rng, [1, 2, 4, 8]));
      const cpu = Math.floor(rng() * 200_000) - 2_000; // a few negative: a state a pod would overcommit
      const memory = Math.floor(rng() * 1_000_000) - 10_000;
      const signature = workload.signatureOf(free, free.length);
      expect(Object.is(workload.fragmentationAfter(model, cpu, memory, signature, 0, 0, 0), workload.fragmentationMilli(model, cpu, memory, free, free.length))).toBe(true);
      // A GPU share taken from each GPU in turn.
      const need = pickOf(rng, SHARES);
      for (let g = 0; g < free.length; g++) {
        if (free[g]! < need) continue;
        const after = [...free];
        after[g] = free[g]! - need;
        const expected = workload.fragmentationMilli(model, cpu - 4000, memory - 8000, after, after.length);
        expect(workload.fragmentationAfter(model, cpu - 4000, memory - 8000, signature, 1, free[g]!, need)).toBe(expected);
        compared++;
      }
      // Whole GPUs: the first `count` fully free ones.
      const fully = free.filter((f) => f === 1000).length;
      const count = Math.floor(rng() * (fully + 1));
      const after = [...free];
      for (let g = 0, left = count; g < after.length && left > 0; g++) {
        if (after[g] === 1000) {
          after[g] = 0;
          left--;
        }
      }
      const expected = workload.fragmentationMilli(model, cpu, memory, after, after.length);
      expect(workload.fragmentationAfter(model, cpu, memory, signature, count, 1000, 1000)).toBe(expected);
      compared++;
    }
    expect(compared).toBeGreaterThan(5000);
  });

  it('gives the same signature to the same free milli in any order, and different ones otherwise', () => {
    const workload = randomWorkload(seededRandom(3), 'blend', false, false);
    expect(workload.signatureOf([1000, 300, 0, 1000], 4)).toBe(workload.signatureOf([0, 1000, 1000, 300], 4));
    expect(workload.signatureOf([1000, 300, 0, 1000], 4)).not.toBe(workload.signatureOf([1000, 310, 0, 1000], 4));
    expect(workload.signatureOf([1000, 300], 2)).not.toBe(workload.signatureOf([1000, 300, 0], 3));
  });
});

/** A cluster of mixed nodes: models, GPU counts, racks with power and cooling headroom, a few unhealthy GPUs and nodes. */
function randomCluster(rng: () => number, count: number): SchedNode[] {
  const nodes: SchedNode[] = [];
  for (let i = 0; i < count; i++) {
    const model = pickOf(rng, MODELS);
    const gpuCount = model === 'T4' ? pickOf(rng, [2, 4]) : pickOf(rng, [4, 8]);
    const cpu = pickOf(rng, [64_000, 96_000, 224_000]);
    const rack = `rack-${Math.floor(i / 4)}`;
    const nvlink = model === 'H100' && rng() < 0.5;
    nodes.push({
      id: `node-${i}`,
      name: `n${String(Math.floor(rng() * 1000)).padStart(3, '0')}-${i}`,
      cpuMilliFree: cpu,
      cpuMilliTotal: cpu,
      memoryMibFree: 1_048_576,
      memoryMibTotal: 1_048_576,
      gpuModel: model,
      gpus: Array.from({ length: gpuCount }, (_, index) => ({
        index,
        freeMilli: 1000,
        healthy: rng() > 0.02,
        nvlinkDomain: nvlink ? `${rack}-nvl${index < gpuCount / 2 ? 0 : 1}` : undefined,
      })),
      rackId: rack,
      leafSwitchId: `leaf-${Math.floor(i / 16)}`,
      zoneLevel: 0,
      powerHeadroomW: 40_000,
      coolingHeadroomW: 40_000,
      feedSide: rng() < 0.5 ? 'A' : 'B',
      healthy: rng() > 0.01,
    });
  }
  return nodes;
}

function randomPod(rng: () => number, serial: number): PodRequest {
  const kind = rng();
  const share = kind < 0.45;
  const workers = rng() < 0.08 ? pickOf(rng, [2, 3, 4]) : 1;
  const topology: Topology = workers > 1 ? pickOf(rng, ['none', 'rack', 'leaf', 'nvlink-domain'] as Topology[]) : 'none';
  return {
    id: `pod-${serial}`,
    tenant: 'team',
    priority: 0,
    preemptible: true,
    kind: rng() < 0.15 ? 'inference' : 'training',
    workers,
    gpusPerWorker: kind < 0.08 ? 0 : share ? 1 : pickOf(rng, [1, 1, 2, 4, 8]),
    gpuMilli: share ? pickOf(rng, SHARES) : undefined,
    gpuModels: rng() < 0.15 ? [pickOf(rng, MODELS)] : undefined,
    cpuMilli: pickOf(rng, [1000, 4000, 6000, 8000, 11_908, 32_000]),
    memoryMib: pickOf(rng, [4_000, 16_000, 64_000]),
    requiredZoneLevel: 0,
    topology,
    replicaSpread: pickOf(rng, ['server', 'rack', 'none'] as const),
    expectedPowerWPerGpu: 700,
    createdAt: serial,
  };
}

describe('placement with and without GPU signatures', () => {
  it.each([
    { profile: 'plenum', seed: 11, measure: 'blend' as const },
    { profile: 'plenum', seed: 12, measure: 'fgd' as const },
    { profile: 'fgd', seed: 13, measure: 'capacity' as const },
  ])('makes the same decisions ($profile, $measure, seed $seed)', ({ profile, seed, measure }) => {
    const rng = seededRandom(seed);
    const workload = randomWorkload(rng, measure, measure === 'capacity', measure === 'blend');
    const straightforward = defaultRegistry().register('Fragmentation', () => fragmentationScore(workload, { signatures: false }));
    const fast = createScheduler(PROFILES[profile]!, { workload, rng: seededRandom(seed) });
    const slow = createScheduler(PROFILES[profile]!, { workload, rng: seededRandom(seed), registry: straightforward });
    // Each scheduler works on its own copy of the same cluster, so a divergence could not hide behind shared state.
    const fastSnapshot = new Snapshot(randomCluster(seededRandom(seed + 100), 120));
    const slowSnapshot = new Snapshot(randomCluster(seededRandom(seed + 100), 120));
    const running: string[] = [];
    let placed = 0;
    for (let k = 0; k < 1500; k++) {
      const pod = randomPod(rng, k);
      const a = fast.schedule(fastSnapshot, pod);
      const b = slow.schedule(slowSnapshot, pod);
      expect(a).toEqual(b);
      if (a.status === 'scheduled' && b.status === 'scheduled') {
        fastSnapshot.assume(a.decision, pod);
        slowSnapshot.assume(b.decision, pod);
        running.push(pod.id);
        placed++;
      }
      // Departures keep the cluster between half and nearly full, where fragmentation decides.
      if (running.length > 0 && rng() < 0.45) {
        const j = Math.floor(rng() * running.length);
        fastSnapshot.release(running[j]!);
        slowSnapshot.release(running[j]!);
        running[j] = running[running.length - 1]!;
        running.pop();
      }
    }
    expect(placed).toBeGreaterThan(500);
  });
});
