'use client';

import Link from 'next/link';

export type ElevationDevice = {
  id: number;
  name: string;
  position: number | null;
  face: 'front' | 'rear' | null;
  uHeight: number;
  isFullDepth: boolean;
  status: string;
  kind: string;
  typeModel: string;
};

const U_PX = 18;
const WIDTH = 260;
const KIND_FILL: Record<string, string> = { server: '#bae6fd', switch: '#bbf7d0', storage: '#fde68a', 'rack-pdu': '#e9d5ff' };

/** One face of a rack, U1 at the bottom; empty units are drawn and numbered so free space is visible. */
export function RackElevation({ uHeight, face, devices, onEmptyUnit }: { uHeight: number; face: 'front' | 'rear'; devices: ElevationDevice[]; onEmptyUnit?: (u: number) => void }) {
  const visible = devices.filter((d) => d.position !== null && (d.face === face || d.isFullDepth));
  const occupied = new Set<number>();
  for (const d of visible) for (let u = d.position!; u < d.position! + Math.max(d.uHeight, 1); u++) occupied.add(u);
  const height = uHeight * U_PX;
  const yOf = (u: number) => (uHeight - u) * U_PX;
  return (
    <figure aria-label={`${face} elevation`} data-testid={`elevation-${face}`}>
      <figcaption className="mb-1 text-sm font-medium capitalize text-slate-600">{face}</figcaption>
      <svg viewBox={`0 0 ${WIDTH + 28} ${height + 2}`} width={WIDTH + 28} height={height + 2} role="img" aria-label={`Rack ${face} elevation`}>
        <title>{`Rack ${face}`}</title>
        {Array.from({ length: uHeight }, (_, i) => {
          const u = i + 1;
          return (
            <g key={u}>
              <text x={20} y={yOf(u) + U_PX * 0.7} textAnchor="end" fontSize={9} fill="#64748b">
                {u}
              </text>
              {!occupied.has(u) && (
                // biome-ignore lint/a11y/noStaticElementInteractions: a mouse shortcut; the add-device form is the keyboard path
                <rect
                  x={26}
                  y={yOf(u) + 1}
                  width={WIDTH}
                  height={U_PX - 2}
                  fill="#f8fafc"
                  stroke="#e2e8f0"
                  data-testid="empty-unit"
                  className={onEmptyUnit ? 'cursor-pointer hover:fill-sky-50' : undefined}
                  onClick={onEmptyUnit ? () => onEmptyUnit(u) : undefined}
                />
              )}
            </g>
          );
        })}
        {visible.map((device) => {
          const h = Math.max(device.uHeight, 1) * U_PX;
          const y = yOf(device.position! + Math.max(device.uHeight, 1) - 1);
          return (
            <Link key={`${device.id}-${face}`} href={`/devices/${device.id}`} aria-label={`${device.name} at U${device.position}`} data-testid="elevation-device">
              <g>
                <title>{`${device.name} · ${device.typeModel} · U${device.position}${device.uHeight > 1 ? `-U${device.position! + device.uHeight - 1}` : ''} · ${device.status}`}</title>
                <rect x={26} y={y + 1} width={WIDTH} height={h - 2} rx={2} fill={KIND_FILL[device.kind] ?? '#e2e8f0'} stroke="#334155" opacity={device.face === face ? 1 : 0.55} />
                <text x={32} y={y + Math.min(h, U_PX) * 0.7} fontSize={10} fill="#0f172a">
                  {device.name}
                  {device.face !== face ? ' (full depth)' : ''}
                </text>
              </g>
            </Link>
          );
        })}
      </svg>
    </figure>
  );
}
