'use client';

import { useQuery } from '@tanstack/react-query';
import { Badge } from '@/components/ui/Badge';
import { Card, EmptyState } from '@/components/ui/Card';
import { ErrorMessage, Loading } from '@/components/ui/Loading';
import { PageHeader } from '@/components/ui/PageHeader';
import { useTRPC } from '@/trpc/client';

const REFRESH_MS = 2_000;

function age(iso: string, now: number): string {
  const seconds = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  if (seconds < 120) return `${seconds} s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

/**
 * /admin/instances: the live Plenum instances on this database (from /api/health), the roles each holds, its scrape
 * shard, and which instance holds each singleton role. Refreshed every 2 s.
 */
export function InstancesView() {
  const trpc = useTRPC();
  const health = useQuery({ ...trpc.system.health.queryOptions(), refetchInterval: REFRESH_MS });
  const now = health.dataUpdatedAt || Date.now();
  const instances = health.data?.instances ?? [];
  const roles = health.data?.roles ?? [];
  const totalTargets = instances.reduce((sum, i) => sum + (i.shardSize ?? 0), 0);
  return (
    <>
      <PageHeader title="Instances" crumbs={[{ href: '/', label: 'Overview' }]} />
      {health.isPending ? (
        <Loading />
      ) : health.error ? (
        <ErrorMessage error={health.error} />
      ) : (
        <div className="space-y-4">
          <Card title="Singleton roles" testId="instance-roles">
            {roles.length === 0 ? (
              <EmptyState>No live instance takes part in a singleton role.</EmptyState>
            ) : (
              <ul className="flex flex-wrap gap-3 text-sm">
                {roles.map((r) => (
                  <li key={r.role} data-testid="instance-role">
                    <span className="font-medium">{r.role}</span>{' '}
                    {r.holder ? <span className="font-mono text-xs text-slate-600">{r.holder.slice(0, 8)}</span> : <Badge tone="red">held by no instance</Badge>}
                  </li>
                ))}
              </ul>
            )}
          </Card>
          <Card title={`Live instances (${instances.length})`} testId="instances">
            {instances.length === 0 ? (
              <EmptyState>No instance is registered: instances register when they start (npm start, npm run simulator -- serve).</EmptyState>
            ) : (
              <table className="w-full text-sm">
                <thead>
                  <tr className="text-left text-slate-500">
                    <th>Instance</th>
                    <th>Host : process</th>
                    <th>Roles held</th>
                    <th>Roles it may take</th>
                    <th className="text-right">Scrape shard (targets)</th>
                    <th>Started</th>
                    <th>Last heartbeat</th>
                  </tr>
                </thead>
                <tbody>
                  {instances.map((i) => (
                    <tr key={i.id} className="border-t border-slate-100 align-top" data-testid="instance-row">
                      <td className="py-1.5 font-mono text-xs" title={i.id}>
                        {i.id.slice(0, 8)}
                      </td>
                      <td className="font-mono text-xs">
                        {i.hostname}:{i.pid} <span className="text-slate-500">v{i.version}</span>
                      </td>
                      <td>{i.rolesHeld.join(', ') || '—'}</td>
                      <td className="text-slate-500">{i.rolesRequested.join(', ')}</td>
                      <td className="text-right tabular-nums">
                        {i.shardSize === null ? '—' : `${i.shardSize} targets${totalTargets ? ` (${Math.round((100 * i.shardSize) / totalTargets)} %)` : ''}`}
                      </td>
                      <td className="whitespace-nowrap text-slate-500">{age(i.startedAt, now)}</td>
                      <td className="whitespace-nowrap text-slate-500">{age(i.heartbeatAt, now)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Card>
        </div>
      )}
    </>
  );
}
