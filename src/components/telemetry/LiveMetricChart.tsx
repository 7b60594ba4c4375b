'use client';

import { useSubscription } from '@trpc/tanstack-react-query';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { timeAxis, valueAxis } from '@/components/charts/axis';
import { BYTE_STEPS, formatDecimal, formatMetric, formatTime, POWER_STEPS } from '@/domain/units';
import { useTRPC } from '@/trpc/client';

const UNIT_LABEL: Record<string, string> = { W: 'W', C: '°C', pct: '%', ratio: 'ratio', bytes: 'bytes', MHz: 'MHz', V: 'V', A: 'A', s: 's', kWh: 'kWh', mJ: 'mJ', Hz: 'Hz', J: 'J', bytes_per_s: 'B/s', kPa: 'kPa', l_per_min: 'l/min' };
const COLOURS = ['#0369a1', '#b45309', '#15803d', '#7c3aed', '#be123c', '#0f766e', '#4d7c0f', '#a21caf'];

/**
 * A live line chart of one metric for an entity (GPU UUID, hostname or rack name): the points of the last `since`,
 * then updated as the ingest commits new samples (tRPC SSE subscription fed by PostgreSQL NOTIFY). One line per series
 * (e.g. per GPU of a host); the unit is on the Y axis.
 */
export function LiveMetricChart({ metric, entity, since = '10m', title, seriesLabel = 'gpu', testId }: { metric: string; entity: string; since?: string; title: string; seriesLabel?: string; testId?: string }) {
  const trpc = useTRPC();
  const sub = useSubscription(trpc.telemetry.live.subscriptionOptions({ metric, entity, since }));
  const data = sub.data;
  // Values stay in the catalogue's unit; the axis scales W and bytes (kW, GiB) once for the whole chart.
  const metricUnit = data?.unit ?? '';
  const unit = UNIT_LABEL[metricUnit] ?? metricUnit;
  // One row per timestamp, one column per series.
  const rows = new Map<number, Record<string, number>>();
  const names: string[] = [];
  for (const s of data?.series ?? []) {
    const name = s.labels[seriesLabel] !== undefined ? `${seriesLabel} ${s.labels[seriesLabel]}` : s.entity;
    names.push(name);
    for (const p of s.points) {
      const row = rows.get(p.t) ?? { t: p.t };
      row[name] = p.v;
      rows.set(p.t, row);
    }
  }
  const points = [...rows.values()].sort((a, b) => a.t! - b.t!);
  const latest = data?.series.map((s) => s.points.at(-1)?.v).filter((v): v is number => v !== undefined) ?? [];
  const total = latest.reduce((a, b) => a + b, 0);
  const axis = valueAxis(
    points.flatMap((row) => names.map((n) => row[n])),
    metricUnit === 'W' ? { steps: POWER_STEPS, min: 0 } : metricUnit === 'bytes' ? { steps: BYTE_STEPS, min: 0 } : metricUnit === 'pct' ? { unit, min: 0, max: 100 } : { unit },
  );
  const times = timeAxis(points[0]?.t ?? Number.NaN, points.at(-1)?.t ?? Number.NaN);
  return (
    <figure data-testid={testId} data-points={points.length} data-latest={latest.length ? formatDecimal(total, 1) : ''} className="w-full">
      <figcaption className="mb-1 flex justify-between text-sm text-slate-600">
        <span>{title}</span>
        <span className="tabular" aria-live="polite">
          {sub.status === 'error' ? 'stream error' : latest.length ? `${data!.resolution}, ${points.length} points` : 'waiting for data'}
        </span>
      </figcaption>
      <div className="h-56">
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={points} margin={{ top: 5, right: 10, left: 10, bottom: 5 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
            <XAxis dataKey="t" type="number" domain={['dataMin', 'dataMax']} scale="time" ticks={times.ticks} interval={0} tickFormatter={times.format} fontSize={11} />
            <YAxis fontSize={11} width={axis.width} ticks={axis.ticks} domain={axis.domain} interval={0} tickFormatter={axis.format} />
            <Tooltip labelFormatter={(t) => formatTime(Number(t))} formatter={(v) => formatMetric(Number(v), metricUnit)} />
            {names.length <= 8 && <Legend wrapperStyle={{ fontSize: 11 }} />}
            {names.map((n, i) => (
              <Line key={n} dataKey={n} dot={false} isAnimationActive={false} stroke={COLOURS[i % COLOURS.length]} strokeWidth={1.5} connectNulls />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}

/** Live per-GPU power, temperature, utilisation, memory and SM clock of a host, for the device page. Renders nothing for devices without a hostname. */
/** `temperatureMetric`: the GPU temperature the host's exporter reports (AMD: the junction temperature). */
export function DeviceTelemetry({ hostname, temperatureMetric = 'gpu_temp_c' }: { hostname: string | null | undefined; temperatureMetric?: 'gpu_temp_c' | 'gpu_junction_temp_c' }) {
  if (!hostname) return null;
  return (
    <section className="mt-6 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" aria-label="Live telemetry">
      <h2 className="mb-3 text-sm font-semibold uppercase tracking-wide text-slate-500">Live telemetry</h2>
      <div className="grid gap-6 lg:grid-cols-2">
        <LiveMetricChart metric="gpu_power_w" entity={hostname} title="GPU power" testId="gpu-power-chart" />
        <LiveMetricChart
          metric={temperatureMetric}
          entity={hostname}
          title={temperatureMetric === 'gpu_junction_temp_c' ? 'GPU junction temperature' : 'GPU temperature'}
          testId="gpu-temp-chart"
        />
        <LiveMetricChart metric="gpu_util_pct" entity={hostname} title="GPU utilisation" testId="gpu-util-chart" />
        <LiveMetricChart metric="gpu_fb_used_bytes" entity={hostname} title="GPU memory used" testId="gpu-memory-chart" />
        <LiveMetricChart metric="gpu_sm_clock_mhz" entity={hostname} title="GPU SM clock" testId="gpu-clock-chart" />
      </div>
    </section>
  );
}
