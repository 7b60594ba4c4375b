'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import dynamic from 'next/dynamic';

// recharts is loaded after first paint, into a placeholder of the chart's own height (no layout shift).
const HallLoadChart = dynamic(() => import('@/components/charts/HallLoadChart').then((m) => m.HallLoadChart), {
  ssr: false,
  loading: () => <div className="h-64 w-full animate-pulse rounded bg-slate-100" aria-busy="true" />,
});
import { UpsOnBatteryBanner } from '@/components/plant/UpsOnBattery';
import { MermaidDiagram } from '@/components/topology/MermaidDiagram';
import { LoadBasisTag, LoadCell } from '@/components/ui/LoadFigure';
import { formatPowerW } from '@/domain/units';
import { Card, EmptyState } from '@/components/ui/Card';
import { useTRPC } from '@/trpc/client';
import { LivePulse } from './LivePulse';

export function SitesOverview() {
  const trpc = useTRPC();
  const sites = useQuery(trpc.sites.listWithHalls.queryOptions());
  const firstSite = sites.data?.[0];
  const diagram = useQuery({
    ...trpc.power.upstreamDiagram.queryOptions({ siteId: firstSite?.id ?? 0 }),
    enabled: Boolean(firstSite),
    // Live: a UPS going on battery shows within one refresh.
    refetchInterval: 10_000,
  });

  if (sites.isPending) return <div className="h-40 animate-pulse rounded bg-slate-100" aria-busy="true" />;
  if (sites.isError) return <p className="text-red-700">Could not load sites: {sites.error.message}</p>;

  return (
    <>
      <UpsOnBatteryBanner upses={diagram.data?.onBattery ?? []} />
      <div className="grid gap-6 lg:grid-cols-2">
        <Card title="Sites and halls" testId="sites-card">
          {sites.data.length === 0 ? (
            <EmptyState>No sites yet. Start with PLENUM_SEED=demo or import an inventory.</EmptyState>
          ) : (
            <ul className="space-y-4">
              {sites.data.map((site) => (
                <li key={site.id}>
                  <p className="font-medium" data-testid="site-name">
                    <Link href={`/sites/${site.id}`} className="text-sky-700 hover:underline">
                      {site.name}
                    </Link>{' '}
                    <span className="text-sm font-normal text-slate-500">· {site.timeZone} · utility {formatPowerW(site.utilityCapacityKw * 1000)} capacity · PUE target {site.pueTarget}</span>
                  </p>
                  <table className="mt-2 w-full text-sm">
                    <thead className="text-left text-slate-500">
                      <tr>
                        <th className="font-normal">Hall</th>
                        <th className="font-normal">Cooling</th>
                        <th className="text-right font-normal">Racks</th>
                        <th className="text-right font-normal">
                          IT load <LoadBasisTag basis="design" />
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {site.halls.map((hall) => (
                        <tr key={hall.id} data-testid="hall-row" className="border-t border-slate-100">
                          <td>
                            <Link href={`/halls/${hall.id}`} className="text-sky-700 hover:underline">
                              {hall.name}
                            </Link>
                          </td>
                          <td>{hall.coolingType}</td>
                          <td className="tabular text-right">{hall.rackCount}</td>
                          <LoadCell basis="design" powerW={hall.designItLoadKw * 1000} />
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </li>
              ))}
            </ul>
          )}
        </Card>
        <Card title="Live" testId="live-card">
          <LivePulse />
        </Card>
        <Card title="Design IT load by hall" testId="chart-card">
          {firstSite ? <HallLoadChart halls={firstSite.halls} /> : <EmptyState>No halls.</EmptyState>}
        </Card>
        <Card title="Power chain (utility → UPS → PDU)" testId="diagram-card">
          {diagram.data ? (
            diagram.data.nodeCount > 0 ? (
              <MermaidDiagram source={diagram.data.source} title="Power chain diagram" />
            ) : (
              <EmptyState>No power chain modelled for this site.</EmptyState>
            )
          ) : (
            <div className="h-64 animate-pulse rounded bg-slate-100" aria-busy="true" />
          )}
        </Card>
      </div>
    </>
  );
}
