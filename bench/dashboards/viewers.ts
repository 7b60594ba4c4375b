/**
 * 200 concurrent dashboard viewers against 2 instances on one PostgreSQL (loopback, this machine).
 *
 *   npm run bench:viewers -- [--viewers 200] [--instances 2] [--seconds 60] [--scrape 10000] [--tree DIR]
 *
 * A throwaway embedded PostgreSQL with the demo seed; instance 1 (bench/dashboards/instance.ts) migrates, seeds and
 * runs the telemetry workers (simulator, scrapers, ingest, rollups), the others serve `/api/trpc` only. Viewers are
 * spread round-robin over the instances; each opens one live dashboard subscription over SSE (overview, power, thermal
 * of a hall, utilisation, in turn) and, like the pages, queries `dashboards.overview` and `dashboards.trends` (last
 * hour) every 10 s, starting at a random offset.
 *
 * Live-update latency: this process LISTENs on the telemetry channel; for each viewer, the time from the first
 * NOTIFY (a committed flush) after its previous event to its next event. Query latency: request to full response.
 * Errors: non-200 answers, failed or dropped streams. `--tree DIR` runs the instances from another checkout (the
 * "before" measurement: copy bench/dashboards/instance.ts there first).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import superjson from 'superjson';
import { arg, machine, pct, throwawayPostgres } from '../telemetry/common';

const viewers = Number(arg('viewers', '200'));
const instanceCount = Number(arg('instances', '2'));
const seconds = Number(arg('seconds', '60'));
const scrapeMs = Number(arg('scrape', '10000'));
const tree = path.resolve(arg('tree', process.cwd()));
const QUERY_EVERY_MS = 10_000;
const WARMUP_MS = 15_000;

type Instance = { child: ChildProcess; port: number; token?: string };

function startInstance(url: string, index: number): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/dashboards/instance.ts'], {
    cwd: tree,
    env: {
      ...process.env,
      DATABASE_URL: url,
      BENCH_SETUP: index === 0 ? '1' : '0',
      BENCH_WORKERS: index === 0 ? '1' : '0',
      PLENUM_SCRAPE_INTERVAL_MS: String(scrapeMs),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      const ready = JSON.parse(line) as { port: number; token?: string };
      resolve({ child, port: ready.port, token: ready.token });
    });
    child.once('exit', (code) => reject(new Error(`instance ${index + 1} exited with ${code}`)));
  });
}

// A connection per query: between two rounds (10 s) a kept-alive socket outlives the server's 5 s keep-alive timeout,
// and reusing one the server is closing fails with ECONNRESET (a browser retries those; this client would count them).
const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });

function trpcPath(procedure: string, input: unknown): string {
  return `/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(superjson.serialize(input)))}`;
}

function get(port: number, token: string, pathname: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname, agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** An SSE stream: calls onEvent for each data event; resolves when the stream ends (an error if it ends early). */
function subscribe(port: number, token: string, pathname: string, onEvent: () => void, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname, agent: false, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`SSE HTTP ${res.statusCode}`));
        return;
      }
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        for (let end = buf.indexOf('\n\n'); end >= 0; end = buf.indexOf('\n\n')) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const name = /^event: ?(.*)$/m.exec(block)?.[1];
          if (name === 'serialized-error') reject(new Error(`SSE error event: ${block.slice(0, 200)}`));
          if (name && name !== 'message') continue;
          if (block.split('\n').some((l) => l.startsWith('data:'))) onEvent();
        }
      });
      res.on('end', () => (signal.aborted ? resolve() : reject(new Error('SSE stream ended early'))));
      res.on('error', (e) => (signal.aborted ? resolve() : reject(e)));
    });
    req.on('error', (e) => (signal.aborted ? resolve() : reject(e)));
  });
}

async function main() {
  const startedOn = machine();
  const db = await throwawayPostgres();
  const instances: Instance[] = [];
  const listener = new pg.Client({ connectionString: db.url });
  const abort = new AbortController();
  try {
    instances.push(await startInstance(db.url, 0));
    for (let i = 1; i < instanceCount; i++) instances.push(await startInstance(db.url, i));
    const token = instances[0]!.token!;
    await listener.connect();
    const { siteId, hallId } = (
      await listener.query<{ siteId: number; hallId: number }>(`SELECT s.id AS "siteId", min(h.id) AS "hallId" FROM sites s JOIN halls h ON h.site_id = s.id GROUP BY s.id LIMIT 1`)
    ).rows[0]!;
    await new Promise((r) => setTimeout(r, WARMUP_MS));

    // Per viewer: when the first commit after its last event was heard (undefined: nothing pending).
    const pendingSince: (number | undefined)[] = new Array(viewers).fill(undefined);
    let measuring = false;
    let commits = 0;
    listener.on('notification', () => {
      if (!measuring) return;
      commits++;
      const at = Date.now();
      for (let v = 0; v < viewers; v++) pendingSince[v] ??= at;
    });
    await listener.query('LISTEN plenum_telemetry');

    const liveMs: number[] = [];
    const queryMs: number[] = [];
    const errors: string[] = [];
    let events = 0;
    const kinds = [
      { procedure: 'dashboards.overviewLive', input: { siteId } },
      { procedure: 'dashboards.powerLive', input: { siteId } },
      { procedure: 'dashboards.thermalLive', input: { hallId } },
      { procedure: 'dashboards.utilisationLive', input: { siteId } },
    ];
    const sessions: Promise<void>[] = [];
    const firstEvent: Promise<void>[] = [];
    for (let v = 0; v < viewers; v++) {
      const port = instances[v % instances.length]!.port;
      const kind = kinds[v % kinds.length]!;
      let first: () => void = () => {};
      firstEvent.push(new Promise((r) => (first = r)));
      sessions.push(
        subscribe(
          port,
          token,
          trpcPath(kind.procedure, kind.input),
          () => {
            first();
            events++;
            const since = pendingSince[v];
            if (since !== undefined && measuring) liveMs.push(Date.now() - since);
            pendingSince[v] = undefined;
          },
          abort.signal,
        ).catch((e: Error) => {
          first();
          errors.push(`${kind.procedure}: ${e.message}`);
        }),
      );
      // The pages' periodic queries, each viewer at its own phase.
      sessions.push(
        (async () => {
          await new Promise((r) => setTimeout(r, Math.random() * QUERY_EVERY_MS));
          while (!abort.signal.aborted) {
            for (const [procedure, input] of [
              ['dashboards.overview', { siteId }],
              ['dashboards.trends', { siteId, sinceMs: 3_600_000 }],
            ] as const) {
              const t0 = Date.now();
              try {
                const { status } = await get(port, token, trpcPath(procedure, input));
                if (measuring) queryMs.push(Date.now() - t0);
                if (status !== 200) errors.push(`${procedure}: HTTP ${status}`);
              } catch (e) {
                if (!abort.signal.aborted) errors.push(`${procedure}: ${(e as Error).message}`);
              }
            }
            await new Promise((r) => setTimeout(r, QUERY_EVERY_MS));
          }
        })(),
      );
    }
    const t0 = Date.now();
    await Promise.all(firstEvent);
    const allSubscribedMs = Date.now() - t0;
    pendingSince.fill(undefined);
    measuring = true;
    await new Promise((r) => setTimeout(r, seconds * 1000));
    measuring = false;
    abort.abort();
    await Promise.allSettled(sessions);
    const ms = (xs: number[], p: number) => Math.round(pct(xs, p));
    console.log(
      JSON.stringify(
        {
          bench: 'dashboard-viewers',
          date: new Date().toISOString(),
          machine: startedOn,
          tree,
          viewers,
          instances: instanceCount,
          seconds,
          scrapeIntervalMs: scrapeMs,
          allSubscribedMs,
          commits,
          liveEvents: events,
          live: { n: liveMs.length, p50Ms: ms(liveMs, 50), p95Ms: ms(liveMs, 95), p99Ms: ms(liveMs, 99), maxMs: Math.max(0, ...liveMs) },
          query: { n: queryMs.length, p50Ms: ms(queryMs, 50), p95Ms: ms(queryMs, 95), p99Ms: ms(queryMs, 99), maxMs: Math.max(0, ...queryMs) },
          errors: errors.length,
          firstErrors: errors.slice(0, 5),
          machineAtEnd: machine(),
        },
        null,
        2,
      ),
    );
  } finally {
    abort.abort();
    await listener.end().catch(() => {});
    for (const { child } of instances) child.kill('SIGTERM');
    await Promise.all(instances.map(({ child }) => new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)))));
    await db.stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
