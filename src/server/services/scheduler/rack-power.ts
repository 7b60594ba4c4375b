// Rack power headroom for TPU slice placement, computed the way the GPU snapshot computes it for GPU servers
// (snapshot.ts): each accelerator server counts at its idle floor plus its live allocations' expected draw, and the
// site's power chain analysis (services/plant.ts) turns that into each rack's headroom along the whole chain (rack
// budget, rack PDUs, upstream PDUs and UPSs). TPU hosts are counted the same way, with a chip's power at load as the
// accelerator power their idle floor is taken from (the catalogue gives TPUs no TDP).

import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import type { DeviceLoadOverlay } from '../plant';
import { serverIdleFloorW } from './defaults';
import { rackGpuLoads, rackHeadroom } from './snapshot';
import { tpuChipPowerAtLoadW } from './tpu-power';

export type RackPowerState = {
  /** Headroom per rack id, W; racks of a site whose power chain is invalid are absent (not limited). */
  headroomW: Map<number, number>;
  rackNames: Map<number, string>;
  /** Expected accelerator load per rack when read (rackGpuLoads): the commit's baseline. */
  rackLoadW: Map<number, number>;
  warnings: string[];
};

type ServerRow = {
  device_id: number;
  site_id: number;
  nameplate_power_w: number;
  typical_power_w: number;
  accelerators: number;
  tdp_w: number | null;
  tpu_generation: string | null;
  allocated_w: number;
};

/** Rack power headroom of the given sites, as the scheduler's power filter sees it. */
export async function rackPowerState(db: Db, siteIds: number[]): Promise<RackPowerState> {
  if (siteIds.length === 0) return { headroomW: new Map(), rackNames: new Map(), rackLoadW: new Map(), warnings: [] };
  const sites = `{${siteIds.join(',')}}`;
  const servers = (
    await db.execute<ServerRow>(sql`
      SELECT d.id AS device_id, h.site_id, t.nameplate_power_w, t.typical_power_w,
             count(a.id)::int AS accelerators, max(m.tdp_w) AS tdp_w, min(p.generation) AS tpu_generation,
             COALESCE((SELECT SUM(g.milli / 1000.0 * j.expected_power_w_per_gpu) FROM gpu_allocations g
                       JOIN jobs j ON j.id = g.job_id JOIN accelerators ga ON ga.id = g.accelerator_id
                       WHERE ga.device_id = d.id AND g.released_at IS NULL), 0)::float8 AS allocated_w
      FROM devices d
      JOIN device_types t ON t.id = d.device_type_id
      JOIN racks r ON r.id = d.rack_id JOIN halls h ON h.id = r.hall_id
      JOIN accelerators a ON a.device_id = d.id JOIN accelerator_models m ON m.id = a.model_id
      LEFT JOIN tpu_chips c ON c.accelerator_id = a.id LEFT JOIN tpu_pods p ON p.id = c.pod_id
      WHERE t.kind = 'server' AND d.status NOT IN ('planned', 'decommissioned') AND h.site_id = ANY(${sites}::int[])
      GROUP BY d.id, h.site_id, t.nameplate_power_w, t.typical_power_w`)
  ).rows;
  const overlay: DeviceLoadOverlay = new Map();
  for (const server of servers) {
    const acceleratorW = server.tpu_generation ? tpuChipPowerAtLoadW(server.tpu_generation) : server.tdp_w;
    const floorW = serverIdleFloorW({ nameplatePowerW: server.nameplate_power_w, typicalPowerW: server.typical_power_w }, server.accelerators, acceleratorW);
    overlay.set(server.device_id, { allocatedW: floorW + server.allocated_w });
  }
  const headroom = await rackHeadroom(db, siteIds, overlay);
  const rackLoadW = new Map<number, number>();
  for (const siteId of siteIds) for (const rack of await rackGpuLoads(db, siteId)) rackLoadW.set(rack.rackId, rack.watts);
  return { headroomW: headroom.powerHeadroom, rackNames: headroom.rackNames, rackLoadW, warnings: headroom.warnings };
}
