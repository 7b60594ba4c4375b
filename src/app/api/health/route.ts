import { publicHealth } from '@/server/api/routers/system';
import { createRequestContext } from '@/server/api/trpc';
import { getDb } from '@/server/db/client';
import { getHealth } from '@/server/services/health';

export const dynamic = 'force-dynamic';

/** Public (load balancers, monitoring); only signed-in callers see versions, worker hosts and error text. */
export async function GET(request: Request) {
  const health = await getHealth(getDb().pool);
  const signedIn = await createRequestContext(request)
    .then((ctx) => ctx.principal.permissions.has('read'))
    .catch(() => false);
  return Response.json(signedIn ? health : publicHealth(health), { status: health.status === 'down' ? 503 : 200, headers: { 'cache-control': 'no-store' } });
}
