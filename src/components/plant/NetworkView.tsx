'use client';

import { useQuery } from '@tanstack/react-query';
import { Card } from '@/components/ui/Card';
import { ErrorMessage, Loading } from '@/components/ui/Loading';
import { PageHeader } from '@/components/ui/PageHeader';
import { useTRPC } from '@/trpc/client';
import { useSite } from './useSite';

export function NetworkView() {
  const trpc = useTRPC();
  const { site } = useSite();
  const siteId = site?.id ?? 0;
  const fabrics = useQuery({ ...trpc.network.fabrics.queryOptions({ siteId }), enabled: siteId > 0 });
  const zones = useQuery(trpc.zones.list.queryOptions({ siteId: siteId || undefined }));
  if (!site || fabrics.isPending) return <Loading label="Loading fabrics" />;
  if (fabrics.isError) return <ErrorMessage error={fabrics.error} />;
  return (
    <>
      <PageHeader title="Network fabrics and security zones" crumbs={[{ href: '/', label: 'Overview' }, { href: `/sites/${site.id}`, label: site.name }]} />
      <div className="grid gap-6">
        <Card title="Fabrics">
          <table className="w-full text-sm" data-testid="fabrics">
            <thead className="text-left text-slate-500">
              <tr>
                <th className="font-normal">Fabric</th>
                <th className="font-normal">Purpose</th>
                <th className="font-normal">Topology</th>
                <th className="text-right font-normal">Spines</th>
                <th className="text-right font-normal">Leaves</th>
                <th className="text-right font-normal">Hosts</th>
                <th className="text-right font-normal">Ports</th>
                <th className="text-right font-normal">Links</th>
                <th className="text-right font-normal">Fastest port</th>
              </tr>
            </thead>
            <tbody>
              {fabrics.data.map((fabric) => (
                <tr key={fabric.id} className="border-t border-slate-100">
                  <td>{fabric.name}</td>
                  <td>{fabric.purpose}</td>
                  <td>{fabric.topology}</td>
                  <td className="tabular text-right">{fabric.tiers.spine ?? 0}</td>
                  <td className="tabular text-right">{fabric.tiers.leaf ?? 0}</td>
                  <td className="tabular text-right">{fabric.tiers.node ?? 0}</td>
                  <td className="tabular text-right">{fabric.ports}</td>
                  <td className="tabular text-right">{fabric.links}</td>
                  <td className="tabular text-right">{fabric.maxSpeedGbps ? `${fabric.maxSpeedGbps} Gb/s` : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
        <Card title="Security zones">
          <table className="w-full text-sm" data-testid="zones">
            <thead className="text-left text-slate-500">
              <tr>
                <th className="font-normal">Zone</th>
                <th className="font-normal">Access level</th>
                <th className="font-normal">Description</th>
                <th className="text-right font-normal">Halls</th>
                <th className="text-right font-normal">Racks</th>
              </tr>
            </thead>
            <tbody>
              {zones.data?.map((zone) => (
                <tr key={zone.id} className="border-t border-slate-100">
                  <td>{zone.name}</td>
                  <td>{zone.accessLevel}</td>
                  <td>{zone.description}</td>
                  <td className="tabular text-right">{zone.halls}</td>
                  <td className="tabular text-right">{zone.racks}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      </div>
    </>
  );
}
