#!/usr/bin/env node
// The `plenum` command. It runs the CLI built to plain JavaScript in dist/cli (scripts/cli-build.mjs), building it
// first when it is missing or older than the sources (`npm install` builds it too, as npm's `prepare`). Where esbuild
// is not installed, the TypeScript sources run through tsx instead (slower start, same behaviour).
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildCli, currentCliBuild } from '../scripts/cli-build.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

async function loadMain() {
  let entry = currentCliBuild(root);
  if (!entry) {
    try {
      entry = await buildCli(root);
    } catch (error) {
      if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    }
  }
  if (entry) return (await import(pathToFileURL(entry).href)).main;
  const { register } = await import('tsx/esm/api');
  register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
  return (await import('../src/cli/main.ts')).main;
}

const main = await loadMain();
process.exitCode = await main(process.argv.slice(2));
