/**
 * Live latency: from a change in the simulated world to a tRPC SSE subscriber receiving a point that reflects it.
 * The demo seed (672 GPUs) with the simulator, scrapers, ingest and the other telemetry workers as `npm start` runs
 * them (telemetryWorkers on a WorkerRunner) at a 1 s scrape interval, plus a loopback HTTP server that hands requests
 * to the real `/api/trpc` handler (handleTrpcRequest: bearer-token auth, fetchRequestHandler, SSE). The client opens
 * `telemetry.live` for `gpu_xid_last` of one GPU over HTTP (bearer token of a throwaway admin) and parses the SSE
 * stream itself.
 *
 *   npx tsx bench/telemetry/live-latency.ts [--reps 30] [--interval 1000]
 *
 * Each rep waits a random 0–1 s (so injections fall anywhere in the scrape cycle), injects an XID fault with a code
 * different from the last one through the SimulatorHost (as tRPC simulator.inject does), and times until an SSE event
 * arrives whose latest point carries that code. It also records the sample's timestamp (the scrape that first saw it),
 * to split the latency into "waiting for a scrape" and "scrape → commit → NOTIFY → re-query → SSE". The fault is
 * cleared (code back to 0) and that change is timed too.
 */
import type http from 'node:http';
import superjson from 'superjson';
import { createFirstAdmin, createToken } from '../../src/server/auth/accounts';
import { createDb } from '../../src/server/db/client';
import { runMigrations } from '../../src/server/db/migrate';
import { seedIfEmpty } from '../../src/server/db/seed';
import { getSimulatorHost } from '../../src/server/services/simulator-host';
import { telemetryWorkers } from '../../src/server/services/telemetry/start';
import { WorkerRunner } from '../../src/server/services/workers';
import { arg, machine, pct, throwawayPostgres, trpcLoopbackServer } from './common';

const reps = Number(arg('reps', '30'));
const intervalMs = Number(arg('interval', '1000'));
const XIDS = [13, 31, 43, 45, 48, 61, 62, 63, 64, 74, 92, 94, 95];

type Point = { t: number; v: number };
type LiveEvent = { at: number; latest: Point | undefined };

async function main() {
  const started = machine();
  process.env.PLENUM_SCRAPE_INTERVAL_MS = String(intervalMs);
  const pg = await throwawayPostgres();
  process.env.DATABASE_URL = pg.url;
  const handle = createDb(pg.url);
  const { pool, db } = handle;
  const runner = new WorkerRunner(db);
  let server: http.Server | undefined;
  const abort = new AbortController();
  try {
    await runMigrations(pool);
    const seeded = await seedIfEmpty(db, 'demo');
    const admin = await createFirstAdmin(db, { username: 'bench', password: 'bench-password-not-secret-1' });
    const { secret } = await createToken(db, { userId: admin!.id, name: 'bench', role: 'viewer', allZones: true, zoneIds: [], expiresAt: null, createdBy: null });

    for (const w of await telemetryWorkers(pool, (l) => console.error(`[bench] ${l}`))) runner.add(w);
    runner.start();
    const host = getSimulatorHost()!;

    // Loopback HTTP server → the real /api/trpc handler (Web Request / Response).
    const loopback = await trpcLoopbackServer(handle);
    server = loopback.server;
    const base = `http://127.0.0.1:${loopback.port}`;

    const gpu = (await pool.query<{ uuid: string }>(`SELECT uuid FROM accelerators ORDER BY id LIMIT 1 OFFSET 17`)).rows[0]!.uuid;
    // Let every target be scraped once (series created) before subscribing.
    await new Promise((r) => setTimeout(r, 3 * intervalMs + 2_000));

    const input = superjson.serialize({ metric: 'gpu_xid_last', entity: gpu, since: '1m', resolution: 'raw' });
    const url = `${base}/api/trpc/telemetry.live?input=${encodeURIComponent(JSON.stringify(input))}`;
    const response = await fetch(url, { headers: { authorization: `Bearer ${secret}`, accept: 'text/event-stream' }, signal: abort.signal });
    if (!response.ok || !response.body) throw new Error(`SSE: HTTP ${response.status} ${await response.text()}`);

    // SSE reader: every data event → the latest point of the series.
    const events: LiveEvent[] = [];
    const waiters = new Set<() => void>();
    void (async () => {
      const decoder = new TextDecoder();
      let buf = '';
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          buf += decoder.decode(chunk, { stream: true });
          for (let end = buf.indexOf('\n\n'); end >= 0; end = buf.indexOf('\n\n')) {
            const block = buf.slice(0, end);
            buf = buf.slice(end + 2);
            const at = Date.now();
            if (process.env.BENCH_DEBUG) console.error(`[sse] ${block.slice(0, 300)}`);
            const name = /^event: ?(.*)$/m.exec(block)?.[1];
            const data = block
              .split('\n')
              .filter((l) => l.startsWith('data:'))
              .map((l) => l.slice(5).trimStart())
              .join('\n');
            if (!data || (name && name !== 'message')) continue;
            const raw = JSON.parse(data);
            const value = raw && typeof raw === 'object' && 'json' in raw ? superjson.deserialize(raw) : raw;
            const points = (value as { series?: { points: Point[] }[] }).series?.[0]?.points ?? [];
            events.push({ at, latest: points.at(-1) });
            for (const w of waiters) w();
          }
        }
      } catch {
        // aborted at the end
      }
    })();
    const waitFor = async (pred: (e: LiveEvent) => boolean, from: number, timeoutMs: number): Promise<LiveEvent | undefined> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = events.slice(from).find(pred);
        if (hit) return hit;
        if (Date.now() > deadline) return undefined;
        await new Promise<void>((resolve) => {
          const w = () => {
            waiters.delete(w);
            resolve();
          };
          waiters.add(w);
          setTimeout(w, 200);
        });
      }
    };
    if (!(await waitFor(() => true, 0, 15_000))) throw new Error('no SSE event in 15 s');

    const inject: { ms: number; scrapeWaitMs: number; deliveryMs: number }[] = [];
    const clear: { ms: number; scrapeWaitMs: number; deliveryMs: number }[] = [];
    let timeouts = 0;
    let prev = 0;
    for (let i = 0; i < reps; i++) {
      await new Promise((r) => setTimeout(r, Math.random() * 1000));
      const xid = XIDS.filter((x) => x !== prev)[i % (XIDS.length - 1)]!;
      prev = xid;
      let from = events.length;
      let t0 = Date.now();
      const fault = await host.inject('gpu-xid', gpu, { xid });
      let hit = await waitFor((e) => e.latest?.v === xid, from, 15_000);
      if (hit) inject.push({ ms: hit.at - t0, scrapeWaitMs: hit.latest!.t - t0, deliveryMs: hit.at - hit.latest!.t });
      else timeouts++;
      await new Promise((r) => setTimeout(r, Math.random() * 1000));
      from = events.length;
      t0 = Date.now();
      await host.clear(fault.id);
      hit = await waitFor((e) => e.latest?.v === 0, from, 15_000);
      if (hit) clear.push({ ms: hit.at - t0, scrapeWaitMs: hit.latest!.t - t0, deliveryMs: hit.at - hit.latest!.t });
      else timeouts++;
      console.error(`[bench] rep ${i + 1}: inject ${inject.at(-1)?.ms} ms, clear ${clear.at(-1)?.ms} ms`);
    }
    const summary = (xs: { ms: number; scrapeWaitMs: number; deliveryMs: number }[]) => ({
      n: xs.length,
      p50Ms: Math.round(pct(xs.map((x) => x.ms), 50)),
      p95Ms: Math.round(pct(xs.map((x) => x.ms), 95)),
      maxMs: Math.round(Math.max(...xs.map((x) => x.ms))),
      scrapeWaitP50Ms: Math.round(pct(xs.map((x) => x.scrapeWaitMs), 50)),
      deliveryP50Ms: Math.round(pct(xs.map((x) => x.deliveryMs), 50)),
      deliveryP95Ms: Math.round(pct(xs.map((x) => x.deliveryMs), 95)),
    });
    const both = [...inject, ...clear];
    console.log(
      JSON.stringify(
        {
          bench: 'live-latency',
          machine: started,
          gpus: seeded.gpus,
          intervalMs,
          reps,
          timeouts,
          sseEvents: events.length,
          inject: summary(inject),
          clear: summary(clear),
          all: summary(both),
          injectMs: inject.map((x) => x.ms),
          clearMs: clear.map((x) => x.ms),
          machineAtEnd: machine(),
        },
        null,
        2,
      ),
    );
  } finally {
    abort.abort();
    server?.closeAllConnections();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    await runner.stop().catch(() => {});
    await pool.end().catch(() => {});
    await pg.stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
