import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFingerprint, isBuildCurrent, recordBuild } from './build-fingerprint';

describe('build staleness', () => {
  it('is stale until recorded, current after, stale again when a source changes', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'plenum-fp-'));
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
    const root = mkdtempSync(path.join(tmpdir(), 'plenum-fp-'));
    mkdirSync(path.join(root, 'src'));
    writeFileSync(path.join(root, 'src', 'a.ts'), 'a');
    const before = buildFingerprint(root);
    writeFileSync(path.join(root, 'src', 'a.test.ts'), 'test');
    expect(buildFingerprint(root)).toBe(before);
  });
});
