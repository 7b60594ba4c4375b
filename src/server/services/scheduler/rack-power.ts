// Rack power headroom for TPU slice placement, computed the way the GPU snapshot computes it for GPU servers
// (snapshot.ts): each accelerator server counts at its idle floor plus its live allocations' expected draw, and the
// site's power chain analysis (services/plant.ts) turns that into each rack's headroom along the whole chain (rack
// budget, rack PDUs, upstream PDUs and UPSs). TPU hosts are counted the same way, with a chip's power at load as the
// accelerator power their idle floor is taken from (the catalogue gives TPUs no TDP).

import { sql } from 'drizzle-orm';
import type { DailyCurve } from '@/domain/inference-reserve';
import type { Db } from '../../db/client';
import type { DeviceLoadOverlay } from '../plant';
import { serverIdleFloorW } from './defaults';
import { liveAllocationReservations, rackHeadroom } from './snapshot';
import { tpuChipPowerAtLoadW } from './tpu-power';

export type RackPowerState = {
  /** Headroom per rack id, W; racks of a site whose power chain is invalid are absent (not limited). */
  headroomW: Map<number, number>;
  rackNames: Map<number, string>;
  /** Accelerator load reserved per rack when read (rackGpuLoads): the commit's baseline. */
  rackLoadW: Map<number, number>;
  warnings: string[];
  /** The inference curve the GPU allocations' reservations were computed with: the commit re-reads with it. */
  curve: DailyCurve | null;
};

type ServerRow = {
  device_id: number;
  site_id: number;
  nameplate_power_w: number;
  typical_power_w: number;
  accelerators: number;
  tdp_w: number | null;
  tpu_generation: string | null;
};

/**
 * Rack power headroom of the given sites, as the scheduler's power filter sees it: GPU allocations count at what they
 * reserve with `curve` (reservation.ts), as in the GPU snapshot.
 */
export async function rackPowerState(db: Db, siteIds: number[], curve: DailyCurve | null): Promise<RackPowerState> {
  if (siteIds.length === 0) return { headroomW: new Map(), rackNames: new Map(), rackLoadW: new Map(), warnings: [], curve };
  const sites = `{${siteIds.join(',')}}`;
  const servers = (
    await db.execute<ServerRow>(sql`
      SELECT d.id AS device_id, h.site_id, t.nameplate_power_w, t.typical_power_w,
             count(a.id)::int AS accelerators, max(m.tdp_w) AS tdp_w, min(p.generation) AS tpu_generation
      FROM devices d
      JOIN device_types t ON t.id = d.device_type_id
      JOIN racks r ON r.id = d.rack_id JOIN halls h ON h.id = r.hall_id
      JOIN accelerators a ON a.device_id = d.id JOIN accelerator_models m ON m.id = a.model_id
      LEFT JOIN tpu_chips c ON c.accelerator_id = a.id LEFT JOIN tpu_pods p ON p.id = c.pod_id
      WHERE t.kind = 'server' AND d.status NOT IN ('planned', 'decommissioned') AND h.site_id = ANY(${sites}::int[])
      GROUP BY d.id, h.site_id, t.nameplate_power_w, t.typical_power_w`)
  ).rows;
  const rackLoadW = new Map<number, number>();
  const allocatedW = new Map<number, number>();
  for (const siteId of siteIds) {
    for (const a of await liveAllocationReservations(db, curve, siteId)) {
      allocatedW.set(a.deviceId, (allocatedW.get(a.deviceId) ?? 0) + a.watts);
      rackLoadW.set(a.rackId, (rackLoadW.get(a.rackId) ?? 0) + a.watts);
    }
  }
  const overlay: DeviceLoadOverlay = new Map();
  for (const server of servers) {
    const acceleratorW = server.tpu_generation ? tpuChipPowerAtLoadW(server.tpu_generation) : server.tdp_w;
    const floorW = serverIdleFloorW({ nameplatePowerW: server.nameplate_power_w, typicalPowerW: server.typical_power_w }, server.accelerators, acceleratorW);
    overlay.set(server.device_id, { allocatedW: floorW + (allocatedW.get(server.device_id) ?? 0) });
  }
  const headroom = await rackHeadroom(db, siteIds, overlay);
  return { headroomW: headroom.powerHeadroom, rackNames: headroom.rackNames, rackLoadW, warnings: headroom.warnings, curve };
}
