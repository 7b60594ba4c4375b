import type { Db } from '../../db/client';
import type { Worker } from '../workers';
import { dueClusters, syncCluster } from './registry';

/**
 * Keeps every registered cluster in step with its engine: each cluster is read once per its own poll interval
 * (default 15 s), all due clusters at once so a slow engine does not hold up the others. A failed read is that
 * cluster's health, never the worker's failure.
 */
export function clustersWorker(db: Db, options: { intervalMs?: number } = {}): Worker {
  return {
    name: 'clusters',
    intervalMs: options.intervalMs ?? 1000,
    tick: async () => {
      const due = await dueClusters(db);
      if (due.length === 0) return undefined;
      const results = await Promise.all(due.map(async (cluster) => ({ cluster, result: await syncCluster(db, cluster.id) })));
      return results.map(({ cluster, result }) => (result.ok ? `${cluster.name}: ${result.nodes} nodes, ${result.jobs} jobs` : `${cluster.name}: ${result.error}`)).join('; ');
    },
  };
}
