// Kubernetes through @kubernetes/client-node: nodes (allocatable GPUs, labels, taints, cordon), pods that request GPUs
// (as external jobs), and facility feedback as a NoSchedule taint on the node. Plain list calls, no watches: the
// registry reads once per poll interval.

import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, type V1Node, type V1Pod, type V1Taint } from '@kubernetes/client-node';
import {
  type ClusterAdapter,
  type ClusterConnection,
  type EngineJob,
  type EngineJobState,
  type EngineNode,
  type EngineState,
  type EngineTaint,
  STEER_TAINT_KEY,
} from './types';

/** Extended resources device plugins advertise for whole GPUs. */
export const GPU_RESOURCES = ['nvidia.com/gpu', 'amd.com/gpu'] as const;
/** Pods per list page (the list is followed through its continue token). */
const PAGE_SIZE = 500;

/** A kubeconfig the API cannot use, naming what is wrong (the router turns it into a field error). */
export class KubeconfigError extends Error {
  constructor(
    readonly field: 'kubeconfig' | 'context',
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/** Loads a kubeconfig's text and selects the context (default: its current-context); returns it with the API server URL. */
export function loadKubeconfig(content: string, context?: string): { config: KubeConfig; context: string; server: string } {
  const config = new KubeConfig();
  try {
    config.loadFromString(content);
  } catch (error) {
    throw new KubeconfigError('kubeconfig', `is not a kubeconfig (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
  }
  const name = context ?? config.getCurrentContext();
  if (!name) throw new KubeconfigError('context', 'is required: the kubeconfig has no current-context');
  const contextObject = config.getContextObject(name);
  if (!contextObject) {
    const known = config.getContexts().map((c) => c.name);
    throw new KubeconfigError('context', `no context "${name}" in the kubeconfig (it has ${known.length ? known.join(', ') : 'none'})`);
  }
  config.setCurrentContext(name);
  const cluster = config.getCurrentCluster();
  if (!cluster?.server) throw new KubeconfigError('kubeconfig', `context "${name}" names no cluster with a server URL`);
  return { config, context: name, server: cluster.server };
}

function quantity(value: string | undefined): number {
  if (value === undefined) return 0;
  const n = Number(value);
  // GPUs are whole: a quantity such as "8" (never "500m" for an extended resource).
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

function gpusIn(resources: Record<string, string> | undefined): number {
  if (!resources) return 0;
  return GPU_RESOURCES.reduce((sum, key) => sum + quantity(resources[key]), 0);
}

/** GPUs a pod asks for: the sum over its containers, or its largest init container if that is more (as the scheduler counts). */
export function podGpus(pod: V1Pod): number {
  const containerGpus = (c: { resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }) =>
    Math.max(gpusIn(c.resources?.requests), gpusIn(c.resources?.limits));
  const main = (pod.spec?.containers ?? []).reduce((sum, c) => sum + containerGpus(c), 0);
  const init = Math.max(0, ...(pod.spec?.initContainers ?? []).map(containerGpus));
  return Math.max(main, init);
}

function podState(pod: V1Pod): EngineJobState {
  switch (pod.status?.phase) {
    case 'Running':
      return 'running';
    case 'Succeeded':
      return 'succeeded';
    case 'Failed':
      return 'failed';
    case 'Pending':
      return 'pending';
    default:
      // Unknown: the node stopped reporting; the pod still holds its GPUs as far as anyone knows.
      return pod.spec?.nodeName ? 'running' : 'pending';
  }
}

function podReason(pod: V1Pod): string {
  const waiting = pod.status?.containerStatuses?.find((c) => c.state?.waiting?.reason)?.state?.waiting;
  const unschedulable = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  const parts = [pod.status?.reason, pod.status?.message, waiting?.reason, unschedulable?.message].filter((p): p is string => Boolean(p));
  const owner = pod.metadata?.ownerReferences?.find((o) => o.controller) ?? pod.metadata?.ownerReferences?.[0];
  if (owner) parts.push(`owned by ${owner.kind}/${owner.name}`);
  return [...new Set(parts)].join('; ');
}

function podEnded(pod: V1Pod): { endedAt: Date | null; exitCode: number | null } {
  let endedAt: Date | null = null;
  let exitCode: number | null = null;
  for (const status of pod.status?.containerStatuses ?? []) {
    const terminated = status.state?.terminated;
    if (!terminated) continue;
    if (terminated.finishedAt && (!endedAt || new Date(terminated.finishedAt) > endedAt)) endedAt = new Date(terminated.finishedAt);
    // The first non-zero exit code says why a pod failed; else 0.
    if (exitCode === null || (exitCode === 0 && terminated.exitCode !== 0)) exitCode = terminated.exitCode;
  }
  return { endedAt, exitCode };
}

export function podToJob(pod: V1Pod): EngineJob {
  const namespace = pod.metadata?.namespace ?? 'default';
  const name = pod.metadata?.name ?? '';
  const gpus = podGpus(pod);
  const state = podState(pod);
  const ended = state === 'succeeded' || state === 'failed' ? podEnded(pod) : { endedAt: null, exitCode: null };
  return {
    externalId: `${namespace}/${name}`,
    name,
    state,
    engineState: pod.metadata?.deletionTimestamp ? `${pod.status?.phase ?? 'Unknown'} (terminating)` : (pod.status?.phase ?? 'Unknown'),
    owner: namespace,
    nodes: pod.spec?.nodeName ? [{ name: pod.spec.nodeName, gpus }] : [],
    gpusPerNodeRequested: gpus,
    startedAt: pod.status?.startTime ? new Date(pod.status.startTime) : null,
    endedAt: ended.endedAt,
    exitCode: ended.exitCode,
    reason: podReason(pod),
  };
}

export function nodeToEngineNode(node: V1Node, gpusAllocated: number): EngineNode {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const isReady = ready?.status === 'True';
  const cordoned = node.spec?.unschedulable === true;
  const state = [isReady ? 'Ready' : ready?.status === 'Unknown' || !ready ? 'Unknown' : 'NotReady', ...(cordoned ? ['SchedulingDisabled'] : [])].join(',');
  const reasons: string[] = [];
  if (cordoned) reasons.push('cordoned');
  if (!isReady) reasons.push(`not ready${ready?.message ? `: ${ready.message}` : ready?.reason ? `: ${ready.reason}` : ''}`);
  const hostname = node.status?.addresses?.find((a) => a.type === 'Hostname')?.address;
  const name = node.metadata?.name ?? '';
  return {
    name,
    hostname: hostname && hostname !== name ? hostname : undefined,
    state,
    reason: reasons.join('; '),
    available: isReady && !cordoned,
    gpusTotal: gpusIn(node.status?.allocatable),
    gpusAllocated,
    // Kubernetes has no partitions; a node pool label is the nearest thing, shown as one.
    partitions: [],
    labels: node.metadata?.labels ?? {},
    taints: (node.spec?.taints ?? []).map((t): EngineTaint => ({ key: t.key, ...(t.value !== undefined ? { value: t.value } : {}), effect: t.effect })),
  };
}

/** A taint value is a label value: at most 63 characters of [A-Za-z0-9._-], starting and ending alphanumeric. */
export function taintValue(cause: string): string {
  const value = cause
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 63)
    .replace(/[^A-Za-z0-9]+$/, '');
  return value || 'facility';
}

/** A Kubernetes API error as one line: status code and the API's own message. */
function apiErrorText(error: unknown): Error {
  const e = error as { code?: number; body?: unknown; message?: string; cause?: unknown };
  if (typeof e?.code === 'number') {
    let message = '';
    try {
      const body = typeof e.body === 'string' ? JSON.parse(e.body) : e.body;
      message = (body as { message?: string } | undefined)?.message ?? '';
    } catch {
      message = typeof e.body === 'string' ? e.body.slice(0, 300) : '';
    }
    // Without a Status body the client's own word for the code ("Unauthorized") is the next best text.
    const clientWord = /\nMessage: (.*)\n/.exec(e.message ?? '')?.[1];
    if (!message && clientWord && clientWord !== 'Unknown API Status Code!') message = clientWord;
    return new Error(`Kubernetes API answered ${e.code}${message ? `: ${message}` : ''}`);
  }
  const cause = e?.cause instanceof Error ? ` (${e.cause.message})` : '';
  return new Error(`Kubernetes API unreachable: ${e?.message ?? String(error)}${cause}`);
}

/** Runs a client call, failing with the signal's reason as soon as it aborts (the client takes no signal). */
async function call<T>(signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
  if (signal?.aborted) throw new Error('Kubernetes API read timed out');
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Error('Kubernetes API read timed out'));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work().catch((error) => Promise.reject(apiErrorText(error))), aborted]);
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

export function createKubernetesAdapter(cluster: ClusterConnection): ClusterAdapter {
  const kubeconfig = cluster.credentials.kubeconfig;
  if (!kubeconfig) throw new Error(`cluster ${cluster.name} has no kubeconfig`);
  const { config } = loadKubeconfig(kubeconfig, cluster.options.context);
  const api = config.makeApiClient(CoreV1Api);

  async function listGpuPods(signal: AbortSignal | undefined): Promise<V1Pod[]> {
    const pods: V1Pod[] = [];
    let next: string | undefined;
    do {
      const page = await call(signal, () => api.listPodForAllNamespaces({ limit: PAGE_SIZE, _continue: next }));
      for (const pod of page.items) if (podGpus(pod) > 0) pods.push(pod);
      next = page.metadata?._continue || undefined;
    } while (next);
    return pods;
  }

  /** Sets the node's taints to `change(current)`, guarded by the node's resourceVersion so a concurrent edit is not lost. */
  async function patchTaints(nodeName: string, change: (taints: V1Taint[]) => V1Taint[] | null, signal?: AbortSignal): Promise<void> {
    const node = await call(signal, () => api.readNode({ name: nodeName }));
    const current = node.spec?.taints ?? [];
    const wanted = change(current);
    if (wanted === null) return;
    const patch = [
      { op: 'test', path: '/metadata/resourceVersion', value: node.metadata?.resourceVersion ?? '' },
      { op: node.spec?.taints ? 'replace' : 'add', path: '/spec/taints', value: wanted },
    ];
    await call(signal, () => api.patchNode({ name: nodeName, body: patch }, setHeaderOptions('Content-Type', PatchStrategy.JsonPatch)));
  }

  return {
    async read(signal) {
      const nodes: V1Node[] = [];
      let next: string | undefined;
      do {
        const page = await call(signal, () => api.listNode({ limit: PAGE_SIZE, _continue: next }));
        nodes.push(...page.items);
        next = page.metadata?._continue || undefined;
      } while (next);
      const pods = await listGpuPods(signal);
      const jobs = pods.map(podToJob);
      const allocated = new Map<string, number>();
      for (const job of jobs) {
        if (job.state !== 'pending' && job.state !== 'running') continue;
        for (const n of job.nodes) allocated.set(n.name, (allocated.get(n.name) ?? 0) + n.gpus);
      }
      const state: EngineState = {
        nodes: nodes.map((node) => nodeToEngineNode(node, allocated.get(node.metadata?.name ?? '') ?? 0)),
        partitions: [],
        jobs,
      };
      return state;
    },

    async steerAway(nodeName, cause, signal) {
      const value = taintValue(cause);
      await patchTaints(
        nodeName,
        (taints) => {
          const own = taints.find((t) => t.key === STEER_TAINT_KEY);
          if (own && own.value === value && own.effect === 'NoSchedule') return null;
          return [...taints.filter((t) => t.key !== STEER_TAINT_KEY), { key: STEER_TAINT_KEY, value, effect: 'NoSchedule' }];
        },
        signal,
      );
    },

    async release(nodeName, signal) {
      await patchTaints(nodeName, (taints) => (taints.some((t) => t.key === STEER_TAINT_KEY) ? taints.filter((t) => t.key !== STEER_TAINT_KEY) : null), signal);
    },
  };
}
