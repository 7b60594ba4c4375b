/**
 * Hierarchical, collapsible topology (site → hall → row → rack; spines → leaf groups → host groups) with a bounded
 * number of shown nodes. The caller builds a tree of groups and items (items are the real things: power nodes,
 * switches, cooling units); only the groups the viewer expanded are opened, every other group is drawn as one node,
 * and edges between collapsed groups are merged into one edge with a count. Layout is a simple layered layout
 * computed here (on the server), so the browser only draws positioned boxes. Pure: no I/O.
 */
import { type DiagramEdge, type DiagramNode, flowchart } from './diagrams';
import { formatPowerW } from './units';
import { type HeadroomClass, headroomClass } from './topology';

/** At most this many nodes are shown at any scope; expansions that would go past it are refused and named. */
export const MAX_SHOWN_NODES = 120;
/** A group never opens into more than this many children: larger sets are split into numbered buckets. */
export const MAX_CHILDREN = 40;

/** A group may carry its own load and capacity (a rack's budget is not the sum of its A and B PDUs); else its items' sums are shown. */
export type TreeGroup = { id: string; label: string; parentId: string | null; href?: string; loadW?: number | null; capacityW?: number | null };
export type TreeItem = {
  id: string;
  label: string;
  parentId: string | null;
  /** Layer in the layout: 0 at the top (sources, spines), growing downstream. */
  rank: number;
  detail?: string;
  loadW?: number | null;
  capacityW?: number | null;
  failed?: boolean;
  href?: string;
};
/** `count` is how many parallel links the edge stands for (default 1). */
export type TreeEdge = { from: string; to: string; standby?: boolean; label?: string; count?: number };
export type Tree = { groups: TreeGroup[]; items: TreeItem[]; edges: TreeEdge[] };

export type ShownNode = {
  id: string;
  label: string;
  detail?: string;
  kind: 'item' | 'group';
  /** Items inside a collapsed group. */
  count?: number;
  cls: HeadroomClass;
  href?: string;
  x: number;
  y: number;
  width: number;
  height: number;
};
export type ShownEdge = { from: string; to: string; count: number; label?: string };
export type ShownGraph = {
  nodes: ShownNode[];
  edges: ShownEdge[];
  /** Groups actually opened, in the order asked; `refused` were skipped to keep the node bound. */
  expanded: string[];
  refused: string[];
  /** Labels of the groups opened or refused, for the "close" chips. */
  labels: Record<string, string>;
  width: number;
  height: number;
  totalItems: number;
};

const NODE_WIDTH = 220;
const NODE_HEIGHT = 60;
const GAP_X = 24;
const GAP_Y = 56;
/** Wider layers wrap into several rows so labels stay legible when the whole scope is fitted to a screen. */
const MAX_PER_ROW = 6;

type Indexed = {
  groups: Map<string, TreeGroup>;
  children: Map<string | null, { groups: string[]; items: string[] }>;
  items: Map<string, TreeItem>;
  /** Aggregates per group: item count, summed load and capacity, lowest rank, any failed item. */
  totals: Map<string, { count: number; loadW: number | null; capacityW: number | null; rank: number; failed: boolean }>;
};

const naturalOrder = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/**
 * Splits any group (or the root) with more than MAX_CHILDREN children into bucket groups of at most MAX_CHILDREN,
 * repeatedly, so that opening any one group adds a bounded number of nodes.
 */
export function bucketTree(tree: Tree): Tree {
  const groups = [...tree.groups];
  const parentOf = new Map<string, string | null>();
  const members = new Map<string | null, string[]>();
  const add = (parent: string | null, id: string) => {
    parentOf.set(id, parent);
    const list = members.get(parent);
    if (list) list.push(id);
    else members.set(parent, [id]);
  };
  const labels = new Map<string, string>();
  for (const g of tree.groups) {
    add(g.parentId, g.id);
    labels.set(g.id, g.label);
  }
  for (const item of tree.items) {
    add(item.parentId, item.id);
    labels.set(item.id, item.label);
  }
  const queue: (string | null)[] = [null, ...tree.groups.map((g) => g.id)];
  while (queue.length) {
    const parent = queue.shift()!;
    const list = (members.get(parent) ?? []).sort((a, b) => naturalOrder.compare(labels.get(a)!, labels.get(b)!));
    if (list.length <= MAX_CHILDREN) continue;
    const size = Math.ceil(list.length / Math.ceil(list.length / MAX_CHILDREN));
    const buckets: string[] = [];
    for (let start = 0; start < list.length; start += size) {
      const slice = list.slice(start, start + size);
      const id = `bucket:${parent ?? 'root'}:${start}`;
      const label = `${labels.get(slice[0]!)} … ${labels.get(slice.at(-1)!)} (${slice.length})`;
      groups.push({ id, label, parentId: parent });
      labels.set(id, label);
      for (const child of slice) parentOf.set(child, id);
      members.set(id, slice);
      buckets.push(id);
      queue.push(id);
    }
    members.set(parent, buckets);
    for (const b of buckets) parentOf.set(b, parent);
  }
  return {
    groups: groups.map((g) => ({ ...g, parentId: parentOf.get(g.id) ?? null })),
    items: tree.items.map((i) => ({ ...i, parentId: parentOf.get(i.id) ?? null })),
    edges: tree.edges,
  };
}

function indexTree(tree: Tree): Indexed {
  const groups = new Map(tree.groups.map((g) => [g.id, g]));
  const items = new Map(tree.items.map((i) => [i.id, i]));
  const children = new Map<string | null, { groups: string[]; items: string[] }>();
  const slot = (id: string | null) => {
    const entry = children.get(id) ?? { groups: [], items: [] };
    children.set(id, entry);
    return entry;
  };
  for (const g of tree.groups) slot(g.parentId).groups.push(g.id);
  for (const i of tree.items) slot(i.parentId).items.push(i.id);
  const totals: Indexed['totals'] = new Map();
  for (const item of tree.items) {
    for (let parent = item.parentId; parent !== null; parent = groups.get(parent)?.parentId ?? null) {
      const t = totals.get(parent) ?? { count: 0, loadW: null, capacityW: null, rank: Number.POSITIVE_INFINITY, failed: false };
      t.count++;
      if (item.loadW != null) t.loadW = (t.loadW ?? 0) + item.loadW;
      if (item.capacityW != null) t.capacityW = (t.capacityW ?? 0) + item.capacityW;
      t.rank = Math.min(t.rank, item.rank);
      t.failed ||= Boolean(item.failed);
      totals.set(parent, t);
      if (!groups.has(parent)) break;
    }
  }
  return { groups, items, children, totals };
}

function ancestors(index: Indexed, id: string): string[] {
  const chain: string[] = [];
  let parent = index.items.get(id)?.parentId ?? index.groups.get(id)?.parentId ?? null;
  while (parent !== null) {
    chain.unshift(parent);
    parent = index.groups.get(parent)?.parentId ?? null;
  }
  return chain;
}

/** Finds the item or group whose label matches `query` best (exact, then prefix, then substring; case-insensitive). */
export function findInTree(tree: Tree, query: string): { id: string; ancestors: string[] } | null {
  const q = query.trim().toLowerCase();
  if (!q) return null;
  const candidates = [...tree.items, ...tree.groups.filter((g) => !g.id.startsWith('bucket:'))];
  const score = (label: string) => {
    const l = label.toLowerCase();
    return l === q ? 0 : l.startsWith(q) ? 1 : l.includes(q) ? 2 : 3;
  };
  let best: { id: string; score: number } | null = null;
  for (const c of candidates) {
    const s = score(c.label);
    if (s < 3 && (!best || s < best.score)) best = { id: c.id, score: s };
  }
  if (!best) return null;
  return { id: best.id, ancestors: ancestors(indexTree(tree), best.id) };
}

/**
 * The nodes and edges shown for a set of expanded groups. Groups are opened in the order given (a group whose parent
 * is not open is skipped), and an expansion that would pass MAX_SHOWN_NODES is refused. Each edge is drawn between
 * the closest shown ends; parallel edges merge into one with a count.
 */
export function showTree(tree: Tree, expand: string[]): ShownGraph {
  const index = indexTree(tree);
  const open = new Set<string>();
  const refused: string[] = [];
  const rootChildren = index.children.get(null) ?? { groups: [], items: [] };
  let shownCount = rootChildren.groups.length + rootChildren.items.length;
  const isShown = (groupId: string) => {
    const parent = index.groups.get(groupId)?.parentId ?? null;
    return parent === null || open.has(parent);
  };
  // Ancestors first, so "expand a rack" after its hall and row opens in one pass whatever the order given.
  const depth = new Map([...new Set(expand)].filter((id) => index.groups.has(id)).map((id) => [id, ancestors(index, id).length]));
  const ordered = [...depth.keys()].sort((a, b) => depth.get(a)! - depth.get(b)!);
  for (const id of ordered) {
    if (!isShown(id) || open.has(id)) continue;
    const c = index.children.get(id) ?? { groups: [], items: [] };
    const after = shownCount - 1 + c.groups.length + c.items.length;
    if (after > MAX_SHOWN_NODES) {
      refused.push(id);
      continue;
    }
    open.add(id);
    shownCount = after;
  }

  /** The shown node standing for an item: the item itself, or its highest collapsed ancestor. */
  const representative = new Map<string, string>();
  const shown: ShownNode[] = [];
  const ranks = new Map<string, number>();
  const visit = (parent: string | null) => {
    const c = index.children.get(parent) ?? { groups: [], items: [] };
    for (const gid of c.groups) {
      if (open.has(gid)) {
        visit(gid);
        continue;
      }
      const g = index.groups.get(gid)!;
      const t = index.totals.get(gid);
      if (!t) continue;
      const loadW = g.capacityW !== undefined ? (g.loadW ?? null) : t.loadW;
      const capacityW = g.capacityW !== undefined ? g.capacityW : t.capacityW;
      const load = capacityW ? `${formatPowerW(loadW)} / ${formatPowerW(capacityW)}` : undefined;
      shown.push({ id: gid, label: g.label, detail: [`${t.count} inside`, load].filter(Boolean).join(' · '), kind: 'group', count: t.count, cls: t.failed ? 'over' : headroomClass(loadW, capacityW), href: g.href, x: 0, y: 0, width: NODE_WIDTH, height: NODE_HEIGHT });
      ranks.set(gid, t.rank);
      markInside(gid, gid);
    }
    for (const iid of c.items) {
      const item = index.items.get(iid)!;
      const load = item.capacityW ? `${formatPowerW(item.loadW)} / ${formatPowerW(item.capacityW)}` : undefined;
      shown.push({ id: iid, label: item.label, detail: [item.detail, load].filter(Boolean).join(' · ') || undefined, kind: 'item', cls: item.failed ? 'over' : headroomClass(item.loadW, item.capacityW), href: item.href, x: 0, y: 0, width: NODE_WIDTH, height: NODE_HEIGHT });
      ranks.set(iid, item.rank);
      representative.set(iid, iid);
    }
  };
  const markInside = (groupId: string, rep: string) => {
    const c = index.children.get(groupId) ?? { groups: [], items: [] };
    for (const iid of c.items) representative.set(iid, rep);
    for (const gid of c.groups) markInside(gid, rep);
  };
  visit(null);

  const merged = new Map<string, ShownEdge & { standby: number; labels: Set<string> }>();
  for (const edge of tree.edges) {
    const from = representative.get(edge.from);
    const to = representative.get(edge.to);
    if (!from || !to || from === to) continue;
    const key = `${from}>${to}`;
    const m = merged.get(key) ?? { from, to, count: 0, standby: 0, labels: new Set<string>() };
    m.count += edge.count ?? 1;
    if (edge.standby) m.standby += edge.count ?? 1;
    if (edge.label) m.labels.add(edge.label);
    merged.set(key, m);
  }
  const edges: ShownEdge[] = [...merged.values()].map((m) => {
    const parts = [m.count > 1 ? `× ${m.count}` : '', m.labels.size === 1 ? [...m.labels][0]! : '', m.standby ? (m.count > 1 ? `${m.standby} standby` : 'standby') : ''].filter(Boolean);
    return { from: m.from, to: m.to, count: m.count, label: parts.join(' · ') || undefined };
  });
  const size = layout(shown, edges, ranks);
  const labels = Object.fromEntries([...open, ...refused].map((id) => [id, index.groups.get(id)!.label]));
  return { nodes: shown, edges, expanded: [...open], refused, labels, ...size, totalItems: tree.items.length };
}

/** Layered layout: one band per rank, nodes ordered by the mean position of their upstream neighbours. */
function layout(nodes: ShownNode[], edges: ShownEdge[], ranks: Map<string, number>): { width: number; height: number } {
  const distinct = [...new Set(nodes.map((n) => ranks.get(n.id) ?? 0))].sort((a, b) => a - b);
  const upstream = new Map<string, string[]>();
  for (const e of edges) {
    const list = upstream.get(e.to);
    if (list) list.push(e.from);
    else upstream.set(e.to, [e.from]);
  }
  const order = new Map<string, number>();
  let y = 0;
  let width = 0;
  for (const rank of distinct) {
    const band = nodes.filter((n) => (ranks.get(n.id) ?? 0) === rank);
    const weight = (n: ShownNode) => {
      const ups = (upstream.get(n.id) ?? []).map((u) => order.get(u)).filter((v): v is number => v !== undefined);
      return ups.length ? ups.reduce((a, b) => a + b, 0) / ups.length : Number.POSITIVE_INFINITY;
    };
    const weights = new Map(band.map((n) => [n.id, weight(n)]));
    band.sort((a, b) => weights.get(a.id)! - weights.get(b.id)! || naturalOrder.compare(a.label, b.label));
    const perRow = Math.min(MAX_PER_ROW, band.length);
    band.forEach((node, i) => {
      order.set(node.id, i / Math.max(1, band.length - 1));
      node.x = (i % perRow) * (NODE_WIDTH + GAP_X);
      node.y = y + Math.floor(i / perRow) * (NODE_HEIGHT + GAP_Y / 2);
    });
    width = Math.max(width, perRow * (NODE_WIDTH + GAP_X) - GAP_X);
    y += Math.ceil(band.length / perRow) * (NODE_HEIGHT + GAP_Y / 2) + GAP_Y;
  }
  // Centre each band's rows under the widest one.
  const rowsByY = new Map<number, ShownNode[]>();
  for (const n of nodes) {
    const row = rowsByY.get(n.y);
    if (row) row.push(n);
    else rowsByY.set(n.y, [n]);
  }
  for (const row of rowsByY.values()) {
    const rowWidth = row.length * (NODE_WIDTH + GAP_X) - GAP_X;
    for (const n of row) n.x += (width - rowWidth) / 2;
  }
  return { width: Math.max(width, NODE_WIDTH), height: Math.max(0, y - GAP_Y) };
}

/** The shown graph as mermaid source (the export format; the same boxes and merged edges). */
export function shownGraphMermaid(graph: ShownGraph): string {
  const nodes: DiagramNode[] = graph.nodes.map((n) => ({ id: n.id, label: n.kind === 'group' ? `▸ ${n.label}` : n.label, detail: n.detail, href: n.href }));
  const edges: DiagramEdge[] = graph.edges.map((e) => ({ from: e.from, to: e.to, label: e.label }));
  return flowchart(nodes, edges, 'TB');
}
