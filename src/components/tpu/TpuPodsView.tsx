'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { Badge } from '@/components/ui/Badge';
import { Card, EmptyState } from '@/components/ui/Card';
import { ErrorMessage, Loading } from '@/components/ui/Loading';
import { PageHeader } from '@/components/ui/PageHeader';
import { useTRPC } from '@/trpc/client';
import { shapeText } from './shape';

/** Every TPU pod: size, chips in use, slices, failed links and the largest slice that would still fit. */
export function TpuPodsView() {
  const trpc = useTRPC();
  const pods = useQuery({ ...trpc.tpu.pods.queryOptions(), refetchInterval: 5000 });
  return (
    <>
      <PageHeader title="TPU pods" crumbs={[{ href: '/', label: 'Overview' }]} />
      <Card title="Pods (ICI domains)" testId="tpu-pods">
        {pods.isPending ? (
          <Loading label="Loading TPU pods" />
        ) : pods.isError ? (
          <ErrorMessage error={pods.error} />
        ) : pods.data.length === 0 ? (
          <EmptyState>No TPU pods. A pod is built with its hosts (see docs/ARCHITECTURE.md, TPUs); the demo seed has two in Hall T.</EmptyState>
        ) : (
          <table className="w-full text-sm">
            <thead className="text-left text-xs uppercase text-slate-500">
              <tr>
                <th className="py-1">Pod</th>
                <th>Generation</th>
                <th>Torus (chips)</th>
                <th>Hall · racks</th>
                <th className="text-right">Free / busy / unhealthy</th>
                <th className="text-right">Slices</th>
                <th className="text-right">Links down</th>
                <th className="text-right">Largest free slice</th>
              </tr>
            </thead>
            <tbody>
              {pods.data.map((p) => (
                <tr key={p.id} className="border-t border-slate-100">
                  <td className="py-1">
                    <Link href={`/tpu/pods/${p.id}`} className="text-sky-700 hover:underline">
                      {p.name}
                    </Link>
                  </td>
                  <td>{p.model}</td>
                  <td>
                    {shapeText(p.dims, p.torus)} {p.torus === '3d' ? <Badge tone="blue">3D torus · {p.cubeEdge}³ cubes</Badge> : <Badge tone="blue">2D torus</Badge>}
                  </td>
                  <td>
                    {p.hall} · {p.racks}
                  </td>
                  <td className="text-right tabular-nums">
                    {p.freeChips} / {p.busyChips} / {p.unhealthyChips} of {p.chips}
                  </td>
                  <td className="text-right tabular-nums">{p.activeSlices}</td>
                  <td className="text-right tabular-nums">{p.downLinks > 0 ? <Badge tone="red">{p.downLinks}</Badge> : 0}</td>
                  <td className="text-right">{p.largestFree ? shapeText(p.largestFree, p.torus) : 'none'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </>
  );
}
