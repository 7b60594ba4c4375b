import { describe, expect, it } from 'vitest';
import { bucketTree, findInTree, MAX_CHILDREN, MAX_SHOWN_NODES, showTree, shownGraphMermaid, type Tree } from './topology-tree';

/** The xl seed's shape: 5 halls × 24 rows × 40 racks, two rack PDUs per rack fed by 8 PDUs per hall from 2 UPSs. */
function xlPowerTree(): Tree {
  const tree: Tree = { groups: [], items: [], edges: [] };
  for (const ups of ['A', 'B']) tree.items.push({ id: `ups${ups}`, label: `UPS ${ups}`, parentId: null, rank: 3, loadW: 1e6, capacityW: 2e6 });
  for (let h = 0; h < 5; h++) {
    tree.groups.push({ id: `hall:${h}`, label: `Hall ${h}`, parentId: null });
    for (let p = 0; p < 8; p++) {
      tree.items.push({ id: `pdu${h}-${p}`, label: `PDU ${h}-${p}`, parentId: `hall:${h}`, rank: 4, loadW: 1e5, capacityW: 2e5 });
      tree.edges.push({ from: p % 2 ? 'upsB' : 'upsA', to: `pdu${h}-${p}` });
    }
    for (let r = 0; r < 24; r++) {
      tree.groups.push({ id: `row:${h}-${r}`, label: `Row ${h}-${r}`, parentId: `hall:${h}` });
      for (let k = 0; k < 40; k++) {
        const rack = `rack:${h}-${r}-${k}`;
        tree.groups.push({ id: rack, label: `Rack ${h}-${r}-${k}`, parentId: `row:${h}-${r}`, loadW: 30e3, capacityW: 40e3 });
        for (const side of ['A', 'B']) {
          tree.items.push({ id: `${rack}${side}`, label: `PDU ${h}-${r}-${k}${side}`, parentId: rack, rank: 7, loadW: 15e3, capacityW: 40e3 });
          tree.edges.push({ from: `pdu${h}-${(r % 4) * 2 + (side === 'A' ? 0 : 1)}`, to: `${rack}${side}` });
        }
      }
    }
  }
  return tree;
}

describe('hierarchical topology', () => {
  it('shows the site as its top-level groups with merged edges and counts', () => {
    const graph = showTree(bucketTree(xlPowerTree()), []);
    expect(graph.nodes.map((n) => n.label)).toEqual(expect.arrayContaining(['UPS A', 'UPS B', 'Hall 0', 'Hall 4']));
    expect(graph.nodes).toHaveLength(7);
    // Each UPS feeds 4 PDUs in every hall: one edge per hall with the count.
    expect(graph.edges.find((e) => e.from === 'upsA' && e.to === 'hall:0')).toMatchObject({ count: 4, label: '× 4' });
    expect(graph.totalItems).toBe(2 + 5 * 8 + 5 * 24 * 40 * 2);
  });

  it('opens a hall, a row and a rack, and draws edges to the closest shown ends', () => {
    const graph = showTree(bucketTree(xlPowerTree()), ['hall:0', 'row:0-0', 'rack:0-0-0']);
    const ids = graph.nodes.map((n) => n.id);
    expect(ids).toContain('rack:0-0-0A');
    expect(ids).toContain('rack:0-0-1');
    expect(ids).not.toContain('hall:0');
    expect(graph.edges.find((e) => e.from === 'pdu0-0' && e.to === 'rack:0-0-0A')).toMatchObject({ count: 1 });
    expect(graph.edges.find((e) => e.from === 'pdu0-0' && e.to === 'rack:0-0-1')).toMatchObject({ count: 1 });
    expect(graph.edges.find((e) => e.from === 'upsA' && e.to === 'pdu0-0')).toBeDefined();
    // A rack shows its own load and capacity (not the sum of its A and B PDUs).
    expect(graph.nodes.find((n) => n.id === 'rack:0-0-1')?.detail).toBe('2 inside · 30 kW / 40 kW');
  });

  it('never shows more than the node bound, refusing the expansion that would pass it', () => {
    const tree = bucketTree(xlPowerTree());
    const everything = tree.groups.map((g) => g.id);
    const graph = showTree(tree, everything);
    expect(graph.nodes.length).toBeLessThanOrEqual(MAX_SHOWN_NODES);
    expect(graph.refused.length).toBeGreaterThan(0);
    for (const parent of [null, ...tree.groups.map((g) => g.id)]) {
      const children = tree.groups.filter((g) => g.parentId === parent).length + tree.items.filter((i) => i.parentId === parent).length;
      expect(children).toBeLessThanOrEqual(MAX_CHILDREN);
    }
  });

  it('splits a group with too many children into buckets', () => {
    const tree: Tree = { groups: [{ id: 'row:1', label: 'Row 1', parentId: null }], items: [], edges: [] };
    for (let i = 1; i <= 100; i++) tree.items.push({ id: `s${i}`, label: `Server ${i}`, parentId: 'row:1', rank: 0 });
    const bucketed = bucketTree(tree);
    const buckets = bucketed.groups.filter((g) => g.parentId === 'row:1');
    expect(buckets.map((b) => b.label)).toEqual(['Server 1 … Server 34 (34)', 'Server 35 … Server 68 (34)', 'Server 69 … Server 100 (32)']);
    expect(showTree(bucketed, ['row:1', buckets[1]!.id]).nodes.map((n) => n.label)).toContain('Server 50');
  });

  it('finds a node by name with the groups above it, and lays nodes out without overlaps', () => {
    const tree = bucketTree(xlPowerTree());
    const found = findInTree(tree, 'pdu 3-7-12b');
    expect(found).toEqual({ id: 'rack:3-7-12B', ancestors: ['hall:3', 'row:3-7', 'rack:3-7-12'] });
    expect(findInTree(tree, 'no such thing')).toBeNull();
    const graph = showTree(tree, found!.ancestors);
    expect(graph.nodes.map((n) => n.id)).toContain('rack:3-7-12B');
    const boxes = new Set(graph.nodes.map((n) => `${n.x},${n.y}`));
    expect(boxes.size).toBe(graph.nodes.length);
    expect(graph.width).toBeGreaterThan(0);
    expect(shownGraphMermaid(graph)).toContain('PDU 3-7-12B');
  });
});
