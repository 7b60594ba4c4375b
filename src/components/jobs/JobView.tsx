'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { inputClass } from '@/components/forms/Field';
import { fieldErrorsOf } from '@/components/forms/fieldErrors';
import { Badge } from '@/components/ui/Badge';
import { Card, EmptyState } from '@/components/ui/Card';
import { ErrorMessage, Loading } from '@/components/ui/Loading';
import { PageHeader } from '@/components/ui/PageHeader';
import { formatDateTime } from '@/components/ui/format';
import { formatCount, formatGib, formatPowerW, mibToGib } from '@/domain/units';
import { useTRPC } from '@/trpc/client';
import { describeSize, JobStatusBadge, ZONE_LEVELS } from './JobStatus';
import { PlacementRacks } from './PlacementRacks';

const REFRESH_MS = 2000;
const buttonClass = 'rounded border border-slate-300 bg-white px-2 py-1 text-xs hover:bg-slate-50 focus:outline-none focus:ring-2 focus:ring-sky-500 disabled:opacity-50';

export function JobView({ id }: { id: number }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const query = useQuery({ ...trpc.jobs.get.queryOptions({ id }), refetchInterval: REFRESH_MS });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.jobs.get.queryKey({ id }) });
  const cancel = useMutation(trpc.jobs.cancel.mutationOptions({ onSuccess: refresh }));
  const scale = useMutation(trpc.jobs.scale.mutationOptions({ onSuccess: refresh }));
  const fail = useMutation(trpc.jobs.markGpuFailed.mutationOptions({ onSuccess: refresh }));
  const repair = useMutation(trpc.jobs.markGpuHealthy.mutationOptions({ onSuccess: refresh }));
  const [replicas, setReplicas] = useState('');
  const [actionError, setActionError] = useState<string | null>(null);
  const act = (run: () => Promise<unknown>) => {
    setActionError(null);
    run().catch((error) => setActionError(Object.values(fieldErrorsOf(error)).join('; ')));
  };

  if (query.isPending) return <Loading label="Loading job" />;
  if (query.isError) return <ErrorMessage error={query.error} />;
  const { job, tenant, events, placement, power, tpuSlice } = query.data;
  // An engine's own job is cancelled on its engine, not here.
  const active = job.origin === 'plenum' && (job.status === 'pending' || job.status === 'scheduled' || job.status === 'running');
  return (
    <>
      <PageHeader
        title={`Job ${job.name}`}
        crumbs={[{ href: '/', label: 'Overview' }, { href: '/jobs', label: 'Jobs' }]}
        actions={
          active && (
            <button type="button" className="rounded border border-red-300 bg-white px-3 py-1.5 text-sm text-red-700 hover:bg-red-50 focus:outline-none focus:ring-2 focus:ring-red-400" disabled={cancel.isPending} onClick={() => act(() => cancel.mutateAsync({ id }))}>
              Cancel job
            </button>
          )
        }
      />
      <div className="mb-4 flex flex-wrap items-center gap-2 text-sm text-slate-600">
        <JobStatusBadge status={job.status} /> #{job.id} · {job.kind} · tenant {tenant.name} · {describeSize(job)} · priority {job.priority}
        {job.preemptible && <Badge tone="amber">preemptible</Badge>}
        {job.topology !== 'none' && <Badge tone="blue">topology {job.topology}</Badge>}
        {job.requiredZoneLevel > 0 && <Badge tone="blue">zone ≥ {ZONE_LEVELS[job.requiredZoneLevel]}</Badge>}
      </div>
      {job.reason && (
        <p className="mb-4 rounded border border-amber-200 bg-amber-50 p-3 text-sm text-amber-900" data-testid="job-reason">
          {job.reason}
        </p>
      )}
      {actionError && (
        <p role="alert" className="mb-4 rounded border border-red-200 bg-red-50 p-3 text-sm text-red-800">
          {actionError}
        </p>
      )}
      <div className="grid gap-6 lg:grid-cols-[2fr_1fr]">
        <div className="flex flex-col gap-6">
          {job.tpuShape && (
            <Card title="TPU slice" testId="job-tpu-slice">
              {tpuSlice ? (
                <p className="text-sm">
                  {tpuSlice.state === 'active' ? 'Holds' : 'Held'} a {tpuSlice.shape} slice ({tpuSlice.chips} chips) of TPU pod{' '}
                  <Link href={`/tpu/pods/${tpuSlice.podId}`} className="text-sky-700 hover:underline" data-testid="job-tpu-pod-link">
                    {tpuSlice.pod}
                  </Link>
                  {tpuSlice.cubes ? `, cubes ${tpuSlice.cubes.join(', ')}` : tpuSlice.origin ? `, from (${tpuSlice.origin.join(', ')})` : ''}
                  {tpuSlice.state !== 'active' && <Badge tone="slate">released</Badge>}
                </p>
              ) : (
                <EmptyState>Asks for a {job.tpuShape} slice of {job.tpuGeneration}; not placed yet.</EmptyState>
              )}
            </Card>
          )}
          <Card title={placement.placementIsHistory ? 'Last placement (released)' : 'Placement'} testId="job-placement">
            {placement.allocations.length === 0 ? (
              <EmptyState>{job.status === 'pending' ? 'Not placed yet: waiting for the scheduler.' : 'No GPUs held.'}</EmptyState>
            ) : (
              <div className="flex flex-col gap-4">
                <PlacementRacks racks={placement.racks} />
                <div className="overflow-x-auto">
                <table className="w-full whitespace-nowrap text-sm" data-testid="job-allocations">
                  <thead className="text-left text-slate-500">
                    <tr>
                      <th className="font-normal">Worker</th>
                      <th className="font-normal">Server</th>
                      <th className="font-normal">Rack</th>
                      <th className="font-normal">GPU</th>
                      <th className="text-right font-normal">Share</th>
                      <th className="font-normal">Health</th>
                      <th />
                    </tr>
                  </thead>
                  <tbody>
                    {placement.allocations.map((a) => (
                      <tr key={a.id} className="border-t border-slate-100">
                        <td className="tabular">{a.worker}</td>
                        <td>
                          <Link href={`/devices/${a.deviceId}`} className="block max-w-[14rem] truncate text-sky-700 hover:underline" title={a.deviceName}>
                            {a.deviceName}
                          </Link>
                        </td>
                        <td className="max-w-[10rem] truncate" title={a.rackName ?? undefined}>
                          {a.rackName ?? '—'}
                        </td>
                        <td className="max-w-[18rem] truncate font-mono text-xs" title={a.uuid}>
                          #{a.index} {a.uuid}
                          {a.pod ? <span className="ml-1 font-sans text-slate-600">pod {a.pod.namespace ? `${a.pod.namespace}/` : ''}{a.pod.pod}{a.pod.container ? ` (${a.pod.container})` : ''}</span> : null}
                        </td>
                        <td className="tabular text-right">{a.milli / 10} %</td>
                        <td>
                          <Badge tone={a.health === 'failed' ? 'red' : a.health === 'healthy' ? 'green' : 'amber'}>{a.health}</Badge>
                        </td>
                        <td className="text-right">
                          {a.health === 'failed' ? (
                            <button type="button" className={buttonClass} onClick={() => act(() => repair.mutateAsync({ uuid: a.uuid }))}>
                              Mark healthy
                            </button>
                          ) : (
                            !placement.placementIsHistory && (
                              <button type="button" className={buttonClass} aria-label={`Mark GPU ${a.uuid} failed`} onClick={() => act(() => fail.mutateAsync({ uuid: a.uuid, reason: 'injected from the UI' }))}>
                                Mark failed
                              </button>
                            )
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                </div>
              </div>
            )}
          </Card>
          <Card title="Timeline" testId="job-timeline">
            <ol className="flex flex-col gap-1 text-sm">
              {events.map((e) => (
                <li key={e.id} className="flex gap-3">
                  <span className="tabular w-48 shrink-0 text-slate-500">{formatDateTime(e.at)}</span>
                  <JobStatusBadge status={e.status} />
                  <span className="text-slate-700">{e.reason}</span>
                </li>
              ))}
            </ol>
          </Card>
        </div>
        <div className="flex flex-col gap-6">
          <Card title="Power" testId="job-power">
            <dl className="grid grid-cols-2 gap-2 text-sm">
              <dt className="text-slate-500">Drawn now (measured)</dt>
              <dd className="tabular text-right">
                <span data-testid="job-power-drawn">{formatPowerW(power.measuredPowerW)}</span>
                {!placement.placementIsHistory && placement.allocations.length > 0 && (
                  <span className="block text-xs text-slate-500" data-testid="job-power-reporting">
                    {power.measuredAllocations} of {placement.allocations.length} GPU allocations reporting
                  </span>
                )}
              </dd>
              <dt className="text-slate-500">Expected, as placed</dt>
              <dd className="tabular text-right" data-testid="job-power-now">{formatPowerW(power.expectedPowerW)}</dd>
              <dt className="text-slate-500">At full size</dt>
              <dd className="tabular text-right">{formatPowerW(power.expectedFullPowerW)}</dd>
              <dt className="text-slate-500">Per fully used GPU</dt>
              <dd className="tabular text-right">
                {formatPowerW(power.perGpuW)}
                {power.perGpuW === power.defaultPerGpuW ? ' (default)' : ''}
              </dd>
            </dl>
          </Card>
          {job.executor.kind !== 'simulator' && (
            <Card title={job.executor.kind === 'slurm' ? 'Slurm' : 'Kubernetes'} testId="job-engine">
              <dl className="grid grid-cols-2 gap-2 text-sm">
                <dt className="text-slate-500">Cluster</dt>
                <dd className="text-right">{job.executor.cluster}</dd>
                <dt className="text-slate-500">{job.origin === 'external' ? 'Seen on the engine as' : 'Submitted as'}</dt>
                <dd className="tabular text-right" data-testid="job-engine-id">
                  {job.externalId ?? 'not yet submitted'}
                </dd>
                {job.executor.kind === 'slurm' && job.executor.partition && (
                  <>
                    <dt className="text-slate-500">Partition</dt>
                    <dd className="text-right">{job.executor.partition}</dd>
                  </>
                )}
                {job.externalState && (
                  <>
                    <dt className="text-slate-500">Engine state</dt>
                    <dd className="text-right" data-testid="job-engine-state">
                      {job.externalState}
                    </dd>
                  </>
                )}
                {job.owner && (
                  <>
                    <dt className="text-slate-500">Owner</dt>
                    <dd className="text-right">{job.owner}</dd>
                  </>
                )}
                {job.exitCode !== null && (
                  <>
                    <dt className="text-slate-500">Exit code</dt>
                    <dd className="tabular text-right" data-testid="job-exit-code">
                      {job.exitCode}
                    </dd>
                  </>
                )}
                {job.externalNodes.length > 0 && (
                  <>
                    <dt className="text-slate-500">Engine nodes</dt>
                    <dd className="text-right">{job.externalNodes.map((n) => `${n.name} (${n.gpus} GPU)`).join(', ')}</dd>
                  </>
                )}
              </dl>
            </Card>
          )}
          <Card title="Request">
            <dl className="grid grid-cols-2 gap-2 text-sm">
              <dt className="text-slate-500">CPU per worker</dt>
              <dd className="tabular text-right">{job.cpuMilli / 1000} cores</dd>
              <dt className="text-slate-500">Memory per worker</dt>
              <dd className="tabular text-right">{formatGib(mibToGib(job.memoryMib))}</dd>
              <dt className="text-slate-500">GPU models</dt>
              <dd className="text-right">{job.gpuModels.length ? job.gpuModels.join(', ') : 'any'}</dd>
              <dt className="text-slate-500">Estimated duration</dt>
              <dd className="tabular text-right">{job.estimatedDurationS ? `${formatCount(job.estimatedDurationS / 60)} min` : 'until cancelled'}</dd>
              <dt className="text-slate-500">Submitted</dt>
              <dd className="text-right">{formatDateTime(job.submittedAt)}</dd>
              {job.status === 'pending' && job.estimatedStartAt && (
                <>
                  <dt className="text-slate-500">Estimated start (reserved)</dt>
                  <dd className="text-right" data-testid="job-estimated-start">
                    {formatDateTime(job.estimatedStartAt)}
                  </dd>
                </>
              )}
              {job.startedAt && (
                <>
                  <dt className="text-slate-500">Started</dt>
                  <dd className="text-right">{formatDateTime(job.startedAt)}</dd>
                </>
              )}
              {job.finishedAt && (
                <>
                  <dt className="text-slate-500">Finished</dt>
                  <dd className="text-right">{formatDateTime(job.finishedAt)}</dd>
                </>
              )}
            </dl>
          </Card>
          {job.kind === 'inference' && active && (
            <Card title="Scale">
              <form
                className="flex items-end gap-2"
                onSubmit={(e) => {
                  e.preventDefault();
                  act(() => scale.mutateAsync({ id, replicas: Number(replicas || job.replicas) }));
                }}
              >
                <label className="flex flex-col gap-1 text-sm">
                  <span className="text-slate-700">Replicas (now {job.replicas})</span>
                  <input type="number" min={1} inputMode="numeric" className={inputClass} value={replicas} placeholder={String(job.replicas)} onChange={(e) => setReplicas(e.target.value)} />
                </label>
                <button type="submit" className={buttonClass} disabled={scale.isPending}>
                  Scale
                </button>
              </form>
            </Card>
          )}
        </div>
      </div>
    </>
  );
}
