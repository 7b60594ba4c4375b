import { and, count, eq, ne } from 'drizzle-orm';
import { z } from 'zod';
import { dbId } from '../inputs';
import { AccountError, createUser, listUsers, lockAdminSet, revokeTokensBeyondGrant, setPassword } from '../../auth/accounts';
import { PASSWORD_MAX_LENGTH } from '../../auth/password';
import { ROLES } from '../../auth/permissions';
import * as s from '../../db/schema';
import { fieldError } from '../errors';
import { assertGrantWithin, assertInZone, zoneCondition } from '../../auth/zones';
import { adminProcedure, currentAuditCall, router } from '../trpc';

const id = dbId;
const zoneIds = z.array(id).max(100).default([]);

function asFieldErrors(error: unknown): never {
  if (error instanceof AccountError) throw fieldError(error.field, error.message);
  throw error;
}

function visible(user: typeof s.users.$inferSelect) {
  const { passwordHash: _hash, ...rest } = user;
  return rest;
}

export const usersRouter = router({
  /** Every user; for a zone-scoped admin, only the users whose grant lies within its own. */
  list: adminProcedure.query(async ({ ctx }) => {
    const users = await listUsers(ctx.db);
    const within = zoneCondition(ctx, 'user', s.users.id);
    if (!within) return users;
    const ids = new Set((await ctx.db.select({ id: s.users.id }).from(s.users).where(within)).map((u) => u.id));
    return users.filter((u) => ids.has(u.id));
  }),

  create: adminProcedure
    .meta({ example: { username: 'example-user', role: 'viewer', password: 'short', allZones: true } })
    .input(
      z.object({
        username: z.string().trim().min(1, 'is required').max(64, 'is at most 64 characters'),
        displayName: z.string().trim().max(100).default(''),
        role: z.enum(ROLES),
        password: z.string().max(PASSWORD_MAX_LENGTH),
        allZones: z.boolean().default(true),
        zoneIds,
      }),
    )
    .mutation(async ({ ctx, input }) => {
      // A zone-scoped admin creates users within its own zones only, never all-zones ones.
      assertGrantWithin(ctx, input);
      const user = await createUser(ctx.db, input).catch(asFieldErrors);
      const call = currentAuditCall();
      if (call) Object.assign(call, { objectType: 'user', objectId: String(user.id), after: { ...visible(user), zoneIds: input.zoneIds } });
      return visible(user);
    }),

  /** Role, zones, display name, disabled. The last enabled all-zones admin cannot be demoted or disabled. */
  update: adminProcedure
    .meta({ example: { id: 1, changes: { displayName: 'Example' } } })
    .input(
      z.object({
        id,
        changes: z.object({
          displayName: z.string().trim().max(100).optional(),
          role: z.enum(ROLES).optional(),
          allZones: z.boolean().optional(),
          zoneIds: z.array(id).max(100).optional(),
          disabled: z.boolean().optional(),
        }),
      }),
    )
    .mutation(async ({ ctx, input }) =>
      ctx.db.transaction(async (tx) => {
        // Held until the mutation commits: concurrent demotions queue here and each sees the other's result.
        await lockAdminSet(tx);
        const [before] = await tx.select().from(s.users).where(eq(s.users.id, input.id)).for('update');
        if (!before) throw fieldError('id', `no user with id ${input.id}`);
        await assertInZone({ ...ctx, db: tx }, 'user', input.id);
        const { zoneIds: newZones, ...changes } = input.changes;
        const after = { ...before, ...changes };
        // Nobody leaves with a grant wider than the caller's own (its own grant included).
        assertGrantWithin(ctx, { allZones: after.allZones, zoneIds: newZones ?? [] });
        const wasAdmin = before.role === 'admin' && before.allZones && !before.disabled;
        const staysAdmin = after.role === 'admin' && after.allZones && !after.disabled;
        if (wasAdmin && !staysAdmin) {
          const [others] = await tx
            .select({ n: count() })
            .from(s.users)
            .where(and(ne(s.users.id, before.id), eq(s.users.role, 'admin'), eq(s.users.allZones, true), eq(s.users.disabled, false)));
          if ((others?.n ?? 0) === 0) throw fieldError('role', 'this is the last admin for all zones: make another admin first');
        }
        if (!after.allZones && (newZones ?? []).length === 0) {
          const existing = await tx.select().from(s.userZones).where(eq(s.userZones.userId, before.id));
          if (newZones !== undefined || existing.length === 0) throw fieldError('zoneIds', 'name at least one zone, or grant all zones');
        }
        const [updated] = await tx.update(s.users).set({ ...changes, updatedAt: new Date() }).where(eq(s.users.id, input.id)).returning();
        if (newZones !== undefined || after.allZones) {
          await tx.delete(s.userZones).where(eq(s.userZones.userId, input.id));
          if (!after.allZones && newZones?.length) await tx.insert(s.userZones).values(newZones.map((zoneId) => ({ userId: input.id, zoneId })));
        }
        // Disabling ends the user's sessions at once (tokens stop working through the disabled check).
        if (changes.disabled) await tx.delete(s.sessions).where(eq(s.sessions.userId, input.id));
        // A narrower grant revokes the tokens it no longer covers (sessions read the grant on every request).
        const revokedTokenIds = await revokeTokensBeyondGrant(tx, input.id);
        const call = currentAuditCall();
        if (call) Object.assign(call, { objectType: 'user', objectId: String(input.id), before: visible(before), after: { ...visible(updated!), ...(newZones ? { zoneIds: newZones } : {}) }, detail: { revokedTokenIds } });
        return visible(updated!);
      }),
    ),

  setPassword: adminProcedure
    .meta({ example: { id: 1, password: 'short' } })
    .input(z.object({ id, password: z.string().max(PASSWORD_MAX_LENGTH) }))
    .mutation(async ({ ctx, input }) => {
      const [user] = await ctx.db.select({ id: s.users.id }).from(s.users).where(eq(s.users.id, input.id));
      if (!user) throw fieldError('id', `no user with id ${input.id}`);
      // A zone-scoped admin resets passwords only of users within its zones (never of an all-zones admin).
      await assertInZone(ctx, 'user', input.id);
      const ended = await setPassword(ctx.db, input.id, input.password).catch(asFieldErrors);
      const call = currentAuditCall();
      if (call) Object.assign(call, { objectType: 'user', objectId: String(input.id), detail: ended });
      return { id: input.id };
    }),
});
