/** Shared helpers of the telemetry benchmarks: a throwaway embedded PostgreSQL, its CPU time, percentiles. */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../src/server/db/embedded';

export const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};

export function pct(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
export const r1 = (x: number) => Math.round(x * 10) / 10;
export const r3 = (x: number) => Math.round(x * 1000) / 1000;

export type BenchDb = { url: string; pgData: string; stop: () => Promise<void> };

/** PLENUM_BENCH_DATABASE_URL is NOT used here: these benchmarks seed their own inventory, so always a throwaway server. */
export async function throwawayPostgres(): Promise<BenchDb> {
  const dir = await mkdtemp(path.join(tmpdir(), 'plenum-bench-telemetry-'));
  const server = await startEmbeddedPostgres(dir);
  return {
    url: server.url,
    pgData: server.dataDir,
    stop: async () => {
      await server.stop().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const CLK_TCK = 100;
/** CPU seconds (user + system) of the postmaster and all its children (backends, walwriter, checkpointer, …). */
export function postgresCpuSeconds(pgData: string): number {
  let root: number;
  try {
    root = Number.parseInt(readFileSync(path.join(pgData, 'postmaster.pid'), 'utf8').split('\n')[0]!, 10);
  } catch {
    return Number.NaN;
  }
  let ticks = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pid = Number(name);
      const ppid = Number(f[1]);
      if (pid === root || ppid === root) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      // exited meanwhile
    }
  }
  return ticks / CLK_TCK;
}

export function machine() {
  return { date: new Date().toISOString(), nproc: (readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm) ?? []).length, loadavg: loadavg().map((x) => Math.round(x * 100) / 100), node: process.version };
}
