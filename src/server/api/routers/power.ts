import { asc, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { type DiagramNode, flowchart } from '@/domain/diagrams';
import { powerEdges, powerNodes } from '../../db/schema';
import { publicProcedure, router } from '../trpc';

const UPSTREAM_KINDS = ['utility-feed', 'generator', 'ats', 'switchgear', 'ups', 'pdu', 'rpp'] as const;

function formatKw(kw: number): string {
  return kw >= 1000 ? `${(kw / 1000).toFixed(2)} MW` : `${Math.round(kw)} kW`;
}

export const powerRouter = router({
  /** The site's power chain above rack level as a mermaid flowchart, A and B sides grouped. */
  upstreamDiagram: publicProcedure.input(z.object({ siteId: z.number().int().positive() })).query(async ({ ctx, input }) => {
    const nodes = await ctx.db
      .select()
      .from(powerNodes)
      .where(eq(powerNodes.siteId, input.siteId))
      .orderBy(asc(powerNodes.name));
    const upstream = nodes.filter((node) => (UPSTREAM_KINDS as readonly string[]).includes(node.kind));
    const ids = upstream.map((node) => node.id);
    const edges = ids.length ? await ctx.db.select().from(powerEdges).where(inArray(powerEdges.downstreamId, ids)) : [];
    const diagramNodes: DiagramNode[] = upstream.map((node) => ({
      id: String(node.id),
      label: node.name,
      detail: node.capacityKw ? formatKw(node.capacityKw) : undefined,
      group: node.side === 'N' ? undefined : `Side ${node.side}`,
    }));
    return {
      nodeCount: diagramNodes.length,
      source: flowchart(
        diagramNodes,
        edges.map((edge) => ({ from: String(edge.upstreamId), to: String(edge.downstreamId) })),
      ),
    };
  }),
});
