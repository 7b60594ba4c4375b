/**
 * Scrape targets as a security boundary (issue 11, finding 6): loopback / link-local / metadata addresses are refused
 * unless PLENUM_TARGET_ALLOW names them (the simulator's own targets excepted), scrape bodies are capped while they
 * stream, and a failed scrape's lastError never repeats the fetched body. Real HTTP servers on loopback, real PostgreSQL.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller } from '../src/server/api/root';
import { createContext } from '../src/server/api/trpc';
import { advertiseSimulatorEndpoint } from '../src/server/services/instances';
import { IngestPipeline } from '../src/server/services/telemetry/ingest';
import { maintainPartitions } from '../src/server/services/telemetry/partitions';
import { SCRAPE_STAMP_TOLERANCE_MS, Scraper } from '../src/server/services/telemetry/scraper';
import { fetchExposition, TargetGuard } from '../src/server/services/telemetry/target-guard';
import { createTestDatabase, type TestDatabase } from './db';

let db: TestDatabase;
let server: http.Server;
let base = '';
let requests = 0;

const routes: Record<string, (res: http.ServerResponse) => void> = {
  '/ok': (res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('up 1\n'),
  '/secret-malformed': (res) => res.writeHead(200).end('gpu_temp{gpu="0"} SECRET-abc123\n'),
  '/secret-status': (res) => {
    res.statusMessage = 'SECRET-def456';
    res.writeHead(500).end('SECRET-ghi789');
  },
  '/big-declared': (res) => res.writeHead(200, { 'content-length': String(4 * 1024 * 1024) }).end(Buffer.alloc(4 * 1024 * 1024, 0x20)),
  '/silent': () => {
    // Accepts the request and never answers: the scrape's timeout must end it.
  },
  '/trickle': (res) => {
    // Answers at once, then sends its body a line at a time for longer than the timeout.
    res.writeHead(200, { 'content-type': 'text/plain' });
    const timer = setInterval(() => res.write('up 1\n'), 50);
    res.on('close', () => clearInterval(timer));
  },
  '/big-chunked': (res) => {
    res.writeHead(200);
    // Never-ending chunked body: the reader must stop on its own.
    const timer = setInterval(() => res.write(Buffer.alloc(64 * 1024, 0x20)), 1);
    res.on('close', () => clearInterval(timer));
  },
};

beforeAll(async () => {
  db = await createTestDatabase();
  server = http.createServer((req, res) => {
    requests++;
    (routes[req.url ?? ''] ?? ((r: http.ServerResponse) => r.writeHead(404).end()))(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await db?.drop();
});

const target = (path: string, managedBy: string | null = null) => ({ id: 1, url: `${base}${path}`, dialect: 'prometheus' as const, intervalMs: 10_000, timeoutMs: 2_000, hostOverride: null, managedBy });

describe('scrape timestamps', () => {
  it('stamps the samples of a scrape that starts within the tolerance of its slot with the slot, of a later one with its start', async () => {
    await maintainPartitions(db.pool, { rawRetentionDays: 7, rollupRetentionDays: 365 });
    const ingest = new IngestPipeline(db.pool, { bufferMaxSamples: 10_000, rawRetentionDays: 7, notify: false });
    const scraper = new Scraper(db.pool, ingest, 4, { maxBytes: 1024 * 1024, guard: new TargetGuard('127.0.0.1') });
    const url = `${base}/ok`;
    const id = (await db.pool.query<{ id: number }>(`INSERT INTO scrape_targets (url, dialect, enabled) VALUES ($1, 'prometheus', false) RETURNING id`, [url])).rows[0]!.id;
    const stored = async () => {
      await ingest.flush();
      const rows = await db.pool.query<{ ms: number }>(
        `SELECT (extract(epoch FROM x.ts) * 1000)::float8 AS ms FROM telemetry_samples x JOIN telemetry_series s ON s.id = x.series_id
          WHERE s.target_id = $1 ORDER BY x.ts DESC LIMIT 1`,
        [id],
      );
      return rows.rows[0]?.ms;
    };
    const t = { ...target('/ok'), id };
    // Due 40 ms ago: stored at the slot, to the millisecond.
    const slot = Date.now() - 40;
    expect((await scraper.scrape(t, slot)).ok).toBe(true);
    expect(await stored()).toBe(slot);
    // Due longer ago than the tolerance: stored at the time it started, not at the slot.
    const lateSlot = Date.now() - SCRAPE_STAMP_TOLERANCE_MS - 1_000;
    const before = Date.now();
    expect((await scraper.scrape(t, lateSlot)).ok).toBe(true);
    const late = await stored();
    expect(late).toBeGreaterThanOrEqual(before);
    expect(late).toBeLessThanOrEqual(Date.now());
    // No slot (a scrape on demand): the time it started.
    const onDemand = Date.now();
    expect((await scraper.scrape(t)).ok).toBe(true);
    expect(await stored()).toBeGreaterThanOrEqual(onDemand);
    await ingest.stop();
  });
});

describe('scrape target addresses', () => {
  it('refuses loopback, link-local, metadata, unspecified and mapped forms; allows the data-center network', () => {
    const guard = new TargetGuard('');
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '169.254.169.254', '169.254.0.1', 'fd00:ec2::254', 'fe80::1', '0.0.0.0', '::', '::ffff:127.0.0.1', '::ffff:169.254.169.254', '100.100.100.200']) {
      expect(guard.refusal(address), address).toBeDefined();
    }
    for (const address of ['10.1.2.3', '192.168.1.20', '172.16.0.9', '192.0.2.10', '2001:db8::5', 'fd12:3456::1']) expect(guard.refusal(address), address).toBeUndefined();
    const allowing = new TargetGuard(' 127.0.0.1 , 169.254.10.0/24,exporter.lab');
    expect(allowing.refusal('127.0.0.1')).toBeUndefined();
    expect(allowing.refusal('169.254.10.9')).toBeUndefined();
    expect(allowing.refusal('169.254.169.254')).toBeDefined();
    expect(() => new TargetGuard('10.0.0.0/99')).toThrow(/PLENUM_TARGET_ALLOW/);
    expect(() => new TargetGuard('http://x')).toThrow(/PLENUM_TARGET_ALLOW/);
  });

  it('resolves host names first: localhost is refused', async () => {
    await expect(new TargetGuard('').check('http://localhost:9100/metrics')).rejects.toThrow(/localhost resolves to .* loopback address.*PLENUM_TARGET_ALLOW/);
    await expect(new TargetGuard('localhost').check('http://localhost:9100/metrics')).resolves.toBeUndefined();
  });

  it('the scraper never connects to a refused address; the simulator’s own targets and allowed ones are scraped', async () => {
    const ingest = new IngestPipeline(db.pool, { bufferMaxSamples: 10_000, rawRetentionDays: 7, notify: false });
    const scraper = new Scraper(db.pool, ingest, 4, { maxBytes: 1024 * 1024, guard: new TargetGuard('') });
    const before = requests;
    const refused = await scraper.scrape(target('/ok'));
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatch(/target refused: 127\.0\.0\.1 is a loopback address; allow it with PLENUM_TARGET_ALLOW/);
    expect(requests).toBe(before);
    // The simulator's targets are scraped where the world advertises its endpoint (their own host is a placeholder).
    await advertiseSimulatorEndpoint('http', new URL(base).host);
    expect((await scraper.scrape({ ...target('/ok', 'simulator'), url: 'http://plenum-simulator/ok' })).ok).toBe(true);
    await advertiseSimulatorEndpoint('http', undefined);
    const noWorld = await scraper.scrape({ ...target('/ok', 'simulator'), url: 'http://plenum-simulator/ok' });
    expect(noWorld.error).toMatch(/no simulated world advertises a http endpoint/);
    const allowed = new Scraper(db.pool, ingest, 4, { maxBytes: 1024 * 1024, guard: new TargetGuard('127.0.0.1') });
    expect((await allowed.scrape(target('/ok'))).ok).toBe(true);
    expect(requests).toBe(before + 2);
  });

  it('adding a target on a refused address is a field error on url', async () => {
    const caller = createCaller(createContext(db));
    const error = await caller.telemetry.targets.add({ url: 'http://169.254.169.254/latest/meta-data/', dialect: 'prometheus' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe('BAD_REQUEST');
    expect((error as TRPCError).message).toMatch(/url: target refused: 169\.254\.169\.254 is a link-local/);
    const ok = await caller.telemetry.targets.add({ url: 'http://192.0.2.10:9400/metrics', dialect: 'dcgm' });
    expect(ok.url).toBe('http://192.0.2.10:9400/metrics');
    expect(ok.preference).toBe(100);
    // A site Prometheus' federation endpoint holds copies of what exporters said: remote-write's preference by default.
    const federation = await caller.telemetry.targets.add({ url: 'http://192.0.2.11:9090/federate?match[]={job="dcgm"}', dialect: 'prometheus' });
    expect(federation.preference).toBe(50);
    expect((await caller.telemetry.targets.add({ url: 'http://192.0.2.12:9090/federate', dialect: 'prometheus', preference: 120 })).preference).toBe(120);
    // The interval has the same bounds on update as on add (it was a 500 from the database's check constraint).
    for (const interval of [1, '10ms', '99999999d']) {
      const tooShort = await caller.telemetry.targets.update({ id: ok.id, interval }).catch((e: unknown) => e);
      expect((tooShort as TRPCError).code, String(interval)).toBe('BAD_REQUEST');
      const issue = ((tooShort as TRPCError).cause as unknown as { issues: { path: string[]; message: string }[] }).issues[0]!;
      expect(issue.path).toEqual(['interval']);
      expect(issue.message).toMatch(/^must be (between 250ms and 1d|at most 3650d)/);
    }
  });
});

describe('scrape bodies', () => {
  const ingest = () => new IngestPipeline(db.pool, { bufferMaxSamples: 10_000, rawRetentionDays: 7, notify: false });

  it('lastError never repeats the fetched body or the status text', async () => {
    const scraper = new Scraper(db.pool, ingest(), 4, { maxBytes: 1024 * 1024, guard: new TargetGuard('127.0.0.1') });
    const malformed = await scraper.scrape(target('/secret-malformed'));
    expect(malformed.ok).toBe(false);
    expect(malformed.error).toBe('exposition line 1 could not be parsed');
    const status = await scraper.scrape(target('/secret-status'));
    expect(status.error).toBe('HTTP 500');
    expect(`${malformed.error} ${status.error}`).not.toMatch(/SECRET/);
  });

  it('a body over the cap fails the scrape, by Content-Length or while streaming', async () => {
    const options = { timeoutMs: 5_000, maxBytes: 1024 * 1024, guard: new TargetGuard('127.0.0.1') };
    await expect(fetchExposition(`${base}/big-declared`, options)).rejects.toThrow(/response larger than 1048576 bytes \(PLENUM_SCRAPE_MAX_BYTES\)/);
    await expect(fetchExposition(`${base}/big-chunked`, options)).rejects.toThrow(/response larger than 1048576 bytes/);
    const scraper = new Scraper(db.pool, ingest(), 4, options);
    expect((await scraper.scrape(target('/big-chunked'))).error).toMatch(/response larger than/);
  });

  it('the timeout bounds the whole exchange: no answer, or a body that is still arriving', async () => {
    const options = { timeoutMs: 300, maxBytes: 1024 * 1024, guard: new TargetGuard('127.0.0.1') };
    // Neither server ever ends its answer: only the scrape's own timer can, and it names itself.
    for (const path of ['/silent', '/trickle']) await expect(fetchExposition(`${base}${path}`, options), path).rejects.toThrow('timed out after 300 ms');
    expect((await fetchExposition(`${base}/ok`, options)).trim()).toBe('up 1');
  });
});

describe('the target list', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const until = async (what: () => boolean, ms = 10_000) => {
    for (const end = Date.now() + ms; !what(); await sleep(50)) if (Date.now() > end) throw new Error('timed out');
  };

  it('is read again when a target is added or its settings change, not on every reload nor for health writes', async () => {
    await db.pool.query('DELETE FROM scrape_targets');
    const first = (await db.pool.query<{ id: number }>(`INSERT INTO scrape_targets (url, dialect, interval_ms) VALUES ($1, 'prometheus', 60000) RETURNING id`, [`${base}/ok`])).rows[0]!.id;
    const scraper = new Scraper(db.pool, new IngestPipeline(db.pool, { bufferMaxSamples: 10_000, rawRetentionDays: 7, notify: false }), 2, {
      maxBytes: 1024 * 1024,
      guard: new TargetGuard('127.0.0.1'),
    });
    scraper.start();
    try {
      await until(() => scraper.targetCount === 1);
      const reads = scraper.targetListReads;
      // Two reload periods (2 s each) and the scrapers' own health writes: nothing to read again.
      await db.pool.query('UPDATE scrape_targets SET last_attempt_at = now(), last_error = NULL, consecutive_failures = 0 WHERE id = $1', [first]);
      await sleep(4_500);
      expect(scraper.targetListReads).toBe(reads);
      await db.pool.query(`INSERT INTO scrape_targets (url, dialect, interval_ms) VALUES ($1, 'prometheus', 60000)`, [`${base}/ok?second`]);
      await until(() => scraper.targetCount === 2);
      expect(scraper.targetListReads).toBe(reads + 1);
      await db.pool.query('UPDATE scrape_targets SET enabled = false WHERE id = $1', [first]);
      await until(() => scraper.targetCount === 1);
      expect(scraper.targetListReads).toBe(reads + 2);
    } finally {
      await scraper.stop();
    }
  }, 30_000);
});
