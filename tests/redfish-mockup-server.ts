/**
 * A small Redfish service for tests, our own: serves a DMTF mockup folder (a tree of index.json files, the folder
 * being `/redfish/v1`) over HTTP or HTTPS, with optional basic or session auth, `$expand=.($levels=1)` on collections
 * when expand is on (otherwise the root stops advertising it), and per-path faults (a status code, malformed JSON,
 * a slow answer) so the collector's error handling is exercised against a real socket.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export const REDFISH_FIXTURES = path.resolve(__dirname, '../../shared/fixtures/redfish');
export const REDFISH_MOCKUPS = ['public-cooling-unit', 'public-pdu', 'public-rackmount1'] as const;

export type Fault = { status: number } | { malformed: true } | { delayMs: number };

export type MockupServerOptions = {
  /** The mockup folder. */
  folder: string;
  auth?: { mode: 'basic' | 'session'; username: string; password: string };
  /**
   * `$expand`: as the mockup's root says (default); false: strip ExpandQuery from the root; 'refused': advertise it but
   * answer 501 to it (as some firmware does).
   */
  expand?: boolean | 'refused';
  tls?: { key: string; cert: string };
};

export type MockupServer = {
  url: string;
  /** Paths requested (with query), in order. */
  requests: string[];
  logins: number;
  /** TCP connections accepted. */
  connections: number;
  faults: Map<string, Fault>;
  /** Forgets every session token (the service "restarted"), so the next request with one gets 401. */
  expireSessions: () => void;
  close: () => Promise<void>;
};

/** Reads a mockup resource: `/redfish/v1/Chassis/1U` → `<folder>/Chassis/1U/index.json`. */
export function readMockup(folder: string, resourcePath: string): Record<string, unknown> | undefined {
  const rel = resourcePath.replace(/^\/redfish\/v1\/?/, '').replace(/\/+$/, '');
  if (rel.split('/').includes('..')) return undefined;
  const file = path.join(folder, rel, 'index.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : undefined;
}

export async function startMockupServer(options: MockupServerOptions): Promise<MockupServer> {
  const sessions = new Set<string>();
  const state = { requests: [] as string[], logins: 0, connections: 0, faults: new Map<string, Fault>() };
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const resourcePath = url.pathname.replace(/\/+$/, '');
    state.requests.push(`${req.method} ${url.pathname}${url.search}`);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const fault = state.faults.get(resourcePath);
    if (fault && 'delayMs' in fault) {
      const timer = setTimeout(() => send(200, readMockup(options.folder, resourcePath) ?? {}), fault.delayMs);
      res.on('close', () => clearTimeout(timer));
      return;
    }
    if (fault && 'status' in fault) return send(fault.status, { error: { message: 'DEVICE SAYS <script>alert(1)</script>' } });
    if (fault && 'malformed' in fault) return send(200, '{"Id": "1", "Members": [ <script>');

    if (req.method === 'POST' && resourcePath === '/redfish/v1/SessionService/Sessions') {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      req.on('end', () => {
        const body = JSON.parse(raw || '{}') as { UserName?: string; Password?: string };
        if (options.auth?.mode !== 'session' || body.UserName !== options.auth.username || body.Password !== options.auth.password) {
          return send(401, { error: { message: 'bad credentials from the device' } });
        }
        state.logins++;
        const token = randomBytes(16).toString('hex');
        sessions.add(token);
        send(201, { Id: token.slice(0, 8), UserName: body.UserName }, { 'x-auth-token': token, location: `/redfish/v1/SessionService/Sessions/${token.slice(0, 8)}` });
      });
      return;
    }
    if (req.method !== 'GET') return send(405, {});
    // The service root is readable without auth (Redfish says so); everything else needs it when auth is on.
    if (options.auth && resourcePath !== '/redfish/v1') {
      if (options.auth.mode === 'basic') {
        const expected = `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`;
        if (req.headers.authorization !== expected) return send(401, {}, { 'www-authenticate': 'Basic realm="redfish"' });
      } else {
        const token = req.headers['x-auth-token'];
        if (typeof token !== 'string' || !sessions.has(token)) return send(401, {});
      }
    }
    const resource = readMockup(options.folder, resourcePath);
    if (!resource) return send(404, {});
    if (resourcePath === '/redfish/v1' && options.expand === false) {
      const features = { ...(resource.ProtocolFeaturesSupported as Record<string, unknown> | undefined) };
      delete features.ExpandQuery;
      return send(200, { ...resource, ProtocolFeaturesSupported: features });
    }
    const expand = url.searchParams.get('$expand');
    if (expand !== null && options.expand === 'refused') return send(501, { error: { message: 'DEVICE SAYS no expand' } });
    if (expand !== null && options.expand !== false && Array.isArray(resource.Members)) {
      const members = (resource.Members as { '@odata.id': string }[]).map((m) => readMockup(options.folder, m['@odata.id']) ?? m);
      return send(200, { ...resource, Members: members });
    }
    send(200, resource);
  };
  const server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, handler) : http.createServer(handler);
  server.on('connection', () => state.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}/redfish/v1`,
    get requests() {
      return state.requests;
    },
    get logins() {
      return state.logins;
    },
    get connections() {
      return state.connections;
    },
    faults: state.faults,
    expireSessions: () => sessions.clear(),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A throwaway CA and a server certificate it signs for 127.0.0.1, made with the `openssl` CLI in `dir`. */
export function makeTestCa(dir: string): { caPem: string; key: string; cert: string; otherCaPem: string } {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Plenum test CA']);
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other.key', '-out', 'other.pem', '-days', '2', '-subj', '/CN=Some other CA']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext']);
  const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
  return { caPem: read('ca.pem'), key: read('server.key'), cert: read('server.pem'), otherCaPem: read('other.pem') };
}
