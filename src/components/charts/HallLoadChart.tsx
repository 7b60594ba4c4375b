'use client';

import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatPowerW, kwToW, POWER_STEPS } from '@/domain/units';
import { valueAxis } from './axis';

export type HallLoad = { name: string; designItLoadKw: number };

/** Design IT load per hall (kW in, shown in kW or MW by the largest hall). */
export function HallLoadChart({ halls }: { halls: HallLoad[] }) {
  const data = halls.map((h) => ({ name: h.name, designItLoadW: kwToW(h.designItLoadKw) }));
  const axis = valueAxis(
    data.map((h) => h.designItLoadW),
    { steps: POWER_STEPS, min: 0 },
  );
  return (
    <div className="h-64 w-full" data-testid="hall-load-chart">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
          <XAxis dataKey="name" fontSize={11} />
          <YAxis fontSize={11} width={axis.width} ticks={axis.ticks} domain={axis.domain} interval={0} tickFormatter={axis.format} />
          <Tooltip formatter={(value) => [formatPowerW(Number(value)), 'Design IT load']} />
          <Bar dataKey="designItLoadW" name="Design IT load" fill="#0f766e" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
