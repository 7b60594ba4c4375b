import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, ROLES } from './config';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    expect(loadConfig({})).toEqual({ port: 3000, host: '127.0.0.1', databaseUrl: undefined, migrationDatabaseUrl: undefined, dataDir: path.resolve('.plenum'), seed: 'demo', roles: [...ROLES] });
  });

  it('treats an empty DATABASE_URL as unset (embedded database)', () => {
    expect(loadConfig({ DATABASE_URL: '' }).databaseUrl).toBeUndefined();
  });

  it('reads every variable', () => {
    const config = loadConfig({ PORT: '3100', HOST: '0.0.0.0', DATABASE_URL: 'postgres://u@h/db', PLENUM_MIGRATION_DATABASE_URL: 'postgres://o@h/db', PLENUM_DATA_DIR: '/tmp/x', PLENUM_SEED: 'large', PLENUM_ROLES: 'scrape, Rollups,simulator' });
    expect(config).toEqual({ port: 3100, host: '0.0.0.0', databaseUrl: 'postgres://u@h/db', migrationDatabaseUrl: 'postgres://o@h/db', dataDir: '/tmp/x', seed: 'large', roles: ['scrape', 'rollups', 'simulator'] });
  });

  it('reads "all" and an empty PLENUM_ROLES as every role', () => {
    expect(loadConfig({ PLENUM_ROLES: 'all' }).roles).toEqual([...ROLES]);
    expect(loadConfig({ PLENUM_ROLES: '' }).roles).toEqual([...ROLES]);
  });

  it.each([
    [{ PORT: 'abc' }, /^PORT: /],
    [{ PORT: '70000' }, /^PORT: /],
    [{ PLENUM_SEED: 'huge' }, /^PLENUM_SEED: /],
    [{ PLENUM_ROLES: 'web,scrapers' }, /^PLENUM_ROLES: unknown role "scrapers": use "all" or a comma-separated list of web, scrape, /],
    [{ PLENUM_ROLES: ' , ' }, /^PLENUM_ROLES: unknown role/],
    [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL: must be a postgres/],
    [{ PLENUM_MIGRATION_DATABASE_URL: 'postgres://o@h/db' }, /^PLENUM_MIGRATION_DATABASE_URL: needs DATABASE_URL too/],
  ])('names the bad variable: %o', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
