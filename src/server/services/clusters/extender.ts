// A kube-scheduler extender (the HTTP "filter" and "prioritize" verbs of k8s.io/kube-scheduler/extender/v1): for a
// pod asking for GPUs, Plenum says which of the candidate nodes its facility can take (power and cooling headroom,
// security zone, node and GPU health, engine drains, open critical alerts) and how much it prefers each (the placement
// profile's scores). Resource fit (GPU, CPU and memory counts, GPU model) stays kube-scheduler's own business: it has
// the live numbers, Plenum's mirror is up to one poll interval old.

import type { V1Pod } from '@kubernetes/client-node';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { REASON_TEXT, type ReasonCode } from '../../../scheduler';
import type { PodRequest, ZoneLevel } from '../../../scheduler/types';
import { createScheduler } from '../../../scheduler/profiles';
import type { Db } from '../../db/client';
import { DEFAULT_POWER_W_PER_GPU, SCHEDULER_PROFILE } from '../scheduler/defaults';
import { loadClusterState } from '../scheduler/snapshot';
import { podGpus } from './kubernetes';

/** extenderv1.MaxExtenderPriority: an extender scores each node 0-10 (kube-scheduler scales it by the weight). */
export const MAX_EXTENDER_PRIORITY = 10;

/** What kube-scheduler checks itself, with live numbers: these verdicts of Plenum's filters are not passed on. */
const KUBE_SCHEDULER_OWNS = new Set<ReasonCode>(['insufficient-gpu', 'insufficient-cpu', 'insufficient-memory', 'gpu-model', 'gpu-memory', 'topology', 'replica-spread']);
/** Verdicts preempting pods on the node cannot change (kube-scheduler then skips the node in preemption). */
const UNRESOLVABLE = new Set<ReasonCode>(['node-unhealthy', 'engine-unavailable', 'zone-clearance', 'gpu-unhealthy', 'critical-alert']);

const quantities = z.record(z.string().max(253), z.union([z.string().max(64), z.number()]).transform(String)).optional();
const container = z.looseObject({ name: z.string().max(253).optional(), resources: z.looseObject({ requests: quantities, limits: quantities }).optional() });
const objectMeta = z.looseObject({
  name: z.string().max(253).optional(),
  namespace: z.string().max(253).optional(),
  uid: z.string().max(64).optional(),
  annotations: z.record(z.string().max(317), z.string().max(65_536)).optional(),
});
const nodeItem = z.looseObject({ metadata: z.looseObject({ name: z.string().min(1, 'is required').max(253) }) });

/** ExtenderArgs: the pod, and the candidate nodes as a NodeList (Nodes) or, for a node-cache-capable extender, by name. */
export const extenderArgsSchema = z
  .object({
    Pod: z.looseObject({
      metadata: objectMeta.optional(),
      spec: z.looseObject({ containers: z.array(container).max(256), initContainers: z.array(container).max(256).optional() }),
    }),
    Nodes: z.looseObject({ items: z.array(nodeItem).max(10_000) }).nullish(),
    NodeNames: z.array(z.string().min(1).max(253)).max(10_000).nullish(),
  })
  .refine((args) => args.Nodes != null || args.NodeNames != null, { message: 'Nodes or NodeNames is required', path: ['Nodes'] });
export type ExtenderArgs = z.infer<typeof extenderArgsSchema>;

export type ExtenderFilterResult = {
  Nodes?: { kind?: string; apiVersion?: string; metadata?: unknown; items: unknown[] } | null;
  NodeNames?: string[] | null;
  FailedNodes: Record<string, string>;
  FailedAndUnresolvableNodes: Record<string, string>;
  Error: string;
};
export type HostPriorityList = Array<{ Host: string; Score: number }>;

/** Pod annotations that tell Plenum what kube-scheduler cannot: the zone the pod needs and its expected draw. */
export const ZONE_ANNOTATION = 'plenum.io/required-zone-level';
export const POWER_ANNOTATION = 'plenum.io/expected-power-w-per-gpu';

function candidateNames(args: ExtenderArgs): string[] {
  return args.NodeNames ?? args.Nodes!.items.map((n) => n.metadata.name);
}

/** The pod as Plenum's framework sees one worker: its GPUs, zone and power; CPU and memory are kube-scheduler's. */
function podRequest(args: ExtenderArgs): PodRequest | { error: string } {
  const gpus = podGpus(args.Pod as unknown as V1Pod);
  const annotations = args.Pod.metadata?.annotations ?? {};
  const zone = annotations[ZONE_ANNOTATION];
  if (zone !== undefined && !/^[0-3]$/.test(zone)) return { error: `annotation ${ZONE_ANNOTATION} must be 0-3, not "${zone.slice(0, 40)}"` };
  const power = annotations[POWER_ANNOTATION];
  const powerW = power === undefined ? DEFAULT_POWER_W_PER_GPU.inference : Number(power);
  if (!(powerW > 0 && powerW <= 5000)) return { error: `annotation ${POWER_ANNOTATION} must be a number of W in (0, 5000], not "${String(power).slice(0, 40)}"` };
  return {
    id: args.Pod.metadata?.uid ?? `${args.Pod.metadata?.namespace ?? 'default'}/${args.Pod.metadata?.name ?? ''}`,
    tenant: `kubernetes:${args.Pod.metadata?.namespace ?? 'default'}`,
    priority: 0,
    preemptible: false,
    kind: 'inference',
    workers: 1,
    gpusPerWorker: Math.min(8, gpus),
    cpuMilli: 0,
    memoryMib: 0,
    requiredZoneLevel: (zone === undefined ? 0 : Number(zone)) as ZoneLevel,
    topology: 'none',
    expectedPowerWPerGpu: powerW,
    createdAt: Date.now(),
    replicaSpread: 'none',
  };
}

type Verdict = { name: string; mapped: boolean; reason: ReasonCode | null; score: number };

/** Plenum's verdict on each candidate node. Nodes no Kubernetes cluster of the registry maps to a server pass unjudged. */
async function judge(db: Db, args: ExtenderArgs, clusterName: string | undefined): Promise<Verdict[] | { error: string }> {
  const names = candidateNames(args);
  const pod = podRequest(args);
  if ('error' in pod) return pod;
  if (pod.gpusPerWorker === 0) return names.map((name) => ({ name, mapped: false, reason: null, score: 0 }));
  const mapping = (
    await db.execute<{ name: string; device_id: number }>(sql`
      SELECT DISTINCT ON (n.name) n.name, n.device_id FROM cluster_nodes n JOIN clusters c ON c.id = n.cluster_id
      WHERE c.kind = 'kubernetes' AND n.device_id IS NOT NULL AND (${clusterName ?? null}::text IS NULL OR c.name = ${clusterName ?? null}::text)
      ORDER BY n.name, c.id`)
  ).rows;
  const deviceOf = new Map(mapping.map((m) => [m.name, String(m.device_id)]));
  const state = await loadClusterState(db);
  const indexOf = state.snapshot.indexById;
  const scheduler = createScheduler(SCHEDULER_PROFILE);
  const judged = names.map((name) => ({ name, nodeIndex: indexOf.get(deviceOf.get(name) ?? '') }));
  const ranked = scheduler.rankNodes(
    state.snapshot,
    pod,
    judged.filter((j) => j.nodeIndex !== undefined).map((j) => j.nodeIndex!),
    KUBE_SCHEDULER_OWNS,
  );
  const byIndex = new Map(ranked.map((r) => [r.nodeIndex, r]));
  return judged.map(({ name, nodeIndex }) => {
    const r = nodeIndex === undefined ? undefined : byIndex.get(nodeIndex);
    return { name, mapped: r !== undefined, reason: r?.reason ?? null, score: r?.score ?? 0 };
  });
}

export async function extenderFilter(db: Db, args: ExtenderArgs, clusterName?: string): Promise<ExtenderFilterResult> {
  const verdicts = await judge(db, args, clusterName);
  if ('error' in verdicts) return { FailedNodes: {}, FailedAndUnresolvableNodes: {}, Error: verdicts.error, ...(args.NodeNames ? { NodeNames: null } : { Nodes: null }) };
  const failed: Record<string, string> = {};
  const unresolvable: Record<string, string> = {};
  const passing = new Set<string>();
  for (const v of verdicts) {
    if (v.reason === null) passing.add(v.name);
    else (UNRESOLVABLE.has(v.reason) ? unresolvable : failed)[v.name] = `plenum: ${REASON_TEXT[v.reason]}`;
  }
  const result: ExtenderFilterResult = { FailedNodes: failed, FailedAndUnresolvableNodes: unresolvable, Error: '' };
  if (args.NodeNames) result.NodeNames = args.NodeNames.filter((n) => passing.has(n));
  else result.Nodes = { ...args.Nodes!, items: args.Nodes!.items.filter((n) => passing.has(n.metadata.name)) };
  return result;
}

/** Scores 0-10: the best node Plenum would choose gets 10, the others in proportion; unjudged and failing nodes 0. */
export async function extenderPrioritize(db: Db, args: ExtenderArgs, clusterName?: string): Promise<HostPriorityList | { error: string }> {
  const verdicts = await judge(db, args, clusterName);
  if ('error' in verdicts) return verdicts;
  const best = Math.max(0, ...verdicts.filter((v) => v.reason === null).map((v) => v.score));
  return verdicts.map((v) => ({ Host: v.name, Score: v.reason === null && best > 0 ? Math.round((MAX_EXTENDER_PRIORITY * v.score) / best) : 0 }));
}
