/**
 * The scraper's HTTP/1.1 client: one GET, its answer read within a byte cap and a timeout, connections kept alive per
 * origin. node:http spends most of its CPU per request in bookkeeping a scrape never uses (ClientRequest and
 * IncomingMessage objects, readable streams, the agent's free-socket events); here a request is one socket write and
 * the answer one or two socket reads, parsed in place (measured in docs/BENCHMARKS.md).
 *
 * What it understands of a response: the status line, `Content-Length`, `Transfer-Encoding: chunked`,
 * `Connection`, and a body that ends with the connection when neither length is given. A `Content-Encoding` other
 * than identity is refused (we never ask for one). Interim 1xx answers are skipped. Limits: 64 KiB of headers; the
 * caller's byte cap on the body, checked against a declared length before reading it and while it streams. A
 * connection is reused only after an answer it delimited exactly (no bytes left over); one that the server closed
 * while idle is noticed when the request finds it gone before any answer, and the request is retried once on a new
 * connection, as a browser would.
 */
import net from 'node:net';
import tls from 'node:tls';

/** A failed exchange that is the server's doing (status, malformed or oversized answer); the message is ours. */
export class HttpAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HttpAnswerError';
  }
}

export type GetOptions = {
  timeoutMs: number;
  maxBytes: number;
  /** Resolves the host for the connection (the target guard's checking lookup); default DNS otherwise. */
  lookup?: net.LookupFunction;
  /** The error for a body over `maxBytes`. */
  tooLarge: () => Error;
  /** The error for the timeout. */
  timedOut: () => Error;
  accept: string;
};

const MAX_HEAD_BYTES = 64 * 1024;
/** A chunk-size line longer than this is not HTTP (16 hex digits and an extension would fit easily). */
const MAX_CHUNK_LINE = 1024;
/** Idle connections kept per origin (the scraper's concurrency bounds how many are ever busy at once). */
const MAX_IDLE_PER_ORIGIN = 64;
/** An idle connection is closed after this long unused (servers usually close theirs sooner: Node's after 5 s). */
const IDLE_TIMEOUT_MS = 60_000;

type Origin = { key: string; tls: boolean; host: string; port: number; servername: string | undefined };

/** One response being read: the parser's state across socket reads. */
class Answer {
  status = 0;
  keepAlive = false;
  private head: Buffer | undefined;
  /** 'length': `remaining` bytes to go; 'chunked': see `chunkState`; 'eof': until the connection ends. */
  private framing: 'length' | 'chunked' | 'eof' | undefined;
  private remaining = 0;
  private chunkState: 'size' | 'data' | 'crlf' | 'trailers' = 'size';
  private pending: Buffer | undefined;
  private readonly parts: Buffer[] = [];
  private size = 0;
  /** Bytes after the end of the answer (a server that sends more than it framed): the connection is not reused. */
  leftover = false;
  done = false;

  constructor(private readonly maxBytes: number, private readonly tooLarge: () => Error) {}

  get body(): Buffer {
    return this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size);
  }

  /** Takes in a socket read; `done` once the answer is complete. Throws on a malformed or oversized answer. */
  feed(data: Buffer): void {
    let rest: Buffer | undefined = data;
    while (rest !== undefined && rest.length > 0 && !this.done) {
      rest = this.framing === undefined ? this.readHead(rest) : this.readBody(rest);
    }
    if (rest !== undefined && rest.length > 0) this.leftover = true;
  }

  /** The connection ended: complete for a body framed by the end, else the answer was cut short. */
  end(): void {
    if (this.framing === 'eof') {
      this.done = true;
      return;
    }
    throw new HttpAnswerError('connection closed before the answer was complete');
  }

  /** Whether any byte of an answer arrived (a reused connection that ends before one was closed while idle). */
  get started(): boolean {
    return this.head !== undefined || this.framing !== undefined;
  }

  private readHead(data: Buffer): Buffer | undefined {
    const buf = this.head === undefined ? data : Buffer.concat([this.head, data]);
    const end = buf.indexOf('\r\n\r\n', Math.max(0, (this.head?.length ?? 0) - 3), 'latin1');
    if (end < 0) {
      if (buf.length > MAX_HEAD_BYTES) throw new HttpAnswerError('response headers too large');
      this.head = buf;
      return undefined;
    }
    if (end > MAX_HEAD_BYTES) throw new HttpAnswerError('response headers too large');
    this.head = undefined;
    const lines = buf.toString('latin1', 0, end).split('\r\n');
    const statusLine = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0]!);
    if (!statusLine) throw new HttpAnswerError('not an HTTP/1.x response');
    const status = Number(statusLine[2]);
    const rest = buf.subarray(end + 4);
    if (status >= 100 && status < 200) return rest; // interim answer: the real one follows
    this.status = status;
    let length: number | undefined;
    let chunked = false;
    let connection = '';
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon <= 0) throw new HttpAnswerError('malformed response header');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') {
        if (!/^\d{1,15}$/.test(value) || (length !== undefined && length !== Number(value))) throw new HttpAnswerError('malformed Content-Length');
        length = Number(value);
      } else if (name === 'transfer-encoding') {
        const codings = value.toLowerCase().split(',').map((c: string) => c.trim());
        if (codings.at(-1) !== 'chunked' || codings.some((c) => c !== 'chunked' && c !== 'identity')) throw new HttpAnswerError(`unsupported Transfer-Encoding`);
        chunked = true;
      } else if (name === 'connection') {
        connection = value.toLowerCase();
      } else if (name === 'content-encoding' && value.toLowerCase() !== 'identity') {
        throw new HttpAnswerError('compressed response (none was asked for)');
      }
    }
    this.keepAlive = statusLine[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
    if (status === 204 || status === 304) {
      this.done = true;
      return rest;
    }
    if (chunked) {
      this.framing = 'chunked';
    } else if (length !== undefined) {
      if (length > this.maxBytes) throw this.tooLarge();
      this.framing = 'length';
      this.remaining = length;
      if (length === 0) this.done = true;
    } else {
      this.framing = 'eof';
      this.keepAlive = false;
    }
    return rest;
  }

  private take(part: Buffer): void {
    this.size += part.length;
    if (this.size > this.maxBytes) throw this.tooLarge();
    this.parts.push(part);
  }

  private readBody(data: Buffer): Buffer | undefined {
    if (this.framing === 'eof') {
      this.take(data);
      return undefined;
    }
    if (this.framing === 'length') {
      const part = data.length <= this.remaining ? data : data.subarray(0, this.remaining);
      this.take(part);
      this.remaining -= part.length;
      if (this.remaining === 0) this.done = true;
      return data.subarray(part.length);
    }
    return this.readChunked(data);
  }

  private readChunked(data: Buffer): Buffer | undefined {
    let buf = this.pending === undefined ? data : Buffer.concat([this.pending, data]);
    this.pending = undefined;
    while (!this.done) {
      if (this.chunkState === 'data') {
        const part = buf.length <= this.remaining ? buf : buf.subarray(0, this.remaining);
        if (part.length > 0) this.take(part);
        this.remaining -= part.length;
        buf = buf.subarray(part.length);
        if (this.remaining > 0) return undefined;
        this.chunkState = 'crlf';
        continue;
      }
      const eol = buf.indexOf('\r\n', 0, 'latin1');
      if (eol < 0) {
        if (buf.length > MAX_CHUNK_LINE && this.chunkState !== 'trailers') throw new HttpAnswerError('malformed chunked body');
        if (buf.length > MAX_HEAD_BYTES) throw new HttpAnswerError('response trailers too large');
        this.pending = buf;
        return undefined;
      }
      const line = buf.toString('latin1', 0, eol);
      buf = buf.subarray(eol + 2);
      if (this.chunkState === 'crlf') {
        if (line !== '') throw new HttpAnswerError('malformed chunked body');
        this.chunkState = 'size';
      } else if (this.chunkState === 'size') {
        const hex = line.split(';', 1)[0]!.trim();
        if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw new HttpAnswerError('malformed chunked body');
        this.remaining = Number.parseInt(hex, 16);
        if (this.size + this.remaining > this.maxBytes) throw this.tooLarge();
        this.chunkState = this.remaining === 0 ? 'trailers' : 'data';
      } else if (line === '') {
        this.done = true; // the empty line after the (ignored) trailers
      }
    }
    return buf;
  }
}

/** One kept-alive connection; `onRead` / `onEnd` belong to the exchange using it (none while idle). */
class Connection {
  onRead: ((data: Buffer) => void) | undefined;
  onEnd: ((error: Error | undefined) => void) | undefined;
  closed = false;
  /** Whether it served an answer before (a reused connection may have been closed by the server meanwhile). */
  reused = false;

  constructor(readonly socket: net.Socket, private readonly forget: (c: Connection) => void) {
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => {
      if (this.onRead) this.onRead(data);
      else this.close(); // bytes nobody asked for: not a connection to reuse
    });
    const ended = (error?: Error) => {
      this.closed = true;
      this.forget(this);
      const onEnd = this.onEnd;
      this.onEnd = undefined;
      this.onRead = undefined;
      onEnd?.(error);
    };
    socket.on('end', () => {
      ended();
      socket.destroy();
    });
    socket.on('error', (error) => ended(error));
    socket.on('close', () => ended());
    socket.on('timeout', () => this.close());
  }

  close(): void {
    this.onRead = undefined;
    this.onEnd = undefined;
    this.closed = true;
    this.forget(this);
    this.socket.destroy();
  }
}

/** Kept-alive connections by origin; one per process (`scrapeHttp`). */
export class ScrapeHttpClient {
  private readonly idle = new Map<string, Connection[]>();

  /** Idle connections held (tests, diagnostics). */
  get idleConnections(): number {
    let n = 0;
    for (const list of this.idle.values()) n += list.length;
    return n;
  }

  /** GETs `url` (http: or https:): the body of a 2xx answer; an HttpAnswerError for any other status. */
  get(url: URL, options: GetOptions): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const origin = originOf(url, options.lookup !== undefined); // throws (rejects) for a scheme other than http(s)
      const request = requestText(url, options.accept);
      let finished = false;
      let connection: Connection | undefined;
      const finish = (error: Error | undefined, body?: Buffer) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(body!);
      };
      const timer = setTimeout(() => {
        connection?.close();
        finish(options.timedOut());
      }, options.timeoutMs);
      const attempt = (mayRetry: boolean) => {
        const c = this.take(origin) ?? this.connect(origin, options.lookup);
        connection = c;
        const answer = new Answer(options.maxBytes, options.tooLarge);
        /** The answer is complete (its connection still open when `open`). */
        const complete = (open: boolean) => {
          if (open && answer.keepAlive && !answer.leftover && answer.status >= 200 && answer.status <= 299) this.release(origin, c);
          else c.close();
          if (answer.status < 200 || answer.status > 299) finish(new HttpAnswerError(`HTTP ${answer.status}`));
          else finish(undefined, answer.body);
        };
        c.onEnd = (error) => {
          if (finished) return;
          if (c.reused && mayRetry && !answer.started) return attempt(false); // closed while idle: once more, afresh
          if (error) return finish(error);
          try {
            answer.end();
          } catch (e) {
            return finish(e as Error);
          }
          complete(false);
        };
        c.onRead = (data) => {
          try {
            answer.feed(data);
          } catch (error) {
            c.close();
            finish(error as Error);
            return;
          }
          if (!answer.done) return;
          c.onRead = undefined;
          c.onEnd = undefined;
          complete(true);
        };
        c.socket.write(request);
      };
      try {
        attempt(true);
      } catch (error) {
        finish(error as Error); // e.g. a port net.connect refuses outright
      }
    });
  }

  /** Closes every idle connection. */
  close(): void {
    for (const list of this.idle.values()) for (const c of [...list]) c.close();
    this.idle.clear();
  }

  private take(origin: Origin): Connection | undefined {
    const list = this.idle.get(origin.key);
    const c = list?.pop();
    if (c === undefined) return undefined;
    c.socket.setTimeout(0);
    c.socket.ref();
    c.reused = true;
    return c;
  }

  private release(origin: Origin, c: Connection): void {
    if (c.closed) return;
    let list = this.idle.get(origin.key);
    if (list === undefined) {
      list = [];
      this.idle.set(origin.key, list);
    }
    if (list.length >= MAX_IDLE_PER_ORIGIN) {
      c.close();
      return;
    }
    c.socket.setTimeout(IDLE_TIMEOUT_MS);
    c.socket.unref();
    list.push(c);
  }

  private connect(origin: Origin, lookup: net.LookupFunction | undefined): Connection {
    const common = { host: origin.host, port: origin.port, ...(lookup ? { lookup } : {}) };
    const socket = origin.tls ? tls.connect({ ...common, ...(origin.servername ? { servername: origin.servername } : {}) }) : net.connect(common);
    const c: Connection = new Connection(socket, (gone) => {
      const list = this.idle.get(origin.key);
      const i = list?.indexOf(gone) ?? -1;
      if (i >= 0) list!.splice(i, 1);
    });
    return c;
  }
}

function originOf(url: URL, guarded: boolean): Origin {
  const secure = url.protocol === 'https:';
  if (!secure && url.protocol !== 'http:') throw new HttpAnswerError(`unsupported scheme ${url.protocol}`);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  // A connection made without the guard's lookup (the simulator's own targets) is never lent to a guarded target.
  return { key: `${url.protocol}//${url.host}|${guarded ? 'g' : 'n'}`, tls: secure, host, port, servername: secure && !net.isIP(host) ? host : undefined };
}

function requestText(url: URL, accept: string): string {
  // `new URL` has percent-encoded or removed every control character, so the path cannot break the request line.
  let auth = '';
  if (url.username !== '' || url.password !== '') {
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    auth = `Authorization: Basic ${Buffer.from(credentials).toString('base64')}\r\n`;
  }
  return `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUser-Agent: Plenum\r\nAccept: ${accept}\r\n${auth}Connection: keep-alive\r\n\r\n`;
}

/** The process's scrape connections. */
export const scrapeHttp = new ScrapeHttpClient();
