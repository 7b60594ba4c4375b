/**
 * The `snmp` collector: reads one device through its SNMP agent with a device profile (src/telemetry/snmp/profiles),
 * over SNMPv2c (community) or SNMPv3 (USM, authPriv or authNoPriv), through the npm `net-snmp` library. Scalars are
 * fetched with GET, table columns walked with GETBULK; each request has `timeoutMs / (retries + 1)` and is retried.
 *
 * Target URL: `snmp://host[:port]` (port 161 by default). Errors are our own words: a v2c agent that does not know the
 * community stays silent, so a timeout says so; SNMPv3 refusals name the USM reason (unknown user, wrong key).
 */
import net from 'node:net';
import snmp from 'net-snmp';
import { z } from 'zod';
import type { RawSample } from '@/telemetry';
import { profileRequests, samplesFromVarbinds, type SnmpProfile, snmpProfileProblems, snmpProfiles, type VarbindValue } from '@/telemetry/snmp/profile';
import { ScrapeError, TargetGuard } from '../target-guard';
import type { CollectContext, Collector, CollectorTarget } from './types';

const DEFAULT_PORT = 161;
/** OIDs per GET request: small enough for any agent's PDU size. */
const GET_BATCH = 32;

export const snmpOptionsSchema = z
  .object({
    /** The device profile's name (a file in src/telemetry/snmp/profiles, or PLENUM_SNMP_PROFILES). */
    profile: z
      .string()
      .trim()
      .min(1, 'is required (e.g. ups-mib)')
      .superRefine((name, ctx) => {
        const known = snmpProfiles();
        if (known.has(name)) return;
        const problems = snmpProfileProblems();
        const broken = problems.length > 0 ? `; not loaded: ${problems.join('; ')}` : '';
        ctx.addIssue({ code: 'custom', message: `is not a known profile (known: ${[...known.keys()].join(', ')}${broken})` });
      }),
    /** SNMPv3 context name, for agents that serve several devices (proxies, PDU chains). */
    context: z.string().trim().max(64).optional(),
    retries: z.number().int().min(0).max(5).default(1),
    /** Rows asked for per GETBULK when walking a table. */
    maxRepetitions: z.number().int().min(1).max(100).default(25),
  })
  .strict();

export type SnmpOptions = z.output<typeof snmpOptionsSchema>;

const AUTH_PROTOCOLS = ['sha', 'sha256', 'sha512', 'md5'] as const;
const PRIV_PROTOCOLS = ['aes', 'aes256b', 'aes256r', 'des'] as const;

/**
 * v2c: `{ community }` (default "public" when nothing is given). v3: `{ user, authProtocol, authKey, privProtocol,
 * privKey }`; without `privKey` the session is authNoPriv. Keys are at least 8 characters (RFC 3414).
 */
export const snmpCredentialsSchema = z
  .object({
    community: z.string().min(1).max(255).optional(),
    user: z.string().min(1).max(64).optional(),
    authProtocol: z.enum(AUTH_PROTOCOLS).default('sha'),
    authKey: z.string().min(8, 'must be at least 8 characters').max(255).optional(),
    privProtocol: z.enum(PRIV_PROTOCOLS).default('aes'),
    privKey: z.string().min(8, 'must be at least 8 characters').max(255).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.user !== undefined && c.community !== undefined) ctx.addIssue({ code: 'custom', path: ['community'], message: 'give a community (v2c) or a v3 user, not both' });
    if (c.user !== undefined && c.authKey === undefined) ctx.addIssue({ code: 'custom', path: ['authKey'], message: 'is required with an SNMPv3 user' });
    if (c.user === undefined && (c.authKey !== undefined || c.privKey !== undefined)) ctx.addIssue({ code: 'custom', path: ['user'], message: 'is required with SNMPv3 keys' });
  });

export type SnmpCredentials = z.output<typeof snmpCredentialsSchema>;

/** `snmp://host:port` → host and port; throws a ScrapeError in our words. */
export function parseSnmpUrl(url: string): { host: string; port: number } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ScrapeError('not a valid URL');
  }
  if (parsed.protocol !== 'snmp:') throw new ScrapeError('an SNMP target URL is snmp://host[:port]');
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  if (!host) throw new ScrapeError('an SNMP target URL is snmp://host[:port]');
  return { host, port: parsed.port ? Number(parsed.port) : DEFAULT_PORT };
}

/** A varbind value as the profile module takes it; undefined for types it cannot read (OIDs, IP addresses, nulls). */
function varbindValue(vb: snmp.Varbind): VarbindValue | undefined {
  const v = vb.value;
  switch (vb.type) {
    case snmp.ObjectType.Integer:
    case snmp.ObjectType.Counter:
    case snmp.ObjectType.Gauge:
    case snmp.ObjectType.TimeTicks:
      return typeof v === 'number' ? v : undefined;
    case snmp.ObjectType.Counter64:
      if (typeof v === 'bigint') return Number(v);
      if (Buffer.isBuffer(v)) return v.length === 0 ? 0 : Number(BigInt(`0x${v.toString('hex')}`));
      return typeof v === 'number' ? v : undefined;
    case snmp.ObjectType.OctetString:
      return Buffer.isBuffer(v) ? v.toString('utf8') : typeof v === 'string' ? v : undefined;
    default:
      return undefined;
  }
}

const USM_REASONS: Record<string, string> = {
  'Unsupported Security Level': 'the agent does not support this security level for the user',
  'Not In Time Window': 'the agent says our message is outside its time window',
  'Unknown User Name': 'unknown user',
  'Unknown Engine ID': 'unknown engine id',
  'Wrong Digest (incorrect password, community or key)': 'wrong authentication key',
  'Decryption Error': 'wrong privacy key',
};

function timeoutError(timeoutMs: number, v3: boolean): ScrapeError {
  return new ScrapeError(
    `timed out after ${timeoutMs} ms: no answer from the agent${v3 ? '' : ' (it is down, or it refused the community: v2c agents do not answer a wrong community)'}`,
  );
}

/** A net-snmp failure in our words: never text the agent sent. */
export function snmpErrorText(error: unknown, timeoutMs: number, v3: boolean): ScrapeError {
  if (error instanceof ScrapeError) return error;
  const e = error as Error & { code?: unknown; status?: unknown };
  if (e?.name === 'RequestTimedOutError') return timeoutError(timeoutMs, v3);
  if (e?.name === 'ResponseInvalidError') {
    if (e.code === snmp.ResponseInvalidCode.EAuthFailure) return new ScrapeError(`SNMPv3 authorization refused: ${USM_REASONS[e.message] ?? 'authentication failed'}`);
    if (e.code === snmp.ResponseInvalidCode.ECouldNotDecrypt) return new ScrapeError('SNMPv3 authorization refused: wrong privacy key');
    return new ScrapeError(`invalid SNMP response (${snmp.ResponseInvalidCode[e.code as number] ?? 'unexpected'})`);
  }
  if (e?.name === 'RequestFailedError') {
    const status = typeof e.status === 'number' ? e.status : -1;
    const name = snmp.ErrorStatus[status] ?? 'unknown';
    if (status === snmp.ErrorStatus.AuthorizationError || status === snmp.ErrorStatus.NoAccess) return new ScrapeError(`authorization refused by the agent (${name})`);
    return new ScrapeError(`the agent answered ${name} (error-status ${status})`);
  }
  const code = typeof e?.code === 'string' ? e.code : undefined;
  return new ScrapeError(`connection failed${code ? ` (${code})` : ''}`);
}

function openSession(address: string, port: number, options: SnmpOptions, credentials: SnmpCredentials, requestTimeoutMs: number): snmp.Session {
  const common = {
    port,
    retries: options.retries,
    timeout: requestTimeoutMs,
    backoff: 1,
    transport: net.isIPv6(address) ? ('udp6' as const) : ('udp4' as const),
    ...(options.context ? { context: options.context } : {}),
  };
  if (credentials.user !== undefined) {
    const user: snmp.User = {
      name: credentials.user,
      level: credentials.privKey ? snmp.SecurityLevel.authPriv : snmp.SecurityLevel.authNoPriv,
      authProtocol: snmp.AuthProtocols[credentials.authProtocol],
      authKey: credentials.authKey!,
      ...(credentials.privKey ? { privProtocol: snmp.PrivProtocols[credentials.privProtocol], privKey: credentials.privKey } : {}),
    };
    return snmp.createV3Session(address, user, { ...common, version: snmp.Version3 });
  }
  return snmp.createSession(address, credentials.community ?? 'public', { ...common, version: snmp.Version2c });
}

function getOnce(session: snmp.Session, oids: string[]): Promise<snmp.Varbind[]> {
  return new Promise((resolve, reject) => {
    session.get(oids, (error, varbinds) => (error ? reject(error) : resolve(varbinds ?? [])));
  });
}

function getBulkOnce(session: snmp.Session, oids: string[], maxRepetitions: number): Promise<snmp.Varbind[][]> {
  return new Promise((resolve, reject) => {
    session.getBulk(oids, 0, maxRepetitions, (error, varbinds) => (error ? reject(error) : resolve((varbinds ?? []) as snmp.Varbind[][])));
  });
}

/** Rows per column past which a walk stops: an agent that never leaves a column must not keep a scrape busy forever. */
const MAX_ROWS_PER_COLUMN = 10_000;

/**
 * Walks the columns of one table together: each GETBULK carries every column still inside its subtree, from the last
 * row seen in it (so a 24-outlet table of four columns costs one or two requests, not eight).
 */
async function walkTable(session: snmp.Session, columns: readonly string[], maxRepetitions: number, into: Map<string, VarbindValue>): Promise<void> {
  const last = new Map(columns.map((c) => [c, c]));
  const rows = new Map(columns.map((c) => [c, 0]));
  while (last.size > 0) {
    const walking = [...last.keys()];
    const answers = await getBulkOnce(
      session,
      walking.map((c) => last.get(c)!),
      maxRepetitions,
    );
    walking.forEach((column, i) => {
      const from = last.get(column)!;
      let at = from;
      for (const vb of answers[i] ?? []) {
        if (snmp.isVarbindError(vb) || !vb.oid.startsWith(`${column}.`)) {
          at = from; // left the column (or the MIB view): done
          break;
        }
        const value = varbindValue(vb);
        if (value !== undefined) into.set(vb.oid, value);
        at = vb.oid;
      }
      const count = rows.get(column)! + (answers[i]?.length ?? 0);
      rows.set(column, count);
      if (at === from || count >= MAX_ROWS_PER_COLUMN) last.delete(column);
      else last.set(column, at);
    });
  }
}

/** Reads what a profile asks for: GET the scalars (a missing required one is an error), walk the columns. */
async function readProfile(session: snmp.Session, profile: SnmpProfile, options: SnmpOptions): Promise<Map<string, VarbindValue>> {
  const requests = profileRequests(profile);
  const answers = new Map<string, VarbindValue>();
  for (let i = 0; i < requests.get.length; i += GET_BATCH) {
    const batch = requests.get.slice(i, i + GET_BATCH);
    const varbinds = await getOnce(
      session,
      batch.map((g) => g.oid),
    );
    varbinds.forEach((vb, j) => {
      const wanted = batch[j]!;
      if (snmp.isVarbindError(vb)) {
        if (wanted.optional) return;
        const kind = vb.type === snmp.ObjectType.NoSuchInstance ? 'noSuchInstance' : vb.type === snmp.ObjectType.EndOfMibView ? 'endOfMibView' : 'noSuchObject';
        throw new ScrapeError(`${kind} at ${wanted.oid} (profile ${profile.name}: the agent does not have this object)`);
      }
      const value = varbindValue(vb);
      if (value !== undefined) answers.set(wanted.oid, value);
    });
  }
  await Promise.all(requests.tables.map((columns) => walkTable(session, columns, options.maxRepetitions, answers)));
  return answers;
}

/** A target's stored settings; a profile removed since the target was added is a clear per-target error. */
function storedSettings<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new ScrapeError(`${[field, ...issue.path.map(String)].join('.')}: ${issue.message}`);
}

export const snmpCollector: Collector<SnmpOptions, SnmpCredentials> = {
  dialect: 'snmp',
  optionsSchema: snmpOptionsSchema,
  credentialsSchema: snmpCredentialsSchema,
  targetKey: (options) => `${options.profile}${options.context ? `@${options.context}` : ''}`,

  async collect(target: CollectorTarget, ctx: CollectContext): Promise<RawSample[]> {
    const options = storedSettings(snmpOptionsSchema, target.options, 'options');
    const credentials = storedSettings(snmpCredentialsSchema, target.credentials, 'credentials');
    const profile = snmpProfiles().get(options.profile)!;
    const { host, port } = parseSnmpUrl(target.url);
    const v3 = credentials.user !== undefined;
    const address = await TargetGuard.resolveChecked(host, ctx.guard);
    // The requests' own timeouts end first (with the library's retries); the abort is the backstop for the whole read.
    const requestTimeoutMs = Math.max(50, Math.floor((target.timeoutMs * 0.9) / (options.retries + 1)));
    const session = openSession(address, port, options, credentials, requestTimeoutMs);
    // Session-level socket errors (ICMP port unreachable on some systems) must not crash the process.
    session.on('error', () => {});
    let onAbort: (() => void) | undefined;
    try {
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(timeoutError(target.timeoutMs, v3));
        if (ctx.signal.aborted) onAbort();
        else ctx.signal.addEventListener('abort', onAbort, { once: true });
      });
      const reading = readProfile(session, profile, options);
      reading.catch(() => {}); // when the abort wins, the read's own later failure is not an unhandled rejection
      const answers = await Promise.race([reading, aborted]);
      const labels: Record<string, string> = {};
      if (target.facility) {
        labels.device = target.facility.name;
        labels.site = target.facility.siteSlug;
      }
      return samplesFromVarbinds(profile, answers, { timestampMs: ctx.nowMs, labels });
    } catch (error) {
      throw snmpErrorText(error, target.timeoutMs, v3);
    } finally {
      if (onAbort) ctx.signal.removeEventListener('abort', onAbort);
      session.close();
    }
  },
};
