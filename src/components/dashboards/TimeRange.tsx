'use client';

import { useState } from 'react';
import { fromDateTimeInput, toDateTimeInput } from '@/domain/units';

export type TimeWindow = { sinceMs: number; untilMs?: number };

const PRESETS = [
  { label: '15 min', ms: 15 * 60_000 },
  { label: '1 h', ms: 3_600_000 },
  { label: '24 h', ms: 86_400_000 },
  { label: '7 d', ms: 7 * 86_400_000 },
] as const;


/** 15 min / 1 h / 24 h / 7 d ending now, or a custom from-to range (UTC, like every time shown). */
export function TimeRangePicker({ value, onChange }: { value: TimeWindow; onChange: (w: TimeWindow) => void }) {
  const [custom, setCustom] = useState(value.untilMs !== undefined);
  const [from, setFrom] = useState(() => toDateTimeInput(Date.now() - 3_600_000));
  const [to, setTo] = useState(() => toDateTimeInput(Date.now()));
  const applyCustom = () => {
    const fromMs = fromDateTimeInput(from);
    const toMs = fromDateTimeInput(to);
    if (Number.isFinite(fromMs) && Number.isFinite(toMs) && toMs - fromMs >= 60_000) onChange({ sinceMs: toMs - fromMs, untilMs: toMs });
  };
  return (
    <fieldset className="flex flex-wrap items-center gap-2 text-sm" aria-label="Time range" data-testid="time-range">
      {PRESETS.map((p) => (
        <button
          key={p.label}
          type="button"
          aria-pressed={!custom && value.untilMs === undefined && value.sinceMs === p.ms}
          className="rounded border border-slate-300 px-2 py-1 aria-pressed:bg-slate-900 aria-pressed:text-white"
          onClick={() => {
            setCustom(false);
            onChange({ sinceMs: p.ms });
          }}
        >
          {p.label}
        </button>
      ))}
      <button type="button" aria-pressed={custom} className="rounded border border-slate-300 px-2 py-1 aria-pressed:bg-slate-900 aria-pressed:text-white" onClick={() => setCustom(true)}>
        Custom
      </button>
      {custom && (
        <span className="flex items-center gap-1">
          <label className="sr-only" htmlFor="range-from">From</label>
          <input id="range-from" type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} className="rounded border border-slate-300 px-1 py-0.5" />
          –
          <label className="sr-only" htmlFor="range-to">To</label>
          <input id="range-to" type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} className="rounded border border-slate-300 px-1 py-0.5" />
          <span className="text-xs text-slate-500">UTC</span>
          <button type="button" className="rounded bg-slate-900 px-2 py-1 text-white" onClick={applyCustom}>
            Apply
          </button>
        </span>
      )}
    </fieldset>
  );
}
