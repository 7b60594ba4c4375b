// Facility feedback: when a rack can take no more power (its own budget, or a row / upstream power node, A/B failover
// included: the one power analysis) or no more heat, or a cooling unit serving it has failed, the job engines are
// asked to keep their own schedulers off the mapped nodes in that rack (Slurm drain, Kubernetes taint), and released
// when it recovers. Rate-limited per cluster, audited as the system principal, advise-only per cluster.

import type pg from 'pg';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import * as s from '../../db/schema';
import { writeAudit } from '../../auth/audit';
import { deviceLoadOverlay } from '../dashboards';
import { analysePlant } from '../plant';
import { adapterFor } from './adapters';
import { connectionOf, errorText } from './registry';
import type { ClusterAdapter } from './types';

export const FEEDBACK_ACTOR = 'system:facility-feedback';

/** Why each rack (by id) should be avoided now; racks that are fine are absent. */
export async function facilityConditions(db: Db, pool: pg.Pool): Promise<Map<number, string>> {
  const causes = new Map<number, string>();
  const sites = (await db.execute<{ id: number }>(sql`SELECT id FROM sites ORDER BY id`)).rows;
  for (const site of sites) {
    const { overlay } = await deviceLoadOverlay(pool, site.id);
    const analysis = await analysePlant(db, site.id, overlay);
    const rackName = (id: string) => analysis.model.names.racks.get(id) ?? `rack ${id}`;
    const add = (rackId: string, cause: string) => {
      const id = Number(rackId);
      causes.set(id, causes.has(id) ? `${causes.get(id)}; ${cause}` : cause);
    };
    // Cooling units that failed, and the racks they serve (directly, by row or by hall).
    const failed = analysis.model.cooling.units.filter((u) => u.status === 'failed');
    for (const rack of analysis.model.cooling.racks) {
      const serving = failed.filter((u) => u.serves.some((a) => (a.kind === 'rack' && a.id === rack.id) || (a.kind === 'row' && a.id === rack.rowId) || (a.kind === 'hall' && a.id === rack.hallId)));
      if (serving.length) add(rack.id, `${rackName(rack.id)} cooling unit ${serving.map((u) => analysis.model.names.coolingUnits.get(u.id) ?? u.name ?? u.id).join(', ')} failed`);
    }
    for (const [rackId, result] of Object.entries(analysis.cooling.racks)) {
      if (causes.has(Number(rackId))) continue;
      if (result.coolingHeadroomW <= 0) add(rackId, `${rackName(rackId)} cooling headroom ${(result.coolingHeadroomW / 1000).toFixed(1)} kW`);
    }
    if (analysis.power.ok) {
      for (const [rackId, result] of Object.entries(analysis.power.racks)) {
        if (result.powerHeadroomW > 0) continue;
        const limit = result.powerHeadroomLimitedBy;
        const where = limit.kind === 'node' ? `power node ${analysis.model.names.powerNodes.get(limit.nodeId) ?? limit.nodeId}` : limit.kind === 'rack-budget' ? 'rack budget' : 'power';
        add(rackId, `${rackName(rackId)} ${where} headroom ${(result.powerHeadroomW / 1000).toFixed(1)} kW`);
      }
    }
  }
  return causes;
}

export type FeedbackAction = { cluster: string; node: string; action: 'steer' | 'advise' | 'release' | 'failed' | 'deferred'; cause: string; error?: string };

/**
 * One pass over every cluster: steer away from the mapped nodes of racks with a condition, release those whose rack
 * recovered. At most `steerActionsPerMinute` engine calls per cluster per minute: the rest wait for the next pass
 * (releases first, so a recovering facility is given back before new drains). `adapters` lets a caller reuse adapters.
 */
export async function applyFacilityFeedback(db: Db, pool: pg.Pool, options: { conditions?: Map<number, string>; adapters?: Map<number, ClusterAdapter> } = {}): Promise<FeedbackAction[]> {
  const conditions = options.conditions ?? (await facilityConditions(db, pool));
  const actions: FeedbackAction[] = [];
  const clusters = await db.select().from(s.clusters).orderBy(s.clusters.id);
  for (const cluster of clusters) {
    const connection = connectionOf(cluster);
    const nodes = (
      await db.execute<{ name: string; rack_id: number | null }>(sql`
        SELECT n.name, d.rack_id FROM cluster_nodes n JOIN devices d ON d.id = n.device_id WHERE n.cluster_id = ${cluster.id}`)
    ).rows;
    const wanted = new Map<string, { rackId: number; cause: string }>();
    for (const node of nodes) {
      const cause = node.rack_id === null ? undefined : conditions.get(node.rack_id);
      if (cause) wanted.set(node.name, { rackId: node.rack_id!, cause });
    }
    const open = await db
      .select()
      .from(s.clusterSteering)
      .where(and(eq(s.clusterSteering.clusterId, cluster.id), isNull(s.clusterSteering.releasedAt)));
    const recent = (
      await db.execute<{ n: number }>(sql`
        SELECT count(*)::int AS n FROM audit_log WHERE actor = ${FEEDBACK_ACTOR} AND object_type = 'cluster' AND object_id = ${String(cluster.id)}
          AND action IN ('clusters.steer', 'clusters.release') AND at > now() - interval '1 minute'`)
    ).rows[0]!.n;
    let budget = Math.max(0, connection.options.steerActionsPerMinute - recent);
    let adapter = options.adapters?.get(cluster.id);
    const engine = () => {
      adapter ??= adapterFor(connection);
      return adapter;
    };
    const audit = (action: string, node: string, cause: string, outcome: 'ok' | 'error', detail?: unknown) =>
      writeAudit(db, { actor: FEEDBACK_ACTOR, action, outcome, objectType: 'cluster', objectId: String(cluster.id), after: { cluster: cluster.name, node, cause }, detail });

    // Releases: the rack recovered, the node is gone or unmapped, or the cluster became advise-only.
    for (const row of open) {
      // A node still affected keeps its action (a failed steer is retried below), unless the cluster went advise-only.
      if (wanted.has(row.nodeName) && !(row.applied && connection.options.adviseOnly)) continue;
      if (row.applied) {
        if (budget <= 0) {
          actions.push({ cluster: cluster.name, node: row.nodeName, action: 'deferred', cause: row.cause });
          continue;
        }
        budget--;
        try {
          await engine().release(row.nodeName, AbortSignal.timeout(30_000));
        } catch (error) {
          const text = errorText(error);
          await db.update(s.clusterSteering).set({ lastError: text, lastActionAt: new Date() }).where(eq(s.clusterSteering.id, row.id));
          await audit('clusters.release', row.nodeName, row.cause, 'error', { error: text });
          actions.push({ cluster: cluster.name, node: row.nodeName, action: 'failed', cause: row.cause, error: text });
          continue;
        }
        await audit('clusters.release', row.nodeName, row.cause, 'ok');
      }
      await db.update(s.clusterSteering).set({ state: 'released', releasedAt: new Date(), lastActionAt: new Date() }).where(eq(s.clusterSteering.id, row.id));
      actions.push({ cluster: cluster.name, node: row.nodeName, action: 'release', cause: row.cause });
    }

    // Steers: new conditions, a changed cause, or a failed steer to retry.
    const openByNode = new Map(open.filter((r) => wanted.has(r.nodeName) && !(r.applied && connection.options.adviseOnly)).map((r) => [r.nodeName, r]));
    for (const [node, { rackId, cause }] of wanted) {
      const row = openByNode.get(node);
      if (connection.options.adviseOnly) {
        if (row) {
          if (row.cause !== cause || row.state !== 'advised') await db.update(s.clusterSteering).set({ cause, state: 'advised', lastError: null, lastActionAt: new Date() }).where(eq(s.clusterSteering.id, row.id));
          continue;
        }
        await db.insert(s.clusterSteering).values({ clusterId: cluster.id, nodeName: node, rackId, cause, applied: false, state: 'advised' });
        actions.push({ cluster: cluster.name, node, action: 'advise', cause });
        continue;
      }
      if (row && row.state === 'steered' && row.cause === cause) continue;
      if (budget <= 0) {
        actions.push({ cluster: cluster.name, node, action: 'deferred', cause });
        continue;
      }
      budget--;
      try {
        await engine().steerAway(node, cause, AbortSignal.timeout(30_000));
      } catch (error) {
        const text = errorText(error);
        if (row) await db.update(s.clusterSteering).set({ state: 'failed', cause, lastError: text, lastActionAt: new Date() }).where(eq(s.clusterSteering.id, row.id));
        else await db.insert(s.clusterSteering).values({ clusterId: cluster.id, nodeName: node, rackId, cause, applied: false, state: 'failed', lastError: text });
        await audit('clusters.steer', node, cause, 'error', { error: text });
        actions.push({ cluster: cluster.name, node, action: 'failed', cause, error: text });
        continue;
      }
      if (row) await db.update(s.clusterSteering).set({ state: 'steered', applied: true, cause, lastError: null, lastActionAt: new Date() }).where(eq(s.clusterSteering.id, row.id));
      else await db.insert(s.clusterSteering).values({ clusterId: cluster.id, nodeName: node, rackId, cause, applied: true, state: 'steered' });
      await audit('clusters.steer', node, cause, 'ok');
      actions.push({ cluster: cluster.name, node, action: 'steer', cause });
    }
  }
  return actions;
}
