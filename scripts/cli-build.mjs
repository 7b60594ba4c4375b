// The `plenum` CLI as plain JavaScript: src/cli bundled by esbuild into dist/cli, so a command starts without compiling
// TypeScript. Plain JS itself, because bin/plenum.mjs loads it before anything is built.
// dist/cli/build.json records the build's inputs and a hash of their contents; the build is current while that hash
// matches (contents, not mtimes: a fresh clone must not look newer than it is).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI_OUT_DIR = path.join('dist', 'cli');
const MANIFEST = 'build.json';
/** Read by every build besides the sources esbuild reports: the `@/` path alias and this script's own options. */
const ALWAYS_INPUTS = ['tsconfig.json', 'scripts/cli-build.mjs'];

/** A hash of the files' paths and contents; a missing file counts as changed. */
function fingerprint(root, files) {
  const hash = createHash('sha256');
  for (const file of [...ALWAYS_INPUTS, ...files].sort()) {
    const absolute = path.join(root, file);
    if (!existsSync(absolute)) return undefined;
    hash.update(file);
    hash.update(readFileSync(absolute));
  }
  return hash.digest('hex');
}

/** The built entry point when it matches the current sources, else undefined. */
export function currentCliBuild(root) {
  const out = path.join(root, CLI_OUT_DIR);
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(out, MANIFEST), 'utf8'));
  } catch {
    return undefined;
  }
  const entry = path.join(out, 'main.js');
  return existsSync(entry) && fingerprint(root, manifest.inputs) === manifest.fingerprint ? entry : undefined;
}

/**
 * Bundles src/cli/main.ts (npm packages stay imports; `admin`'s database code is a lazily loaded chunk) and returns the
 * entry point. Each file is written under a temporary name and renamed, so a CLI started meanwhile reads whole files.
 */
export async function buildCli(root) {
  const { build } = await import('esbuild');
  const out = path.join(root, CLI_OUT_DIR);
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['src/cli/main.ts'],
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    tsconfig: 'tsconfig.json',
    outdir: CLI_OUT_DIR,
    metafile: true,
    write: false,
    logLevel: 'error',
  });
  mkdirSync(out, { recursive: true });
  const written = new Set([MANIFEST]);
  // Chunks first and the entry last: a CLI that starts meanwhile finds every chunk the entry it reads imports.
  const files = [...result.outputFiles].sort((a, b) => Number(a.path.endsWith(`${path.sep}main.js`)) - Number(b.path.endsWith(`${path.sep}main.js`)));
  for (const file of files) {
    const temporary = `${file.path}.${process.pid}.tmp`;
    writeFileSync(temporary, file.contents);
    renameSync(temporary, file.path);
    written.add(path.basename(file.path));
  }
  const inputs = Object.keys(result.metafile.inputs).filter((input) => !input.startsWith('node_modules/'));
  const manifest = path.join(out, MANIFEST);
  writeFileSync(`${manifest}.${process.pid}.tmp`, JSON.stringify({ fingerprint: fingerprint(root, inputs), inputs }, null, 1));
  renameSync(`${manifest}.${process.pid}.tmp`, manifest);
  // Chunks of earlier builds (their names carry a content hash) are no longer imported by anything.
  for (const name of readdirSync(out)) if (!written.has(name) && !name.endsWith('.tmp')) rmSync(path.join(out, name), { force: true });
  return path.join(out, 'main.js');
}

// `node scripts/cli-build.mjs` (npm's `prepare`, after `npm install`): build unless current.
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  if (currentCliBuild(root)) console.log('[plenum] CLI build is current (dist/cli)');
  else console.log(`[plenum] CLI built: ${path.relative(root, await buildCli(root))}`);
}
