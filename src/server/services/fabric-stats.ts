/**
 * Per fabric of a site: switches by tier, ports, distinct links and the fastest port. At 100,000 GPUs that is a count
 * over ~360,000 interfaces and ~225,000 link ends (over a second on 2 cores), and it changes only with the plant: one
 * computation per plant version (the `plant_version` counter, bumped by statement triggers on the network tables too,
 * migration 0024), shared by every request of the process.
 */
import { sql } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import * as s from '../db/schema';
import type { Db } from '../db/client';
import { poolOf, processCache } from './process-cache';

export type FabricStats = { tiers: Partial<Record<'node' | 'leaf' | 'spine' | 'core', number>>; links: number; ports: number; maxSpeedGbps: number | null };

/** Fabric id → its statistics, for the fabrics of one site. */
export async function fabricStats(db: Db, siteId: number): Promise<Map<number, FabricStats>> {
  // Never cached inside a transaction: it may see (and bump the version for) changes that are then rolled back.
  if (db instanceof PgTransaction) return computeFabricStats(db, siteId);
  const cache = processCache<number, { version: number; stats: Promise<Map<number, FabricStats>> }>('fabric-stats', poolOf(db));
  const [row] = await db.select({ version: s.plantVersion.version }).from(s.plantVersion);
  const version = row?.version ?? -1;
  const held = cache.get(siteId);
  if (held && held.version === version) return held.stats;
  const stats = computeFabricStats(db, siteId);
  cache.set(siteId, { version, stats });
  stats.catch(() => {
    if (cache.get(siteId)?.stats === stats) cache.delete(siteId);
  });
  return stats;
}

async function computeFabricStats(db: Db, siteId: number): Promise<Map<number, FabricStats>> {
  const { rows } = await db.execute<{ fabric_id: number; kind: string; key: string | null; n: number; max_speed: number | null }>(
    sql`WITH site_fabrics AS (SELECT id FROM fabrics WHERE site_id = ${siteId})
     SELECT fabric_id, 'tier' AS kind, tier AS key, count(*)::int AS n, NULL::float8 AS max_speed
       FROM fabric_members WHERE fabric_id IN (SELECT id FROM site_fabrics) GROUP BY fabric_id, tier
     UNION ALL
     SELECT fabric_id, 'ports', NULL, count(*)::int, max(speed_gbps)::float8
       FROM interfaces WHERE fabric_id IN (SELECT id FROM site_fabrics) GROUP BY fabric_id
     UNION ALL
     SELECT fabric_id, 'links', NULL, count(*)::int, NULL
       FROM (SELECT DISTINCT i.fabric_id, e.link_id FROM interfaces i JOIN link_ends e ON e.interface_id = i.id
              WHERE i.fabric_id IN (SELECT id FROM site_fabrics)) per_link
      GROUP BY fabric_id`,
  );
  const out = new Map<number, FabricStats>();
  const of = (id: number) => {
    let stats = out.get(id);
    if (!stats) {
      stats = { tiers: {}, links: 0, ports: 0, maxSpeedGbps: null };
      out.set(id, stats);
    }
    return stats;
  };
  for (const r of rows) {
    const stats = of(r.fabric_id);
    if (r.kind === 'tier') stats.tiers[r.key as keyof FabricStats['tiers']] = r.n;
    else if (r.kind === 'ports') {
      stats.ports = r.n;
      stats.maxSpeedGbps = r.max_speed;
    } else stats.links = r.n;
  }
  return out;
}
