/** Mermaid sources generated from inventory data (never hand-written diagrams). Pure: no I/O. */

/** `alert`: drawn in red (a UPS on battery). */
export type DiagramNode = { id: string; label: string; detail?: string; group?: string; href?: string; tone?: 'alert' };
export type DiagramEdge = { from: string; to: string; label?: string };

/** Mermaid ids must be simple words; labels are quoted with `"` replaced by its entity. */
export function mermaidId(id: string): string {
  return `n_${id.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

function mermaidLabel(node: DiagramNode): string {
  const text = node.detail ? `${node.label}<br/>${node.detail}` : node.label;
  return `"${text.replace(/"/g, '#quot;')}"`;
}

export function flowchart(nodes: DiagramNode[], edges: DiagramEdge[], direction: 'TB' | 'LR' = 'TB'): string {
  const lines = [`flowchart ${direction}`];
  const groups = new Map<string, DiagramNode[]>();
  for (const node of nodes) {
    const key = node.group ?? '';
    groups.set(key, [...(groups.get(key) ?? []), node]);
  }
  for (const [group, members] of groups) {
    if (group) lines.push(`  subgraph ${mermaidId(`g_${group}`)}["${group.replace(/"/g, '#quot;')}"]`);
    for (const node of members) lines.push(`${group ? '    ' : '  '}${mermaidId(node.id)}[${mermaidLabel(node)}]`);
    if (group) lines.push('  end');
  }
  const known = new Set(nodes.map((n) => n.id));
  for (const edge of edges) {
    if (!known.has(edge.from) || !known.has(edge.to)) continue;
    const label = edge.label ? `|"${edge.label.replace(/"/g, '#quot;')}"|` : '';
    lines.push(`  ${mermaidId(edge.from)} -->${label} ${mermaidId(edge.to)}`);
  }
  for (const node of nodes) {
    if (node.href) lines.push(`  click ${mermaidId(node.id)} href "${node.href}"`);
  }
  const alerting = nodes.filter((n) => n.tone === 'alert');
  if (alerting.length > 0) {
    lines.push('  classDef alert fill:#fee2e2,stroke:#b91c1c,stroke-width:3px,color:#7f1d1d');
    lines.push(`  class ${alerting.map((n) => mermaidId(n.id)).join(',')} alert`);
  }
  return lines.join('\n');
}
