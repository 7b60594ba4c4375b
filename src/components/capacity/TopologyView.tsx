'use client';

import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { inputClass } from '@/components/forms/Field';
import { useSite } from '@/components/plant/useSite';
import { MermaidDiagram } from '@/components/topology/MermaidDiagram';
import { Card } from '@/components/ui/Card';
import { ErrorMessage, Loading } from '@/components/ui/Loading';
import { PageHeader } from '@/components/ui/PageHeader';
import { useTRPC } from '@/trpc/client';

const KINDS = [
  { id: 'power', label: 'Power chain' },
  { id: 'network', label: 'Network fabric' },
  { id: 'cooling', label: 'Cooling' },
] as const;

/** Diagrams generated from the database, scoped to the site, a hall or a row so they stay readable. */
export function TopologyView() {
  const trpc = useTRPC();
  const { site } = useSite();
  const [kind, setKind] = useState<(typeof KINDS)[number]['id']>('power');
  const [hallId, setHallId] = useState<number | undefined>();
  const [rowId, setRowId] = useState<number | undefined>();
  const siteId = site?.id ?? 0;
  const scope = { siteId, hallId, rowId };
  const rows = useQuery({ ...trpc.halls.rows.queryOptions({ id: hallId ?? 1 }), enabled: Boolean(hallId) });
  const power = useQuery({ ...trpc.topology.power.queryOptions(scope), enabled: siteId > 0 && kind === 'power' });
  const network = useQuery({ ...trpc.topology.network.queryOptions(scope), enabled: siteId > 0 && kind === 'network' });
  const cooling = useQuery({ ...trpc.topology.cooling.queryOptions(scope), enabled: siteId > 0 && kind === 'cooling' });
  const active = kind === 'power' ? power : kind === 'network' ? network : cooling;
  if (!site) return <Loading />;
  return (
    <>
      <PageHeader title="Topology" crumbs={[{ href: '/', label: 'Overview' }, { href: `/sites/${site.id}`, label: site.name }]} />
      <div className="mb-4 flex flex-wrap items-end gap-3">
        <div role="tablist" aria-label="Diagram" className="flex gap-1">
          {KINDS.map((k) => (
            <button
              key={k.id}
              type="button"
              role="tab"
              aria-selected={kind === k.id}
              onClick={() => setKind(k.id)}
              className={`rounded px-3 py-1.5 text-sm ${kind === k.id ? 'bg-slate-900 text-white' : 'border border-slate-300 bg-white hover:bg-slate-50'}`}
            >
              {k.label}
            </button>
          ))}
        </div>
        <label className="flex flex-col text-sm">
          <span className="text-slate-600">Hall</span>
          <select
            className={inputClass}
            value={hallId ?? ''}
            onChange={(e) => {
              setHallId(e.target.value ? Number(e.target.value) : undefined);
              setRowId(undefined);
            }}
            aria-label="Scope to hall"
          >
            <option value="">whole site</option>
            {site.halls.map((hall) => (
              <option key={hall.id} value={hall.id}>
                {hall.name}
              </option>
            ))}
          </select>
        </label>
        <label className="flex flex-col text-sm">
          <span className="text-slate-600">Row</span>
          <select className={inputClass} value={rowId ?? ''} onChange={(e) => setRowId(e.target.value ? Number(e.target.value) : undefined)} disabled={!rows.data} aria-label="Scope to row">
            <option value="">all rows</option>
            {rows.data?.map((row) => (
              <option key={row.id} value={row.id}>
                {row.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      <Card title={`${KINDS.find((k) => k.id === kind)!.label}${network.data && kind === 'network' ? ` · ${network.data.fabric.name} (${network.data.fabric.topology})` : ''}`} testId={`topology-${kind}`}>
        {active.isPending ? (
          <Loading label="Loading diagram" />
        ) : active.isError ? (
          <ErrorMessage error={active.error} />
        ) : (
          <>
            <p className="mb-2 text-xs text-slate-500">
              {active.data.nodeCount} nodes · green below 80 % of capacity, amber to 100 %, red above · click a rack or switch to open it
            </p>
            <MermaidDiagram source={active.data.source} title={`${kind} diagram`} fileName={`plenum-${kind}`} />
          </>
        )}
      </Card>
    </>
  );
}
