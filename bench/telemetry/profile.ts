/**
 * Where a benchmark's CPU goes, for `--profile DIR`: this Node process's CPU profile over the measured window (V8's
 * sampling profiler through node:inspector, written as DIR/node.cpuprofile for Chrome DevTools) summarised by
 * function and by source file, and PostgreSQL's statements by total execution time (pg_stat_statements, which the
 * throwaway server preloads in this mode).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import type pg from 'pg';

/** Server settings for a throwaway PostgreSQL that records its statements. */
export const STATEMENT_STATS_SETTINGS = { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all', 'pg_stat_statements.max': '2000' };

type ProfileNode = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] };
type CpuProfile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

export class WindowProfile {
  private readonly session = new Session();

  private constructor(
    private readonly pool: pg.Pool,
    private readonly dir: string,
    private readonly allocations: boolean,
  ) {}

  /**
   * Starts both recorders: call at the start of the measured window. `allocations`: also V8's sampling heap profiler
   * (every 16 kB allocated, garbage included), written as DIR/heap.heapprofile: what the collector has to clear.
   */
  static async start(pool: pg.Pool, dir: string, options: { allocations?: boolean } = {}): Promise<WindowProfile> {
    await mkdir(dir, { recursive: true });
    const profile = new WindowProfile(pool, dir, options.allocations === true);
    await pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await pool.query('SELECT pg_stat_statements_reset()');
    profile.session.connect();
    await profile.session.post('Profiler.enable');
    await profile.session.post('Profiler.setSamplingInterval', { interval: 500 });
    await profile.session.post('Profiler.start');
    if (options.allocations) {
      await profile.session.post('HeapProfiler.enable');
      await profile.session.post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    }
    return profile;
  }

  /** Stops both and summarises them; `samples` (stored samples in the window) turns times into µs per sample. */
  async stop(samples: number) {
    const { profile } = (await this.session.post('Profiler.stop')) as { profile: CpuProfile };
    if (this.allocations) {
      const { profile: heap } = await this.session.post('HeapProfiler.stopSampling');
      await writeFile(path.join(this.dir, 'heap.heapprofile'), JSON.stringify(heap));
    }
    this.session.disconnect();
    await writeFile(path.join(this.dir, 'node.cpuprofile'), JSON.stringify(profile));
    const statements = await this.pool.query<{ query: string; calls: string; total_ms: number; rows: string }>(
      `SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 160) AS query, calls::bigint, round(total_exec_time::numeric, 1)::float8 AS total_ms, rows::bigint
         FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 25`,
    );
    const perSample = (ms: number) => Math.round((ms / samples) * 1e4) / 10;
    return {
      node: summariseProfile(profile, samples),
      postgresStatements: statements.rows.map((r) => ({ usPerSample: perSample(r.total_ms), calls: Number(r.calls), rows: Number(r.rows), query: r.query })),
    };
  }
}

/** Self time by function and by file (node_modules folded into their package), in µs of CPU per stored sample. */
function summariseProfile(profile: CpuProfile, samples: number) {
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) selfUs.set(profile.samples[i]!, (selfUs.get(profile.samples[i]!) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = fileOf(url);
    const fn = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    byFile.set(file, (byFile.get(file) ?? 0) + us);
  }
  const top = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, usPerSample: Math.round((us / samples) * 100) / 100 }));
  const sampledUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const idleUs = profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').reduce((a, n) => a + (selfUs.get(n.id) ?? 0), 0);
  return { busyUsPerSample: Math.round(((sampledUs - idleUs) / samples) * 100) / 100, byFile: top(byFile, 25), byFunction: top(byFunction, 40) };
}

function fileOf(url: string): string {
  if (!url) return '(native)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return `npm:${rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const src = url.indexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  return url.replace(/^file:\/\//, '');
}
