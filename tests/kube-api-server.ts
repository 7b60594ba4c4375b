// A local HTTP server that answers the Kubernetes API calls Plenum makes (list nodes and pods with limit/continue,
// read a node, JSON-patch a node) with the API objects of tests/fixtures/kubernetes/ (see the README there). It keeps
// the nodes it was given, so a PATCH is visible to the next read, bumps resourceVersion on every change, and honours
// a JSON Patch `test` operation the way the API server does (a failed test changes nothing).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

type KubeObject = { metadata: { name: string; resourceVersion?: string; [key: string]: unknown }; spec?: Record<string, unknown>; [key: string]: unknown };
type List = { kind: string; apiVersion: string; metadata: { resourceVersion?: string; continue?: string }; items: KubeObject[] };

const FIXTURES = path.join(import.meta.dirname, 'fixtures', 'kubernetes');

export function loadKubeFixture(name: 'nodes' | 'pods'): List {
  return JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as List;
}

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

export type KubeApiServer = {
  url: string;
  token: string;
  nodes: KubeObject[];
  pods: KubeObject[];
  /** Every request as "METHOD path?query". */
  requests: string[];
  node(name: string): KubeObject | undefined;
  kubeconfig(context?: string): string;
  close(): Promise<void>;
};

/** Applies one JSON Patch (RFC 6902) operation of the kinds Plenum sends to a plain object. */
function applyOperation(target: Record<string, unknown>, op: { op: string; path: string; value?: unknown }): void {
  const keys = op.path.split('/').slice(1).map((k) => k.replaceAll('~1', '/').replaceAll('~0', '~'));
  const last = keys.pop()!;
  let parent: Record<string, unknown> = target;
  for (const key of keys) {
    const next = parent[key];
    if (typeof next !== 'object' || next === null) throw new Error(`path ${op.path} does not exist`);
    parent = next as Record<string, unknown>;
  }
  switch (op.op) {
    case 'test':
      if (JSON.stringify(parent[last]) !== JSON.stringify(op.value)) throw new Error(`testing value ${op.path} failed`);
      return;
    case 'add':
    case 'replace':
      if (op.op === 'replace' && !(last in parent)) throw new Error(`replace operation does not apply: doc is missing path: ${op.path}`);
      parent[last] = op.value;
      return;
    case 'remove':
      delete parent[last];
      return;
    default:
      throw new Error(`unsupported operation ${op.op}`);
  }
}

export async function startKubeApiServer(options: { token?: string; nodes?: List; pods?: List } = {}): Promise<KubeApiServer> {
  const token = options.token ?? 'kube-test-token-0123456789';
  const nodes = structuredClone((options.nodes ?? loadKubeFixture('nodes')).items);
  const pods = structuredClone((options.pods ?? loadKubeFixture('pods')).items);
  const requests: string[] = [];
  let resourceVersion = 50_000;

  function listPage(kind: string, items: KubeObject[], url: URL): List {
    const limit = Number(url.searchParams.get('limit') ?? 0);
    const start = Number(url.searchParams.get('continue') ? Buffer.from(url.searchParams.get('continue')!, 'base64').toString() : 0);
    const end = limit > 0 ? start + limit : items.length;
    const metadata: List['metadata'] = { resourceVersion: String(resourceVersion) };
    if (end < items.length) metadata.continue = Buffer.from(String(end)).toString('base64');
    return { kind, apiVersion: 'v1', metadata, items: items.slice(start, end) };
  }

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      requests.push(`${request.method} ${url.pathname}${url.search}`);
      const send = (code: number, body: unknown) => {
        response.writeHead(code, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      if (request.headers.authorization !== `Bearer ${token}`) return send(401, status(401, 'Unauthorized', 'Unauthorized'));
      const nodeMatch = /^\/api\/v1\/nodes\/([^/]+)$/.exec(url.pathname);
      if (request.method === 'GET' && url.pathname === '/api/v1/nodes') return send(200, listPage('NodeList', nodes, url));
      if (request.method === 'GET' && url.pathname === '/api/v1/pods') return send(200, listPage('PodList', pods, url));
      if (nodeMatch) {
        const name = decodeURIComponent(nodeMatch[1]!);
        const node = nodes.find((n) => n.metadata.name === name);
        if (!node) return send(404, { ...status(404, 'NotFound', `nodes "${name}" not found`), details: { name, kind: 'nodes' } });
        if (request.method === 'GET') return send(200, { kind: 'Node', apiVersion: 'v1', ...node });
        if (request.method === 'PATCH') {
          if (request.headers['content-type'] !== 'application/json-patch+json') return send(415, status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json`));
          const copy = structuredClone(node) as unknown as Record<string, unknown>;
          try {
            const patch = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Array<{ op: string; path: string; value?: unknown }>;
            for (const op of patch) applyOperation(copy, op);
          } catch (error) {
            return send(422, status(422, 'Invalid', `the server rejected our request due to an error in our request: ${(error as Error).message}`));
          }
          (copy.metadata as { resourceVersion: string }).resourceVersion = String(++resourceVersion);
          nodes[nodes.indexOf(node)] = copy as unknown as KubeObject;
          return send(200, { kind: 'Node', apiVersion: 'v1', ...copy });
        }
      }
      send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    token,
    nodes,
    pods,
    requests,
    node: (name) => nodes.find((n) => n.metadata.name === name),
    // The client refuses plain http unless the kubeconfig says insecure-skip-tls-verify (as for a local dev cluster).
    kubeconfig: (context = 'plenum-test') =>
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: test-cluster',
        '  cluster:',
        `    server: ${url}`,
        '    insecure-skip-tls-verify: true',
        'users:',
        '- name: plenum',
        '  user:',
        `    token: ${token}`,
        'contexts:',
        `- name: ${context}`,
        '  context:',
        '    cluster: test-cluster',
        '    user: plenum',
        `current-context: ${context}`,
        '',
      ].join('\n'),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
