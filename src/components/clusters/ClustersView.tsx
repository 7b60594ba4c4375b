'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { Card, EmptyState } from '@/components/ui/Card';
import { ErrorMessage, Loading } from '@/components/ui/Loading';
import { PageHeader } from '@/components/ui/PageHeader';
import { useTRPC } from '@/trpc/client';
import { ClusterHealth } from './health';

/** The job engines Plenum follows (Slurm, Kubernetes): health, nodes, GPUs, jobs and facility steering. */
export function ClustersView() {
  const trpc = useTRPC();
  const clusters = useQuery({ ...trpc.clusters.list.queryOptions(), refetchInterval: 5000 });
  return (
    <>
      <PageHeader title="Clusters" crumbs={[{ href: '/', label: 'Overview' }]} />
      <Card title="Job engines" testId="clusters">
        {clusters.isPending ? (
          <Loading label="Loading clusters" />
        ) : clusters.isError ? (
          <ErrorMessage error={clusters.error} />
        ) : clusters.data.length === 0 ? (
          <EmptyState>
            No clusters yet. Add a Slurm or Kubernetes cluster with <code>plenum clusters add slurm --name &lt;n&gt; --url &lt;slurmrestd URL&gt; --token-file &lt;file&gt;</code> or{' '}
            <code>plenum clusters add kubernetes --name &lt;n&gt; --kubeconfig &lt;file&gt;</code> (docs/EXECUTORS.md).
          </EmptyState>
        ) : (
          <ul className="flex flex-col divide-y divide-slate-100">
            {clusters.data.map((c) => (
              <li key={c.id} className="py-3" data-testid={`cluster-${c.name}`}>
                <div className="flex flex-wrap items-baseline justify-between gap-2">
                  <Link href={`/clusters/${c.id}`} className="font-medium text-sky-700 hover:underline">
                    {c.name}
                  </Link>
                  <span className="text-sm text-slate-500">
                    {c.kind} · {c.url}
                  </span>
                </div>
                <ClusterHealth cluster={c} />
                <p className="tabular text-sm text-slate-600">
                  {c.nodes} nodes ({c.mappedNodes} mapped, {c.unavailableNodes} unavailable) · {c.gpusAllocated} / {c.gpusTotal} GPUs allocated · {c.runningJobs} running,{' '}
                  {c.pendingJobs} pending jobs · {c.steeredNodes} nodes steered away{c.options.adviseOnly ? ' (advise only)' : ''} · read every {c.options.pollIntervalS} s
                </p>
              </li>
            ))}
          </ul>
        )}
      </Card>
    </>
  );
}
