'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { Card, EmptyState } from '@/components/ui/Card';
import { formatDateTime } from '@/components/ui/format';
import { ErrorMessage, Loading } from '@/components/ui/Loading';
import { PageHeader } from '@/components/ui/PageHeader';
import { useTRPC } from '@/trpc/client';
import { ClusterHealth } from './health';

/** One cluster: its nodes and the Plenum servers they are, unmapped nodes, and facility steering. */
export function ClusterView({ id }: { id: number }) {
  const trpc = useTRPC();
  const detail = useQuery({ ...trpc.clusters.get.queryOptions({ id }), refetchInterval: 5000 });
  if (detail.isPending) return <Loading label="Loading cluster" />;
  if (detail.isError) return <ErrorMessage error={detail.error} />;
  const { cluster, nodes, unmappedNodes, steering } = detail.data;
  const open = steering.filter((s) => s.releasedAt === null);
  return (
    <>
      <PageHeader title={cluster.name} crumbs={[{ href: '/', label: 'Overview' }, { href: '/clusters', label: 'Clusters' }]} />
      <div className="flex flex-col gap-6">
        <Card title={`${cluster.kind} cluster`} testId="cluster-health">
          <p className="text-sm text-slate-600">{cluster.url}</p>
          <ClusterHealth cluster={cluster} />
          <p className="text-sm text-slate-600">
            Read every {cluster.options.pollIntervalS} s. Facility feedback {cluster.options.adviseOnly ? 'only advises (nothing is drained or tainted)' : 'steers the engine away from racks without headroom'}.
          </p>
        </Card>
        <Card title={`Nodes (${nodes.length})`} testId="cluster-nodes">
          {nodes.length === 0 ? (
            <EmptyState>No nodes read yet.</EmptyState>
          ) : (
            <table className="w-full text-sm">
              <thead className="text-left text-slate-500">
                <tr>
                  <th className="font-normal">Node</th>
                  <th className="font-normal">Plenum server</th>
                  <th className="font-normal">State</th>
                  <th className="text-right font-normal">GPUs allocated</th>
                  <th className="font-normal">Partitions</th>
                </tr>
              </thead>
              <tbody>
                {nodes.map((n) => (
                  <tr key={n.id} className="border-t border-slate-100" data-testid={`cluster-node-${n.name}`}>
                    <td className="py-1">{n.name}</td>
                    <td>
                      {n.deviceId ? (
                        <>
                          <Link href={`/devices/${n.deviceId}`} className="text-sky-700 hover:underline">
                            {n.deviceName}
                          </Link>
                          {n.rackId ? (
                            <>
                              {' in '}
                              <Link href={`/racks/${n.rackId}`} className="text-sky-700 hover:underline">
                                {n.rackName}
                              </Link>
                            </>
                          ) : null}
                          <span className="text-slate-400"> ({n.mapping})</span>
                        </>
                      ) : (
                        <span className="text-amber-700">unmapped</span>
                      )}
                    </td>
                    <td className={n.available ? '' : 'text-red-700'}>
                      {n.state}
                      {n.reason ? `: ${n.reason}` : ''}
                    </td>
                    <td className="tabular text-right">
                      {n.gpusAllocated} / {n.gpusTotal}
                    </td>
                    <td>{n.partitions.join(', ') || '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {unmappedNodes.length > 0 && (
            <p className="mt-3 text-sm text-amber-700" data-testid="cluster-unmapped">
              Unmapped nodes ({unmappedNodes.length}): {unmappedNodes.join(', ')}. No Plenum server has their host name; map one with{' '}
              <code>plenum clusters map {cluster.name} &lt;node&gt; &lt;server&gt;</code>.
            </p>
          )}
        </Card>
        <Card title="Facility steering" testId="cluster-steering">
          {steering.length === 0 ? (
            <EmptyState>No node steered away in the last day: every rack of its nodes has power and cooling headroom.</EmptyState>
          ) : (
            <ul className="flex flex-col gap-1 text-sm">
              {steering.map((s) => (
                <li key={s.id} className={s.releasedAt ? 'text-slate-500' : ''}>
                  {s.nodeName}
                  {s.rackId ? (
                    <>
                      {' ('}
                      <Link href={`/racks/${s.rackId}`} className="text-sky-700 hover:underline">
                        {s.rackName}
                      </Link>
                      {')'}
                    </>
                  ) : null}
                  : {s.state} — {s.cause}
                  {s.lastError ? <span className="text-red-700"> ({s.lastError})</span> : null} · since {formatDateTime(s.startedAt)}
                  {s.releasedAt ? `, released ${formatDateTime(s.releasedAt)}` : ''}
                </li>
              ))}
            </ul>
          )}
          {open.length > 0 && <p className="mt-2 text-sm text-slate-600">{open.length} open.</p>}
        </Card>
      </div>
    </>
  );
}
