import { formatDateTime } from '@/components/ui/format';

export type ChangeEntry = { id: number; at: Date | string; actor: string; action: string; objectType: string; objectId: string; before: unknown; after: unknown };

/** Field-by-field differences between the before and after snapshots. */
function diff(before: unknown, after: unknown): string {
  if (!before || !after) return '';
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  return Object.keys(a)
    .filter((key) => key !== 'updatedAt' && JSON.stringify(a[key]) !== JSON.stringify(b[key]))
    .map((key) => `${key}: ${JSON.stringify(b[key])} → ${JSON.stringify(a[key])}`)
    .join('; ');
}

/** What a create or delete shows: the object's name, and the override reason when it was placed past a capacity check. */
function summary(entry: ChangeEntry): string {
  const object = (entry.after ?? entry.before) as { name?: string; capacityOverride?: { reason?: string } } | null;
  const override = object?.capacityOverride?.reason ? ` (capacity override: ${object.capacityOverride.reason})` : '';
  return `${object?.name ?? ''}${override}`;
}

export function ChangeLogTable({ entries, showObject = false }: { entries: ChangeEntry[]; showObject?: boolean }) {
  if (entries.length === 0) return <p className="text-sm text-slate-500">No changes recorded.</p>;
  return (
    <table className="w-full text-sm" data-testid="change-log">
      <thead className="text-left text-slate-500">
        <tr>
          <th className="font-normal">When</th>
          <th className="font-normal">Who</th>
          <th className="font-normal">Action</th>
          {showObject && <th className="font-normal">Object</th>}
          <th className="font-normal">Change</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((entry) => (
          <tr key={entry.id} className="border-t border-slate-100 align-top">
            <td className="tabular whitespace-nowrap">{formatDateTime(entry.at)}</td>
            <td>{entry.actor}</td>
            <td>{entry.action}</td>
            {showObject && (
              <td>
                {entry.objectType} #{entry.objectId}
              </td>
            )}
            <td className="break-all font-mono text-xs">{entry.action === 'update' ? diff(entry.before, entry.after) : summary(entry)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
