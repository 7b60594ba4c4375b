/** kube-scheduler extender "prioritize" verb (docs/EXECUTORS.md): ExtenderArgs in, HostPriorityList (0-10) out. */
import { handleExtender } from '@/server/api/extender';

export const dynamic = 'force-dynamic';

export function POST(request: Request): Promise<Response> {
  return handleExtender(request, 'prioritize');
}
