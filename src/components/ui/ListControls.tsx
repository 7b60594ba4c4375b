import { inputClass } from '@/components/forms/Field';
import { formatCount } from '@/domain/units';

/** The next page of a cursor-paginated list; hidden when there is none. */
export function LoadMore({ query, label = 'Load more' }: { query: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown }; label?: string }) {
  if (!query.hasNextPage) return null;
  return (
    <button type="button" className="mt-3 rounded border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-50" onClick={() => query.fetchNextPage()} disabled={query.isFetchingNextPage}>
      {query.isFetchingNextPage ? 'Loading…' : label}
    </button>
  );
}

/** A labelled filter over a fixed set of values, with "any" first. */
export function FilterSelect<T extends string>({ label, value, options, onChange }: { label: string; value: T | ''; options: readonly T[]; onChange: (value: T | '') => void }) {
  return (
    <label className="flex flex-col text-sm">
      <span className="text-slate-600">{label}</span>
      <select className={inputClass} value={value} onChange={(e) => onChange(e.target.value as T | '')} aria-label={`Filter by ${label.toLowerCase()}`}>
        <option value="">any</option>
        {options.map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * Previous / next over an offset-paged list, with where the page sits in the whole ("Racks 51–100 of 630"). Plain
 * buttons: reachable with Tab, pressed with Enter or Space; the range is announced when it changes.
 */
export function PageNav({ label, offset, limit, total, onOffset, busy = false }: { label: string; offset: number; limit: number; total: number; onOffset: (offset: number) => void; busy?: boolean }) {
  if (total === 0) return null;
  const first = offset + 1;
  const last = Math.min(offset + limit, total);
  const button = 'rounded border border-slate-300 px-3 py-1 text-sm hover:bg-slate-50 disabled:opacity-40';
  return (
    <nav className="mt-3 flex items-center gap-3 text-sm" aria-label={`${label} pages`}>
      <button type="button" className={button} onClick={() => onOffset(Math.max(0, offset - limit))} disabled={offset === 0 || busy}>
        Previous
      </button>
      <span className="tabular text-slate-600" aria-live="polite">
        {label} {formatCount(first)}–{formatCount(last)} of {formatCount(total)}
      </span>
      <button type="button" className={button} onClick={() => onOffset(offset + limit)} disabled={last >= total || busy}>
        Next
      </button>
    </nav>
  );
}
