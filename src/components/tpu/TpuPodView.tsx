'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { Badge } from '@/components/ui/Badge';
import { Card, EmptyState } from '@/components/ui/Card';
import { ErrorMessage, Loading } from '@/components/ui/Loading';
import { PageHeader } from '@/components/ui/PageHeader';
import { useTRPC } from '@/trpc/client';
import { shapeText, sliceColour } from './shape';

/** z-layers per page: a 4×4×8 pod (two cubes) shows whole. */
const LAYERS_PER_PAGE = 8;
const CELL = 26;
const FREE_FILL = '#e2e8f0';
const UNHEALTHY_FILL = '#fca5a5';

type PodData = {
  pod: { dims: [number, number, number]; cubeEdge: number | null };
  chips: Array<{ acceleratorId: number; x: number; y: number; z: number; health: string; host: string; rack: string; sliceId: number | null; jobId: number | null }>;
  downLinks: Array<{ a: [number, number, number]; b: [number, number, number] }>;
};

/** One z-layer of the torus as a grid of chips; failed links inside the layer drawn as red bars, across layers as red rings. */
function Layer({ data, z }: { data: PodData; z: number }) {
  const [X, Y] = data.pod.dims;
  const edge = data.pod.cubeEdge;
  const chips = data.chips.filter((c) => c.z === z);
  const crossLayer = new Set(data.downLinks.filter((l) => l.a[2] !== l.b[2]).flatMap((l) => [l.a, l.b].filter((c) => c[2] === z).map((c) => `${c[0]},${c[1]}`)));
  const inLayer = data.downLinks.filter((l) => l.a[2] === z && l.b[2] === z);
  const width = X * CELL + 2;
  const height = Y * CELL + 2;
  return (
    <figure className="inline-block" data-testid={`tpu-layer-${z}`}>
      <figcaption className="mb-1 text-xs text-slate-500">
        z = {z}
        {edge ? ` · cube layer ${Math.floor(z / edge)}` : ''}
      </figcaption>
      <svg width={width} height={height} role="img" aria-label={`TPU chips at z = ${z}`}>
        {chips.map((c) => {
          const fill = c.health !== 'healthy' ? UNHEALTHY_FILL : c.sliceId !== null ? sliceColour(c.sliceId) : FREE_FILL;
          return (
            <rect
              key={c.acceleratorId}
              x={1 + c.x * CELL + 2}
              y={1 + (Y - 1 - c.y) * CELL + 2}
              width={CELL - 4}
              height={CELL - 4}
              rx={3}
              fill={fill}
              stroke={crossLayer.has(`${c.x},${c.y}`) ? '#dc2626' : '#94a3b8'}
              strokeWidth={crossLayer.has(`${c.x},${c.y}`) ? 2.5 : 0.5}
              data-testid="tpu-chip"
              data-slice={c.sliceId ?? ''}
              data-job={c.jobId ?? ''}
              data-health={c.health}
            >
              <title>{`(${c.x}, ${c.y}, ${c.z}) · ${c.host} · rack ${c.rack}${c.jobId ? ` · job ${c.jobId}` : ' · free'}${c.health !== 'healthy' ? ` · ${c.health}` : ''}`}</title>
            </rect>
          );
        })}
        {edge &&
          Array.from({ length: Math.floor(X / edge) + 1 }, (_, i) => <line key={`cx${i}`} x1={1 + i * edge * CELL} x2={1 + i * edge * CELL} y1={0} y2={height} stroke="#475569" strokeWidth={1.5} />)}
        {edge &&
          Array.from({ length: Math.floor(Y / edge) + 1 }, (_, i) => <line key={`cy${i}`} y1={1 + i * edge * CELL} y2={1 + i * edge * CELL} x1={0} x2={width} stroke="#475569" strokeWidth={1.5} />)}
        {inLayer.map((l) => {
          const [ax, ay] = l.a;
          const [bx, by] = l.b;
          // Neighbours one apart are joined across their shared edge; a wrap-around link is marked at both ends.
          const wrap = Math.abs(ax - bx) + Math.abs(ay - by) > 1;
          const cx = (x: number) => 1 + x * CELL + CELL / 2;
          const cy = (y: number) => 1 + (Y - 1 - y) * CELL + CELL / 2;
          return wrap ? (
            <g key={`${l.a.join()}-${l.b.join()}`} data-testid="tpu-link-down">
              <circle cx={cx(ax)} cy={cy(ay)} r={5} fill="#dc2626" />
              <circle cx={cx(bx)} cy={cy(by)} r={5} fill="#dc2626" />
            </g>
          ) : (
            <line key={`${l.a.join()}-${l.b.join()}`} x1={cx(ax)} y1={cy(ay)} x2={cx(bx)} y2={cy(by)} stroke="#dc2626" strokeWidth={4} data-testid="tpu-link-down" />
          );
        })}
      </svg>
    </figure>
  );
}

export function TpuPodView({ id }: { id: number }) {
  const trpc = useTRPC();
  const [zFrom, setZFrom] = useState(0);
  const query = useQuery({ ...trpc.tpu.pod.queryOptions({ id, zFrom, layers: LAYERS_PER_PAGE }), refetchInterval: 3000 });
  if (query.isPending) return <Loading label="Loading TPU pod" />;
  if (query.isError) return <ErrorMessage error={query.error} />;
  const data = query.data;
  const { pod } = data;
  const layers = Array.from({ length: data.zTo - data.zFrom }, (_, i) => data.zFrom + i);
  return (
    <>
      <PageHeader title={`TPU pod ${pod.name}`} crumbs={[{ href: '/', label: 'Overview' }, { href: '/tpu', label: 'TPU pods' }]} />
      <div className="mb-4 flex flex-wrap items-center gap-2 text-sm text-slate-600">
        {pod.model} · {shapeText(pod.dims, pod.torus)} chips · {pod.torus === '3d' ? `3D torus of ${pod.cubeEdge}×${pod.cubeEdge}×${pod.cubeEdge} cubes joined by optical circuit switches` : `2D torus${pod.wraps.some(Boolean) ? ' with wrap-around' : ''}`} ·{' '}
        <Link href={`/halls/${pod.hallId}`} className="text-sky-700 hover:underline">
          {pod.hall}
        </Link>
      </div>
      <div className="grid gap-4 lg:grid-cols-[1fr_20rem]">
        <Card title="Torus, layer by layer" testId="tpu-torus">
          {pod.dims[2] > LAYERS_PER_PAGE && (
            <div className="mb-2 flex items-center gap-2 text-xs">
              <button type="button" className="rounded border px-2 py-0.5 disabled:opacity-40" disabled={zFrom === 0} onClick={() => setZFrom(Math.max(0, zFrom - LAYERS_PER_PAGE))}>
                ← lower layers
              </button>
              <span>
                z {data.zFrom}–{data.zTo - 1} of {pod.dims[2]}
              </span>
              <button type="button" className="rounded border px-2 py-0.5 disabled:opacity-40" disabled={data.zTo >= pod.dims[2]} onClick={() => setZFrom(zFrom + LAYERS_PER_PAGE)}>
                higher layers →
              </button>
            </div>
          )}
          <div className="flex flex-wrap gap-4">
            {layers.map((z) => (
              <Layer key={z} data={data} z={z} />
            ))}
          </div>
          <p className="mt-2 text-xs text-slate-500">
            x runs right, y up. Grey: free; coloured: a slice; pink: an unhealthy chip; red bar or dots: a failed ICI link in the layer; red ring: a failed link to the next layer.
          </p>
        </Card>
        <Card title="Active slices" testId="tpu-slices">
          {data.slices.length === 0 ? (
            <EmptyState>No slice is placed in this pod.</EmptyState>
          ) : (
            <ul className="space-y-1 text-sm">
              {data.slices.map((s) => (
                <li key={s.id} className="flex items-center gap-2" data-testid="tpu-slice">
                  <span className="inline-block h-3 w-3 rounded-sm" style={{ background: sliceColour(s.id) }} />
                  <Link href={`/jobs/${s.jobId}`} className="text-sky-700 hover:underline">
                    {s.job}
                  </Link>
                  <span className="text-slate-500">
                    {s.shape} · {s.chips} chips{s.cubes ? ` · cubes ${s.cubes.join(', ')}` : ''}
                  </span>
                </li>
              ))}
            </ul>
          )}
          {data.downLinks.length > 0 && (
            <p className="mt-3 text-sm">
              <Badge tone="red">{data.downLinks.length} ICI link{data.downLinks.length === 1 ? '' : 's'} down</Badge> in these layers: every slice needing one is excluded from placement.
            </p>
          )}
        </Card>
      </div>
    </>
  );
}
