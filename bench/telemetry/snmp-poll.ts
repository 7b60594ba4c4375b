/**
 * Polling 2,000 rack PDUs over SNMP from one Plenum instance: can the `snmp` collector read every PDU (24 outlets,
 * APC rPDU2 profile) once per 30 s without a poll falling behind, and what does it cost in CPU per 1,000 OIDs?
 *
 *   npm run bench:snmp -- [--pdus 2000] [--interval-ms 30000] [--cycles 3] [--concurrency 16] [--json]
 *
 * Set-up: the simulator's SNMP agents (simulator/protocols/snmp-agent.ts, one agent and UDP port per PDU) run in a
 * child process of this script (`--serve`), over a World of N/2 racks with an A and a B PDU each and four CPU servers
 * per rack (their load on outlets 1-4), stepped every 5 s. This process is the poller only: the collector
 * (`snmpCollector.collect`, exactly what the scraper calls for a target) under the scraper's concurrency limit, each
 * PDU due every interval, first polls spread over the first interval as the scraper spreads them.
 *
 * A poll is on time when it starts at its due time (within 1 s: the event loop kept up and a concurrency slot was
 * free) and finishes before the same PDU is due again; otherwise it fell behind. CPU: this process's user + system
 * time (process.cpuUsage) per cycle (one interval), divided by the OIDs read in it (varbinds the walks and GETs
 * returned). Reported: medians over the cycles after the first (which includes start-up).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { snmpCollector } from '../../src/server/services/telemetry/collectors/snmp';
import type { SimInventory, SimRack } from '../../simulator/inventory';
import { SIM_SNMP_COMMUNITY, SimSnmpAgents } from '../../simulator/protocols/snmp-agent';
import { World } from '../../simulator/world';

type Args = { pdus: number; intervalMs: number; cycles: number; concurrency: number; json: boolean; serve: boolean };

function parseArgs(argv: string[]): Args {
  const args: Args = { pdus: 2000, intervalMs: 30_000, cycles: 3, concurrency: 16, json: false, serve: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${a}: expects a positive number`);
      return v;
    };
    if (a === '--pdus') args.pdus = Math.round(next());
    else if (a === '--interval-ms') args.intervalMs = next();
    else if (a === '--cycles') args.cycles = Math.round(next());
    else if (a === '--concurrency') args.concurrency = Math.round(next());
    else if (a === '--json') args.json = true;
    else if (a === '--serve') args.serve = true;
    else throw new Error(`unknown argument ${a} (--pdus N --interval-ms MS --cycles N --concurrency N --json)`);
  }
  return args;
}

/** N/2 racks, each with an A and a B rack PDU and four CPU-only servers (outlets 1-4 carry them). */
function benchInventory(pdus: number): SimInventory {
  const racks: SimRack[] = Array.from({ length: Math.ceil(pdus / 2) }, (_, r) => ({
    id: `rack-${r + 1}`,
    pdus: [
      { id: `pdu-${r + 1}-a`, feed: 'A' as const, capacityKw: 17.3 },
      { id: `pdu-${r + 1}-b`, feed: 'B' as const, capacityKw: 17.3 },
    ].slice(0, Math.min(2, pdus - r * 2)),
    servers: Array.from({ length: 4 }, (_, s) => ({ id: `srv-${r + 1}-${s + 1}`, hostname: `node-${r + 1}-${s + 1}`, gpus: [] })),
  }));
  return { sites: [{ id: 'bench', halls: [{ id: 'hall-1', racks }] }] };
}

/** Child mode: serve the agents, print their ports as one JSON line, step the world until stdin closes. */
async function serve(args: Args): Promise<void> {
  const world = new World(benchInventory(args.pdus), { seed: 1 });
  world.step(10);
  const agents = new SimSnmpAgents(() => world, { host: '127.0.0.1', basePort: 0 });
  await agents.sync();
  process.stdout.write(`${JSON.stringify(agents.devices().map((d) => ({ name: d.name, port: d.port })))}\n`);
  const timer = setInterval(() => world.step(5), 5_000);
  process.stdin.resume();
  await new Promise<void>((resolve) => process.stdin.once('end', resolve));
  clearInterval(timer);
  await agents.stop();
}

async function startAgents(args: Args): Promise<{ child: ChildProcess; devices: { name: string; port: number }[] }> {
  // The child runs with this process's Node flags (tsx's loader, --cpu-prof when profiling).
  const nodeArgs = process.execArgv.some((a) => a.includes('tsx')) ? process.execArgv : [...process.execArgv, '--import', 'tsx'];
  const child = spawn(process.execPath, [...nodeArgs, new URL(import.meta.url).pathname, '--serve', '--pdus', String(args.pdus)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const devices = await new Promise<{ name: string; port: number }[]>((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const newline = buffer.indexOf('\n');
      if (newline >= 0) resolve(JSON.parse(buffer.slice(0, newline)));
    });
    child.once('exit', (code) => reject(new Error(`the agent process exited with ${code} before it served`)));
  });
  return { child, devices };
}

/** User + system CPU of another process so far, ms (from /proc: the agents' process). */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat; after "pid (comm) " they are at 11 and 12.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : Number.NaN;
};
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : Number.NaN;
};

type Cycle = { polls: number; read: number; onTime: number; late: number; failed: number; oids: number; cpuMs: number; startLagMs: number[]; durationMs: number[] };

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.serve) return serve(args);

  const startedAgents = Date.now();
  const { child, devices } = await startAgents(args);
  const agentStartS = (Date.now() - startedAgents) / 1000;
  const n = devices.length;
  const cycles: Cycle[] = Array.from({ length: args.cycles }, () => ({ polls: 0, read: 0, onTime: 0, late: 0, failed: 0, oids: 0, cpuMs: 0, startLagMs: [], durationMs: [] }));
  const errors = new Map<string, number>();

  // The scraper's concurrency limit: a poll waits for a slot.
  let running = 0;
  const waiting: (() => void)[] = [];
  const slot = async () => {
    if (running < args.concurrency) {
      running++;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };

  const t0 = performance.now() + 1_000;
  const busyUntil = new Array<number>(n).fill(0);
  const cycleCpu: NodeJS.CpuUsage[] = [];
  const agentCpuAtStart = processCpuMs(child.pid!);
  const cpuAtStart = process.cpuUsage();
  const polls: Promise<void>[] = [];

  const poll = async (i: number, cycle: number, dueMs: number) => {
    const c = cycles[cycle]!;
    if (busyUntil[i]! > dueMs) {
      // The previous poll of this PDU is still running: this one fell behind before it started.
      c.polls++;
      c.late++;
      return;
    }
    busyUntil[i] = Number.POSITIVE_INFINITY;
    await slot();
    const startMs = performance.now();
    const lag = startMs - dueMs;
    try {
      const samples = await snmpCollector.collect(
        {
          id: i + 1,
          url: `snmp://127.0.0.1:${devices[i]!.port}`,
          dialect: 'snmp',
          timeoutMs: 5_000,
          options: { profile: 'apc-rpdu2' },
          credentials: { community: SIM_SNMP_COMMUNITY },
          facility: { name: devices[i]!.name, siteSlug: 'bench' },
        },
        { signal: AbortSignal.timeout(args.intervalMs), guard: null, nowMs: Date.now() },
      );
      const end = performance.now();
      c.polls++;
      c.read++;
      // OIDs read: one per reading, plus each outlet's two label cells (number and name); the varbinds past the end
      // of a column that end each walk are not counted.
      c.oids += samples.length + 2 * samples.filter((x) => x.name === 'plenum_pdu_outlet_power_w').length;
      c.startLagMs.push(lag);
      c.durationMs.push(end - startMs);
      if (lag <= 1_000 && end <= dueMs + args.intervalMs) c.onTime++;
      else c.late++;
    } catch (error) {
      c.polls++;
      c.failed++;
      const text = (error as Error).message;
      errors.set(text, (errors.get(text) ?? 0) + 1);
    } finally {
      busyUntil[i] = 0;
      release();
    }
  };

  // Schedule: PDU i is due at t0 + i × interval / n + k × interval, for k = 0 .. cycles − 1.
  for (let k = 0; k < args.cycles; k++) {
    const cycleStart = t0 + k * args.intervalMs;
    setTimeout(() => cycleCpu.push(process.cpuUsage()), Math.max(0, cycleStart - performance.now()));
    for (let i = 0; i < n; i++) {
      const dueMs = cycleStart + (i * args.intervalMs) / n;
      polls.push(
        new Promise<void>((resolve) => {
          setTimeout(() => poll(i, k, dueMs).then(resolve, resolve), Math.max(0, dueMs - performance.now()));
        }),
      );
    }
  }
  // Each cycle's CPU ends when the next begins (the last one when every poll has finished).
  await Promise.all(polls);
  cycleCpu.push(process.cpuUsage());
  const cpuAll = process.cpuUsage(cpuAtStart);
  const pollerCpuMs = (cpuAll.user + cpuAll.system) / 1000;
  const agentCpuMs = processCpuMs(child.pid!) - agentCpuAtStart;
  const wallMs = performance.now() - t0;
  for (let k = 0; k < args.cycles; k++) {
    const a = cycleCpu[k]!;
    const b = cycleCpu[k + 1]!;
    cycles[k]!.cpuMs = (b.user - a.user + b.system - a.system) / 1000;
  }
  child.stdin!.end();
  await new Promise((resolve) => child.once('exit', resolve));

  const measured = cycles.length > 1 ? cycles.slice(1) : cycles;
  const result = {
    pdus: n,
    outletsPerPdu: 24,
    intervalMs: args.intervalMs,
    cycles: args.cycles,
    concurrency: args.concurrency,
    agentStartS: Math.round(agentStartS * 10) / 10,
    polls: cycles.reduce((a, c) => a + c.polls, 0),
    onTime: cycles.reduce((a, c) => a + c.onTime, 0),
    late: cycles.reduce((a, c) => a + c.late, 0),
    failed: cycles.reduce((a, c) => a + c.failed, 0),
    errors: Object.fromEntries(errors),
    oidsPerPoll: Math.round(median(measured.map((c) => c.oids / Math.max(1, c.read)))),
    medianCpuMsPerCycle: Math.round(median(measured.map((c) => c.cpuMs))),
    medianCpuMsPer1000Oids: Math.round(median(measured.map((c) => (c.cpuMs / Math.max(1, c.oids)) * 1000)) * 100) / 100,
    medianCpuPctOfOneCore: Math.round(median(measured.map((c) => (c.cpuMs / args.intervalMs) * 100)) * 10) / 10,
    // Whole run (start-up cycle included): what the poller and the simulated agents each spent per 1,000 OIDs read.
    runCpuMsPer1000Oids: {
      poller: Math.round((pollerCpuMs / Math.max(1, cycles.reduce((a, c) => a + c.oids, 0))) * 1000 * 100) / 100,
      agents: Math.round((agentCpuMs / Math.max(1, cycles.reduce((a, c) => a + c.oids, 0))) * 1000 * 100) / 100,
    },
    runCpuPctOfOneCore: { poller: Math.round((pollerCpuMs / wallMs) * 1000) / 10, agents: Math.round((agentCpuMs / wallMs) * 1000) / 10 },
    pollDurationMs: { p50: Math.round(median(measured.flatMap((c) => c.durationMs))), p99: Math.round(quantile(measured.flatMap((c) => c.durationMs), 0.99)) },
    startLagMs: { p50: Math.round(median(measured.flatMap((c) => c.startLagMs))), p99: Math.round(quantile(measured.flatMap((c) => c.startLagMs), 0.99)), max: Math.round(Math.max(0, ...measured.flatMap((c) => c.startLagMs))) },
    machine: `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)}, Node ${process.version}`,
  };
  if (args.json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(`SNMP poll: ${result.pdus} PDUs × ${result.outletsPerPdu} outlets every ${result.intervalMs / 1000} s, ${result.cycles} cycles, concurrency ${result.concurrency}`);
    console.log(`  polls ${result.polls}: on time ${result.onTime}, late ${result.late}, failed ${result.failed}`);
    console.log(`  OIDs per poll ${result.oidsPerPoll}; CPU per cycle ${result.medianCpuMsPerCycle} ms (${result.medianCpuPctOfOneCore} % of one core); CPU per 1,000 OIDs ${result.medianCpuMsPer1000Oids} ms (medians)`);
    console.log(`  whole run, CPU per 1,000 OIDs: poller ${result.runCpuMsPer1000Oids.poller} ms, simulated agents ${result.runCpuMsPer1000Oids.agents} ms; % of one core: poller ${result.runCpuPctOfOneCore.poller}, agents ${result.runCpuPctOfOneCore.agents}`);
    console.log(`  poll duration p50 ${result.pollDurationMs.p50} ms, p99 ${result.pollDurationMs.p99} ms; start lag p50 ${result.startLagMs.p50} ms, p99 ${result.startLagMs.p99} ms, max ${result.startLagMs.max} ms`);
    console.log(`  ${result.machine}`);
    if (result.failed) console.log(`  errors: ${JSON.stringify(result.errors)}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
