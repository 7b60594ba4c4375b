'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { Card } from '@/components/ui/Card';
import { useTRPC } from '@/trpc/client';

/** The job-engine nodes on a rack's servers (drained, cordoned) and the facility steering on them. Hidden when none. */
export function RackClusterStatus({ rackId }: { rackId: number }) {
  const trpc = useTRPC();
  const status = useQuery({ ...trpc.clusters.forRack.queryOptions({ rackId }), refetchInterval: 10_000 });
  if (!status.data || (status.data.nodes.length === 0 && status.data.steering.length === 0)) return null;
  return (
    <Card title="Job engines" testId="rack-clusters">
      <ul className="flex flex-col gap-1 text-sm">
        {status.data.nodes.map((n) => (
          <li key={`${n.clusterId}:${n.node}`} className={n.available ? '' : 'text-red-700'} data-testid={`rack-cluster-node-${n.node}`}>
            {n.device}: <Link href={`/clusters/${n.clusterId}`} className="text-sky-700 hover:underline">{n.cluster}</Link> node {n.node}, {n.state}
            {n.reason ? ` (${n.reason})` : ''}, {n.gpusAllocated} / {n.gpusTotal} GPUs allocated
          </li>
        ))}
      </ul>
      {status.data.steering.length > 0 && (
        <ul className="mt-2 flex flex-col gap-1 text-sm text-amber-800" data-testid="rack-steering">
          {status.data.steering.map((s) => (
            <li key={`${s.cluster}:${s.nodeName}`}>
              {s.applied ? 'Steered away' : s.state === 'failed' ? 'Failed to steer away' : 'Advised to avoid'}: {s.cluster} node {s.nodeName} — {s.cause}
              {s.lastError ? ` (${s.lastError})` : ''}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
