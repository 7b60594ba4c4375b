import { resolvePrincipal } from '../auth/principal';
import { type DbHandle, getDb } from '../db/client';
import { type ExtenderArgs, extenderArgsSchema, extenderFilter, extenderPrioritize } from '../services/clusters/extender';
import { checkInputShape } from './inputs';

const MAX_BODY_BYTES = 16 * 1024 * 1024;

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers } });
}

/**
 * POST /k8s/extender/filter and /k8s/extender/prioritize: kube-scheduler sends ExtenderArgs with an API token
 * (`Authorization: Bearer`, a token that may read, granted all zones: the answer weighs the whole site). `?cluster=`
 * names the registered Kubernetes cluster when several share node names.
 */
export async function handleExtender(request: Request, verb: 'filter' | 'prioritize', db: DbHandle = getDb()): Promise<Response> {
  const resolved = await resolvePrincipal(db.db, request.headers);
  const challenge = { 'www-authenticate': 'Bearer realm="plenum-extender"' };
  if (resolved.via !== 'bearer') return json(401, { Error: 'an API token is required (Authorization: Bearer <token>)' }, challenge);
  if (resolved.problem) return json(401, { Error: resolved.problem }, challenge);
  const { principal } = resolved;
  if (!principal.permissions.has('read')) return json(403, { Error: 'the token may not read' });
  if (!principal.allZones && principal.kind !== 'system') return json(403, { Error: 'the token must be granted all zones: the extender weighs the whole site' });
  const text = await request.text();
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) return json(413, { Error: `ExtenderArgs over ${MAX_BODY_BYTES} bytes` });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
    checkInputShape(raw);
  } catch (error) {
    return json(400, { Error: `not ExtenderArgs JSON: ${error instanceof Error ? error.message : String(error)}` });
  }
  const parsed = extenderArgsSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    return json(400, { Error: `${first.path.join('.') || '(input)'}: ${first.message}` });
  }
  const cluster = new URL(request.url).searchParams.get('cluster') ?? undefined;
  const args: ExtenderArgs = parsed.data;
  if (verb === 'filter') return json(200, await extenderFilter(db.db, args, cluster));
  const priorities = await extenderPrioritize(db.db, args, cluster);
  // HostPriorityList has no error field: a pod Plenum cannot read is a bad request.
  if ('error' in priorities) return json(400, { Error: priorities.error });
  return json(200, priorities);
}
