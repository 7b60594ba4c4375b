'use client';

import { useInfiniteQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useDeferredValue, useState } from 'react';
import { Can } from '@/components/auth/Can';
import { inputClass } from '@/components/forms/Field';
import { StatusBadge } from '@/components/ui/Badge';
import { FilterSelect, LoadMore } from '@/components/ui/ListControls';
import { Card, EmptyState } from '@/components/ui/Card';
import { ErrorMessage, Loading } from '@/components/ui/Loading';
import { ButtonLink, PageHeader, SecondaryLink } from '@/components/ui/PageHeader';
import { formatPowerKw, formatPowerW, formatWeightKg } from '@/domain/units';
import { useTRPC } from '@/trpc/client';
import { csvExportHref } from '@/components/ui/format';

const STATUSES = ['planned', 'active', 'maintenance', 'decommissioned'] as const;

export function RackList() {
  const trpc = useTRPC();
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState<(typeof STATUSES)[number] | ''>('');
  const deferredSearch = useDeferredValue(search);
  const filters = { search: deferredSearch || undefined, status: status || undefined, limit: 50 };
  const query = useInfiniteQuery(trpc.racks.list.infiniteQueryOptions(filters, { getNextPageParam: (page) => page.nextCursor }));
  const csv = csvExportHref('racks.csv', { search: filters.search, status: filters.status });
  const racks = query.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <>
      <PageHeader
        title="Racks"
        crumbs={[{ href: '/', label: 'Overview' }]}
        actions={
          <>
            <SecondaryLink href={csv} download>
              Export CSV
            </SecondaryLink>
            <Can any={['operate', 'plan']}>
              <ButtonLink href="/racks/new">New rack</ButtonLink>
            </Can>
          </>
        }
      />
      <search className="mb-4 flex flex-wrap gap-3">
        <label className="flex flex-col text-sm">
          <span className="text-slate-600">Search</span>
          <input type="search" className={inputClass} value={search} onChange={(e) => setSearch(e.target.value)} placeholder="Rack name" aria-label="Search racks" />
        </label>
        <FilterSelect label="Status" value={status} options={STATUSES} onChange={setStatus} />
      </search>
      <Card title={`${racks.length}${query.hasNextPage ? '+' : ''} racks`}>
        {query.isPending ? (
          <Loading />
        ) : query.isError ? (
          <ErrorMessage error={query.error} />
        ) : racks.length === 0 ? (
          <EmptyState>No rack matches these filters.</EmptyState>
        ) : (
          <table className="w-full text-sm" data-testid="rack-list">
            <thead className="text-left text-slate-500">
              <tr>
                <th className="font-normal">Rack</th>
                <th className="font-normal">Hall / row</th>
                <th className="font-normal">Status</th>
                <th className="text-right font-normal">Devices</th>
                <th className="text-right font-normal">Used</th>
                <th className="text-right font-normal">Nameplate</th>
                <th className="text-right font-normal">Budget</th>
                <th className="text-right font-normal">Weight</th>
                <th className="font-normal">Zone</th>
              </tr>
            </thead>
            <tbody>
              {racks.map((rack) => (
                <tr key={rack.id} className="border-t border-slate-100">
                  <td>
                    <Link className="text-sky-700 hover:underline" href={`/racks/${rack.id}`}>
                      {rack.name}
                    </Link>
                  </td>
                  <td>
                    {rack.hallName} / {rack.rowName}
                  </td>
                  <td>
                    <StatusBadge status={rack.status} />
                  </td>
                  <td className="tabular text-right">{rack.deviceCount}</td>
                  <td className="tabular text-right">
                    {rack.usedU} / {rack.uHeight} U
                  </td>
                  <td className="tabular text-right">{formatPowerW(rack.nameplateW)}</td>
                  <td className="tabular text-right">{formatPowerKw(rack.maxPowerKw)}</td>
                  <td className="tabular text-right">
                    {formatWeightKg(rack.weightKg)} / {formatWeightKg(rack.maxWeightKg)}
                  </td>
                  <td>{rack.zoneName ?? '—'}</td>
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
