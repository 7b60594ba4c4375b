'use client';

import Link from 'next/link';
import { formatPct, formatPowerW } from '@/domain/units';

export type FloorRack = {
  id: number;
  name: string;
  gridX: number;
  gridY: number;
  status: string;
  loadW: number;
  utilizationPct: number | null;
  coolingKind: string;
  zoneName: string | null;
  /** What the rack's accelerators are: GPUs, TPU chips, or none. */
  accelerators?: 'gpu' | 'tpu' | null;
};

const TILE = 36;
const STATUS_FILL: Record<string, string> = { active: '#10b981', planned: '#38bdf8', maintenance: '#f59e0b', decommissioned: '#94a3b8' };

/** The hall's floor grid with each rack on its tile, coloured by status; every rack links to its elevation. */
export function FloorPlan({ columns, rows, racks }: { columns: number; rows: number; racks: FloorRack[] }) {
  const width = columns * TILE;
  const height = rows * TILE;
  return (
    <div className="overflow-x-auto">
      <svg viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-label="Hall floor plan" data-testid="floor-plan" className="rounded border border-slate-200 bg-white">
        <title>Hall floor plan</title>
        {Array.from({ length: columns + 1 }, (_, x) => (
          <line key={`v${x}`} x1={x * TILE} y1={0} x2={x * TILE} y2={height} stroke="#f1f5f9" />
        ))}
        {Array.from({ length: rows + 1 }, (_, y) => (
          <line key={`h${y}`} x1={0} y1={y * TILE} x2={width} y2={y * TILE} stroke="#f1f5f9" />
        ))}
        {racks.map((rack) => (
          <Link key={rack.id} href={`/racks/${rack.id}`} aria-label={`Rack ${rack.name}`} data-testid="floor-rack" data-accelerators={rack.accelerators ?? ''}>
            <g>
              <title>{`${rack.name} · ${rack.status} · ${formatPowerW(rack.loadW)}${rack.utilizationPct !== null ? ` (${formatPct(rack.utilizationPct)} of budget)` : ''}${rack.zoneName ? ` · zone ${rack.zoneName}` : ''}`}</title>
              <rect
                x={rack.gridX * TILE + 2}
                y={rack.gridY * TILE + 2}
                width={TILE - 4}
                height={TILE * 1.5 - 4}
                rx={3}
                fill={STATUS_FILL[rack.status] ?? '#cbd5e1'}
                stroke={rack.zoneName ? '#7c3aed' : '#0f172a'}
                strokeWidth={rack.zoneName ? 2.5 : 1}
                strokeDasharray={rack.coolingKind === 'direct-liquid' ? '4 2' : undefined}
              />
              <text x={rack.gridX * TILE + TILE / 2} y={rack.gridY * TILE + TILE * 0.8} textAnchor="middle" fontSize={8} fill="#0f172a">
                {rack.name.split('-').at(-1)}
              </text>
              {rack.accelerators && (
                <text x={rack.gridX * TILE + TILE / 2} y={rack.gridY * TILE + TILE * 1.25} textAnchor="middle" fontSize={7} fontWeight={600} fill={rack.accelerators === 'tpu' ? '#6d28d9' : '#0f172a'}>
                  {rack.accelerators === 'tpu' ? 'TPU' : 'GPU'}
                </text>
              )}
            </g>
          </Link>
        ))}
      </svg>
      <ul className="mt-2 flex flex-wrap gap-4 text-xs text-slate-600" aria-label="Legend">
        {Object.entries(STATUS_FILL).map(([status, fill]) => (
          <li key={status} className="flex items-center gap-1">
            <span className="inline-block h-3 w-3 rounded-sm" style={{ background: fill }} /> {status}
          </li>
        ))}
        <li className="flex items-center gap-1">
          <span className="inline-block h-3 w-3 rounded-sm border-2 border-violet-600" /> in a security zone of its own
        </li>
        <li>dashed outline: direct liquid cooling</li>
        <li>GPU / TPU: the rack's accelerators</li>
      </ul>
    </div>
  );
}
