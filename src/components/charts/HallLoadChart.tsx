'use client';

import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export type HallLoad = { name: string; designItLoadKw: number };

/** Design IT load per hall in kW. */
export function HallLoadChart({ halls }: { halls: HallLoad[] }) {
  return (
    <div className="h-64 w-full" data-testid="hall-load-chart">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={halls} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
          <XAxis dataKey="name" />
          <YAxis unit=" kW" width={80} />
          <Tooltip formatter={(value) => [`${Number(value).toLocaleString('en')} kW`, 'Design IT load']} />
          <Bar dataKey="designItLoadKw" name="Design IT load" fill="#0f766e" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
