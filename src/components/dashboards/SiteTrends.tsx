'use client';

import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { timeAxis, valueAxis } from '@/components/charts/axis';
import { ENERGY_STEPS, formatDateTime, formatDecimal, formatEnergyKwh, formatNumber, formatPct, formatPowerW, POWER_STEPS } from '@/domain/units';
import { useTRPC } from '@/trpc/client';
import { Placeholder } from './parts';
import { type TimeWindow, TimeRangePicker } from './TimeRange';

const tooltipTime = (t: unknown) => formatDateTime(Number(t));

/**
 * IT and facility load, PUE, average GPU utilisation and energy over a chosen range. Short windows are re-read every
 * 10 s (polling: each read aggregates many samples, so it is not redone on every ingest flush); long ones every minute.
 */
export function SiteTrends({ siteId, show = ['power', 'pue', 'util'] }: { siteId: number; show?: ('power' | 'pue' | 'util' | 'energy')[] }) {
  const trpc = useTRPC();
  const [range, setRange] = useState<TimeWindow>({ sinceMs: 3_600_000 });
  const trends = useQuery({
    ...trpc.dashboards.trends.queryOptions({ siteId, ...range }),
    refetchInterval: range.untilMs !== undefined ? false : range.sinceMs <= 3_600_000 ? 10_000 : 60_000,
    placeholderData: (previous) => previous,
  });
  const data = trends.data;
  const points = (data?.points ?? []).map((p) => ({
    t: p.t,
    itW: p.itPowerW,
    facilityW: p.facilityPowerW,
    pue: p.pue,
    util: p.gpuUtilPct,
    itKwh: p.itEnergyKwh,
    facilityKwh: p.facilityEnergyKwh,
  }));
  // Each value axis is computed once per chart from its data: nice distinct ticks, one unit (W/kW/MW) and a width that fits.
  const powerAxis = valueAxis(points.flatMap((p) => [p.itW, p.facilityW]), { steps: POWER_STEPS, min: 0 });
  const pueAxis = valueAxis(points.map((p) => p.pue), { min: 1 });
  const utilAxis = valueAxis([], { unit: '%', min: 0, max: 100 });
  const energyAxis = valueAxis(points.flatMap((p) => [p.itKwh, p.facilityKwh]), { steps: ENERGY_STEPS, min: 0 });
  const times = timeAxis(points[0]?.t ?? Number.NaN, points.at(-1)?.t ?? Number.NaN);
  const axis = <XAxis dataKey="t" type="number" scale="time" domain={['dataMin', 'dataMax']} ticks={times.ticks} interval={0} tickFormatter={times.format} fontSize={11} />;
  const yAxis = (a: ReturnType<typeof valueAxis>) => <YAxis fontSize={11} width={a.width} ticks={a.ticks} domain={a.domain} interval={0} tickFormatter={a.format} />;
  const chart = (testId: string, title: string, body: React.ReactNode) => (
    <figure className="w-full" data-testid={testId} data-points={points.length}>
      <figcaption className="mb-1 text-sm text-slate-600">{title}</figcaption>
      <div className="h-48">{data ? points.length ? body : <p className="py-16 text-center text-sm text-slate-500">No readings in this range.</p> : <Placeholder className="h-48" />}</div>
    </figure>
  );
  return (
    <section className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" aria-label="Trends" data-testid="site-trends">
      <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
        <h2 className="text-sm font-semibold uppercase tracking-wide text-slate-500">Trends</h2>
        <TimeRangePicker value={range} onChange={setRange} />
      </div>
      <p className="tabular mb-2 h-5 text-xs text-slate-500">
        {data
          ? `${data.resolution === 'raw' ? 'raw samples' : `${data.resolution} rollups`}, ${formatNumber(data.bucketS)} s buckets · energy: IT ${formatEnergyKwh(data.totals.itEnergyKwh)}, facility ${formatEnergyKwh(data.totals.facilityEnergyKwh)}, PUE ${formatDecimal(data.totals.pue, 2)} · times in UTC`
          : ''}
      </p>
      <div className="grid gap-4 lg:grid-cols-2">
        {show.includes('power') &&
          chart(
            'trend-power',
            `IT and facility load (${powerAxis.unit})`,
            <ResponsiveContainer width="100%" height="100%">
              <LineChart data={points} margin={{ top: 5, right: 10, left: 10, bottom: 5 }}>
                <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                {axis}
                {yAxis(powerAxis)}
                <Tooltip labelFormatter={tooltipTime} formatter={(v) => formatPowerW(Number(v))} />
                <Legend wrapperStyle={{ fontSize: 11 }} />
                <Line dataKey="itW" name="IT" dot={false} isAnimationActive={false} stroke="#0369a1" connectNulls />
                <Line dataKey="facilityW" name="Facility" dot={false} isAnimationActive={false} stroke="#b45309" connectNulls />
              </LineChart>
            </ResponsiveContainer>,
          )}
        {show.includes('pue') &&
          chart(
            'trend-pue',
            'PUE (facility ÷ IT)',
            <ResponsiveContainer width="100%" height="100%">
              <LineChart data={points} margin={{ top: 5, right: 10, left: 10, bottom: 5 }}>
                <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                {axis}
                {yAxis(pueAxis)}
                <Tooltip labelFormatter={tooltipTime} formatter={(v) => formatDecimal(Number(v), 3)} />
                <Line dataKey="pue" name="PUE" dot={false} isAnimationActive={false} stroke="#15803d" connectNulls />
              </LineChart>
            </ResponsiveContainer>,
          )}
        {show.includes('util') &&
          chart(
            'trend-util',
            'Average GPU utilisation (%)',
            <ResponsiveContainer width="100%" height="100%">
              <LineChart data={points} margin={{ top: 5, right: 10, left: 10, bottom: 5 }}>
                <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                {axis}
                {yAxis(utilAxis)}
                <Tooltip labelFormatter={tooltipTime} formatter={(v) => formatPct(Number(v))} />
                <Line dataKey="util" name="GPU utilisation" dot={false} isAnimationActive={false} stroke="#7c3aed" connectNulls />
              </LineChart>
            </ResponsiveContainer>,
          )}
        {show.includes('energy') &&
          chart(
            'trend-energy',
            `Energy per ${data ? formatNumber(data.bucketS / 60) : '—'} min (${energyAxis.unit})`,
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={points} margin={{ top: 5, right: 10, left: 10, bottom: 5 }}>
                <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                {axis}
                {yAxis(energyAxis)}
                <Tooltip labelFormatter={tooltipTime} formatter={(v) => formatEnergyKwh(Number(v))} />
                <Legend wrapperStyle={{ fontSize: 11 }} />
                <Bar dataKey="itKwh" name="IT" fill="#0369a1" isAnimationActive={false} />
                <Bar dataKey="facilityKwh" name="Facility" fill="#b45309" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>,
          )}
      </div>
    </section>
  );
}
