import { eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { AccountError, createFirstAdmin, setPassword, userCount } from '../../auth/accounts';
import { attemptLogin, endSession, sessionCookie } from '../../auth/login';
import { PASSWORD_MAX_LENGTH, verifyPassword } from '../../auth/password';
import { ROLE_DESCRIPTIONS } from '../../auth/permissions';
import { SESSION_ABSOLUTE_MS } from '../../auth/principal';
import * as s from '../../db/schema';
import { fieldError } from '../errors';
import { anonymousProcedure, type Context, currentAuditCall, readProcedure, router, TRPCError } from '../trpc';

const credentials = z.object({
  username: z.string().trim().min(1, 'is required').max(64, 'is at most 64 characters'),
  password: z.string().min(1, 'is required').max(PASSWORD_MAX_LENGTH, `is at most ${PASSWORD_MAX_LENGTH} characters`),
});

function setSessionCookie(ctx: Context, sessionId: string): void {
  ctx.resHeaders?.append('set-cookie', sessionCookie(sessionId, { secure: ctx.transport.secure, maxAgeSeconds: SESSION_ABSOLUTE_MS / 1000 }));
}

function asFieldErrors(error: unknown): never {
  if (error instanceof AccountError) throw fieldError(error.field, error.message);
  throw error;
}

async function signIn(ctx: Context, input: z.infer<typeof credentials>) {
  const call = currentAuditCall();
  if (call) call.actor = input.username;
  // The throttling counters live outside this mutation's transaction: a failed sign-in rolls back, its count stays.
  const result = await attemptLogin(ctx.db, { username: input.username, password: input.password, address: ctx.address, userAgent: ctx.userAgent }, ctx.independent.db);
  if (!result.ok) {
    if (call) call.actorUserId = null;
    if (result.reason === 'locked') {
      const seconds = Math.ceil(result.retryAfterMs / 1000);
      ctx.resHeaders?.set('retry-after', String(seconds));
      const wait = seconds < 120 ? `${seconds} seconds` : `${Math.ceil(seconds / 60)} minutes`;
      throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: `too many failed sign-ins: try again in ${wait}` });
    }
    // One message for an unknown name, a wrong password and a disabled account: no account enumeration.
    throw new TRPCError({ code: 'UNAUTHORIZED', message: 'invalid username or password' });
  }
  if (call) {
    call.actorUserId = result.user.id;
    call.objectType = 'user';
    call.objectId = String(result.user.id);
  }
  setSessionCookie(ctx, result.sessionId);
  return { username: result.user.username, role: result.user.role };
}

export const authRouter = router({
  /** Whether the one-time set-up (first admin) is still open. */
  status: anonymousProcedure.query(async ({ ctx }) => ({ setupRequired: (await userCount(ctx.db)) === 0 })),

  /** The signed-in caller, or null. */
  me: anonymousProcedure.query(async ({ ctx }) => {
    const { principal } = ctx;
    if (principal.kind === 'anonymous') return null;
    const zoneIds = [...principal.zoneIds];
    const zones = zoneIds.length ? await ctx.db.select({ id: s.securityZones.id, name: s.securityZones.name }).from(s.securityZones).where(inArray(s.securityZones.id, zoneIds)) : [];
    return {
      username: principal.username,
      kind: principal.kind,
      role: principal.role,
      roleDescription: principal.role ? ROLE_DESCRIPTIONS[principal.role] : '',
      permissions: [...principal.permissions],
      allZones: principal.allZones,
      zones,
      tokenId: principal.tokenId,
    };
  }),

  login: anonymousProcedure.meta({ example: { username: 'nobody', password: 'wrong password' } }).input(credentials).mutation(({ ctx, input }) => signIn(ctx, input)),

  logout: anonymousProcedure.mutation(async ({ ctx }) => {
    if (ctx.principal.sessionHash) await endSession(ctx.db, ctx.principal.sessionHash);
    ctx.resHeaders?.append('set-cookie', sessionCookie('', { secure: ctx.transport.secure, maxAgeSeconds: 0 }));
    return { signedOut: true };
  }),

  /** The one-time set-up: creates the first admin and signs them in; refused once any user exists. */
  setup: anonymousProcedure
    .meta({ example: { username: 'admin', password: 'x' } })
    .input(credentials)
    .mutation(async ({ ctx, input }) => {
      const user = await createFirstAdmin(ctx.db, input).catch(asFieldErrors);
      if (!user) throw new TRPCError({ code: 'FORBIDDEN', message: 'set-up is already done: sign in instead' });
      const call = currentAuditCall();
      if (call) Object.assign(call, { actor: user.username, actorUserId: user.id, objectType: 'user', objectId: String(user.id), after: { username: user.username, role: user.role } });
      return signIn(ctx, input);
    }),

  /** Changes the caller's own password (ends their other sessions; signs this browser in again). */
  changePassword: readProcedure
    .meta({ example: { currentPassword: 'x', newPassword: 'another long password' } })
    .input(z.object({ currentPassword: z.string().min(1).max(PASSWORD_MAX_LENGTH), newPassword: z.string().max(PASSWORD_MAX_LENGTH) }))
    .mutation(async ({ ctx, input }) => {
      const userId = ctx.principal.userId;
      if (userId == null || ctx.principal.kind !== 'session') throw new TRPCError({ code: 'FORBIDDEN', message: 'sign in with your password to change it (not with a token)' });
      const [user] = await ctx.db.select().from(s.users).where(eq(s.users.id, userId));
      if (!user || !(await verifyPassword(input.currentPassword, user.passwordHash))) throw fieldError('currentPassword', 'is not your current password');
      await setPassword(ctx.db, userId, input.newPassword).catch(asFieldErrors);
      return signIn(ctx, { username: user.username, password: input.newPassword });
    }),
});
