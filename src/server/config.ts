import path from 'node:path';
import { z } from 'zod';

/** Every setting Plenum reads from the environment, validated once at start-up. */
const envSchema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .trim()
    .optional()
    .transform((value) => (value ? value : undefined))
    .refine((value) => value === undefined || /^postgres(ql)?:\/\//.test(value), {
      message: 'must be a postgres:// or postgresql:// URL',
    }),
  PLENUM_MIGRATION_DATABASE_URL: z
    .string()
    .trim()
    .optional()
    .transform((value) => (value ? value : undefined))
    .refine((value) => value === undefined || /^postgres(ql)?:\/\//.test(value), {
      message: 'must be a postgres:// or postgresql:// URL',
    }),
  PLENUM_DATA_DIR: z.string().min(1).default('./.plenum'),
  PLENUM_SEED: z.enum(['demo', 'large', 'xl', 'none']).default('demo'),
});

export type PlenumConfig = {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  /** The owner role's URL (migrations); with it, DATABASE_URL names the least-privilege application role. */
  migrationDatabaseUrl: string | undefined;
  dataDir: string;
  seed: 'demo' | 'large' | 'xl' | 'none';
};

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): PlenumConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`${issue.path.join('.')}: ${issue.message}`);
  }
  const value = parsed.data;
  if (value.PLENUM_MIGRATION_DATABASE_URL && !value.DATABASE_URL) {
    throw new ConfigError('PLENUM_MIGRATION_DATABASE_URL: needs DATABASE_URL too (the application role the server connects as)');
  }
  return {
    port: value.PORT,
    host: value.HOST,
    databaseUrl: value.DATABASE_URL,
    migrationDatabaseUrl: value.PLENUM_MIGRATION_DATABASE_URL,
    dataDir: path.resolve(value.PLENUM_DATA_DIR),
    seed: value.PLENUM_SEED,
  };
}
