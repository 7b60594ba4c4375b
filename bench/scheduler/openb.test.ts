import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  POLICIES,
  arrivalSequence,
  parseNodes,
  parsePods,
  podGpuMilliOf,
  replay,
  typicalWorkloadOf,
  verifyReplay,
} from './openb';
import { OPENB_TRACE_DIR } from './trace-dir';

const traceDir = `${OPENB_TRACE_DIR}/`;
const haveTrace = existsSync(`${traceDir}openb_node_list_gpu_node.csv`);

describe.skipIf(!haveTrace)('openb replay protocol on a slice of the real trace', () => {
  // The first 200 GPU nodes and the whole default pod list (thinned to 130 % of the slice's capacity).
  const nodes = haveTrace ? parseNodes(readFileSync(`${traceDir}openb_node_list_gpu_node.csv`, 'utf8')).slice(0, 200) : [];
  const pods = haveTrace ? parsePods(readFileSync(`${traceDir}openb_pod_list_default.csv`, 'utf8')) : [];
  const capacityMilli = nodes.reduce((s, n) => s + n.gpuCount * 1000, 0);
  const byName = new Map(pods.map((p) => [p.name, p]));

  it('parses the trace files', () => {
    expect(nodes[0]).toMatchObject({ name: 'openb-node-0000', gpuCount: 2, gpuModel: 'P100' });
    expect(pods).toHaveLength(8152);
    expect(pods.filter((p) => p.numGpu === 0)).toHaveLength(1088);
    expect(pods.filter((p) => p.numGpu === 1 && p.gpuMilli < 1000)).toHaveLength(3078);
    // Durations for the backfill benchmark: deletion − scheduled time (openb-pod-0001: 12,902,960 − 427,061 s).
    expect(byName.get('openb-pod-0001')!.durationS).toBe(12_902_960 - 427_061);
    expect(pods.every((p) => p.durationS !== undefined && p.durationS >= 1)).toBe(true);
  });

  it('arrivals are a seeded shuffle sized to 130 % of capacity', () => {
    const a = arrivalSequence(pods, capacityMilli, 42);
    const again = arrivalSequence(pods, capacityMilli, 42);
    const other = arrivalSequence(pods, capacityMilli, 43);
    expect(a.map((p) => p.name)).toEqual(again.map((p) => p.name));
    expect(a.map((p) => p.name)).not.toEqual(other.map((p) => p.name));
    const total = a.reduce((s, p) => s + podGpuMilliOf(p), 0);
    expect(total).toBeLessThanOrEqual(1.3 * capacityMilli);
    expect(total).toBeGreaterThan(1.3 * capacityMilli - 8000); // within one pod of the target
  });

  it('inflates a small trace by re-sampling with replacement', () => {
    const small = pods.slice(0, 100);
    const a = arrivalSequence(small, 200_000, 7);
    expect(a.length).toBeGreaterThan(100);
    expect(a.reduce((s, p) => s + podGpuMilliOf(p), 0)).toBeLessThanOrEqual(260_000);
    expect(new Set(a.slice(0, 100).map((p) => p.name)).size).toBe(100); // the trace itself comes first, once
  });

  for (const policy of POLICIES) {
    it(`${policy}: never over-allocates and reports what the allocations add up to`, () => {
      const r = replay(nodes, pods, policy, 42, typicalWorkloadOf(pods, policy));
      expect(verifyReplay(nodes, r, byName)).toEqual([]);
      expect(r.placed + r.failed).toBe(r.arrived);
      expect(r.placed).toBeGreaterThan(0);
      expect(r.allocPctAt100).toBeLessThanOrEqual(r.allocPctAt130);
      expect(r.allocPctAt130).toBeGreaterThan(50);
      expect(r.allocPctAt130).toBeLessThanOrEqual(100);
    });
  }

  it('the check itself catches an over-allocated GPU', () => {
    const r = replay(nodes, pods, 'bestfit', 42);
    const alloc = [...r.snapshot.allocations.values()].find((a) => a.workers[0].gpuIndices.length > 0)!;
    alloc.workers[0].milliPerGpu += 1000; // pretend it took more than exists
    expect(verifyReplay(nodes, r, byName).length).toBeGreaterThan(0);
  });
});
