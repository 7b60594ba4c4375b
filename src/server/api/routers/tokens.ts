import { z } from 'zod';
import { dbId } from '../inputs';
import { AccountError, createToken, listTokens, revokeToken } from '../../auth/accounts';
import { ROLE_PERMISSIONS, ROLES } from '../../auth/permissions';
import { fieldError } from '../errors';
import { assertInZone, isInZone, zoneCondition } from '../../auth/zones';
import * as s from '../../db/schema';
import { adminProcedure, type Context, currentAuditCall, readProcedure, router, TRPCError } from '../trpc';

const id = dbId;

function asFieldErrors(error: unknown): never {
  // The API takes the expiry as a number of days.
  if (error instanceof AccountError) throw fieldError(error.field === 'expiresAt' ? 'expiresInDays' : error.field, error.message);
  throw error;
}

/** A token is never wider than the grant of whoever creates it (a token cannot mint a wider one). */
function assertWithinCaller(ctx: Context, role: (typeof ROLES)[number], allZones: boolean, zoneIds: number[]): void {
  const { principal } = ctx;
  if (principal.kind === 'system') return;
  if (!ROLE_PERMISSIONS[role].every((p) => principal.permissions.has(p))) throw fieldError('role', `cannot exceed your own role (${principal.role})`);
  if (!principal.allZones && (allZones || zoneIds.some((z) => !principal.zoneIds.has(z)))) throw fieldError('zoneIds', 'cannot cover zones outside your own grant');
}

export const tokensRouter = router({
  /** The caller's own tokens (never the secrets). */
  mine: readProcedure.query(({ ctx }) => (ctx.principal.userId == null ? [] : listTokens(ctx.db, ctx.principal.userId))),

  /** Every token (admins). */
  list: adminProcedure.query(async ({ ctx }) => {
    const tokens = await listTokens(ctx.db);
    const within = zoneCondition(ctx, 'user', s.users.id);
    if (!within) return tokens;
    // A zone-scoped admin sees the tokens of the users within its zones (and its own).
    const ids = new Set((await ctx.db.select({ id: s.users.id }).from(s.users).where(within)).map((u) => u.id));
    return tokens.filter((t) => ids.has(t.userId) || t.userId === ctx.principal.userId);
  }),

  /**
   * Creates a token for the caller (or, for admins, for any user), scoped to a role no wider than the caller's and
   * the user's, to all or named zones, with an optional expiry. The secret is in this answer only.
   */
  create: readProcedure
    .meta({ example: { name: 'example', role: 'viewer', allZones: true } })
    .input(
      z.object({
        name: z.string().trim().min(1, 'is required').max(64, 'is at most 64 characters'),
        role: z.enum(ROLES),
        allZones: z.boolean().default(true),
        zoneIds: z.array(id).max(100).default([]),
        expiresInDays: z.number().int().min(1).max(3650).nullish(),
        userId: id.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const self = ctx.principal.userId;
      const userId = input.userId ?? self;
      if (userId == null) throw new TRPCError({ code: 'FORBIDDEN', message: 'only a user can own a token: pass userId' });
      if (userId !== self && !ctx.principal.permissions.has('admin')) throw new TRPCError({ code: 'FORBIDDEN', message: 'only admins create tokens for other users' });
      if (userId !== self) await assertInZone(ctx, 'user', userId);
      assertWithinCaller(ctx, input.role, input.allZones, input.zoneIds);
      const expiresAt = input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null;
      // A token minting a token: the new one ends no later than the one in use.
      const notAfter = ctx.principal.kind === 'token' ? (ctx.principal.expiresAt ?? null) : null;
      const created = await createToken(ctx.db, { userId, name: input.name, role: input.role, allZones: input.allZones, zoneIds: input.zoneIds, expiresAt, createdBy: self, notAfter }).catch(asFieldErrors);
      const call = currentAuditCall();
      if (call) Object.assign(call, { objectType: 'api-token', objectId: String(created.token.id), after: created.token });
      return created;
    }),

  /** Revokes one of the caller's tokens (admins: anyone's). Takes effect on the next request. */
  revoke: readProcedure
    .meta({ example: { id: 999_999 } })
    .input(z.object({ id }))
    .mutation(async ({ ctx, input }) => {
      // Admins revoke anyone's token (a zone-scoped admin: those of users within its zones); others only their own.
      const onlyUser = ctx.principal.permissions.has('admin') && (await isInZone(ctx, 'token', input.id)) ? undefined : (ctx.principal.userId ?? -1);
      const revoked = await revokeToken(ctx.db, input.id, onlyUser);
      if (!revoked) throw fieldError('id', `no active token ${input.id} of yours`);
      const call = currentAuditCall();
      if (call) Object.assign(call, { objectType: 'api-token', objectId: String(input.id), after: revoked });
      return revoked;
    }),
});
