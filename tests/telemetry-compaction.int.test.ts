/**
 * Compressed sample storage on a real PostgreSQL with real simulator exporter text: ingest two hours of scrapes, take
 * every answer the readers give (raw range queries, "now" values at a past moment, raw trends, rollups), compact with
 * a crash in the middle (an aborted transaction, then a killed connection), resume, and get the very same answers
 * back, bit for bit. The same run compresses the closed hours of 1-minute rollups (rollup-store.ts): every rollup
 * reader (1-minute queries, trends) answers the same, bit for bit. Late samples for a compacted window merge into it
 * (and into the compressed rollup hour); retention drops chunk partitions whole.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderFacilityMetrics, renderGpuHostMetrics } from '../simulator/exporters';
import { World } from '../simulator/world';
import { latestReadings, siteTrend } from '../src/server/services/dashboards';
import { compactClosedWindows } from '../src/server/services/telemetry/compaction';
import { IngestPipeline } from '../src/server/services/telemetry/ingest';
import { maintainPartitions } from '../src/server/services/telemetry/partitions';
import { queryTelemetry } from '../src/server/services/telemetry/query';
import { hourRollupsSql, readMinuteRollups } from '../src/server/services/telemetry/rollup-store';
import { RollupDeltas, runRollups } from '../src/server/services/telemetry/rollups';
import { COMPACTION_WINDOW_MS, readSamples, type SampleColumns, windowStartMs } from '../src/server/services/telemetry/sample-store';
import { loadSimInventory } from '../src/server/services/telemetry/sim-inventory';
import { createDemoTelemetryDatabase, type TestDatabase } from './db';

let db: TestDatabase;
const HOSTS = 4;
const INTERVAL_MS = 15_000;
const ROUNDS = 480; // two hours
/** Aligned to a window, well past the compaction delay. */
const T0 = windowStartMs(Date.now() - 4 * 3_600_000);
const T_END = T0 + ROUNDS * INTERVAL_MS;
let hostnames: string[] = [];
let siteId = 0;
let specialSeries = 0;

const count = async (sql: string, params: unknown[] = []) => Number((await db.pool.query<{ n: number }>(sql, params)).rows[0]!.n);

/** Every stored sample as "series ts value-bits", sorted: what no loss and no duplication are checked against. */
function dump(samples: Map<number, SampleColumns>): string[] {
  const out: string[] = [];
  for (const [id, { us, values }] of samples) {
    const words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
    for (let i = 0; i < us.length; i++) out.push(`${id} ${us[i]} ${words[2 * i + 1]!.toString(16)}:${words[2 * i]!.toString(16)}`);
  }
  return out.sort();
}

const bits = (v: number) => {
  const w = new Uint32Array(new Float64Array([v]).buffer);
  return `${w[1]!.toString(16)}:${w[0]!.toString(16)}`;
};

/** Every 1-minute rollup bucket of every series, from both forms, as "series minute min max sum count" with value bits. */
async function rollupDump(): Promise<string[]> {
  const ids = (await db.pool.query<{ id: number }>('SELECT id FROM telemetry_series ORDER BY id')).rows.map((r) => r.id);
  const out: string[] = [];
  for (const [id, r] of await readMinuteRollups(db.pool, ids, T0 - 3_600_000, T_END + 3_600_000)) {
    for (let i = 0; i < r.t.length; i++) out.push(`${id} ${r.t[i]} ${bits(r.mins[i]!)} ${bits(r.maxs[i]!)} ${bits(r.sums[i]!)} ${r.counts[i]}`);
  }
  return out.sort();
}

/** Every 1-hour bucket as readers get them (stored hours and uncompressed minutes, hourRollupsSql), with value bits. */
async function hourDump(): Promise<string[]> {
  const rows = await db.pool.query<{ series_id: number; t: number; min: number; max: number; sum: number; count: number }>(
    `SELECT series_id, (extract(epoch FROM bucket) * 1000)::float8 AS t, min, max, sum, count
       FROM ${hourRollupsSql('ARRAY(SELECT id FROM telemetry_series)', "timestamptz '1970-01-01 00:00:00+00'", "timestamptz '2100-01-01 00:00:00+00'")} h`,
  );
  return rows.rows.map((r) => `${r.series_id} ${r.t} ${bits(r.min)} ${bits(r.max)} ${bits(r.sum)} ${r.count}`).sort();
}

async function answers() {
  const gpuPower = await queryTelemetry(db.pool, { metric: 'gpu_power_w', entity: hostnames[0]!, sinceMs: 2 * 3_600_000, untilMs: T_END });
  const energy = await queryTelemetry(db.pool, { metric: 'gpu_energy_mj', entity: hostnames[1]!, sinceMs: 90 * 60_000, untilMs: T_END - 10 * 60_000 });
  const latest = await latestReadings(db.pool, siteId, ['gpu_power_w', 'gpu_util_pct', 'it_power_w'], T0 + 47 * 60_000 + 7_000);
  const trend = await siteTrend(db.pool, { siteId, metric: 'gpu_power_w', across: 'sum', window: { sinceMs: 2 * 3_600_000, untilMs: T_END } });
  // The 1-minute rollup readers: a query at 1-minute resolution and a site trend over 1-minute buckets.
  const gpuPower1m = await queryTelemetry(db.pool, { metric: 'gpu_power_w', entity: hostnames[0]!, sinceMs: 3 * 3_600_000, untilMs: T_END + 30 * 60_000, resolution: '1m' });
  const energy1m = await queryTelemetry(db.pool, { metric: 'gpu_energy_mj', entity: hostnames[1]!, sinceMs: 3 * 3_600_000, untilMs: T_END + 30 * 60_000, resolution: '1m' });
  const trend1m = await siteTrend(db.pool, { siteId, metric: 'gpu_power_w', across: 'sum', window: { sinceMs: 12 * 3_600_000, untilMs: T_END + 30 * 60_000 } });
  // The 1-hour readers: a query at 1-hour resolution and a site trend over hour buckets (a range beyond 3 days).
  const gpuPower1h = await queryTelemetry(db.pool, { metric: 'gpu_power_w', entity: hostnames[0]!, sinceMs: 6 * 3_600_000, untilMs: T_END + 30 * 60_000, resolution: '1h' });
  const trend1h = await siteTrend(db.pool, { siteId, metric: 'gpu_power_w', across: 'sum', window: { sinceMs: 4 * 86_400_000, untilMs: T_END + 30 * 60_000 } });
  const rollups = await rollupDump();
  const hours = await hourDump();
  const all = dump(await readSamples(db.pool, 'all', T0 - 3_600_000, T_END + 3_600_000));
  return { gpuPower, energy, latest: latest.sort((a, b) => a.seriesId - b.seriesId), trend, gpuPower1m, energy1m, trend1m, gpuPower1h, trend1h, rollups, hours, all };
}

beforeAll(async () => {
  db = await createDemoTelemetryDatabase();
  const inventory = await loadSimInventory(db.pool);
  const site = inventory.sites[0]!;
  hostnames = site.halls.flatMap((h) => h.racks.flatMap((r) => r.servers.map((x) => x.hostname))).slice(0, HOSTS);
  siteId = (await db.pool.query<{ id: number }>('SELECT id FROM sites WHERE slug = $1', [site.id])).rows[0]!.id;
  const world = new World(inventory, { seed: 11, startMs: T0 });
  const ingest = new IngestPipeline(db.pool, { bufferMaxSamples: 5_000_000, rawRetentionDays: 7, notify: false });
  await ingest.loadInventory();
  for (let r = 0; r < ROUNDS; r++) {
    world.step(INTERVAL_MS / 1000);
    // Real scrapes land a few ms apart and off the grid.
    const at = T0 + r * INTERVAL_MS + ((r * 37) % 23);
    for (const h of hostnames) ingest.ingestText(renderGpuHostMetrics(world, h), 'dcgm', { targetId: null, nowMs: at });
    ingest.ingestText(renderFacilityMetrics(world, site.id), 'plenum', { targetId: null, nowMs: at + 3 });
    if (r % 40 === 39) await ingest.flush();
  }
  await ingest.flush();
  await ingest.stop();
  // A series with what only a bit-exact store keeps: NaN, ±Inf, -0, a counter reset, a duplicate timestamp.
  specialSeries = (
    await db.pool.query<{ id: number }>(
      `INSERT INTO telemetry_series (series_key, metric, unit, labels, entity_kind, site_id)
       VALUES ('test_special{}', 'test_special', 'count', '{}', 'site', $1) RETURNING id`,
      [siteId],
    )
  ).rows[0]!.id;
  await db.pool.query(
    `INSERT INTO telemetry_samples (series_id, ts, value)
     SELECT $1, to_timestamp(($2::float8 + i * 10000) / 1000.0), v
       FROM unnest(ARRAY['NaN', 'Infinity', '-Infinity', '-0', '0', '5e-324', '1.7976931348623157e308', '123456789', '124000000', '3', '7', '7']::float8[]) WITH ORDINALITY AS u(v, i)`,
    [specialSeries, T0 + 600_000],
  );
  await db.pool.query(`INSERT INTO telemetry_samples VALUES ($1, to_timestamp(($2::float8 + 12 * 10000) / 1000.0), 8)`, [specialSeries, T0 + 600_000]);
  await runRollups(db.pool, { nowMs: Date.now() + 3_600_000 });
}, 300_000);

afterAll(async () => {
  await db?.drop();
});

describe('compressed sample storage', () => {
  let before: Awaited<ReturnType<typeof answers>>;

  it('has real data to compare: two hours of simulator scrapes, all in the write table', async () => {
    before = await answers();
    expect(before.all.length).toBeGreaterThan(100_000);
    expect(before.gpuPower.series.length).toBe(8);
    expect(before.gpuPower.series.every((s) => s.points.length === ROUNDS)).toBe(true);
    expect(before.latest.length).toBeGreaterThan(30);
    expect(before.trend.points.length).toBeGreaterThan(100);
    expect(before.energy.series.length).toBe(8);
    expect(before.gpuPower1m.resolution).toBe('1m');
    expect(before.gpuPower1m.series.every((s) => s.points.length === (T_END - T0) / 60_000)).toBe(true);
    expect(before.trend1m.resolution).toBe('1m');
    expect(before.trend1m.points.length).toBeGreaterThan(10);
    // The 1-minute trend (rollups binned in Node) matches PostgreSQL's aggregation of the rollup rows.
    const sql1m = await db.pool.query<{ t: number; v: number }>(
      `WITH per AS (
         SELECT x.series_id, date_bin(make_interval(secs => $4), x.bucket, to_timestamp($2 / 1000.0)) AS b, sum(x.sum) / sum(x.count) AS v
           FROM telemetry_rollup_1m x JOIN telemetry_series s ON s.id = x.series_id
          WHERE s.metric = 'gpu_power_w' AND s.site_id = $1 AND x.bucket >= to_timestamp($2 / 1000.0) AND x.bucket <= to_timestamp($3 / 1000.0)
          GROUP BY 1, 2)
       SELECT (extract(epoch FROM b) * 1000)::float8 AS t, sum(v)::float8 AS v FROM per GROUP BY b ORDER BY b`,
      [siteId, before.trend1m.fromMs, before.trend1m.toMs, before.trend1m.bucketS],
    );
    expect(before.trend1m.points.map((p) => p.t)).toEqual(sql1m.rows.map((r) => r.t));
    for (const [i, r] of sql1m.rows.entries()) expect(before.trend1m.points[i]!.v).toBeCloseTo(r.v, 6);
    expect(before.rollups.length).toBeGreaterThan(50_000);
    // The 1-minute reader (both forms, in Node) matches PostgreSQL's own from-scratch aggregate of the raw rows (the
    // special series was written straight into the table, without rollup deltas).
    const fromScratch = await db.pool.query<{ series_id: number; t: number; min: number; max: number; count: number }>(
      `SELECT series_id, (extract(epoch FROM date_trunc('minute', ts)) * 1000)::float8 AS t, min(value) AS min, max(value) AS max, count(*)::int AS count
         FROM telemetry_samples WHERE series_id <> $1 GROUP BY 1, 2`,
      [specialSeries],
    );
    expect(fromScratch.rows.length).toBe(before.rollups.length);
    const byKey = new Map(before.rollups.map((line) => [line.split(' ').slice(0, 2).join(' '), line.split(' ')]));
    for (const r of fromScratch.rows) {
      const line = byKey.get(`${r.series_id} ${r.t}`)!;
      expect([line[2], line[3], line[5]]).toEqual([bits(r.min), bits(r.max), String(r.count)]);
    }
    // The raw trend (computed in Node from both forms) matches PostgreSQL's own aggregation of the raw rows.
    const { bucketS, fromMs, toMs } = before.trend;
    const sql = await db.pool.query<{ t: number; v: number }>(
      `WITH per AS (
         SELECT x.series_id, date_bin(make_interval(secs => $4), x.ts, to_timestamp($2 / 1000.0)) AS b, avg(x.value) AS v
           FROM telemetry_samples x JOIN telemetry_series s ON s.id = x.series_id
          WHERE s.metric = 'gpu_power_w' AND s.site_id = $1 AND x.ts >= to_timestamp($2 / 1000.0) AND x.ts <= to_timestamp($3 / 1000.0)
          GROUP BY 1, 2)
       SELECT (extract(epoch FROM b) * 1000)::float8 AS t, sum(v)::float8 AS v FROM per GROUP BY b ORDER BY b`,
      [siteId, fromMs, toMs, bucketS],
    );
    expect(before.trend.points.map((p) => p.t)).toEqual(sql.rows.map((r) => r.t));
    for (const [i, r] of sql.rows.entries()) expect(before.trend.points[i]!.v).toBeCloseTo(r.v, 6);
    expect(await count('SELECT count(*)::int AS n FROM telemetry_chunks')).toBe(0);
  });

  it('a crash half way (aborted transaction, then a killed connection) loses and repeats nothing; resuming finishes the job', async () => {
    const raw = await count('SELECT count(*)::int AS n FROM telemetry_samples');
    let batches = 0;
    await expect(
      compactClosedWindows(db.pool, {
        seriesPerBatch: 100,
        beforeCommit: async () => {
          if (++batches === 3) throw new Error('simulated crash');
        },
      }),
    ).rejects.toThrow('simulated crash');
    const chunksAfterAbort = await count('SELECT count(*)::int AS n FROM telemetry_chunks');
    expect(chunksAfterAbort).toBeGreaterThan(0);
    expect(await count('SELECT count(*)::int AS n FROM telemetry_samples')).toBeLessThan(raw);
    expect(dump(await readSamples(db.pool, 'all', T0 - 3_600_000, T_END + 3_600_000))).toEqual(before.all);

    // The worker's own connection dies inside a batch: PostgreSQL rolls the batch back, the lock goes with the session.
    batches = 0;
    await expect(
      compactClosedWindows(db.pool, {
        seriesPerBatch: 100,
        beforeCommit: async (_batch, client) => {
          if (++batches === 4) await client.query('SELECT pg_terminate_backend(pg_backend_pid())');
        },
      }),
    ).rejects.toThrow();
    expect(await count('SELECT count(*)::int AS n FROM telemetry_chunks')).toBeGreaterThan(chunksAfterAbort);
    expect(dump(await readSamples(db.pool, 'all', T0 - 3_600_000, T_END + 3_600_000))).toEqual(before.all);

    const resumed = await compactClosedWindows(db.pool, { seriesPerBatch: 100 });
    expect(resumed.skipped).toBe(false);
    expect(resumed.lagMs).toBe(0);
    expect(await count('SELECT count(*)::int AS n FROM telemetry_samples')).toBe(0);
    const windows = Math.ceil((T_END - T0) / COMPACTION_WINDOW_MS);
    const series = await count('SELECT count(DISTINCT series_id)::int AS n FROM telemetry_chunks');
    expect(await count('SELECT sum(count)::int AS n FROM telemetry_chunks')).toBe(before.all.length);
    expect(series).toBeGreaterThan(500);
    // At 15 s a window holds 120 samples, so a chunk takes two windows (CHUNK_TARGET_SAMPLES 240): at most half as many
    // chunks per series as windows (one more where midnight cuts one), none overlapping another of its series.
    const chunksPerSeries = 'SELECT max(n)::int AS n FROM (SELECT count(*) AS n FROM %s GROUP BY series_id) x';
    expect(await count(chunksPerSeries.replace('%s', 'telemetry_chunks'))).toBeLessThanOrEqual(Math.ceil(windows / 2) + 1);
    // Every series but the 13-sample special one has a full two-window chunk, wherever midnight falls in the two hours
    // (a day cuts chunks at a window boundary, and any four windows keep one pair on the same day).
    expect(await count('SELECT count(DISTINCT series_id)::int AS n FROM telemetry_chunks WHERE window_minutes = 60 AND count > 200')).toBe(series - 1);
    const overlapping = `SELECT count(*)::int AS n FROM %s a JOIN %s b ON b.series_id = a.series_id AND b.window_start > a.window_start
                          AND b.window_start < a.window_start + a.window_minutes * interval '1 minute'`;
    expect(await count(overlapping.replaceAll('%s', 'telemetry_chunks'))).toBe(0);
    // A chunk's second window continued its first (appendChunk); a full chunk no longer carries the encoder state
    // (format 2, flag 0x10) that continuing needs, a chunk that may still grow does.
    expect(await count(`SELECT count(*)::int AS n FROM telemetry_chunks WHERE get_byte(data, 0) <> 2`)).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM telemetry_chunks WHERE count >= 240 AND get_byte(data, 1) & 16 <> 0`)).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM telemetry_chunks WHERE count < 200 AND window_minutes = 30 AND get_byte(data, 1) & 16 <> 0`)).toBeGreaterThan(0);
    // The closed hours of 1-minute rollups are compressed too, grown into chunks of up to 6 hours (one per series here,
    // two where midnight cuts one), the row table empty.
    expect(await count('SELECT count(*)::int AS n FROM telemetry_rollup_1m')).toBe(0);
    expect(await count(chunksPerSeries.replace('%s', 'telemetry_rollup_1m_chunks'))).toBeLessThanOrEqual(2);
    expect(await count(overlapping.replaceAll('%s', 'telemetry_rollup_1m_chunks'))).toBe(0);
    expect(await count('SELECT sum(buckets)::int AS n FROM telemetry_rollup_1m_chunks')).toBe(before.rollups.length);
    // Nothing left to do: a second run is a no-op.
    expect(await compactClosedWindows(db.pool)).toMatchObject({ skipped: false, windows: 0, samples: 0, rollups: { windows: 0, buckets: 0 } });
  });

  it('every reader gives the same answers from the compressed form, bit for bit', async () => {
    const after = await answers();
    expect(after.all).toEqual(before.all);
    expect(after.gpuPower).toEqual(before.gpuPower);
    expect(after.energy).toEqual(before.energy);
    expect(after.latest).toEqual(before.latest);
    expect(after.trend).toEqual(before.trend);
    expect(after.gpuPower1m).toEqual(before.gpuPower1m);
    expect(after.energy1m).toEqual(before.energy1m);
    expect(after.trend1m).toEqual(before.trend1m);
    expect(after.rollups).toEqual(before.rollups);
    // Hours: from the 1-minute rows before, from telemetry_rollup_1h after (compaction stored them), the same bits.
    expect(before.gpuPower1h.series.reduce((n, x) => n + x.points.length, 0)).toBeGreaterThan(0);
    expect(before.trend1h.points.length).toBeGreaterThan(0);
    expect(after.gpuPower1h).toEqual(before.gpuPower1h);
    expect(after.trend1h).toEqual(before.trend1h);
    expect(after.hours).toEqual(before.hours);
    expect(await count('SELECT count(*)::int AS n FROM telemetry_rollup_1h')).toBe(before.hours.length);
    const special = (await readSamples(db.pool, [specialSeries], T0, T_END)).get(specialSeries)!;
    expect(Array.from(special.values).map((v) => (Object.is(v, -0) ? '-0' : String(v)))).toEqual([
      'NaN',
      'Infinity',
      '-Infinity',
      '-0',
      '0',
      '5e-324',
      '1.7976931348623157e+308',
      '123456789',
      '124000000',
      '3',
      '7',
      '7',
      '8',
    ]);
    expect(special.us[11]).toBe(special.us[12]);
  });

  it('late samples for a compacted window: rollups add them to their minute, the next compaction merges them into the chunk', async () => {
    const series = (await db.pool.query<{ id: number }>(`SELECT id FROM telemetry_series WHERE metric = 'gpu_power_w' ORDER BY id LIMIT 1`)).rows[0]!.id;
    const lateMs = T0 + 30 * 60_000 + 5_000; // inside the second window, between two scrapes
    const minuteMs = lateMs - (lateMs % 60_000);
    const bucket = async () => {
      const r = (await readMinuteRollups(db.pool, [series], minuteMs, minuteMs)).get(series)!;
      return { min: r.mins[0]!, max: r.maxs[0]!, sum: r.sums[0]!, count: r.counts[0]! };
    };
    const was = await bucket();
    // What a flush does with a late sample: the row and its rollup delta in one transaction.
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('INSERT INTO telemetry_samples VALUES ($1, to_timestamp($2 / 1000.0), 9999.5)', [series, lateMs]);
      const deltas = new RollupDeltas();
      deltas.add(series, lateMs, 9999.5);
      await deltas.enqueue(client);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    await runRollups(db.pool, { nowMs: Date.now() + 3_600_000 });
    const now = await bucket();
    expect(now).toMatchObject({ min: was.min, max: 9999.5, count: was.count + 1 });
    expect(now.sum).toBeCloseTo(was.sum + 9999.5, 9);
    // The late delta sits in the row table next to the compressed hour; every other bucket is untouched.
    expect(await count('SELECT count(*)::int AS n FROM telemetry_rollup_1m')).toBe(1);
    const changed = `${series} ${minuteMs} `;
    const rollups = await rollupDump();
    expect(rollups.filter((l) => !l.startsWith(changed))).toEqual(before.rollups.filter((l) => !l.startsWith(changed)));
    const hourMs = minuteMs - (minuteMs % 3_600_000);
    const hoursWithLate = await hourDump();
    const changedHour = `${series} ${hourMs} `;
    expect(hoursWithLate.filter((l) => !l.startsWith(changedHour))).toEqual(before.hours.filter((l) => !l.startsWith(changedHour)));
    expect(hoursWithLate.find((l) => l.startsWith(changedHour))!.split(' ')[5]).toBe(String(Number(before.hours.find((l) => l.startsWith(changedHour))!.split(' ')[5]) + 1));

    const expected = [...before.all];
    expected.push(`${series} ${lateMs * 1000} ${(0x40c387c0).toString(16)}:0`);
    expected.sort();
    const read = () => readSamples(db.pool, 'all', T0 - 3_600_000, T_END + 3_600_000);
    expect(dump(await read())).toEqual(expected);
    const merged = await compactClosedWindows(db.pool);
    expect(merged).toMatchObject({ windows: 1, chunks: 1, samples: 1, rollups: { windows: 1, chunks: 1, buckets: 1 } });
    expect(await count('SELECT count(*)::int AS n FROM telemetry_samples')).toBe(0);
    expect(await count('SELECT count(*)::int AS n FROM telemetry_rollup_1m')).toBe(0);
    expect(await rollupDump()).toEqual(rollups);
    // The late minute was added to its stored hour once, in the order readers add it before compaction.
    expect(await hourDump()).toEqual(hoursWithLate);
    expect(dump(await read())).toEqual(expected);
    const points = (await queryTelemetry(db.pool, { metric: 'gpu_power_w', entity: hostnames[0]!, sinceMs: 2 * 3_600_000, untilMs: T_END })).series.find(
      (s) => s.seriesId === series,
    );
    if (points) expect(points.points.some((p) => p.t === lateMs && p.v === 9999.5)).toBe(true);
  });

  it('one compactor at a time: another process skips while the lock is held', async () => {
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock(7041992)');
      expect(await compactClosedWindows(db.pool)).toMatchObject({ skipped: true });
      await other.query('SELECT pg_advisory_unlock(7041992)');
      expect(await compactClosedWindows(db.pool)).toMatchObject({ skipped: false });
    } finally {
      await other.end();
    }
  });

  it('leaves recent windows raw and drops chunk partitions whole with retention', async () => {
    const recent = Date.now() - 60_000;
    await db.pool.query('INSERT INTO telemetry_samples VALUES ($1, to_timestamp($2 / 1000.0), 1)', [specialSeries, recent]);
    expect(await compactClosedWindows(db.pool)).toMatchObject({ windows: 0 });
    expect(await count('SELECT count(*)::int AS n FROM telemetry_samples')).toBe(1);
    const partitions = `SELECT count(*)::int AS n FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'telemetry_chunks'`;
    expect(await count(partitions)).toBeGreaterThan(5);
    const later = await maintainPartitions(db.pool, { nowMs: Date.now() + 30 * 86_400_000, rawRetentionDays: 7, rollupRetentionDays: 365 });
    expect(later.dropped.filter((n) => n.startsWith('telemetry_chunks_p')).length).toBeGreaterThan(5);
    expect(await count('SELECT count(*)::int AS n FROM telemetry_chunks')).toBe(0);
    // Compressed rollup hours follow the rollups' retention: monthly partitions dropped whole.
    expect(await count('SELECT count(*)::int AS n FROM telemetry_rollup_1m_chunks')).toBeGreaterThan(0);
    const afterAYear = await maintainPartitions(db.pool, { nowMs: Date.now() + 400 * 86_400_000, rawRetentionDays: 7, rollupRetentionDays: 365 });
    expect(afterAYear.dropped.filter((n) => n.startsWith('telemetry_rollup_1m_chunks_p')).length).toBeGreaterThan(0);
    expect(await count('SELECT count(*)::int AS n FROM telemetry_rollup_1m_chunks')).toBe(0);
  });
});
