import { collectChange } from '../auth/audit';
import type { Db } from '../db/client';
import { changeLog } from '../db/schema';

export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type ObjectType = 'site' | 'hall' | 'row' | 'rack' | 'device' | 'device-type' | 'security-zone' | 'power-node' | 'cooling-unit' | 'inventory';

/** Dates become ISO strings so before/after compare cleanly in the log. */
function snapshot(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

/**
 * Records one change in the same transaction as the change itself: both land or neither does. `actor` is the
 * caller's name (ctx.actor: the user, with the token id when a token was used). The change also goes to the audit
 * row of the tRPC mutation running it (see auditMutations in src/server/api/trpc.ts), so the per-object history and
 * the security audit trail are fed from this one place.
 */
export async function recordChange(
  tx: Tx,
  change: { actor: string; action: 'create' | 'update' | 'delete'; objectType: ObjectType; objectId: string | number; before?: unknown; after?: unknown },
): Promise<void> {
  const before = snapshot(change.before);
  const after = snapshot(change.after);
  await tx.insert(changeLog).values({ actor: change.actor, action: change.action, objectType: change.objectType, objectId: String(change.objectId), before, after });
  collectChange({ action: change.action, objectType: change.objectType, objectId: String(change.objectId), before, after });
}
