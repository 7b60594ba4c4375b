/**
 * How long a `plenum` command takes, start to exit, as a user's shell sees it: `plenum --help` (no server) and
 * `plenum health` against the real /api/trpc handler on a migrated throwaway PostgreSQL (with an admin API token).
 * Two ways of running the CLI, alternated run by run so machine load hits both alike:
 *   - built: bin/plenum.mjs with a current dist/cli build (plain JavaScript, built by esbuild);
 *   - tsx: the TypeScript sources compiled at run time by tsx (what bin/plenum.mjs did before the build existed).
 * Reports the median wall time and the median CPU time (user + system, from /usr/bin/time: less sensitive to other load on
 * a shared machine) of each way in ms, and the tsx/built ratios.
 *
 *   npx tsx bench/cli-start.ts [--runs 15]
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { createToken, createUser } from '../src/server/auth/accounts';
import { createDb } from '../src/server/db/client';
import { runMigrations } from '../src/server/db/migrate';
import { buildCli, currentCliBuild } from '../scripts/cli-build.mjs';
import { arg, machine, pct, throwawayPostgres, trpcLoopbackServer } from './telemetry/common';

const runs = Number(arg('runs', '15'));
const ROOT = path.resolve(import.meta.dirname, '..');
/** The former bin/plenum.mjs: tsx compiles src/cli at every start. */
const TSX_MAIN = `import { register } from 'tsx/esm/api';
register({ tsconfig: ${JSON.stringify(path.join(ROOT, 'tsconfig.json'))} });
const { main } = await import(${JSON.stringify(path.join(ROOT, 'src/cli/main.ts'))});
process.exitCode = await main(process.argv.slice(1));`;

const WAYS = {
  built: (args: string[]) => [path.join(ROOT, 'bin/plenum.mjs'), ...args],
  tsx: (args: string[]) => ['--input-type=module', '-e', TSX_MAIN, '--', ...args],
};

type Sample = { wallMs: number; cpuMs: number };

/** Runs one command (asynchronously: the server answering `health` lives in this process). */
async function timeRun(argv: string[], env: NodeJS.ProcessEnv): Promise<Sample> {
  const t0 = performance.now();
  const result = await new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
    execFile('/usr/bin/time', ['-f', 'cpu %U %S', process.execPath, ...argv], { cwd: ROOT, env, encoding: 'utf8' }, (error, stdout, stderr) =>
      resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    ),
  );
  const wallMs = performance.now() - t0;
  const cpu = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(result.stderr);
  if (result.status !== 0 || !cpu) throw new Error(`node ${argv.slice(-2).join(' ')} exited ${result.status}: ${result.stderr}`);
  // Both ways must have run the CLI itself (not, say, node's own --help).
  if (!/^(usage: plenum|status: )/m.test(result.stdout)) throw new Error(`node ${argv.slice(-2).join(' ')} printed something else: ${result.stdout.slice(0, 200)}`);
  return { wallMs, cpuMs: (Number(cpu[1]) + Number(cpu[2])) * 1000 };
}

async function main() {
  const started = machine();
  if (!currentCliBuild(ROOT)) await buildCli(ROOT);
  const pg = await throwawayPostgres();
  const handle = createDb(pg.url, { max: 4 });
  await runMigrations(handle.pool);
  const { server, port } = await trpcLoopbackServer(handle);
  try {
    const admin = await createUser(handle.db, { username: 'bench', role: 'admin', password: 'bench password 123', allZones: true, zoneIds: [] });
    const { secret } = await createToken(handle.db, { userId: admin.id, name: 'bench', role: 'admin', allZones: true, zoneIds: [], expiresAt: null, createdBy: null });
    const env = { ...process.env, PLENUM_URL: `http://127.0.0.1:${port}`, PLENUM_TOKEN: secret };
    const commands = { '--help': ['--help'], health: ['health'] };
    console.log(`plenum CLI start: ${runs} runs per command and way; ${JSON.stringify(started)}`);
    for (const [name, args] of Object.entries(commands)) {
      const times: Record<keyof typeof WAYS, Sample[]> = { built: [], tsx: [] };
      for (const way of Object.keys(WAYS) as (keyof typeof WAYS)[]) await timeRun(WAYS[way](args), env); // warm the file cache
      for (let i = 0; i < runs; i++) for (const way of Object.keys(WAYS) as (keyof typeof WAYS)[]) times[way].push(await timeRun(WAYS[way](args), env));
      const median = (way: keyof typeof WAYS, of: keyof Sample) => pct(times[way].map((sample) => sample[of]), 50);
      const ratio = (of: keyof Sample) => Math.round((median('tsx', of) / median('built', of)) * 100) / 100;
      console.log(
        `plenum ${name}: wall median built ${Math.round(median('built', 'wallMs'))} ms, tsx ${Math.round(median('tsx', 'wallMs'))} ms (${ratio('wallMs')}×); ` +
          `CPU median built ${Math.round(median('built', 'cpuMs'))} ms, tsx ${Math.round(median('tsx', 'cpuMs'))} ms (${ratio('cpuMs')}×)`,
      );
    }
    console.log(`load average after: ${JSON.stringify(machine().loadavg)}`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
    await handle.pool.end();
    await pg.stop();
  }
}

await main();
