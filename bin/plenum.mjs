#!/usr/bin/env node
// The `plenum` command: TypeScript sources run through tsx, so there is no separate CLI build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
