'use client';

import { useInfiniteQuery } from '@tanstack/react-query';
import { useDeferredValue, useState } from 'react';
import { inputClass } from '@/components/forms/Field';
import { LoadMore } from '@/components/ui/ListControls';
import { Card, EmptyState } from '@/components/ui/Card';
import { ErrorMessage, Loading } from '@/components/ui/Loading';
import { PageHeader, SecondaryLink } from '@/components/ui/PageHeader';
import { useTRPC } from '@/trpc/client';
import { csvExportHref, formatDateTime } from '@/components/ui/format';

const OUTCOMES = ['ok', 'denied', 'error'] as const;

/** /admin/audit: the append-only audit trail, searchable and exportable as CSV. */
export function AuditView() {
  const trpc = useTRPC();
  const [search, setSearch] = useState('');
  const [outcome, setOutcome] = useState<(typeof OUTCOMES)[number] | ''>('');
  const deferred = useDeferredValue(search);
  const filters = { search: deferred || undefined, outcome: outcome || undefined };
  const query = useInfiniteQuery(trpc.audit.list.infiniteQueryOptions({ ...filters, limit: 100 }, { getNextPageParam: (page) => page.nextCursor }));
  const csv = csvExportHref('audit.csv', filters);
  const rows = query.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <>
      <PageHeader
        title="Audit trail"
        crumbs={[{ href: '/', label: 'Overview' }]}
        actions={
          <SecondaryLink href={csv} download>
            Export CSV
          </SecondaryLink>
        }
      />
      <search className="mb-4 flex flex-wrap gap-3">
        <input type="search" className={inputClass} value={search} onChange={(e) => setSearch(e.target.value)} placeholder="Actor, action, object, address, detail" aria-label="Search the audit trail" />
        <select aria-label="Outcome" className={inputClass} value={outcome} onChange={(e) => setOutcome(e.target.value as typeof outcome)}>
          <option value="">any outcome</option>
          {OUTCOMES.map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
      </search>
      <Card title="Entries">
        {query.isPending ? (
          <Loading />
        ) : query.error ? (
          <ErrorMessage error={query.error} />
        ) : rows.length === 0 ? (
          <EmptyState>No entries match.</EmptyState>
        ) : (
          <table className="w-full text-sm" data-testid="audit">
            <thead>
              <tr className="text-left text-slate-500">
                <th>When</th>
                <th>Actor</th>
                <th>Address</th>
                <th>Action</th>
                <th>Outcome</th>
                <th>Object</th>
                <th>Detail</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.id} className="border-t border-slate-100 align-top" data-testid="audit-row">
                  <td className="whitespace-nowrap py-1.5 text-slate-500">{formatDateTime(row.at)}</td>
                  <td>
                    {row.actor}
                    {row.tokenId ? <span className="text-xs text-slate-500"> (token {row.tokenId})</span> : null}
                  </td>
                  <td className="font-mono text-xs">{row.address}</td>
                  <td className="font-mono text-xs">{row.action}</td>
                  <td className={row.outcome === 'ok' ? 'text-green-700' : 'text-red-700'}>{row.outcome}</td>
                  <td>{row.objectType ? `${row.objectType} ${row.objectId ?? ''}` : ''}</td>
                  <td className="max-w-md">
                    <details>
                      <summary className="cursor-pointer text-xs text-slate-500">show</summary>
                      <pre className="overflow-x-auto whitespace-pre-wrap text-xs">{JSON.stringify({ before: row.before, after: row.after, detail: row.detail }, null, 2)}</pre>
                    </details>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <LoadMore query={query} />
      </Card>
    </>
  );
}
