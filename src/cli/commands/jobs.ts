import { readFile } from 'node:fs/promises';
import type { JobInput } from '../../server/api/routers/jobs';
import { type Command, flag, requiredPositional, UsageError } from '../command';

const STATUSES = ['pending', 'scheduled', 'running', 'succeeded', 'failed', 'preempted', 'cancelled'] as const;
type Status = (typeof STATUSES)[number];

function jobId(value: string): number {
  const id = Number(value);
  if (!Number.isSafeInteger(id) || id <= 0) throw new UsageError(`not a job id: ${value}`);
  return id;
}

const gpusOf = (job: { gpusPerWorker: number; gpuMilli: number; tpuShape?: string | null }) =>
  job.tpuShape ? `TPU ${job.tpuShape}` : job.gpuMilli > 0 ? `${job.gpuMilli / 1000} GPU` : `${job.gpusPerWorker} GPU`;

/** A job file: one job object, or a list of them, in YAML or JSON (JSON is YAML). */
async function readJobs(path: string): Promise<JobInput[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  // Loaded here, not at start-up: only job files need the YAML parser.
  const { parse: parseYaml } = await import('yaml');
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new UsageError(`${path} is not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  if (list.length === 0 || list.some((item) => typeof item !== 'object' || item === null)) throw new UsageError(`${path} must hold a job object or a list of job objects`);
  return list as JobInput[];
}

/** `--executor slurm --cluster c [--partition p] --script file`: who runs the submitted jobs once placed. */
async function executorFromFlags(args: Parameters<Command['run']>[1]): Promise<JobInput['executor'] | undefined> {
  const kind = flag(args, 'executor');
  if (kind === undefined) {
    for (const name of ['cluster', 'partition', 'script']) if (flag(args, name) !== undefined) throw new UsageError(`--${name} goes with --executor slurm`);
    return undefined;
  }
  if (kind === 'simulator') return { kind: 'simulator' };
  if (kind !== 'slurm') throw new UsageError('--executor must be slurm or simulator');
  const cluster = flag(args, 'cluster');
  if (!cluster) throw new UsageError('--executor slurm needs --cluster <name> (plenum clusters list)');
  const scriptPath = flag(args, 'script');
  if (!scriptPath) throw new UsageError('--executor slurm needs --script <file> (the batch script)');
  let script: string;
  try {
    script = await readFile(scriptPath, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${scriptPath}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const partition = flag(args, 'partition');
  return { kind: 'slurm', cluster, script, ...(partition ? { partition } : {}) };
}

/** `--tpu <generation> --shape <x>x<y>x<z>`: a TPU slice instead of GPUs (the server checks the shape). */
function tpuFromFlags(args: Parameters<Command['run']>[1]): JobInput['tpu'] | undefined {
  const generation = flag(args, 'tpu');
  const shape = flag(args, 'shape');
  if (generation === undefined && shape === undefined) return undefined;
  if (!generation || !shape) throw new UsageError('--tpu <generation> and --shape <x>x<y>x<z> go together (e.g. --tpu tpu-v5p --shape 2x2x4)');
  return { generation, shape };
}

export const jobsCommands: Record<string, Command> = {
  'jobs submit': {
    usage: 'jobs submit <file.yaml|file.json> [--executor slurm --cluster <name> [--partition <p>] --script <file>] [--tpu <generation> --shape <x>x<y>x<z>]',
    summary:
      'submit the job (or list of jobs) described in a YAML or JSON file; --executor slurm runs it on a Slurm cluster, pinned to the nodes Plenum chooses; --tpu/--shape asks for a TPU slice instead of GPUs',
    run: async (client, args) => {
      const jobs = await readJobs(requiredPositional(args, 0, 'job file'));
      const executor = await executorFromFlags(args);
      if (executor) for (const job of jobs) job.executor = executor;
      const tpu = tpuFromFlags(args);
      if (tpu) for (const job of jobs) job.tpu = tpu;
      const submitted = [];
      for (const job of jobs) submitted.push(await client.jobs.submit.mutate(job));
      return { json: submitted.length === 1 ? submitted[0] : submitted, text: submitted.map((j) => `submitted job ${j.id} ${j.name} (${j.kind}, tenant id ${j.tenantId}): ${j.status}`).join('\n') };
    },
  },
  'jobs list': {
    usage: 'jobs list [--status <status>]... [--tenant <name>] [--limit <n>]',
    summary: 'list jobs, newest first',
    run: async (client, args) => {
      const limit = flag(args, 'limit');
      const status = args.flags.get('status')?.map((value) => {
        if (!STATUSES.includes(value as Status)) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`);
        return value as Status;
      });
      if (limit !== undefined && !/^\d+$/.test(limit)) throw new UsageError('--limit must be a number');
      const page = await client.jobs.list.query({
        status,
        tenant: flag(args, 'tenant'),
        limit: limit ? Number(limit) : 50,
      });
      const lines = page.items.map((j) => {
        const size = j.tpuShape ? gpusOf(j) : j.kind === 'inference' ? `${j.replicas} × ${gpusOf(j)}` : `${j.workers} × ${gpusOf(j)}`;
        return `${String(j.id).padStart(5)}  ${j.status.padEnd(9)}  ${j.kind.padEnd(9)}  ${j.tenant.padEnd(12)}  ${size.padEnd(12)}  ${j.name}${j.reason ? `  — ${j.reason}` : ''}`;
      });
      return { json: page, text: lines.length ? lines.join('\n') : 'no jobs' };
    },
  },
  'jobs show': {
    usage: 'jobs show <id>',
    summary: 'a job: status, placement (servers, racks, GPUs), expected power and timeline',
    run: async (client, args) => {
      const view = await client.jobs.get.query({ id: jobId(requiredPositional(args, 0, 'job id')) });
      const { job } = view;
      const placement = view.placement.allocations.map((a) => `  worker ${a.worker}: ${a.deviceName} (rack ${a.rackName ?? '—'}) GPU ${a.index} ${a.uuid}${a.milli < 1000 ? ` ${a.milli / 10} %` : ''}`);
      const text = [
        `job ${job.id} ${job.name} (${job.kind}, tenant ${view.tenant.name}, priority ${job.priority}${job.preemptible ? ', preemptible' : ''})`,
        `status: ${job.status}${job.reason ? ` — ${job.reason}` : ''}`,
        `expected power: ${Math.round(view.power.expectedPowerW)} W now, ${Math.round(view.power.expectedFullPowerW)} W at full size (${view.power.perGpuW} W per GPU)`,
        ...(view.tpuSlice ? [`TPU slice: ${view.tpuSlice.shape} (${view.tpuSlice.chips} chips) in pod ${view.tpuSlice.pod}, ${view.tpuSlice.state}`] : []),
        `placement${view.placement.placementIsHistory ? ' (last, released)' : ''}:`,
        ...(placement.length ? placement : ['  none']),
        'timeline:',
        ...view.events.map((e) => `  ${new Date(e.at).toISOString()}  ${e.status.padEnd(9)}  ${e.reason}`),
      ].join('\n');
      return { json: view, text };
    },
  },
  'jobs cancel': {
    usage: 'jobs cancel <id>',
    summary: 'cancel a job and free its GPUs',
    run: async (client, args) => {
      const job = await client.jobs.cancel.mutate({ id: jobId(requiredPositional(args, 0, 'job id')) });
      return { json: job, text: `job ${job.id} ${job.name}: ${job.status}` };
    },
  },
};
