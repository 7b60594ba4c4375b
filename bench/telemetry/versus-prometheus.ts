/**
 * Plenum against a real Prometheus, side by side in one run, scraping the SAME simulator endpoints at the same
 * interval on the same machine. Reports CPU per stored sample, bytes per stored sample on disk, their ratios, and the
 * power of one GPU host's GPUs over 24 h at 1-minute resolution for both.
 *
 *   npm run bench:vs-prometheus -- [--seconds 240] [--interval 10000] [--reps 40] [--seed demo|large] [--profile DIR]
 *     [--profile-allocations] [--cpu-only] [--all-targets] [--align-window] [--autovacuum-log FILE] [--pg name=value …]
 *
 * Same work on both sides: the simulated world also serves SNMP agents, Redfish and Modbus units, which Plenum polls
 * and Prometheus cannot; they are disabled for the run, so both scrape exactly the HTTP exposition endpoints
 * (`--all-targets` keeps them, as runs before 2026-12-05 13:30 did: Plenum then stored ~12 % more samples, at a
 * higher cost per sample, and Prometheus was sent to paths that answer 404).
 *
 * `--profile DIR` also records where the measured window's CPU went (profile.ts: Node's CPU profile, PostgreSQL's
 * statements; with `--profile-allocations` also where the heap was allocated, garbage included). The profiler costs
 * CPU itself: compare figures of one mode. `--cpu-only` (implied by `--profile`) skips the six-hour disk measurement.
 *
 * Set-up: a throwaway embedded PostgreSQL with the demo seed (672 GPUs: 120 GPU hosts + the facility endpoint; `--seed
 * large`: 8,448 GPUs, where per-scrape and per-statement overheads weigh less per sample);
 * the live simulator runs as its own process (`simulator run`), so neither side is charged for rendering exporter
 * text. Plenum's telemetry workers (scraper, ingest, rollups, compaction, alerts, …) run in this process exactly as
 * `npm start` wires them, under the same heap policy (`PLENUM_HEAP_GROWTH_PERCENT`, heap-growth.ts). Debian's
 * `prometheus` (installed with apt-get when missing) runs from a temp folder on a high loopback port with one static
 * target per endpoint, and is stopped by its PID.
 *
 * CPU: user + system time from /proc over the measured window: this Node process + the postmaster and its children
 * for Plenum, the prometheus process for Prometheus; divided by the samples each stored in that window. Plenum's
 * compaction only rewrites windows that closed ≥ 10 minutes ago, which a run of a few minutes never reaches, so at
 * the end the bench compacts everything the run stored (compactClosedWindows with a clock 2 h ahead) and adds the CPU
 * that took (Node + PostgreSQL) to Plenum's total: every sample is compacted once. So is the VACUUM that follows
 * (`vacuum`): autovacuum's work in production, reclaiming the deleted raw rows, consumed queue rows and superseded
 * versions (counted since 2026-12-05 16:20; earlier runs left it out).
 *
 * Disk: Plenum: every telemetry relation with its indexes and TOAST (write table, chunks, rollups 1m/1h, series,
 * dirty minutes) after that compaction and a VACUUM (what autovacuum does); Prometheus: every file under its data
 * folder (WAL, head chunks, blocks). Both divided by the samples stored. A run of a few minutes has short chunks (a
 * few minutes per series, where a closed window holds 30) and fixed costs (series, empty partitions) spread over few
 * samples, so the steady state is also measured on six full hours of simulator scrapes (measureFullWindows).
 *
 * A run without `--align-window` starts storing only when all it stores fits in one compaction window (it waits for
 * the next one otherwise): one straddling a boundary compacts two windows per series at its end.
 *
 * `--align-window` measures compaction at its steady state instead (`--seconds` is then ignored): after the warm-up
 * the bench waits for the next compaction window to begin, compacts the warm-up's window (outside the measured
 * window, so the run's chunks exist, as on a running site), and measures the rest of that window until 15 s before it
 * closes (about 29 min at the default 30-minute window). The end-of-run compaction then appends one window of samples
 * per series (60 at 30 s scrapes) to the chunks, as the compaction worker does in service, instead of writing fresh
 * chunks of a few samples each.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/server/config';
import { createDb } from '../../src/server/db/client';
import { applyHeapGrowth } from '../../src/server/heap-growth';
import { runMigrations } from '../../src/server/db/migrate';
import { seedIfEmpty } from '../../src/server/db/seed';
import { renderFacilityMetrics, renderGpuHostMetrics } from '../../simulator/exporters';
import { World } from '../../simulator/world';
import { COLLECTOR_DIALECTS } from '../../src/server/services/telemetry/collectors/types';
import { compactClosedWindows } from '../../src/server/services/telemetry/compaction';
import { IngestPipeline } from '../../src/server/services/telemetry/ingest';
import { runRollups } from '../../src/server/services/telemetry/rollups';
import { loadSimInventory } from '../../src/server/services/telemetry/sim-inventory';
import { getProcessIngest } from '../../src/server/services/telemetry/index';
import { queryTelemetry } from '../../src/server/services/telemetry/query';
import { ROLLUP_WINDOW_MS } from '../../src/server/services/telemetry/rollup-store';
import { COMPACTION_WINDOW_MS, MAX_CHUNK_SPAN_MS, MIN_COMPACTION_AGE_MS, windowStartMs } from '../../src/server/services/telemetry/sample-store';
import { telemetrySettings } from '../../src/server/services/telemetry/config';
import { telemetryWorkers } from '../../src/server/services/telemetry/start';
import { WorkerRunner } from '../../src/server/services/workers';
import { arg, autovacuumCpu, gpuHostnames, machine, nodeCpuSeconds, pct, postgresCpuBetween, postgresCpuSeconds, postgresCpuSnapshot, procStat, r1, r3, simulatedScrapeStampMs, spawnSimulatorProcess, stopByPid, throwawayPostgres, totalCpuSeconds } from './common';
import { STATEMENT_STATS_SETTINGS, WindowProfile } from './profile';

const alignWindow = process.argv.includes('--align-window');
/** Without --align-window: how long the measurement lasts. */
const seconds = Number(arg('seconds', '240'));
/**
 * With --align-window the measurement ends this long before its compaction window does, so that every sample stored
 * falls in that window. One scrape round past it would put a sample or two of every series in the next window, and
 * the end-of-run compaction would then rewrite every chunk a second time for them (its cost is mostly per series):
 * up to twice the compaction CPU the worker spends in service, where each window is compacted once when it closes.
 */
const WINDOW_END_MARGIN_MS = 15_000;
const intervalMs = Number(arg('interval', '10000'));
const reps = Number(arg('reps', '40'));
const profileDir = arg('profile', '');
const autovacuumLogFile = arg('autovacuum-log', '');
/** --pg name=value (repeatable): a PostgreSQL server setting for the throwaway server, for experiments. */
const serverSettings = Object.fromEntries(
  process.argv.flatMap((a, i) => (process.argv[i - 1] === '--pg' ? [a.split('=', 2) as [string, string]] : [])),
);
const seed = ((name: string): 'demo' | 'large' => {
  if (name !== 'demo' && name !== 'large') throw new Error(`--seed: demo or large, not "${name}"`);
  return name;
})(arg('seed', 'demo'));
const cpuOnly = profileDir !== '' || process.argv.includes('--cpu-only');
const allTargets = process.argv.includes('--all-targets');
const PROMETHEUS = '/usr/bin/prometheus';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ensurePrometheus(): void {
  if (existsSync(PROMETHEUS)) return;
  console.error('[bench] prometheus missing: apt-get install -y prometheus');
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'prometheus'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.status !== 0 || !existsSync(PROMETHEUS)) throw new Error('could not install Debian package prometheus (apt-get install prometheus)');
}

/** What autovacuum reclaims after ingest and compaction: deleted raw rows, consumed queue rows, superseded versions. */
const VACUUMED_TABLES = 'telemetry_sample_blocks, telemetry_rollup_deltas, telemetry_rollup_1m_blocks, telemetry_rollup_1h, telemetry_chunks, telemetry_rollup_1m_chunks, telemetry_latest_blocks';

/** Alerting rules equivalent to alerts.ts DEFAULT_RULES, over the raw names the simulator's endpoints expose. */
const PROMETHEUS_RULES = `groups:
  - name: plenum-defaults
    rules:
      - { alert: RackInletAbove27, expr: 'plenum_sensor_inlet_temp_celsius > 27', for: 30s }
      - { alert: RackInletAbove32, expr: 'plenum_sensor_inlet_temp_celsius > 32', for: 30s }
      - { alert: GpuAbove85, expr: 'DCGM_FI_DEV_GPU_TEMP > 85', for: 30s }
      - { alert: GpuXid, expr: 'DCGM_FI_DEV_XID_ERRORS > 0' }
      - { alert: UpsOnBattery, expr: 'plenum_ups_on_battery > 0.5' }
      - { alert: CoolingUnitFailed, expr: 'plenum_cooling_unit_running < 0.5' }
      - { alert: TargetDown, expr: 'up == 0', for: 30s }
`;

/** User + system CPU seconds of a process. */
const processCpuSeconds = (pid: number) => procStat(`/proc/${pid}/stat`).ownCpuS;

/**
 * This process's main (JavaScript) thread alone; the rest of `nodeCpuSeconds` is V8's helper threads (garbage
 * collection, compilers) and libuv's.
 */
const nodeMainThreadCpuSeconds = () => procStat(`/proc/${process.pid}/task/${process.pid}/stat`).ownCpuS;

function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) total += folderBytes(p);
    else if (entry.isFile()) total += statSync(p).size;
  }
  return total;
}

/** Waits for a line on a child's stdout that matches `pattern`. */
function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}`)), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      const m = pattern.exec(buffered);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.once('exit', (code) => reject(new Error(`process exited (${code}) before ${pattern}`)));
  });
}

async function promSamplesAppended(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let n = 0;
  for (const line of text.split('\n')) if (line.startsWith('prometheus_tsdb_head_samples_appended_total')) n += Number(line.split(' ').at(-1));
  return n;
}

/** Bytes of a partitioned table's partitions (with indexes and TOAST): all of them, and those holding rows. */
async function partitionBytes(pool: import('pg').Pool, table: string): Promise<{ all: number; withRows: number }> {
  const children = await pool.query<{ name: string; bytes: string }>(
    `SELECT c.relname AS name, pg_total_relation_size(c.oid)::bigint AS bytes
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = $1`,
    [table],
  );
  let all = 0;
  let withRows = 0;
  for (const c of children.rows) {
    all += Number(c.bytes);
    const used = await pool.query(`SELECT 1 FROM "${c.name.replaceAll('"', '""')}" LIMIT 1`);
    if (used.rows.length > 0) withRows += Number(c.bytes);
  }
  return { all, withRows };
}

/**
 * Steady-state disk per sample, measured rather than extrapolated: six hours (MAX_CHUNK_SPAN_MS, starting on a 6-hour
 * boundary as every day's chunks do) of simulator scrapes for 12 GPU hosts and the facility endpoint, through the real
 * ingest, rollups and compaction (run every 30 rounds with the simulated clock, as the worker would), after the live
 * run's telemetry rows are cleared (series stay). So the chunks of samples and of 1-minute rollups grow exactly as they
 * do in service, to their full size. Returns bytes per sample by part, and the total.
 *
 * Per-sample parts count the partitions that hold the measured rows; the empty partitions every installation keeps
 * (created ahead, or waiting for retention) are a fixed cost, reported apart (`emptyPartitionBytes`, and
 * `totalWithEmptyPartitions` as the earlier runs counted it). Tables whose rows are rewritten (chunks that grow, the
 * open hour of 1-hour rollups) are measured live after VACUUM FULL; the free space their rewrites leave, with a plain
 * VACUUM after every compaction run (autovacuum keeping up, so later rewrites reuse it), is reported beside
 * (`withChurn`, bytes per sample on top of the live figure).
 */
async function measureFullWindows(pool: import('pg').Pool, stepMs: number, pgData: string) {
  await pool.query('TRUNCATE telemetry_sample_blocks, telemetry_chunks, telemetry_rollup_1m_blocks, telemetry_rollup_1m_chunks, telemetry_rollup_1h, telemetry_rollup_deltas');
  const inventory = await loadSimInventory(pool);
  const hosts = gpuHostnames(inventory, 12);
  const t0 = Math.floor((Date.now() - 2 * MAX_CHUNK_SPAN_MS) / MAX_CHUNK_SPAN_MS) * MAX_CHUNK_SPAN_MS;
  const world = new World(inventory, { seed: 3, startMs: t0 });
  const ingest = new IngestPipeline(pool, { bufferMaxSamples: 5_000_000, rawRetentionDays: 7, notify: false });
  await ingest.loadInventory();
  const rounds = MAX_CHUNK_SPAN_MS / stepMs;
  let rawBytesPerSample = 0;
  let minuteRowBytes = 0;
  let samples = 0;
  let buckets = 0;
  let chunkWrites = 0;
  /** CPU (this process + PostgreSQL) spent in compaction, the price of chunks that grow (re-encoded per window). */
  let compactionCpuS = 0;
  /** CPU of the VACUUM after each compaction: autovacuum's work in production (deleted raw rows, rewritten chunks). */
  let vacuumCpuS = 0;
  const compact = async (nowMs: number) => {
    const before = nodeCpuSeconds() + postgresCpuSeconds(pgData);
    const c = await compactClosedWindows(pool, { nowMs, timeBudgetMs: 3_600_000 });
    const compacted = nodeCpuSeconds() + postgresCpuSeconds(pgData);
    compactionCpuS += compacted - before;
    // What autovacuum does when it keeps up: the deleted raw rows and the dead versions of rewritten chunks become
    // free space the next writes reuse.
    if (c.chunks + c.rollups.chunks > 0) await pool.query(`VACUUM ${VACUUMED_TABLES}`);
    vacuumCpuS += nodeCpuSeconds() + postgresCpuSeconds(pgData) - compacted;
    return c;
  };
  for (let r = 0; r < rounds; r++) {
    world.step(stepMs / 1000);
    const at = t0 + r * stepMs; // the round's slot; each target's samples are stamped as the scraper would
    for (const [i, h] of hosts.entries()) ingest.ingestText(renderGpuHostMetrics(world, h), 'dcgm', { targetId: null, nowMs: simulatedScrapeStampMs(at, r, i, stepMs) });
    ingest.ingestText(renderFacilityMetrics(world, inventory.sites[0]!.id), 'plenum', { targetId: null, nowMs: simulatedScrapeStampMs(at + 3, r, hosts.length, stepMs) });
    if (r % 30 === 29) {
      await ingest.flush();
      await runRollups(pool);
      if (rawBytesPerSample === 0 && at - t0 >= COMPACTION_WINDOW_MS + 600_000) {
        // The write table's and the open rollup hour's bytes per row, before compaction first deletes from them.
        const raw = await partitionBytes(pool, 'telemetry_sample_blocks');
        rawBytesPerSample = raw.withRows / Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM telemetry_samples')).rows[0]!.n);
        const minute = await partitionBytes(pool, 'telemetry_rollup_1m_blocks');
        minuteRowBytes = minute.withRows / Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM telemetry_rollup_1m')).rows[0]!.n);
      }
      if (rawBytesPerSample > 0) {
        const c = await compact(at);
        samples += c.samples;
        buckets += c.rollups.buckets;
        chunkWrites += c.chunks;
      }
    }
  }
  await ingest.flush();
  await ingest.stop();
  await runRollups(pool, { nowMs: Date.now() + 3_600_000 });
  const last = await compact(t0 + MAX_CHUNK_SPAN_MS + 3_600_000);
  samples += last.samples;
  buckets += last.rollups.buckets;
  chunkWrites += last.chunks;
  const left = Number((await pool.query<{ n: string }>('SELECT (SELECT count(*) FROM telemetry_samples) + (SELECT count(*) FROM telemetry_rollup_1m) AS n')).rows[0]!.n);
  if (left !== 0) throw new Error(`${left} rows left uncompacted`);
  const count = async (sql: string) => Number((await pool.query<{ n: string }>(sql)).rows[0]!.n);
  const chunkRows = await count('SELECT count(*) AS n FROM telemetry_chunks');
  const minuteChunkRows = await count('SELECT count(*) AS n FROM telemetry_rollup_1m_chunks');
  if ((await count('SELECT sum(count) AS n FROM telemetry_chunks')) !== samples) throw new Error('chunks do not hold every sample');
  await pool.query('VACUUM telemetry_chunks, telemetry_rollup_1m_chunks, telemetry_rollup_1h');
  const churn = {
    chunks: await partitionBytes(pool, 'telemetry_chunks'),
    minuteChunks: await partitionBytes(pool, 'telemetry_rollup_1m_chunks'),
    hour: await partitionBytes(pool, 'telemetry_rollup_1h'),
  };
  await pool.query('VACUUM FULL telemetry_chunks, telemetry_rollup_1m_chunks, telemetry_rollup_1h');
  const chunkTable = await partitionBytes(pool, 'telemetry_chunks');
  const minuteChunks = await partitionBytes(pool, 'telemetry_rollup_1m_chunks');
  const hourTable = await partitionBytes(pool, 'telemetry_rollup_1h');
  const payload = await count('SELECT sum(octet_length(data))::bigint AS n FROM telemetry_chunks');
  const minutePayload = await count('SELECT sum(octet_length(data))::bigint AS n FROM telemetry_rollup_1m_chunks');
  const rollup1hRows = await count('SELECT count(*) AS n FROM telemetry_rollup_1h');
  const perMinute = 60_000 / stepMs;
  const samplesPerBucket = samples / buckets;
  const parts = {
    chunkPayload: payload / samples,
    chunkRowsAndIndex: (chunkTable.withRows - payload) / samples,
    writeTableInFlight: (rawBytesPerSample * (COMPACTION_WINDOW_MS + 600_000)) / (7 * 86_400_000),
    rollup1mPayload: minutePayload / samples,
    rollup1mRowsAndIndex: (minuteChunks.withRows - minutePayload) / samples,
    rollup1mRowTableInFlight: (minuteRowBytes * (ROLLUP_WINDOW_MS + 600_000)) / (365 * 86_400_000) / perMinute,
    rollup1h: hourTable.withRows / samples,
  };
  const samplesOnly = parts.chunkPayload + parts.chunkRowsAndIndex + parts.writeTableInFlight;
  const total = samplesOnly + parts.rollup1mPayload + parts.rollup1mRowsAndIndex + parts.rollup1mRowTableInFlight + parts.rollup1h;
  const emptyPartitionBytes = chunkTable.all - chunkTable.withRows + minuteChunks.all - minuteChunks.withRows + hourTable.all - hourTable.withRows;
  return {
    hours: MAX_CHUNK_SPAN_MS / 3_600_000,
    samples,
    series: await count('SELECT count(DISTINCT series_id) AS n FROM telemetry_chunks'),
    samplesPerChunk: r1(samples / chunkRows),
    chunkWrites,
    compactionCpuUsPerSample: r3((compactionCpuS / samples) * 1e6),
    vacuumCpuUsPerSample: r3((vacuumCpuS / samples) * 1e6),
    minuteBucketsPerChunk: r1(buckets / minuteChunkRows),
    samplesPerMinuteBucket: r3(samplesPerBucket),
    rollup1hRows,
    rawBytesPerSample: r1(rawBytesPerSample),
    rollup1mRowBytes: r1(minuteRowBytes),
    parts: Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, r3(v)])),
    samplesOnly: r3(samplesOnly),
    total: r3(total),
    withChurn: {
      chunks: r3((churn.chunks.withRows - chunkTable.withRows) / samples),
      rollup1mChunks: r3((churn.minuteChunks.withRows - minuteChunks.withRows) / samples),
      rollup1h: r3((churn.hour.withRows - hourTable.withRows) / samples),
    },
    emptyPartitionBytes,
    totalWithEmptyPartitions: r3(total + emptyPartitionBytes / samples),
  };
}

async function main() {
  applyHeapGrowth(loadConfig().heapGrowthPercent);
  const started = machine();
  ensurePrometheus();
  const promVersion = spawnSync(PROMETHEUS, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
  process.env.PLENUM_SCRAPE_INTERVAL_MS = String(intervalMs);
  process.env.PLENUM_SIMULATOR = 'off';
  // --autovacuum-log FILE: every autovacuum and autoanalyze run, with its CPU (PostgreSQL's "system usage" line).
  const autovacuumLog = autovacuumLogFile ? createWriteStream(autovacuumLogFile) : undefined;
  let serverLog = '';
  const pg = await throwawayPostgres(
    { ...(profileDir ? STATEMENT_STATS_SETTINGS : {}), ...(autovacuumLog ? { log_autovacuum_min_duration: '0' } : {}), ...serverSettings },
    autovacuumLog &&
      ((text) => {
        autovacuumLog.write(`${text}\n`);
        serverLog += `${text}\n`;
      }),
  );
  process.env.DATABASE_URL = pg.url;
  const { pool, db } = createDb(pg.url);
  const promDir = await mkdtemp(path.join(tmpdir(), 'plenum-bench-prometheus-'));
  const runner = new WorkerRunner(db);
  let simulator: ChildProcess | undefined;
  let prometheus: ChildProcess | undefined;
  try {
    await runMigrations(pool);
    const seeded = await seedIfEmpty(db, seed);
    // A running site analysed its inventory long ago: without this, autovacuum's first analyses of the freshly seeded
    // tables (accelerators, devices, links, …) land in the measured window and are charged to the samples.
    await pool.query('VACUUM ANALYZE');

    // The simulator in its own process: it registers its endpoints as scrape targets.
    simulator = spawnSimulatorProcess(pg.url, { PLENUM_SCRAPE_INTERVAL_MS: String(intervalMs) });
    const serving = await waitForLine(simulator, /serving at (http:\/\/\S+)/, 300_000); // slow to start on a loaded machine
    console.error(`[bench] simulator at ${serving[1]}`);
    const disabled = allTargets
      ? 0
      : ((await pool.query(`UPDATE scrape_targets SET enabled = false WHERE managed_by = 'simulator' AND dialect = ANY($1)`, [[...COLLECTOR_DIALECTS]])).rowCount ?? 0);
    const urls = (await pool.query<{ url: string }>(`SELECT url FROM scrape_targets WHERE managed_by = 'simulator' AND enabled ORDER BY url`)).rows.map((r) => r.url);

    // Prometheus: the same endpoints, one static target each (its own `endpoint` label keeps their series apart).
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const targets = urls.map((u) => {
      const url = new URL(u);
      // Simulator targets carry a placeholder host: the world serves where it advertised (its log line).
      return `      - targets: ['${new URL(serving[1]!).host}']\n        labels: { __metrics_path__: '${url.pathname}', endpoint: '${url.pathname}' }`;
    });
    // Plenum evaluates its default alert rules (alerts.ts DEFAULT_RULES) every alertIntervalMs: Prometheus gets the same
    // rules over the same scraped series, at the same interval. (The rack-power-budget rule reads rack PDU power, which
    // comes from SNMP agents the same-work run disables: neither side finds a series for it.)
    const alertIntervalMs = telemetrySettings().alertIntervalMs;
    await writeFile(path.join(promDir, 'rules.yml'), PROMETHEUS_RULES);
    await writeFile(
      path.join(promDir, 'prometheus.yml'),
      `global:\n  scrape_interval: ${intervalMs / 1000}s\n  scrape_timeout: ${Math.min(intervalMs, 5000) / 1000}s\n  evaluation_interval: ${alertIntervalMs / 1000}s\nrule_files: ['${path.join(promDir, 'rules.yml')}']\nscrape_configs:\n  - job_name: simulator\n    static_configs:\n${targets.join('\n')}\n`,
    );
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${path.join(promDir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(promDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=7d',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const promBase = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${promBase}/-/ready`)).ok) break;
      } catch {
        // not listening yet
      }
      if (i > 120) throw new Error('prometheus did not become ready');
      await sleep(500);
    }

    if (!alignWindow) {
      // Everything the run stores must fall in one compaction window: across a boundary the end-of-run compaction
      // writes two chunks per series instead of one, twice the work charged to the same samples (seen 2026-12-06: 25.5
      // against 9.7-11.7 µs per sample).
      const storesMs = 3 * intervalMs + seconds * 1000 + 60_000;
      if (windowStartMs(Date.now() + storesMs) !== windowStartMs(Date.now())) {
        const next = windowStartMs(Date.now()) + COMPACTION_WINDOW_MS;
        console.error(`[bench] waiting for the compaction window at ${new Date(next).toISOString()} (the run must not straddle one)`);
        await sleep(next + 5_000 - Date.now());
      }
    }
    for (const w of await telemetryWorkers(pool, (l) => console.error(`[bench] ${l}`))) runner.add(w);
    runner.start();
    const ingest = getProcessIngest()!;
    // Warm-up: every series created, line caches filled, both sides scraping.
    await sleep(3 * intervalMs);

    // Prometheus must really evaluate the rules (a typo in rules.yml would make it skip them and look cheaper).
    const rules = (await (await fetch(`${promBase}/api/v1/rules`)).json()) as { data: { groups: { rules: { health: string; name: string }[] }[] } };
    const evaluated = rules.data.groups.flatMap((g) => g.rules).filter((r) => r.health === 'ok');
    const written = (PROMETHEUS_RULES.match(/alert:/g) ?? []).length;
    if (evaluated.length !== written) throw new Error(`Prometheus evaluates ${evaluated.length} of ${written} alerting rules: ${JSON.stringify(rules.data)}`);
    /** With --align-window: when the measurement ends (WINDOW_END_MARGIN_MS before its window does). */
    let measureEndMs: number | undefined;
    if (alignWindow) {
      // The next window's start (plus 10 s for the flushes of scrapes stamped before it), then the warm-up's window
      // compacted outside the measured window: the measured window's samples are later appended to those chunks.
      const windowStart = windowStartMs(Date.now()) + COMPACTION_WINDOW_MS;
      console.error(`[bench] waiting for the compaction window at ${new Date(windowStart).toISOString()}`);
      await sleep(windowStart + 10_000 - Date.now());
      let warm = await compactClosedWindows(pool, { nowMs: windowStart + MIN_COMPACTION_AGE_MS + 1_000, timeBudgetMs: 3_600_000 });
      // Skipped while the compaction worker holds its lock (it finds nothing to do here and lets go).
      while (warm.skipped) {
        await sleep(500);
        warm = await compactClosedWindows(pool, { nowMs: windowStart + MIN_COMPACTION_AGE_MS + 1_000, timeBudgetMs: 3_600_000 });
      }
      console.error(`[bench] warm-up window compacted: ${warm.samples} samples into ${warm.chunks} chunks`);
      measureEndMs = windowStart + COMPACTION_WINDOW_MS - WINDOW_END_MARGIN_MS;
    }
    const profile = profileDir ? await WindowProfile.start(pool, profileDir, { allocations: process.argv.includes('--profile-allocations') }) : undefined;
    const sessions = async () => Number((await pool.query<{ n: string }>('SELECT sum(sessions) AS n FROM pg_stat_database')).rows[0]!.n);
    const sessions0 = await sessions();
    // What PostgreSQL's short-lived processes (the `exited` role) did in the window: autovacuum runs per table, and
    // parallel query workers (pg_stat_database has their count from PostgreSQL 18).
    const background = async () => {
      const tables = await pool.query<{ relname: string; runs: string }>(
        'SELECT relname, autovacuum_count + autoanalyze_count AS runs FROM pg_stat_user_tables WHERE autovacuum_count + autoanalyze_count > 0',
      );
      const parallel = await pool.query<{ n: string | null }>(`SELECT sum((to_jsonb(d) ->> 'parallel_workers_launched')::bigint) AS n FROM pg_stat_database d`);
      return { tables: new Map(tables.rows.map((r) => [r.relname, Number(r.runs)])), parallelWorkers: Number(parallel.rows[0]!.n ?? Number.NaN) };
    };
    const background0 = await background();
    const pg0 = postgresCpuSnapshot(pg.pgData);
    const t0 = { node: nodeCpuSeconds(), nodeMain: nodeMainThreadCpuSeconds(), prom: processCpuSeconds(prometheus.pid!), plenumSamples: ingest.stats.writtenSamples, promSamples: await promSamplesAppended(promBase), at: Date.now() };
    const measureMs = measureEndMs !== undefined ? measureEndMs - Date.now() : seconds * 1000;
    console.error(`[bench] measuring ${Math.round(measureMs / 1000)} s`);
    await sleep(measureMs);
    const roles = postgresCpuBetween(pg0, postgresCpuSnapshot(pg.pgData));
    const sessions1 = await sessions();
    const background1 = await background();
    const autovacuumRuns = Object.fromEntries(
      [...background1.tables].map(([name, runs]) => [name, runs - (background0.tables.get(name) ?? 0)]).filter(([, runs]) => Number(runs) > 0),
    );
    const t1 = { node: nodeCpuSeconds(), nodeMain: nodeMainThreadCpuSeconds(), prom: processCpuSeconds(prometheus.pid!), plenumSamples: ingest.stats.writtenSamples, promSamples: await promSamplesAppended(promBase), at: Date.now() };
    const where = await profile?.stop(t1.plenumSamples - t0.plenumSamples);
    await runner.stop();
    await ingest.flush();

    // Compaction of everything stored (its CPU is part of each sample's cost).
    const c0 = { node: nodeCpuSeconds(), pg: postgresCpuSeconds(pg.pgData) };
    const compaction = await compactClosedWindows(pool, { nowMs: Date.now() + 2 * 3_600_000, timeBudgetMs: 3_600_000 });
    const c1 = { node: nodeCpuSeconds(), pg: postgresCpuSeconds(pg.pgData) };
    // What autovacuum does in production: the deleted raw rows, the consumed queue rows, the rollups' superseded row
    // versions are reclaimed. Its CPU is part of each sample's cost (runs before 2026-12-05 16:20 did not count it).
    await pool.query(`VACUUM ${VACUUMED_TABLES}`);
    const c2 = { node: nodeCpuSeconds(), pg: postgresCpuSeconds(pg.pgData) };

    const plenumSamples = t1.plenumSamples - t0.plenumSamples;
    const promSamples = t1.promSamples - t0.promSamples;
    const compactionCpu = c1.node - c0.node + (c1.pg - c0.pg);
    const storedSamples = Number((await pool.query<{ n: string }>('SELECT (SELECT coalesce(sum(count), 0) FROM telemetry_chunks) + (SELECT count(*) FROM telemetry_samples) AS n')).rows[0]!.n);
    const plenumCpuUs = {
      node: ((t1.node - t0.node) / plenumSamples) * 1e6,
      postgres: (totalCpuSeconds(roles) / plenumSamples) * 1e6,
      compaction: (compactionCpu / compaction.samples) * 1e6,
      vacuum: ((c2.node - c1.node + (c2.pg - c1.pg)) / compaction.samples) * 1e6,
    };
    const plenumCpuPerSampleUs = plenumCpuUs.node + plenumCpuUs.postgres + plenumCpuUs.compaction + plenumCpuUs.vacuum;
    const promCpuPerSampleUs = ((t1.prom - t0.prom) / promSamples) * 1e6;

    // Disk, per relation family (partitions, indexes and TOAST included).
    const sizes = await pool.query<{ family: string; bytes: string; rows: string }>(
      `SELECT family, sum(pg_total_relation_size(c.oid))::bigint AS bytes
         FROM (SELECT c.oid, coalesce(p.relname, c.relname) AS family
                 FROM pg_class c LEFT JOIN pg_inherits i ON i.inhrelid = c.oid LEFT JOIN pg_class p ON p.oid = i.inhparent
                WHERE c.relkind = 'r' AND coalesce(p.relname, c.relname) IN
                      ('telemetry_sample_blocks', 'telemetry_chunks', 'telemetry_rollup_1m_blocks', 'telemetry_rollup_1m_chunks', 'telemetry_rollup_1h', 'telemetry_series', 'telemetry_dirty_minutes')) c
        GROUP BY family ORDER BY family`,
    );
    const bytes = Object.fromEntries(sizes.rows.map((r) => [r.family, Number(r.bytes)]));
    const plenumBytes = Object.values(bytes).reduce((a, b) => a + b, 0);
    const chunkStats = (
      await pool.query<{ rows: string; payload: string; samples: string }>('SELECT count(*) AS rows, coalesce(sum(octet_length(data)), 0) AS payload, coalesce(sum(count), 0) AS samples FROM telemetry_chunks')
    ).rows[0]!;
    const chunkRows = Number(chunkStats.rows);
    const payloadPerSample = Number(chunkStats.payload) / Number(chunkStats.samples);
    const promBytes = folderBytes(path.join(promDir, 'data'));

    // One GPU host's power (its 8 GPUs' series), 24 h at 1-minute resolution, both sides (only the run's minutes hold
    // data). Both sides store it from the same dcgm text. (Runs before 2026-12-05 13:30 asked for per-rack PDU power,
    // which the scraped facility text no longer carries since rack PDUs moved to SNMP: Prometheus answered 0 points.)
    const hosts = (await pool.query<{ hostname: string }>(`SELECT DISTINCT hostname FROM telemetry_series WHERE metric = 'gpu_power_w' AND hostname IS NOT NULL ORDER BY hostname`)).rows.map(
      (r) => r.hostname,
    );
    if (hosts.length === 0) throw new Error('no GPU power series stored: nothing to query');
    const plenumMs: number[] = [];
    const promMs: number[] = [];
    let plenumPoints = 0;
    let promPoints = 0;
    for (let i = 0; i < reps; i++) {
      const host = hosts[i % hosts.length]!;
      let t = performance.now();
      const r = await queryTelemetry(pool, { metric: 'gpu_power_w', entity: host, sinceMs: 86_400_000, resolution: '1m' });
      plenumMs.push(performance.now() - t);
      plenumPoints += r.series.reduce((n, s) => n + s.points.length, 0);
      const end = Date.now() / 1000;
      const q = new URLSearchParams({ query: `DCGM_FI_DEV_POWER_USAGE{Hostname="${host}"}`, start: String(end - 86_400), end: String(end), step: '60' });
      t = performance.now();
      const body = (await (await fetch(`${promBase}/api/v1/query_range?${q}`)).json()) as { data: { result: { values: unknown[] }[] } };
      promMs.push(performance.now() - t);
      promPoints += body.data.result.reduce((n, s) => n + s.values.length, 0);
    }
    if (plenumPoints === 0 || promPoints === 0) throw new Error(`the host power query found no points (Plenum ${plenumPoints}, Prometheus ${promPoints}): the comparison would be empty`);

    await stopByPid(prometheus);
    const fullWindows = cpuOnly ? undefined : await measureFullWindows(pool, intervalMs, pg.pgData);

    const result = {
      bench: 'versus-prometheus',
      machine: started,
      prometheus: promVersion,
      seed,
      gpus: seeded.gpus,
      endpoints: urls.length,
      collectorTargetsDisabled: disabled,
      intervalMs,
      alertIntervalMs,
      // Connections PostgreSQL accepted during the window (each a new backend process that warms its caches).
      postgresSessions: sessions1 - sessions0,
      postgresBackgroundInWindow: {
        autovacuumRuns,
        parallelWorkers: background1.parallelWorkers - background0.parallelWorkers,
        ...(autovacuumLog ? { autovacuumCpuSeconds: autovacuumCpu(serverLog, t0.at, t1.at) } : {}),
      },
      measuredSeconds: r1((t1.at - t0.at) / 1000),
      measuredFrom: new Date(t0.at).toISOString(),
      alignWindow,
      samples: { plenum: plenumSamples, prometheus: promSamples, plenumStoredAtEnd: storedSamples },
      cpuPerSampleUs: {
        plenum: r3(plenumCpuPerSampleUs),
        plenumParts: { node: r3(plenumCpuUs.node), postgres: r3(plenumCpuUs.postgres), compaction: r3(plenumCpuUs.compaction), vacuum: r3(plenumCpuUs.vacuum) },
        // Node's part split by thread: the JavaScript thread, and the others (V8's garbage collection and compiler
        // helpers, libuv).
        nodeThreads: { main: r3(((t1.nodeMain - t0.nodeMain) / plenumSamples) * 1e6), helpers: r3(((t1.node - t1.nodeMain - (t0.node - t0.nodeMain)) / plenumSamples) * 1e6) },
        // PostgreSQL's part by process role (postgresCpuBetween), µs per sample: backends run our statements; the rest
        // is WAL, checkpoints, vacuum.
        postgresByRole: Object.fromEntries(Object.entries(roles).map(([k, cpuS]) => [k, r3((cpuS / plenumSamples) * 1e6)])),
        prometheus: r3(promCpuPerSampleUs),
        ratio: r3(plenumCpuPerSampleUs / promCpuPerSampleUs),
      },
      bytesPerSample: {
        plenumMeasured: r3(plenumBytes / storedSamples),
        plenumMeasuredParts: Object.fromEntries(Object.entries(bytes).map(([k, v]) => [k, r3(v / storedSamples)])),
        plenumFullWindows: fullWindows,
        prometheusMeasured: r3(promBytes / promSamples),
        ratioMeasured: r3(plenumBytes / storedSamples / (promBytes / promSamples)),
        ratioFullWindows: fullWindows && r3(fullWindows.total / (promBytes / promSamples)),
        ratioFullWindowsSamplesOnly: fullWindows && r3(fullWindows.samplesOnly / (promBytes / promSamples)),
      },
      compaction: { ...compaction, chunkRows, samplesPerChunk: r1(Number(chunkStats.samples) / chunkRows), payloadBytesPerSample: r3(payloadPerSample), cpuSeconds: r3(compactionCpu) },
      hostGpuPower24h1m: {
        reps,
        plenumMs: { p50: r1(pct(plenumMs, 50)), p95: r1(pct(plenumMs, 95)) },
        prometheusMs: { p50: r1(pct(promMs, 50)), p95: r1(pct(promMs, 95)) },
        pointsPerQuery: { plenum: Math.round(plenumPoints / reps), prometheus: Math.round(promPoints / reps) },
      },
      machineAtEnd: machine(),
      cpuWhere: where,
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await runner.stop().catch(() => {});
    await stopByPid(prometheus);
    await stopByPid(simulator);
    await pool.end().catch(() => {});
    await pg.stop();
    await rm(promDir, { recursive: true, force: true });
    if (autovacuumLog) await new Promise((resolve) => autovacuumLog.end(resolve));
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
