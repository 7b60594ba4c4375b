'use client';

import { useRouter } from 'next/navigation';
import { type PointerEvent, useCallback, useEffect, useRef, useState } from 'react';

export type CanvasNode = { id: string; label: string; detail?: string; kind: 'item' | 'group'; cls: 'ok' | 'tight' | 'over' | 'unknown'; href?: string; x: number; y: number; width: number; height: number };
export type CanvasEdge = { from: string; to: string; count: number; label?: string };

const FILL = { ok: '#d1fae5', tight: '#fef3c7', over: '#fee2e2', unknown: '#f1f5f9' } as const;
const STROKE = { ok: '#059669', tight: '#d97706', over: '#dc2626', unknown: '#64748b' } as const;
/** Below this scale 12 px labels stop being readable: the fitted view never goes smaller (pan to see the rest). */
const MIN_FIT_SCALE = 0.75;
const PAD = 24;

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

type View = { x: number; y: number; k: number };

/**
 * Draws a laid-out topology (positions come from the server) as SVG with zoom (wheel, buttons) and pan (drag).
 * Groups open on click; things with a page open it. Only the bounded, shown part of the topology ever reaches here.
 */
export function TopologyCanvas({
  nodes,
  edges,
  width,
  height,
  focusId,
  onToggle,
}: {
  nodes: CanvasNode[];
  edges: CanvasEdge[];
  width: number;
  height: number;
  focusId: string | null;
  onToggle: (groupId: string) => void;
}) {
  const router = useRouter();
  const frame = useRef<HTMLDivElement>(null);
  const [view, setView] = useState<View>({ x: PAD, y: PAD, k: 1 });
  const drag = useRef<{ x: number; y: number; moved: boolean } | null>(null);

  const fitToFrame = useCallback(() => {
    const box = frame.current?.getBoundingClientRect();
    if (!box) return;
    const k = Math.max(MIN_FIT_SCALE, Math.min(1, (box.width - 2 * PAD) / width, (box.height - 2 * PAD) / Math.max(height, 1)));
    setView({ k, x: Math.max(PAD, (box.width - width * k) / 2), y: PAD });
  }, [width, height]);

  // A new graph is fitted, or centred on the node searched for. "New" means other nodes or another focus, not a fresh
  // copy of the same drawing (a refetch): that must keep the operator's zoom and pan.
  const fittedGraph = useRef<string | null>(null);
  useEffect(() => {
    const graph = `${focusId ?? ''}#${nodes.map((n) => n.id).join('\n')}`;
    if (graph === fittedGraph.current) return;
    fittedGraph.current = graph;
    const focus = focusId ? nodes.find((n) => n.id === focusId) : undefined;
    const box = frame.current?.getBoundingClientRect();
    if (focus && box) setView({ k: 1, x: box.width / 2 - (focus.x + focus.width / 2), y: box.height / 2 - (focus.y + focus.height / 2) });
    else fitToFrame();
  }, [nodes, focusId, fitToFrame]);

  const zoom = useCallback((factor: number, cx?: number, cy?: number) => {
    setView((v) => {
      const box = frame.current?.getBoundingClientRect();
      const px = cx ?? (box ? box.width / 2 : 0);
      const py = cy ?? (box ? box.height / 2 : 0);
      const k = Math.min(3, Math.max(0.2, v.k * factor));
      return { k, x: px - ((px - v.x) * k) / v.k, y: py - ((py - v.y) * k) / v.k };
    });
  }, []);

  // Wheel zoom needs a non-passive listener to keep the page from scrolling.
  useEffect(() => {
    const element = frame.current;
    if (!element) return;
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      const box = element.getBoundingClientRect();
      zoom(event.deltaY < 0 ? 1.15 : 1 / 1.15, event.clientX - box.left, event.clientY - box.top);
    };
    element.addEventListener('wheel', onWheel, { passive: false });
    return () => element.removeEventListener('wheel', onWheel);
  }, [zoom]);

  const byId = new Map(nodes.map((n) => [n.id, n]));
  const onPointerDown = (event: PointerEvent) => {
    drag.current = { x: event.clientX, y: event.clientY, moved: false };
  };
  const onPointerMove = (event: PointerEvent) => {
    const d = drag.current;
    if (!d || event.buttons === 0) return;
    const dx = event.clientX - d.x;
    const dy = event.clientY - d.y;
    if (!d.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    d.moved = true;
    d.x = event.clientX;
    d.y = event.clientY;
    setView((v) => ({ ...v, x: v.x + dx, y: v.y + dy }));
  };
  const activate = (node: CanvasNode) => {
    if (drag.current?.moved) return;
    if (node.kind === 'group') onToggle(node.id);
    else if (node.href) router.push(node.href);
  };

  return (
    <div>
      <div className="mb-2 flex gap-2 text-xs">
        <button type="button" className="rounded border border-slate-300 px-2 py-1 hover:bg-slate-50" onClick={() => zoom(1.25)}>
          Zoom in
        </button>
        <button type="button" className="rounded border border-slate-300 px-2 py-1 hover:bg-slate-50" onClick={() => zoom(0.8)}>
          Zoom out
        </button>
        <button type="button" className="rounded border border-slate-300 px-2 py-1 hover:bg-slate-50" onClick={fitToFrame}>
          Fit
        </button>
        <span className="self-center text-slate-500" data-testid="topology-zoom">
          {Math.round(view.k * 100)} %
        </span>
      </div>
      <div
        ref={frame}
        data-testid="topology-canvas"
        className="relative h-[36rem] w-full cursor-grab touch-none overflow-hidden rounded border border-slate-200 bg-white active:cursor-grabbing"
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={() => setTimeout(() => (drag.current = null))}
      >
        <svg width="100%" height="100%" role="img" aria-label="Topology diagram">
          <defs>
            <marker id="topology-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" markerUnits="userSpaceOnUse" orient="auto-start-reverse">
              <path d="M 0 0 L 10 5 L 0 10 z" fill="#94a3b8" />
            </marker>
          </defs>
          <g transform={`translate(${view.x} ${view.y}) scale(${view.k})`}>
            {edges.map((edge) => {
              const a = byId.get(edge.from);
              const b = byId.get(edge.to);
              if (!a || !b) return null;
              const x1 = a.x + a.width / 2;
              const y1 = a.y + a.height;
              const x2 = b.x + b.width / 2;
              const y2 = b.y;
              const mid = (y1 + y2) / 2;
              return (
                <g key={`${edge.from}>${edge.to}`}>
                  <path d={`M ${x1} ${y1} C ${x1} ${mid}, ${x2} ${mid}, ${x2} ${y2}`} fill="none" stroke="#94a3b8" strokeWidth={Math.min(4, 1 + Math.log2(edge.count))} markerEnd="url(#topology-arrow)" />
                  {edge.label ? (
                    <text x={(x1 + x2) / 2} y={mid} fontSize={10} textAnchor="middle" fill="#475569" stroke="#fff" strokeWidth={3} paintOrder="stroke">
                      {edge.label}
                    </text>
                  ) : null}
                </g>
              );
            })}
            {nodes.map((node) => (
              // biome-ignore lint/a11y/useSemanticElements: an SVG group cannot be a <button>; it gets the role, focus and keys of one
              <g
                key={node.id}
                role="button"
                tabIndex={0}
                aria-label={`${node.kind === 'group' ? 'Open ' : ''}${node.label}`}
                data-node-id={node.id}
                data-focused={node.id === focusId ? 'true' : undefined}
                transform={`translate(${node.x} ${node.y})`}
                className="cursor-pointer"
                onClick={() => activate(node)}
                onKeyDown={(event) => {
                  if (event.key === 'Enter' || event.key === ' ') activate(node);
                }}
              >
                <rect
                  width={node.width}
                  height={node.height}
                  rx={6}
                  fill={FILL[node.cls]}
                  stroke={node.id === focusId ? '#1d4ed8' : STROKE[node.cls]}
                  strokeWidth={node.id === focusId ? 4 : 1.5}
                  strokeDasharray={node.kind === 'group' ? '6 3' : undefined}
                />
                <text x={10} y={24} fontSize={13} fontWeight={600} fill="#0f172a">
                  {node.kind === 'group' ? '▸ ' : ''}
                  {clip(node.label, 28)}
                  <title>{node.label}</title>
                </text>
                {node.detail ? (
                  <text x={10} y={44} fontSize={11} fill="#334155">
                    {clip(node.detail, 38)}
                    <title>{node.detail}</title>
                  </text>
                ) : null}
              </g>
            ))}
          </g>
        </svg>
      </div>
    </div>
  );
}
