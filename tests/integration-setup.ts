import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../src/server/db/embedded';

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
    databaseServerKind: string;
  }
}

/**
 * One PostgreSQL server for the integration run: the one named by PLENUM_TEST_DATABASE_URL, or a
 * throwaway embedded server. Every test file then makes (and drops) its own database on it.
 */
export default async function setup(project: TestProject) {
  const external = process.env.PLENUM_TEST_DATABASE_URL;
  if (external) {
    project.provide('adminDatabaseUrl', external);
    project.provide('databaseServerKind', 'external');
    return;
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), 'plenum-it-'));
  const server = await startEmbeddedPostgres(dataDir);
  project.provide('adminDatabaseUrl', server.url);
  project.provide('databaseServerKind', 'embedded');
  return async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
