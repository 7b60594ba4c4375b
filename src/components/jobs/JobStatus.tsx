import { Badge, type Tone } from '@/components/ui/Badge';
import { formatCount, formatDecimal } from '@/domain/units';

const TONE: Record<string, Tone> = {
  pending: 'amber',
  scheduled: 'blue',
  running: 'green',
  succeeded: 'slate',
  failed: 'red',
  preempted: 'red',
  cancelled: 'slate',
};

export function JobStatusBadge({ status }: { status: string }) {
  return (
    <span data-testid="job-status">
      <Badge tone={TONE[status] ?? 'slate'}>{status}</Badge>
    </span>
  );
}

export const ZONE_LEVELS = ['public', 'restricted', 'secure', 'critical'] as const;

/** "8 GPUs", "2 × 8 GPUs", "3 replicas × 0.5 GPU". */
export function describeSize(job: { kind: string; workers: number; replicas: number; gpusPerWorker: number; gpuMilli: number; tpuShape?: string | null; tpuGeneration?: string | null }): string {
  if (job.tpuShape) return `${job.tpuGeneration ?? 'TPU'} slice ${job.tpuShape}`;
  const per = job.gpuMilli > 0 ? `${job.gpuMilli / 1000} GPU` : `${job.gpusPerWorker} GPU${job.gpusPerWorker === 1 ? '' : 's'}`;
  if (job.kind === 'inference') return `${job.replicas} replica${job.replicas === 1 ? '' : 's'} × ${per}`;
  return job.workers === 1 ? per : `${job.workers} workers × ${per}`;
}

export function formatGpus(gpus: number): string {
  return `${Number.isInteger(gpus) ? formatCount(gpus) : formatDecimal(gpus, 2)} GPU${gpus === 1 ? '' : 's'}`;
}
