import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleTrpcRequest } from '@/server/api/http';
import { createToken, createUser } from '@/server/auth/accounts';
import { IngestPipeline } from '@/server/services/telemetry/ingest';
import { runRollups } from '@/server/services/telemetry/rollups';
import { type ExpositionSample, parseExposition } from '@/telemetry';
import { createDemoTelemetryDatabase, type TestDatabase } from '../../../tests/db';
import { GET } from './route';

/** `GET /metrics` scraped like Prometheus would, and read back with Plenum's own exposition parser. */
describe('GET /metrics', () => {
  let database: TestDatabase;
  const previousUrl = process.env.DATABASE_URL;
  const tokens = { viewer: '' };

  beforeAll(async () => {
    database = await createDemoTelemetryDatabase();
    process.env.DATABASE_URL = database.url;
    const user = await createUser(database.db, { username: 'metrics-viewer', role: 'viewer', password: 'metrics viewer password', allZones: true, zoneIds: [] });
    tokens.viewer = (await createToken(database.db, { userId: user.id, name: 'prometheus', role: 'viewer', allZones: true, zoneIds: [], expiresAt: null, createdBy: null })).secret;
  });
  afterAll(async () => {
    const holder = globalThis as unknown as { __plenumDb?: { pool: { end: () => Promise<void> } } };
    await holder.__plenumDb?.pool.end();
    holder.__plenumDb = undefined;
    if (previousUrl === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = previousUrl;
    await database.drop();
  });

  const get = (headers: Record<string, string>) => GET(new Request('http://plenum.example/metrics', { headers }));
  const scrape = async (): Promise<ExpositionSample[]> => {
    const response = await get({ 'x-forwarded-for': '127.0.0.1' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseExposition(await response.text()).samples;
  };
  const value = (samples: ExpositionSample[], name: string, labels: Record<string, string> = {}) => {
    const hit = samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    if (!hit) throw new Error(`no sample ${name} ${JSON.stringify(labels)}`);
    return hit.value;
  };

  it('refuses a caller from elsewhere without a token with 401 and the reason, never a redirect', async () => {
    const response = await get({ 'x-forwarded-for': '203.0.113.9' });
    expect(response.status).toBe(401);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await response.text()).toMatch(/PLENUM_METRICS_ALLOW/);
    expect((await get({ 'x-forwarded-for': '203.0.113.9', authorization: 'Bearer plenum_not-a-real-token' })).status).toBe(401);
  });

  it('serves a caller with a read token, and callers from PLENUM_METRICS_ALLOW', async () => {
    const withToken = await get({ 'x-forwarded-for': '203.0.113.9', authorization: `Bearer ${tokens.viewer}` });
    expect(withToken.status).toBe(200);
    expect(parseExposition(await withToken.text()).samples.length).toBeGreaterThan(20);
    process.env.PLENUM_METRICS_ALLOW = '203.0.113.0/24';
    try {
      expect((await get({ 'x-forwarded-for': '203.0.113.9' })).status).toBe(200);
      expect((await get({ 'x-forwarded-for': '::ffff:203.0.113.200' })).status).toBe(200);
      expect((await get({ 'x-forwarded-for': '127.0.0.1' })).status).toBe(401);
    } finally {
      delete process.env.PLENUM_METRICS_ALLOW;
    }
  });

  it('counts ingest, drops by reason, flushes, rollups and the database pool', async () => {
    const before = await scrape();
    const ingest = new IngestPipeline(database.pool, { bufferMaxSamples: 10_000, rawRetentionDays: 7, notify: false });
    await ingest.loadInventory();
    const now = Date.now();
    const text = [
      'selfmon_test_a 1',
      'selfmon_test_b 2',
      'selfmon_test_c 3',
      `selfmon_test_old 4 ${now - 30 * 86_400_000}`, // older than raw retention
      'gpu_power_w{UUID="GPU-00000000-0000-0000-0000-00000000abcd"} NaN', // a NaN reading of a catalogue metric
    ].join('\n');
    expect(ingest.ingestText(`${text}\n`, 'prometheus', { targetId: null, nowMs: now - 120_000 })).toBe(3);
    await ingest.flush();
    await runRollups(database.pool);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => value(after, name, labels) - value(before, name, labels);
    expect(delta('plenum_ingest_accepted_samples_total')).toBe(3);
    expect(delta('plenum_ingest_written_samples_total')).toBe(3);
    expect(delta('plenum_ingest_dropped_samples_total', { reason: 'out_of_window' })).toBe(1);
    expect(delta('plenum_ingest_dropped_samples_total', { reason: 'dialect' })).toBe(1);
    expect(delta('plenum_ingest_dropped_samples_total', { reason: 'buffer_full' })).toBe(0);
    expect(delta('plenum_ingest_flush_duration_seconds_count')).toBe(1);
    expect(delta('plenum_rollup_samples_total')).toBe(3);
    expect(value(after, 'plenum_rollup_queue_batches')).toBe(0);
    expect(value(after, 'plenum_rollup_lag_seconds')).toBe(0);
    expect(value(after, 'plenum_scheduler_queue_depth')).toBeGreaterThanOrEqual(0);
    expect(value(after, 'plenum_db_pool_connections', { pool: 'web', state: 'total' })).toBeGreaterThanOrEqual(1);
    // Gauges other workers set are there from the start.
    for (const name of ['plenum_compaction_lag_seconds', 'plenum_sse_subscribers', 'plenum_ingest_buffered_samples', 'process_cpu_user_seconds_total']) {
      expect(after.some((s) => s.name === name)).toBe(true);
    }
    await ingest.stop();
  });

  it('every series the shipped Grafana dashboard (docs/grafana-plenum.json) charts is served', async () => {
    const dashboard = JSON.parse(readFileSync(fileURLToPath(new URL('../../../docs/grafana-plenum.json', import.meta.url)), 'utf8')) as {
      panels: { targets?: { expr: string }[] }[];
    };
    const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    expect(exprs.length).toBeGreaterThan(15);
    const served = new Set((await scrape()).map((s) => s.name));
    const charted = new Set(exprs.flatMap((e) => e.match(/\b(?:plenum|process|nodejs)_[a-z0-9_]+/g) ?? []));
    expect([...charted].filter((name) => !served.has(name))).toEqual([]);
  });

  it('counts an open live subscription (SSE) as a subscriber until it closes', async () => {
    const subscribers = async () => value(await scrape(), 'plenum_sse_subscribers');
    const base = await subscribers();
    const controller = new AbortController();
    const response = await handleTrpcRequest(
      new Request(`http://plenum.example/api/trpc/alerts.live?input=${encodeURIComponent('{}')}`, {
        headers: { authorization: `Bearer ${tokens.viewer}`, accept: 'text/event-stream' },
        signal: controller.signal,
      }),
    );
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.getReader();
    await reader.read(); // the first event
    expect(await subscribers()).toBe(base + 1);
    await reader.cancel();
    controller.abort();
    expect(await subscribers()).toBe(base);
  });
});
