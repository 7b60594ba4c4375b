import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';

export type PodOnGpu = { acceleratorId: number; namespace: string | null; pod: string; container: string | null };

/**
 * Label text of a dcgm-exporter Kubernetes label: `exported_*` (a Prometheus that re-labelled) wins, empty is none,
 * as k8sFromLabels reads them at ingest.
 */
const label = (name: string) => sql.raw(`coalesce(nullif(s.labels->>'exported_${name}', ''), nullif(s.labels->>'${name}', ''))`);

/**
 * The pod each GPU serves, from dcgm-exporter's pod/namespace/container labels on the GPU's telemetry series: the
 * newest live series of the GPU that carries a pod. (A GPU a pod left keeps that series until it is ended.)
 */
export async function podsOnGpus(db: Pick<Db, 'execute'>, acceleratorIds: number[]): Promise<Map<number, PodOnGpu>> {
  if (acceleratorIds.length === 0) return new Map();
  const rows = await db.execute<{ accelerator_id: number; namespace: string | null; pod: string; container: string | null }>(sql`
    SELECT DISTINCT ON (s.accelerator_id) s.accelerator_id, ${label('namespace')} AS namespace, ${label('pod')} AS pod, ${label('container')} AS container
    FROM telemetry_series s
    WHERE s.accelerator_id IN (${sql.join(
      acceleratorIds.map((id) => sql`${id}`),
      sql`, `,
    )}) AND s.ended_at IS NULL AND ${label('pod')} IS NOT NULL
    ORDER BY s.accelerator_id, s.created_at DESC, s.id DESC`);
  return new Map(rows.rows.map((r) => [r.accelerator_id, { acceleratorId: r.accelerator_id, namespace: r.namespace, pod: r.pod, container: r.container }]));
}
