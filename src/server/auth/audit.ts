import { AsyncLocalStorage } from 'node:async_hooks';
import type { Db } from '../db/client';
import { auditLog } from '../db/schema/auth';

export type AuditOutcome = 'ok' | 'denied' | 'error';

export type AuditEntry = {
  actor: string;
  actorUserId?: number | null;
  tokenId?: number | null;
  address?: string | null;
  action: string;
  outcome: AuditOutcome;
  objectType?: string | null;
  objectId?: string | null;
  before?: unknown;
  after?: unknown;
  detail?: unknown;
};

/** Keys whose values never reach the audit trail (or any log): passwords, secrets, tokens, cookies. */
const SECRET_KEY = /pass(word|phrase)?|secret|^token$|tokenSecret|authorization|cookie|session(Id)?$|hash$|^credentials$|^community$|^(auth|priv)Key$/i;
const MAX_STRING = 2000;
const MAX_ITEMS = 50;
const MAX_DEPTH = 6;

// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what PostgreSQL refuses.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Text PostgreSQL can store in text and jsonb: NUL (refused by both) and lone UTF-16 surrogates (refused by jsonb)
 * become U+FFFD, so no input, however hostile, can make the audit insert fail.
 */
export function storableText(text: string): string {
  return text.replace(UNSTORABLE, '\uFFFD');
}

/** A copy that is safe and small enough to keep: secrets replaced, long strings and lists cut, unstorable characters replaced. */
export function redact(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (typeof value === 'string') {
    if (/plnm_[A-Za-z0-9_-]{20,}/.test(value)) return '[redacted]';
    // Cut first, then clean: a cut can split a surrogate pair.
    return storableText(value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}… (${value.length} characters)` : value);
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'boolean') return value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((item) => redact(item, depth + 1));
    return value.length > MAX_ITEMS ? [...items, `… ${value.length - MAX_ITEMS} more`] : items;
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>).slice(0, 200)) {
      out[storableText(key.slice(0, 200))] = SECRET_KEY.test(key) ? '[redacted]' : redact(item, depth + 1);
    }
    return out;
  }
  return String(value);
}

const column = (text: string | null | undefined, max = 200) => (text == null ? null : storableText(text.slice(0, max)));

/** Appends one audit row; every text is made storable, so only a database failure can make it fail. */
export async function writeAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({
    actor: column(entry.actor) ?? '',
    actorUserId: entry.actorUserId ?? null,
    tokenId: entry.tokenId ?? null,
    address: column(entry.address, 64),
    action: column(entry.action) ?? '',
    outcome: entry.outcome,
    objectType: column(entry.objectType),
    objectId: column(entry.objectId),
    before: entry.before === undefined ? null : redact(entry.before),
    after: entry.after === undefined ? null : redact(entry.after),
    detail: entry.detail === undefined ? null : redact(entry.detail),
  });
}

/** One object change, as the change log records it. */
export type CollectedChange = { action: string; objectType: string; objectId: string; before: unknown; after: unknown };

/**
 * What one tRPC mutation call gathers for its audit row: the changes recordChange wrote (in its transaction) and
 * anything the procedure adds (the name tried at a failed sign-in, the object it acted on).
 */
export type AuditCall = {
  changes: CollectedChange[];
  changeCount: number;
  actor?: string;
  actorUserId?: number | null;
  objectType?: string;
  objectId?: string;
  before?: unknown;
  after?: unknown;
  detail?: Record<string, unknown>;
};

const callStore = new AsyncLocalStorage<AuditCall>();

export function newAuditCall(): AuditCall {
  return { changes: [], changeCount: 0 };
}

export function runWithAuditCall<T>(call: AuditCall, fn: () => Promise<T>): Promise<T> {
  return callStore.run(call, fn);
}

/** The audit call of the current mutation, if one is running. */
export function currentAuditCall(): AuditCall | undefined {
  return callStore.getStore();
}

const KEEP_CHANGES = 20;

/** Called by recordChange: the audit row of the current call keeps the first changes in full and counts the rest. */
export function collectChange(change: CollectedChange): void {
  const call = callStore.getStore();
  if (!call) return;
  call.changeCount++;
  if (call.changes.length < KEEP_CHANGES) call.changes.push(change);
}

/**
 * Denied events anyone can cause without a credential (a junk or revoked bearer token, an anonymous call refused) are
 * counted in memory and written as one row per (action, token prefix, address) per minute with the count, so hostile
 * traffic cannot flood the append-only trail. Each process keeps at most DENIED_KEYS_PER_MINUTE keys a minute; further
 * keys are summed into one overflow row. Rows are written once their minute has closed (checked every 10 s).
 */
export type DeniedEvent = { action: string; address: string | null; tokenPrefix?: string | null; reason: string };

type DeniedCount = { event: DeniedEvent; minute: number; count: number; firstAt: Date; lastAt: Date };

export const DENIED_KEYS_PER_MINUTE = 1000;
const MINUTE_MS = 60_000;
const OVERFLOW = '(more distinct keys than kept per minute)';
const deniedCounts = new Map<Db, Map<string, DeniedCount>>();
let flushTimer: ReturnType<typeof setInterval> | undefined;

export function recordDenied(db: Db, event: DeniedEvent, now = new Date()): void {
  const minute = Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS;
  const counts = deniedCounts.get(db) ?? new Map<string, DeniedCount>();
  deniedCounts.set(db, counts);
  let key = JSON.stringify([minute, event.action, event.tokenPrefix ?? null, event.address]);
  if (!counts.has(key) && [...counts.values()].filter((c) => c.minute === minute).length >= DENIED_KEYS_PER_MINUTE) {
    key = JSON.stringify([minute, OVERFLOW]);
    event = { action: event.action, address: null, tokenPrefix: OVERFLOW, reason: 'several' };
  }
  const existing = counts.get(key);
  if (existing) {
    existing.count++;
    existing.lastAt = now;
  } else counts.set(key, { event, minute, count: 1, firstAt: now, lastAt: now });
  if (!flushTimer) {
    flushTimer = setInterval(() => void flushDenied().catch(() => {}), 10_000);
    flushTimer.unref();
  }
}

/** Writes the counted denials: those of closed minutes, or all of them (`all`: tests, shutdown). */
export async function flushDenied(options: { all?: boolean; now?: Date } = {}): Promise<number> {
  const currentMinute = Math.floor((options.now ?? new Date()).getTime() / MINUTE_MS) * MINUTE_MS;
  let written = 0;
  for (const [db, counts] of deniedCounts) {
    for (const [key, c] of counts) {
      if (!options.all && c.minute >= currentMinute) continue;
      counts.delete(key);
      try {
        await writeAudit(db, {
          actor: 'anonymous',
          address: c.event.address,
          action: c.event.action,
          outcome: 'denied',
          detail: { count: c.count, minute: new Date(c.minute).toISOString(), firstAt: c.firstAt.toISOString(), lastAt: c.lastAt.toISOString(), tokenPrefix: c.event.tokenPrefix ?? null, reason: c.event.reason },
        });
        written++;
      } catch (error) {
        console.error(`[plenum] could not write ${c.count} counted denials of ${c.event.action}: ${(error as { code?: string }).code ?? 'error'}`);
      }
    }
    if (counts.size === 0) deniedCounts.delete(db);
  }
  return written;
}
