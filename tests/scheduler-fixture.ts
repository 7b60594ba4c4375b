// A small cluster for the scheduler's integration tests: one site, one restricted hall, `racks` racks with
// `serversPerRack` 8-GPU servers each (one NVLink board per server), one InfiniBand leaf per rack cabled to its servers.
import type { Db } from '../src/server/db/client';
import * as s from '../src/server/db/schema';

export type SmallCluster = {
  rackIds: number[];
  serverIds: number[];
  gpuUuids: string[];
  /** Accelerator ids per server, by index. */
  gpusByServer: Map<number, number[]>;
};

export async function seedSmallCluster(db: Db, options: { racks?: number; serversPerRack?: number; rackMaxPowerKw?: number; secureRack?: boolean; cooling?: boolean } = {}): Promise<SmallCluster> {
  const racksCount = options.racks ?? 2;
  const perRack = options.serversPerRack ?? 2;
  const [site] = await db.insert(s.sites).values({ slug: 'test', name: 'Test site', utilityCapacityKw: 5000 }).returning();
  const [restricted, secure] = await db
    .insert(s.securityZones)
    .values([
      { siteId: site!.id, name: 'Hall', accessLevel: 'restricted' },
      { siteId: site!.id, name: 'Cage', accessLevel: 'secure' },
    ])
    .returning();
  const [hall] = await db
    .insert(s.halls)
    .values({ siteId: site!.id, slug: 'h', name: 'Hall T', coolingType: 'air', designItLoadKw: 1000, gridColumns: 20, gridRows: 10, securityZoneId: restricted!.id })
    .returning();
  if (options.cooling !== false) {
    // Two CRAHs of 300 kW (N+1) remove the hall's air heat; two chillers (N+1) reject it.
    const units = await db
      .insert(s.coolingUnits)
      .values([
        ...[1, 2].map((i) => ({ siteId: site!.id, kind: 'crah' as const, name: `CRAH ${i}`, capacityKw: 300, supplySetpointC: 22, redundancyGroup: 'hall-air' })),
        ...[1, 2].map((i) => ({ siteId: site!.id, kind: 'chiller' as const, name: `Chiller ${i}`, capacityKw: 500, supplySetpointC: 14, redundancyGroup: 'plant' })),
      ])
      .returning();
    await db.insert(s.coolingServedAreas).values(units.map((u) => ({ unitId: u.id, hallId: hall!.id })));
  }
  const [row] = await db.insert(s.rows).values({ hallId: hall!.id, name: 'T1', gridX: 1, gridY: 1 }).returning();
  const [maker] = await db.insert(s.manufacturers).values({ name: 'TestCo', slug: 'testco' }).returning();
  const [model] = await db.insert(s.acceleratorModels).values({ name: 'H100 SXM5 80GB', vendor: 'NVIDIA', memoryGib: 79.6, tdpW: 700, formFactor: 'SXM5' }).returning();
  const [serverType] = await db
    .insert(s.deviceTypes)
    .values({ manufacturerId: maker!.id, model: 'HGX test', slug: 'hgx-test', kind: 'server', uHeight: 6, weightKg: 100, nameplatePowerW: 10_200, typicalPowerW: 8_000, acceleratorSlots: 8, acceleratorModelId: model!.id })
    .returning();
  const [switchType] = await db
    .insert(s.deviceTypes)
    .values({ manufacturerId: maker!.id, model: 'IB leaf', slug: 'ib-leaf', kind: 'switch', uHeight: 1, weightKg: 15, nameplatePowerW: 1_000, typicalPowerW: 800 })
    .returning();
  const [fabric] = await db.insert(s.fabrics).values({ siteId: site!.id, name: 'IB', purpose: 'compute', topology: 'fat-tree' }).returning();

  const rackIds: number[] = [];
  const serverIds: number[] = [];
  const gpuUuids: string[] = [];
  const gpusByServer = new Map<number, number[]>();
  for (let r = 0; r < racksCount; r++) {
    const [rack] = await db
      .insert(s.racks)
      .values({
        hallId: hall!.id,
        rowId: row!.id,
        name: `T1-${String(r + 1).padStart(2, '0')}`,
        positionInRow: r + 1,
        maxPowerKw: options.rackMaxPowerKw ?? 40,
        maxWeightKg: 1500,
        securityZoneId: options.secureRack && r === racksCount - 1 ? secure!.id : null,
      })
      .returning();
    rackIds.push(rack!.id);
    const [leaf] = await db
      .insert(s.devices)
      .values({ deviceTypeId: switchType!.id, rackId: rack!.id, position: 40, face: 'front', uHeight: 1, isFullDepth: true, weightKg: 15, name: `leaf-${r + 1}` })
      .returning();
    await db.insert(s.fabricMembers).values({ fabricId: fabric!.id, deviceId: leaf!.id, tier: 'leaf' });
    for (let k = 0; k < perRack; k++) {
      const name = `t1-${r + 1}-gpu${k + 1}`;
      const [server] = await db
        .insert(s.devices)
        .values({ deviceTypeId: serverType!.id, rackId: rack!.id, position: 2 + k * 7, face: 'front', uHeight: 6, isFullDepth: true, weightKg: 100, name, hostname: name })
        .returning();
      serverIds.push(server!.id);
      await db.insert(s.fabricMembers).values({ fabricId: fabric!.id, deviceId: server!.id, tier: 'node' });
      const [serverPort] = await db.insert(s.interfaces).values({ deviceId: server!.id, name: 'ib0', kind: 'infiniband', speedGbps: 400 }).returning();
      const [leafPort] = await db.insert(s.interfaces).values({ deviceId: leaf!.id, name: `p${k + 1}`, kind: 'infiniband', speedGbps: 400 }).returning();
      const [link] = await db.insert(s.links).values({}).returning();
      await db.insert(s.linkEnds).values([
        { linkId: link!.id, end: 'a', interfaceId: serverPort!.id },
        { linkId: link!.id, end: 'b', interfaceId: leafPort!.id },
      ]);
      const gpus = await db
        .insert(s.accelerators)
        .values(
          Array.from({ length: 8 }, (_, index) => ({
            deviceId: server!.id,
            index,
            uuid: `GPU-7e570000-0000-4000-8000-${String(server!.id).padStart(6, '0')}${String(index).padStart(6, '0')}`,
            modelId: model!.id,
            nvlinkDomain: `${name}-hgx`,
          })),
        )
        .returning();
      gpusByServer.set(server!.id, gpus.map((g) => g.id));
      gpuUuids.push(...gpus.map((g) => g.uuid));
    }
  }
  return { rackIds, serverIds, gpuUuids, gpusByServer };
}

export async function createTenant(db: Db, name: string, gpuQuota = 1000, clearedZoneLevel = 2) {
  const [tenant] = await db.insert(s.tenants).values({ name, gpuQuota, clearedZoneLevel }).returning();
  return tenant!;
}
