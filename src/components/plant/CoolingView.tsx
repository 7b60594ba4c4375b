'use client';

import { useQuery } from '@tanstack/react-query';
import { Badge, StatusBadge, utilisationTone } from '@/components/ui/Badge';
import { Card } from '@/components/ui/Card';
import { ErrorMessage, Loading } from '@/components/ui/Loading';
import { PageHeader } from '@/components/ui/PageHeader';
import { formatPct, formatPowerW } from '@/domain/units';
import { LoadBasisTag, LoadCell, LoadFigure, LoadHeader } from '@/components/ui/LoadFigure';
import { useTRPC } from '@/trpc/client';
import { useSite } from './useSite';

export function CoolingView() {
  const trpc = useTRPC();
  const { site } = useSite();
  const siteId = site?.id ?? 0;
  const cooling = useQuery({ ...trpc.cooling.units.queryOptions({ siteId }), enabled: siteId > 0 });
  if (!site || cooling.isPending) return <Loading label="Loading cooling" />;
  if (cooling.isError) return <ErrorMessage error={cooling.error} />;
  const { groups, units } = cooling.data;
  return (
    <>
      <PageHeader title="Cooling" crumbs={[{ href: '/', label: 'Overview' }, { href: `/sites/${site.id}`, label: site.name }]} />
      <div className="grid gap-6">
        <Card title="Redundancy groups">
          <table className="w-full text-sm" data-testid="cooling-groups">
            <thead className="text-left text-slate-500">
              <tr>
                <th className="font-normal">Group</th>
                <th className="font-normal">Units</th>
                <th className="text-right font-normal">
                  Heat load <LoadBasisTag basis="nameplate" />
                </th>
                <th className="text-right font-normal">
                  Working <LoadBasisTag basis="capacity" />
                </th>
                <th className="text-right font-normal">Headroom keeping N+1</th>
                <th className="font-normal">N+1</th>
              </tr>
            </thead>
            <tbody>
              {groups.map((group) => (
                <tr key={group.groupId} className="border-t border-slate-100">
                  <td>{group.groupId}</td>
                  <td>{group.unitNames.join(', ')}</td>
                  <LoadCell basis="nameplate" powerW={group.loadW} />
                  <LoadCell basis="capacity" powerW={group.capacityW} />
                  <td className="tabular text-right">{formatPowerW(group.redundantHeadroomW)}</td>
                  <td>{group.n1Ok ? <Badge tone="green">N+1 holds</Badge> : <Badge tone="red">N+1 lost</Badge>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
        <Card title="Units">
          <table className="w-full text-sm" data-testid="cooling-units">
            <thead className="text-left text-slate-500">
              <tr>
                <th className="font-normal">Unit</th>
                <th className="font-normal">Kind</th>
                <th className="font-normal">Status</th>
                <th className="font-normal">Serves</th>
                <th className="text-right font-normal">Supply set-point</th>
                <th className="text-right font-normal">
                  Heat load <LoadBasisTag basis="nameplate" />
                </th>
                <LoadHeader basis="capacity" />
              </tr>
            </thead>
            <tbody>
              {units.map((unit) => (
                <tr key={unit.id} className="border-t border-slate-100">
                  <td>{unit.name}</td>
                  <td>{unit.kind.toUpperCase()}</td>
                  <td>
                    <StatusBadge status={unit.status} />
                  </td>
                  <td>{unit.serves.join(', ')}</td>
                  <td className="tabular text-right">{unit.supplySetpointC} °C</td>
                  <td className="text-right">
                    <LoadFigure basis="nameplate" powerW={unit.loadW} showWord={false} /> <Badge tone={utilisationTone(unit.utilizationPct)}>{formatPct(unit.utilizationPct)}</Badge>
                  </td>
                  <LoadCell basis="capacity" powerW={unit.capacityW} />
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      </div>
    </>
  );
}
