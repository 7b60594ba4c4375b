import { and, eq, inArray, ne, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import { dbId } from '../inputs';
import { coolingDiagram, type FabricLink, fabricDiagram, powerDiagram } from '@/domain/topology';
import * as s from '../../db/schema';
import { analysePlant } from '../../services/plant';
import { topologyTree } from '../../services/topology-tree';
import { findInTree, MAX_SHOWN_NODES, showTree, shownGraphMermaid } from '@/domain/topology-tree';
import { fieldError } from '../errors';
import { assertSiteWide } from '../../auth/zones';
import { readProcedure, router } from '../trpc';

const id = dbId;
/** Site scope draws the chain above rack level; hall or row scope adds its racks. */
const scopeInput = z.object({ siteId: id, hallId: id.optional(), rowId: id.optional() });

async function racksInScope(db: Parameters<typeof analysePlant>[0], input: z.infer<typeof scopeInput>) {
  if (!input.hallId && !input.rowId) return [];
  return db
    .select({ id: s.racks.id, name: s.racks.name, hallId: s.racks.hallId })
    .from(s.racks)
    .innerJoin(s.halls, eq(s.halls.id, s.racks.hallId))
    .where(and(eq(s.halls.siteId, input.siteId), input.hallId ? eq(s.racks.hallId, input.hallId) : undefined, input.rowId ? eq(s.racks.rowId, input.rowId) : undefined));
}

/** Group ids the browser asks to open: `hall:3`, `row:12`, `rack:40`, `tier:spine`, `bucket:row:12:40`. */
const groupId = z.string().max(80).regex(/^[a-z]+:[a-z0-9:]+$/, 'a group id such as hall:3');
const exploreInput = z.object({
  siteId: id,
  view: z.enum(['power', 'cooling', 'network']),
  fabricId: id.optional(),
  expanded: z.array(groupId).max(200).default([]),
  focus: z.string().trim().max(100).optional(),
});

export const topologyRouter = router({
  /**
   * The bounded, hierarchical view: only the groups asked for are opened (at most MAX_SHOWN_NODES nodes), edges
   * between closed groups are merged with counts, and positions are laid out here so the browser only draws.
   * `focus` finds a node by name and opens the groups above it.
   */
  explore: readProcedure.meta({ example: { siteId: 1, view: 'power' } }).input(exploreInput).query(async ({ ctx, input }) => {
    await assertSiteWide(ctx, input.siteId, 'site topology');
    const fabrics = input.view === 'network' ? await ctx.db.select().from(s.fabrics).where(eq(s.fabrics.siteId, input.siteId)) : [];
    const fabric = input.fabricId ? fabrics.find((f) => f.id === input.fabricId) : (fabrics.find((f) => f.purpose === 'compute') ?? fabrics[0]);
    if (input.view === 'network' && !fabric) throw fieldError('fabricId', input.fabricId ? 'no such fabric in this site' : 'no fabric in this site');
    const tree = await topologyTree(ctx.db, input.siteId, input.view, fabric?.id);
    let expanded = input.expanded;
    let focusId: string | null = null;
    let path: string[] = [];
    if (input.focus) {
      const found = findInTree(tree, input.focus);
      if (!found) throw fieldError('focus', `nothing named like "${input.focus}" in this ${input.view} view`);
      focusId = found.id;
      path = found.ancestors;
      // The path to the focus opens first; what else was open stays open while the node bound allows.
      expanded = [...found.ancestors, ...expanded.filter((g) => !found.ancestors.includes(g))];
    }
    let graph = showTree(tree, expanded);
    // The path to the node searched for wins: if what else was open left no room for it, only the path stays open.
    if (focusId && !graph.nodes.some((n) => n.id === focusId)) graph = showTree(tree, path);
    return {
      ...graph,
      focusId,
      maxNodes: MAX_SHOWN_NODES,
      mermaid: shownGraphMermaid(graph),
      fabric: fabric ? { id: fabric.id, name: fabric.name, topology: fabric.topology } : null,
      fabrics: fabrics.map((f) => ({ id: f.id, name: f.name })),
    };
  }),

  power: readProcedure.meta({ example: { siteId: 1 } }).input(scopeInput).query(async ({ ctx, input }) => {
    await assertSiteWide(ctx, input.siteId, 'site topology');
    const analysis = await analysePlant(ctx.db, input.siteId);
    if (!analysis.power.ok) throw fieldError('siteId', `the power chain is invalid: ${analysis.power.issues[0]?.reason ?? 'unknown issue'}`);
    const power = analysis.power;
    const nodes = await ctx.db.select().from(s.powerNodes).where(eq(s.powerNodes.siteId, input.siteId));
    const racks = await racksInScope(ctx.db, input);
    const rackIds = new Set(racks.map((r) => r.id));
    const rackPdus = nodes.filter((n) => n.kind === 'rack-pdu' && n.rackId !== null && rackIds.has(n.rackId));
    const shown = [...nodes.filter((n) => n.kind !== 'rack-pdu'), ...rackPdus];
    const shownIds = new Set(shown.map((n) => n.id));
    const edges = await ctx.db.select().from(s.powerEdges).where(inArray(s.powerEdges.downstreamId, [...shownIds]));
    const source = powerDiagram(
      shown.map((n) => ({ id: String(n.id), name: n.name, kind: n.kind, side: n.side, loadW: power.nodes[String(n.id)]?.loadW ?? null, capacityW: power.nodes[String(n.id)]?.capacityW ?? null })),
      edges.filter((e) => shownIds.has(e.upstreamId)).map((e) => ({ upstreamId: String(e.upstreamId), downstreamId: String(e.downstreamId), standby: e.priority > 0 })),
      racks.map((r) => ({ id: String(r.id), name: r.name, kind: 'rack', side: 'N' as const, loadW: power.racks[String(r.id)]?.loadW ?? null, capacityW: power.racks[String(r.id)]?.capacityW ?? null, href: `/racks/${r.id}` })),
      rackPdus.map((p) => ({ rackPduId: String(p.id), rackId: String(p.rackId) })),
    );
    return { source, nodeCount: shown.length + racks.length };
  }),

  network: readProcedure.meta({ example: { siteId: 1 } }).input(scopeInput.extend({ fabricId: id.optional() })).query(async ({ ctx, input }) => {
    await assertSiteWide(ctx, input.siteId, 'site topology');
    const fabrics = await ctx.db.select().from(s.fabrics).where(eq(s.fabrics.siteId, input.siteId));
    const fabric = input.fabricId ? fabrics.find((f) => f.id === input.fabricId) : (fabrics.find((f) => f.purpose === 'compute') ?? fabrics[0]);
    if (!fabric) throw fieldError('fabricId', 'no fabric in this site');
    const members = await ctx.db
      .select({ deviceId: s.fabricMembers.deviceId, tier: s.fabricMembers.tier, name: s.devices.name, rackId: s.devices.rackId, hallId: s.racks.hallId, rowId: s.racks.rowId, rackName: s.racks.name })
      .from(s.fabricMembers)
      .innerJoin(s.devices, eq(s.devices.id, s.fabricMembers.deviceId))
      .leftJoin(s.racks, eq(s.racks.id, s.devices.rackId))
      .where(eq(s.fabricMembers.fabricId, fabric.id));
    const inScope = (m: (typeof members)[number]) => (!input.hallId || m.hallId === input.hallId) && (!input.rowId || m.rowId === input.rowId);
    const switches = members.filter((m) => m.tier !== 'node' && (m.tier !== 'leaf' || inScope(m)));
    const switchIds = switches.map((m) => m.deviceId);
    const mine = alias(s.interfaces, 'mine');
    const peer = alias(s.interfaces, 'peer');
    const myEnd = alias(s.linkEnds, 'my_end');
    const peerEnd = alias(s.linkEnds, 'peer_end');
    const links = switchIds.length
      ? await ctx.db
          .select({ switchId: mine.deviceId, peerDeviceId: peer.deviceId, speedGbps: sql<number>`least(${mine.speedGbps}, ${peer.speedGbps})` })
          .from(mine)
          .innerJoin(myEnd, eq(myEnd.interfaceId, mine.id))
          .innerJoin(peerEnd, and(eq(peerEnd.linkId, myEnd.linkId), ne(peerEnd.interfaceId, mine.id)))
          .innerJoin(peer, eq(peer.id, peerEnd.interfaceId))
          .where(inArray(mine.deviceId, switchIds))
      : [];
    const memberById = new Map(members.map((m) => [m.deviceId, m]));
    const switchIdSet = new Set(switchIds);
    const groups = new Map<string, { id: string; label: string; href?: string; hosts: Set<number> }>();
    const fabricLinks = links.flatMap((link): FabricLink[] => {
      const host = memberById.get(link.peerDeviceId);
      if (switchIdSet.has(link.peerDeviceId)) return [{ switchId: String(link.switchId), peerSwitchId: String(link.peerDeviceId), speedGbps: link.speedGbps }];
      if (host?.tier !== 'node' || !inScope(host)) return [];
      const key = `${host.rackId}`;
      const group = groups.get(key) ?? { id: key, label: `Rack ${host.rackName}`, href: `/racks/${host.rackId}`, hosts: new Set<number>() };
      group.hosts.add(host.deviceId);
      groups.set(key, group);
      return [{ switchId: String(link.switchId), hostGroup: key, speedGbps: link.speedGbps }];
    });
    const source = fabricDiagram(
      switches.map((m) => ({ id: String(m.deviceId), name: m.name, tier: m.tier as 'leaf' | 'spine' | 'core', href: `/devices/${m.deviceId}` })),
      fabricLinks,
      [...groups.values()].map((g) => ({ id: g.id, label: `${g.label} (${g.hosts.size} hosts)`, href: g.href })),
    );
    return { source, fabric: { id: fabric.id, name: fabric.name, topology: fabric.topology }, fabrics: fabrics.map((f) => ({ id: f.id, name: f.name })), nodeCount: switches.length + groups.size };
  }),

  cooling: readProcedure.meta({ example: { siteId: 1 } }).input(scopeInput).query(async ({ ctx, input }) => {
    await assertSiteWide(ctx, input.siteId, 'site topology');
    const analysis = await analysePlant(ctx.db, input.siteId);
    const units = await ctx.db.select().from(s.coolingUnits).where(eq(s.coolingUnits.siteId, input.siteId));
    const served = await ctx.db
      .select({ unitId: s.coolingServedAreas.unitId, hallId: s.coolingServedAreas.hallId, rowId: s.coolingServedAreas.rowId, rackId: s.coolingServedAreas.rackId, hall: s.halls.name, row: s.rows.name, rack: s.racks.name })
      .from(s.coolingServedAreas)
      .leftJoin(s.halls, eq(s.halls.id, s.coolingServedAreas.hallId))
      .leftJoin(s.rows, eq(s.rows.id, s.coolingServedAreas.rowId))
      .leftJoin(s.racks, eq(s.racks.id, s.coolingServedAreas.rackId))
      .where(
        inArray(
          s.coolingServedAreas.unitId,
          units.map((u) => u.id),
        ),
      );
    const scoped = served.filter((area) => !input.hallId || area.hallId === input.hallId || area.hallId === null);
    const areaKey = (a: (typeof served)[number]) => (a.hallId ? `hall${a.hallId}` : a.rowId ? `row${a.rowId}` : `rack${a.rackId}`);
    const areas = new Map(scoped.map((a) => [areaKey(a), { id: areaKey(a), label: a.hall ? `Hall ${a.hall.replace(/^Hall /, '')}` : a.row ? `Row ${a.row}` : `Rack ${a.rack}` }]));
    const unitIds = new Set(scoped.map((a) => a.unitId));
    const shown = units.filter((u) => unitIds.has(u.id));
    const source = coolingDiagram(
      shown.map((u) => ({ id: String(u.id), name: u.name, kind: u.kind, loadW: analysis.cooling.units[String(u.id)]?.loadW ?? 0, capacityW: u.capacityKw * 1000, failed: u.status === 'failed' })),
      [...areas.values()],
      scoped.map((a) => ({ unitId: String(a.unitId), areaId: areaKey(a) })),
      new Map(shown.map((u) => [String(u.id), `Group ${u.redundancyGroup}`])),
    );
    return { source, nodeCount: shown.length + areas.size };
  }),
});
