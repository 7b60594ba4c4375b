/**
 * Hostile telemetry never stops storage (issue 11, finding 3), against a real PostgreSQL. Before: one NUL byte in a
 * label made every later flush fail with an encoding error, and the buffer grew until restart. Now the parsers drop
 * such series (counted by reason), and a flush PostgreSQL still refuses isolates the offending series or rows and
 * stores the rest in the same flush.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getHealth } from '../src/server/services/health';
import { IngestPipeline } from '../src/server/services/telemetry/ingest';
import { RAW_TABLE } from '../src/server/services/telemetry/partitions';
import { listUnmapped } from '../src/server/services/telemetry/query';
import { createDemoTelemetryDatabase, type TestDatabase } from './db';

let db: TestDatabase;

beforeAll(async () => {
  db = await createDemoTelemetryDatabase();
});
afterAll(async () => {
  await db?.drop();
});

const count = async (sql: string, params: unknown[] = []) => Number((await db.pool.query<{ n: number }>(sql, params)).rows[0]!.n);
const samplesOf = (metric: string) =>
  count('SELECT count(*)::int AS n FROM telemetry_samples x JOIN telemetry_series s ON s.id = x.series_id WHERE s.metric = $1', [metric]);
const drops = async () =>
  Object.fromEntries((await db.pool.query<{ reason: string; samples: number }>('SELECT reason, samples::int FROM telemetry_input_drops')).rows.map((r) => [r.reason, r.samples]));

function scrape(metric: string, hosts: number, extra = ''): string {
  const lines = [`# TYPE ${metric} gauge`];
  for (let h = 0; h < hosts; h++) lines.push(`${metric}{host="h${h}"} ${h}`);
  return `${lines.join('\n')}\n${extra}`;
}

describe('hostile telemetry', () => {
  it('a scraped NUL byte costs only its own line: other series are stored by the next flush, and the drop is counted', async () => {
    const ingest = new IngestPipeline(db.pool, { bufferMaxSamples: 100_000, rawRetentionDays: 7, notify: false });
    await ingest.loadInventory();
    const hostile = 'poison_a{host="h\u00000"} 1\npoison_a{host="\uFFFD"} 2\n';
    const now = Date.now();
    expect(ingest.ingestText(scrape('clean_a', 50, hostile), 'prometheus', { targetId: null, nowMs: now - 2_000 })).toBe(50);
    expect(await ingest.flush()).toBe(50);
    expect(ingest.bufferedSamples).toBe(0);
    // The same scrape again (line cache warm) and a different target: still stored, flush after flush.
    expect(ingest.ingestText(scrape('clean_a', 50, hostile), 'prometheus', { targetId: null, nowMs: now - 1_000 })).toBe(50);
    ingest.ingestText(scrape('clean_b', 20), 'prometheus', { targetId: null, nowMs: now - 1_000 });
    expect(await ingest.flush()).toBe(70);
    expect(await samplesOf('clean_a')).toBe(100);
    expect(await samplesOf('clean_b')).toBe(20);
    expect(await count(`SELECT count(*)::int AS n FROM telemetry_series WHERE metric = 'poison_a'`)).toBe(0);
    expect(ingest.stats.inputDropped).toMatchObject({ nul: 2, invalid_utf8: 2 });
    expect(await drops()).toMatchObject({ nul: 2, invalid_utf8: 2 });
    expect(ingest.stats.failedFlushes).toBe(0);
    // Visible to operators: /api/health (signed in), the Telemetry page and `plenum telemetry unmapped`.
    const shown = expect.arrayContaining([expect.objectContaining({ reason: 'nul', samples: 2 }), expect.objectContaining({ reason: 'invalid_utf8', samples: 2 })]);
    expect((await getHealth(db.pool)).telemetryDrops).toEqual(shown);
    expect((await listUnmapped(db.pool, 10)).dropped).toEqual(shown);
  });

  it('the flush loop keeps storing other series within one flush interval after a hostile sample', async () => {
    const ingest = new IngestPipeline(db.pool, { bufferMaxSamples: 100_000, rawRetentionDays: 7, notify: false });
    await ingest.loadInventory();
    ingest.startFlushLoop(100);
    try {
      ingest.ingestText(`poison_loop{host="\u0000"} 1\n${scrape('clean_loop', 10)}`, 'prometheus', { targetId: null });
      await expect.poll(() => samplesOf('clean_loop'), { timeout: 5_000, interval: 50 }).toBe(10);
      ingest.ingestText(scrape('clean_loop', 10), 'prometheus', { targetId: null, nowMs: Date.now() + 1 });
      await expect.poll(() => samplesOf('clean_loop'), { timeout: 5_000, interval: 50 }).toBe(20);
      expect(ingest.stats.failedFlushes).toBe(0);
      expect(ingest.bufferedSamples).toBe(0);
    } finally {
      await ingest.stop();
    }
  });

  it('a flush PostgreSQL refuses (a series that got past the parsers) isolates the bad series and stores the rest in the same flush', async () => {
    const ingest = new IngestPipeline(db.pool, { bufferMaxSamples: 100_000, rawRetentionDays: 7, notify: false });
    await ingest.loadInventory();
    const now = Date.now() - 1_000;
    const good = Array.from({ length: 300 }, (_, k) => ({ name: 'clean_c', labels: { host: `h${k}` }, value: k, timestampMs: now }));
    // ingestRaw trusts its caller (no input limits): this is what a parser bug would let through.
    ingest.ingestRaw(
      [
        ...good.slice(0, 100),
        { name: 'poison_c', labels: { host: 'a\u0000b' }, value: 1, timestampMs: now },
        ...good.slice(100, 200),
        { name: 'poison_c', labels: { host: `${'x'.repeat(10_000)}\uD800` }, value: 2, timestampMs: now },
        ...good.slice(200),
      ],
      { targetId: null },
    );
    expect(await ingest.flush()).toBe(300);
    expect(ingest.bufferedSamples).toBe(0);
    expect(ingest.stats.rejectedSamples).toBe(2);
    expect(ingest.stats.lastRejectError).toMatch(/^22/);
    expect(await samplesOf('clean_c')).toBe(300);
    expect((await drops()).rejected_by_database).toBe(2);
    // The next flush is a normal one.
    ingest.ingestRaw(good.map((g) => ({ ...g, timestampMs: now + 1 })), { targetId: null });
    expect(await ingest.flush()).toBe(300);
    expect(await samplesOf('clean_c')).toBe(600);
  });

  it('rows PostgreSQL refuses (no partition for their day) are isolated by halving; the rest of the batch is stored', async () => {
    const ingest = new IngestPipeline(db.pool, { bufferMaxSamples: 100_000, rawRetentionDays: 7, notify: false });
    await ingest.loadInventory();
    const day = 86_400_000;
    const threeDaysAgo = Math.floor((Date.now() - 3 * day) / day) * day + 3_600_000;
    const t = new Date(threeDaysAgo);
    const partition = `${RAW_TABLE}_p${t.getUTCFullYear()}${String(t.getUTCMonth() + 1).padStart(2, '0')}${String(t.getUTCDate()).padStart(2, '0')}`;
    await db.pool.query(`DROP TABLE ${partition}`);
    const now = Date.now() - 1_000;
    const rows = Array.from({ length: 1000 }, (_, k) => ({ name: 'clean_d', labels: { host: `h${k % 10}` }, value: k, timestampMs: k % 250 === 7 ? threeDaysAgo + k : now + k }));
    ingest.ingestRaw(rows, { targetId: null });
    expect(await ingest.flush()).toBe(996);
    expect(ingest.stats.rejectedSamples).toBe(4);
    expect(await samplesOf('clean_d')).toBe(996);
    expect(ingest.bufferedSamples).toBe(0);
  });
});
