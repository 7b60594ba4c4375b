'use client';

import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { inputClass } from '@/components/forms/Field';
import { useSite } from '@/components/plant/useSite';
import { MermaidDiagram } from '@/components/topology/MermaidDiagram';
import { TopologyCanvas } from '@/components/topology/TopologyCanvas';
import { Card } from '@/components/ui/Card';
import { ErrorMessage, Loading } from '@/components/ui/Loading';
import { PageHeader } from '@/components/ui/PageHeader';
import { useTRPC } from '@/trpc/client';

const KINDS = [
  { id: 'power', label: 'Power chain' },
  { id: 'network', label: 'Network fabric' },
  { id: 'cooling', label: 'Cooling' },
] as const;

/** Mermaid draws small scopes well (and is the export format); larger ones use the laid-out canvas. */
const MERMAID_MAX_NODES = 40;

/**
 * Topology at any size: the site opens as halls (or spines and leaf groups), each group opens on click and the server
 * sends only the shown part, laid out, with merged edges between closed groups. Search opens the path to a node.
 */
export function TopologyView() {
  const trpc = useTRPC();
  const { site } = useSite();
  const [kind, setKind] = useState<(typeof KINDS)[number]['id']>('power');
  const [fabricId, setFabricId] = useState<number | undefined>();
  const [expanded, setExpanded] = useState<string[]>([]);
  const [search, setSearch] = useState('');
  const [focus, setFocus] = useState<string | undefined>();
  const [focusId, setFocusId] = useState<string | null>(null);
  const [searchError, setSearchError] = useState<string>();
  const [drawWith, setDrawWith] = useState<'canvas' | 'mermaid'>('canvas');
  const siteId = site?.id ?? 0;
  const explore = useQuery({
    ...trpc.topology.explore.queryOptions({ siteId, view: kind, fabricId, expanded, focus }),
    enabled: siteId > 0,
    // While a group opens, the last drawing of the same view stays up (never another view's).
    placeholderData: (previous, previousQuery) => (JSON.stringify(previousQuery?.queryKey ?? '').includes(`"view":"${kind}"`) ? previous : undefined),
    retry: false,
  });
  const data = explore.data;

  // A search that finds nothing says so and leaves the drawing as it was.
  useEffect(() => {
    if (!focus || !explore.isError) return;
    setSearchError(explore.error.message);
    setFocus(undefined);
  }, [focus, explore.isError, explore.error]);

  // A search answer names the node found and the groups opened to reach it: keep them as the new state.
  useEffect(() => {
    if (!data || !focus || explore.isPlaceholderData) return;
    setFocusId(data.focusId);
    setExpanded(data.expanded);
    setFocus(undefined);
  }, [data, focus, explore.isPlaceholderData]);

  if (!site) return <Loading />;

  const choose = (next: (typeof KINDS)[number]['id']) => {
    setKind(next);
    setExpanded([]);
    setFocus(undefined);
    setSearchError(undefined);
    setFocusId(null);
  };
  const toggle = (groupId: string) => {
    setFocusId(null);
    setExpanded((open) => (open.includes(groupId) ? open.filter((g) => g !== groupId) : [...open, groupId]));
  };
  const submitSearch = (event: FormEvent) => {
    event.preventDefault();
    setSearchError(undefined);
    if (search.trim()) setFocus(search.trim());
  };
  const small = data ? data.nodes.length <= MERMAID_MAX_NODES : false;

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
              onClick={() => choose(k.id)}
              className={`rounded px-3 py-1.5 text-sm ${kind === k.id ? 'bg-slate-900 text-white' : 'border border-slate-300 bg-white hover:bg-slate-50'}`}
            >
              {k.label}
            </button>
          ))}
        </div>
        {kind === 'network' && data && data.fabrics.length > 1 ? (
          <label className="flex flex-col text-sm">
            <span className="text-slate-600">Fabric</span>
            <select
              className={inputClass}
              value={fabricId ?? data.fabric?.id ?? ''}
              onChange={(e) => {
                setFabricId(Number(e.target.value));
                setExpanded([]);
              }}
            >
              {data.fabrics.map((f) => (
                <option key={f.id} value={f.id}>
                  {f.name}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <form onSubmit={submitSearch} className="flex items-end gap-2">
          <label className="flex flex-col text-sm">
            <span className="text-slate-600">Find</span>
            <input className={inputClass} value={search} onChange={(e) => setSearch(e.target.value)} placeholder="rack, PDU, switch, unit…" aria-label="Find a node" />
          </label>
          <button type="submit" className="rounded border border-slate-300 bg-white px-3 py-1.5 text-sm hover:bg-slate-50">
            Find
          </button>
        </form>
      </div>
      <Card title={`${KINDS.find((k) => k.id === kind)!.label}${data?.fabric && kind === 'network' ? ` · ${data.fabric.name} (${data.fabric.topology})` : ''}`} testId={`topology-${kind}`}>
        {searchError ? <ErrorMessage error={{ message: searchError }} /> : explore.isError && !focus ? <ErrorMessage error={explore.error} /> : null}
        {!data ? (
          explore.isError ? null : <Loading label="Loading diagram" />
        ) : (
          <>
            <p className="mb-2 text-xs text-slate-500" data-testid="topology-summary">
              {data.nodes.length} of at most {data.maxNodes} nodes shown ({data.totalItems} in the site) · dashed boxes are groups: click to open · green below 80 % of capacity, amber to 100 %, red above
              (measured where present, else allocated)
            </p>
            {data.expanded.length ? (
              <div className="mb-2 flex flex-wrap items-center gap-1 text-xs">
                <span className="text-slate-500">Open:</span>
                {data.expanded.map((g) => (
                  <button key={g} type="button" className="rounded-full border border-slate-300 bg-slate-50 px-2 py-0.5 hover:bg-slate-100" onClick={() => toggle(g)} aria-label={`Close ${data.labels[g] ?? g}`}>
                    {data.labels[g] ?? g} ✕
                  </button>
                ))}
                <button type="button" className="px-2 py-0.5 text-slate-600 underline" onClick={() => setExpanded([])}>
                  close all
                </button>
              </div>
            ) : null}
            {data.refused.length ? (
              <p role="status" className="mb-2 rounded border border-amber-200 bg-amber-50 p-2 text-xs text-amber-900">
                Not opened ({data.refused.map((g) => data.labels[g] ?? g).join(', ')}): it would show more than {data.maxNodes} nodes. Close a group first.
              </p>
            ) : null}
            <div className="mb-2 flex gap-2 text-xs">
              <button type="button" className="rounded border border-slate-300 px-2 py-1 hover:bg-slate-50" onClick={() => setDrawWith(drawWith === 'canvas' ? 'mermaid' : 'canvas')} disabled={!small && drawWith === 'canvas'} title={small ? undefined : `mermaid draws scopes of up to ${MERMAID_MAX_NODES} nodes`}>
                {drawWith === 'canvas' ? 'Draw with mermaid' : 'Draw laid-out view'}
              </button>
            </div>
            {drawWith === 'mermaid' && small ? (
              <MermaidDiagram source={data.mermaid} title={`${kind} diagram`} fileName={`plenum-${kind}`} />
            ) : (
              <>
                <TopologyCanvas nodes={data.nodes} edges={data.edges} width={data.width} height={data.height} focusId={focusId} onToggle={toggle} />
                <button
                  type="button"
                  className="mt-2 rounded border border-slate-300 px-2 py-1 text-xs hover:bg-slate-50"
                  onClick={() => {
                    const url = URL.createObjectURL(new Blob([data.mermaid], { type: 'text/plain' }));
                    const anchor = document.createElement('a');
                    anchor.href = url;
                    anchor.download = `plenum-${kind}.mmd`;
                    anchor.click();
                    URL.revokeObjectURL(url);
                  }}
                >
                  Download mermaid source
                </button>
              </>
            )}
          </>
        )}
      </Card>
    </>
  );
}
