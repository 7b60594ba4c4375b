/**
 * The demo's AMD Instinct rack: one air-cooled rack of MI300X servers (8 OAM GPUs each on one XGMI board) in a row
 * of its own at the end of Hall A, so the dashboards, the floor plan and the job pages show AMD beside NVIDIA. The
 * last server runs in CPX/NPS4 (8 partitions of 24 GiB per GPU), the others in the default SPX/NPS1.
 * Kept apart from the main seed so it stays one self-contained block.
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../client';
import * as s from '../schema';
import { AMD_GPUS_PER_SERVER, AMD_SERVERS_PER_RACK, seededAmdGpuUuid, type SeedScale } from './plan';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export const AMD_SERVER_MODEL = 'PowerEdge XE9680 (MI300X)';

/** Seeds the AMD rack(s) into Hall A; returns the GPUs added. */
export async function seedAmdRacks(
  tx: Tx,
  scale: SeedScale,
  site: { siteId: number; hallAId: number; makerId: number; fabricIds: { storage: number; management: number } },
): Promise<number> {
  const racks = scale.amdRacks ?? 0;
  if (racks === 0) return 0;
  const [model] = await tx.select().from(s.acceleratorModels).where(eq(s.acceleratorModels.name, 'Instinct MI300X'));
  if (!model) throw new Error('seed: the accelerator catalogue has no Instinct MI300X');
  const [type] = await tx
    .insert(s.deviceTypes)
    .values({
      manufacturerId: site.makerId,
      model: AMD_SERVER_MODEL,
      slug: 'dell-poweredge-xe9680-mi300x',
      partNumber: 'XE9680',
      kind: 'server',
      uHeight: 6,
      isFullDepth: true,
      airflow: 'front-to-rear',
      weightKg: 107,
      // 8 × 750 W OAM plus two EPYC/Xeon sockets, memory, NICs and fans; the same 6 × 2,800 W PSUs as the H100 build.
      nameplatePowerW: 10_200,
      typicalPowerW: 8_200,
      psuTemplates: Array.from({ length: 6 }, (_, i) => ({ name: `PSU${i + 1}`, maximumDrawW: 2_800 })),
      interfaceTemplates: [
        { name: 'eth0', kind: 'ethernet', speedGbps: 400 },
        { name: 'bmc', kind: 'management', speedGbps: 1 },
      ],
      acceleratorSlots: AMD_GPUS_PER_SERVER,
      acceleratorModelId: model.id,
    })
    .returning();
  const [row] = await tx
    .insert(s.rows)
    .values({ hallId: site.hallAId, name: `A${scale.hallARows + 1}`, gridX: 3, gridY: 2 + scale.hallARows * 4, coldAisleSide: 'south' })
    .returning();
  let gpus = 0;
  for (let r = 1; r <= racks; r++) {
    const rackName = `${row!.name}-${String(r).padStart(2, '0')}`;
    const [rack] = await tx
      .insert(s.racks)
      .values({ hallId: site.hallAId, rowId: row!.id, name: rackName, positionInRow: r, uHeight: 42, maxPowerKw: 48, maxWeightKg: 1_360, coolingKind: 'air', status: 'active' })
      .returning();
    // Rack PDUs: 415 V three-phase 80 A used to 80 % (46 kW per side), so either side carries the whole rack.
    const pdus = await tx
      .insert(s.powerNodes)
      .values(
        (['A', 'B'] as const).map((side) => ({
          siteId: site.siteId,
          kind: 'rack-pdu' as const,
          name: `${rackName} PDU-${side}`,
          side,
          voltageV: 415,
          amperageA: 80,
          phase: 'three' as const,
          maxUtilizationPct: 80,
          rackId: rack!.id,
        })),
      )
      .returning();
    for (const pdu of pdus) {
      const [hallPdu] = await tx.select({ id: s.powerNodes.id }).from(s.powerNodes).where(eq(s.powerNodes.name, `PDU ${pdu.side}-Hall A`));
      if (!hallPdu) throw new Error(`seed: no PDU ${pdu.side}-Hall A for the AMD rack`);
      await tx.insert(s.powerEdges).values({ upstreamId: hallPdu.id, downstreamId: pdu.id });
    }
    for (let n = 0; n < AMD_SERVERS_PER_RACK; n++) {
      const name = `${rackName.toLowerCase()}-mi300x${n + 1}`;
      const serial = `AMD${String(r * 100 + n + 1).padStart(6, '0')}`;
      const [device] = await tx
        .insert(s.devices)
        .values({
          deviceTypeId: type!.id,
          rackId: rack!.id,
          position: 2 + n * 7,
          face: 'front',
          uHeight: type!.uHeight,
          isFullDepth: true,
          weightKg: type!.weightKg,
          name,
          serial,
          assetTag: `AMS1-${serial}`,
          status: 'active',
          hostname: name,
          bmcAddress: `10.250.${r}.${n + 1}`,
        })
        .returning();
      // The last server of the first rack shows partitioning: CPX/NPS4, 64 logical GPUs of 24 GiB.
      const cpx = r === 1 && n === AMD_SERVERS_PER_RACK - 1;
      await tx.insert(s.accelerators).values(
        Array.from({ length: AMD_GPUS_PER_SERVER }, (_, g) => ({
          deviceId: device!.id,
          index: g,
          uuid: seededAmdGpuUuid((r - 1) * AMD_SERVERS_PER_RACK * AMD_GPUS_PER_SERVER + n * AMD_GPUS_PER_SERVER + g + 1),
          modelId: model.id,
          // The 8 OAM modules of one board are fully meshed by XGMI: one scale-up domain, like an HGX NVLink board.
          nvlinkDomain: `${name}-xgmi`,
          computePartition: cpx ? ('CPX' as const) : ('SPX' as const),
          memoryPartition: cpx ? ('NPS4' as const) : ('NPS1' as const),
        })),
      );
      gpus += AMD_GPUS_PER_SERVER;
      await tx.insert(s.psuConnections).values(
        type!.psuTemplates.map((psu, i) => {
          const side = i % 2 === 0 ? ('A' as const) : ('B' as const);
          return { deviceId: device!.id, psuName: psu.name, rackPduId: pdus.find((p) => p.side === side)!.id, side, maximumDrawW: psu.maximumDrawW };
        }),
      );
      await tx.insert(s.interfaces).values([
        { deviceId: device!.id, name: 'eth0', kind: 'ethernet', speedGbps: 400, fabricId: site.fabricIds.storage },
        { deviceId: device!.id, name: 'bmc', kind: 'management', speedGbps: 1, fabricId: site.fabricIds.management },
      ]);
    }
  }
  return gpus;
}
