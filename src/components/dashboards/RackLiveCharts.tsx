'use client';

import { LiveMetricChart } from '@/components/telemetry/LiveMetricChart';

/** Live charts for a rack: input power per rack PDU, and inlet / outlet air temperature per sensor. */
export function RackLiveCharts({ rackName }: { rackName: string }) {
  return (
    <section className="mt-6 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" aria-label="Live rack telemetry" data-testid="rack-live">
      <h2 className="mb-3 text-sm font-semibold uppercase tracking-wide text-slate-500">Live telemetry</h2>
      <div className="grid gap-6 lg:grid-cols-3">
        <LiveMetricChart metric="pdu_power_w" entity={rackName} title="Rack PDU power" seriesLabel="pdu" testId="rack-pdu-power-chart" />
        <LiveMetricChart metric="rack_inlet_temp_c" entity={rackName} title="Inlet temperature" seriesLabel="sensor" testId="rack-inlet-chart" />
        <LiveMetricChart metric="rack_outlet_temp_c" entity={rackName} title="Outlet temperature" seriesLabel="sensor" testId="rack-outlet-chart" />
      </div>
    </section>
  );
}
