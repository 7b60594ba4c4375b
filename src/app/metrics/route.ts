/**
 * `GET /metrics`: Plenum's own metrics in Prometheus text format (src/server/services/self-metrics.ts), for the
 * monitoring a site already runs. Allowed from PLENUM_METRICS_ALLOW (default loopback) or with an API token that may
 * read; otherwise 401 / 403 with the reason, never a redirect (src/proxy.ts leaves this path alone).
 */
import { MetricsAllowError, metricsAccess } from '@/server/auth/metrics-access';
import { getDb } from '@/server/db/client';
import { registerPool, renderSelfMetrics } from '@/server/services/self-metrics';

export const dynamic = 'force-dynamic';

export async function GET(request: Request): Promise<Response> {
  const db = getDb();
  let access: Awaited<ReturnType<typeof metricsAccess>>;
  try {
    access = await metricsAccess(db.db, request.headers);
  } catch (error) {
    // A misconfigured allow list is the operator's to fix: say so rather than serve or hide the metrics silently.
    if (error instanceof MetricsAllowError) return new Response(`${error.message}\n`, { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    throw error;
  }
  if (!access.ok) {
    return new Response(`${access.reason}\n`, {
      status: access.status,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...(access.status === 401 ? { 'www-authenticate': 'Bearer realm="plenum-metrics"' } : {}) },
    });
  }
  // The web pool of this process (the workers register theirs when they start).
  registerPool('web', db.pool);
  const { body, contentType } = await renderSelfMetrics();
  return new Response(body, { headers: { 'content-type': contentType, 'cache-control': 'no-store' } });
}
