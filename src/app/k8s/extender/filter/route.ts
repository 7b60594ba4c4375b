/** kube-scheduler extender "filter" verb (docs/EXECUTORS.md): ExtenderArgs in, ExtenderFilterResult out. */
import { handleExtender } from '@/server/api/extender';

export const dynamic = 'force-dynamic';

export function POST(request: Request): Promise<Response> {
  return handleExtender(request, 'filter');
}
