'use client';

import Link from 'next/link';
import type { ReactNode } from 'react';
import { formatTime } from '@/domain/units';

/**
 * A fixed-height number tile that links to its detail page; the value slot keeps its height while loading. `suffix`
 * is the value's smaller second part ("/ 100,800", "running"), so long counts fit the tile at 1024 px.
 */
export function Tile({ title, value, suffix, detail, href, testId }: { title: string; value: ReactNode; suffix?: ReactNode; detail?: ReactNode; href: string; testId: string }) {
  return (
    <Link href={href} className="block h-28 min-w-0 rounded-lg border border-slate-200 bg-white p-4 shadow-sm hover:border-sky-400 focus:outline-none focus:ring-2 focus:ring-sky-500" data-testid={testId}>
      <p className="truncate text-xs font-semibold uppercase tracking-wide text-slate-500">{title}</p>
      <p className="tabular mt-1 h-8 overflow-hidden whitespace-nowrap text-xl font-semibold text-slate-900 xl:text-2xl" data-testid={`${testId}-value`}>
        {value}
        {suffix !== undefined && <span className="text-sm font-normal text-slate-600 xl:text-base"> {suffix}</span>}
      </p>
      <p className="tabular h-5 truncate text-xs text-slate-500" title={typeof detail === 'string' ? detail : undefined}>
        {detail}
      </p>
    </Link>
  );
}

/** The tiles of a dashboard: 2, then 4 to a row; never so many that a tile is too narrow for its value. */
export function TileGrid({ children, testId, className = '' }: { children: ReactNode; testId?: string; className?: string }) {
  return (
    <div className={`grid grid-cols-2 gap-3 lg:grid-cols-4 ${className}`} data-testid={testId}>
      {children}
    </div>
  );
}

/** "Updated 12:00:01" from the server's time of the reading; `data-at` lets tests see each live update. */
export function LiveStamp({ atMs, status, testId = 'dash-updated' }: { atMs: number | undefined; status: string; testId?: string }) {
  return (
    <span className="tabular text-xs text-slate-500" data-testid={testId} data-at={atMs ?? ''} aria-live="polite">
      {status === 'error' ? 'stream error, retrying' : atMs ? `live · updated ${formatTime(atMs)}` : 'connecting…'}
    </span>
  );
}

/** A placeholder of a fixed height, so nothing moves when the data arrives. */
export function Placeholder({ className = 'h-40' }: { className?: string }) {
  return <div className={`${className} animate-pulse rounded bg-slate-100`} role="status" aria-busy="true" aria-label="Loading" />;
}

export function Definition({ children }: { children: ReactNode }) {
  return <p className="mt-2 text-xs text-slate-500">{children}</p>;
}
