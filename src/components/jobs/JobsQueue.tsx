'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { Card, EmptyState } from '@/components/ui/Card';
import { ErrorMessage, Loading } from '@/components/ui/Loading';
import { ButtonLink, PageHeader, SecondaryLink } from '@/components/ui/PageHeader';
import { formatDateTime } from '@/components/ui/format';
import { inputClass } from '@/components/forms/Field';
import { formatPowerW } from '@/domain/units';
import { useTRPC } from '@/trpc/client';
import { describeSize, JobStatusBadge } from './JobStatus';

const REFRESH_MS = 3000;

type Status = 'pending' | 'scheduled' | 'running' | 'succeeded' | 'failed' | 'preempted' | 'cancelled';

function JobTable({
  title,
  statuses,
  tenant,
  testId,
  showReason,
  showEstimatedStart,
}: { title: string; statuses: Status[]; tenant?: string; testId: string; showReason?: boolean; showEstimatedStart?: boolean }) {
  const trpc = useTRPC();
  const query = useQuery({ ...trpc.jobs.list.queryOptions({ status: statuses, tenant, limit: 50 }), refetchInterval: REFRESH_MS });
  return (
    <Card title={query.data ? `${title} (${query.data.items.length}${query.data.nextCursor ? '+' : ''})` : title} testId={testId}>
      {query.isPending ? (
        <Loading label={`Loading ${title.toLowerCase()}`} />
      ) : query.isError ? (
        <ErrorMessage error={query.error} />
      ) : query.data.items.length === 0 ? (
        <EmptyState>No {title.toLowerCase()} jobs.</EmptyState>
      ) : (
        <table className="w-full text-sm">
          <thead className="text-left text-slate-500">
            <tr>
              <th className="font-normal">Job</th>
              <th className="font-normal">Status</th>
              <th className="font-normal">Kind</th>
              <th className="font-normal">Tenant</th>
              <th className="font-normal">Size</th>
              <th className="text-right font-normal">Priority</th>
              <th className="text-right font-normal">Expected power</th>
              {showEstimatedStart && <th className="font-normal">Estimated start</th>}
              <th className="font-normal">{showReason ? 'Why' : 'Submitted'}</th>
            </tr>
          </thead>
          <tbody>
            {query.data.items.map((job) => (
              <tr key={job.id} className="border-t border-slate-100 align-top" data-testid={`job-row-${job.id}`}>
                <td className="py-1">
                  <Link href={`/jobs/${job.id}`} className="font-medium text-sky-700 hover:underline">
                    {job.name}
                  </Link>{' '}
                  <span className="text-slate-400">#{job.id}</span>
                </td>
                <td>
                  <JobStatusBadge status={job.status} />
                </td>
                <td>{job.kind}</td>
                <td>{job.origin === 'external' ? `${job.cluster ?? 'engine'}: ${job.owner ?? ''}` : job.tenant}</td>
                <td className="tabular">{describeSize(job)}</td>
                <td className="tabular text-right">{job.priority}</td>
                <td className="tabular text-right">{job.heldGpus > 0 ? formatPowerW(job.heldGpus * job.expectedPowerWPerGpu) : '—'}</td>
                {showEstimatedStart && (
                  <td className="tabular whitespace-nowrap text-slate-600" data-testid="job-estimated-start">
                    {job.estimatedStartAt ? formatDateTime(job.estimatedStartAt) : '—'}
                  </td>
                )}
                <td className={showReason ? 'max-w-md text-slate-600' : 'text-slate-500'}>{showReason ? job.reason || '—' : formatDateTime(job.submittedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

export function JobsQueue() {
  const trpc = useTRPC();
  const tenants = useQuery(trpc.tenants.list.queryOptions());
  const [tenant, setTenant] = useState('');
  return (
    <>
      <PageHeader
        title="Jobs"
        crumbs={[{ href: '/', label: 'Overview' }]}
        actions={
          <>
            <SecondaryLink href="/tenants">Tenants</SecondaryLink>
            <ButtonLink href="/jobs/new">Submit job</ButtonLink>
          </>
        }
      />
      <div className="mb-4 flex items-center gap-2 text-sm">
        <label htmlFor="tenant-filter" className="text-slate-600">
          Tenant
        </label>
        <select id="tenant-filter" className={inputClass} value={tenant} onChange={(e) => setTenant(e.target.value)}>
          <option value="">all tenants</option>
          {tenants.data?.map((t) => (
            <option key={t.id} value={t.name}>
              {t.name}
            </option>
          ))}
        </select>
        <span className="text-slate-500">Refreshes every {REFRESH_MS / 1000} s.</span>
      </div>
      <div className="flex flex-col gap-6">
        <JobTable title="Pending" statuses={['pending']} tenant={tenant || undefined} testId="jobs-pending" showReason showEstimatedStart />
        <JobTable title="Running" statuses={['scheduled', 'running']} tenant={tenant || undefined} testId="jobs-running" showReason />
        <JobTable title="Recent" statuses={['succeeded', 'failed', 'preempted', 'cancelled']} tenant={tenant || undefined} testId="jobs-recent" showReason />
      </div>
    </>
  );
}
