'use client';

import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatEnergyKwh, formatNumber, formatPowerW } from '@/domain/units';
import { useTRPC } from '@/trpc/client';
import { Placeholder } from './parts';
import { type TimeWindow, TimeRangePicker } from './TimeRange';

const tick = (rangeMs: number) => (t: number) => (rangeMs > 86_400_000 ? new Date(t).toLocaleDateString(undefined, { month: 'short', day: 'numeric', hour: '2-digit' }) : new Date(t).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' }));

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
    itKw: p.itPowerW === null ? null : p.itPowerW / 1000,
    facilityKw: p.facilityPowerW === null ? null : p.facilityPowerW / 1000,
    pue: p.pue,
    util: p.gpuUtilPct,
    itKwh: p.itEnergyKwh,
    facilityKwh: p.facilityEnergyKwh,
  }));
  const fmt = tick(range.sinceMs);
  const axis = <XAxis dataKey="t" type="number" scale="time" domain={['dataMin', 'dataMax']} tickFormatter={fmt} fontSize={11} />;
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
          ? `${data.resolution === 'raw' ? 'raw samples' : `${data.resolution} rollups`}, ${formatNumber(data.bucketS)} s buckets · energy: IT ${formatEnergyKwh(data.totals.itEnergyKwh)}, facility ${formatEnergyKwh(data.totals.facilityEnergyKwh)}, PUE ${data.totals.pue ? data.totals.pue.toFixed(2) : '—'}`
          : ''}
      </p>
      <div className="grid gap-4 lg:grid-cols-2">
        {show.includes('power') &&
          chart(
            'trend-power',
            'IT and facility load (kW)',
            <ResponsiveContainer width="100%" height="100%">
              <LineChart data={points} margin={{ top: 5, right: 10, left: 10, bottom: 5 }}>
                <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                {axis}
                <YAxis fontSize={11} width={60} unit=" kW" />
                <Tooltip labelFormatter={(t) => new Date(Number(t)).toLocaleString()} formatter={(v) => formatPowerW(Number(v) * 1000)} />
                <Legend wrapperStyle={{ fontSize: 11 }} />
                <Line dataKey="itKw" name="IT" dot={false} isAnimationActive={false} stroke="#0369a1" connectNulls />
                <Line dataKey="facilityKw" name="Facility" dot={false} isAnimationActive={false} stroke="#b45309" connectNulls />
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
                <YAxis fontSize={11} width={60} domain={[1, 'auto']} tickFormatter={(v: number) => v.toFixed(2)} />
                <Tooltip labelFormatter={(t) => new Date(Number(t)).toLocaleString()} formatter={(v) => Number(v).toFixed(3)} />
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
                <YAxis fontSize={11} width={60} unit=" %" domain={[0, 100]} />
                <Tooltip labelFormatter={(t) => new Date(Number(t)).toLocaleString()} formatter={(v) => `${Number(v).toFixed(1)} %`} />
                <Line dataKey="util" name="GPU utilisation" dot={false} isAnimationActive={false} stroke="#7c3aed" connectNulls />
              </LineChart>
            </ResponsiveContainer>,
          )}
        {show.includes('energy') &&
          chart(
            'trend-energy',
            `Energy per ${data ? formatNumber(data.bucketS / 60) : '—'} min (kWh)`,
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={points} margin={{ top: 5, right: 10, left: 10, bottom: 5 }}>
                <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                {axis}
                <YAxis fontSize={11} width={60} unit=" kWh" />
                <Tooltip labelFormatter={(t) => new Date(Number(t)).toLocaleString()} formatter={(v) => formatEnergyKwh(Number(v))} />
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
