import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_HEAP_GROWTH_PERCENT } from './heap-growth';

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
  PLENUM_HEAP_GROWTH_PERCENT: z.coerce.number().int().min(0).max(400).default(DEFAULT_HEAP_GROWTH_PERCENT),
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
  /** How far the JavaScript heap may grow past its live size before a full collection (heap-growth.ts); 0: V8's choice. */
  heapGrowthPercent: number;
  tsdb: TsdbConfig;
};

/**
 * Where raw telemetry history lives: PostgreSQL (the default), or a Prometheus-compatible back-end (VictoriaMetrics,
 * Prometheus, Mimir, Thanos) that Plenum remote-writes to and reads through its PromQL HTTP API.
 */
export type TsdbConfig =
  | { kind: 'postgres' }
  | {
      kind: 'prometheus-remote';
      remoteWriteUrl: string;
      queryUrl: string;
      /** Sent as `Authorization` to both URLs (basic auth or a bearer token), or none. */
      authorization: string | undefined;
      /** Samples waiting to be sent; beyond this the oldest are dropped (counted in /metrics). */
      queueMaxSamples: number;
    };

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value?.trim() ? value.trim() : undefined));
const httpUrl = optionalText
  .refine((value) => value === undefined || /^https?:\/\/[^/]/.test(value), { message: 'must be an http:// or https:// URL' })
  .refine((value) => value === undefined || !/^https?:\/\/[^/]*@/.test(value), { message: 'must not carry credentials (use PLENUM_TSDB_USERNAME/PASSWORD or PLENUM_TSDB_BEARER_TOKEN)' });

const tsdbSchema = z.object({
  PLENUM_TSDB: z.enum(['postgres', 'prometheus-remote'], { message: 'must be postgres or prometheus-remote' }).default('postgres'),
  PLENUM_TSDB_REMOTE_WRITE_URL: httpUrl,
  PLENUM_TSDB_QUERY_URL: httpUrl,
  PLENUM_TSDB_USERNAME: optionalText,
  PLENUM_TSDB_PASSWORD: optionalText,
  PLENUM_TSDB_BEARER_TOKEN: optionalText,
  PLENUM_TSDB_QUEUE_SAMPLES: z.coerce.number({ message: 'must be a number' }).int().min(1_000).default(1_000_000),
});

/** The time-series back-end settings alone (read by the telemetry services), with errors that name the variable. */
export function loadTsdbConfig(env: Record<string, string | undefined> = process.env): TsdbConfig {
  const parsed = tsdbSchema.safeParse({ ...env, PLENUM_TSDB: env.PLENUM_TSDB?.trim() || undefined, PLENUM_TSDB_QUEUE_SAMPLES: env.PLENUM_TSDB_QUEUE_SAMPLES?.trim() || undefined });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`${issue.path.join('.')}: ${issue.message}`);
  }
  const v = parsed.data;
  if (v.PLENUM_TSDB === 'postgres') {
    for (const name of ['PLENUM_TSDB_REMOTE_WRITE_URL', 'PLENUM_TSDB_QUERY_URL'] as const) {
      if (v[name]) throw new ConfigError(`${name}: is set but PLENUM_TSDB is postgres (set PLENUM_TSDB=prometheus-remote to use it)`);
    }
    return { kind: 'postgres' };
  }
  if (!v.PLENUM_TSDB_REMOTE_WRITE_URL) throw new ConfigError('PLENUM_TSDB_REMOTE_WRITE_URL: required when PLENUM_TSDB is prometheus-remote (e.g. http://victoria:8428/api/v1/write)');
  if (!v.PLENUM_TSDB_QUERY_URL) throw new ConfigError('PLENUM_TSDB_QUERY_URL: required when PLENUM_TSDB is prometheus-remote (the PromQL API root, e.g. http://victoria:8428)');
  if (v.PLENUM_TSDB_BEARER_TOKEN && (v.PLENUM_TSDB_USERNAME || v.PLENUM_TSDB_PASSWORD)) {
    throw new ConfigError('PLENUM_TSDB_BEARER_TOKEN: give either a bearer token or PLENUM_TSDB_USERNAME/PASSWORD, not both');
  }
  if (Boolean(v.PLENUM_TSDB_USERNAME) !== Boolean(v.PLENUM_TSDB_PASSWORD)) {
    throw new ConfigError(`${v.PLENUM_TSDB_USERNAME ? 'PLENUM_TSDB_PASSWORD' : 'PLENUM_TSDB_USERNAME'}: basic auth needs both PLENUM_TSDB_USERNAME and PLENUM_TSDB_PASSWORD`);
  }
  const authorization = v.PLENUM_TSDB_BEARER_TOKEN
    ? `Bearer ${v.PLENUM_TSDB_BEARER_TOKEN}`
    : v.PLENUM_TSDB_USERNAME
      ? `Basic ${Buffer.from(`${v.PLENUM_TSDB_USERNAME}:${v.PLENUM_TSDB_PASSWORD}`).toString('base64')}`
      : undefined;
  return {
    kind: 'prometheus-remote',
    remoteWriteUrl: v.PLENUM_TSDB_REMOTE_WRITE_URL,
    queryUrl: v.PLENUM_TSDB_QUERY_URL.replace(/\/+$/, ''),
    authorization,
    queueMaxSamples: v.PLENUM_TSDB_QUEUE_SAMPLES,
  };
}

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
    heapGrowthPercent: value.PLENUM_HEAP_GROWTH_PERCENT,
    tsdb: loadTsdbConfig(env),
  };
}
