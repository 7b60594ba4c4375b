import { TRPCClientError } from '@trpc/client';

export type FieldErrors = Record<string, string>;

/** The server's per-field messages (`data.fieldErrors`), keyed by field; anything else under "form". */
export function fieldErrorsOf(error: unknown): FieldErrors {
  if (error instanceof TRPCClientError) {
    const list = (error.data as { fieldErrors?: { field: string; reason: string }[] | null } | undefined)?.fieldErrors;
    if (list?.length) return Object.fromEntries(list.map((e) => [e.field, e.reason]));
    return { form: error.message };
  }
  return { form: error instanceof Error ? error.message : String(error) };
}
