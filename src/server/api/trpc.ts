import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { ZodError } from 'zod';
import { type AuditEntry, type AuditOutcome, currentAuditCall, newAuditCall, recordDenied, runWithAuditCall, writeAudit } from '../auth/audit';
import type { Permission } from '../auth/permissions';
import { ANONYMOUS, clientAddress, type Principal, resolvePrincipal, systemPrincipal } from '../auth/principal';
import { type DbHandle, getDb, sideHandle } from '../db/client';
import { inTransaction } from '../db/transaction';
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
  /**
   * The database outside the mutation's transaction (`db`/`pool` are bound to it inside mutations), on a pool of its
   * own (`sideHandle`): only for writes that must stand even when the mutation fails and rolls back, i.e. sign-in
   * throttling counters.
   */
  independent: DbHandle;
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
    independent: sideHandle(handle),
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
    independent: sideHandle(handle),
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

/** The result a failed mutation ended with, carried out of its transaction so that the transaction rolls back. */
class RolledBack extends Error {
  constructor(readonly result: { ok: false; error: TRPCError }) {
    super('rolled back');
  }
}

/** What tRPC's input parsers are here (zod schemas): Standard Schema validators. */
type InputSchema = { '~standard': { validate: (value: unknown) => StandardResult | Promise<StandardResult> } };
type StandardResult = { value?: unknown; issues?: readonly unknown[] };

/**
 * The mutation's input as its procedure validated it (unknown keys dropped, defaults applied), never the raw request:
 * the procedure's own input schemas run again here. Invalid input was refused before any change and is not recorded.
 */
async function validatedInput(path: string, getRawInput: () => Promise<unknown>): Promise<unknown> {
  const { appRouter } = await import('./root');
  const procedure = (appRouter._def.procedures as unknown as Record<string, { _def: { inputs: unknown[] } } | undefined>)[path];
  if (!procedure) return '(not recorded: not a procedure of the app router)';
  let value: unknown;
  for (const parser of procedure._def.inputs as InputSchema[]) {
    const parsed = await parser['~standard'].validate(await getRawInput());
    if (parsed.issues) return '(not recorded: invalid)';
    value = value && typeof value === 'object' && parsed.value && typeof parsed.value === 'object' ? { ...value, ...parsed.value } : parsed.value;
  }
  return value;
}

/**
 * Every mutation runs in one transaction together with its audit row: the change and the row commit together or not
 * at all (if the row cannot be written, the change is rolled back and the caller gets an error). Inside it `ctx.db`
 * and `ctx.pool` are bound to that transaction (services' own transactions become savepoints). A failed or refused
 * mutation is rolled back whole and then audited on its own. The row holds the caller, token, address, procedure,
 * the validated input (redacted), and the before/after of what it changed (gathered from recordChange).
 * Refusals of anonymous callers are counted instead (recordDenied), so anyone cannot flood the trail.
 */
const auditMutations = t.middleware(async ({ ctx, type, path, next, getRawInput }) => {
  if (type !== 'mutation') return next();
  const call = newAuditCall();
  const { principal } = ctx;
  const entry = (outcome: AuditOutcome, input: unknown, error?: TRPCError): AuditEntry => {
    const changes = outcome === 'ok' ? call.changes : [];
    const single = changes.length === 1 && call.changeCount === 1 ? changes[0] : undefined;
    return {
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
        ...(error ? { error: error.code, message: error.code === 'INTERNAL_SERVER_ERROR' ? 'internal server error' : error.message } : {}),
      },
    };
  };

  let failed: { ok: false; error: TRPCError };
  try {
    return await inTransaction(ctx, async (tx) => {
      const result = await runWithAuditCall(call, () => next({ ctx: tx }));
      if (!result.ok) throw new RolledBack(result);
      // An anonymous call that changed nothing (signing out without a session) leaves no row: anyone could repeat it.
      const nothingDone = principal.kind === 'anonymous' && call.changeCount === 0 && call.objectId === undefined;
      if (!nothingDone) await writeAudit(tx.db, entry('ok', await validatedInput(path, getRawInput)));
      return result;
    });
  } catch (error) {
    if (error instanceof RolledBack) failed = error.result;
    else {
      // The audit row or the commit failed: nothing was saved. Fail closed.
      console.error(`[plenum] ${path} rolled back: its audit row could not be written (request ${ctx.requestId}): ${(error as { code?: string }).code ?? 'error'}`);
      failed = { ok: false, error: new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'nothing was saved: the audit record could not be written', cause: error }) };
    }
  }

  const code = failed.error.code;
  const outcome: AuditOutcome = DENIED_CODES.has(code) ? 'denied' : 'error';
  const wrongPassword = path === 'auth.login' && code === 'UNAUTHORIZED';
  if (outcome === 'denied' && principal.kind === 'anonymous' && !wrongPassword) {
    recordDenied(ctx.db, { action: path, address: ctx.address, reason: failed.error.message });
  } else {
    const input = code === 'BAD_REQUEST' && failed.error.cause instanceof ZodError ? '(not recorded: invalid)' : await validatedInput(path, getRawInput).catch(() => '(unreadable)');
    await writeAudit(ctx.db, entry(outcome, input, failed.error)).catch((error: unknown) => {
      // Nothing was changed (the mutation rolled back), so only the record of the attempt is lost.
      console.error(`[plenum] could not write the audit row for ${path} (request ${ctx.requestId}): ${(error as { code?: string }).code ?? 'error'}`);
    });
  }
  throw failed.error;
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
