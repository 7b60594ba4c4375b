// QueueSort: which pending pod gets the next scheduling cycle.
// Priority first (higher first); among equal priorities, the tenant furthest below its quota (fair share); then age.

import type { Scheduler } from './framework';
import { type Snapshot, gpuDemandOf } from './snapshot';
import type { PodRequest, RunningAllocation, ScheduleResult, TenantQuota } from './types';

/** Milli-GPUs a pod holds or asks for, all workers together. */
export function podGpuMilli(pod: Pick<PodRequest, 'gpusPerWorker' | 'gpuMilli' | 'workers'>): number {
  return gpuDemandOf(pod).totalMilli * Math.max(1, pod.workers ?? 1);
}

export function allocationGpuMilli(alloc: RunningAllocation): number {
  let milli = 0;
  for (const w of alloc.workers) milli += w.physicalMilli ?? w.milliPerGpu * w.gpuIndices.length;
  return milli;
}

/** Usage of each tenant in milli-GPUs, from what is running. */
export function tenantUsage(allocations: Iterable<RunningAllocation>): Map<string, number> {
  const usage = new Map<string, number>();
  for (const a of allocations) usage.set(a.tenant, (usage.get(a.tenant) ?? 0) + allocationGpuMilli(a));
  return usage;
}

/**
 * Share of its quota a tenant uses (0 = idle, 1 = at quota). A tenant without a quota counts as using everything
 * it has ever asked for against a quota of one GPU, so quota holders go first.
 */
export function fairShare(tenant: string, usage: Map<string, number>, quotas: Map<string, number>): number {
  const used = usage.get(tenant) ?? 0;
  const quota = quotas.get(tenant);
  return quota !== undefined && quota > 0 ? used / quota : used / 1000 + 1;
}

export function compareQueued(
  a: PodRequest,
  b: PodRequest,
  usage: Map<string, number>,
  quotas: Map<string, number>,
): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.tenant !== b.tenant) {
    const fa = fairShare(a.tenant, usage, quotas);
    const fb = fairShare(b.tenant, usage, quotas);
    if (fa !== fb) return fa - fb;
  }
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Pending pods in scheduling order for the current usage. */
export function sortQueue(
  pods: PodRequest[],
  allocations: Iterable<RunningAllocation>,
  quotas: TenantQuota[] = [],
): PodRequest[] {
  const usage = tenantUsage(allocations);
  const quotaMap = new Map(quotas.map((q) => [q.tenant, q.gpuMilliQuota]));
  return [...pods].sort((a, b) => compareQueued(a, b, usage, quotaMap));
}

/**
 * Schedules the pending pods in fair order: the next pod is picked with usage updated by the pods already placed in
 * this pass, so one tenant's burst cannot take every slot of a cycle. Placed pods are assumed in the snapshot (the
 * caller commits the decisions), so later pods see them.
 */
export function scheduleQueue(
  scheduler: Scheduler,
  snapshot: Snapshot,
  pods: PodRequest[],
  quotas: TenantQuota[] = [],
): Array<{ pod: PodRequest; result: ScheduleResult }> {
  let usage = tenantUsage(snapshot.allocations.values());
  const quotaMap = new Map(quotas.map((q) => [q.tenant, q.gpuMilliQuota]));
  const pending = [...pods];
  const results: Array<{ pod: PodRequest; result: ScheduleResult }> = [];
  while (pending.length > 0) {
    let best = 0;
    for (let i = 1; i < pending.length; i++) {
      if (compareQueued(pending[i], pending[best], usage, quotaMap) < 0) best = i;
    }
    const [pod] = pending.splice(best, 1);
    const result = scheduler.schedule(snapshot, pod);
    if (result.status === 'scheduled') {
      snapshot.assume(result.decision, pod);
      // Recounted from the snapshot: the placement adds usage, evicted victims remove theirs.
      usage = tenantUsage(snapshot.allocations.values());
    }
    results.push({ pod, result });
  }
  return results;
}
