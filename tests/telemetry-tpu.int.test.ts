/**
 * TPU telemetry end to end on a real PostgreSQL: a liquid-cooled rack of two TPU v5p hosts (accelerator vendor Google,
 * chip uuids in the device plugin's accelerator_id form) → the simulator models them and serves the GKE TPU device
 * plugin text per host → the scraper reads it with the `tpu` dialect → the ingest stores each reading against the
 * chip it measures. A job placed on one host's chips drives their load, as it does for GPUs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as s from '../src/server/db/schema';
import { seededTpuChipId } from '../src/server/db/seed/plan';
import { siteOverview } from '../src/server/services/dashboards';
import { SimulatorHost } from '../src/server/services/simulator-host';
import { telemetrySettings } from '../src/server/services/telemetry/config';
import { createTelemetry, type TelemetryRuntime } from '../src/server/services/telemetry/index';
import { loadSimInventory } from '../src/server/services/telemetry/sim-inventory';
import { createTestDatabase, type TestDatabase } from './db';

let db: TestDatabase;
let telemetry: TelemetryRuntime;
let sim: SimulatorHost;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HOSTS = ['tpu-a1', 'tpu-a2'];

async function waitFor<T>(what: string, f: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

async function seedTpuRack(): Promise<void> {
  const [site] = await db.db.insert(s.sites).values({ slug: 'tpu', name: 'TPU site', utilityCapacityKw: 2000 }).returning();
  const [hall] = await db.db
    .insert(s.halls)
    .values({ siteId: site!.id, slug: 't', name: 'TPU hall', coolingType: 'liquid', designItLoadKw: 200, gridColumns: 10, gridRows: 5 })
    .returning();
  const [row] = await db.db.insert(s.rows).values({ hallId: hall!.id, name: 'T', gridX: 1, gridY: 1 }).returning();
  const [rack] = await db.db
    .insert(s.racks)
    .values({ hallId: hall!.id, rowId: row!.id, name: 'T-01', positionInRow: 1, maxPowerKw: 40, maxWeightKg: 1500, coolingKind: 'direct-liquid' })
    .returning();
  await db.db.insert(s.powerNodes).values([
    { siteId: site!.id, rackId: rack!.id, kind: 'rack-pdu', name: 'T-01 PDU A', side: 'A', capacityKw: 17.3 },
    { siteId: site!.id, rackId: rack!.id, kind: 'rack-pdu', name: 'T-01 PDU B', side: 'B', capacityKw: 17.3 },
  ]);
  // The CDU pumps run on the UPS (as the simulator has them); a CRAH takes the heat that goes to the air.
  await db.db.insert(s.powerNodes).values({ siteId: site!.id, kind: 'ups', name: 'UPS T', capacityKw: 100, batteryRuntimeMin: 10 });
  const [cdu, crah] = await db.db
    .insert(s.coolingUnits)
    .values([
      { siteId: site!.id, kind: 'cdu', name: 'CDU T', capacityKw: 60, supplySetpointC: 32, redundancyGroup: 'tpu-loop' },
      { siteId: site!.id, kind: 'crah', name: 'CRAH T', capacityKw: 30, supplySetpointC: 22, redundancyGroup: 'tpu-air' },
    ])
    .returning();
  await db.db.insert(s.coolingServedAreas).values([
    { unitId: cdu!.id, rackId: rack!.id },
    { unitId: crah!.id, hallId: hall!.id },
  ]);
  const [maker] = await db.db.insert(s.manufacturers).values({ name: 'Google', slug: 'google' }).returning();
  const [model] = await db.db.insert(s.acceleratorModels).values({ name: 'TPU v5p', vendor: 'Google', memoryGib: 95, tdpW: null, formFactor: 'TPU tray' }).returning();
  const [hostType] = await db.db
    .insert(s.deviceTypes)
    .values({ manufacturerId: maker!.id, model: 'TPU v5p host', slug: 'tpu-v5p-host', kind: 'server', uHeight: 2, weightKg: 40, nameplatePowerW: 3000, typicalPowerW: 2000, acceleratorSlots: 4, acceleratorModelId: model!.id })
    .returning();
  // A host in a rack without feeds: the simulator leaves it out (an unpowered rack), so only the readings this test
  // ingests by hand reach its two chips.
  const [unfed] = await db.db
    .insert(s.racks)
    .values({ hallId: hall!.id, rowId: row!.id, name: 'T-02', positionInRow: 2, maxPowerKw: 40, maxWeightKg: 1500, coolingKind: 'direct-liquid' })
    .returning();
  const [manual] = await db.db
    .insert(s.devices)
    .values({ deviceTypeId: hostType!.id, rackId: unfed!.id, position: 2, face: 'front', uHeight: 2, isFullDepth: true, weightKg: 40, name: 'tpu-x1', hostname: 'tpu-x1' })
    .returning();
  await db.db.insert(s.accelerators).values([0, 1].map((index) => ({ deviceId: manual!.id, index, uuid: seededTpuChipId(9, index), modelId: model!.id })));
  for (const [h, hostname] of HOSTS.entries()) {
    const [host] = await db.db
      .insert(s.devices)
      .values({ deviceTypeId: hostType!.id, rackId: rack!.id, position: 2 + h * 3, face: 'front', uHeight: 2, isFullDepth: true, weightKg: 40, name: hostname, hostname })
      .returning();
    await db.db.insert(s.accelerators).values([0, 1, 2, 3].map((index) => ({ deviceId: host!.id, index, uuid: seededTpuChipId(h + 1, index), modelId: model!.id })));
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  await seedTpuRack();
  telemetry = await createTelemetry(db.pool, { ...telemetrySettings({}), flushIntervalMs: 200, scrapeConcurrency: 8 });
  sim = new SimulatorHost(db.pool, { accel: 30, seed: 5, port: 0, host: '127.0.0.1', scrapeIntervalMs: 1_000, inventoryRefreshMs: 60_000 });
  await sim.start();
});

afterAll(async () => {
  await sim?.stop();
  await telemetry?.scraper.stop();
  await telemetry?.ingest.stop();
  await db?.drop();
});

type ChipReading = { uuid: string; hostname: string; metric: string; unit: string; entity_kind: string; value: number };

/** The latest stored reading of each (chip, metric) from the simulator's tpu targets, joined to the inventory chip. */
async function chipReadings(): Promise<ChipReading[]> {
  const r = await db.pool.query<ChipReading>(
    `SELECT a.uuid, d.hostname, s.metric, s.unit, s.entity_kind, v.value
       FROM telemetry_series s
       JOIN scrape_targets t ON t.id = s.target_id AND t.dialect = 'tpu'
       JOIN accelerators a ON a.id = s.accelerator_id
       JOIN devices d ON d.id = a.device_id AND d.id = s.device_id
       JOIN LATERAL (SELECT value FROM telemetry_samples WHERE series_id = s.id ORDER BY ts DESC LIMIT 1) v ON true
      ORDER BY a.uuid, s.metric`,
  );
  return r.rows;
}

describe('TPU hosts: simulator → device plugin text → tpu dialect → ingest', () => {
  it('the inventory conversion takes the Google chips as TPU hosts and registers a tpu target per host', async () => {
    const inventory = await loadSimInventory(db.pool);
    const servers = inventory.sites.flatMap((site) => site.halls.flatMap((h) => h.racks.flatMap((r) => r.servers)));
    expect(servers.map((srv) => srv.hostname).sort()).toEqual(HOSTS);
    expect(servers.flatMap((srv) => srv.gpus.map((g) => g.model))).toEqual(Array(8).fill('TPU-v5p'));
    const targets = await db.pool.query<{ url: string; dialect: string }>(`SELECT url, dialect FROM scrape_targets WHERE managed_by = 'simulator' AND url LIKE '%/hosts/%' ORDER BY url`);
    expect(targets.rows.map((t) => t.dialect)).toEqual(['tpu', 'tpu']);
  });

  it('stores every chip reading against the chip it measures, with catalogue units, and nothing unmapped', async () => {
    const rows = await waitFor('TensorCore utilisation of all 8 chips', async () => {
      await telemetry.ingest.flush();
      const all = await chipReadings();
      return all.filter((r) => r.metric === 'tpu_tensorcore_util_pct').length === 8 ? all : undefined;
    });
    for (const r of rows) expect(r.entity_kind).toBe('gpu');
    const chipsOf = (hostname: string) => new Set(rows.filter((r) => r.hostname === hostname).map((r) => r.uuid));
    expect(chipsOf('tpu-a1')).toEqual(new Set([0, 1, 2, 3].map((i) => seededTpuChipId(1, i))));
    expect(chipsOf('tpu-a2')).toEqual(new Set([0, 1, 2, 3].map((i) => seededTpuChipId(2, i))));
    const units = new Map(rows.map((r) => [r.metric, r.unit]));
    expect(units.get('tpu_tensorcore_util_pct')).toBe('pct');
    expect(units.get('tpu_hbm_bandwidth_util_pct')).toBe('pct');
    for (const r of rows) {
      if (r.metric.endsWith('_pct')) expect(r.value).toBeGreaterThanOrEqual(0);
      if (r.metric.endsWith('_pct')) expect(r.value).toBeLessThanOrEqual(100);
    }
    // The overview counts the chips as TPUs, not as GPUs.
    const siteId = (await db.pool.query<{ id: number }>(`SELECT id FROM sites WHERE slug = 'tpu'`)).rows[0]!.id;
    const overview = await siteOverview(db.pool, siteId);
    expect(overview.gpus.total).toBe(0);
    expect(overview.avgGpuUtilPct).toBeNull();
    expect(overview.tpus.total).toBe(10);
    expect(overview.tpus.busy + overview.tpus.idle + overview.tpus.failed).toBe(10);
    // Every simulated chip reads (an idle one, no process and so no duty cycle, by its TensorCore reading); only the
    // two chips of the unsimulated host have none yet.
    expect(overview.tpus.failed).toBe(2);
    expect(overview.tpus.noReadings).toBe(2);
    const unmapped = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM telemetry_series s JOIN scrape_targets t ON t.id = s.target_id WHERE t.dialect = 'tpu' AND s.entity_kind <> 'gpu'`,
    );
    expect(unmapped.rows[0]!.n).toBe(0);
  });

  it('the overview counts a chip no process holds as idle by its TensorCore reading, a busy one by its duty cycle', async () => {
    const siteId = (await db.pool.query<{ id: number }>(`SELECT id FROM sites WHERE slug = 'tpu'`)).rows[0]!.id;
    const before = await siteOverview(db.pool, siteId);
    // The device plugin's text for tpu-x1: chip 0 runs a workload; chip 1 is held by none, so it has only the host metrics.
    const [busyChip, idleChip] = [seededTpuChipId(9, 0), seededTpuChipId(9, 1)];
    const labels = (chip: string) => `accelerator_id="${chip}",make="cloud-tpu",model="tpu-v5p-slice",tpu_topology="2x2x1"`;
    const text = [
      `duty_cycle_node{${labels(busyChip)}} 97`,
      `tensorcore_utilization_node{${labels(busyChip)}} 61`,
      `tensorcore_utilization_node{${labels(idleChip)}} 0`,
      '',
    ].join('\n');
    telemetry.ingest.ingestText(text, 'tpu', { targetId: null, hostname: 'tpu-x1' });
    await telemetry.ingest.flush();
    const after = await siteOverview(db.pool, siteId);
    expect(after.tpus.total).toBe(10);
    expect(after.tpus.failed).toBe(0);
    expect(after.tpus.noReadings).toBe(0);
    // The simulated chips may have moved between busy and idle meanwhile; the two new ones add one of each.
    expect(after.tpus.busy + after.tpus.idle).toBe(before.tpus.busy + before.tpus.idle + 2);
    const stored = await db.pool.query<{ uuid: string; metric: string }>(
      `SELECT a.uuid, s.metric FROM telemetry_series s JOIN accelerators a ON a.id = s.accelerator_id WHERE a.uuid = ANY($1) ORDER BY a.uuid, s.metric`,
      [[busyChip, idleChip]],
    );
    expect(stored.rows).toEqual([
      { uuid: busyChip, metric: 'gpu_util_pct' },
      { uuid: busyChip, metric: 'tpu_tensorcore_util_pct' },
      { uuid: idleChip, metric: 'tpu_tensorcore_util_pct' },
    ]);
  });

  it('jobs placed on one host drive its chips: training near 100 % duty cycle, then a 20 % inference share at 20 %', async () => {
    const [tenant] = await db.db.insert(s.tenants).values({ name: 'tpu-team', gpuQuota: 100 }).returning();
    const place = async (kind: 'training' | 'inference', milli: number): Promise<number> => {
      const job = await db.pool.query<{ id: number }>(
        `INSERT INTO jobs (tenant_id, name, kind, workers, gpus_per_worker, gpu_milli, cpu_milli, memory_mib, expected_power_w_per_gpu, status)
         VALUES ($1, $2, $3, 4, 1, $4, 1000, 1024, 300, 'running') RETURNING id`,
        [tenant!.id, `tpu-${kind}`, kind, milli === 1000 ? 0 : milli],
      );
      await db.pool.query(
        `INSERT INTO gpu_allocations (job_id, worker, accelerator_id, milli)
         SELECT $1, a.index, a.id, $2 FROM accelerators a JOIN devices d ON d.id = a.device_id WHERE d.hostname = 'tpu-a1'`,
        [job.rows[0]!.id, milli],
      );
      return job.rows[0]!.id;
    };
    /** The latest reading of each a1 chip, once every one of them was sampled after `sinceMs`. */
    const a1After = async (metric: string, sinceMs: number) => {
      await telemetry.ingest.flush();
      const r = await db.pool.query<{ uuid: string; value: number }>(
        `SELECT a.uuid, v.value FROM telemetry_series s
           JOIN scrape_targets t ON t.id = s.target_id AND t.dialect = 'tpu'
           JOIN accelerators a ON a.id = s.accelerator_id JOIN devices d ON d.id = a.device_id AND d.hostname = 'tpu-a1'
           JOIN LATERAL (SELECT value, ts FROM telemetry_samples WHERE series_id = s.id ORDER BY ts DESC LIMIT 1) v ON true
          WHERE s.metric = $1 AND v.ts > to_timestamp($2 / 1000.0)`,
        [metric, sinceMs],
      );
      return r.rows.length === 4 ? r.rows.map((x) => x.value) : undefined;
    };

    const training = await place('training', 1000);
    expect(await sim.applyJobWorkloads()).toBe(4);
    // Readings taken a few simulated seconds after the placement (the duty cycle is a 1 s average).
    let since = Date.now() + 500;
    const duty = await waitFor('training duty cycle', async () => {
      const v = await a1After('gpu_util_pct', since);
      return v?.every((x) => x >= 90) ? v : undefined;
    });
    expect(duty).toHaveLength(4);
    const tensor = await waitFor('training TensorCore utilisation', async () => {
      const v = await a1After('tpu_tensorcore_util_pct', since);
      return v?.every((x) => x > 50) ? v : undefined;
    });
    expect(tensor).toHaveLength(4);
    const hbm = await waitFor('HBM the training job holds', () => a1After('gpu_fb_used_bytes', since));
    for (const bytes of hbm) expect(bytes).toBeGreaterThan(0.5 * 95 * 1024 ** 3);

    // Release it and run a fifth of each chip for inference: bursty, busy 20 % of the time. No background profile of
    // the simulator sits at 15-24 % (training ~100 %, inference 25-65 %, idle 0), so this is the job's doing.
    await db.pool.query(`UPDATE gpu_allocations SET released_at = now() WHERE job_id = $1`, [training]);
    await db.pool.query(`UPDATE jobs SET status = 'succeeded' WHERE id = $1`, [training]);
    await place('inference', 200);
    expect(await sim.applyJobWorkloads()).toBe(4);
    since = Date.now() + 500;
    const share = await waitFor('inference duty cycle', async () => {
      const v = await a1After('gpu_util_pct', since);
      return v?.every((x) => x >= 15 && x <= 24) ? v : undefined;
    });
    expect(share).toHaveLength(4);
  });
});
