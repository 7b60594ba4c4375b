'use client';

import { useSubscription } from '@trpc/tanstack-react-query';
import Link from 'next/link';
import { useSite } from '@/components/plant/useSite';
import { Badge, utilisationTone } from '@/components/ui/Badge';
import { Card } from '@/components/ui/Card';
import { PageHeader } from '@/components/ui/PageHeader';
import { formatCount, formatPct, formatPowerW } from '@/domain/units';
import { LoadBasisTag, LoadCell, LoadFigure, LoadHeader, loadBasisOfFigures } from '@/components/ui/LoadFigure';
import { useTRPC } from '@/trpc/client';
import { FacilityReconciliation } from './FacilityReconciliation';
import { Definition, LiveStamp, Placeholder, Tile, TileGrid } from './parts';
import { SiteTrends } from './SiteTrends';

const KIND_LABEL: Record<string, string> = {
  'utility-feed': 'Utility',
  generator: 'Generator',
  ats: 'ATS',
  switchgear: 'Switchgear',
  ups: 'UPS',
  pdu: 'PDU',
  rpp: 'RPP',
  'power-feed': 'Feed',
  'rack-pdu': 'Rack PDU',
};

const th = 'text-right font-normal';
const td = 'tabular text-right';

/** Load vs capacity at every level: utility, UPS A/B, PDU, rack PDU, rack, server, GPU; live over SSE. */
export function PowerDashboard() {
  const trpc = useTRPC();
  const { site } = useSite();
  const siteId = site?.id ?? 0;
  const live = useSubscription(trpc.dashboards.powerLive.subscriptionOptions({ siteId }, { enabled: siteId > 0 }));
  const p = live.data;
  return (
    <>
      <PageHeader title="Power (live)" crumbs={[{ href: '/', label: 'Overview' }, ...(site ? [{ href: `/sites/${site.id}`, label: site.name }] : [])]} actions={<LiveStamp atMs={p?.atMs} status={live.status} />} />
      <div className="mb-4 flex h-7 flex-wrap gap-2 text-sm" data-testid="power-live-redundancy">
        {p ? (
          <>
            {!p.ok ? (
              <Badge tone="red">Power chain invalid: {p.issues.length} issue(s)</Badge>
            ) : p.failoverOk ? (
              <Badge tone="green">A/B redundancy holds at measured load</Badge>
            ) : (
              <Badge tone="red">Redundancy lost: {p.scenarios.map((s) => `${s.label} overloads ${s.overloads.join(', ')}`).join('; ')}</Badge>
            )}
            {p.upsOnBattery.length > 0 && <Badge tone="red">On battery: {p.upsOnBattery.join(', ')}</Badge>}
          </>
        ) : null}
      </div>
      <TileGrid className="mb-6">
        <Tile testId="power-it" title="IT load" href="#levels" value={p ? <LoadFigure basis="measured" powerW={p.utility.itPowerW} showWord={false} /> : '…'} detail={<LoadBasisTag basis="measured">measured · site IT meter</LoadBasisTag>} />
        <Tile testId="power-facility" title="Facility load" href="#levels" value={p ? <LoadFigure basis="measured" powerW={p.utility.facilityPowerW} showWord={false} /> : '…'} detail={p ? <LoadBasisTag basis="measured">measured · of {formatPowerW(p.utility.utilityCapacityW)} utility capacity</LoadBasisTag> : ''} />
        <Tile testId="power-gpus" title="GPU power" href="#servers" value={p ? <LoadFigure basis="measured" powerW={p.gpus.measuredW} showWord={false} /> : '…'} detail={p ? <LoadBasisTag basis="measured">measured · of {formatPowerW(p.gpus.tdpW)} TDP · {formatCount(p.gpus.reporting)}/{formatCount(p.gpus.count)} reporting</LoadBasisTag> : ''} />
        <Tile
          testId="power-racks"
          title="Racks measured"
          href="#racks"
          value={p ? formatCount(p.counts.racksMetered) : '…'}
          suffix={p ? `/ ${formatCount(p.counts.racks)}` : undefined}
          detail="with rack PDU readings"
        />
      </TileGrid>
      <div className="grid gap-6">
        <Card title="Facility load against the utility meters" testId="power-reconciliation">
          {p ? <FacilityReconciliation r={p.reconciliation} /> : <Placeholder className="h-16" />}
        </Card>
        <Card title="Chain: budget, allocated and measured" testId="power-levels">
          <div id="levels" className="max-h-[28rem] min-h-[16rem] overflow-y-auto">
            {p ? (
              <table className="w-full text-sm">
                <thead className="sticky top-0 bg-white text-left text-slate-500">
                  <tr>
                    <th className="font-normal">Level</th>
                    <th className="font-normal">Node</th>
                    <th className="font-normal">Side</th>
                    <LoadHeader basis="measured" />
                    <th className={th}>Meter</th>
                    <LoadHeader basis="allocated" />
                    <LoadHeader basis="nameplate" />
                    <LoadHeader basis="capacity" />
                    <th className={th}>Load (its basis)</th>
                    <th className={th}>Failover headroom</th>
                  </tr>
                </thead>
                <tbody>
                  {p.nodes.map((n) => (
                    <tr key={n.id} className="border-t border-slate-100" data-testid="power-level-row" data-kind={n.kind}>
                      <td>{KIND_LABEL[n.kind] ?? n.kind}</td>
                      <td>{n.name}</td>
                      <td>{n.side}</td>
                      <LoadCell basis="measured" powerW={n.measuredW} />
                      <LoadCell basis="measured" powerW={n.meteredW} />
                      <LoadCell basis="allocated" powerW={n.allocatedW} />
                      <LoadCell basis="nameplate" powerW={n.nameplateW} />
                      <LoadCell basis="capacity" powerW={n.capacityW} />
                      <td className={td}>
                        <LoadFigure basis={loadBasisOfFigures(n.measuredW, n.allocatedW)} powerW={n.loadW} /> <Badge tone={utilisationTone(n.utilizationPct)}>{formatPct(n.utilizationPct)}</Badge>
                      </td>
                      <td className={td}>{formatPowerW(n.failoverHeadroomW)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <Placeholder className="h-64" />
            )}
          </div>
          <Definition>
            Measured = the sum of device measurements below the node (a host's own wall power where it reports one, else its
            nameplate share of its rack's PDU readings). Meter = what the node's own meter reads (UPS output, rack PDU input).
            Load = measured where present, else allocated, else nameplate.
          </Definition>
        </Card>
        <Card title={p && p.counts.racks > p.racks.length ? `Racks (the ${p.racks.length} busiest of ${p.counts.racks})` : 'Racks'} testId="power-racks-table">
          <div id="racks" className="max-h-96 min-h-[12rem] overflow-y-auto">
            {p ? (
              <table className="w-full text-sm">
                <thead className="sticky top-0 bg-white text-left text-slate-500">
                  <tr>
                    <th className="font-normal">Rack</th>
                    <th className="font-normal">Hall</th>
                    <LoadHeader basis="measured" />
                    <LoadHeader basis="allocated" />
                    <LoadHeader basis="nameplate" />
                    <LoadHeader basis="budget" />
                    <th className={th}>Load (its basis)</th>
                    <th className="font-normal">A/B</th>
                  </tr>
                </thead>
                <tbody>
                  {p.racks.map((r) => (
                    <tr key={r.id} className="border-t border-slate-100" data-testid="power-rack-row" data-rack-id={r.id}>
                      <td>
                        <Link className="text-sky-700 hover:underline" href={`/racks/${r.id}`}>
                          {r.name}
                        </Link>
                      </td>
                      <td>{r.hallName}</td>
                      <LoadCell basis="measured" powerW={r.measuredW} testId="rack-measured" />
                      <LoadCell basis="allocated" powerW={r.allocatedW} />
                      <LoadCell basis="nameplate" powerW={r.nameplateW} />
                      <LoadCell basis="budget" powerW={r.budgetW} />
                      <td className={td}>
                        <LoadFigure basis={loadBasisOfFigures(r.measuredW, r.allocatedW)} powerW={r.loadW} /> <Badge tone={utilisationTone(r.utilizationPct)}>{formatPct(r.utilizationPct)}</Badge>
                      </td>
                      <td>{r.redundant ? 'yes' : 'no'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <Placeholder className="h-48" />
            )}
          </div>
        </Card>
        <Card title={p && p.counts.servers > p.servers.length ? `GPU servers and their GPUs (the ${p.servers.length} busiest of ${p.counts.servers})` : 'GPU servers and their GPUs'} testId="power-servers">
          <div id="servers" className="max-h-96 min-h-[12rem] overflow-y-auto">
            {p ? (
              <table className="w-full text-sm">
                <thead className="sticky top-0 bg-white text-left text-slate-500">
                  <tr>
                    <th className="font-normal">Server</th>
                    <th className="font-normal">Rack</th>
                    <LoadHeader basis="measured" />
                    <th className="font-normal">Basis</th>
                    <LoadHeader basis="allocated" />
                    <LoadHeader basis="nameplate" />
                    <th className={th}>
                      <LoadBasisTag basis="measured">GPU power measured</LoadBasisTag>
                    </th>
                    <th className={th}>
                      <LoadBasisTag basis="nameplate">GPU TDP</LoadBasisTag>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {p.servers.map((s) => (
                    <tr key={s.id} className="border-t border-slate-100">
                      <td>
                        <Link className="text-sky-700 hover:underline" href={`/devices/${s.id}`}>
                          {s.name}
                        </Link>
                      </td>
                      <td>{s.rackName}</td>
                      <LoadCell basis="measured" powerW={s.measuredW} />
                      <td className="text-xs text-slate-500">{s.basis === 'host' ? 'host meter' : s.basis === 'rack-pdu-share' ? 'share of rack PDUs' : '—'}</td>
                      <LoadCell basis="allocated" powerW={s.allocatedW} />
                      <LoadCell basis="nameplate" powerW={s.nameplateW} />
                      <LoadCell basis="measured" powerW={s.gpuPowerW} />
                      <td className={td}>
                        <LoadFigure basis="nameplate" powerW={s.gpuTdpW} showWord={false} /> <span className="text-xs text-slate-500">({s.gpuCount} GPUs)</span>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <Placeholder className="h-48" />
            )}
          </div>
        </Card>
        {siteId > 0 && <SiteTrends siteId={siteId} show={['power', 'energy', 'pue']} />}
      </div>
    </>
  );
}
