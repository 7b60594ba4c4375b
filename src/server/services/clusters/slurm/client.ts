/**
 * A slurmrestd client: finds the OpenAPI version the daemon serves (from `/openapi/v3`, else `/openapi`), then reads
 * nodes, partitions and jobs, submits pinned jobs, cancels them and drains/resumes nodes, in Plenum's engine-neutral
 * shapes (services/clusters/types.ts). Every answer is zod-parsed (schemas.ts); an error names the path and the field.
 *
 * v0.0.38 (Slurm 22.05/23.02) has no node update: drain and resume there need `scontrol` (see adapter.ts).
 */
import type { z } from 'zod';
import type { EngineJob, EngineJobState, EngineNode, EnginePartition, PlacedJob } from '../types';
import { expandHostList, gpusInGres, gpusInTres } from './hostlist';
import * as schema from './schemas';

/** OpenAPI versions Plenum speaks, newest first: 0.0.40-0.0.44 share one shape, 0.0.38 the other. */
export const SUPPORTED_VERSIONS = ['0.0.44', '0.0.43', '0.0.42', '0.0.41', '0.0.40', '0.0.38'] as const;
export type SlurmApiVersion = (typeof SUPPORTED_VERSIONS)[number];

export class SlurmApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'SlurmApiError';
  }
}

export type SlurmClientOptions = {
  /** slurmrestd base URL, e.g. http://slurm-ctl:6820 */
  url: string;
  /** A JWT (X-SLURM-USER-TOKEN), e.g. from `scontrol token`. */
  token: string;
  /** X-SLURM-USER-NAME: the Slurm user requests act as (the token's own user when omitted). */
  user?: string;
  /** Per-request limit (default 10 s). */
  timeoutMs?: number;
  /** Skip detection (tests, or a site that pins the version). */
  version?: SlurmApiVersion;
  fetch?: typeof fetch;
};

/** Plenum's word for a Slurm job state ("RUNNING", ["PENDING", "REQUEUED"], "COMPLETING"…). */
export function jobStateOf(words: readonly string[]): EngineJobState {
  const all = words.map((w) => w.toUpperCase());
  const base = all[0] ?? '';
  if (all.includes('COMPLETING') || base === 'RUNNING' || base === 'SUSPENDED' || base === 'STOPPED') return 'running';
  if (base === 'COMPLETED') return 'succeeded';
  if (base === 'CANCELLED') return 'cancelled';
  if (['FAILED', 'TIMEOUT', 'NODE_FAIL', 'BOOT_FAIL', 'OUT_OF_MEMORY', 'DEADLINE', 'PREEMPTED', 'REVOKED'].includes(base)) return 'failed';
  return 'pending';
}

/** Node states and flags that keep jobs off a node. */
const UNAVAILABLE = ['DOWN', 'DRAIN', 'DRAINING', 'DRAINED', 'FAIL', 'FAILING', 'NOT_RESPONDING', 'MAINTENANCE', 'POWERED_DOWN', 'POWER_DOWN', 'REBOOT_ISSUED', 'INVALID', 'INVALID_REG', 'FUTURE', 'UNKNOWN'];

function nodeOf(n: {
  name: string;
  hostname?: string | null;
  address?: string | null;
  words: string[];
  reason?: string | null;
  gres?: string | null;
  gres_used?: string | null;
  tres?: string | null;
  tres_used?: string | null;
  partitions?: string[] | null;
}): EngineNode {
  const words = n.words.map((w) => w.toUpperCase());
  const available = !words.some((w) => UNAVAILABLE.includes(w));
  const reason = n.reason ?? '';
  return {
    name: n.name,
    ...(n.hostname && n.hostname !== n.name ? { hostname: n.hostname } : {}),
    state: words.join('+'),
    reason: available ? '' : reason || words.filter((w) => UNAVAILABLE.includes(w)).join('+').toLowerCase(),
    available,
    gpusTotal: gpusInGres(n.gres) || gpusInTres(n.tres),
    gpusAllocated: gpusInGres(n.gres_used) || gpusInTres(n.tres_used),
    partitions: n.partitions ?? [],
    labels: {},
    taints: [],
  };
}

/** The nodes of a job and the GPUs on each: per-node `gres_detail` when Slurm gives it, else the per-node request. */
function jobNodes(job: { nodes?: string | null; gres_detail?: string[] | null; tres_per_node?: string | null; tres_alloc_str?: string | null }) {
  const names = expandHostList(job.nodes);
  const perNodeAsked = gpusInGres(job.tres_per_node);
  const detail = job.gres_detail ?? [];
  const totalAlloc = gpusInTres(job.tres_alloc_str);
  const nodes = names.map((name, i) => ({
    name,
    gpus: detail.length === names.length ? gpusInGres(detail[i]) : perNodeAsked || (names.length ? Math.floor(totalAlloc / names.length) : 0),
  }));
  return { nodes, gpusPerNodeRequested: perNodeAsked || (names.length ? Math.floor(totalAlloc / names.length) : 0) };
}

function dateOf(seconds: number | null, state: EngineJobState, which: 'start' | 'end'): Date | null {
  if (seconds === null || seconds <= 0) return null;
  if (which === 'start' && state === 'pending') return null;
  // A running job's end_time is its time limit, not an end.
  if (which === 'end' && (state === 'pending' || state === 'running')) return null;
  return new Date(seconds * 1000);
}

function reasonOf(state: EngineJobState, reason?: string | null, description?: string | null): string {
  if (description) return description;
  if (!reason || reason === 'None') return '';
  return state === 'pending' || state === 'failed' ? reason : '';
}

/** v0.0.38 gives the raw wait status: exit code in the high byte, a signal in the low bits (128 + signal, as a shell). */
function exitCodeFromWaitStatus(status: number | null | undefined, state: EngineJobState): number | null {
  if (status === null || status === undefined || state === 'pending' || state === 'running') return null;
  const signal = status & 0x7f;
  return signal ? 128 + signal : (status >> 8) & 0xff;
}

function exitCode40(value: z.infer<typeof schema.jobs40>['jobs'][number]['exit_code'], state: EngineJobState): number | null {
  if (value === null || value === undefined || state === 'pending' || state === 'running') return null;
  if (typeof value === 'number') return exitCodeFromWaitStatus(value, state);
  const signal = schema.noValNumber(value.signal?.id);
  if (signal) return 128 + signal;
  return schema.noValNumber(value.return_code);
}

export class SlurmClient {
  private version: SlurmApiVersion | undefined;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly options: SlurmClientOptions) {
    this.version = options.version;
    this.fetchFn = options.fetch ?? fetch;
  }

  private async request(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, signal?: AbortSignal): Promise<{ status: number; json: unknown }> {
    const headers: Record<string, string> = { 'X-SLURM-USER-TOKEN': this.options.token, Accept: 'application/json' };
    if (this.options.user) headers['X-SLURM-USER-NAME'] = this.options.user;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 10_000);
    const url = `${this.options.url.replace(/\/+$/, '')}${path}`;
    let res: Response;
    try {
      res = await this.fetchFn(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (cause) {
      const why = cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : String(cause);
      throw new SlurmApiError(`slurmrestd ${method} ${path}: ${why}`);
    }
    const text = await res.text();
    if (res.status === 401 || res.status === 403) {
      throw new SlurmApiError(`slurmrestd ${method} ${path}: HTTP ${res.status} ${text.trim() || 'authentication failure'} (check the token and user)`, res.status);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new SlurmApiError(`slurmrestd ${method} ${path}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`, res.status);
    }
    const errors = schema.envelope.safeParse(json);
    const messages = (errors.success ? (errors.data.errors ?? []) : [])
      .map((e) => e.description || e.error || '')
      .filter((m) => m !== '' && m !== 'Failure during parsing');
    if (res.status >= 400 || messages.length > 0) {
      throw new SlurmApiError(`slurmrestd ${method} ${path}: ${messages.join('; ') || `HTTP ${res.status}`}`, res.status);
    }
    return { status: res.status, json };
  }

  private parse<T extends z.ZodType>(what: string, shape: T, json: unknown): z.infer<T> {
    const result = shape.safeParse(json);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(root)';
    throw new SlurmApiError(`slurmrestd v${this.version} ${what}: unexpected answer at ${where}: ${issue?.message ?? 'invalid'}`);
  }

  /** The OpenAPI version to speak: the newest the daemon serves that Plenum supports. */
  async detectVersion(signal?: AbortSignal): Promise<SlurmApiVersion> {
    if (this.version) return this.version;
    let paths: string[] = [];
    let lastError: unknown;
    for (const spec of ['/openapi/v3', '/openapi']) {
      try {
        const { json } = await this.request('GET', spec, undefined, signal);
        paths = Object.keys((json as { paths?: Record<string, unknown> }).paths ?? {});
        if (paths.length) break;
      } catch (error) {
        lastError = error;
        if (error instanceof SlurmApiError && (error.status === 401 || error.status === 403 || error.status === undefined)) throw error;
      }
    }
    if (!paths.length) throw lastError ?? new SlurmApiError('slurmrestd: its OpenAPI description lists no paths');
    const served = new Set(paths.map((p) => /^\/slurm\/v(\d+\.\d+\.\d+)\//.exec(p)?.[1]).filter((v): v is string => !!v));
    const version = SUPPORTED_VERSIONS.find((v) => served.has(v));
    if (!version) {
      throw new SlurmApiError(
        `slurmrestd serves OpenAPI ${[...served].map((v) => `v${v}`).join(', ') || 'no slurm/ plugin'}; Plenum speaks v${SUPPORTED_VERSIONS.join(', v')} (load one with slurmrestd -s openapi/v0.0.XX)`,
      );
    }
    this.version = version;
    return version;
  }

  private async base(signal?: AbortSignal) {
    const version = await this.detectVersion(signal);
    return { version, prefix: `/slurm/v${version}`, legacy: version === '0.0.38' };
  }

  async nodes(signal?: AbortSignal): Promise<EngineNode[]> {
    const { prefix, legacy } = await this.base(signal);
    const { json } = await this.request('GET', `${prefix}/nodes`, undefined, signal);
    if (legacy) {
      return this.parse('GET /nodes', schema.nodes38, json).nodes.map((n) => nodeOf({ ...n, words: [n.state, ...(n.state_flags ?? [])] }));
    }
    return this.parse('GET /nodes', schema.nodes40, json).nodes.map((n) => nodeOf({ ...n, words: n.state }));
  }

  async partitions(signal?: AbortSignal): Promise<EnginePartition[]> {
    const { prefix, legacy } = await this.base(signal);
    const { json } = await this.request('GET', `${prefix}/partitions`, undefined, signal);
    if (legacy) {
      return this.parse('GET /partitions', schema.partitions38, json).partitions.map((p) => ({
        name: p.name,
        nodes: expandHostList(p.nodes),
        state: (p.state ?? '').toUpperCase(),
      }));
    }
    return this.parse('GET /partitions', schema.partitions40, json).partitions.map((p) => ({
      name: p.name,
      nodes: expandHostList(p.nodes?.configured),
      state: (p.partition?.state ?? []).join('+').toUpperCase(),
    }));
  }

  async jobs(signal?: AbortSignal): Promise<EngineJob[]> {
    const { prefix, legacy } = await this.base(signal);
    const { json } = await this.request('GET', `${prefix}/jobs`, undefined, signal);
    const owner = (j: { user_name?: string | null; account?: string | null }) => [j.user_name, j.account].filter((x) => !!x).join('/');
    if (legacy) {
      return this.parse('GET /jobs', schema.jobs38, json).jobs.map((j) => {
        const state = jobStateOf([j.job_state]);
        return {
          externalId: String(j.job_id),
          name: j.name ?? '',
          state,
          engineState: j.job_state.toUpperCase(),
          owner: owner(j),
          ...jobNodes(j),
          startedAt: dateOf(j.start_time ?? null, state, 'start'),
          endedAt: dateOf(j.end_time ?? null, state, 'end'),
          exitCode: exitCodeFromWaitStatus(j.exit_code, state),
          reason: reasonOf(state, j.state_reason, j.state_description),
        };
      });
    }
    return this.parse('GET /jobs', schema.jobs40, json).jobs.map((j) => {
      const state = jobStateOf(j.job_state);
      return {
        externalId: String(j.job_id),
        name: j.name ?? '',
        state,
        engineState: j.job_state.join('+').toUpperCase(),
        owner: owner(j),
        ...jobNodes(j),
        startedAt: dateOf(schema.noValNumber(j.start_time), state, 'start'),
        endedAt: dateOf(schema.noValNumber(j.end_time), state, 'end'),
        exitCode: exitCode40(j.exit_code, state),
        reason: reasonOf(state, j.state_reason, j.state_description),
      };
    });
  }

  /** The job description slurmrestd takes, pinned to the placement's nodes. Exposed for the unit tests. */
  submitBody(job: PlacedJob, version: SlurmApiVersion): unknown {
    const names = job.nodes.map((n) => n.name);
    const gpus = Math.max(0, ...job.nodes.map((n) => n.gpus));
    const common = {
      name: job.name,
      ...(job.partition ? { partition: job.partition } : {}),
      current_working_directory: '/tmp',
      comment: `plenum job ${job.jobId}`,
    };
    if (version === '0.0.38') {
      return {
        script: job.script,
        job: {
          ...common,
          // 22.05 takes `nodelist` (its parser's name for --nodelist; `required_nodes` is disabled there).
          nodelist: names.join(','),
          nodes: [names.length, names.length],
          ...(gpus > 0 ? { gpus_per_node: String(gpus) } : {}),
          ...(job.wholeNodes ? { exclusive: 'exclusive' } : {}),
          environment: { PATH: '/usr/local/bin:/usr/bin:/bin' },
        },
      };
    }
    return {
      job: {
        ...common,
        script: job.script,
        required_nodes: names,
        minimum_nodes: names.length,
        maximum_nodes: names.length,
        ...(gpus > 0 ? { tres_per_node: `gres/gpu:${gpus}` } : {}),
        ...(job.wholeNodes ? { exclusive: ['true'] } : {}),
        environment: ['PATH=/usr/local/bin:/usr/bin:/bin'],
      },
    };
  }

  /** Submits; a refusal throws with Slurm's reason ("Requested node configuration is not available"). */
  async submit(job: PlacedJob, signal?: AbortSignal): Promise<{ externalId: string }> {
    const { version, prefix, legacy } = await this.base(signal);
    const { json } = await this.request('POST', `${prefix}/job/submit`, this.submitBody(job, version), signal);
    const parsed = legacy ? this.parse('POST /job/submit', schema.submit38, json) : this.parse('POST /job/submit', schema.submit40, json);
    return { externalId: String(parsed.job_id) };
  }

  /** Cancels (v0.0.38's DELETE signals SIGKILL by default). A job Slurm no longer knows is not an error. */
  async cancel(externalId: string, signal?: AbortSignal): Promise<void> {
    if (!/^\d+(_\d+)?$/.test(externalId)) throw new SlurmApiError(`not a Slurm job id: "${externalId}"`);
    const { prefix } = await this.base(signal);
    try {
      await this.request('DELETE', `${prefix}/job/${externalId}`, undefined, signal);
    } catch (error) {
      if (error instanceof SlurmApiError && /already completing or completed|Invalid job id|Unable to find JobId|Job\/step already/i.test(error.message)) return;
      throw error;
    }
  }

  /** True when this daemon can update nodes (v0.0.39+); v0.0.38 cannot. */
  async canUpdateNodes(signal?: AbortSignal): Promise<boolean> {
    return !(await this.base(signal)).legacy;
  }

  /** Drains (with the reason) or resumes a node (v0.0.40+). */
  async updateNode(node: string, change: { drain: true; reason: string } | { drain: false }, signal?: AbortSignal): Promise<void> {
    const { version, prefix, legacy } = await this.base(signal);
    if (legacy) throw new SlurmApiError(`slurmrestd v${version} cannot update nodes (Slurm 23.11+ can): drain ${node} with scontrol`);
    const body = change.drain ? { state: ['DRAIN'], reason: change.reason } : { state: ['RESUME'] };
    await this.request('POST', `${prefix}/node/${encodeURIComponent(node)}`, body, signal);
  }
}
