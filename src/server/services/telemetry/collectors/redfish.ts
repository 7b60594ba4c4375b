/**
 * The `redfish` collector: reads PDUs, switchgear, CDUs and server chassis over DMTF Redfish (HTTPS, or HTTP in labs)
 * and returns catalogue readings. Discovery and mapping live in src/telemetry/redfish (no I/O there); this file is the
 * HTTP side: TLS with a configurable CA or (labs only) no verification, session auth (POST SessionService/Sessions,
 * X-Auth-Token, one re-login on 401) or basic auth, the target guard on every connection, a byte limit per response,
 * and one deadline (the target's timeout) for the whole pass.
 *
 * Errors are our own words: auth refused, resource missing at a path, service error, malformed JSON, timeout. Paths
 * quoted in errors are links that passed the conservative syntax check in `linkOf`, never response text.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { z } from 'zod';
import { DEFAULT_WALK_LIMITS, discoverRedfish, type RedfishObject, RedfishWalkError } from '@/telemetry/redfish/discover';
import { PLENUM_PREFIX, type RawSample } from '@/telemetry';
import { readCappedBody, ScrapeError, safeError, type TargetGuard } from '../target-guard';
import type { CollectContext, Collector, CollectorTarget } from './types';

export const redfishOptionsSchema = z
  .object({
    /** `session` (default when a username is given), `basic`, or `none` (an open lab service). */
    auth: z.enum(['session', 'basic', 'none']).optional(),
    /** PEM of the CA (or self-signed certificate) that signs the service's certificate. */
    caPem: z.string().max(64 * 1024).includes('-----BEGIN CERTIFICATE-----', { message: 'must be a PEM certificate' }).optional(),
    /** Labs only: accept any certificate. */
    insecureSkipVerify: z.boolean().optional(),
    /** Use `$expand` when the service advertises it (default true). */
    expand: z.boolean().optional(),
    maxRequests: z.number().int().min(1).max(20_000).optional(),
    concurrency: z.number().int().min(1).max(32).optional(),
    maxMembers: z.number().int().min(1).max(10_000).optional(),
    /** Largest response body read, in bytes. */
    maxBodyBytes: z.number().int().min(1024).max(64 * 1024 * 1024).optional(),
  })
  .strict();
export type RedfishOptions = z.infer<typeof redfishOptionsSchema>;

export const redfishCredentialsSchema = z
  .object({
    username: z.string().min(1).max(256).optional(),
    password: z.string().max(1024).optional(),
  })
  .strict();
export type RedfishCredentials = z.infer<typeof redfishCredentialsSchema>;

const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

type Response = { status: number; headers: http.IncomingHttpHeaders; body: Buffer };

type Connection = {
  origin: URL;
  guard: TargetGuard | null;
  /** One keep-alive agent per poll (TLS settings on it), so a walk of many resources reuses its connections. */
  agent: http.Agent;
  signal: AbortSignal;
  timeoutMs: number;
  maxBodyBytes: number;
};

/** One HTTP(S) request through the guard, body capped; rejects with a ScrapeError in our words. */
function request(conn: Connection, method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: string): Promise<Response> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, conn.origin);
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    if (conn.guard && net.isIP(host)) {
      const why = conn.guard.refusal(host);
      if (why) {
        reject(new ScrapeError(`target refused: ${host} is ${why}; allow it with PLENUM_TARGET_ALLOW`));
        return;
      }
    }
    const lookup = conn.guard && !net.isIP(host) ? conn.guard.lookupFor(host) : undefined;
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(
      url,
      {
        method,
        headers: { accept: 'application/json', 'odata-version': '4.0', ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        signal: conn.signal,
        agent: conn.agent,
        ...(lookup ? { lookup } : {}),
      },
      (res) => {
        const tooLarge = () => new ScrapeError(`Redfish response at ${url.pathname} larger than ${conn.maxBodyBytes} bytes (option maxBodyBytes)`);
        readCappedBody(res, conn.maxBodyBytes, tooLarge, conn.timeoutMs).then((body) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }), reject);
      },
    );
    req.on('error', (error) => reject(safeError(error, conn.timeoutMs)));
    req.end(body);
  });
}

/** The error for a non-2xx answer, in our words. */
function statusError(status: number, path: string): ScrapeError {
  if (status === 401 || status === 403) return new ScrapeError(`Redfish auth refused (HTTP ${status}) at ${path}`);
  if (status === 404) return new ScrapeError(`Redfish resource missing at ${path} (HTTP 404)`);
  if (status >= 500) return new ScrapeError(`Redfish service error (HTTP ${status}) at ${path}`);
  return new ScrapeError(`Redfish unexpected HTTP ${status} at ${path}`);
}

function parseObject(body: Buffer, path: string): RedfishObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8').decode(body));
  } catch {
    throw new ScrapeError(`Redfish response at ${path} is not valid JSON`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ScrapeError(`Redfish response at ${path} is not a JSON object`);
  return parsed as RedfishObject;
}

/** Session tokens by target (id + URL + user), reused across passes until the service answers 401. */
const sessions = new Map<string, string>();
const MAX_SESSIONS = 10_000;

function sessionKey(target: CollectorTarget, username: string): string {
  return `${target.id}\u0000${target.url}\u0000${username}`;
}

export async function collectRedfish(target: CollectorTarget, ctx: CollectContext): Promise<RawSample[]> {
  const parsedOptions = redfishOptionsSchema.safeParse(target.options);
  const parsedCredentials = redfishCredentialsSchema.safeParse(target.credentials);
  if (!parsedOptions.success || !parsedCredentials.success) throw new ScrapeError(`the target's Redfish ${parsedOptions.success ? 'credentials' : 'options'} are not valid`);
  const options = parsedOptions.data;
  const credentials = parsedCredentials.data;
  let origin: URL;
  try {
    origin = new URL(target.url);
  } catch {
    throw new ScrapeError('not a valid URL');
  }
  if (origin.protocol !== 'https:' && origin.protocol !== 'http:') throw new ScrapeError('a Redfish target URL starts with https:// (or http:// in labs)');
  const rootPath = origin.pathname.replace(/\/+$/, '') || '/redfish/v1';
  const deadline = AbortSignal.timeout(target.timeoutMs);
  const concurrency = options.concurrency ?? DEFAULT_WALK_LIMITS.concurrency;
  const agent =
    origin.protocol === 'https:'
      ? new https.Agent({ keepAlive: true, maxSockets: concurrency, ...(options.caPem ? { ca: options.caPem } : {}), rejectUnauthorized: options.insecureSkipVerify !== true })
      : new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const conn: Connection = {
    origin: new URL(origin.origin),
    guard: ctx.guard,
    agent,
    signal: AbortSignal.any([ctx.signal, deadline]),
    timeoutMs: target.timeoutMs,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  };
  const username = credentials.username;
  const auth = options.auth ?? (username ? 'session' : 'none');
  if (auth !== 'none' && !username) throw new ScrapeError(`Redfish ${auth} auth needs a username in the target's credentials`);
  const password = credentials.password ?? '';
  const key = username ? sessionKey(target, username) : '';

  const login = async (): Promise<string> => {
    const path = `${rootPath}/SessionService/Sessions`;
    const res = await request(conn, 'POST', path, {}, JSON.stringify({ UserName: username, Password: password }));
    if (res.status < 200 || res.status > 299) throw statusError(res.status, path);
    const token = res.headers['x-auth-token'];
    if (typeof token !== 'string' || token === '') throw new ScrapeError(`Redfish session login at ${path} returned no X-Auth-Token`);
    // Removed targets leave tokens behind: a bound, since a forgotten token only costs one login.
    if (sessions.size >= MAX_SESSIONS) sessions.clear();
    sessions.set(key, token);
    return token;
  };

  // Parallel requests that all meet a 401 share one re-login.
  let loginInFlight: Promise<string> | undefined;
  const freshToken = (): Promise<string> => {
    loginInFlight ??= login().finally(() => (loginInFlight = undefined));
    return loginInFlight;
  };

  const fetchJson = async (path: string, query?: string): Promise<RedfishObject> => {
    const requestPath = query ? `${path}?${query}` : path;
    const headersFor = (token: string | undefined): Record<string, string> => {
      if (auth === 'basic') return { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
      if (auth === 'session' && token) return { 'x-auth-token': token };
      return {};
    };
    let token = auth === 'session' ? (sessions.get(key) ?? (await freshToken())) : undefined;
    let res = await request(conn, 'GET', requestPath, headersFor(token));
    if (res.status === 401 && auth === 'session') {
      // The session expired or the service restarted: log in once more (unless a parallel request already did).
      if (sessions.get(key) === token) sessions.delete(key);
      token = sessions.get(key) ?? (await freshToken());
      res = await request(conn, 'GET', requestPath, headersFor(token));
    }
    if (query && (res.status === 400 || res.status === 405 || res.status === 501)) {
      // Advertised but refused (some firmware): the collection as it is, its members then fetched one by one.
      return fetchJson(path);
    }
    if (res.status < 200 || res.status > 299) throw statusError(res.status, path);
    return parseObject(res.body, path);
  };

  try {
    const readings = await discoverRedfish(fetchJson, {
      rootPath,
      deviceName: target.facility?.name ?? null,
      useExpand: options.expand !== false,
      maxRequests: options.maxRequests ?? DEFAULT_WALK_LIMITS.maxRequests,
      concurrency,
      maxMembers: options.maxMembers ?? DEFAULT_WALK_LIMITS.maxMembers,
    });
    const site = target.facility?.siteSlug;
    return readings.map((r) => ({
      name: `${PLENUM_PREFIX}${r.metric}`,
      labels: site ? { ...r.labels, site } : r.labels,
      value: r.value,
      timestampMs: ctx.nowMs,
    }));
  } catch (error) {
    if (error instanceof ScrapeError) throw error;
    if (error instanceof RedfishWalkError) throw new ScrapeError(error.message);
    if (deadline.aborted) throw new ScrapeError(`timed out after ${target.timeoutMs} ms`);
    throw safeError(error instanceof Error ? error : new Error('failed'), target.timeoutMs);
  } finally {
    agent.destroy();
  }
}

export const redfishCollector: Collector<RedfishOptions, RedfishCredentials> = {
  dialect: 'redfish',
  optionsSchema: redfishOptionsSchema,
  credentialsSchema: redfishCredentialsSchema,
  collect: collectRedfish,
};
