// The in-memory cluster the plugins read, plus the few mutations the framework needs
// (reserve a worker, undo it, apply a decision, release a pod). The service rebuilds one per cycle from the
// database; the benchmark keeps one for the whole replay and applies each decision to it.

import type { GpuDemand, PlacementDecision, PodRequest, RunningAllocation, SchedNode, WorkerPlacement } from './types';

export const MILLI_PER_GPU = 1000;

export class Snapshot {
  readonly nodes: SchedNode[];
  readonly indexById: Map<string, number>;
  /** Node indices per rack: power and cooling headroom are shared by a rack. */
  readonly rackMembers: Map<string, number[]>;
  /** Bumped on every change of a node, so plugins may memoise per-node results. */
  readonly nodeVersion: Int32Array;
  /** Largest node capacities in the cluster: BestFit normalises by them. */
  readonly maxCpuMilli: number;
  readonly maxGpuMilli: number;
  readonly maxMemoryMib: number;
  readonly allocations: Map<string, RunningAllocation>;

  constructor(nodes: SchedNode[], allocations: RunningAllocation[] = []) {
    this.nodes = nodes;
    this.indexById = new Map();
    this.rackMembers = new Map();
    this.nodeVersion = new Int32Array(nodes.length);
    let maxCpu = 1;
    let maxGpu = 1;
    let maxMem = 1;
    nodes.forEach((node, i) => {
      this.indexById.set(node.id, i);
      if (node.rackId !== undefined) {
        const members = this.rackMembers.get(node.rackId);
        if (members) members.push(i);
        else this.rackMembers.set(node.rackId, [i]);
      }
      maxCpu = Math.max(maxCpu, node.cpuMilliTotal);
      maxGpu = Math.max(maxGpu, node.gpus.length * MILLI_PER_GPU);
      maxMem = Math.max(maxMem, node.memoryMibTotal);
    });
    this.maxCpuMilli = maxCpu;
    this.maxGpuMilli = maxGpu;
    this.maxMemoryMib = maxMem;
    this.allocations = new Map(allocations.map((a) => [a.podId, a]));
  }

  /** Takes (sign 1) or gives back (sign -1) one worker's resources. No checks: filters ran before. */
  adjust(worker: WorkerPlacement, sign: 1 | -1): void {
    const i = this.indexById.get(worker.nodeId);
    if (i === undefined) throw new Error(`unknown node ${worker.nodeId}`);
    const node = this.nodes[i];
    node.cpuMilliFree -= sign * worker.cpuMilli;
    node.memoryMibFree -= sign * worker.memoryMib;
    for (const g of worker.gpuIndices) node.gpus[g].freeMilli -= sign * worker.milliPerGpu;
    this.nodeVersion[i]++;
    // Power and heat are rack-level: every node of the rack sees the new headroom.
    const members = node.rackId !== undefined ? this.rackMembers.get(node.rackId) : undefined;
    for (const m of members ?? [i]) {
      const member = this.nodes[m];
      if (member.powerHeadroomW !== undefined) member.powerHeadroomW -= sign * worker.expectedPowerW;
      if (member.coolingHeadroomW !== undefined) member.coolingHeadroomW -= sign * worker.expectedPowerW;
      if (m !== i) this.nodeVersion[m]++;
    }
  }

  /** Applies a decision in memory (victims released first) and records the pod as running. */
  assume(decision: PlacementDecision, pod: Pick<PodRequest, 'tenant' | 'priority' | 'preemptible'>): void {
    for (const victim of decision.victims) this.release(victim);
    for (const w of decision.workers) this.adjust(w, 1);
    this.allocations.set(decision.podId, {
      podId: decision.podId,
      tenant: pod.tenant,
      priority: pod.priority,
      preemptible: pod.preemptible,
      workers: decision.workers,
    });
  }

  /** A pod ended or was evicted: give its resources back. */
  release(podId: string): void {
    const alloc = this.allocations.get(podId);
    if (!alloc) return;
    for (const w of alloc.workers) this.adjust(w, -1);
    this.allocations.delete(podId);
  }
}

/** One worker's GPU need, from the request's whole-GPU count and share. */
export function gpuDemandOf(pod: Pick<PodRequest, 'gpusPerWorker' | 'gpuMilli'>): GpuDemand {
  const milli = pod.gpuMilli ?? 0;
  if (pod.gpusPerWorker <= 1 && milli > 0 && milli < MILLI_PER_GPU) {
    return { mode: 'share', gpuCount: 1, milliPerGpu: milli, totalMilli: milli };
  }
  if (pod.gpusPerWorker >= 1) {
    return {
      mode: 'whole',
      gpuCount: pod.gpusPerWorker,
      milliPerGpu: MILLI_PER_GPU,
      totalMilli: pod.gpusPerWorker * MILLI_PER_GPU,
    };
  }
  return { mode: 'none', gpuCount: 0, milliPerGpu: 0, totalMilli: 0 };
}

/** Free milli of a GPU as the scheduler sees it: an unhealthy GPU offers nothing. */
export function usableMilli(node: SchedNode, gpuIndex: number): number {
  const gpu = node.gpus[gpuIndex];
  return gpu.healthy ? gpu.freeMilli : 0;
}

/** Allocated share of the whole cluster's GPUs, 0-1 (unhealthy GPUs still count as capacity). */
export function gpuAllocationRatio(snapshot: Snapshot): number {
  let total = 0;
  let free = 0;
  for (const node of snapshot.nodes) {
    for (const gpu of node.gpus) {
      total += MILLI_PER_GPU;
      free += gpu.freeMilli;
    }
  }
  return total === 0 ? 0 : (total - free) / total;
}
