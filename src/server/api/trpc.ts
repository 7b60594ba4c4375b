import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { ZodError } from 'zod';
import { type DbHandle, getDb } from '../db/client';

/** Who is acting; the access-control layer replaces the anonymous actor with the signed-in user or token. */
export type Context = DbHandle & { requestId: string; actor: string };

export function createContext(handle: DbHandle = getDb()): Context {
  return { ...handle, requestId: crypto.randomUUID(), actor: 'anonymous' };
}

/** Where a request failed validation: `field` is the dotted path of the input, `reason` the message. */
export type FieldError = { field: string; reason: string };

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const fieldErrors: FieldError[] | null =
      cause instanceof ZodError
        ? cause.issues.map((issue) => ({ field: issue.path.join('.') || '(input)', reason: issue.message }))
        : 'fieldErrors' in error
          ? (error as { fieldErrors: FieldError[] }).fieldErrors
          : null;
    // Never leak stack traces or SQL to clients.
    const { stack: _stack, ...data } = shape.data;
    return {
      ...shape,
      message: fieldErrors ? fieldErrors.map((e) => `${e.field}: ${e.reason}`).join('; ') : shape.message,
      data: { ...data, fieldErrors },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure;
export { TRPCError };
