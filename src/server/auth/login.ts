import { and, count, eq, gt, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import * as s from '../db/schema';
import { verifyPassword } from './password';
import { SESSION_ABSOLUTE_MS } from './principal';
import { newSessionId } from './secrets';

/** Failed sign-ins counted over this window, per account name and per address; stored in PostgreSQL so every process sees them. */
export const LOGIN_LIMITS = { windowMs: 15 * 60 * 1000, perAccount: 5, perAddress: 30 } as const;

export type LoginResult =
  | { ok: true; user: typeof s.users.$inferSelect; sessionId: string; expiresAt: Date }
  | { ok: false; reason: 'invalid' | 'locked' };

async function failuresSince(db: Db, column: 'usernameKey' | 'address', value: string, since: Date): Promise<number> {
  const target = column === 'usernameKey' ? s.loginAttempts.usernameKey : s.loginAttempts.address;
  const [row] = await db
    .select({ n: count() })
    .from(s.loginAttempts)
    .where(and(eq(target, value), gt(s.loginAttempts.at, since), eq(s.loginAttempts.success, false)));
  return row?.n ?? 0;
}

/**
 * Checks a name and password. The same answer ("invalid") for an unknown name, a wrong password and a disabled
 * account, so the form never tells which accounts exist; a locked name or address is refused without checking the
 * password (and the refusal is not counted, so the lock lifts a window after the last counted failure).
 */
export async function attemptLogin(db: Db, input: { username: string; password: string; address: string | null; userAgent: string | null }): Promise<LoginResult> {
  const usernameKey = input.username.trim().toLowerCase().slice(0, 200);
  const address = input.address ?? 'unknown';
  const windowStart = new Date(Date.now() - LOGIN_LIMITS.windowMs);
  const [lastSuccess] = await db
    .select({ at: sql<Date>`max(${s.loginAttempts.at})` })
    .from(s.loginAttempts)
    .where(and(eq(s.loginAttempts.usernameKey, usernameKey), eq(s.loginAttempts.success, true)));
  const accountSince = lastSuccess?.at && new Date(lastSuccess.at) > windowStart ? new Date(lastSuccess.at) : windowStart;
  const [accountFailures, addressFailures] = await Promise.all([
    failuresSince(db, 'usernameKey', usernameKey, accountSince),
    failuresSince(db, 'address', address, windowStart),
  ]);
  if (accountFailures >= LOGIN_LIMITS.perAccount || addressFailures >= LOGIN_LIMITS.perAddress) return { ok: false, reason: 'locked' };

  const [user] = await db.select().from(s.users).where(sql`lower(${s.users.username}) = ${usernameKey}`);
  const passwordOk = await verifyPassword(input.password, user?.passwordHash);
  const ok = Boolean(user && passwordOk && !user.disabled);
  await db.insert(s.loginAttempts).values({ usernameKey, address, success: ok });
  if (!ok || !user) return { ok: false, reason: 'invalid' };

  const session = newSessionId();
  const expiresAt = new Date(Date.now() + SESSION_ABSOLUTE_MS);
  await db.insert(s.sessions).values({ idHash: session.hash, userId: user.id, expiresAt, address: input.address, userAgent: input.userAgent?.slice(0, 300) ?? null });
  await db.update(s.users).set({ lastLoginAt: new Date() }).where(eq(s.users.id, user.id));
  return { ok: true, user, sessionId: session.id, expiresAt };
}

export async function endSession(db: Db, sessionHash: string): Promise<void> {
  await db.delete(s.sessions).where(eq(s.sessions.idHash, sessionHash));
}

/** Builds the Set-Cookie value: httpOnly, SameSite=Lax, Secure over HTTPS, Path=/. */
export function sessionCookie(value: string, options: { secure: boolean; maxAgeSeconds: number }): string {
  return [
    `plenum_session=${value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`,
    options.secure ? 'Secure' : '',
  ]
    .filter(Boolean)
    .join('; ');
}
