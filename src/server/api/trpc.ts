import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { ZodError } from 'zod';
import { type AuditOutcome, currentAuditCall, newAuditCall, runWithAuditCall, writeAudit } from '../auth/audit';
import type { Permission } from '../auth/permissions';
import { ANONYMOUS, clientAddress, type Principal, resolvePrincipal, systemPrincipal } from '../auth/principal';
import { type DbHandle, getDb } from '../db/client';
import { requestOrigin } from '@/security-headers';
import { checkInputShape, databaseInputError } from './inputs';

/** How the request arrived: a bearer token, the session cookie, nothing, or an in-process call (tests, server code). */
export type Transport = {
  via: 'bearer' | 'cookie' | 'none' | 'in-process';
  /** The request came from this site's own pages (custom header present, Origin matches): required for cookie mutations. */
  sameSite: boolean;
  /** Why a presented credential was not accepted. */
  problem?: string;
  /** HTTPS (directly or as reported by a proxy): the session cookie gets `Secure`. */
  secure: boolean;
};

/** Who is acting and how. `actor` is the name recorded in the change log. */
export type Context = DbHandle & {
  requestId: string;
  actor: string;
  principal: Principal;
  address: string | null;
  userAgent: string | null;
  transport: Transport;
  /** Response headers of the HTTP request (sign-in and sign-out set the session cookie); null in process. */
  resHeaders: Headers | null;
};

/**
 * A context for trusted in-process callers (tests, workers, server-side code): by default the `system` principal,
 * which holds every permission. HTTP handlers must use `createRequestContext`, which resolves the real caller.
 */
export function createContext(handle: DbHandle = getDb(), principal: Principal = systemPrincipal()): Context {
  return {
    ...handle,
    requestId: crypto.randomUUID(),
    actor: principal.username,
    principal,
    address: null,
    userAgent: null,
    transport: { via: 'in-process', sameSite: true, secure: false },
    resHeaders: null,
  };
}

/** The header the web client sends with every request; a cross-site form or `fetch` without CORS cannot set it. */
export const CSRF_HEADER = 'x-plenum-csrf';

function sameSite(request: Request): boolean {
  if (request.headers.get(CSRF_HEADER) !== '1') return false;
  const fetchSite = request.headers.get('sec-fetch-site');
  if (fetchSite && fetchSite !== 'same-origin' && fetchSite !== 'none') return false;
  const origin = request.headers.get('origin');
  if (!origin) return true;
  const host = requestOrigin(request.headers, request.url).host;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** The context of an HTTP request: the caller from `Authorization: Bearer` or the session cookie, else anonymous. */
export async function createRequestContext(request: Request, resHeaders: Headers | null = null, handle: DbHandle = getDb()): Promise<Context> {
  const resolved = await resolvePrincipal(handle.db, request.headers);
  const principal = resolved.principal;
  return {
    ...handle,
    requestId: crypto.randomUUID(),
    actor: principal.tokenId ? `${principal.username} (token ${principal.tokenId})` : principal.username,
    principal,
    address: clientAddress(request.headers),
    userAgent: request.headers.get('user-agent')?.slice(0, 300) ?? null,
    transport: { via: resolved.via, sameSite: sameSite(request), problem: resolved.problem, secure: requestOrigin(request.headers, request.url).secure },
    resHeaders,
  };
}

/** Where a request failed validation: `field` is the dotted path of the input, `reason` the message. */
export type FieldError = { field: string; reason: string };

/**
 * What a procedure declares. `permission`: who may call it (a list: any of them). `example`: a schema-valid input
 * for the generated permission matrix test (tests/permission-matrix.int.test.ts), for procedures whose input is required.
 */
export type ProcedureMeta = { permission?: Permission | readonly Permission[]; example?: unknown };

const t = initTRPC
  .context<Context>()
  .meta<ProcedureMeta>()
  .create({
    transformer: superjson,
    errorFormatter({ shape, error }) {
      const cause = error.cause;
      const fieldErrors: FieldError[] | null =
        cause instanceof ZodError
          ? cause.issues.map((issue) => ({ field: issue.path.join('.') || '(input)', reason: issue.message }))
          : 'fieldErrors' in error
            ? (error as { fieldErrors: FieldError[] }).fieldErrors
            : null;
      // Never leak stack traces or SQL to clients: unexpected errors say only that something failed.
      const { stack: _stack, ...data } = shape.data;
      const unexpected = error.code === 'INTERNAL_SERVER_ERROR';
      return {
        ...shape,
        message: fieldErrors ? fieldErrors.map((e) => `${e.field}: ${e.reason}`).join('; ') : unexpected ? 'internal server error' : shape.message,
        data: { ...data, fieldErrors },
      };
    },
  });

const DENIED_CODES = new Set(['UNAUTHORIZED', 'FORBIDDEN', 'TOO_MANY_REQUESTS']);

/**
 * Every mutation leaves one audit row, allowed, denied or failed: the caller, token, address, procedure, redacted
 * input, and the before/after of what it changed (gathered from recordChange, the change log's single entry point).
 */
const auditMutations = t.middleware(async ({ ctx, type, path, next, getRawInput }) => {
  if (type !== 'mutation') return next();
  const call = newAuditCall();
  const result = await runWithAuditCall(call, () => next());
  const code = result.ok ? undefined : result.error.code;
  const outcome: AuditOutcome = result.ok ? 'ok' : DENIED_CODES.has(code!) ? 'denied' : 'error';
  const changes = outcome === 'ok' ? call.changes : [];
  const single = changes.length === 1 && call.changeCount === 1 ? changes[0] : undefined;
  let input: unknown;
  try {
    input = await getRawInput();
  } catch {
    input = '(unreadable)';
  }
  const { principal } = ctx;
  try {
    await writeAudit(ctx.db, {
      actor: call.actor ?? principal.username,
      actorUserId: call.actorUserId !== undefined ? call.actorUserId : principal.userId,
      tokenId: principal.tokenId,
      address: ctx.address,
      action: path,
      outcome,
      objectType: call.objectType ?? single?.objectType ?? null,
      objectId: call.objectId ?? single?.objectId ?? null,
      before: call.before ?? single?.before,
      after: call.after ?? single?.after,
      detail: {
        input,
        ...(call.detail ?? {}),
        ...(changes.length > 0 && !single ? { changes, changeCount: call.changeCount } : {}),
        ...(result.ok ? {} : { error: code, message: code === 'INTERNAL_SERVER_ERROR' ? 'internal server error' : result.error.message }),
      },
    });
  } catch (error) {
    console.error(`[plenum] could not write the audit row for ${path} (request ${ctx.requestId}): ${(error as { code?: string }).code ?? 'error'}`);
  }
  return result;
});

function describeNeeded(needed: readonly Permission[]): string {
  return needed.length === 1 ? `the ${needed[0]} permission` : `one of the ${needed.join(', ')} permissions`;
}

/**
 * The one place access is decided. Procedures declare their permission in meta; one without (built from the
 * deprecated `publicProcedure`) falls back to `read` for queries and `operate` for mutations until it declares one,
 * and the permission matrix test names it. Cookie-authenticated (and anonymous) mutations must come from this site.
 */
const enforcePermission = t.middleware(({ ctx, meta, type, path, next }) => {
  const declared = meta?.permission;
  const needed: readonly Permission[] = declared === undefined ? [type === 'mutation' ? 'operate' : 'read'] : typeof declared === 'string' ? [declared] : declared;
  const { principal, transport } = ctx;
  if (type === 'mutation' && (transport.via === 'cookie' || transport.via === 'none') && !transport.sameSite) {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'cross-site request refused: send it from the Plenum web app, or use an API token' });
  }
  if (needed.includes('public')) return next();
  if (principal.kind === 'anonymous') {
    throw new TRPCError({ code: 'UNAUTHORIZED', message: transport.problem ?? 'sign in first (or send an API token in Authorization: Bearer)' });
  }
  if (!needed.some((permission) => permission !== 'public' && principal.permissions.has(permission))) {
    throw new TRPCError({ code: 'FORBIDDEN', message: `${path} needs ${describeNeeded(needed)}; ${principal.tokenId ? 'this token' : 'your role'} (${principal.role ?? 'none'}) does not have it` });
  }
  return next();
});

/**
 * Input errors are 4xx that name the field, never 500: the raw input's shape is checked before any schema (NUL, lone
 * surrogates, deep nesting: see inputs.ts), and a PostgreSQL data exception the input still causes becomes BAD_REQUEST.
 */
const guardInput = t.middleware(async ({ next, getRawInput }) => {
  checkInputShape(await getRawInput());
  const result = await next();
  if (!result.ok && result.error.code === 'INTERNAL_SERVER_ERROR') {
    const mapped = databaseInputError(result.error.cause);
    if (mapped) throw mapped;
  }
  return result;
});

const base = t.procedure.use(auditMutations).use(enforcePermission).use(guardInput);

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Anyone, signed in or not: health and sign-in only. Reveal nothing sensitive from these. */
export const anonymousProcedure = base.meta({ permission: 'public' });
/** Every signed-in role. */
export const readProcedure = base.meta({ permission: 'read' });
/** Operators and admins: act on devices, racks, faults, alerts, jobs. Check the object's zone with canActInZone. */
export const operateProcedure = base.meta({ permission: 'operate' });
/** Planners and admins: capacity what-ifs and planned objects. */
export const planProcedure = base.meta({ permission: 'plan' });
/** Operators, planners and admins: e.g. creating objects, where planners may create planned ones only. */
export const operateOrPlanProcedure = base.meta({ permission: ['operate', 'plan'] });
/** Admins only: users, tokens, zones, settings, the audit trail. */
export const adminProcedure = base.meta({ permission: 'admin' });

/**
 * @deprecated Declares no permission: use anonymousProcedure, readProcedure, operateProcedure, planProcedure or
 * adminProcedure. Until converted, such a procedure needs `read` (queries) or `operate` (mutations), and the
 * permission matrix test fails naming it.
 */
export const publicProcedure = base;

/** True when the caller holds the permission (for procedures that allow several and behave differently). */
export function hasPermission(ctx: Pick<Context, 'principal'>, permission: Exclude<Permission, 'public'>): boolean {
  return ctx.principal.permissions.has(permission);
}

export { ANONYMOUS, currentAuditCall, TRPCError };
