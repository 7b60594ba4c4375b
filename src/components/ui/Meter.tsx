import { formatPct } from '@/domain/units';

/** A horizontal bar of used vs capacity, with the label and both values in words. */
export function Meter({ label, used, capacity, format, testId }: { label: string; used: number; capacity: number | null; format: (value: number) => string; testId?: string }) {
  const pct = capacity && capacity > 0 ? (used / capacity) * 100 : null;
  const colour = pct === null ? 'bg-slate-400' : pct > 100 ? 'bg-red-500' : pct >= 80 ? 'bg-amber-500' : 'bg-emerald-500';
  return (
    <div className="text-sm" data-testid={testId}>
      <div className="flex justify-between">
        <span className="text-slate-600">{label}</span>
        <span className="tabular">
          {format(used)} / {capacity === null ? '—' : format(capacity)} {pct !== null && <span className="text-slate-500">({formatPct(pct)})</span>}
        </span>
      </div>
      <div className="mt-1 h-2 w-full overflow-hidden rounded bg-slate-100" aria-hidden="true">
        <div className={`h-full ${colour}`} style={{ width: `${Math.min(pct ?? 0, 100)}%` }} />
      </div>
    </div>
  );
}
