'use client';

import Link from 'next/link';
import type { ReactNode } from 'react';
import { formatTime } from '@/domain/units';

/** A fixed-height number tile that links to its detail page; the value slot keeps its height while loading. */
export function Tile({ title, value, detail, href, testId }: { title: string; value: ReactNode; detail?: ReactNode; href: string; testId: string }) {
  return (
    <Link href={href} className="block h-28 rounded-lg border border-slate-200 bg-white p-4 shadow-sm hover:border-sky-400 focus:outline-none focus:ring-2 focus:ring-sky-500" data-testid={testId}>
      <p className="text-xs font-semibold uppercase tracking-wide text-slate-500">{title}</p>
      <p className="tabular mt-1 h-8 truncate text-2xl font-semibold text-slate-900" data-testid={`${testId}-value`}>
        {value}
      </p>
      <p className="tabular h-5 truncate text-xs text-slate-500">{detail}</p>
    </Link>
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
