import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseNodes, parsePods } from './openb';
import { OPENB_TRACE_DIR } from './trace-dir';
import { CPU100_CPU_ONLY_MILLI, SPLITS, gpuRequestShare, makeVariant, specPoolOf } from './variants';

const haveTrace = existsSync(`${OPENB_TRACE_DIR}/openb_pod_list_default.csv`);

describe.skipIf(!haveTrace)('workload variants of the openb trace', () => {
  const read = (name: string) => readFileSync(`${OPENB_TRACE_DIR}/${name}`, 'utf8');
  const nodes = haveTrace ? parseNodes(read('openb_node_list_gpu_node.csv')) : [];
  const base = haveTrace ? parsePods(read('openb_pod_list_default.csv')) : [];
  const pool = haveTrace ? specPoolOf(parsePods(read('openb_pod_list_gpuspec10.csv'))) : [];
  const seed = SPLITS.train.generatorSeed;
  const isShare = (p: (typeof base)[number]) => p.numGpu === 1 && p.gpuMilli > 0 && p.gpuMilli < 1000;

  it('moves the share of GPU-sharing pods up or down to the target', () => {
    expect(gpuRequestShare(base, isShare)).toBeCloseTo(0.285, 2);
    expect(gpuRequestShare(makeVariant(base, nodes, 'gpushare', 60, seed, pool).pods, isShare)).toBeGreaterThanOrEqual(0.6);
    const low = gpuRequestShare(makeVariant(base, nodes, 'gpushare', 20, seed, pool).pods, isShare);
    expect(low).toBeLessThanOrEqual(0.2);
    expect(low).toBeGreaterThan(0.19);
  });

  it('reaches the multi-GPU share and the CPU-only CPU request', () => {
    const multi = makeVariant(base, nodes, 'multigpu', 30, seed, pool).pods;
    expect(gpuRequestShare(multi, (p) => p.numGpu > 1)).toBeGreaterThanOrEqual(0.3);
    const cpu = makeVariant(base, nodes, 'cpu', 200, seed, pool).pods;
    const cpuOnlyMilli = cpu.filter((p) => p.numGpu === 0).reduce((s, p) => s + p.cpuMilli, 0);
    expect(cpuOnlyMilli).toBeGreaterThanOrEqual(2 * CPU100_CPU_ONLY_MILLI);
    expect(cpu.filter((p) => p.numGpu > 0)).toHaveLength(base.filter((p) => p.numGpu > 0).length); // GPU pods untouched
  });

  it('ties the requested share of GPU pods to models that can hold them, differently per split', () => {
    const v = makeVariant(base, nodes, 'gpuspec', 25, seed, pool);
    const gpuPods = v.pods.filter((p) => p.numGpu > 0);
    const constrained = gpuPods.filter((p) => p.gpuModels.length > 0);
    expect(constrained.length).toBe(Math.round(0.25 * gpuPods.length));
    for (const p of constrained) {
      expect(nodes.some((n) => p.gpuModels.includes(n.gpuModel) && n.gpuCount >= p.numGpu && n.cpuMilli >= p.cpuMilli)).toBe(true);
    }
    const again = makeVariant(base, nodes, 'gpuspec', 25, seed, pool);
    expect(again.pods.map((p) => p.gpuModels.join('|'))).toEqual(v.pods.map((p) => p.gpuModels.join('|')));
    const heldout = makeVariant(base, nodes, 'gpuspec', 25, SPLITS.heldout.generatorSeed, pool);
    expect(heldout.pods.map((p) => p.gpuModels.join('|'))).not.toEqual(v.pods.map((p) => p.gpuModels.join('|')));
  });
});
