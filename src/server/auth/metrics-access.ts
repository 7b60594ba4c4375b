/**
 * Who may read `GET /metrics`: a caller from an allow-listed address range (PLENUM_METRICS_ALLOW, comma-separated
 * CIDRs or addresses; default loopback only), or one with an API token (Authorization: Bearer) that may read.
 * Never a redirect to the sign-in page: a monitoring system gets a status code and a reason it can log.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { Db } from '../db/client';
import { clientAddress, resolvePrincipal } from './principal';

export const DEFAULT_METRICS_ALLOW = '127.0.0.0/8,::1/128';

export class MetricsAllowError extends Error {}

/** Parses PLENUM_METRICS_ALLOW; throws naming the entry that is not an address or CIDR. */
export function metricsAllowList(env: Record<string, string | undefined> = process.env): BlockList {
  const raw = env.PLENUM_METRICS_ALLOW ?? DEFAULT_METRICS_ALLOW;
  const list = new BlockList();
  for (const entry of raw.split(',').map((e) => e.trim()).filter(Boolean)) {
    const [address, bits] = entry.split('/') as [string, string | undefined];
    const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : null;
    const prefix = bits === undefined ? (family === 'ipv4' ? 32 : 128) : Number(bits);
    if (!family || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 'ipv4' ? 32 : 128)) {
      throw new MetricsAllowError(`PLENUM_METRICS_ALLOW: "${entry}" is not an IP address or CIDR range (e.g. 10.0.0.0/8, ::1)`);
    }
    list.addSubnet(address, prefix, family);
  }
  return list;
}

/** True when `address` (as the server saw it; IPv4-mapped IPv6 is read as IPv4) is in the list. */
export function addressAllowed(list: BlockList, address: string | null): boolean {
  if (!address) return false;
  const plain = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
  if (isIPv4(plain)) return list.check(plain, 'ipv4');
  if (isIPv6(plain)) return list.check(plain, 'ipv6');
  return false;
}

export type MetricsAccess = { ok: true; via: 'address' | 'token' } | { ok: false; status: 401 | 403; reason: string };

export async function metricsAccess(db: Db, headers: Headers, env: Record<string, string | undefined> = process.env): Promise<MetricsAccess> {
  if (addressAllowed(metricsAllowList(env), clientAddress(headers))) return { ok: true, via: 'address' };
  if (!headers.get('authorization')) {
    return { ok: false, status: 401, reason: 'send an API token (Authorization: Bearer <token>) or scrape from an address in PLENUM_METRICS_ALLOW' };
  }
  const { principal, problem } = await resolvePrincipal(db, headers);
  if (principal.kind === 'anonymous') return { ok: false, status: 401, reason: problem ?? 'the API token is invalid, expired or revoked' };
  if (!principal.permissions.has('read')) return { ok: false, status: 403, reason: 'this token may not read' };
  return { ok: true, via: 'token' };
}
