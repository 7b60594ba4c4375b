import { ZodError } from 'zod';

/** The field errors a call fails with, as the HTTP error formatter would report them ({ field: reason }). */
export async function fieldErrors(call: Promise<unknown>): Promise<Record<string, string>> {
  try {
    await call;
  } catch (error) {
    const e = error as { fieldErrors?: { field: string; reason: string }[]; cause?: unknown };
    if (e.fieldErrors) return Object.fromEntries(e.fieldErrors.map((f) => [f.field, f.reason]));
    if (e.cause instanceof ZodError) return Object.fromEntries(e.cause.issues.map((i) => [i.path.join('.'), i.message]));
    throw error;
  }
  throw new Error('the call succeeded');
}
