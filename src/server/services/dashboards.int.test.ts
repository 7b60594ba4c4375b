/**
 * The dashboards service against a real PostgreSQL with the demo seed: readings go in through the real ingest path
 * (exporter text → parse → map → COPY), then each dashboard is read back and checked against the numbers sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoTelemetryDatabase, type TestDatabase } from '../../../tests/db';
import { BUSY_UTIL_PCT, hallThermal, inletBand, measuredGpuPowerW, powerDashboard, siteOverview, siteTrends, utilisation } from './dashboards';
import { IngestPipeline } from './telemetry/ingest';
import { runRollups } from './telemetry/rollups';

let db: TestDatabase;
let siteId: number;
let hallAId: number;
let gpus: { id: number; uuid: string; index: number }[];
const now = Date.now();
const MIB = 2 ** 20;

async function ingest(text: string, dialect: 'dcgm' | 'plenum', nowMs: number) {
  const pipeline = new IngestPipeline(db.pool, { bufferMaxSamples: 100_000, rawRetentionDays: 7 });
  await pipeline.loadInventory();
  const accepted = pipeline.ingestText(text, dialect, { targetId: null, nowMs });
  expect(await pipeline.flush()).toBe(accepted);
  await pipeline.stop();
  return accepted;
}

beforeAll(async () => {
  db = await createDemoTelemetryDatabase();
  siteId = (await db.pool.query<{ id: number }>(`SELECT id FROM sites WHERE slug = 'ams-ai-1'`)).rows[0]!.id;
  hallAId = (await db.pool.query<{ id: number }>(`SELECT id FROM halls WHERE slug = 'hall-a'`)).rows[0]!.id;
  gpus = (
    await db.pool.query<{ id: number; uuid: string; index: number }>(
      `SELECT a.id, a.uuid, a.index FROM accelerators a JOIN devices d ON d.id = a.device_id WHERE d.hostname = 'a1-01-gpu1' ORDER BY a.index`,
    )
  ).rows;
  expect(gpus).toHaveLength(8);

  // GPUs 0-3 of a1-01-gpu1 busy (90 %), 4-7 idle (2 %); memory 40 of 80 GiB used; temperatures 60 °C, GPU 0 at 88 °C.
  const dcgm = gpus
    .map((g) => {
      const l = `gpu="${g.index}",UUID="${g.uuid}",Hostname="a1-01-gpu1"`;
      return [
        `DCGM_FI_DEV_GPU_UTIL{${l}} ${g.index < 4 ? 90 : 2}`,
        `DCGM_FI_DEV_FB_USED{${l}} ${40 * 1024}`,
        `DCGM_FI_DEV_FB_FREE{${l}} ${40 * 1024}`,
        `DCGM_FI_DEV_GPU_TEMP{${l}} ${g.index === 0 ? 88 : 60}`,
        `DCGM_FI_DEV_POWER_USAGE{${l}} 500`,
      ].join('\n');
    })
    .join('\n');
  await ingest(`${dcgm}\n`, 'dcgm', now - 5_000);
  const site = 'site="ams-ai-1"';
  const facility = [
    `plenum_it_power_watts{${site}} 500000`,
    `plenum_facility_power_watts{${site}} 650000`,
    // Host wall power of a1-01-gpu1; rack A1-01 PDUs 10 kW each.
    `plenum_server_power_watts{${site},rack="A1-01",hostname="a1-01-gpu1"} 6000`,
    `plenum_rack_pdu_power_watts{${site},rack="A1-01",pdu="A1-01 PDU-A",feed="A"} 10000`,
    `plenum_rack_pdu_power_watts{${site},rack="A1-01",pdu="A1-01 PDU-B",feed="B"} 10000`,
    // Inlets: A1-01 allowable (two sensors, the warmer counts), A1-02 recommended, A1-03 outside A1.
    `plenum_sensor_inlet_temp_celsius{${site},rack="A1-01",sensor="A1-01:inlet-top"} 29.5`,
    `plenum_sensor_inlet_temp_celsius{${site},rack="A1-01",sensor="A1-01:inlet-bottom"} 24`,
    `plenum_sensor_inlet_temp_celsius{${site},rack="A1-02",sensor="A1-02:inlet"} 22`,
    `plenum_sensor_inlet_temp_celsius{${site},rack="A1-03",sensor="A1-03:inlet"} 33`,
    `plenum_sensor_outlet_temp_celsius{${site},rack="A1-01",sensor="A1-01:outlet"} 41`,
    `plenum_cooling_unit_heat_removed_watts{${site},unit="CRAH A-1",kind="crah"} 100000`,
    `plenum_cooling_unit_capacity_watts{${site},unit="CRAH A-1",kind="crah"} 200000`,
    `plenum_cooling_unit_supply_temp_celsius{${site},unit="CRAH A-1",kind="crah"} 19.5`,
  ].join('\n');
  await ingest(`${facility}\n`, 'plenum', now - 5_000);
  // An hour ago the site drew less: two points for the trend.
  await ingest(`plenum_it_power_watts{${site}} 400000\nplenum_facility_power_watts{${site}} 560000\n`, 'plenum', now - 3_000_000);

  // A running job holding GPUs 0 and 4-7 (4-7 idle), and a pending one; GPU 0 of a1-02-gpu1 has failed.
  const tenant = await db.pool.query<{ id: number }>(`INSERT INTO tenants (name, gpu_quota) VALUES ('dash-tenant', 64) RETURNING id`);
  const job = await db.pool.query<{ id: number }>(
    `INSERT INTO jobs (name, kind, tenant_id, gpus_per_worker, cpu_milli, memory_mib, expected_power_w_per_gpu, status)
     VALUES ('dash-train', 'training', $1, 5, 1000, 1024, 700, 'running') RETURNING id`,
    [tenant.rows[0]!.id],
  );
  await db.pool.query(
    `INSERT INTO jobs (name, kind, tenant_id, gpus_per_worker, cpu_milli, memory_mib, expected_power_w_per_gpu, status)
     VALUES ('dash-wait', 'training', $1, 1, 1000, 1024, 700, 'pending')`,
    [tenant.rows[0]!.id],
  );
  for (const g of gpus.filter((g) => g.index === 0 || g.index >= 4)) {
    await db.pool.query('INSERT INTO gpu_allocations (job_id, worker, accelerator_id, milli) VALUES ($1, 0, $2, 1000)', [job.rows[0]!.id, g.id]);
  }
  await db.pool.query(
    `UPDATE accelerators SET health = 'failed' WHERE index = 0 AND device_id = (SELECT id FROM devices WHERE hostname = 'a1-02-gpu1')`,
  );
});

afterAll(async () => {
  await db?.drop();
});

describe('dashboards service', () => {
  it('overview: IT and facility load, PUE, GPUs by state, jobs', async () => {
    const o = await siteOverview(db.pool, siteId, now);
    expect(o.itPowerW).toBe(500_000);
    expect(o.facilityPowerW).toBe(650_000);
    expect(o.pue).toBeCloseTo(1.3, 6);
    const total = Number((await db.pool.query(`SELECT count(*) AS n FROM accelerators a JOIN devices d ON d.id = a.device_id JOIN accelerator_models m ON m.id = a.model_id WHERE d.status NOT IN ('planned', 'decommissioned') AND lower(m.vendor) <> 'google'`)).rows[0].n);
    expect(o.gpus.total).toBe(total);
    expect(o.gpus.busy).toBe(4);
    expect(o.gpus.idle).toBe(4);
    expect(o.gpus.failedHealth).toBe(1);
    // Every GPU without a reading counts as failed, with the failed-health one.
    expect(o.gpus.failed).toBe(total - 8);
    expect(o.gpus.noReadings).toBe(total - 9);
    expect(o.avgGpuUtilPct).toBeCloseTo((4 * 90 + 4 * 2) / 8, 6);
    expect(o.jobs.running).toBeGreaterThanOrEqual(1);
    expect(o.jobs.pending).toBeGreaterThanOrEqual(1);
    expect(o.busyThresholdPct).toBe(BUSY_UTIL_PCT);
    // Busy GPUs 0-3: GPU 0 is held by the running job; 1-3 have no allocation, so they are unmanaged.
    expect(o.busyBy).toEqual({ busy: 4, byPlenumJobs: 1, byExternalJobs: 0, unmanaged: 3 });
  });

  it('busy GPUs held by an external job of a connected cluster count as external, not unmanaged', async () => {
    const cluster = await db.pool.query<{ id: number }>(`INSERT INTO clusters (name, kind, url) VALUES ('dash-slurm', 'slurm', 'http://127.0.0.1:1') RETURNING id`);
    const tenant = (await db.pool.query<{ id: number }>(`SELECT id FROM tenants WHERE name = 'dash-tenant'`)).rows[0]!.id;
    const job = await db.pool.query<{ id: number }>(
      `INSERT INTO jobs (name, kind, tenant_id, gpus_per_worker, cpu_milli, memory_mib, expected_power_w_per_gpu, status, origin, cluster_id, external_id)
       VALUES ('slurm-1', 'training', $1, 1, 1000, 1024, 700, 'running', 'external', $2, '1') RETURNING id`,
      [tenant, cluster.rows[0]!.id],
    );
    const allocation = await db.pool.query<{ id: number }>('INSERT INTO gpu_allocations (job_id, worker, accelerator_id, milli) VALUES ($1, 0, $2, 1000) RETURNING id', [job.rows[0]!.id, gpus[1]!.id]);
    try {
      expect((await siteOverview(db.pool, siteId, now)).busyBy).toEqual({ busy: 4, byPlenumJobs: 1, byExternalJobs: 1, unmanaged: 2 });
      expect((await utilisation(db.pool, siteId, now)).site.busyBy).toEqual({ busy: 4, byPlenumJobs: 1, byExternalJobs: 1, unmanaged: 2 });
    } finally {
      await db.pool.query('DELETE FROM gpu_allocations WHERE id = $1', [allocation.rows[0]!.id]);
      await db.pool.query('DELETE FROM jobs WHERE id = $1', [job.rows[0]!.id]);
      await db.pool.query('DELETE FROM clusters WHERE id = $1', [cluster.rows[0]!.id]);
    }
  });

  it('readings older than the staleness window count as no data', async () => {
    const later = await siteOverview(db.pool, siteId, now + 10 * 60_000);
    expect(later.itPowerW).toBeNull();
    expect(later.gpus.busy).toBe(0);
    expect(later.gpus.failed).toBe(later.gpus.total);
  });

  it('trends: raw points for an hour, rollups for a day, energy from mean power', async () => {
    const hour = await siteTrends(db.pool, siteId, { sinceMs: 3_600_000, untilMs: now });
    expect(hour.resolution).toBe('raw');
    expect(hour.points.map((p) => p.itPowerW)).toEqual([400_000, 500_000]);
    expect(hour.points.at(-1)!.pue).toBeCloseTo(1.3, 6);
    expect(hour.points.at(-1)!.gpuUtilPct).toBeCloseTo(46, 6);
    expect(hour.totals.itEnergyKwh).toBeCloseTo(((400_000 + 500_000) * hour.bucketS) / 3600 / 1000, 6);
    // The rollup worker adds a minute once it has closed.
    await runRollups(db.pool, { nowMs: now + 60_000 });
    const day = await siteTrends(db.pool, siteId, { sinceMs: 86_400_000, untilMs: now });
    expect(day.resolution).toBe('1m');
    expect(day.points.map((p) => p.itPowerW)).toEqual([400_000, 500_000]);
  });

  it('power: measured per device from host power and the rack PDU remainder, fed through analysePlant', async () => {
    const p = await powerDashboard(db.db, db.pool, siteId, now);
    expect(p.ok).toBe(true);
    const server = p.servers.find((s) => s.name === 'a1-01-gpu1')!;
    expect(server.measuredW).toBe(6000);
    expect(server.basis).toBe('host');
    expect(server.gpuPowerW).toBe(8 * 500);
    // Allocated: idle floor + 5 GPUs × 700 W of the running job.
    expect(server.allocatedW).toBeGreaterThan(5 * 700);
    const others = p.servers.filter((s) => s.rackName === 'A1-01' && s.name !== 'a1-01-gpu1');
    expect(others.every((s) => s.basis === 'rack-pdu-share')).toBe(true);
    const rack = p.racks.find((r) => r.name === 'A1-01')!;
    // Host-measured 6 kW + the 14 kW remainder shared among the rest = the 20 kW the PDUs read.
    expect(rack.measuredW).toBeCloseTo(20_000, 6);
    const pdu = p.nodes.find((n) => n.name === 'A1-01 PDU-A')!;
    expect(pdu.meteredW).toBe(10_000);
    expect(pdu.capacityW).toBeGreaterThan(0);
    expect(p.nodes[0]!.kind).toBe('utility-feed');
    expect(p.nodes.at(-1)!.kind).toBe('rack-pdu');
    // Racks without PDU readings have no measurement.
    expect(p.racks.find((r) => r.name === 'A1-02')!.measuredW).toBeNull();
    expect(p.utility.itPowerW).toBe(500_000);
    // The facility meter (650 kW) = what the utility feeds measure + unmetered / losses, exactly.
    const feeds = p.nodes.filter((n) => n.kind === 'utility-feed');
    expect(feeds.length).toBeGreaterThan(0);
    const r = p.reconciliation;
    expect(r.feeds.map((f) => f.name)).toEqual(feeds.map((f) => f.name));
    expect(r.facilityW).toBe(650_000);
    // Only A1-01 reports (20 kW at its PDUs): the feeds above it measure at least that, through the chain's losses.
    expect(r.metersW).toBeGreaterThanOrEqual(20_000);
    expect(r.metersW).toBeCloseTo(feeds.reduce((sum, f) => sum + (f.measuredW ?? 0), 0), 6);
    expect(r.unmeteredW).toBeCloseTo(650_000 - r.metersW!, 6);
    expect(r.metersW! + r.unmeteredW!).toBeCloseTo(r.facilityW!, 6);
  });

  it('thermal: inlet bands on the floor plan, cooling unit load, GPU temperature histogram and hot spots', async () => {
    const t = (await hallThermal(db.pool, hallAId, now))!;
    const rack = (name: string) => t.racks.find((r) => r.name === name)!;
    expect(rack('A1-01')).toMatchObject({ inletC: 29.5, outletC: 41, band: 'allowable' });
    expect(rack('A1-02').band).toBe('recommended');
    expect(rack('A1-03').band).toBe('outside');
    expect(rack('A1-04').band).toBe('no-data');
    expect(t.hotRacks.map((r) => r.name)).toEqual(['A1-03', 'A1-01']);
    const crah = t.coolingUnits.find((u) => u.name === 'CRAH A-1')!;
    expect(crah).toMatchObject({ heatRemovedW: 100_000, capacityW: 200_000, utilizationPct: 50, supplyC: 19.5, returnC: null });
    expect(t.gpuTempsReporting).toBe(8);
    expect(t.gpuTempHistogram.find((b) => b.fromC === 60)!.count).toBe(7);
    expect(t.gpuTempHistogram.find((b) => b.fromC === 85)!.count).toBe(1);
    expect(t.hotGpus).toEqual([expect.objectContaining({ uuid: gpus[0]!.uuid, tempC: 88 })]);
    expect(await hallThermal(db.pool, 999_999, now)).toBeNull();
    expect(inletBand(14)).toBe('outside');
    expect(inletBand(17)).toBe('allowable');
  });

  it('utilisation: by hall, rack, tenant and job, and idle-but-allocated GPUs', async () => {
    const u = await utilisation(db.pool, siteId, now);
    const a101 = u.byRack.find((g) => g.label === 'A1-01')!;
    expect(a101.reporting).toBe(8);
    expect(a101.avgUtilPct).toBeCloseTo(46, 6);
    expect(a101.memUsedPct).toBeCloseTo(50, 6);
    expect(a101.memTotalBytes).toBe(8 * 80 * 1024 * MIB);
    const job = u.byJob.find((g) => g.label.startsWith('dash-train'))!;
    expect(job.gpus).toBe(5);
    expect(job.avgUtilPct).toBeCloseTo((90 + 4 * 2) / 5, 6);
    expect(u.byTenant.find((g) => g.label === 'dash-tenant')!.gpus).toBe(5);
    expect(u.idleAllocated.map((g) => g.uuid).sort()).toEqual(gpus.filter((g) => g.index >= 4).map((g) => g.uuid).sort());
    expect(u.byHall.map((h) => h.label)).toContain('Hall A');
    expect(a101.busyBy).toEqual({ busy: 4, byPlenumJobs: 1, byExternalJobs: 0, unmanaged: 3 });
    expect(job.busyBy).toEqual({ busy: 1, byPlenumJobs: 1, byExternalJobs: 0, unmanaged: 0 });
  });

  it("job power drawn: each GPU's latest power times the job's share, counting only GPUs that report", async () => {
    const silent = (await db.pool.query<{ id: number }>(`SELECT a.id FROM accelerators a JOIN devices d ON d.id = a.device_id WHERE d.hostname = 'a1-02-gpu1' AND a.index = 1`)).rows[0]!.id;
    const shares = [
      { acceleratorId: gpus[0]!.id, milli: 1000 },
      { acceleratorId: gpus[4]!.id, milli: 500 },
      { acceleratorId: silent, milli: 1000 },
    ];
    expect(await measuredGpuPowerW(db.pool, shares, now)).toEqual({ powerW: 500 + 250, reporting: 2 });
    expect(await measuredGpuPowerW(db.pool, shares, now + 120_000)).toEqual({ powerW: null, reporting: 0 }); // stale
    expect(await measuredGpuPowerW(db.pool, [], now)).toEqual({ powerW: null, reporting: 0 });
  });
});
