'use client';

import { useSubscription } from '@trpc/tanstack-react-query';
import Link from 'next/link';
import { useState } from 'react';
import { useSite } from '@/components/plant/useSite';
import { Card, EmptyState } from '@/components/ui/Card';
import { PageHeader } from '@/components/ui/PageHeader';
import { formatBusyAttribution } from '@/domain/honest-numbers';
import type { UtilGroup } from '@/server/services/dashboards';
import { formatBytes, formatCount, formatNumber, formatPct } from '@/domain/units';
import { useTRPC } from '@/trpc/client';
import { Definition, LiveStamp, Placeholder, Tile, TileGrid } from './parts';
import { SiteTrends } from './SiteTrends';

const GROUPINGS = [
  { key: 'byHall', label: 'Hall' },
  { key: 'byRack', label: 'Rack' },
  { key: 'byTenant', label: 'Tenant' },
  { key: 'byJob', label: 'Job' },
] as const;

function Bar({ pct }: { pct: number | null }) {
  return (
    <div className="h-2 w-24 overflow-hidden rounded bg-slate-100" aria-hidden="true">
      <div className="h-full bg-violet-500" style={{ width: `${Math.min(100, pct ?? 0)}%` }} />
    </div>
  );
}

function GroupTable({ rows, label }: { rows: UtilGroup[]; label: string }) {
  if (rows.length === 0) return <EmptyState>Nothing to show{label === 'Tenant' || label === 'Job' ? ': no GPU is allocated to a job' : ''}.</EmptyState>;
  return (
    <table className="w-full text-sm" data-testid="util-table">
      <thead className="sticky top-0 bg-white text-left text-slate-500">
        <tr>
          <th className="font-normal">{label}</th>
          <th className="text-right font-normal">GPUs</th>
          <th className="text-right font-normal">Busy / idle / failed</th>
          <th className="text-right font-normal">Busy: Plenum / external / unmanaged</th>
          <th className="text-right font-normal">Avg utilisation</th>
          <th className="font-normal" />
          <th className="text-right font-normal">Memory used</th>
          <th className="font-normal" />
        </tr>
      </thead>
      <tbody>
        {rows.map((g) => (
          <tr key={g.key} className="border-t border-slate-100" data-testid="util-row">
            <td>{g.label}</td>
            <td className="tabular text-right">{formatNumber(g.gpus, 4)}</td>
            <td className="tabular text-right">
              {formatCount(g.busy)} / {formatCount(g.idle)} / {formatCount(g.failed)}
            </td>
            <td className="tabular text-right" data-testid="util-busy-by">
              {g.busyBy.byPlenumJobs} / {g.busyBy.byExternalJobs} / {g.busyBy.unmanaged}
            </td>
            <td className="tabular text-right">{formatPct(g.avgUtilPct)}</td>
            <td className="pl-2">
              <Bar pct={g.avgUtilPct} />
            </td>
            <td className="tabular text-right">
              {formatBytes(g.memUsedBytes)} / {formatBytes(g.memTotalBytes)} <span className="text-slate-500">({formatPct(g.memUsedPct)})</span>
            </td>
            <td className="pl-2">
              <Bar pct={g.memUsedPct} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** GPU utilisation and memory by hall, rack, tenant and job, live over SSE; idle-but-allocated GPUs called out. */
export function UtilisationDashboard() {
  const trpc = useTRPC();
  const { site } = useSite();
  const siteId = site?.id ?? 0;
  const live = useSubscription(trpc.dashboards.utilisationLive.subscriptionOptions({ siteId }, { enabled: siteId > 0 }));
  const u = live.data;
  const [grouping, setGrouping] = useState<(typeof GROUPINGS)[number]['key']>('byHall');
  const label = GROUPINGS.find((g) => g.key === grouping)!.label;
  return (
    <>
      <PageHeader title="GPU utilisation (live)" crumbs={[{ href: '/', label: 'Overview' }]} actions={<LiveStamp atMs={u?.atMs} status={live.status} />} />
      <TileGrid className="mb-6">
        <Tile testId="util-avg" title="Avg utilisation" href="#groups" value={u ? formatPct(u.site.avgUtilPct) : '…'} detail={u ? `${formatCount(u.site.reporting)} of ${formatCount(u.site.gpus)} GPUs reporting` : ''} />
        <Tile testId="util-busy" title="Busy / idle / failed" href="#groups" value={u ? formatCount(u.site.busy) : '…'} suffix={u ? `/ ${formatCount(u.site.idle)} / ${formatCount(u.site.failed)}` : undefined} detail={u ? `busy: ≥ ${u.busyThresholdPct} %` : ''} />
        <Tile testId="util-memory" title="GPU memory used" href="#groups" value={u ? formatPct(u.site.memUsedPct) : '…'} detail={u ? `${formatBytes(u.site.memUsedBytes)} of ${formatBytes(u.site.memTotalBytes)}` : ''} />
        <Tile testId="util-idle-allocated" title="Idle but allocated" href="#idle" value={u ? formatCount(u.idleAllocated.length) : '…'} suffix={u ? 'GPUs' : undefined} detail="held by running jobs" />
      </TileGrid>
      <p className="tabular -mt-3 mb-6 text-sm text-slate-700" data-testid="util-busy-by-site">
        {u ? `GPUs ${formatBusyAttribution(u.site.busyBy)}` : ''}
      </p>
      <div className="grid gap-6">
        <Card title="By group" testId="util-groups">
          <div id="groups" className="mb-2 flex gap-2 text-sm" role="tablist">
            {GROUPINGS.map((g) => (
              <button
                key={g.key}
                type="button"
                role="tab"
                aria-selected={grouping === g.key}
                className="rounded border border-slate-300 px-2 py-1 aria-selected:bg-slate-900 aria-selected:text-white"
                onClick={() => setGrouping(g.key)}
              >
                {g.label}
              </button>
            ))}
          </div>
          <div className="max-h-96 min-h-[12rem] overflow-y-auto">{u ? <GroupTable rows={u[grouping]} label={label} /> : <Placeholder className="h-48" />}</div>
          <Definition>
            Busy: utilisation ≥ {u?.busyThresholdPct ?? 10} %; failed: health “failed” or no reading in the last minute. A busy GPU is
            Plenum’s when a running Plenum job holds it, external when a job a connected cluster reports holds it, and unmanaged
            when nothing holds it (load Plenum does not manage). A shared GPU counts for its share in the tenant and job rows.
          </Definition>
        </Card>
        <Card title="Idle but allocated" testId="util-idle">
          <div id="idle" className="max-h-80 min-h-[6rem] overflow-y-auto">
            {!u ? (
              <Placeholder className="h-24" />
            ) : u.idleAllocated.length === 0 ? (
              <EmptyState>Every GPU held by a running job is busy.</EmptyState>
            ) : (
              <table className="w-full text-sm">
                <thead className="sticky top-0 bg-white text-left text-slate-500">
                  <tr>
                    <th className="font-normal">GPU</th>
                    <th className="font-normal">Server</th>
                    <th className="font-normal">Rack</th>
                    <th className="font-normal">Job</th>
                    <th className="font-normal">Tenant</th>
                    <th className="text-right font-normal">Utilisation</th>
                  </tr>
                </thead>
                <tbody>
                  {u.idleAllocated.map((g) => (
                    <tr key={`${g.jobId}-${g.uuid}`} className="border-t border-slate-100" data-testid="idle-allocated-row">
                      <td className="font-mono text-xs">{g.uuid}</td>
                      <td>{g.deviceName}</td>
                      <td>{g.rackName}</td>
                      <td>
                        <Link className="text-sky-700 hover:underline" href={`/jobs/${g.jobId}`}>
                          {g.jobName}
                        </Link>
                      </td>
                      <td>{g.tenant}</td>
                      <td className="tabular text-right">{formatPct(g.utilPct)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        </Card>
        {siteId > 0 && <SiteTrends siteId={siteId} show={['util']} />}
      </div>
    </>
  );
}
