import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Everything `next build` reads from the repository. A change to any of it makes the build stale. */
const BUILD_INPUTS = ['src', 'public', 'next.config.mjs', 'postcss.config.mjs', 'tsconfig.json', 'package-lock.json'];
const FINGERPRINT_FILE = path.join('.next', 'plenum-build-fingerprint');

function listFiles(entry: string): string[] {
  if (!existsSync(entry)) return [];
  const stat = statSync(entry);
  if (!stat.isDirectory()) return [entry];
  return readdirSync(entry)
    .sort()
    .flatMap((name) => listFiles(path.join(entry, name)));
}

/** A hash of the build inputs' contents (not mtimes: a fresh clone must not look newer than it is). */
export function buildFingerprint(root: string): string {
  const hash = createHash('sha256');
  for (const file of BUILD_INPUTS.flatMap((entry) => listFiles(path.join(root, entry)))) {
    if (/\.(test|int\.test)\.tsx?$/.test(file)) continue;
    hash.update(path.relative(root, file));
    hash.update(readFileSync(file));
  }
  return hash.digest('hex');
}

export function isBuildCurrent(root: string): boolean {
  const file = path.join(root, FINGERPRINT_FILE);
  return existsSync(path.join(root, '.next', 'BUILD_ID')) && existsSync(file) && readFileSync(file, 'utf8') === buildFingerprint(root);
}

export function recordBuild(root: string): void {
  writeFileSync(path.join(root, FINGERPRINT_FILE), buildFingerprint(root));
}
