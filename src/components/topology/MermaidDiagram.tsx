'use client';

import { useEffect, useId, useState } from 'react';

/** Renders mermaid source to SVG in the browser. mermaid is loaded on demand and never on the server. */
export function MermaidDiagram({ source, title }: { source: string; title: string }) {
  const reactId = useId();
  const [svg, setSvg] = useState<string>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    let cancelled = false;
    const elementId = `mermaid-${reactId.replace(/[^a-zA-Z0-9]/g, '')}`;
    import('mermaid')
      .then(async ({ default: mermaid }) => {
        mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', theme: 'neutral', flowchart: { htmlLabels: true } });
        const result = await mermaid.render(elementId, source);
        if (!cancelled) setSvg(result.svg);
      })
      .catch((reason: unknown) => {
        if (!cancelled) setError(reason instanceof Error ? reason.message : String(reason));
      });
    return () => {
      cancelled = true;
    };
  }, [source, reactId]);

  if (error) return <p className="text-sm text-red-700">Diagram could not be drawn: {error}</p>;
  if (!svg) return <div className="h-64 animate-pulse rounded bg-slate-100" role="status" aria-busy="true" aria-label={`${title} loading`} />;
  return (
    <figure aria-label={title} data-testid="mermaid-diagram" className="overflow-x-auto">
      {/* mermaid's own SVG output; securityLevel 'strict' sanitises labels and disables scripts. */}
      {/* biome-ignore lint/security/noDangerouslySetInnerHtml: the SVG comes from mermaid's sanitising renderer */}
      <div dangerouslySetInnerHTML={{ __html: svg }} />
    </figure>
  );
}
