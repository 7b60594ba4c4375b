'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { Can } from '@/components/auth/Can';
import { FloorPlan } from '@/components/floor/FloorPlan';
import { Badge, StatusBadge, utilisationTone } from '@/components/ui/Badge';
import { Card } from '@/components/ui/Card';
import { PageNav } from '@/components/ui/ListControls';
import { ErrorMessage, Loading } from '@/components/ui/Loading';
import { ButtonLink, PageHeader } from '@/components/ui/PageHeader';
import { formatPct, formatPowerKw, formatPowerW } from '@/domain/units';
import { LoadCell, LoadFigure, LoadHeader, loadBasisOfFigures } from '@/components/ui/LoadFigure';
import { useTRPC } from '@/trpc/client';
import { ThermalPanels } from '@/components/dashboards/ThermalDashboard';

export function HallView({ id }: { id: number }) {
  const trpc = useTRPC();
  const plan = useQuery(trpc.halls.floorPlan.queryOptions({ id }));
  if (plan.isPending) return <Loading label="Loading floor plan" />;
  if (plan.isError) return <ErrorMessage error={plan.error} />;
  const { hall, site, zone, racks, tpuPods } = plan.data;
  return (
    <>
      <PageHeader
        title={hall.name}
        crumbs={[{ href: '/', label: 'Overview' }, { href: `/sites/${site.id}`, label: site.name }]}
        actions={
          <Can any={['operate', 'plan']}>
            <ButtonLink href={`/racks/new?hallId=${hall.id}`}>New rack</ButtonLink>
          </Can>
        }
      />
      <p className="mb-4 text-sm text-slate-600">
        {hall.coolingType} cooling · design IT load {formatPowerKw(hall.designItLoadKw)} · {racks.length} racks
        {zone?.name ? ` · zone ${zone.name} (${zone.accessLevel})` : ''}
      </p>
      <Card title="Floor plan">
        <FloorPlan columns={hall.gridColumns} rows={hall.gridRows} racks={racks} />
        {tpuPods.length > 0 && (
          <p className="mt-3 text-sm text-slate-700" data-testid="hall-tpu-pods">
            TPU pods in this hall:{' '}
            {tpuPods.map((p, i) => (
              <span key={p.id}>
                {i > 0 && ', '}
                <Link href={`/tpu/pods/${p.id}`} className="text-sky-700 hover:underline">
                  {p.name}
                </Link>{' '}
                ({p.generation})
              </span>
            ))}
          </p>
        )}
      </Card>
      <div className="mt-6">
        <ThermalPanels hallId={hall.id} compact />
      </div>
      <div className="mt-6">
        <Card title="Racks">
          <HallRackTable hallId={hall.id} />
        </Card>
      </div>
    </>
  );
}

const RACK_PAGE_SIZE = 50;

/** The hall's racks with load and headroom, one server-side page at a time (a hall can hold hundreds). */
function HallRackTable({ hallId }: { hallId: number }) {
  const trpc = useTRPC();
  const [offset, setOffset] = useState(0);
  const page = useQuery({ ...trpc.halls.rackTable.queryOptions({ id: hallId, offset, limit: RACK_PAGE_SIZE }), placeholderData: (previous) => previous });
  if (page.isPending) return <Loading label="Loading racks" />;
  if (page.isError) return <ErrorMessage error={page.error} />;
  const { racks, total } = page.data;
  if (total === 0) return <p className="text-sm text-slate-600">No racks in this hall yet.</p>;
  return (
    <>
      <table className="w-full text-sm" data-testid="hall-racks">
        <thead className="text-left text-slate-500">
          <tr>
            <th className="font-normal">Rack</th>
            <th className="font-normal">Row</th>
            <th className="font-normal">Status</th>
            <th className="text-right font-normal">Load (its basis)</th>
            <LoadHeader basis="budget" />
            <th className="text-right font-normal">Power headroom</th>
            <th className="text-right font-normal">Cooling headroom</th>
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
              <td>{rack.rowName}</td>
              <td>
                <StatusBadge status={rack.status} />
              </td>
              <td className="text-right">
                <LoadFigure basis={loadBasisOfFigures(rack.measuredW, rack.allocatedW)} powerW={rack.loadW} /> <Badge tone={utilisationTone(rack.utilizationPct)}>{formatPct(rack.utilizationPct)}</Badge>
              </td>
              <LoadCell basis="budget" powerW={rack.maxPowerKw * 1000} />
              <td className="tabular text-right">{formatPowerW(rack.powerHeadroomW)}</td>
              <td className="tabular text-right">{formatPowerW(rack.coolingHeadroomW)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <PageNav label="Racks" offset={page.data.offset} limit={page.data.limit} total={total} onOffset={setOffset} busy={page.isPlaceholderData} />
    </>
  );
}
