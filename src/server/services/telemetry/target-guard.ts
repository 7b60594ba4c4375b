/**
 * Where the scraper may connect, and how much it reads. Exporters live on the data-center network (private ranges are
 * fine), but a scrape target must never point Plenum at itself or at the host's secrets: loopback, link-local, the
 * cloud metadata endpoints (169.254.169.254, fd00:ec2::254, …), unspecified and multicast addresses are refused, at
 * add time and again at every connection (after DNS resolution, on the address actually connected to, so a name that
 * later resolves elsewhere is caught too). `PLENUM_TARGET_ALLOW` lists exceptions: comma-separated IP addresses, CIDR
 * ranges or host names (e.g. `127.0.0.1,10.9.0.0/16,exporter.lab`). The built-in simulator's own targets are allowed.
 *
 * Errors carry only our own words (status code, limit, address class), never the fetched body.
 */
import dns from 'node:dns';
import type http from 'node:http';
import net from 'node:net';
import { HttpAnswerError, scrapeHttp } from './scrape-http';

const REFUSED: { range: string; prefix: number; family: 'ipv4' | 'ipv6'; what: string }[] = [
  { range: '0.0.0.0', prefix: 8, family: 'ipv4', what: 'an unspecified' },
  { range: '127.0.0.0', prefix: 8, family: 'ipv4', what: 'a loopback' },
  { range: '169.254.0.0', prefix: 16, family: 'ipv4', what: 'a link-local (cloud metadata)' },
  { range: '100.100.100.200', prefix: 32, family: 'ipv4', what: 'a cloud metadata' },
  { range: '192.0.0.192', prefix: 32, family: 'ipv4', what: 'a cloud metadata' },
  { range: '224.0.0.0', prefix: 4, family: 'ipv4', what: 'a multicast' },
  { range: '255.255.255.255', prefix: 32, family: 'ipv4', what: 'a broadcast' },
  { range: '::', prefix: 128, family: 'ipv6', what: 'an unspecified' },
  { range: '::1', prefix: 128, family: 'ipv6', what: 'a loopback' },
  { range: 'fe80::', prefix: 10, family: 'ipv6', what: 'a link-local' },
  { range: 'fd00:ec2::254', prefix: 128, family: 'ipv6', what: 'a cloud metadata' },
  { range: 'ff00::', prefix: 8, family: 'ipv6', what: 'a multicast' },
];

/** A refused target or a failed scrape; the message is safe to store and show (no fetched content). */
export class ScrapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScrapeError';
  }
}

const REFUSED_LISTS = REFUSED.map((r) => {
  const list = new net.BlockList();
  list.addSubnet(r.range, r.prefix, r.family);
  return { list, what: r.what };
});

const familyOf = (address: string): 'ipv4' | 'ipv6' => (net.isIPv4(address) ? 'ipv4' : 'ipv6');

export class TargetGuard {
  private readonly allowedRanges = new net.BlockList();
  private readonly allowedHosts = new Set<string>();

  /** `allow`: the PLENUM_TARGET_ALLOW list. Throws naming a malformed entry. */
  constructor(allow = '') {
    for (const raw of allow.split(',')) {
      const entry = raw.trim().toLowerCase();
      if (entry === '') continue;
      const [address, prefix] = entry.split('/');
      if (net.isIP(address!)) {
        const family = familyOf(address!);
        const bits = prefix === undefined ? (family === 'ipv4' ? 32 : 128) : Number(prefix);
        if (!Number.isInteger(bits) || bits < 0 || bits > (family === 'ipv4' ? 32 : 128)) throw new Error(`PLENUM_TARGET_ALLOW: bad prefix length in "${raw.trim()}"`);
        this.allowedRanges.addSubnet(address!, bits, family);
      } else if (prefix === undefined && /^[a-z0-9.-]+$/.test(entry)) {
        this.allowedHosts.add(entry);
      } else {
        throw new Error(`PLENUM_TARGET_ALLOW: "${raw.trim()}" is not an IP address, CIDR range or host name`);
      }
    }
  }

  /** Why connecting to this IP address is refused, or undefined when it is allowed. */
  refusal(address: string): string | undefined {
    const family = familyOf(address);
    if (this.allowedRanges.check(address, family)) return undefined;
    for (const r of REFUSED_LISTS) if (r.list.check(address, family)) return `${r.what} address`;
    return undefined;
  }

  private refusedError(host: string, address: string, why: string): ScrapeError {
    const resolved = host === address ? '' : ` resolves to ${address}, which is`;
    return new ScrapeError(`target refused: ${host}${resolved || ' is'} ${why}; allow it with PLENUM_TARGET_ALLOW`);
  }

  /** Throws a ScrapeError when the URL's host is (or resolves to) a refused address. For validation at add time. */
  async check(url: string): Promise<void> {
    const host = hostOf(new URL(url));
    if (this.allowedHosts.has(host)) return;
    const addresses = net.isIP(host) ? [host] : (await dns.promises.lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
    for (const address of addresses) {
      const why = this.refusal(address);
      if (why) throw this.refusedError(host, address, why);
    }
  }

  /**
   * The address to connect to for a non-HTTP collector (SNMP over UDP, Modbus TCP): the host itself when it is an IP
   * address, else its first DNS address; throws a ScrapeError when any address it resolves to is refused. With a null
   * guard (the simulator's own targets) nothing is refused.
   */
  static async resolveChecked(host: string, guard: TargetGuard | null): Promise<string> {
    const bare = host.startsWith('[') ? host.slice(1, -1) : host;
    if (net.isIP(bare)) {
      const why = guard?.refusal(bare);
      if (why) throw new ScrapeError(`target refused: ${bare} is ${why}; allow it with PLENUM_TARGET_ALLOW`);
      return bare;
    }
    const addresses = await dns.promises.lookup(bare, { all: true }).catch(() => []);
    if (addresses.length === 0) throw new ScrapeError(`host ${bare} not found`);
    if (guard && !guard.allowedHosts.has(bare.toLowerCase())) {
      for (const a of addresses) {
        const why = guard.refusal(a.address);
        if (why) throw guard.refusedError(bare, a.address, why);
      }
    }
    return addresses[0]!.address;
  }

  /** A `lookup` for http.request that refuses connections to refused addresses (the address checked is the one used). */
  lookupFor(host: string): net.LookupFunction | undefined {
    if (this.allowedHosts.has(host)) return undefined;
    return ((hostname: string, options: dns.LookupOptions, callback: (error: Error | null, address: string | dns.LookupAddress[], family?: number) => void) => {
      dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
        if (error) return callback(error, []);
        for (const a of addresses) {
          const why = this.refusal(a.address);
          if (why) return callback(this.refusedError(hostname, a.address, why), []);
        }
        if (options.all) return callback(null, addresses);
        const first = addresses[0];
        if (!first) return callback(new ScrapeError(`${hostname} has no address`), []);
        callback(null, first.address, first.family);
      });
    }) as unknown as net.LookupFunction;
  }

  /** The guard of this process, from PLENUM_TARGET_ALLOW. */
  static fromEnv(env: Record<string, string | undefined> = process.env): TargetGuard {
    return new TargetGuard(env.PLENUM_TARGET_ALLOW ?? '');
  }
}

function hostOf(url: URL): string {
  const host = url.hostname.toLowerCase();
  return host.startsWith('[') ? host.slice(1, -1) : host;
}

export type FetchOptions = {
  timeoutMs: number;
  maxBytes: number;
  /** null: no address check (the simulator's own targets). */
  guard: TargetGuard | null;
};

/** Decoding is stateless without `stream`: one decoder serves every scrape (making one costs more than a decode). */
const UTF8 = new TextDecoder('utf-8');

/**
 * GETs a scrape target's exposition text (scrape-http.ts: connections kept alive per origin): no redirects followed,
 * the body abandoned past `maxBytes` (declared or streamed), decoded as UTF-8 (invalid bytes become U+FFFD, which the
 * parser drops as invalid_utf8). The timeout bounds the whole exchange, body included.
 */
export function fetchExposition(url: string, options: FetchOptions): Promise<string> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return Promise.reject(new ScrapeError('not a valid URL'));
  }
  const host = hostOf(parsed);
  if (options.guard && net.isIP(host)) {
    const why = options.guard.refusal(host);
    if (why) return Promise.reject(new ScrapeError(`target refused: ${host} is ${why}; allow it with PLENUM_TARGET_ALLOW`));
  }
  const lookup = options.guard && !net.isIP(host) ? options.guard.lookupFor(host) : undefined;
  return scrapeHttp
    .get(parsed, {
      timeoutMs: options.timeoutMs,
      maxBytes: options.maxBytes,
      ...(lookup ? { lookup } : {}),
      accept: 'text/plain;version=0.0.4',
      tooLarge: () => new ScrapeError(`response larger than ${options.maxBytes} bytes (PLENUM_SCRAPE_MAX_BYTES)`),
      timedOut: () => new ScrapeError(`timed out after ${options.timeoutMs} ms`),
    })
    .then(
      (body) => UTF8.decode(body),
      (error: Error) => {
        throw safeError(error, options.timeoutMs);
      },
    );
}

/**
 * A response's body, abandoned (the response destroyed, `tooLarge()` the error) as soon as it declares or streams more
 * than `maxBytes`: a target cannot make us buffer more than the cap.
 */
export function readCappedBody(response: http.IncomingMessage, maxBytes: number, tooLarge: () => Error, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (Number(response.headers['content-length'] ?? 0) > maxBytes) {
      response.destroy();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > maxBytes) {
        response.destroy();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    // One chunk (most bodies: a socket read holds up to 64 kB) is handed on as it is, not copied into another buffer.
    response.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    response.on('error', (error) => reject(safeError(error, timeoutMs)));
  });
}

/** A connection error in our words: its code (ECONNREFUSED, …), a timeout, or a refusal; never server-sent text. */
export function safeError(error: Error, timeoutMs: number): ScrapeError {
  if (error instanceof ScrapeError) return error;
  if (error instanceof HttpAnswerError) return new ScrapeError(error.message);
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return new ScrapeError(`timed out after ${timeoutMs} ms`);
  const code = (error as NodeJS.ErrnoException).code;
  return new ScrapeError(`connection failed${code ? ` (${code})` : ''}`);
}
