#!/usr/bin/env node
// The `plenum` command: TypeScript sources run through tsx, so there is no separate CLI build step.
// tsx is given the project's tsconfig by path, so its `@/` imports resolve from any working folder.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
