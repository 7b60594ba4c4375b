import { asc, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { dbId } from '../inputs';
import { type DiagramNode, flowchart } from '@/domain/diagrams';
import { formatPowerW } from '@/domain/units';
import { powerEdges, powerNodes } from '../../db/schema';
import { upsOnBattery } from '../../services/dashboards';
import { analysePlant } from '../../services/plant';
import { assertSiteWide } from '../../auth/zones';
import { readProcedure, router } from '../trpc';

const UPSTREAM_KINDS = ['utility-feed', 'generator', 'ats', 'switchgear', 'ups', 'pdu', 'rpp'] as const;
const siteInput = z.object({ siteId: dbId });

/** " (87 % charge, 9 min left)" from what the UPS reports; empty when it reports neither. */
function batteryLeft(u: { chargePct: number | null; runtimeS: number | null }): string {
  const parts = [u.chargePct === null ? null : `${Math.round(u.chargePct)} % charge`, u.runtimeS === null ? null : `${Math.round(u.runtimeS / 60)} min left`].filter(Boolean);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

export const powerRouter = router({
  /** Every power node with capacity, nameplate/allocated/measured load, headroom and its worst failover case. */
  nodes: readProcedure.meta({ example: { siteId: 1 } }).input(siteInput.extend({ includeRackPdus: z.boolean().default(false) })).query(async ({ ctx, input }) => {
    await assertSiteWide(ctx, input.siteId, 'the power chain');
    const nodes = await ctx.db.select().from(powerNodes).where(eq(powerNodes.siteId, input.siteId)).orderBy(asc(powerNodes.id));
    const analysis = await analysePlant(ctx.db, input.siteId);
    const power = analysis.power;
    const scenarioLabel = new Map(power.ok ? power.scenarios.map((sc) => [sc.id, sc.label]) : []);
    return {
      ok: power.ok,
      failoverOk: power.ok ? power.failoverOk : false,
      issues: power.issues,
      scenarios: power.ok
        ? power.scenarios.map((sc) => ({ id: sc.id, label: sc.label, overloads: sc.overloads.map((o) => ({ ...o, name: analysis.model.names.powerNodes.get(o.nodeId) ?? o.nodeId })) }))
        : [],
      nodes: nodes
        .filter((node) => input.includeRackPdus || node.kind !== 'rack-pdu')
        .map((node) => {
          const result = power.ok ? power.nodes[String(node.id)] : undefined;
          return {
            id: node.id,
            name: node.name,
            kind: node.kind,
            side: node.side,
            capacityW: result?.capacityW ?? null,
            nameplateW: result?.nameplateW ?? null,
            allocatedW: result?.allocatedW ?? null,
            measuredW: result?.measuredW ?? null,
            loadW: result?.loadW ?? null,
            lossW: result?.lossW ?? null,
            headroomW: result?.headroomW ?? null,
            utilizationPct: result?.utilizationPct ?? null,
            failoverHeadroomW: result?.failoverHeadroomW ?? null,
            failoverWorstLoadW: result?.failoverWorstLoadW ?? null,
            failoverWorstScenario: result ? (scenarioLabel.get(result.failoverWorstScenarioId) ?? result.failoverWorstScenarioId) : null,
          };
        }),
    };
  }),

  /**
   * The site's power chain above rack level as a mermaid flowchart, A and B sides grouped, each node with load /
   * capacity; a UPS that telemetry says runs on battery is drawn in red and listed in `onBattery`.
   */
  upstreamDiagram: readProcedure.meta({ example: { siteId: 1 } }).input(siteInput).query(async ({ ctx, input }) => {
    await assertSiteWide(ctx, input.siteId, 'the power chain');
    const nodes = await ctx.db.select().from(powerNodes).where(eq(powerNodes.siteId, input.siteId)).orderBy(asc(powerNodes.name));
    const upstream = nodes.filter((node) => (UPSTREAM_KINDS as readonly string[]).includes(node.kind));
    const ids = upstream.map((node) => node.id);
    const edges = ids.length ? await ctx.db.select().from(powerEdges).where(inArray(powerEdges.downstreamId, ids)) : [];
    const analysis = upstream.length ? await analysePlant(ctx.db, input.siteId) : undefined;
    const onBattery = upstream.length ? await upsOnBattery(ctx.pool, input.siteId) : [];
    const diagramNodes: DiagramNode[] = upstream.map((node) => {
      const result = analysis?.power.ok ? analysis.power.nodes[String(node.id)] : undefined;
      const battery = onBattery.find((u) => u.powerNodeId === node.id);
      const load = result ? `${formatPowerW(result.loadW)} / ${formatPowerW(result.capacityW)}` : undefined;
      return {
        id: String(node.id),
        label: node.name,
        detail: battery ? [`ON BATTERY${batteryLeft(battery)}`, load].filter(Boolean).join('<br/>') : load,
        group: node.side === 'N' ? undefined : `Side ${node.side}`,
        ...(battery ? { tone: 'alert' as const } : {}),
      };
    });
    return {
      onBattery: onBattery.map((u) => ({ name: u.name, chargePct: u.chargePct, runtimeS: u.runtimeS, summary: `${u.name}${batteryLeft(u)}` })),
      nodeCount: diagramNodes.length,
      source: flowchart(
        diagramNodes,
        edges.map((edge) => ({ from: String(edge.upstreamId), to: String(edge.downstreamId), label: edge.priority > 0 ? 'standby' : undefined })),
      ),
    };
  }),
});
