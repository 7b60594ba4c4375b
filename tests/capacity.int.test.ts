import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller } from '../src/server/api/root';
import { createContext } from '../src/server/api/trpc';
import * as s from '../src/server/db/schema';
import { seedIfEmpty } from '../src/server/db/seed';
import { createTestDatabase, type TestDatabase } from './db';

/**
 * Capacity planning on the demo seed, checked against numbers worked out by hand from the seed:
 * Hall A GPU racks hold 3 × XE9680 (10.2 kW nameplate each, 6 U at U2, U9, U16) in 42 U racks with a 40 kW budget
 * and 2 × 34.5 kW rack PDUs (415 V × 60 A × √3 × 80 %). With one side lost the other carries 30.6 kW, so each rack
 * can take 34.5 − 30.6 = 3.9 kW more; free front units are U1, U8, U15 and U22-U42 (24 U).
 */
describe('capacity planning on the demo seed', () => {
  let database: TestDatabase;
  let caller: ReturnType<typeof createCaller>;
  let siteId: number;
  const idOf = async (table: typeof s.powerNodes | typeof s.coolingUnits, name: string) => (await database.db.select({ id: table.id }).from(table).where(eq(table.name, name)))[0]!.id;

  beforeAll(async () => {
    database = await createTestDatabase();
    await seedIfEmpty(database.db, 'demo');
    caller = createCaller(createContext(database));
    siteId = (await caller.sites.listWithHalls())[0]!.id;
  });
  afterAll(() => database.drop());

  it('reports per-rack headroom: free U, power with A/B failover, cooling', async () => {
    const report = await caller.capacity.headroom({ siteId });
    const rack = report.racks.find((r) => r.name === 'A1-01')!;
    expect(rack.freeU).toBe(24);
    expect(rack.largestFreeSpanU).toBe(21);
    expect(rack.powerHeadroomW).toBeCloseTo(415 * 60 * Math.sqrt(3) * 0.8 - 30_600, 0);
    expect(rack.weightHeadroomKg).toBe(1360 - 3 * 107);
    expect(report.halls.map((h) => h.key).sort()).toEqual(['Hall A', 'Hall B', 'Hall T']);
    expect(report.site!.racks).toBe(report.racks.length);
  });

  it('stranded: free U and switch ports in racks whose usable power cannot take the smallest server on the site', async () => {
    const report = await caller.capacity.headroom({ siteId });
    // The yardstick is the smallest server placed in racks cooled the same way: in air-cooled racks the XE9680 (10.2 kW,
    // H100 and MI300X alike); in liquid-cooled racks the TPU v5p host (2.0 kW), not the GB200 compute tray (6.5 kW).
    expect([...report.strandThresholds].sort((a, b) => a.cooling.localeCompare(b.cooling))).toEqual([
      { cooling: 'air', thresholdW: 10_200 },
      { cooling: 'liquid', thresholdW: 2_000 },
    ]);
    const rack = (name: string) => report.racks.find((r) => r.name === name)!;
    // Every Hall A GPU rack: 24 U free behind 3.9 kW of failover headroom, which no server of the site fits in.
    const hallAGpuRacks = report.racks.filter((r) => r.hallName === 'Hall A' && !r.name.endsWith('-NET') && r.rowName !== 'A3'); // A3: the AMD row, below
    expect(hallAGpuRacks).toHaveLength(16);
    for (const r of hallAGpuRacks) expect(r.stranded.spaceWithoutPowerU).toBe(24);
    // A1-NET has 4.4 kW usable: its 29 free U and all its free leaf ports are stranded; A2-NET (12.5 kW) is not.
    expect(rack('A1-NET').usablePowerW).toBeLessThan(10_200);
    expect(rack('A1-NET').stranded.spaceWithoutPowerU).toBe(29);
    expect(rack('A1-NET').stranded.portsWithoutPowerByGbps).toEqual(rack('A1-NET').freePortsByGbps);
    expect(Object.keys(rack('A1-NET').freePortsByGbps).length).toBeGreaterThan(0);
    expect(rack('A2-NET').stranded).toMatchObject({ spaceWithoutPowerU: 0, portsWithoutPowerByGbps: {}, outletsWithoutPower: 0 });
    // Rack PDU outlets: 2 PDUs × 24 outlets, less the PSUs plugged in; in a stranded rack they are stranded too.
    const plugged = async (name: string) =>
      (
        await database.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM psu_connections pc JOIN power_nodes pn ON pn.id = pc.rack_pdu_id JOIN racks r ON r.id = pn.rack_id WHERE r.name = $1`,
          [name],
        )
      ).rows[0]!.n;
    const a101Plugged = await plugged('A1-01');
    expect(a101Plugged).toBeGreaterThan(0);
    expect(rack('A1-01').freeOutlets).toBe(2 * 24 - a101Plugged);
    expect(rack('A1-01').stranded.outletsWithoutPower).toBe(2 * 24 - a101Plugged);
    expect(rack('A2-NET').freeOutlets).toBe(2 * 24 - (await plugged('A2-NET')));
    // The AMD rack A3-01 (4 × 6 U XE9680 in 42 U) and Hall B's air-cooled network rack B1-NET keep less than an
    // XE9680's 10.2 kW: their 18 and 31 free U are stranded.
    for (const [name, freeU] of [['A3-01', 18], ['B1-NET', 31]] as const) {
      expect(rack(name).usablePowerW).toBeLessThan(10_200);
      expect(rack(name).stranded.spaceWithoutPowerU).toBe(freeU);
    }
    // Hall B's NVL72 racks keep 14 kW and the TPU v5p racks 2.5 kW: room for a liquid-cooled server, nothing stranded.
    const liquidRacks = report.racks.filter((r) => (r.hallName === 'Hall B' || r.hallName === 'Hall T') && !r.name.endsWith('-NET'));
    expect(liquidRacks.length).toBeGreaterThan(0);
    for (const r of liquidRacks) expect(r.stranded.spaceWithoutPowerU).toBe(0);
    expect(rack('T1-01').strandThresholdW).toBe(2_000);
    expect(report.site!.stranded.spaceWithoutPowerU).toBe(16 * 24 + 29 + 18 + 31);
    // The stranded ports are the free leaf ports of the two stranded network racks.
    const netPorts = (speed: string) => (rack('A1-NET').freePortsByGbps[speed] ?? 0) + (rack('B1-NET').freePortsByGbps[speed] ?? 0);
    expect(report.site!.stranded.portsWithoutPowerByGbps).toEqual(Object.fromEntries(['400', '800'].map((speed) => [speed, netPorts(speed)])));
    const strandedRacks = report.racks.filter((r) => r.stranded.spaceWithoutPowerU > 0);
    expect(report.site!.stranded.outletsWithoutPower).toBe(strandedRacks.reduce((sum, r) => sum + r.freeOutlets, 0));
    // A caller's own yardstick still applies (e.g. 1 kW: only racks with under 1 kW usable are stranded).
    const lenient = await caller.capacity.headroom({ siteId, strandThresholdW: 1_000 });
    expect(lenient.site!.stranded.spaceWithoutPowerU).toBe(0);
  });

  it('what-if: two 1 U switches of 1.72 kW go into the fullest usable rack, at its lowest free units', async () => {
    const [type] = await database.db.select().from(s.deviceTypes).where(eq(s.deviceTypes.model, 'QM9700'));
    const rowA1 = (await database.db.select().from(s.rows).where(eq(s.rows.name, 'A1')))[0]!;
    const result = await caller.capacity.whatIfPlacement({ siteId, deviceTypeId: type!.id, count: 2, rowId: rowA1.id });
    expect(result.unplaced).toBe(0);
    // 3.9 kW of headroom takes two 1.72 kW switches (3.44 kW); A1-01 is the first of the equally full GPU racks.
    expect(result.placed).toEqual([{ rackId: expect.any(String), rackName: 'A1-01', positionsU: [1, 8] }]);
  });

  it('what-if: an 8-GPU server (10.2 kW) fits no Hall A GPU rack; power is the blocker', async () => {
    const [type] = await database.db.select().from(s.deviceTypes).where(eq(s.deviceTypes.model, 'PowerEdge XE9680'));
    const hallA = (await database.db.select().from(s.halls).where(eq(s.halls.name, 'Hall A')))[0]!;
    const result = await caller.capacity.whatIfPlacement({ siteId, deviceTypeId: type!.id, count: 4, hallId: hallA.id });
    // Only A2-NET (12.5 kW load, 25 kW budget) has 10.2 kW to spare, once. The AMD rack A3-01 (4 × 10.2 kW in a
    // 48 kW budget) has 7.2 kW: the 19th rack blocked by power.
    expect(result.placed.map((p) => p.rackName)).toEqual(['A2-NET']);
    expect(result.unplaced).toBe(3);
    expect(result.blockers.power).toBe(19);
    expect(result.explanation).toContain('19 power');
  });

  it('what-if failure: losing UPS A overloads nothing (2N); losing two of four Hall A CRAHs overheats the hall', async () => {
    const upsA = await caller.capacity.whatIfFailure({ siteId, powerNodeIds: [await idOf(s.powerNodes, 'UPS A')] });
    expect(upsA.power!.overloads).toEqual([]);
    expect(upsA.power!.unpoweredRacks).toEqual([]);

    const oneCrah = await caller.capacity.whatIfFailure({ siteId, coolingUnitIds: [await idOf(s.coolingUnits, 'CRAH A-1')] });
    // 523 kW of Hall A heat, plus the AMD rack's 40.8 kW, on 3 × 200 kW still fits, but losing one more would not.
    expect(oneCrah.cooling.groupsLosingRedundancy).toEqual(['hall-a-air']);
    expect(oneCrah.cooling.overheatingRacks).toEqual([]);

    const twoCrahs = await caller.capacity.whatIfFailure({ siteId, coolingUnitIds: [await idOf(s.coolingUnits, 'CRAH A-1'), await idOf(s.coolingUnits, 'CRAH A-2')] });
    expect(twoCrahs.cooling.groupsOverloaded).toEqual(['hall-a-air']);
    // Hall A's 18 NVIDIA racks and the AMD rack A3-01.
    expect(twoCrahs.cooling.overheatingRacks).toHaveLength(19);
    expect(twoCrahs.affectedRacks).toHaveLength(19);
  });

  it('what-if failure names the running jobs that hold GPUs in the racks that would overheat', async () => {
    const tenant = await database.pool.query<{ id: number }>(`INSERT INTO tenants (name, gpu_quota) VALUES ('whatif', 64) RETURNING id`);
    const job = await database.pool.query<{ id: number }>(
      `INSERT INTO jobs (name, kind, tenant_id, gpus_per_worker, cpu_milli, memory_mib, expected_power_w_per_gpu, status)
       VALUES ('hall-a-train', 'training', $1, 8, 1000, 1024, 700, 'running') RETURNING id`,
      [tenant.rows[0]!.id],
    );
    await database.pool.query(
      `INSERT INTO gpu_allocations (job_id, worker, accelerator_id, milli)
       SELECT $1, 0, a.id, 1000 FROM accelerators a JOIN devices d ON d.id = a.device_id WHERE d.name = 'a1-03-gpu2'`,
      [job.rows[0]!.id],
    );
    const crahs = [await idOf(s.coolingUnits, 'CRAH A-1'), await idOf(s.coolingUnits, 'CRAH A-2')];
    const hallA = await caller.capacity.whatIfFailure({ siteId, coolingUnitIds: crahs });
    expect(hallA.affectedJobs).toEqual([{ id: job.rows[0]!.id, name: 'hall-a-train', tenant: 'whatif', gpus: 8 }]);
    // Losing one CDU of Hall B's N+1 pair overheats nothing, so no job is affected.
    const cdu = await caller.capacity.whatIfFailure({ siteId, coolingUnitIds: [await idOf(s.coolingUnits, 'CDU B-1')] });
    expect(cdu.affectedJobs).toEqual([]);
  });

  it('rejects a what-if that names nothing', async () => {
    await expect(caller.capacity.whatIfFailure({ siteId })).rejects.toThrow(/powerNodeIds: name at least one/);
  });
});
