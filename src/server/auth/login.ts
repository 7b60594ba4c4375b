import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import * as s from '../db/schema';
import { verifyPassword } from './password';
import { SESSION_ABSOLUTE_MS } from './principal';
import { newSessionId } from './secrets';

/**
 * Sign-in throttling (NIST SP 800-63B §5.2.2, OWASP Authentication Cheat Sheet), kept in PostgreSQL so every process
 * sees it, and counted under advisory locks so concurrent guesses are counted one after another:
 * - per (account, address): `freeFailures` failures, then each further attempt waits 30 s, 1 min, 2 min, … up to 1 h
 *   (exponential backoff); a successful sign-in resets it. A storm from one address slows only that address.
 * - per address, over all accounts: `perAddress` failures in `addressWindowMs` (password spraying).
 * - per account, from all addresses: past `perAccount` failures in `accountWindowMs` only addresses that have signed
 *   in to that account before may still try (a botnet cannot guess without limit; the owner keeps their way in).
 * Each attempt is counted as a failure before the password is checked and un-counted when it was right, so that two
 * concurrent guesses can never both pass a limit of one.
 */
export const LOGIN_LIMITS = {
  freeFailures: 5,
  backoffBaseMs: 30_000,
  backoffMaxMs: 60 * 60_000,
  pairWindowMs: 24 * 60 * 60_000,
  perAddress: 30,
  addressWindowMs: 15 * 60_000,
  perAccount: 100,
  accountWindowMs: 24 * 60 * 60_000,
} as const;

/** The wait after `failures` consecutive failures of one account from one address (0 while under the free count). */
export function backoffMs(failures: number): number {
  if (failures < LOGIN_LIMITS.freeFailures) return 0;
  return Math.min(LOGIN_LIMITS.backoffMaxMs, LOGIN_LIMITS.backoffBaseMs * 2 ** (failures - LOGIN_LIMITS.freeFailures));
}

export type LoginResult =
  | { ok: true; user: typeof s.users.$inferSelect; sessionId: string; expiresAt: Date }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'locked'; retryAfterMs: number };

// Lock classes for pg_advisory_xact_lock(class, key): any constants, the same in every process.
const ACCOUNT_LOCK = 7_042_001;
const ADDRESS_LOCK = 7_042_002;

type Counter = { failures: number; windowStart: Date; blockedUntil: Date | null; lastSuccessAt: Date | null };

async function lockAccountAndAddress(tx: Db, account: string, address: string): Promise<void> {
  // Always the account first, then the address: no two attempts wait on each other in a cycle.
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${ACCOUNT_LOCK}, hashtext(${account}))`);
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${ADDRESS_LOCK}, hashtext(${address}))`);
}

async function readCounter(tx: Db, scope: string, key: string, windowMs: number): Promise<Counter & { now: Date }> {
  const { rows } = await tx.execute<{ failures: number; window_start: Date | null; blocked_until: Date | null; last_success_at: Date | null; now: Date; expired: boolean }>(
    sql`SELECT t.failures, t.window_start, t.blocked_until, t.last_success_at, n.now, t.window_start < n.now - make_interval(secs => ${windowMs / 1000}) AS expired
          FROM (SELECT now() AS now) n LEFT JOIN login_throttle t ON t.scope = ${scope} AND t.key = ${key}`,
  );
  const row = rows[0]!;
  const now = new Date(row.now);
  const fresh = row.window_start !== null && !row.expired;
  return {
    now,
    failures: fresh ? row.failures : 0,
    windowStart: fresh ? new Date(row.window_start!) : now,
    blockedUntil: row.blocked_until ? new Date(row.blocked_until) : null,
    lastSuccessAt: row.last_success_at ? new Date(row.last_success_at) : null,
  };
}

async function writeCounter(tx: Db, scope: string, key: string, counter: Counter): Promise<void> {
  await tx
    .insert(s.loginThrottle)
    .values({ scope, key, ...counter })
    .onConflictDoUpdate({ target: [s.loginThrottle.scope, s.loginThrottle.key], set: { failures: counter.failures, windowStart: counter.windowStart, blockedUntil: counter.blockedUntil, lastSuccessAt: counter.lastSuccessAt } });
}

const pairKey = (account: string, address: string) => `${account}\n${address}`;

/** Decides under the locks whether this attempt may check a password, and if so counts it as a failure in advance. */
async function reserveAttempt(db: Db, account: string, address: string): Promise<{ allowed: true } | { allowed: false; retryAfterMs: number }> {
  return db.transaction(async (tx) => {
    await lockAccountAndAddress(tx, account, address);
    const pair = await readCounter(tx, 'account-address', pairKey(account, address), LOGIN_LIMITS.pairWindowMs);
    const perAddress = await readCounter(tx, 'address', address, LOGIN_LIMITS.addressWindowMs);
    const perAccount = await readCounter(tx, 'account', account, LOGIN_LIMITS.accountWindowMs);
    const now = pair.now.getTime();
    const waits: number[] = [];
    if (pair.blockedUntil && pair.blockedUntil.getTime() > now) waits.push(pair.blockedUntil.getTime() - now);
    if (perAddress.failures >= LOGIN_LIMITS.perAddress) waits.push(perAddress.windowStart.getTime() + LOGIN_LIMITS.addressWindowMs - now);
    if (perAccount.failures >= LOGIN_LIMITS.perAccount && !pair.lastSuccessAt) waits.push(perAccount.windowStart.getTime() + LOGIN_LIMITS.accountWindowMs - now);
    if (waits.length) return { allowed: false, retryAfterMs: Math.max(1000, ...waits) };
    const failures = pair.failures + 1;
    const wait = backoffMs(failures);
    await writeCounter(tx, 'account-address', pairKey(account, address), { ...pair, failures, blockedUntil: wait ? new Date(now + wait) : null });
    await writeCounter(tx, 'address', address, { ...perAddress, failures: perAddress.failures + 1 });
    await writeCounter(tx, 'account', account, { ...perAccount, failures: perAccount.failures + 1 });
    return { allowed: true };
  });
}

/** The password was right: the attempt counted in advance is taken back, and the account's failure counts end. */
async function recordSuccess(db: Db, account: string, address: string): Promise<void> {
  await db.transaction(async (tx) => {
    await lockAccountAndAddress(tx, account, address);
    const perAddress = await readCounter(tx, 'address', address, LOGIN_LIMITS.addressWindowMs);
    await writeCounter(tx, 'account-address', pairKey(account, address), { failures: 0, windowStart: perAddress.now, blockedUntil: null, lastSuccessAt: perAddress.now });
    await writeCounter(tx, 'address', address, { ...perAddress, failures: Math.max(0, perAddress.failures - 1) });
    await writeCounter(tx, 'account', account, { failures: 0, windowStart: perAddress.now, blockedUntil: null, lastSuccessAt: perAddress.now });
  });
}

/**
 * Checks a name and password. The same answer ("invalid") for an unknown name, a wrong password and a disabled
 * account, so the form never tells which accounts exist; a throttled attempt is refused without checking the
 * password. `throttleDb` must be outside any surrounding transaction: the counters stand even when the sign-in fails.
 */
export async function attemptLogin(
  db: Db,
  input: { username: string; password: string; address: string | null; userAgent: string | null },
  throttleDb: Db = db,
): Promise<LoginResult> {
  const usernameKey = input.username.trim().toLowerCase().slice(0, 200);
  const address = input.address ?? 'unknown';
  const gate = await reserveAttempt(throttleDb, usernameKey, address);
  if (!gate.allowed) return { ok: false, reason: 'locked', retryAfterMs: gate.retryAfterMs };

  const [user] = await db.select().from(s.users).where(sql`lower(${s.users.username}) = ${usernameKey}`);
  const passwordOk = await verifyPassword(input.password, user?.passwordHash);
  const ok = Boolean(user && passwordOk && !user.disabled);
  await throttleDb.insert(s.loginAttempts).values({ usernameKey, address, success: ok });
  if (!ok || !user) return { ok: false, reason: 'invalid' };
  await recordSuccess(throttleDb, usernameKey, address);

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
