/**
 * Topology diagrams generated from inventory data, as mermaid flowcharts (see ./diagrams). Each builder takes
 * plain rows already scoped by the caller (site, hall or row), so a diagram stays readable at 1,000+ racks.
 * Pure: no I/O.
 */
import { type DiagramEdge, type DiagramNode, flowchart, mermaidId } from './diagrams';
import { formatPct, formatPowerW } from './units';

export type HeadroomClass = 'ok' | 'tight' | 'over' | 'unknown';

/** Headroom colour classes: ok below 80 % of capacity, tight to 100 %, over above. */
export function headroomClass(loadW: number | null | undefined, capacityW: number | null | undefined): HeadroomClass {
  if (loadW == null || !capacityW) return 'unknown';
  const pct = (loadW / capacityW) * 100;
  return pct > 100 ? 'over' : pct >= 80 ? 'tight' : 'ok';
}

const CLASS_DEFS = [
  'classDef ok fill:#d1fae5,stroke:#059669',
  'classDef tight fill:#fef3c7,stroke:#d97706',
  'classDef over fill:#fee2e2,stroke:#dc2626',
  'classDef unknown fill:#f1f5f9,stroke:#64748b',
];

function withClasses(source: string, nodes: { id: string; cls: HeadroomClass }[]): string {
  const lines = [source, ...CLASS_DEFS.map((d) => `  ${d}`)];
  for (const cls of ['ok', 'tight', 'over', 'unknown'] as const) {
    const members = nodes.filter((n) => n.cls === cls).map((n) => mermaidId(n.id));
    if (members.length) lines.push(`  class ${members.join(',')} ${cls}`);
  }
  return lines.join('\n');
}

export type LoadedNode = { id: string; name: string; kind: string; side: 'A' | 'B' | 'N'; loadW: number | null; capacityW: number | null; href?: string };

/** Power chain: sources → UPS → PDUs → rack PDUs → racks, A and B sides in their own groups, coloured by headroom. */
export function powerDiagram(nodes: LoadedNode[], edges: { upstreamId: string; downstreamId: string; standby: boolean }[], racks: LoadedNode[], rackFeeds: { rackPduId: string; rackId: string }[]): string {
  const diagramNodes: DiagramNode[] = [
    ...nodes.map((node) => ({
      id: `p${node.id}`,
      label: node.name,
      detail: node.capacityW ? `${formatPowerW(node.loadW)} / ${formatPowerW(node.capacityW)}` : undefined,
      group: node.side === 'N' ? undefined : `Side ${node.side}`,
      href: node.href,
    })),
    ...racks.map((rack) => ({ id: `r${rack.id}`, label: `Rack ${rack.name}`, detail: `${formatPowerW(rack.loadW)} / ${formatPowerW(rack.capacityW)}`, href: rack.href })),
  ];
  const diagramEdges: DiagramEdge[] = [
    ...edges.map((edge) => ({ from: `p${edge.upstreamId}`, to: `p${edge.downstreamId}`, label: edge.standby ? 'standby' : undefined })),
    ...rackFeeds.map((feed) => ({ from: `p${feed.rackPduId}`, to: `r${feed.rackId}` })),
  ];
  return withClasses(flowchart(diagramNodes, diagramEdges), [
    ...nodes.map((n) => ({ id: `p${n.id}`, cls: headroomClass(n.loadW, n.capacityW) })),
    ...racks.map((r) => ({ id: `r${r.id}`, cls: headroomClass(r.loadW, r.capacityW) })),
  ]);
}

export type FabricSwitch = { id: string; name: string; tier: 'leaf' | 'spine' | 'core'; href?: string };
export type FabricLink = { switchId: string; peerSwitchId?: string; hostGroup?: string; speedGbps: number };

/**
 * Network fabric: spines → leaves → host groups (the servers of one rack under one leaf), with link counts and
 * speeds, and each leaf's oversubscription (host-facing bandwidth ÷ uplink bandwidth; 1:1 is non-blocking).
 */
export function fabricDiagram(switches: FabricSwitch[], links: FabricLink[], hostGroups: { id: string; label: string; href?: string }[]): string {
  const byId = new Map(switches.map((s) => [s.id, s]));
  const downGbps = new Map<string, number>();
  const upGbps = new Map<string, number>();
  const edgeTotals = new Map<string, { from: string; to: string; count: number; speedGbps: number }>();
  for (const link of links) {
    const sw = byId.get(link.switchId);
    if (!sw) continue;
    if (link.hostGroup) {
      downGbps.set(sw.id, (downGbps.get(sw.id) ?? 0) + link.speedGbps);
      const key = `${sw.id}>${link.hostGroup}`;
      const total = edgeTotals.get(key) ?? { from: `s${sw.id}`, to: `h${link.hostGroup}`, count: 0, speedGbps: link.speedGbps };
      total.count++;
      edgeTotals.set(key, total);
    } else if (link.peerSwitchId && byId.get(link.peerSwitchId)?.tier !== 'leaf' && sw.tier === 'leaf') {
      upGbps.set(sw.id, (upGbps.get(sw.id) ?? 0) + link.speedGbps);
      const key = `${link.peerSwitchId}>${sw.id}`;
      const total = edgeTotals.get(key) ?? { from: `s${link.peerSwitchId}`, to: `s${sw.id}`, count: 0, speedGbps: link.speedGbps };
      total.count++;
      edgeTotals.set(key, total);
    }
  }
  const nodes: DiagramNode[] = [
    ...switches.map((sw) => {
      const down = downGbps.get(sw.id) ?? 0;
      const up = upGbps.get(sw.id) ?? 0;
      const ratio = sw.tier === 'leaf' && up > 0 ? `oversubscription ${(down / up).toFixed(2)}:1` : sw.tier === 'leaf' ? 'no uplinks' : undefined;
      return { id: `s${sw.id}`, label: sw.name, detail: ratio, group: sw.tier === 'spine' ? 'Spines' : sw.tier === 'core' ? 'Core' : 'Leaves', href: sw.href };
    }),
    ...hostGroups.map((group) => ({ id: `h${group.id}`, label: group.label, group: 'Hosts', href: group.href })),
  ];
  const edges = [...edgeTotals.values()].map((e) => ({ from: e.from, to: e.to, label: `${e.count} × ${e.speedGbps} Gb/s` }));
  return flowchart(nodes, edges, 'TB');
}

export type CoolingUnitNode = { id: string; name: string; kind: string; loadW: number; capacityW: number; failed: boolean };

/** Cooling: units → the halls, rows and racks they serve, with load / capacity. */
export function coolingDiagram(units: CoolingUnitNode[], areas: { id: string; label: string }[], serves: { unitId: string; areaId: string }[], groups: Map<string, string>): string {
  const nodes: DiagramNode[] = [
    ...units.map((unit) => ({
      id: `u${unit.id}`,
      label: `${unit.name}${unit.failed ? ' (FAILED)' : ''}`,
      detail: `${formatPowerW(unit.loadW)} / ${formatPowerW(unit.capacityW)} (${formatPct(unit.capacityW ? (unit.loadW / unit.capacityW) * 100 : null)})`,
      group: groups.get(unit.id),
    })),
    ...areas.map((area) => ({ id: `a${area.id}`, label: area.label })),
  ];
  const edges = serves.map((s) => ({ from: `u${s.unitId}`, to: `a${s.areaId}` }));
  return withClasses(flowchart(nodes, edges, 'LR'), units.map((u) => ({ id: `u${u.id}`, cls: u.failed ? 'over' : headroomClass(u.loadW, u.capacityW) })));
}
