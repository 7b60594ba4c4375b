'use client';

import { type ReactNode, useEffect, useRef, useState } from 'react';
import { formatDecimal } from '@/domain/units';
import { floorScale, floorViewBox, LABEL_UNITS, type PlacedRack, rowLabels } from './geometry';

/** The part of the window height a floor drawing may take before it stops growing with the width. */
const MAX_HEIGHT_SHARE = 0.7;

/**
 * The frame of a floor drawing: as wide as its card (cropped to the racks), labels never under 11 px (it scrolls
 * sideways instead), the row names left of each row. The racks themselves are the children, in drawing units.
 */
export function FloorCanvas({ racks, columns, rows, label, testId, children }: { racks: PlacedRack[]; columns: number; rows: number; label: string; testId: string; children: ReactNode }) {
  const frame = useRef<HTMLDivElement>(null);
  const [space, setSpace] = useState({ width: 0, height: 0 });
  useEffect(() => {
    const element = frame.current;
    if (!element) return;
    const measure = () => setSpace({ width: element.clientWidth, height: window.innerHeight * MAX_HEIGHT_SHARE });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  const box = floorViewBox(racks, columns, rows);
  const scale = floorScale(box, space.width, space.height);
  return (
    <div ref={frame} className="w-full overflow-x-auto" data-scale={formatDecimal(scale, 3)}>
      <svg
        viewBox={`${box.x} ${box.y} ${box.width} ${box.height}`}
        width={Math.round(box.width * scale)}
        height={Math.round(box.height * scale)}
        role="img"
        aria-label={label}
        data-testid={testId}
        className="mx-auto block rounded border border-slate-200 bg-white"
      >
        <title>{label}</title>
        {rowLabels(racks).map((row) => (
          <text key={row.name} x={row.x} y={row.y} textAnchor="end" dominantBaseline="central" fontSize={LABEL_UNITS} fontWeight={600} fill="#334155" data-testid="floor-row-label">
            {row.name}
          </text>
        ))}
        {children}
      </svg>
    </div>
  );
}
