import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildFingerprint, isBuildCurrent, recordBuild } from './build-fingerprint';

describe('build staleness', () => {
  const roots: string[] = [];
  const tempRoot = () => {
    const root = mkdtempSync(path.join(tmpdir(), 'plenum-fp-'));
    roots.push(root);
    return root;
  };
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  it('is stale until recorded, current after, stale again when a source changes', () => {
    const root = tempRoot();
    mkdirSync(path.join(root, 'src'));
    mkdirSync(path.join(root, '.next'));
    writeFileSync(path.join(root, 'src', 'page.tsx'), 'export default 1;');
    writeFileSync(path.join(root, '.next', 'BUILD_ID'), 'x');
    expect(isBuildCurrent(root)).toBe(false);
    recordBuild(root);
    expect(isBuildCurrent(root)).toBe(true);
    const before = buildFingerprint(root);
    writeFileSync(path.join(root, 'src', 'page.tsx'), 'export default 2;');
    expect(buildFingerprint(root)).not.toBe(before);
    expect(isBuildCurrent(root)).toBe(false);
  });

  it('ignores test files', () => {
    const root = tempRoot();
    mkdirSync(path.join(root, 'src'));
    writeFileSync(path.join(root, 'src', 'a.ts'), 'a');
    const before = buildFingerprint(root);
    writeFileSync(path.join(root, 'src', 'a.test.ts'), 'test');
    expect(buildFingerprint(root)).toBe(before);
  });
});
