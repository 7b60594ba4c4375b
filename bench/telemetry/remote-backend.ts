/**
 * Plenum's CPU per stored sample with PLENUM_TSDB=postgres against PLENUM_TSDB=prometheus-remote, on the same live
 * simulator fleet (demo seed: 672 GPUs in 120 hosts + the facility endpoint), wired exactly as `npm start` wires
 * telemetry (`telemetryWorkers` on a WorkerRunner), against a throwaway embedded PostgreSQL and, for the remote mode,
 * VictoriaMetrics from its Debian package (started here, stopped by PID).
 *
 *   npm run bench:remote-backend -- [--seconds 60] [--interval 5000] [--repeats 1]
 *
 * The modes alternate (postgres, remote, postgres, remote, … `--repeats` pairs) on one database seeded once. In each,
 * one warm-up interval is discarded, then over `--seconds`: CPU (user + system, /proc) of this Node process, of the
 * postmaster and its children, and of VictoriaMetrics, divided by the samples committed to PostgreSQL in that window.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createDb } from '../../src/server/db/client';
import { runMigrations } from '../../src/server/db/migrate';
import { seedIfEmpty } from '../../src/server/db/seed';
import { getProcessIngest } from '../../src/server/services/telemetry/index';
import { selfMetrics } from '../../src/server/services/self-metrics';
import { setTsdbBackend } from '../../src/server/services/telemetry/remote-backend';
import { telemetryWorkers } from '../../src/server/services/telemetry/start';
import { WorkerRunner } from '../../src/server/services/workers';
import { freePort, requirePackageBinary, startDaemon, tempFolder } from '../../tests/daemon';
import { arg, machine, pct, postgresCpuSeconds, r1, r3, throwawayPostgres } from './common';

const seconds = Number(arg('seconds', '60'));
const intervalMs = Number(arg('interval', '5000'));
const repeats = Number(arg('repeats', '1'));

function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** The remote writer's own counters (/metrics). */
const remoteSent = async () => (await selfMetrics().tsdbRemoteSent.get()).values.reduce((n, v) => n + v.value, 0);
const remoteDropped = async () => (await selfMetrics().tsdbRemoteDropped.get()).values.reduce((n, v) => n + v.value, 0);

type Run = { mode: string; samples: number; samplesPerS: number; nodeUsPerSample: number; pgUsPerSample: number; plenumUsPerSample: number; backendUsPerSample: number | null; remoteSent: number | null; remoteDropped: number | null };

async function main() {
  const started = machine();
  process.env.PLENUM_SCRAPE_INTERVAL_MS = String(intervalMs);
  const vmBinary = requirePackageBinary('victoria-metrics', '/usr/bin/victoria-metrics');
  const vmVersion = spawnSync('dpkg-query', ['-W', `-f=\${Version}`, 'victoria-metrics'], { encoding: 'utf8' }).stdout.trim();
  const pg = await throwawayPostgres();
  const vmDir = tempFolder('bench-vm');
  const vmPort = await freePort();
  const vmBase = `http://127.0.0.1:${vmPort}`;
  const vm = await startDaemon('victoria-metrics', vmBinary, ['-httpListenAddr', `127.0.0.1:${vmPort}`, '-storageDataPath', path.join(vmDir.dir, 'data'), '-retentionPeriod', '1d'], {
    ready: async () => (await fetch(`${vmBase}/health`)).ok,
  });
  process.env.DATABASE_URL = pg.url;
  const { pool, db } = createDb(pg.url);
  const runs: Run[] = [];
  try {
    await runMigrations(pool);
    const seeded = await seedIfEmpty(db, 'demo');
    for (let rep = 0; rep < repeats; rep++) {
      for (const mode of ['postgres', 'prometheus-remote'] as const) {
        setTsdbBackend(
          mode === 'postgres'
            ? { kind: 'postgres' }
            : { kind: 'prometheus-remote', remoteWriteUrl: `${vmBase}/api/v1/write`, queryUrl: vmBase, authorization: undefined, queueMaxSamples: 1_000_000 },
        );
        const runner = new WorkerRunner(db);
        const workers = await telemetryWorkers(pool, (l) => console.error(`[bench] ${l}`));
        for (const w of workers) runner.add(w);
        runner.start();
        const ingest = getProcessIngest()!;
        await new Promise((r) => setTimeout(r, intervalMs * 2)); // warm-up: series created, line caches filled
        const sentBefore = await remoteSent();
        const droppedBefore = await remoteDropped();
        const written0 = ingest.stats.writtenSamples;
        const cpu0 = process.cpuUsage();
        const pg0 = postgresCpuSeconds(pg.pgData);
        const vm0 = processCpuSeconds(vm.pid);
        const t0 = performance.now();
        await new Promise((r) => setTimeout(r, seconds * 1000));
        const dt = (performance.now() - t0) / 1000;
        const cpu = process.cpuUsage(cpu0);
        const samples = ingest.stats.writtenSamples - written0;
        const nodeS = (cpu.user + cpu.system) / 1e6;
        const pgS = postgresCpuSeconds(pg.pgData) - pg0;
        const vmS = processCpuSeconds(vm.pid) - vm0;
        const us = (s: number) => r3((s * 1e6) / Math.max(1, samples));
        runs.push({
          mode,
          samples,
          samplesPerS: Math.round(samples / dt),
          nodeUsPerSample: us(nodeS),
          pgUsPerSample: us(pgS),
          plenumUsPerSample: us(nodeS + pgS),
          backendUsPerSample: mode === 'postgres' ? null : us(vmS),
          remoteSent: mode === 'postgres' ? null : (await remoteSent()) - sentBefore,
          remoteDropped: mode === 'postgres' ? null : (await remoteDropped()) - droppedBefore,
        });
        console.error(`[bench] ${JSON.stringify(runs.at(-1))}`);
        await runner.stop();
      }
    }
    const median = (mode: string, f: (r: Run) => number) => pct(runs.filter((r) => r.mode === mode).map(f), 50);
    const result = {
      bench: 'remote-backend',
      machine: started,
      backend: `VictoriaMetrics ${vmVersion} (Debian package), single node, on this machine`,
      seed: 'demo',
      gpus: seeded.gpus,
      intervalMs,
      seconds,
      repeats,
      runs,
      medians: {
        postgres: { nodeUsPerSample: median('postgres', (r) => r.nodeUsPerSample), pgUsPerSample: median('postgres', (r) => r.pgUsPerSample), plenumUsPerSample: median('postgres', (r) => r.plenumUsPerSample) },
        remote: {
          nodeUsPerSample: median('prometheus-remote', (r) => r.nodeUsPerSample),
          pgUsPerSample: median('prometheus-remote', (r) => r.pgUsPerSample),
          plenumUsPerSample: median('prometheus-remote', (r) => r.plenumUsPerSample),
          backendUsPerSample: median('prometheus-remote', (r) => r.backendUsPerSample ?? Number.NaN),
        },
      },
      ratios: {
        nodeRemoteOverPostgres: r1((median('prometheus-remote', (r) => r.nodeUsPerSample) / median('postgres', (r) => r.nodeUsPerSample)) * 100) / 100,
        plenumRemoteOverPostgres: r1((median('prometheus-remote', (r) => r.plenumUsPerSample) / median('postgres', (r) => r.plenumUsPerSample)) * 100) / 100,
      },
      machineAtEnd: machine(),
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    setTsdbBackend(undefined);
    await pool.end().catch(() => {});
    await pg.stop();
    await vm.stop();
    vmDir.cleanup();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
