import { getDb } from '@/server/db/client';
import { getHealth } from '@/server/services/health';

export const dynamic = 'force-dynamic';

export async function GET() {
  const health = await getHealth(getDb().pool);
  return Response.json(health, { status: health.status === 'down' ? 503 : 200, headers: { 'cache-control': 'no-store' } });
}
