import path from 'node:path';
import { z } from 'zod';

/**
 * What an instance may do (`PLENUM_ROLES`, comma-separated; default all). `web` serves the UI and API, `scrape` takes a
 * rendezvous shard of the scrape targets; the others are singletons held by one live instance at a time under an
 * advisory lock (services/instances.ts): `scheduler`, `rollups`, `partitions` (partitions, retention, compaction),
 * `alerts` (alert evaluation), `simulator` (the simulated world) and `clusters` (cluster sync workers).
 */
export const ROLES = ['web', 'scrape', 'scheduler', 'rollups', 'partitions', 'alerts', 'simulator', 'clusters'] as const;
export type Role = (typeof ROLES)[number];
export const SINGLETON_ROLES = ['scheduler', 'rollups', 'partitions', 'alerts', 'simulator', 'clusters'] as const satisfies readonly Role[];
export type SingletonRole = (typeof SINGLETON_ROLES)[number];

const rolesSchema = z
  .string()
  .optional()
  .transform((value, ctx): Role[] => {
    const text = value?.trim() ?? '';
    if (text === '' || text === 'all') return [...ROLES];
    const names = text.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean);
    const unknown = names.filter((name) => !(ROLES as readonly string[]).includes(name));
    if (unknown.length || names.length === 0) {
      ctx.addIssue({ code: 'custom', message: `unknown role "${unknown[0] ?? text}": use "all" or a comma-separated list of ${ROLES.join(', ')}` });
      return z.NEVER;
    }
    return ROLES.filter((role) => names.includes(role));
  });

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
  PLENUM_ROLES: rolesSchema,
});

export type PlenumConfig = {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  /** The owner role's URL (migrations); with it, DATABASE_URL names the least-privilege application role. */
  migrationDatabaseUrl: string | undefined;
  dataDir: string;
  seed: 'demo' | 'large' | 'xl' | 'none';
  /** The roles this instance takes part in (PLENUM_ROLES): without `web` it starts no web server. */
  roles: Role[];
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
    roles: value.PLENUM_ROLES,
  };
}
