/**
 * What Plenum reads from slurmrestd, per OpenAPI generation. Only the fields Plenum uses are declared: unknown fields
 * pass (zod drops them), a missing required field fails with its path. Two shapes:
 * - v0.0.38 (Slurm 22.05 / 23.02): plain numbers (0 = unset), node `state` a word plus `state_flags`, `job_state` a word,
 *   `exit_code` the raw wait status;
 * - v0.0.40 to v0.0.44 (Slurm 23.11 to 25.x): `{set, infinite, number}` for optional numbers, state words as arrays,
 *   `exit_code` as `{status, return_code, signal}`.
 */
import { z } from 'zod';

const error = z.object({
  error: z.string().optional(),
  description: z.string().optional(),
  error_code: z.number().optional(),
  error_number: z.number().optional(),
  source: z.string().optional(),
});
export type SlurmErrorEntry = z.infer<typeof error>;

/** Every answer carries `errors` (and from v0.0.39 `warnings`); both may be absent on some 22.05 paths. */
export const envelope = z.object({ errors: z.array(error).optional() });

/** `{set, infinite, number}` (v0.0.39+); a bare number is accepted too. */
const noVal = z.union([
  z.number(),
  z.object({ set: z.boolean().optional(), infinite: z.boolean().optional(), number: z.number().optional() }),
]);
export type NoVal = z.infer<typeof noVal>;
/** The number a `{set, infinite, number}` holds, or null when unset or infinite (a bare 0 is unset too). */
export function noValNumber(value: NoVal | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return value;
  if (value.set === false || value.infinite === true || value.number === undefined) return null;
  return value.number;
}

const optionalText = z.string().nullish();

// v0.0.38 -----------------------------------------------------------------------------------------------------

export const nodes38 = z.object({
  nodes: z.array(
    z.object({
      name: z.string(),
      hostname: optionalText,
      address: optionalText,
      state: z.string(),
      state_flags: z.array(z.string()).nullish(),
      reason: optionalText,
      gres: optionalText,
      gres_used: optionalText,
      partitions: z.array(z.string()).nullish(),
    }),
  ),
});

export const partitions38 = z.object({
  partitions: z.array(z.object({ name: z.string(), nodes: optionalText, state: optionalText })),
});

export const jobs38 = z.object({
  jobs: z.array(
    z.object({
      job_id: z.number(),
      name: optionalText,
      job_state: z.string(),
      state_reason: optionalText,
      state_description: optionalText,
      user_name: optionalText,
      account: optionalText,
      partition: optionalText,
      nodes: optionalText,
      tres_per_node: optionalText,
      tres_alloc_str: optionalText,
      gres_detail: z.array(z.string()).nullish(),
      node_count: z.number().nullish(),
      start_time: z.number().nullish(),
      end_time: z.number().nullish(),
      exit_code: z.number().nullish(),
    }),
  ),
});

export const submit38 = z.object({ job_id: z.number() });

// v0.0.40 – v0.0.44 --------------------------------------------------------------------------------------------

const words = z.union([z.array(z.string()), z.string().transform((s) => [s])]);

export const nodes40 = z.object({
  nodes: z.array(
    z.object({
      name: z.string(),
      hostname: optionalText,
      address: optionalText,
      state: words,
      reason: optionalText,
      gres: optionalText,
      gres_used: optionalText,
      tres: optionalText,
      tres_used: optionalText,
      partitions: z.array(z.string()).nullish(),
    }),
  ),
});

export const partitions40 = z.object({
  partitions: z.array(
    z.object({
      name: z.string(),
      nodes: z.object({ configured: optionalText }).nullish(),
      partition: z.object({ state: words.nullish() }).nullish(),
    }),
  ),
});

const exitCode40 = z.union([
  z.number(),
  z.object({
    status: words.nullish(),
    return_code: noVal.nullish(),
    signal: z.object({ id: noVal.nullish(), name: optionalText }).nullish(),
  }),
]);

export const jobs40 = z.object({
  jobs: z.array(
    z.object({
      job_id: z.number(),
      name: optionalText,
      job_state: words,
      state_reason: optionalText,
      state_description: optionalText,
      user_name: optionalText,
      account: optionalText,
      partition: optionalText,
      nodes: optionalText,
      tres_per_node: optionalText,
      tres_alloc_str: optionalText,
      gres_detail: z.array(z.string()).nullish(),
      node_count: noVal.nullish(),
      start_time: noVal.nullish(),
      end_time: noVal.nullish(),
      exit_code: exitCode40.nullish(),
    }),
  ),
});

export const submit40 = z.object({ job_id: z.number() });
