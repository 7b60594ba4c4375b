import { and, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import * as s from '../db/schema';
import { recordDenied, writeAudit } from './audit';
import { type GrantedPermission, intersect, permissionsOf, type Role } from './permissions';
import { looksLikeToken, sha256, TOKEN_PREFIX } from './secrets';

/** Who is calling. Anonymous callers only reach `public` procedures. */
export type Principal = {
  kind: 'anonymous' | 'session' | 'token' | 'system';
  userId: number | null;
  username: string;
  role: Role | null;
  permissions: ReadonlySet<GrantedPermission>;
  /** True: every zone; otherwise only `zoneIds`. */
  allZones: boolean;
  zoneIds: ReadonlySet<number>;
  tokenId: number | null;
  /** SHA-256 of the session id, for sign-out. */
  sessionHash: string | null;
  /** When the credential in use ends (a token's expiry, a session's absolute end); null or absent: never, or no credential. */
  expiresAt?: Date | null;
};

export const ANONYMOUS: Principal = Object.freeze({
  kind: 'anonymous',
  userId: null,
  username: 'anonymous',
  role: null,
  permissions: new Set<GrantedPermission>(),
  allZones: false,
  zoneIds: new Set<number>(),
  tokenId: null,
  sessionHash: null,
  expiresAt: null,
});

/** In-process callers that are trusted by construction (tests, workers, server-side code): every permission, every zone. */
export function systemPrincipal(name = 'system'): Principal {
  return { kind: 'system', userId: null, username: name, role: 'admin', permissions: permissionsOf('admin'), allZones: true, zoneIds: new Set(), tokenId: null, sessionHash: null, expiresAt: null };
}

export const SESSION_COOKIE = 'plenum_session';
export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
export const SESSION_ABSOLUTE_MS = 7 * 24 * 60 * 60 * 1000;
/** last_seen / last_used are written at most this often per session or token. */
const TOUCH_EVERY_MS = 60 * 1000;

export function cookieValue(cookieHeader: string | null | undefined, name: string): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The client address: the last X-Forwarded-For entry (the start script overwrites it with the socket's address). */
export function clientAddress(headers: Headers): string | null {
  const forwarded = headers.get('x-forwarded-for');
  const last = forwarded?.split(',').at(-1)?.trim();
  return last ? last.slice(0, 64) : null;
}

async function zonesOf(db: Db, table: typeof s.userZones | typeof s.tokenZones, ownerId: number): Promise<Set<number>> {
  const rows =
    table === s.userZones
      ? await db.select({ zoneId: s.userZones.zoneId }).from(s.userZones).where(eq(s.userZones.userId, ownerId))
      : await db.select({ zoneId: s.tokenZones.zoneId }).from(s.tokenZones).where(eq(s.tokenZones.tokenId, ownerId));
  return new Set(rows.map((r) => r.zoneId));
}

type UserRow = typeof s.users.$inferSelect;

async function userPrincipal(db: Db, user: UserRow, sessionHash: string, expiresAt: Date): Promise<Principal> {
  return {
    kind: 'session',
    userId: user.id,
    username: user.username,
    role: user.role,
    permissions: permissionsOf(user.role),
    allZones: user.allZones,
    zoneIds: user.allZones ? new Set() : await zonesOf(db, s.userZones, user.id),
    tokenId: null,
    sessionHash,
    expiresAt,
  };
}

export async function principalFromSession(db: Db, sessionId: string): Promise<Principal | undefined> {
  if (sessionId.length > 100) return undefined;
  const hash = sha256(sessionId);
  const now = new Date();
  const [row] = await db
    .select({ session: s.sessions, user: s.users })
    .from(s.sessions)
    .innerJoin(s.users, eq(s.users.id, s.sessions.userId))
    .where(and(eq(s.sessions.idHash, hash), gt(s.sessions.expiresAt, now), gt(s.sessions.lastSeenAt, new Date(now.getTime() - SESSION_IDLE_MS))));
  if (!row || row.user.disabled) return undefined;
  if (now.getTime() - row.session.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
    await db.update(s.sessions).set({ lastSeenAt: now }).where(eq(s.sessions.idHash, hash));
  }
  return userPrincipal(db, row.user, hash, row.session.expiresAt);
}

/**
 * A token acts for its user with the token's role and zones, never more than the user holds now: a user whose role
 * was lowered, or who was disabled, takes their tokens down with them.
 */
export async function principalFromToken(db: Db, secret: string, address: string | null): Promise<Principal | undefined> {
  if (!looksLikeToken(secret)) return undefined;
  const now = new Date();
  const [row] = await db
    .select({ token: s.apiTokens, user: s.users })
    .from(s.apiTokens)
    .innerJoin(s.users, eq(s.users.id, s.apiTokens.userId))
    .where(and(eq(s.apiTokens.secretHash, sha256(secret)), isNull(s.apiTokens.revokedAt), or(isNull(s.apiTokens.expiresAt), gt(s.apiTokens.expiresAt, now))));
  if (!row || row.user.disabled) return undefined;
  const { token, user } = row;
  const userZoneIds = user.allZones ? undefined : await zonesOf(db, s.userZones, user.id);
  const tokenZoneIds = token.allZones ? undefined : await zonesOf(db, s.tokenZones, token.id);
  const zoneIds = userZoneIds && tokenZoneIds ? new Set([...tokenZoneIds].filter((z) => userZoneIds.has(z))) : (tokenZoneIds ?? userZoneIds ?? new Set<number>());
  const stale = !token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > TOUCH_EVERY_MS || token.lastUsedAddress !== address;
  if (stale) {
    await db.update(s.apiTokens).set({ lastUsedAt: now, lastUsedAddress: address }).where(eq(s.apiTokens.id, token.id));
    // Token use lands in the audit trail once a minute per token (and whenever the address changes); each
    // mutation made with it is audited on its own with the token id.
    await writeAudit(db, { actor: user.username, actorUserId: user.id, tokenId: token.id, address, action: 'token.use', outcome: 'ok', objectType: 'api-token', objectId: String(token.id) });
  }
  return {
    kind: 'token',
    userId: user.id,
    username: user.username,
    role: token.role,
    permissions: intersect(permissionsOf(token.role), permissionsOf(user.role)),
    allZones: token.allZones && user.allZones,
    zoneIds,
    tokenId: token.id,
    sessionHash: null,
    expiresAt: token.expiresAt,
  };
}

export type Resolved = { principal: Principal; via: 'bearer' | 'cookie' | 'none'; problem?: string };

/** Resolves the caller of an HTTP request from `Authorization: Bearer` (preferred) or the session cookie. */
export async function resolvePrincipal(db: Db, headers: Headers): Promise<Resolved> {
  const address = clientAddress(headers);
  const authorization = headers.get('authorization');
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    const principal = match ? await principalFromToken(db, match[1]!, address) : undefined;
    if (principal) return { principal, via: 'bearer' };
    if (match) {
      // Counted, not one row each: anyone can send junk bearer headers (audit.ts, recordDenied).
      const presented = match[1]!;
      const tokenPrefix = looksLikeToken(presented) ? presented.slice(0, TOKEN_PREFIX.length + 6) : '(not a Plenum token)';
      recordDenied(db, { action: 'token.use', address, tokenPrefix, reason: 'invalid, expired or revoked token' });
    }
    return { principal: ANONYMOUS, via: 'bearer', problem: 'the API token is invalid, expired or revoked' };
  }
  const sessionId = cookieValue(headers.get('cookie'), SESSION_COOKIE);
  if (sessionId) {
    const principal = await principalFromSession(db, sessionId);
    if (principal) return { principal, via: 'cookie' };
    return { principal: ANONYMOUS, via: 'cookie', problem: 'your session has expired: sign in again' };
  }
  return { principal: ANONYMOUS, via: 'none' };
}

/** Expired sessions and old sign-in attempts are dropped now and then (they are not audit records). */
export async function pruneExpired(db: Db): Promise<void> {
  await db.delete(s.sessions).where(or(sql`${s.sessions.expiresAt} < now()`, sql`${s.sessions.lastSeenAt} < now() - make_interval(secs => ${SESSION_IDLE_MS / 1000})`));
  await db.delete(s.loginAttempts).where(sql`${s.loginAttempts.at} < now() - interval '1 day'`);
}
