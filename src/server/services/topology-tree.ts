/**
 * Builds the hierarchical topology trees (src/domain/topology-tree) from the database: the power chain and cooling
 * grouped site → hall → row → rack, the fabric as spines → leaf groups (by hall and row) → host groups (one per rack).
 * The whole tree stays on the server; only the shown, bounded part is sent to the browser.
 */
import { and, count, eq, inArray, min, ne, sql } from 'drizzle-orm';
import { alias, PgTransaction } from 'drizzle-orm/pg-core';
import { bucketTree, type Tree, type TreeEdge, type TreeGroup, type TreeItem } from '@/domain/topology-tree';
import type { Db } from '../db/client';
import * as s from '../db/schema';
import { analysePlant } from './plant';

export type TopologyView = 'power' | 'cooling' | 'network';

const POWER_RANK: Record<string, number> = { 'utility-feed': 0, generator: 0, ats: 1, switchgear: 2, ups: 3, pdu: 4, rpp: 5, 'power-feed': 6, 'rack-pdu': 7 };

async function siteLayout(db: Db, siteId: number) {
  const halls = await db.select({ id: s.halls.id, name: s.halls.name }).from(s.halls).where(eq(s.halls.siteId, siteId));
  const hallIds = halls.map((h) => h.id);
  const rows = hallIds.length ? await db.select({ id: s.rows.id, name: s.rows.name, hallId: s.rows.hallId }).from(s.rows).where(inArray(s.rows.hallId, hallIds)) : [];
  const racks = hallIds.length ? await db.select({ id: s.racks.id, name: s.racks.name, hallId: s.racks.hallId, rowId: s.racks.rowId }).from(s.racks).where(inArray(s.racks.hallId, hallIds)) : [];
  const groups: TreeGroup[] = [
    ...halls.map((h) => ({ id: `hall:${h.id}`, label: h.name, parentId: null })),
    ...rows.map((r) => ({ id: `row:${r.id}`, label: `Row ${r.name}`, parentId: `hall:${r.hallId}` })),
  ];
  return { halls, rows, racks, groups, rackById: new Map(racks.map((r) => [r.id, r])) };
}

/** The single hall a set of halls reduces to, else null (the node serves several halls and sits at site level). */
function onlyHall(halls: Set<number>): string | null {
  return halls.size === 1 ? `hall:${[...halls][0]}` : null;
}

async function powerTree(db: Db, siteId: number): Promise<Tree> {
  const layout = await siteLayout(db, siteId);
  const analysis = await analysePlant(db, siteId);
  const power = analysis.power.ok ? analysis.power : null;
  const nodes = await db.select().from(s.powerNodes).where(eq(s.powerNodes.siteId, siteId));
  const nodeIds = nodes.map((n) => n.id);
  const edges = nodeIds.length ? await db.select().from(s.powerEdges).where(inArray(s.powerEdges.downstreamId, nodeIds)) : [];
  const downstream = new Map<number, number[]>();
  for (const e of edges) downstream.set(e.upstreamId, [...(downstream.get(e.upstreamId) ?? []), e.downstreamId]);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  // The halls each node feeds, through everything downstream of it (memoised walk over the DAG).
  const hallsBelow = new Map<number, Set<number>>();
  const feeds = (id: number, seen = new Set<number>()): Set<number> => {
    const known = hallsBelow.get(id);
    if (known) return known;
    const result = new Set<number>();
    const node = byId.get(id);
    const rack = node?.rackId ? layout.rackById.get(node.rackId) : undefined;
    if (rack) result.add(rack.hallId);
    seen.add(id);
    for (const next of downstream.get(id) ?? []) if (!seen.has(next)) for (const h of feeds(next, seen)) result.add(h);
    hallsBelow.set(id, result);
    return result;
  };
  const rackGroups: TreeGroup[] = layout.racks.map((r) => {
    const rp = power?.racks[String(r.id)];
    return { id: `rack:${r.id}`, label: `Rack ${r.name}`, parentId: `row:${r.rowId}`, href: `/racks/${r.id}`, loadW: rp?.loadW ?? null, capacityW: rp?.capacityW ?? null };
  });
  const items: TreeItem[] = nodes.map((n) => {
    const result = power?.nodes[String(n.id)];
    return {
      id: `p:${n.id}`,
      label: n.name,
      parentId: n.rackId ? `rack:${n.rackId}` : onlyHall(feeds(n.id)),
      rank: POWER_RANK[n.kind] ?? 4,
      detail: n.side === 'N' ? n.kind : `${n.kind} · side ${n.side}`,
      loadW: result?.loadW ?? null,
      capacityW: result?.capacityW ?? null,
      href: n.rackId ? `/racks/${n.rackId}` : undefined,
    };
  });
  const treeEdges: TreeEdge[] = edges.map((e) => ({ from: `p:${e.upstreamId}`, to: `p:${e.downstreamId}`, standby: e.priority > 0 }));
  return { groups: [...withGroupTotals(layout.groups, rackGroups), ...rackGroups], items, edges: treeEdges };
}

/** Halls and rows carry the sum of their racks' load and capacity (not of the A and B rack PDUs, which is double). */
function withGroupTotals(groups: TreeGroup[], rackGroups: TreeGroup[]): TreeGroup[] {
  const totals = new Map<string, { loadW: number; capacityW: number }>();
  const parentOf = new Map(groups.map((g) => [g.id, g.parentId]));
  for (const rack of rackGroups) {
    for (let parent = rack.parentId; parent; parent = parentOf.get(parent) ?? null) {
      const t = totals.get(parent) ?? { loadW: 0, capacityW: 0 };
      t.loadW += rack.loadW ?? 0;
      t.capacityW += rack.capacityW ?? 0;
      totals.set(parent, t);
    }
  }
  return groups.map((g) => ({ ...g, loadW: totals.get(g.id)?.loadW ?? null, capacityW: totals.get(g.id)?.capacityW || null }));
}

async function coolingTree(db: Db, siteId: number): Promise<Tree> {
  const layout = await siteLayout(db, siteId);
  const analysis = await analysePlant(db, siteId);
  const units = await db.select().from(s.coolingUnits).where(eq(s.coolingUnits.siteId, siteId));
  const served = units.length ? await db.select().from(s.coolingServedAreas).where(inArray(s.coolingServedAreas.unitId, units.map((u) => u.id))) : [];
  const rowHall = new Map(layout.rows.map((r) => [r.id, r.hallId]));
  const racksOf = (area: (typeof served)[number]) =>
    area.rackId ? layout.racks.filter((r) => r.id === area.rackId) : area.rowId ? layout.racks.filter((r) => r.rowId === area.rowId) : layout.racks.filter((r) => r.hallId === area.hallId);
  const unitHalls = new Map<number, Set<number>>();
  const edges: TreeEdge[] = [];
  for (const area of served) {
    const hall = area.hallId ?? (area.rowId ? rowHall.get(area.rowId) : area.rackId ? layout.rackById.get(area.rackId)?.hallId : undefined);
    if (hall !== undefined) unitHalls.set(area.unitId, (unitHalls.get(area.unitId) ?? new Set()).add(hall));
    for (const rack of racksOf(area)) edges.push({ from: `u:${area.unitId}`, to: `rack:${rack.id}` });
  }
  const items: TreeItem[] = [
    ...units.map((u) => ({
      id: `u:${u.id}`,
      label: u.name,
      parentId: onlyHall(unitHalls.get(u.id) ?? new Set()),
      rank: 0,
      detail: `${u.kind} · group ${u.redundancyGroup}${u.status === 'failed' ? ' · FAILED' : ''}`,
      loadW: analysis.cooling.units[String(u.id)]?.loadW ?? null,
      capacityW: u.capacityKw * 1000,
      failed: u.status === 'failed',
    })),
    ...layout.racks.map((r) => ({ id: `rack:${r.id}`, label: `Rack ${r.name}`, parentId: `row:${r.rowId}`, rank: 1, href: `/racks/${r.id}` })),
  ];
  return { groups: layout.groups, items, edges };
}

async function networkTree(db: Db, siteId: number, fabricId: number): Promise<Tree> {
  const layout = await siteLayout(db, siteId);
  const members = await db
    .select({ deviceId: s.fabricMembers.deviceId, tier: s.fabricMembers.tier, name: s.devices.name, rackId: s.devices.rackId })
    .from(s.fabricMembers)
    .innerJoin(s.devices, eq(s.devices.id, s.fabricMembers.deviceId))
    .where(and(eq(s.fabricMembers.fabricId, fabricId), ne(s.fabricMembers.tier, 'node')));
  const mine = alias(s.interfaces, 'mine');
  const peer = alias(s.interfaces, 'peer');
  const myEnd = alias(s.linkEnds, 'my_end');
  const peerEnd = alias(s.linkEnds, 'peer_end');
  const peerMember = alias(s.fabricMembers, 'peer_member');
  const peerDevice = alias(s.devices, 'peer_device');
  // One row per switch and peer switch, or per switch and the rack of the hosts it serves: counted in the database.
  const hostRack = sql<number | null>`case when ${peerMember.tier} = 'node' then ${peerDevice.rackId} end`;
  const peerSwitch = sql<number | null>`case when ${peerMember.tier} = 'node' then null else ${peer.deviceId} end`;
  const links = members.length
    ? await db
        .select({ switchId: mine.deviceId, peerSwitchId: peerSwitch, hostRackId: hostRack, links: count(), hosts: sql<number>`count(distinct ${peer.deviceId})::int`, speedGbps: min(sql<number>`least(${mine.speedGbps}, ${peer.speedGbps})`) })
        .from(mine)
        .innerJoin(myEnd, eq(myEnd.interfaceId, mine.id))
        .innerJoin(peerEnd, and(eq(peerEnd.linkId, myEnd.linkId), ne(peerEnd.interfaceId, mine.id)))
        .innerJoin(peer, eq(peer.id, peerEnd.interfaceId))
        .innerJoin(peerMember, and(eq(peerMember.deviceId, peer.deviceId), eq(peerMember.fabricId, fabricId)))
        .innerJoin(peerDevice, eq(peerDevice.id, peer.deviceId))
        .where(inArray(mine.deviceId, members.map((m) => m.deviceId)))
        .groupBy(mine.deviceId, peerSwitch, hostRack)
    : [];
  const tierOf = new Map(members.map((m) => [m.deviceId, m.tier]));
  const groups: TreeGroup[] = [...layout.groups];
  const spines = members.filter((m) => m.tier !== 'leaf');
  // Many spines collapse into one group per tier at the top; a few stay as they are.
  const tierGroup = (tier: string) => (spines.length > 12 ? `tier:${tier}` : null);
  for (const tier of ['core', 'spine'] as const) {
    const n = spines.filter((m) => m.tier === tier).length;
    if (n && spines.length > 12) groups.push({ id: `tier:${tier}`, label: `${tier === 'core' ? 'Core' : 'Spines'} (${n})`, parentId: null });
  }
  const rackParent = (rackId: number | null) => {
    const rack = rackId ? layout.rackById.get(rackId) : undefined;
    return rack ? `row:${rack.rowId}` : null;
  };
  const hostsPerRack = new Map<number, number>();
  const upGbps = new Map<number, number>();
  const downGbps = new Map<number, number>();
  const edges: TreeEdge[] = [];
  for (const link of links) {
    const speed = `${Number(link.speedGbps)} Gb/s`;
    const gbps = Number(link.links) * Number(link.speedGbps ?? 0);
    if (tierOf.get(link.switchId) === 'leaf') {
      const target = link.peerSwitchId !== null ? upGbps : downGbps;
      if (link.peerSwitchId === null || tierOf.get(link.peerSwitchId) !== 'leaf') target.set(link.switchId, (target.get(link.switchId) ?? 0) + gbps);
    }
    if (link.peerSwitchId !== null) {
      // Switch-to-switch links appear from both ends: keep the one pointing down the tiers.
      const down = (tierOf.get(link.switchId) === 'leaf' ? 2 : tierOf.get(link.switchId) === 'spine' ? 1 : 0) < (tierOf.get(link.peerSwitchId) === 'leaf' ? 2 : tierOf.get(link.peerSwitchId) === 'spine' ? 1 : 0);
      if (down) edges.push({ from: `s:${link.switchId}`, to: `s:${link.peerSwitchId}`, count: link.links, label: speed });
    } else if (link.hostRackId !== null) {
      hostsPerRack.set(link.hostRackId, Math.max(hostsPerRack.get(link.hostRackId) ?? 0, link.hosts));
      edges.push({ from: `s:${link.switchId}`, to: `hosts:${link.hostRackId}`, count: link.links, label: speed });
    }
  }
  // Oversubscription of a leaf: host-facing bandwidth ÷ uplink bandwidth (1:1 is non-blocking).
  const oversubscription = (leafId: number) => {
    const up = upGbps.get(leafId) ?? 0;
    return up > 0 ? `leaf · oversubscription ${((downGbps.get(leafId) ?? 0) / up).toFixed(2)}:1` : 'leaf · no uplinks';
  };
  const items: TreeItem[] = members.map((m) => ({
    id: `s:${m.deviceId}`,
    label: m.name,
    parentId: m.tier === 'leaf' ? rackParent(m.rackId) : tierGroup(m.tier),
    rank: m.tier === 'core' ? 0 : m.tier === 'spine' ? 1 : 2,
    detail: m.tier === 'leaf' ? oversubscription(m.deviceId) : m.tier,
    href: `/devices/${m.deviceId}`,
  }));
  for (const [rackId, hosts] of hostsPerRack) {
    const rack = layout.rackById.get(rackId);
    items.push({ id: `hosts:${rackId}`, label: `Rack ${rack?.name ?? rackId} hosts`, parentId: rackParent(rackId), rank: 3, detail: `${hosts} hosts`, href: `/racks/${rackId}` });
  }
  return { groups, items, edges };
}

function buildTree(db: Db, siteId: number, view: TopologyView, fabricId?: number): Promise<Tree> {
  if (view === 'power') return powerTree(db, siteId);
  if (view === 'cooling') return coolingTree(db, siteId);
  if (fabricId === undefined) throw new Error('a network topology needs a fabric');
  return networkTree(db, siteId, fabricId);
}

/**
 * What the trees are built from, as one string that changes when any of it changes: the plant version (bumped by
 * statement triggers on halls, rows, racks, devices, power and cooling tables) and, for the fabric, the size and
 * sums of the link and interface tables (not covered by those triggers; integer sums: a float sum changes with the
 * order a parallel scan adds in).
 */
async function sourceVersion(db: Db, view: TopologyView): Promise<string> {
  const [plant] = await db.select({ version: s.plantVersion.version }).from(s.plantVersion);
  if (view !== 'network') return String(plant?.version ?? -1);
  const result = await db.execute<{ fingerprint: string }>(sql`
    SELECT concat_ws(':',
      (SELECT count(*) || '/' || coalesce(max(id), 0) FROM links),
      (SELECT count(*) || '/' || coalesce(sum(link_id + interface_id), 0) FROM link_ends),
      (SELECT count(*) || '/' || coalesce(max(id), 0) || '/' || coalesce(sum(round(speed_gbps * 1000)::bigint), 0) || '/' || coalesce(sum(device_id), 0) FROM interfaces),
      (SELECT count(*) || '/' || coalesce(sum(device_id::bigint * fabric_id), 0) || '/' || coalesce(sum(device_id::bigint * length(tier::text)), 0) FROM fabric_members)
    ) AS fingerprint`);
  return `${plant?.version ?? -1}:${result.rows[0]?.fingerprint ?? ''}`;
}

/** Per database handle, per site, view and fabric: the built, bucketed tree and the source version it was built from. */
const treeCaches = new WeakMap<Db, Map<string, { version: string; tree: Promise<Tree> }>>();

/**
 * The bucketed tree of one view. Built once per change of what it is built from (an xl fabric takes ~0.6 s to read)
 * and shared by every request after; inside a transaction it is always built fresh.
 */
export async function topologyTree(db: Db, siteId: number, view: TopologyView, fabricId?: number): Promise<Tree> {
  if (db instanceof PgTransaction) return bucketTree(await buildTree(db, siteId, view, fabricId));
  let cache = treeCaches.get(db);
  if (!cache) {
    cache = new Map();
    treeCaches.set(db, cache);
  }
  const key = `${siteId}:${view}:${fabricId ?? ''}`;
  const version = await sourceVersion(db, view);
  const held = cache.get(key);
  if (held && held.version === version) return held.tree;
  const tree = buildTree(db, siteId, view, fabricId).then(bucketTree);
  cache.set(key, { version, tree });
  tree.catch(() => {
    if (cache.get(key)?.tree === tree) cache.delete(key);
  });
  return tree;
}
