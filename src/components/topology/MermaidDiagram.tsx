'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useId, useRef, useState } from 'react';

/** `click <node> href "<url>"` lines: mermaid's strict mode ignores them, so links are attached here instead. */
function splitLinks(source: string): { diagram: string; links: Map<string, string> } {
  const links = new Map<string, string>();
  const kept = source.split('\n').filter((line) => {
    const match = /^\s*click (\S+) href "([^"]+)"\s*$/.exec(line);
    if (match) links.set(match[1]!, match[2]!);
    return !match;
  });
  return { diagram: kept.join('\n'), links };
}

function download(name: string, type: string, content: string) {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = name;
  anchor.click();
  URL.revokeObjectURL(url);
}

/**
 * Renders mermaid source to SVG in the browser (mermaid is loaded on demand, never on the server), with
 * `securityLevel: 'strict'` so names from the inventory cannot inject markup. Nodes with a link are clickable and
 * keyboard-focusable; the diagram can be saved as SVG or as mermaid source.
 */
export function MermaidDiagram({ source, title, fileName = 'diagram' }: { source: string; title: string; fileName?: string }) {
  const reactId = useId();
  const router = useRouter();
  const container = useRef<HTMLDivElement>(null);
  const [svg, setSvg] = useState<string>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    let cancelled = false;
    const elementId = `mermaid-${reactId.replace(/[^a-zA-Z0-9]/g, '')}`;
    const { diagram } = splitLinks(source);
    import('mermaid')
      .then(async ({ default: mermaid }) => {
        mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', theme: 'neutral', flowchart: { htmlLabels: true }, maxTextSize: 500_000, maxEdges: 5_000 });
        const result = await mermaid.render(elementId, diagram);
        if (!cancelled) setSvg(result.svg);
      })
      .catch((reason: unknown) => {
        if (!cancelled) setError(reason instanceof Error ? reason.message : String(reason));
      });
    return () => {
      cancelled = true;
    };
  }, [source, reactId]);

  useEffect(() => {
    if (!svg || !container.current) return;
    const { links } = splitLinks(source);
    for (const [nodeId, href] of links) {
      const node = container.current.querySelector<SVGGElement>(`g.node[id*="-${nodeId}-"]`);
      if (!node) continue;
      node.style.cursor = 'pointer';
      node.setAttribute('tabindex', '0');
      node.setAttribute('role', 'link');
      node.addEventListener('click', () => router.push(href));
      node.addEventListener('keydown', (event) => {
        if (event.key === 'Enter') router.push(href);
      });
    }
  }, [svg, source, router]);

  if (error) return <p className="text-sm text-red-700">Diagram could not be drawn: {error}</p>;
  if (!svg) return <div className="h-64 animate-pulse rounded bg-slate-100" role="status" aria-busy="true" aria-label={`${title} loading`} />;
  return (
    <figure aria-label={title} data-testid="mermaid-diagram" className="overflow-x-auto">
      <div className="mb-2 flex gap-2 text-xs">
        <button type="button" className="rounded border border-slate-300 px-2 py-1 hover:bg-slate-50" onClick={() => download(`${fileName}.svg`, 'image/svg+xml', svg)}>
          Download SVG
        </button>
        <button type="button" className="rounded border border-slate-300 px-2 py-1 hover:bg-slate-50" onClick={() => download(`${fileName}.mmd`, 'text/plain', source)}>
          Download mermaid source
        </button>
      </div>
      {/* biome-ignore lint/security/noDangerouslySetInnerHtml: the SVG comes from mermaid's renderer with securityLevel 'strict' */}
      <div ref={container} dangerouslySetInnerHTML={{ __html: svg }} />
    </figure>
  );
}
