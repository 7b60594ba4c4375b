import { and, asc, count, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import * as s from '../db/schema';
import { hashPassword, passwordProblem } from './password';
import { type Role, roleAtMost } from './permissions';
import { newTokenSecret } from './secrets';

export class AccountError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export async function userCount(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(s.users);
  return row?.n ?? 0;
}

/** Zone ids for names (case-insensitive), refusing unknown names. */
export async function zoneIdsByName(db: Db, names: string[]): Promise<number[]> {
  if (names.length === 0) return [];
  const zones = await db.select({ id: s.securityZones.id, name: s.securityZones.name }).from(s.securityZones);
  return names.map((name) => {
    const found = zones.filter((z) => z.name.toLowerCase() === name.trim().toLowerCase());
    if (found.length === 0) throw new AccountError('zones', `no security zone named "${name}" (known: ${zones.map((z) => z.name).join(', ') || 'none'})`);
    return found[0]!.id;
  });
}

async function checkZoneIds(db: Db, zoneIds: number[]): Promise<void> {
  if (zoneIds.length === 0) return;
  const found = await db.select({ id: s.securityZones.id }).from(s.securityZones).where(inArray(s.securityZones.id, zoneIds));
  const known = new Set(found.map((z) => z.id));
  const missing = zoneIds.filter((id) => !known.has(id));
  if (missing.length) throw new AccountError('zoneIds', `no security zone with id ${missing.join(', ')}`);
}

export type NewUser = { username: string; displayName?: string; role: Role; password?: string; allZones: boolean; zoneIds: number[] };

export async function createUser(db: Db, input: NewUser) {
  if (!USERNAME_PATTERN.test(input.username)) throw new AccountError('username', 'may contain letters, digits, ".", "_", "@" and "-" only (at most 64)');
  if (input.password !== undefined) {
    const problem = passwordProblem(input.password);
    if (problem) throw new AccountError('password', problem);
  }
  if (!input.allZones && input.zoneIds.length === 0) throw new AccountError('zoneIds', 'name at least one zone, or grant all zones');
  await checkZoneIds(db, input.zoneIds);
  const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
  return db.transaction(async (tx) => {
    const [existing] = await tx.select({ id: s.users.id }).from(s.users).where(sql`lower(${s.users.username}) = lower(${input.username})`);
    if (existing) throw new AccountError('username', 'is already taken');
    const [user] = await tx
      .insert(s.users)
      .values({ username: input.username, displayName: input.displayName ?? '', role: input.role, allZones: input.allZones, passwordHash })
      .returning();
    if (!input.allZones) await tx.insert(s.userZones).values(input.zoneIds.map((zoneId) => ({ userId: user!.id, zoneId })));
    return user!;
  });
}

/** The first admin, only while no user exists (the /setup page and PLENUM_ADMIN_USER); under a lock so two cannot race. */
export async function createFirstAdmin(db: Db, input: { username: string; password: string }) {
  const problem = passwordProblem(input.password);
  if (problem) throw new AccountError('password', problem);
  if (!USERNAME_PATTERN.test(input.username)) throw new AccountError('username', 'may contain letters, digits, ".", "_", "@" and "-" only (at most 64)');
  const passwordHash = await hashPassword(input.password);
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('plenum:first-admin'))`);
    const [row] = await tx.select({ n: count() }).from(s.users);
    if ((row?.n ?? 0) > 0) return undefined;
    const [user] = await tx.insert(s.users).values({ username: input.username, role: 'admin', allZones: true, passwordHash }).returning();
    return user!;
  });
}

/**
 * Sets a password (an admin's reset or the user's own change). Whoever knew the old one may have made sessions and
 * tokens with it: all of the user's sessions end and all their tokens are revoked, in the same transaction.
 */
export async function setPassword(db: Db, userId: number, password: string): Promise<{ sessionsEnded: number; tokensRevoked: number }> {
  const problem = passwordProblem(password);
  if (problem) throw new AccountError('password', problem);
  const passwordHash = await hashPassword(password);
  return db.transaction(async (tx) => {
    await tx.update(s.users).set({ passwordHash, updatedAt: new Date() }).where(eq(s.users.id, userId));
    const sessions = await tx.delete(s.sessions).where(eq(s.sessions.userId, userId)).returning({ id: s.sessions.idHash });
    const tokens = await tx
      .update(s.apiTokens)
      .set({ revokedAt: new Date() })
      .where(and(eq(s.apiTokens.userId, userId), sql`${s.apiTokens.revokedAt} IS NULL`))
      .returning({ id: s.apiTokens.id });
    return { sessionsEnded: sessions.length, tokensRevoked: tokens.length };
  });
}

/**
 * After a user's role or zones changed: revokes their tokens that the new grant no longer covers (a wider role, all
 * zones, or a zone the user lost). Tokens are already cut down to the user's grant at each use; revoking them keeps a
 * later promotion from bringing them back. Sessions need nothing: they read the user's grant on every request.
 */
export async function revokeTokensBeyondGrant(db: Db, userId: number): Promise<number[]> {
  const [user] = await db.select().from(s.users).where(eq(s.users.id, userId));
  if (!user) return [];
  const tokens = await db.select().from(s.apiTokens).where(and(eq(s.apiTokens.userId, userId), sql`${s.apiTokens.revokedAt} IS NULL`));
  const userZoneIds = new Set((await db.select({ zoneId: s.userZones.zoneId }).from(s.userZones).where(eq(s.userZones.userId, userId))).map((z) => z.zoneId));
  const beyond: number[] = [];
  for (const token of tokens) {
    let wider = !roleAtMost(token.role, user.role) || (token.allZones && !user.allZones);
    if (!wider && !token.allZones && !user.allZones) {
      const tokenZones = await db.select({ zoneId: s.tokenZones.zoneId }).from(s.tokenZones).where(eq(s.tokenZones.tokenId, token.id));
      wider = tokenZones.some((z) => !userZoneIds.has(z.zoneId));
    }
    if (wider) beyond.push(token.id);
  }
  if (beyond.length) await db.update(s.apiTokens).set({ revokedAt: new Date() }).where(inArray(s.apiTokens.id, beyond));
  return beyond;
}

// Lock class for pg_advisory_xact_lock: every change that can shrink the set of all-zones admins takes it first.
const ADMIN_SET_LOCK = 7_042_010;

/**
 * Serialises changes to the set of enabled all-zones admins until the transaction ends, so two concurrent demotions
 * cannot each count the other as the remaining admin.
 */
export async function lockAdminSet(db: Db): Promise<void> {
  await db.execute(sql`SELECT pg_advisory_xact_lock(${ADMIN_SET_LOCK})`);
}

/** Users without their password hashes, each with zone names. */
export async function listUsers(db: Db) {
  const rows = await db
    .select({ id: s.users.id, username: s.users.username, displayName: s.users.displayName, role: s.users.role, allZones: s.users.allZones, disabled: s.users.disabled, lastLoginAt: s.users.lastLoginAt, createdAt: s.users.createdAt })
    .from(s.users)
    .orderBy(asc(s.users.username));
  const zones = await db.select({ userId: s.userZones.userId, zoneId: s.userZones.zoneId, name: s.securityZones.name }).from(s.userZones).innerJoin(s.securityZones, eq(s.securityZones.id, s.userZones.zoneId));
  return rows.map((user) => ({ ...user, zones: zones.filter((z) => z.userId === user.id).map((z) => ({ id: z.zoneId, name: z.name })) }));
}

export type NewToken = {
  userId: number;
  name: string;
  role: Role;
  allZones: boolean;
  zoneIds: number[];
  expiresAt: Date | null;
  createdBy: number | null;
  /** The expiry of the credential creating this token (a token minting a token): the new one may not outlive it. */
  notAfter?: Date | null;
};

/** Creates a token no wider than its user's grant. The secret is returned here once and never stored. */
export async function createToken(db: Db, input: NewToken) {
  const [user] = await db.select().from(s.users).where(eq(s.users.id, input.userId));
  if (!user || user.disabled) throw new AccountError('userId', 'no such active user');
  if (!roleAtMost(input.role, user.role)) throw new AccountError('role', `cannot exceed the user's role (${user.role})`);
  if (!input.allZones && input.zoneIds.length === 0) throw new AccountError('zoneIds', 'name at least one zone, or all zones');
  if (input.allZones && !user.allZones) throw new AccountError('zoneIds', "the user's grant covers named zones only: name them");
  await checkZoneIds(db, input.zoneIds);
  if (!input.allZones && !user.allZones) {
    const userZoneIds = new Set((await db.select({ zoneId: s.userZones.zoneId }).from(s.userZones).where(eq(s.userZones.userId, user.id))).map((z) => z.zoneId));
    const outside = input.zoneIds.filter((z) => !userZoneIds.has(z));
    if (outside.length) throw new AccountError('zoneIds', "includes zones outside the user's grant");
  }
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) throw new AccountError('expiresAt', 'must be in the future');
  if (input.notAfter && (!input.expiresAt || input.expiresAt > input.notAfter)) {
    throw new AccountError('expiresAt', `cannot outlive the token creating it: it must expire by ${input.notAfter.toISOString()}`);
  }
  const { secret, hash, prefix } = newTokenSecret();
  const token = await db.transaction(async (tx) => {
    const [token] = await tx
      .insert(s.apiTokens)
      .values({ userId: user.id, name: input.name, prefix, secretHash: hash, role: input.role, allZones: input.allZones, expiresAt: input.expiresAt, createdBy: input.createdBy })
      .returning();
    if (!input.allZones) await tx.insert(s.tokenZones).values(input.zoneIds.map((zoneId) => ({ tokenId: token!.id, zoneId })));
    return token!;
  });
  const { secretHash: _hash, ...visible } = token;
  return { token: visible, secret };
}

/** Tokens without their hashes; all of them, or one user's. */
export async function listTokens(db: Db, userId?: number) {
  const rows = await db
    .select({
      id: s.apiTokens.id,
      name: s.apiTokens.name,
      prefix: s.apiTokens.prefix,
      userId: s.apiTokens.userId,
      username: s.users.username,
      role: s.apiTokens.role,
      allZones: s.apiTokens.allZones,
      expiresAt: s.apiTokens.expiresAt,
      revokedAt: s.apiTokens.revokedAt,
      lastUsedAt: s.apiTokens.lastUsedAt,
      lastUsedAddress: s.apiTokens.lastUsedAddress,
      createdAt: s.apiTokens.createdAt,
    })
    .from(s.apiTokens)
    .innerJoin(s.users, eq(s.users.id, s.apiTokens.userId))
    .where(userId === undefined ? undefined : eq(s.apiTokens.userId, userId))
    .orderBy(asc(s.apiTokens.id));
  const zones = await db.select({ tokenId: s.tokenZones.tokenId, zoneId: s.tokenZones.zoneId, name: s.securityZones.name }).from(s.tokenZones).innerJoin(s.securityZones, eq(s.securityZones.id, s.tokenZones.zoneId));
  return rows.map((token) => ({ ...token, zones: zones.filter((z) => z.tokenId === token.id).map((z) => ({ id: z.zoneId, name: z.name })) }));
}

export async function revokeToken(db: Db, tokenId: number, onlyUserId?: number) {
  const [token] = await db
    .update(s.apiTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(s.apiTokens.id, tokenId), onlyUserId === undefined ? undefined : eq(s.apiTokens.userId, onlyUserId), sql`${s.apiTokens.revokedAt} IS NULL`))
    .returning({ id: s.apiTokens.id, name: s.apiTokens.name, userId: s.apiTokens.userId, revokedAt: s.apiTokens.revokedAt });
  return token;
}

/** `30d`, `12h`, `90m`, `2w` → milliseconds. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,5})\s*([mhdw])$/.exec(text.trim());
  if (!match) return undefined;
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[match[2] as 'm' | 'h' | 'd' | 'w'];
  return Number(match[1]) * unit;
}
