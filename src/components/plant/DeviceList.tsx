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
import { formatPowerW } from '@/domain/units';
import { useTRPC } from '@/trpc/client';
import { csvExportHref } from '@/components/ui/format';

const STATUSES = ['planned', 'active', 'maintenance', 'failed', 'decommissioned'] as const;
const KINDS = ['server', 'switch', 'storage', 'rack-pdu', 'ups', 'crah', 'cdu', 'patch-panel', 'power-shelf', 'other'] as const;

export function DeviceList() {
  const trpc = useTRPC();
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState<(typeof STATUSES)[number] | ''>('');
  const [kind, setKind] = useState<(typeof KINDS)[number] | ''>('');
  const deferredSearch = useDeferredValue(search);
  const filters = { search: deferredSearch || undefined, status: status || undefined, kind: kind || undefined, limit: 50 };
  const query = useInfiniteQuery(trpc.devices.list.infiniteQueryOptions(filters, { getNextPageParam: (page) => page.nextCursor }));
  const devices = query.data?.pages.flatMap((page) => page.items) ?? [];
  const csv = csvExportHref('devices.csv', { search: filters.search, status: filters.status, kind: filters.kind });
  return (
    <>
      <PageHeader
        title="Devices"
        crumbs={[{ href: '/', label: 'Overview' }]}
        actions={
          <>
            <SecondaryLink href={csv} download>
              Export CSV
            </SecondaryLink>
            <Can any={['operate', 'plan']}>
              <ButtonLink href="/devices/new">New device</ButtonLink>
            </Can>
          </>
        }
      />
      <search className="mb-4 flex flex-wrap gap-3">
        <label className="flex flex-col text-sm">
          <span className="text-slate-600">Search</span>
          <input type="search" className={inputClass} value={search} onChange={(e) => setSearch(e.target.value)} placeholder="Name, serial, asset tag, hostname" aria-label="Search devices" />
        </label>
        <FilterSelect label="Status" value={status} options={STATUSES} onChange={setStatus} />
        <FilterSelect label="Kind" value={kind} options={KINDS} onChange={setKind} />
      </search>
      <Card title={`${devices.length}${query.hasNextPage ? '+' : ''} devices`}>
        {query.isPending ? (
          <Loading />
        ) : query.isError ? (
          <ErrorMessage error={query.error} />
        ) : devices.length === 0 ? (
          <EmptyState>No device matches these filters.</EmptyState>
        ) : (
          <table className="w-full text-sm" data-testid="device-list">
            <thead className="text-left text-slate-500">
              <tr>
                <th className="font-normal">Name</th>
                <th className="font-normal">Type</th>
                <th className="font-normal">Status</th>
                <th className="font-normal">Rack / U</th>
                <th className="font-normal">Serial</th>
                <th className="text-right font-normal">Nameplate</th>
              </tr>
            </thead>
            <tbody>
              {devices.map((device) => (
                <tr key={device.id} className="border-t border-slate-100">
                  <td>
                    <Link className="text-sky-700 hover:underline" href={`/devices/${device.id}`}>
                      {device.name}
                    </Link>
                  </td>
                  <td>
                    {device.manufacturer} {device.typeModel} <span className="text-slate-500">({device.kind})</span>
                  </td>
                  <td>
                    <StatusBadge status={device.status} />
                  </td>
                  <td>{device.rackName ? `${device.rackName} U${device.position} ${device.face}` : '—'}</td>
                  <td className="font-mono text-xs">{device.serial || '—'}</td>
                  <td className="tabular text-right">{formatPowerW(device.nameplatePowerW)}</td>
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
