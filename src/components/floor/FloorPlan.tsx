'use client';

import Link from 'next/link';
import { useState } from 'react';
import { formatPct, formatPowerW } from '@/domain/units';
import { sequentialScale } from './colour-scale';
import { FloorCanvas } from './FloorCanvas';
import { LABEL_UNITS, RACK_DEPTH_TILES, rackLabel, TILE } from './geometry';

export type FloorRack = {
  id: number;
  name: string;
  rowName?: string | null;
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

const STATUS_FILL: Record<string, string> = { active: '#10b981', planned: '#38bdf8', maintenance: '#f59e0b', decommissioned: '#94a3b8' };
const NO_DATA_FILL = '#e2e8f0';
/** Load as a share of the rack's power budget, 0-100 %; above 100 % the rack gets a red outline as well. */
const LOAD_SCALE = sequentialScale(0, 100);
type ColourBy = 'status' | 'load';

/** The hall's floor with each rack on its tile, coloured by status or by load; every rack links to its elevation. */
export function FloorPlan({ columns, rows, racks }: { columns: number; rows: number; racks: FloorRack[] }) {
  const [colourBy, setColourBy] = useState<ColourBy>('status');
  const fillOf = (rack: FloorRack) =>
    colourBy === 'status' ? (STATUS_FILL[rack.status] ?? '#cbd5e1') : rack.utilizationPct === null ? NO_DATA_FILL : LOAD_SCALE.fill(rack.utilizationPct);
  const textOf = (rack: FloorRack) => (colourBy === 'load' && rack.utilizationPct !== null ? LOAD_SCALE.text(rack.utilizationPct) : '#0f172a');
  return (
    <div>
      <fieldset className="mb-2 flex items-center gap-2 text-sm" aria-label="Colour racks by">
        <span className="text-slate-500">Colour by</span>
        {(['status', 'load'] as const).map((mode) => (
          <button
            key={mode}
            type="button"
            aria-pressed={colourBy === mode}
            className="rounded border border-slate-300 px-2 py-0.5 aria-pressed:bg-slate-900 aria-pressed:text-white"
            onClick={() => setColourBy(mode)}
          >
            {mode === 'status' ? 'status' : 'load of budget'}
          </button>
        ))}
      </fieldset>
      <FloorCanvas racks={racks} columns={columns} rows={rows} label="Hall floor plan" testId="floor-plan">
        {racks.map((rack) => {
          const over = rack.utilizationPct !== null && rack.utilizationPct > 100;
          return (
            <Link key={rack.id} href={`/racks/${rack.id}`} aria-label={`Rack ${rack.name}`} data-testid="floor-rack" data-accelerators={rack.accelerators ?? ''}>
              <g>
                <title>{`${rack.name}${rack.accelerators ? ` · ${rack.accelerators === 'tpu' ? 'TPU' : 'GPU'} rack` : ''} · ${rack.status} · ${formatPowerW(rack.loadW)}${rack.utilizationPct !== null ? ` (${formatPct(rack.utilizationPct)} of budget)` : ''}${rack.zoneName ? ` · zone ${rack.zoneName}` : ''}`}</title>
                <rect
                  x={rack.gridX * TILE + 2}
                  y={rack.gridY * TILE + 2}
                  width={TILE - 4}
                  height={TILE * RACK_DEPTH_TILES - 4}
                  rx={3}
                  fill={fillOf(rack)}
                  stroke={colourBy === 'load' && over ? '#dc2626' : rack.zoneName ? '#7c3aed' : '#0f172a'}
                  strokeWidth={(colourBy === 'load' && over) || rack.zoneName ? 2.5 : 1}
                  strokeDasharray={rack.coolingKind === 'direct-liquid' ? '4 2' : undefined}
                />
                <text x={rack.gridX * TILE + TILE / 2} y={rack.gridY * TILE + (TILE * RACK_DEPTH_TILES) / 2} textAnchor="middle" dominantBaseline="central" fontSize={LABEL_UNITS} fill={textOf(rack)} data-testid="floor-rack-label">
                  {rackLabel(rack.name)}
                </text>
              </g>
            </Link>
          );
        })}
      </FloorCanvas>
      <ul className="mt-2 flex flex-wrap items-center gap-4 text-xs text-slate-600" aria-label="Legend">
        {colourBy === 'status' ? (
          Object.entries(STATUS_FILL).map(([status, fill]) => (
            <li key={status} className="flex items-center gap-1">
              <span className="inline-block h-3 w-3 rounded-sm" style={{ background: fill }} /> {status}
            </li>
          ))
        ) : (
          <>
            <li className="flex items-center gap-1">
              0 % <span className="inline-block h-3 w-32 rounded-sm" style={{ background: LOAD_SCALE.gradient }} /> 100 % of the rack's power budget
            </li>
            <li className="flex items-center gap-1">
              <span className="inline-block h-3 w-3 rounded-sm border-2 border-red-600" /> over budget
            </li>
            <li className="flex items-center gap-1">
              <span className="inline-block h-3 w-3 rounded-sm" style={{ background: NO_DATA_FILL }} /> no budget
            </li>
          </>
        )}
        <li className="flex items-center gap-1">
          <span className="inline-block h-3 w-3 rounded-sm border-2 border-violet-600" /> in a security zone of its own
        </li>
        <li>dashed outline: direct liquid cooling</li>
        <li>GPU / TPU: the rack's accelerators</li>
      </ul>
    </div>
  );
}
