'use client';

import { useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { SitesOverview } from '@/components/overview/SitesOverview';
import { formatBusyAttribution } from '@/domain/honest-numbers';
import { formatCount, formatDecimal, formatPct } from '@/domain/units';
import { LoadBasisTag, LoadFigure } from '@/components/ui/LoadFigure';
import { useTRPC } from '@/trpc/client';
import dynamic from 'next/dynamic';
import { Definition, LiveStamp, Placeholder, Tile, TileGrid } from './parts';

// recharts is loaded after first paint (into a fixed-height placeholder) to keep the home page's first-load JS small.
const SiteTrends = dynamic(() => import('./SiteTrends').then((m) => m.SiteTrends), { ssr: false, loading: () => <Placeholder className="h-[30rem]" /> });

/** The home page: live site tiles (each linking to its detail), trends, then the sites / halls list and diagrams. */
export function OverviewDashboard() {
  const trpc = useTRPC();
  const sites = useQuery(trpc.sites.listWithHalls.queryOptions());
  const siteId = sites.data?.[0]?.id ?? 0;
  const live = useSubscription(trpc.dashboards.overviewLive.subscriptionOptions({ siteId }, { enabled: siteId > 0 }));
  const o = live.data;
  const noSites = sites.data !== undefined && sites.data.length === 0;
  return (
    <>
      {!noSites && (
        <section aria-label="Site now" className="mb-6">
          <div className="mb-2 flex items-center justify-between">
            <h2 className="text-sm font-semibold uppercase tracking-wide text-slate-500">{sites.data?.[0]?.name ?? 'Site'} now</h2>
            <LiveStamp atMs={o?.atMs} status={live.status} />
          </div>
          <TileGrid testId="overview-tiles">
            <Tile testId="tile-it-load" title="IT load" href="/dashboards/power" value={o ? <LoadFigure basis="measured" powerW={o.itPowerW} showWord={false} /> : '…'} detail={<LoadBasisTag basis="measured">measured · site IT meter</LoadBasisTag>} />
            <Tile testId="tile-facility-load" title="Facility load" href="/dashboards/power" value={o ? <LoadFigure basis="measured" powerW={o.facilityPowerW} showWord={false} /> : '…'} detail={<LoadBasisTag basis="measured">measured · incl. cooling and losses</LoadBasisTag>} />
            <Tile testId="tile-pue" title="PUE" href="/dashboards/power" value={o ? formatDecimal(o.pue, 2) : '…'} detail="facility ÷ IT" />
            <Tile
              testId="tile-gpus"
              title="GPUs"
              href="/dashboards/utilisation"
              value={o ? formatCount(o.gpus.busy) : '…'}
              suffix={o ? `/ ${formatCount(o.gpus.total)}` : undefined}
              detail={o ? `busy · ${formatCount(o.gpus.idle)} idle · ${formatCount(o.gpus.failed)} failed` : ''}
            />
            <Tile testId="tile-gpu-util" title="Avg GPU util." href="/dashboards/utilisation" value={o ? formatPct(o.avgGpuUtilPct) : '…'} detail="GPUs with readings" />
            {o && o.tpus.total > 0 && (
              <Tile
                testId="tile-tpus"
                title="TPU chips"
                href="/dashboards/utilisation"
                value={formatCount(o.tpus.busy)}
                suffix={`/ ${formatCount(o.tpus.total)}`}
                detail={`busy · ${formatCount(o.tpus.idle)} idle · ${formatCount(o.tpus.failed)} failed · avg duty cycle ${formatPct(o.avgTpuDutyCyclePct)}`}
              />
            )}
            <Tile testId="tile-jobs" title="Jobs" href="/jobs" value={o ? formatCount(o.jobs.running) : '…'} suffix={o ? 'running' : undefined} detail={o ? `${formatCount(o.jobs.pending)} pending` : ''} />
            <Tile
              testId="tile-alerts"
              title="Alerts"
              href="/alerts"
              value={o ? formatCount(o.alerts.firing) : '…'}
              suffix={o ? 'firing' : undefined}
              detail={o ? `${o.alerts.critical} critical · ${o.alerts.acknowledged} acknowledged` : ''}
            />
          </TileGrid>
          <p className="tabular mt-2 text-sm text-slate-700" data-testid="overview-busy-by">
            {o ? `GPUs ${formatBusyAttribution(o.busyBy)}` : ''}
          </p>
          <Definition>
            Busy: utilisation ≥ {o?.busyThresholdPct ?? 10} %; by Plenum jobs: held by a running Plenum job; by external jobs: held by
            a job a connected cluster reports; unmanaged: busy with no allocation (load Plenum does not manage). Failed: health
            “failed” or no reading in the last minute
            {o ? ` (${o.gpus.failedHealth} unhealthy, ${o.gpus.noReadings} without readings)` : ''}.
          </Definition>
        </section>
      )}
      {siteId > 0 && (
        <div className="mb-6">
          <SiteTrends siteId={siteId} />
        </div>
      )}
      <SitesOverview />
    </>
  );
}
