import { sql } from 'drizzle-orm';
import type pg from 'pg';
import type { Db } from '../../db/client';
import type { Worker } from '../workers';
import { applyFacilityFeedback } from './feedback';
import { dueClusters, syncCluster } from './registry';

/** How often facility feedback re-reads the plant analysis and acts (when any cluster is registered). */
export const FEEDBACK_INTERVAL_MS = 15_000;

/**
 * Keeps every registered cluster in step with its engine: each cluster is read once per its own poll interval
 * (default 15 s), all due clusters at once so a slow engine does not hold up the others. A failed read is that
 * cluster's health, never the worker's failure.
 */
export function clustersWorker(db: Db, pool: pg.Pool, options: { intervalMs?: number } = {}): Worker {
  let lastFeedbackAt = 0;
  return {
    name: 'clusters',
    intervalMs: options.intervalMs ?? 1000,
    tick: async () => {
      const due = await dueClusters(db);
      const results = await Promise.all(due.map(async (cluster) => ({ cluster, result: await syncCluster(db, cluster.id) })));
      const parts = results.map(({ cluster, result }) => (result.ok ? `${cluster.name}: ${result.nodes} nodes, ${result.jobs} jobs` : `${cluster.name}: ${result.error}`));
      if (Date.now() - lastFeedbackAt >= FEEDBACK_INTERVAL_MS) {
        lastFeedbackAt = Date.now();
        const [{ n }] = (await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM clusters`)).rows as [{ n: number }];
        if (n > 0) {
          const actions = await applyFacilityFeedback(db, pool);
          if (actions.length) parts.push(`feedback: ${actions.map((a) => `${a.action} ${a.cluster}/${a.node}`).join(', ')}`);
        }
      }
      return parts.length ? parts.join('; ') : undefined;
    },
  };
}
