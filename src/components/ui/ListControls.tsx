import { inputClass } from '@/components/forms/Field';

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
