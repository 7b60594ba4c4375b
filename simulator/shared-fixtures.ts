/**
 * Where the shared real-hardware fixtures live: next to the repository (<repo>/../shared/fixtures), or where
 * PLENUM_SHARED_DIR points (a git worktree kept somewhere else).
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function sharedFixturesDir(...parts: string[]): string {
  const shared = process.env.PLENUM_SHARED_DIR ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../shared');
  return resolve(shared, 'fixtures', ...parts);
}
