'use client';

import { useQuery } from '@tanstack/react-query';
import { Badge, utilisationTone } from '@/components/ui/Badge';
import { Card, EmptyState } from '@/components/ui/Card';
import { ErrorMessage, Loading } from '@/components/ui/Loading';
import { PageHeader } from '@/components/ui/PageHeader';
import { FacilityReconciliation } from '@/components/dashboards/FacilityReconciliation';
import { MermaidDiagram } from '@/components/topology/MermaidDiagram';
import { formatPct, formatPowerW } from '@/domain/units';
import { LoadCell, LoadFigure, LoadHeader, loadBasisOfFigures } from '@/components/ui/LoadFigure';
import { useTRPC } from '@/trpc/client';
import { UpsOnBatteryBanner } from './UpsOnBattery';
import { useSite } from './useSite';

export function PowerView() {
  const trpc = useTRPC();
  const { site } = useSite();
  const siteId = site?.id ?? 0;
  const power = useQuery({ ...trpc.power.nodes.queryOptions({ siteId }), enabled: siteId > 0 });
  // Live: a UPS going on battery shows within one refresh.
  const diagram = useQuery({ ...trpc.power.upstreamDiagram.queryOptions({ siteId }), enabled: siteId > 0, refetchInterval: 10_000 });
  // The facility load against the utility meters, measured (the same figures as the power dashboard).
  const live = useQuery({ ...trpc.dashboards.power.queryOptions({ siteId }), enabled: siteId > 0, refetchInterval: 10_000 });
  if (!site || power.isPending) return <Loading label="Loading power chain" />;
  if (power.isError) return <ErrorMessage error={power.error} />;
  const data = power.data;
  return (
    <>
      <PageHeader title="Power chain" crumbs={[{ href: '/', label: 'Overview' }, { href: `/sites/${site.id}`, label: site.name }]} />
      <UpsOnBatteryBanner upses={diagram.data?.onBattery ?? []} />
      <p className="mb-2 text-sm"><a className="text-sky-700 hover:underline" href="/dashboards/power">Live load vs capacity at every level (measured) →</a></p>
      <div className="mb-4 flex flex-wrap gap-2 text-sm" data-testid="power-redundancy">
        {data.ok ? (
          data.failoverOk ? (
            <Badge tone="green">A/B redundancy holds: either side can carry the whole load</Badge>
          ) : (
            <Badge tone="red">Redundancy lost: some failover scenario overloads a component</Badge>
          )
        ) : (
          <Badge tone="red">Power chain invalid: {data.issues.length} issue(s)</Badge>
        )}
      </div>
      {data.issues.length > 0 && (
        <Card title="Issues">
          <ul className="list-inside list-disc text-sm">
            {data.issues.map((issue, i) => (
              <li key={i}>
                {issue.subject} {issue.id}: {issue.field}: {issue.reason}
              </li>
            ))}
          </ul>
        </Card>
      )}
      <div className="grid gap-6">
        <Card title="Facility load against the utility meters" testId="power-reconciliation">
          {live.data ? <FacilityReconciliation r={live.data.reconciliation} /> : live.isError ? <ErrorMessage error={live.error} /> : <Loading label="Loading meters" />}
        </Card>
        <Card title="Units">
          <table className="w-full text-sm" data-testid="power-nodes">
            <thead className="text-left text-slate-500">
              <tr>
                <th className="font-normal">Node</th>
                <th className="font-normal">Kind</th>
                <th className="font-normal">Side</th>
                <LoadHeader basis="measured" />
                <LoadHeader basis="allocated" />
                <LoadHeader basis="nameplate" />
                <LoadHeader basis="capacity" />
                <th className="text-right font-normal">Load (its basis)</th>
                <th className="text-right font-normal">Headroom</th>
                <th className="text-right font-normal">Worst failover</th>
              </tr>
            </thead>
            <tbody>
              {data.nodes.map((node) => (
                <tr key={node.id} className="border-t border-slate-100">
                  <td>{node.name}</td>
                  <td>{node.kind}</td>
                  <td>{node.side}</td>
                  <LoadCell basis="measured" powerW={node.measuredW} />
                  <LoadCell basis="allocated" powerW={node.allocatedW} />
                  <LoadCell basis="nameplate" powerW={node.nameplateW} />
                  <LoadCell basis="capacity" powerW={node.capacityW} />
                  <td className="text-right">
                    <LoadFigure basis={loadBasisOfFigures(node.measuredW, node.allocatedW)} powerW={node.loadW} /> <Badge tone={utilisationTone(node.utilizationPct)}>{formatPct(node.utilizationPct)}</Badge>
                  </td>
                  <td className="tabular text-right">{formatPowerW(node.headroomW)}</td>
                  <td className="tabular text-right" title={node.failoverWorstScenario ?? undefined}>
                    {formatPowerW(node.failoverWorstLoadW)}
                    <span className="block text-xs text-slate-500">{node.failoverWorstScenario}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
        <Card title="Failover scenarios">
          {data.scenarios.length === 0 ? (
            <EmptyState>No redundant paths modelled.</EmptyState>
          ) : (
            <ul className="text-sm" data-testid="failover-scenarios">
              {data.scenarios.map((scenario) => (
                <li key={scenario.id} className="border-t border-slate-100 py-1">
                  <span className="font-medium">{scenario.label}</span>:{' '}
                  {scenario.overloads.length === 0 ? (
                    <span className="text-emerald-700">no component overloaded</span>
                  ) : (
                    <span className="text-red-700">{scenario.overloads.map((o) => `${o.name} over by ${formatPowerW(o.overByW)}`).join(', ')}</span>
                  )}
                </li>
              ))}
            </ul>
          )}
        </Card>
        <Card title="Diagram (load / capacity)">{diagram.data ? <MermaidDiagram source={diagram.data.source} title="Power chain diagram" /> : <Loading />}</Card>
      </div>
    </>
  );
}
