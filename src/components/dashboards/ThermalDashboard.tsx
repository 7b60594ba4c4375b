'use client';

import { useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { Badge, StatusBadge } from '@/components/ui/Badge';
import { Card, EmptyState } from '@/components/ui/Card';
import { PageHeader } from '@/components/ui/PageHeader';
import { formatDecimal, formatPct, formatTempC } from '@/domain/units';
import type { HallThermal } from '@/server/services/dashboards';
import { LoadBasisTag, LoadFigures } from '@/components/ui/LoadFigure';
import { useTRPC } from '@/trpc/client';
import { Definition, LiveStamp, Placeholder } from './parts';

type Thermal = HallThermal;
type Band = Thermal['racks'][number]['band'];

// The floor plan's geometry (src/components/floor/FloorPlan.tsx): 36 px tiles, a rack 1 tile wide and 1.5 deep.
const TILE = 36;
export const BAND_FILL: Record<Band, string> = { recommended: '#10b981', allowable: '#f59e0b', outside: '#dc2626', 'no-data': '#cbd5e1' };
const BAND_LABEL: Record<Band, string> = {
  recommended: 'recommended 18-27 °C',
  allowable: 'allowable A1 15-32 °C',
  outside: 'outside A1',
  'no-data': 'no reading',
};

/** The hall floor as a heatmap of rack inlet temperatures, coloured by ASHRAE band. */
export function ThermalFloorPlan({ data }: { data: Thermal }) {
  const width = data.hall.gridColumns * TILE;
  const height = data.hall.gridRows * TILE;
  return (
    <div className="overflow-x-auto">
      <svg viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-label="Rack inlet temperature heatmap" data-testid="thermal-floor" className="rounded border border-slate-200 bg-white">
        <title>Rack inlet temperatures</title>
        {data.racks.map((rack) => (
          <Link key={rack.id} href={`/racks/${rack.id}`} aria-label={`Rack ${rack.name}`} data-testid="thermal-rack" data-band={rack.band}>
            <g>
              <title>{`${rack.name} · inlet ${formatTempC(rack.inletC)} (${BAND_LABEL[rack.band]}) · outlet ${formatTempC(rack.outletC)}`}</title>
              <rect x={rack.gridX * TILE + 2} y={rack.gridY * TILE + 2} width={TILE - 4} height={TILE * 1.5 - 4} rx={3} fill={BAND_FILL[rack.band]} stroke="#0f172a" strokeWidth={1} />
              <text x={rack.gridX * TILE + TILE / 2} y={rack.gridY * TILE + TILE * 0.6} textAnchor="middle" fontSize={8} fill="#0f172a">
                {rack.name.split('-').at(-1)}
              </text>
              <text x={rack.gridX * TILE + TILE / 2} y={rack.gridY * TILE + TILE * 1.05} textAnchor="middle" fontSize={8} fill="#0f172a">
                {formatDecimal(rack.inletC, 1)}
              </text>
            </g>
          </Link>
        ))}
      </svg>
      <ul className="mt-2 flex flex-wrap gap-4 text-xs text-slate-600" aria-label="Legend">
        {(Object.keys(BAND_FILL) as Band[]).map((band) => (
          <li key={band} className="flex items-center gap-1">
            <span className="inline-block h-3 w-3 rounded-sm" style={{ background: BAND_FILL[band] }} /> {BAND_LABEL[band]}
          </li>
        ))}
        <li>numbers: warmest inlet sensor in °C</li>
      </ul>
    </div>
  );
}

/** The hall's thermal view, live over SSE: heatmap, cooling units, GPU temperature histogram, hot spots. */
export function ThermalPanels({ hallId, compact = false }: { hallId: number; compact?: boolean }) {
  const trpc = useTRPC();
  const live = useSubscription(trpc.dashboards.thermalLive.subscriptionOptions({ hallId }));
  const t = live.data;
  const heatmap = (
    <Card title="Rack inlet temperatures (ASHRAE)" testId="thermal-heatmap">
      <div className="mb-2 flex justify-end">
        <LiveStamp atMs={t?.atMs} status={live.status} testId="thermal-updated" />
      </div>
      <div className="min-h-[12rem]">{t ? <ThermalFloorPlan data={t} /> : <Placeholder className="h-48" />}</div>
    </Card>
  );
  if (compact) return heatmap;
  return (
    <div className="grid gap-6">
      {heatmap}
      <div className="grid gap-6 lg:grid-cols-2">
        <Card title="Cooling units" testId="thermal-cooling">
          <div className="min-h-[10rem]">
            {!t ? (
              <Placeholder className="h-40" />
            ) : t.coolingUnits.length === 0 ? (
              <EmptyState>No cooling unit serves this hall.</EmptyState>
            ) : (
              <table className="w-full text-sm">
                <thead className="text-left text-slate-500">
                  <tr>
                    <th className="font-normal">Unit</th>
                    <th className="font-normal">State</th>
                    <th className="text-right font-normal">
                      Heat removed <LoadBasisTag basis="measured" /> / <LoadBasisTag basis="capacity" />
                    </th>
                    <th className="text-right font-normal">Supply</th>
                    <th className="text-right font-normal">Return</th>
                  </tr>
                </thead>
                <tbody>
                  {t.coolingUnits.map((u) => (
                    <tr key={u.id} className="border-t border-slate-100" data-testid="cooling-unit-row">
                      <td>
                        {u.name} <span className="text-xs text-slate-500">{u.kind}</span>
                      </td>
                      <td>{u.running === false ? <Badge tone="red">stopped</Badge> : <StatusBadge status={u.status} />}</td>
                      <td className="tabular text-right">
                        <LoadFigures figures={{ measured: u.heatRemovedW, capacity: u.capacityW }} /> <span className="text-slate-500">({formatPct(u.utilizationPct)})</span>
                      </td>
                      <td className="tabular text-right">
                        {formatTempC(u.supplyC)} <span className="text-xs text-slate-500">set {formatTempC(u.setpointC)}</span>
                      </td>
                      <td className="tabular text-right">{u.returnC === null ? <span className="text-slate-400">not reported</span> : formatTempC(u.returnC)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        </Card>
        <Card title="GPU temperatures" testId="thermal-gpu-histogram">
          <figure className="h-56" data-reporting={t?.gpuTempsReporting ?? 0}>
            {t ? (
              <ResponsiveContainer width="100%" height="100%">
                <BarChart data={t.gpuTempHistogram.map((b) => ({ bin: `${b.fromC}-${b.toC}`, count: b.count }))} margin={{ top: 5, right: 10, left: 10, bottom: 5 }}>
                  <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                  <XAxis dataKey="bin" fontSize={10} unit=" °C" />
                  <YAxis fontSize={11} width={50} allowDecimals={false} label={{ value: 'GPUs', angle: -90, position: 'insideLeft', fontSize: 11 }} />
                  <Tooltip formatter={(v) => [`${v} GPUs`, 'count']} />
                  <Bar dataKey="count" fill="#be123c" isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            ) : (
              <Placeholder className="h-56" />
            )}
          </figure>
          <Definition>{t ? `${t.gpuTempsReporting} GPUs reporting; 5 °C bins.` : ''}</Definition>
        </Card>
      </div>
      <Card title="Hot spots" testId="thermal-hotspots">
        <div className="min-h-[6rem]">
          {!t ? (
            <Placeholder className="h-24" />
          ) : t.hotRacks.length === 0 && t.hotGpus.length === 0 ? (
            <EmptyState>No rack inlet above 27 °C and no GPU at 85 °C or more.</EmptyState>
          ) : (
            <ul className="text-sm">
              {t.hotRacks.map((r) => (
                <li key={`r${r.id}`} data-testid="hot-rack">
                  <Link className="text-sky-700 hover:underline" href={`/racks/${r.id}`}>
                    {r.name}
                  </Link>{' '}
                  inlet {formatTempC(r.inletC)} <Badge tone={r.band === 'outside' ? 'red' : 'amber'}>{BAND_LABEL[r.band]}</Badge>
                </li>
              ))}
              {t.hotGpus.map((g) => (
                <li key={g.uuid} data-testid="hot-gpu">
                  GPU {g.uuid} on {g.deviceName} ({g.rackName}) at {formatTempC(g.tempC)}
                </li>
              ))}
            </ul>
          )}
        </div>
      </Card>
    </div>
  );
}

export function ThermalDashboard() {
  const trpc = useTRPC();
  const params = useSearchParams();
  const router = useRouter();
  const sites = useQuery(trpc.sites.listWithHalls.queryOptions());
  const halls = (sites.data ?? []).flatMap((s) => s.halls.map((h) => ({ ...h, siteName: s.name })));
  const hallId = Number(params.get('hall')) || halls[0]?.id || 0;
  return (
    <>
      <PageHeader
        title="Thermal (live)"
        crumbs={[{ href: '/', label: 'Overview' }]}
        actions={
          <label className="text-sm">
            Hall{' '}
            <select className="rounded border border-slate-300 px-1 py-0.5" value={hallId} onChange={(e) => router.replace(`/dashboards/thermal?hall=${e.target.value}`)}>
              {halls.map((h) => (
                <option key={h.id} value={h.id}>
                  {h.siteName} · {h.name}
                </option>
              ))}
            </select>
          </label>
        }
      />
      {sites.data && halls.length === 0 ? <EmptyState>No halls.</EmptyState> : hallId > 0 ? <ThermalPanels hallId={hallId} /> : <Placeholder className="h-64" />}
    </>
  );
}
