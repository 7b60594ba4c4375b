/**
 * Shared helpers of the telemetry and dashboard benchmarks: a throwaway embedded PostgreSQL, its CPU time, percentiles,
 * the real `/api/trpc` handler on a loopback port, and the simulated world as its own process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { SimInventory } from '../../simulator/inventory';
import { handleTrpcRequest } from '../../src/server/api/http';
import type { DbHandle } from '../../src/server/db/client';
import { startEmbeddedPostgres } from '../../src/server/db/embedded';
import { scrapeTimestampMs } from '../../src/server/services/telemetry/scraper';

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
export async function throwawayPostgres(settings?: Record<string, string>, log?: (line: string) => void): Promise<BenchDb> {
  const dir = await mkdtemp(path.join(tmpdir(), 'plenum-bench-telemetry-'));
  const server = await startEmbeddedPostgres(dir, { settings, log });
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

/**
 * A process's or a thread's `/proc` stat file (`/proc/PID/stat`, `/proc/PID/task/TID/stat`): its parent's pid, its own
 * CPU seconds (user + system) and those of its children that were waited for.
 */
export function procStat(statFile: string): { ppid: number; ownCpuS: number; childrenCpuS: number } {
  const stat = readFileSync(statFile, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(f[1]), ownCpuS: (Number(f[11]) + Number(f[12])) / CLK_TCK, childrenCpuS: (Number(f[13]) + Number(f[14])) / CLK_TCK };
}

/** One reading of PostgreSQL's CPU seconds since it started: the postmaster's own, its reaped children's, and each live child's. */
export type PostgresCpuSnapshot = { postmaster: number; reaped: number; children: Map<number, { role: string; cpuS: number }> };

const POSTGRES_ROLES = ['backend', 'autovacuum', 'walwriter', 'checkpointer', 'bgwriter', 'postmaster', 'exited', 'other'] as const;

/** CPU seconds of the postmaster and of each of its live children (undefined when the server is not running). */
export function postgresCpuSnapshot(pgData: string): PostgresCpuSnapshot | undefined {
  let root: number;
  try {
    root = Number.parseInt(readFileSync(path.join(pgData, 'postmaster.pid'), 'utf8').split('\n')[0]!, 10);
  } catch {
    return undefined;
  }
  const snapshot: PostgresCpuSnapshot = { postmaster: 0, reaped: 0, children: new Map() };
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const { ppid, ownCpuS: own, childrenCpuS: children } = procStat(`/proc/${name}/stat`);
      const pid = Number(name);
      if (pid === root) {
        snapshot.postmaster = own;
        snapshot.reaped = children;
      } else if (ppid === root) {
        snapshot.children.set(pid, { role: roleOf(readFileSync(`/proc/${name}/cmdline`, 'utf8')), cpuS: own + children });
      }
    } catch {
      // exited meanwhile
    }
  }
  return snapshot;
}

/**
 * CPU seconds (user + system) of the postmaster and its children between two snapshots, by role: `backend` (client
 * connections), `autovacuum`, `walwriter`, `checkpointer`, `bgwriter`, `postmaster` (itself), `exited` (children that
 * ended in between, for their time in between: autovacuum workers come and go, and a pool closes idle connections;
 * counted through the postmaster's reaped children) and `other` (launchers, logger, io workers, …). Roles come from the
 * process titles PostgreSQL sets (`postgres: walwriter`). A process that ended in between is charged only what it used
 * after the first snapshot: a backend that had worked for minutes before it and closed during it once made `exited`
 * look like the largest part of a window.
 */
export function postgresCpuBetween(before: PostgresCpuSnapshot | undefined, after: PostgresCpuSnapshot | undefined): Record<string, number> {
  if (!before || !after) return Object.fromEntries(POSTGRES_ROLES.map((role) => [role, Number.NaN]));
  const out: Record<string, number> = Object.fromEntries(POSTGRES_ROLES.map((role) => [role, 0]));
  out.postmaster = after.postmaster - before.postmaster;
  let endedBefore = 0;
  for (const [pid, child] of before.children) if (!after.children.has(pid)) endedBefore += child.cpuS;
  out.exited = after.reaped - before.reaped - endedBefore;
  for (const [pid, child] of after.children) out[child.role] = out[child.role]! + child.cpuS - (before.children.get(pid)?.cpuS ?? 0);
  return out;
}

function roleOf(cmdline: string): string {
  const title = cmdline.replace(/\0/g, ' ');
  if (/autovacuum worker/.test(title)) return 'autovacuum';
  for (const role of ['walwriter', 'checkpointer'] as const) if (title.includes(role)) return role;
  if (title.includes('background writer')) return 'bgwriter';
  // A backend's title is "postgres: user database host(port) state".
  if (/postgres: \S+ \S+ (\[local\]|\d|localhost)/.test(title)) return 'backend';
  return 'other';
}

/** This Node process's CPU seconds (user + system, every thread). */
export function nodeCpuSeconds(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
}

/** CPU seconds (user + system) of the postmaster and all its children (backends, walwriter, checkpointer, …). */
export function postgresCpuSeconds(pgData: string): number {
  const snapshot = postgresCpuSnapshot(pgData);
  if (!snapshot) return Number.NaN;
  let children = 0;
  for (const child of snapshot.children.values()) children += child.cpuS;
  return snapshot.postmaster + snapshot.reaped + children;
}

/** The sum of postgresCpuBetween's parts. */
export function totalCpuSeconds(byRole: Record<string, number>): number {
  return Object.values(byRole).reduce((a, b) => a + b, 0);
}

export function machine() {
  return { date: new Date().toISOString(), nproc: (readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm) ?? []).length, loadavg: loadavg().map((x) => Math.round(x * 100) / 100), node: process.version };
}

/**
 * The real `/api/trpc` handler (handleTrpcRequest: bearer-token auth, tRPC, SSE) behind a loopback HTTP server, as the
 * benchmarks' load generators reach it; not a Next.js server (pages are not rendered, only their API calls).
 */
export async function trpcLoopbackServer(handle: DbHandle, port = 0): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(async (req, res) => {
    try {
      const ac = new AbortController();
      res.on('close', () => ac.abort());
      const request = new Request(`http://127.0.0.1${req.url}`, { method: req.method, headers: req.headers as Record<string, string>, signal: ac.signal });
      const response = await handleTrpcRequest(request, handle);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      if (!response.body) return void res.end();
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk);
      res.end();
    } catch {
      res.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * The simulated world as its own process (`npm run simulator -- serve`) against `databaseUrl`: it registers in the
 * instance registry with the simulator role and advertises its endpoints there. Its stdout is piped (its log lines).
 */
export function spawnSimulatorProcess(databaseUrl: string, env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'simulator/main.ts', 'serve'], {
    cwd: REPO_ROOT,
    // A bench process may run with PLENUM_SIMULATOR=off; the simulator's own process must not inherit that.
    env: { ...process.env, ...env, DATABASE_URL: databaseUrl, PLENUM_MIGRATION_DATABASE_URL: '', PLENUM_SIMULATOR: 'on' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** Stops a child by its PID: SIGTERM, then SIGKILL if it has not exited 15 s later. */
export function stopByPid(child: ChildProcess | undefined): Promise<void> {
  if (!child?.pid || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    process.kill(child.pid!, 'SIGTERM');
    setTimeout(() => {
      if (child.exitCode === null) process.kill(child.pid!, 'SIGKILL');
    }, 15_000).unref();
  });
}

/**
 * Autovacuum's own account of its runs between two instants, from a server log written with
 * log_autovacuum_min_duration = 0: per kind (vacuum, analyze) and table (partitions under their parent's name), the
 * runs and the CPU seconds (user + system) of its "system usage" line. Worker start-up is not in it.
 */
export function autovacuumCpu(log: string, fromMs: number, toMs: number): Record<string, { runs: number; cpuSeconds: number }> {
  const out: Record<string, { runs: number; cpuSeconds: number }> = {};
  const entry = /(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d+) UTC \[\d+\] LOG: {2}automatic (?:aggressive )?(vacuum|analyze) of table "[^".]+\.([^".]+)\.([^"]+)"[\s\S]*?system usage: CPU: user: ([\d.]+) s, system: ([\d.]+) s/g;
  for (const m of log.matchAll(entry)) {
    const at = Date.parse(`${m[1]}T${m[2]}Z`);
    if (at < fromMs || at > toMs) continue;
    const key = `${m[3]} ${m[4]}.${m[5]!.replace(/_p\d{6}(\d{2})?$/, '')}`;
    const row = out[key] ?? { runs: 0, cpuSeconds: 0 };
    out[key] = { runs: row.runs + 1, cpuSeconds: r3(row.cpuSeconds + Number(m[6]) + Number(m[7])) };
  }
  return out;
}

/** The GPU servers' hostnames of a simulated inventory in site / hall / rack order, the first `count` of them. */
export function gpuHostnames(inventory: SimInventory, count = Number.POSITIVE_INFINITY): string[] {
  return inventory.sites.flatMap((s) => s.halls.flatMap((h) => h.racks.flatMap((r) => r.servers.map((x) => x.hostname)))).slice(0, count);
}

/**
 * The timestamp the scraper gives a simulated scrape's samples in the disk benchmarks (scrapeTimestampMs): a scrape
 * starts up to one scheduler tick (0-99 ms) after its slot, and one in a hundred 300 ms late (a busy process), past the
 * tolerance, so it keeps its start time. Deterministic per round and target, so runs compare.
 */
export function simulatedScrapeStampMs(slotMs: number, round: number, target: number, intervalMs: number): number {
  const h = (round * 7_919 + target * 104_729) % 10_007;
  const lateMs = h % 100 === 0 ? 300 : h % 100;
  return scrapeTimestampMs(slotMs + lateMs, slotMs, intervalMs);
}
