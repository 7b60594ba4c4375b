'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { StatusBadge } from '@/components/ui/Badge';
import { Card } from '@/components/ui/Card';
import { ErrorMessage, Loading } from '@/components/ui/Loading';
import { PageHeader } from '@/components/ui/PageHeader';
import { type ComputePartitionMode, type MemoryPartitionMode, PARTITIONS_PER_GPU } from '@/domain/amd-partitions';
import { formatGib, formatPowerW, formatWeightKg } from '@/domain/units';
import { useTRPC } from '@/trpc/client';
import { ChangeLogTable } from './ChangeLogTable';
import { useHallCrumbs } from './useSite';
import { DeviceTelemetry } from '@/components/telemetry/LiveMetricChart';

export function DeviceView({ id }: { id: number }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.devices.get.queryOptions({ id }));
  const hallCrumbs = useHallCrumbs(query.data?.rack?.hallId);
  if (query.isPending) return <Loading label="Loading device" />;
  if (query.isError) return <ErrorMessage error={query.error} />;
  const { device, type, manufacturer, rack, accelerators, interfaces, power, changes } = query.data;
  // AMD Instinct GPUs: partition modes, and the junction temperature their exporter reports.
  const amd = accelerators.some((gpu) => gpu.computePartition !== null);
  const partitionModes = [...new Set(accelerators.filter((gpu) => gpu.computePartition !== null).map((gpu) => `${gpu.computePartition}/${gpu.memoryPartition}`))];
  const facts: [string, string][] = [
    ['Type', `${manufacturer} ${type.model}`],
    ['Kind', type.kind],
    ['Position', rack ? `${rack.name} U${device.position}${device.uHeight > 1 ? `-U${device.position! + device.uHeight - 1}` : ''} (${device.face})` : 'not racked'],
    ['Hostname', device.hostname ?? '—'],
    ['BMC address', device.bmcAddress ?? '—'],
    ['Serial', device.serial || '—'],
    ['Asset tag', device.assetTag ?? '—'],
    ['Nameplate power', formatPowerW(type.nameplatePowerW)],
    ['Typical power', formatPowerW(type.typicalPowerW)],
    ['Weight', formatWeightKg(device.weightKg)],
    ...(partitionModes.length > 0 ? [['GPU partition mode', partitionModes.join(', ')] as [string, string]] : []),
  ];
  return (
    <>
      <PageHeader title={device.name} crumbs={[{ href: '/', label: 'Overview' }, ...(rack ? [...hallCrumbs, { href: `/racks/${rack.id}`, label: `Rack ${rack.name}` }] : [{ href: '/devices', label: 'Devices' }])]} />
      <div className="grid gap-6 lg:grid-cols-2">
        <Card title="Device">
          <p className="mb-2">
            <StatusBadge status={device.status} />
          </p>
          <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-1 text-sm" data-testid="device-facts">
            {facts.map(([label, value]) => (
              <div key={label} className="contents">
                <dt className="text-slate-500">{label}</dt>
                <dd className="tabular">{value}</dd>
              </div>
            ))}
          </dl>
        </Card>
        <Card title={`Accelerators (${accelerators.length})`}>
          {accelerators.length === 0 ? (
            <p className="text-sm text-slate-500">No accelerators in this device.</p>
          ) : (
            <table className="w-full text-sm" data-testid="device-gpus">
              <thead className="text-left text-slate-500">
                <tr>
                  <th className="font-normal">#</th>
                  <th className="font-normal">Model</th>
                  <th className="font-normal">UUID</th>
                  <th className="font-normal">{amd ? 'XGMI domain' : 'NVLink domain'}</th>
                  {amd && <th className="font-normal">Partitions</th>}
                  <th className="font-normal">Health</th>
                </tr>
              </thead>
              <tbody>
                {accelerators.map((gpu) => (
                  <tr key={gpu.id} className="border-t border-slate-100">
                    <td>{gpu.index}</td>
                    <td>
                      {gpu.model} <span className="text-slate-500">({formatGib(gpu.memoryGib)}, {gpu.tdpW ? formatPowerW(gpu.tdpW) : 'TDP n/a'})</span>
                    </td>
                    <td className="font-mono text-xs">{gpu.uuid}</td>
                    <td>{gpu.nvlinkDomain ?? '—'}</td>
                    {amd && <td data-testid="gpu-partition">{partitionText(gpu)}</td>}
                    <td>
                      <StatusBadge status={gpu.health} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
        <Card title={`Power connections (${power.length})`}>
          {power.length === 0 ? (
            <p className="text-sm text-slate-500">No PSU is connected.</p>
          ) : (
            <table className="w-full text-sm" data-testid="device-power">
              <thead className="text-left text-slate-500">
                <tr>
                  <th className="font-normal">PSU</th>
                  <th className="font-normal">Side</th>
                  <th className="font-normal">Rack PDU</th>
                  <th className="text-right font-normal">Max draw</th>
                </tr>
              </thead>
              <tbody>
                {power.map((psu) => (
                  <tr key={psu.psuName} className="border-t border-slate-100">
                    <td>{psu.psuName}</td>
                    <td>{psu.side}</td>
                    <td>{psu.rackPdu}</td>
                    <td className="tabular text-right">{formatPowerW(psu.maximumDrawW)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
        <Card title={`Interfaces (${interfaces.length})`}>
          {interfaces.length === 0 ? (
            <p className="text-sm text-slate-500">No interfaces.</p>
          ) : (
            <table className="w-full text-sm" data-testid="device-interfaces">
              <thead className="text-left text-slate-500">
                <tr>
                  <th className="font-normal">Name</th>
                  <th className="font-normal">Kind</th>
                  <th className="text-right font-normal">Speed</th>
                  <th className="font-normal">Fabric</th>
                  <th className="font-normal">Connected to</th>
                </tr>
              </thead>
              <tbody>
                {interfaces.map((iface) => (
                  <tr key={iface.id} className="border-t border-slate-100">
                    <td>{iface.name}</td>
                    <td>{iface.kind}</td>
                    <td className="tabular text-right">{iface.speedGbps} Gb/s</td>
                    <td>{iface.fabric ?? '—'}</td>
                    <td>
                      {iface.peerDeviceId ? (
                        <Link className="text-sky-700 hover:underline" href={`/devices/${iface.peerDeviceId}`}>
                          {iface.peerDevice} {iface.peerInterface}
                        </Link>
                      ) : (
                        '—'
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
      </div>
      <DeviceTelemetry hostname={device.hostname} temperatureMetric={amd ? 'gpu_junction_temp_c' : 'gpu_temp_c'} />
      <div className="mt-6">
        <Card title="Change log">
          <ChangeLogTable entries={changes} />
        </Card>
      </div>
    </>
  );
}

/** "CPX/NPS4 · 8 × 24 GiB" for a partitioned AMD GPU, "—" otherwise. */
function partitionText(gpu: { computePartition: ComputePartitionMode | null; memoryPartition: MemoryPartitionMode | null; memoryGib: number }): string {
  if (gpu.computePartition === null || gpu.memoryPartition === null) return '—';
  const count = PARTITIONS_PER_GPU[gpu.computePartition];
  return `${gpu.computePartition}/${gpu.memoryPartition} · ${count} × ${formatGib(gpu.memoryGib / count)}`;
}
