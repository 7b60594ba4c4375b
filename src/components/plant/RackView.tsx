'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useCan } from '@/components/auth/useMe';
import { RackElevation } from '@/components/rack/RackElevation';
import { Badge, StatusBadge } from '@/components/ui/Badge';
import { Card } from '@/components/ui/Card';
import { ErrorMessage, Loading } from '@/components/ui/Loading';
import { Meter } from '@/components/ui/Meter';
import { ButtonLink, PageHeader } from '@/components/ui/PageHeader';
import { formatPowerKw, formatPowerW, formatWeightKg } from '@/domain/units';
import { LoadFigures, loadBasisOf } from '@/components/ui/LoadFigure';
import { useTRPC } from '@/trpc/client';
import { ChangeLogTable } from './ChangeLogTable';
import { useHallCrumbs } from './useSite';
import { RackLiveCharts } from '@/components/dashboards/RackLiveCharts';
import { RackClusterStatus } from '@/components/clusters/RackClusterStatus';

export function RackView({ id }: { id: number }) {
  const trpc = useTRPC();
  const router = useRouter();
  const canEdit = useCan('operate', 'plan');
  const query = useQuery(trpc.racks.get.queryOptions({ id }));
  const hallCrumbs = useHallCrumbs(query.data?.hall.id);
  const changes = useQuery(trpc.changes.list.queryOptions({ rackId: id, limit: 20 }));
  if (query.isPending) return <Loading label="Loading rack" />;
  if (query.isError) return <ErrorMessage error={query.error} />;
  const { rack, row, zone, devices, power, cooling, headroom } = query.data;
  const weightKg = devices.reduce((sum, d) => sum + d.weightKg, 0);
  const usedFront = devices.filter((d) => d.face === 'front' || d.isFullDepth).reduce((sum, d) => sum + d.uHeight, 0);
  const addAt = (u: number) => router.push(`/devices/new?rackId=${rack.id}&position=${u}`);
  return (
    <>
      <PageHeader
        title={`Rack ${rack.name}`}
        crumbs={[{ href: '/', label: 'Overview' }, ...hallCrumbs, { label: `Row ${row.name}` }]}
        actions={canEdit ? <ButtonLink href={`/devices/new?rackId=${rack.id}`}>Add device</ButtonLink> : undefined}
      />
      <p className="mb-4 flex flex-wrap items-center gap-2 text-sm text-slate-600">
        <StatusBadge status={rack.status} /> {rack.uHeight} U · {rack.coolingKind} cooling · budget {formatPowerKw(rack.maxPowerKw)} · max {formatWeightKg(rack.maxWeightKg)}
        {zone?.name && <Badge tone="blue">zone {zone.name} ({zone.accessLevel})</Badge>}
      </p>
      <div className="grid gap-6 lg:grid-cols-[auto_1fr]">
        <Card title="Elevation">
          <div className="flex gap-6">
            <RackElevation uHeight={rack.uHeight} face="front" devices={devices} onEmptyUnit={canEdit ? addAt : undefined} />
            <RackElevation uHeight={rack.uHeight} face="rear" devices={devices} onEmptyUnit={canEdit ? addAt : undefined} />
          </div>
        </Card>
        <div className="flex flex-col gap-6">
          <Card title="Capacity">
            <div className="flex flex-col gap-3">
              <Meter label={`Power (${power ? `${loadBasisOf(power.basisCounts)} load` : 'no power data'})`} used={power?.loadW ?? 0} capacity={power?.capacityW ?? rack.maxPowerKw * 1000} format={(w) => formatPowerW(w)} testId="meter-power" />
 {power ? (
                <LoadFigures
                  testId="rack-load-figures"
                  figures={{
                    measured: power.measuredW ?? undefined,
                    allocated: power.allocatedW ? power.allocatedW : undefined,
                    nameplate: power.nameplateW,
                    budget: power.budgetW ?? undefined,
                    capacity: power.budgetW == null ? power.capacityW : undefined,
                  }}
                />
              ) : null}
              <Meter label="Weight" used={weightKg} capacity={rack.maxWeightKg} format={(kg) => formatWeightKg(kg)} testId="meter-weight" />
              <Meter label="Space (front)" used={usedFront} capacity={rack.uHeight} format={(u) => `${u} U`} testId="meter-space" />
              <dl className="grid grid-cols-2 gap-2 text-sm">
                <dt className="text-slate-500">Power headroom (with A/B failover)</dt>
                <dd className="tabular text-right">{formatPowerW(power?.powerHeadroomW)}</dd>
                <dt className="text-slate-500">Cooling headroom (N+1 kept)</dt>
                <dd className="tabular text-right">{formatPowerW(cooling?.coolingHeadroomW)}</dd>
                <dt className="text-slate-500">Planned load (nameplate, planned devices counted)</dt>
                <dd className="tabular text-right">{formatPowerW(headroom.plannedLoadW)}</dd>
                <dt className="text-slate-500">Power headroom for new devices (planned counted)</dt>
                <dd className="tabular text-right" data-testid="headroom-planned-power">{formatPowerW(headroom.powerHeadroomW)}</dd>
                <dt className="text-slate-500">Cooling headroom for new devices (planned counted)</dt>
                <dd className="tabular text-right">{formatPowerW(headroom.coolingHeadroomW)}</dd>
                <dt className="text-slate-500">A/B redundant feeds</dt>
                <dd className="text-right">{power ? (power.redundant ? 'yes' : 'no') : '—'}</dd>
              </dl>
            </div>
          </Card>
          <Card title={`Devices (${devices.length})`}>
            {devices.length === 0 ? (
              <p className="text-sm text-slate-500">This rack is empty. Click an empty unit in the elevation or use “Add device”.</p>
            ) : (
              <table className="w-full text-sm" data-testid="rack-devices">
                <thead className="text-left text-slate-500">
                  <tr>
                    <th className="font-normal">U</th>
                    <th className="font-normal">Name</th>
                    <th className="font-normal">Type</th>
                    <th className="font-normal">Status</th>
                    <th className="text-right font-normal">Nameplate</th>
                  </tr>
                </thead>
                <tbody>
                  {[...devices].reverse().map((device) => (
                    <tr key={device.id} className="border-t border-slate-100">
                      <td className="tabular">
                        U{device.position}
                        {device.uHeight > 1 ? `-${device.position! + device.uHeight - 1}` : ''} {device.face}
                      </td>
                      <td>
                        <Link className="text-sky-700 hover:underline" href={`/devices/${device.id}`}>
                          {device.name}
                        </Link>
                      </td>
                      <td>{device.typeModel}</td>
                      <td>
                        <StatusBadge status={device.status} />
                      </td>
                      <td className="tabular text-right">{formatPowerW(device.nameplatePowerW)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Card>
          <RackClusterStatus rackId={id} />
          <Card title="Change log">{changes.data ? <ChangeLogTable entries={changes.data.items} showObject /> : <Loading />}</Card>
        </div>
      </div>
      <RackLiveCharts rackName={rack.name} />
    </>
  );
}
