import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCli, currentCliBuild } from './cli-build.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
/** A project of one CLI source file with an `@/` import, the real build script and the real node_modules. */
const project = mkdtempSync(path.join(tmpdir(), 'plenum-cli-build-'));
mkdirSync(path.join(project, 'scripts'));
mkdirSync(path.join(project, 'src', 'cli'), { recursive: true });
copyFileSync(path.join(ROOT, 'scripts', 'cli-build.mjs'), path.join(project, 'scripts', 'cli-build.mjs'));
symlinkSync(path.join(ROOT, 'node_modules'), path.join(project, 'node_modules'));
writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { paths: { '@/*': ['./src/*'] } } }));
writeFileSync(path.join(project, 'src', 'answer.ts'), 'export const answer: number = 7;\n');
const writeMain = (body: string) => writeFileSync(path.join(project, 'src', 'cli', 'main.ts'), `import { answer } from '@/answer';\nexport async function main(): Promise<number> { ${body} }\n`);

afterAll(() => rmSync(project, { recursive: true, force: true }));

async function runBuilt(entry: string): Promise<number> {
  // A query string per import: the module cache would otherwise hand back the first build.
  const module = (await import(`${pathToFileURL(entry).href}?${Date.now()}`)) as { main: () => Promise<number> };
  return module.main();
}

describe('the CLI build (dist/cli)', () => {
  it('is built once, stays current while the sources are unchanged, and is rebuilt when a source changes', async () => {
    writeMain('return answer;');
    expect(currentCliBuild(project)).toBeUndefined();
    const entry = await buildCli(project);
    expect(entry).toBe(path.join(project, 'dist', 'cli', 'main.js'));
    expect(await runBuilt(entry)).toBe(7);
    expect(currentCliBuild(project)).toBe(entry);

    // Rewritten with the same content (a fresh checkout, a touch): still current, no rebuild needed.
    writeMain('return answer;');
    expect(currentCliBuild(project)).toBe(entry);

    // A change to an imported file makes it stale; the rebuild runs the new code.
    writeFileSync(path.join(project, 'src', 'answer.ts'), 'export const answer: number = 8;\n');
    expect(currentCliBuild(project)).toBeUndefined();
    expect(await runBuilt(await buildCli(project))).toBe(8);
    expect(currentCliBuild(project)).toBe(entry);

    // So does a change to tsconfig.json (the `@/` alias) or a deleted input.
    writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { paths: { '@/*': ['./src/*'] } }, include: ['src'] }));
    expect(currentCliBuild(project)).toBeUndefined();
    await buildCli(project);
    rmSync(path.join(project, 'src', 'answer.ts'));
    expect(currentCliBuild(project)).toBeUndefined();
  });
});
