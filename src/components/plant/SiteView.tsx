'use client';

import Link from 'next/link';
import { Card } from '@/components/ui/Card';
import { ErrorMessage, Loading } from '@/components/ui/Loading';
import { PageHeader } from '@/components/ui/PageHeader';
import { useTRPC } from '@/trpc/client';
import { useQuery } from '@tanstack/react-query';
import { formatPowerKw } from '@/domain/units';

export function SiteView({ id }: { id: number }) {
  const trpc = useTRPC();
  const sites = useQuery(trpc.sites.listWithHalls.queryOptions());
  if (sites.isPending) return <Loading />;
  if (sites.isError) return <ErrorMessage error={sites.error} />;
  const site = sites.data.find((s) => s.id === id);
  if (!site) return <ErrorMessage error={{ message: `No site with id ${id}.` }} />;
  return (
    <>
      <PageHeader title={site.name} crumbs={[{ href: '/', label: 'Overview' }]} />
      <p className="mb-4 text-sm text-slate-600">
        {site.address} · {site.timeZone} · utility capacity {formatPowerKw(site.utilityCapacityKw)} · PUE target {site.pueTarget}
      </p>
      <div className="grid gap-4 md:grid-cols-2">
        {site.halls.map((hall) => (
          <Card key={hall.id} title={hall.name}>
            <p className="text-sm text-slate-600">
              {hall.coolingType} cooling · {hall.rackCount} racks · design IT load {formatPowerKw(hall.designItLoadKw)}
            </p>
            <Link href={`/halls/${hall.id}`} className="mt-2 inline-block text-sm text-sky-700 hover:underline" data-testid="hall-link">
              Floor plan of {hall.name} →
            </Link>
          </Card>
        ))}
      </div>
      <ul className="mt-6 flex gap-4 text-sm">
        <li>
          <Link className="text-sky-700 hover:underline" href={`/power?site=${site.id}`}>
            Power chain →
          </Link>
        </li>
        <li>
          <Link className="text-sky-700 hover:underline" href={`/cooling?site=${site.id}`}>
            Cooling →
          </Link>
        </li>
        <li>
          <Link className="text-sky-700 hover:underline" href={`/network?site=${site.id}`}>
            Network and zones →
          </Link>
        </li>
      </ul>
    </>
  );
}
