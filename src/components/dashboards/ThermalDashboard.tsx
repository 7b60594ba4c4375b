'use client';

import { useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { valueAxis } from '@/components/charts/axis';
import { GPU_TEMP_FILL, gpuTempTone, sequentialScale } from '@/components/floor/colour-scale';
import { FloorCanvas } from '@/components/floor/FloorCanvas';
import { LABEL_UNITS, RACK_DEPTH_TILES, rackLabel, TILE } from '@/components/floor/geometry';
import { Badge, StatusBadge } from '@/components/ui/Badge';
import { Card, EmptyState } from '@/components/ui/Card';
import { PageHeader } from '@/components/ui/PageHeader';
import { GPU_HOT_C, GPU_WARM_C } from '@/domain/cooling';
import { formatCount, formatDecimal, formatPct, formatTempC } from '@/domain/units';
import type { HallThermal } from '@/server/services/dashboards';
import { LoadBasisTag, LoadFigures } from '@/components/ui/LoadFigure';
import { useTRPC } from '@/trpc/client';
import { Definition, LiveStamp, Placeholder } from './parts';

type Thermal = HallThermal;
type Band = Thermal['racks'][number]['band'];

/** The ASHRAE band of a rack's inlet: named in the tooltip and legend, drawn as the tile's outline. */
export const BAND_FILL: Record<Band, string> = { recommended: '#10b981', allowable: '#f59e0b', outside: '#dc2626', 'no-data': '#cbd5e1' };
const BAND_LABEL: Record<Band, string> = {
  recommended: 'recommended 18-27 °C',
  allowable: 'allowable A1 15-32 °C',
  outside: 'outside A1',
  'no-data': 'no reading',
};
/** Inlet temperature on a perceptual scale over the A1 allowable range with a margin: 15-35 °C. */
const INLET_SCALE = sequentialScale(15, 35);
const INLET_TICKS_C = [15, 18, 27, 32, 35];

/** The hall floor as a heatmap of rack inlet temperatures (viridis), each tile outlined by its ASHRAE band. */
export function ThermalFloorPlan({ data }: { data: Thermal }) {
  return (
    <div>
      <FloorCanvas racks={data.racks} columns={data.hall.gridColumns} rows={data.hall.gridRows} label="Rack inlet temperature heatmap" testId="thermal-floor">
        {data.racks.map((rack) => {
          const fill = rack.inletC === null ? BAND_FILL['no-data'] : INLET_SCALE.fill(rack.inletC);
          const text = rack.inletC === null ? '#0f172a' : INLET_SCALE.text(rack.inletC);
          const x = rack.gridX * TILE + TILE / 2;
          return (
            <Link key={rack.id} href={`/racks/${rack.id}`} aria-label={`Rack ${rack.name}`} data-testid="thermal-rack" data-band={rack.band}>
              <g>
                <title>{`${rack.name} · inlet ${formatTempC(rack.inletC)} (${BAND_LABEL[rack.band]}) · outlet ${formatTempC(rack.outletC)}`}</title>
                <rect
                  x={rack.gridX * TILE + 2}
                  y={rack.gridY * TILE + 2}
                  width={TILE - 4}
                  height={TILE * RACK_DEPTH_TILES - 4}
                  rx={3}
                  fill={fill}
                  stroke={rack.band === 'allowable' || rack.band === 'outside' ? BAND_FILL[rack.band] : '#0f172a'}
                  strokeWidth={rack.band === 'allowable' || rack.band === 'outside' ? 3 : 1}
                />
                <text x={x} y={rack.gridY * TILE + TILE * 0.45} textAnchor="middle" dominantBaseline="central" fontSize={LABEL_UNITS} fill={text}>
                  {rackLabel(rack.name)}
                </text>
                <text x={x} y={rack.gridY * TILE + TILE * 1.05} textAnchor="middle" dominantBaseline="central" fontSize={LABEL_UNITS} fill={text}>
                  {rack.inletC === null ? '—' : formatDecimal(rack.inletC, 0)}
                </text>
              </g>
            </Link>
          );
        })}
      </FloorCanvas>
      <section className="mt-2 flex flex-wrap items-start gap-6 text-xs text-slate-600" aria-label="Legend">
        <figure className="w-64">
          <div className="h-3 rounded-sm" style={{ background: INLET_SCALE.gradient }} />
          <div className="relative h-4">
            {INLET_TICKS_C.map((c) => (
              <span key={c} className="tabular absolute -translate-x-1/2" style={{ left: `${((c - INLET_SCALE.min) / (INLET_SCALE.max - INLET_SCALE.min)) * 100}%` }}>
                {c}
              </span>
            ))}
          </div>
          <figcaption>inlet °C (warmest sensor), 15-35 °C</figcaption>
        </figure>
        <ul className="flex flex-wrap gap-4">
          {(Object.keys(BAND_FILL) as Band[]).map((band) => (
            <li key={band} className="flex items-center gap-1">
              <span className="inline-block h-3 w-3 rounded-sm border-2" style={band === 'no-data' ? { background: BAND_FILL[band] } : { borderColor: band === 'recommended' ? '#0f172a' : BAND_FILL[band] }} />{' '}
              {band === 'recommended' ? `${BAND_LABEL[band]} (thin outline)` : BAND_LABEL[band]}
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}

/** GPUs per 5 °C bin, each bar coloured by where the bin lies against the GPUs' operating range (not red at 25 °C). */
function GpuTempHistogram({ bins }: { bins: Thermal['gpuTempHistogram'] }) {
  const data = bins.map((b) => ({ bin: `${b.fromC}-${b.toC}`, count: b.count, tone: gpuTempTone(b.fromC) }));
  const axis = valueAxis(
    data.map((b) => b.count),
    { min: 0, integer: true },
  );
  return (
    <ResponsiveContainer width="100%" height="100%">
      <BarChart data={data} margin={{ top: 5, right: 10, left: 10, bottom: 5 }}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
        <XAxis dataKey="bin" fontSize={11} unit=" °C" />
        <YAxis fontSize={11} width={axis.width} ticks={axis.ticks} domain={axis.domain} interval={0} tickFormatter={axis.format} label={{ value: 'GPUs', angle: -90, position: 'insideLeft', fontSize: 11 }} />
        <Tooltip formatter={(v) => [`${formatCount(Number(v))} GPUs`, 'count']} />
        <Bar dataKey="count" isAnimationActive={false}>
          {data.map((b) => (
            <Cell key={b.bin} fill={GPU_TEMP_FILL[b.tone]} data-tone={b.tone} />
          ))}
        </Bar>
      </BarChart>
    </ResponsiveContainer>
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
            {t ? <GpuTempHistogram bins={t.gpuTempHistogram} /> : <Placeholder className="h-56" />}
          </figure>
          <Definition>{t ? `${formatCount(t.gpuTempsReporting)} GPUs reporting; 5 °C bins; colour against the operating range: normal below ${GPU_WARM_C} °C, warm from ${GPU_WARM_C} °C, hot from ${GPU_HOT_C} °C.` : ''}</Definition>
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
