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
const SECRET_KEY = /pass(word|phrase)?|secret|^token$|tokenSecret|authorization|cookie|session(Id)?$|hash$/i;
const MAX_STRING = 2000;
const MAX_ITEMS = 50;
const MAX_DEPTH = 6;

/** A copy that is safe and small enough to keep: secrets replaced, long strings and lists cut. */
export function redact(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (typeof value === 'string') {
    if (/plnm_[A-Za-z0-9_-]{20,}/.test(value)) return '[redacted]';
    return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}… (${value.length} characters)` : value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return value;
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
      out[key] = SECRET_KEY.test(key) ? '[redacted]' : redact(item, depth + 1);
    }
    return out;
  }
  return String(value);
}

export async function writeAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({
    actor: entry.actor.slice(0, 200),
    actorUserId: entry.actorUserId ?? null,
    tokenId: entry.tokenId ?? null,
    address: entry.address ?? null,
    action: entry.action.slice(0, 200),
    outcome: entry.outcome,
    objectType: entry.objectType ?? null,
    objectId: entry.objectId ?? null,
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
