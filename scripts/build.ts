import { spawnSync } from 'node:child_process';
import { isBuildCurrent, recordBuild } from './build-fingerprint';

export class BuildError extends Error {}

/** Builds the Next.js app unless the current build already matches the sources. */
export function ensureBuild(root: string, log: (line: string) => void): void {
  if (isBuildCurrent(root)) return;
  log('building the web app (first start or sources changed)…');
  const result = spawnSync(process.execPath, ['node_modules/next/dist/bin/next', 'build'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
  });
  if (result.status !== 0) throw new BuildError(`next build failed (exit ${result.status ?? result.signal}); its output is above`);
  recordBuild(root);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    ensureBuild(process.cwd(), (line) => console.log(`[plenum] ${line}`));
  } catch (error) {
    console.error(`plenum: ${(error as Error).message}`);
    process.exit(1);
  }
}
