/**
 * The scrape client against real servers on loopback: node:http ones (what exporters mostly are) and raw sockets that
 * write exactly the bytes a case needs (split answers, HTTP/1.0, a connection dropped while idle, malformed answers).
 */
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type GetOptions, HttpAnswerError, ScrapeHttpClient } from './scrape-http';

const open: { close: () => void }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});

const options = (over: Partial<GetOptions> = {}): GetOptions => ({
  timeoutMs: 2_000,
  maxBytes: 1024 * 1024,
  accept: 'text/plain',
  tooLarge: () => new Error('too large'),
  timedOut: () => new Error('timed out'),
  ...over,
});

function client(): ScrapeHttpClient {
  const c = new ScrapeHttpClient();
  open.push(c);
  return c;
}

/** A node:http server; `connections` counts the TCP connections it accepted, `requests` the requests it saw. */
async function httpServer(handle: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
  const state = { connections: 0, requests: [] as http.IncomingMessage[], url: '' };
  const server = http.createServer((req, res) => {
    state.requests.push(req);
    handle(req, res);
  });
  server.on('connection', () => state.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  open.push({
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  });
  return state;
}

/** A raw TCP server: `answer(socket, n)` is called for the n-th request (counted over all connections, from 0). */
async function rawServer(answer: (socket: net.Socket, n: number) => void) {
  const state = { connections: 0, requests: 0, url: '' };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let seen = '';
    socket.on('data', (data) => {
      seen += data.toString('latin1');
      while (seen.includes('\r\n\r\n')) {
        seen = seen.slice(seen.indexOf('\r\n\r\n') + 4);
        answer(socket, state.requests++);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  open.push({
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  });
  return state;
}

/** Writes `bytes` one piece at a time, each in its own socket write a tick apart (answers split anywhere). */
async function writeInPieces(socket: net.Socket, bytes: string, size: number): Promise<void> {
  for (let i = 0; i < bytes.length; i += size) {
    socket.write(bytes.slice(i, i + size), 'latin1');
    await new Promise((r) => setTimeout(r, 1));
  }
}

const get = (c: ScrapeHttpClient, url: string, over?: Partial<GetOptions>) => c.get(new URL(url), options(over)).then((b) => b.toString('utf8'));

describe('scrape client', () => {
  it('reads Content-Length and chunked bodies and keeps one connection for successive requests', async () => {
    const server = await httpServer((req, res) => {
      if (req.url === '/chunked') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('up 1\n');
        res.end('up 2\n');
      } else res.writeHead(200, { 'content-type': 'text/plain' }).end(`path ${req.url}\n`);
    });
    const c = client();
    expect(await get(c, `${server.url}/a?x=1`)).toBe('path /a?x=1\n');
    expect(await get(c, `${server.url}/chunked`)).toBe('up 1\nup 2\n');
    expect(await get(c, `${server.url}/b`)).toBe('path /b\n');
    expect(server.connections).toBe(1);
    expect(server.requests[0]!.headers.accept).toBe('text/plain');
    expect(c.idleConnections).toBe(1);
  });

  it('parses answers split at every byte, chunk extensions and trailers included', async () => {
    const body = 'gpu_temp{gpu="0"} 41\n'.repeat(20);
    const chunked = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10;ext=1\r\n${body.slice(0, 16)}\r\n${(body.length - 16).toString(16)}\r\n${body.slice(16)}\r\n0\r\nX-Trailer: 1\r\n\r\n`;
    const length = `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const server = await rawServer((socket, n) => void writeInPieces(socket, n % 2 === 0 ? chunked : length, n < 2 ? 1 : 7));
    const c = client();
    for (let i = 0; i < 4; i++) expect(await get(c, `${server.url}/`), `request ${i}`).toBe(body);
    expect(server.connections).toBe(1);
  });

  it('takes a body that ends with the connection (HTTP/1.0, no length), and does not reuse that connection', async () => {
    const server = await rawServer((socket) => socket.end('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nup 1\nup 2\n'));
    const c = client();
    expect(await get(c, `${server.url}/`)).toBe('up 1\nup 2\n');
    expect(await get(c, `${server.url}/`)).toBe('up 1\nup 2\n');
    expect(server.connections).toBe(2);
    expect(c.idleConnections).toBe(0);
  });

  it('retries once on a new connection when a kept connection turns out closed, and only then', async () => {
    // Each connection answers its first request and drops the second without a byte (a server's idle timeout racing
    // the next scrape).
    const perConnection = new WeakMap<net.Socket, number>();
    const server = await rawServer((socket) => {
      const k = perConnection.get(socket) ?? 0;
      perConnection.set(socket, k + 1);
      if (k === 0) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nup 1\n');
      else socket.destroy();
    });
    const c = client();
    expect(await get(c, `${server.url}/`)).toBe('up 1\n');
    expect(await get(c, `${server.url}/`)).toBe('up 1\n');
    expect(server.connections).toBe(2);
    // A fresh connection that drops the request is an error, not retried.
    const dropping = await rawServer((socket) => socket.destroy());
    await expect(get(c, `${dropping.url}/`)).rejects.toThrow();
    expect(dropping.connections).toBe(1);
  });

  it('a non-2xx status is an error naming the code; the connection is not kept', async () => {
    const server = await httpServer((_req, res) => {
      res.statusMessage = 'SECRET';
      res.writeHead(503).end('SECRET body');
    });
    const c = client();
    const error = await get(c, `${server.url}/`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpAnswerError);
    expect((error as Error).message).toBe('HTTP 503');
    expect(c.idleConnections).toBe(0);
  });

  it('refuses bodies over the cap, declared or streamed, and malformed or compressed answers', async () => {
    const answers = [
      `HTTP/1.1 200 OK\r\nContent-Length: ${2 * 1024 * 1024}\r\n\r\n`,
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n',
      'SSH-2.0-OpenSSH_9.2\r\n\r\n',
      `HTTP/1.1 200 OK\r\nX-Long: ${'a'.repeat(70 * 1024)}`,
      'HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\nxx',
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nup 1\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort',
    ];
    const server = await rawServer((socket, n) => {
      socket.write(answers[n]!);
      // 64 KiB chunks, each well-formed, past the 1 MiB cap in all.
      if (n === 1) for (let i = 0; i < 20; i++) socket.write(`10000\r\n${' '.repeat(64 * 1024)}\r\n`);
      if (n === answers.length - 1) socket.end();
    });
    const c = client();
    const outcomes: string[] = [];
    for (let i = 0; i < answers.length; i++) outcomes.push(await get(c, `${server.url}/`).then(() => 'ok', (e: Error) => e.message));
    expect(outcomes).toEqual([
      'too large',
      'too large',
      'not an HTTP/1.x response',
      'response headers too large',
      'compressed response (none was asked for)',
      'malformed Content-Length',
      'malformed chunked body',
      'connection closed before the answer was complete',
    ]);
  });

  it('skips an interim 100 answer, sends credentials from the URL, refuses other schemes, and times out a silent server', async () => {
    let authorization = '';
    const server = await rawServer((socket) => socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nup 1\n'));
    const c = client();
    expect(await get(c, `${server.url.replace('http://', 'http://user:p%40ss@')}/`)).toBe('up 1\n');
    const seen = await httpServer((req, res) => {
      authorization = req.headers.authorization ?? '';
      res.end('ok');
    });
    await get(c, `${seen.url.replace('http://', 'http://user:p%40ss@')}/`);
    expect(Buffer.from(authorization.replace('Basic ', ''), 'base64').toString()).toBe('user:p@ss');
    await expect(c.get(new URL('ftp://127.0.0.1/metrics'), options())).rejects.toThrow('unsupported scheme ftp:');
    const silent = await rawServer(() => {});
    await expect(get(c, `${silent.url}/`, { timeoutMs: 200 })).rejects.toThrow('timed out');
  });
});
