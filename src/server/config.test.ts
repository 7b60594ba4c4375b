import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadTsdbConfig, ROLES } from './config';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    expect(loadConfig({})).toEqual({ port: 3000, host: '127.0.0.1', databaseUrl: undefined, migrationDatabaseUrl: undefined, dataDir: path.resolve('.plenum'), seed: 'demo', roles: [...ROLES], heapGrowthPercent: 100, tsdb: { kind: 'postgres' } });
  });

  it('treats an empty DATABASE_URL as unset (embedded database)', () => {
    expect(loadConfig({ DATABASE_URL: '' }).databaseUrl).toBeUndefined();
  });

  it('reads every variable', () => {
    const config = loadConfig({ PORT: '3100', HOST: '0.0.0.0', DATABASE_URL: 'postgres://u@h/db', PLENUM_MIGRATION_DATABASE_URL: 'postgres://o@h/db', PLENUM_DATA_DIR: '/tmp/x', PLENUM_SEED: 'large', PLENUM_ROLES: 'scrape, Rollups,simulator', PLENUM_HEAP_GROWTH_PERCENT: '0' });
    expect(config).toEqual({ port: 3100, host: '0.0.0.0', databaseUrl: 'postgres://u@h/db', migrationDatabaseUrl: 'postgres://o@h/db', dataDir: '/tmp/x', seed: 'large', roles: ['scrape', 'rollups', 'simulator'], heapGrowthPercent: 0, tsdb: { kind: 'postgres' } });
  });

  it('reads "all" and an empty PLENUM_ROLES as every role', () => {
    expect(loadConfig({ PLENUM_ROLES: 'all' }).roles).toEqual([...ROLES]);
    expect(loadConfig({ PLENUM_ROLES: '' }).roles).toEqual([...ROLES]);
  });

  it.each([
    [{ PORT: 'abc' }, /^PORT: /],
    [{ PORT: '70000' }, /^PORT: /],
    [{ PLENUM_SEED: 'huge' }, /^PLENUM_SEED: /],
    [{ PLENUM_HEAP_GROWTH_PERCENT: 'lots' }, /^PLENUM_HEAP_GROWTH_PERCENT: /],
    [{ PLENUM_HEAP_GROWTH_PERCENT: '500' }, /^PLENUM_HEAP_GROWTH_PERCENT: .*400/],
    [{ PLENUM_ROLES: 'web,scrapers' }, /^PLENUM_ROLES: unknown role "scrapers": use "all" or a comma-separated list of web, scrape, /],
    [{ PLENUM_ROLES: ' , ' }, /^PLENUM_ROLES: unknown role/],
    [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL: must be a postgres/],
    [{ PLENUM_MIGRATION_DATABASE_URL: 'postgres://o@h/db' }, /^PLENUM_MIGRATION_DATABASE_URL: needs DATABASE_URL too/],
    [{ PLENUM_TSDB: 'influx' }, /^PLENUM_TSDB: must be postgres or prometheus-remote/],
    [{ PLENUM_TSDB: 'prometheus-remote', PLENUM_TSDB_QUERY_URL: 'http://vm:8428' }, /^PLENUM_TSDB_REMOTE_WRITE_URL: required/],
    [{ PLENUM_TSDB: 'prometheus-remote', PLENUM_TSDB_REMOTE_WRITE_URL: 'http://vm:8428/api/v1/write' }, /^PLENUM_TSDB_QUERY_URL: required/],
    [{ PLENUM_TSDB: 'prometheus-remote', PLENUM_TSDB_REMOTE_WRITE_URL: 'vm:8428', PLENUM_TSDB_QUERY_URL: 'http://vm:8428' }, /^PLENUM_TSDB_REMOTE_WRITE_URL: must be an http/],
    [{ PLENUM_TSDB: 'prometheus-remote', PLENUM_TSDB_REMOTE_WRITE_URL: 'http://vm/api/v1/write', PLENUM_TSDB_QUERY_URL: 'http://u:p@vm' }, /^PLENUM_TSDB_QUERY_URL: must not carry credentials/],
    [{ PLENUM_TSDB_QUERY_URL: 'http://vm:8428' }, /^PLENUM_TSDB_QUERY_URL: is set but PLENUM_TSDB is postgres/],
    [{ PLENUM_TSDB: 'prometheus-remote', PLENUM_TSDB_REMOTE_WRITE_URL: 'http://vm/api/v1/write', PLENUM_TSDB_QUERY_URL: 'http://vm', PLENUM_TSDB_USERNAME: 'u' }, /^PLENUM_TSDB_PASSWORD: basic auth needs both/],
    [{ PLENUM_TSDB: 'prometheus-remote', PLENUM_TSDB_REMOTE_WRITE_URL: 'http://vm/api/v1/write', PLENUM_TSDB_QUERY_URL: 'http://vm', PLENUM_TSDB_QUEUE_SAMPLES: '10' }, /^PLENUM_TSDB_QUEUE_SAMPLES: /],
  ])('names the bad variable: %o', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('reads a Prometheus-compatible back-end with basic auth or a bearer token', () => {
    const base = { PLENUM_TSDB: 'prometheus-remote', PLENUM_TSDB_REMOTE_WRITE_URL: 'https://vm.example/api/v1/write', PLENUM_TSDB_QUERY_URL: 'https://vm.example/' };
    expect(loadTsdbConfig({ ...base, PLENUM_TSDB_USERNAME: 'plenum', PLENUM_TSDB_PASSWORD: 'secret' })).toEqual({
      kind: 'prometheus-remote',
      remoteWriteUrl: 'https://vm.example/api/v1/write',
      queryUrl: 'https://vm.example',
      authorization: `Basic ${Buffer.from('plenum:secret').toString('base64')}`,
      queueMaxSamples: 1_000_000,
    });
    expect(loadTsdbConfig({ ...base, PLENUM_TSDB_BEARER_TOKEN: 't0k' })).toMatchObject({ authorization: 'Bearer t0k' });
    expect(() => loadTsdbConfig({ ...base, PLENUM_TSDB_BEARER_TOKEN: 't', PLENUM_TSDB_USERNAME: 'u', PLENUM_TSDB_PASSWORD: 'p' })).toThrow(/^PLENUM_TSDB_BEARER_TOKEN: give either/);
  });
});
