'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { StatusBadge } from '@/components/ui/Badge';
import { Card, EmptyState } from '@/components/ui/Card';
import { ErrorMessage, Loading } from '@/components/ui/Loading';
import { PageHeader } from '@/components/ui/PageHeader';
import { formatPowerW, formatWeightKg } from '@/domain/units';
import { useTRPC } from '@/trpc/client';

/** One device type: its facts, PSU and interface templates, and the devices of that type. */
export function DeviceTypeView({ id }: { id: number }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.deviceTypes.get.queryOptions({ id }));
  if (query.isPending) return <Loading label="Loading device type" />;
  if (query.isError) return <ErrorMessage error={query.error} />;
  const { type, devices, deviceCount } = query.data;
  // A NetBox file without power ports, or with ports but no maximum_draw, says nothing about power: say so, not "0 W".
  const nameplate =
    type.nameplatePowerW > 0 ? formatPowerW(type.nameplatePowerW) : type.psuTemplates.length === 0 ? 'none given (no power ports in the source)' : 'unknown (the power ports give no maximum draw)';
  const facts: [string, string][] = [
    ['Manufacturer', type.manufacturer],
    ['Part number', type.partNumber || '—'],
    ['Kind', type.kind],
    ['Height', `${type.uHeight} U${type.isFullDepth ? '' : ' (half depth)'}`],
    ['Airflow', type.airflow ?? '—'],
    ['Weight', formatWeightKg(type.weightKg)],
    ['Nameplate power', nameplate],
    ['Typical power', type.typicalPowerW > 0 ? formatPowerW(type.typicalPowerW) : 'unknown'],
    ['Accelerators', type.acceleratorSlots > 0 ? `${type.acceleratorSlots} × ${type.acceleratorModel ?? 'unknown model'}` : 'none'],
    ['Source', type.source],
    ['Slug', type.slug],
  ];
  return (
    <>
      <PageHeader title={`${type.manufacturer} ${type.model}`} crumbs={[{ href: '/', label: 'Overview' }, { href: '/device-types', label: 'Device types' }]} />
      <div className="grid gap-6 lg:grid-cols-2">
        <Card title="Device type">
          <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-1 text-sm" data-testid="devicetype-facts">
            {facts.map(([label, value]) => (
              <div key={label} className="contents">
                <dt className="text-slate-500">{label}</dt>
                <dd className="tabular">{value}</dd>
              </div>
            ))}
          </dl>
        </Card>
        <Card title="Power supplies" testId="devicetype-psus">
          {type.psuTemplates.length === 0 ? (
            <EmptyState>No power ports: devices of this type count 0 W of allocated load in rack and upstream headroom.</EmptyState>
          ) : (
            <table className="w-full text-sm">
              <thead className="text-left text-slate-500">
                <tr>
                  <th className="font-normal">PSU</th>
                  <th className="text-right font-normal">Maximum draw</th>
                  <th className="text-right font-normal">Allocated draw</th>
                </tr>
              </thead>
              <tbody>
                {type.psuTemplates.map((psu) => (
                  <tr key={psu.name} className="border-t border-slate-100">
                    <td>{psu.name}</td>
                    <td className="tabular text-right">{psu.maximumDrawW > 0 ? formatPowerW(psu.maximumDrawW) : 'unknown'}</td>
                    <td className="tabular text-right">{psu.allocatedDrawW ? formatPowerW(psu.allocatedDrawW) : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
        <Card title="Interfaces" testId="devicetype-interfaces">
          {type.interfaceTemplates.length === 0 ? (
            <EmptyState>No interfaces defined.</EmptyState>
          ) : (
            <table className="w-full text-sm">
              <thead className="text-left text-slate-500">
                <tr>
                  <th className="font-normal">Interface</th>
                  <th className="font-normal">Kind</th>
                  <th className="text-right font-normal">Speed</th>
                </tr>
              </thead>
              <tbody>
                {type.interfaceTemplates.map((iface) => (
                  <tr key={iface.name} className="border-t border-slate-100">
                    <td>{iface.name}</td>
                    <td>{iface.kind}</td>
                    <td className="tabular text-right">{iface.speedGbps} Gb/s</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
        <Card title={`Devices of this type (${deviceCount})`} testId="devicetype-devices">
          {devices.length === 0 ? (
            <EmptyState>No device of this type yet.</EmptyState>
          ) : (
            <ul className="space-y-1 text-sm">
              {devices.map((device) => (
                <li key={device.id}>
                  <Link href={`/devices/${device.id}`} className="text-sky-700 hover:underline">
                    {device.name}
                  </Link>{' '}
                  <StatusBadge status={device.status} /> <span className="text-slate-500">{device.rackName ? `${device.rackName} U${device.position}` : 'not racked'}</span>
                </li>
              ))}
              {deviceCount > devices.length && <li className="text-slate-500">and {deviceCount - devices.length} more</li>}
            </ul>
          )}
        </Card>
      </div>
    </>
  );
}
