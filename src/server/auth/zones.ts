import { TRPCError } from '@trpc/server';
import { eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client';
import * as s from '../db/schema';
import type { Principal } from './principal';

type HasPrincipal = { principal: Principal };
/** A database or a transaction: anything that can select. */
type Reader = Pick<Db, 'select'>;

/**
 * Whether the caller's grant covers a security zone. All-zones grants cover everything, objects without a zone
 * included; a zone-scoped grant covers only its zones (an object with no zone is outside every named zone).
 * For other areas (e.g. the scheduler's tenant clearance) to reuse.
 */
export function canActInZone(ctx: HasPrincipal, zoneId: number | null | undefined): boolean {
  const { principal } = ctx;
  if (principal.kind === 'system' || principal.allZones) return true;
  return zoneId != null && principal.zoneIds.has(zoneId);
}

/** Refuses global changes (the device-type library, whole-inventory import) to zone-scoped grants. */
export function assertAllZones(ctx: HasPrincipal, what: string): void {
  if (ctx.principal.kind === 'system' || ctx.principal.allZones) return;
  throw new TRPCError({ code: 'FORBIDDEN', message: `${what} needs a grant for all zones; yours covers only some zones` });
}

export type ZoneRef = { zoneId: number | null; zoneName: string | null };

async function zoneName(db: Reader, zoneId: number | null): Promise<string | null> {
  if (zoneId == null) return null;
  const [zone] = await db.select({ name: s.securityZones.name }).from(s.securityZones).where(eq(s.securityZones.id, zoneId));
  return zone?.name ?? null;
}

/** A hall's zone. */
export async function zoneOfHall(db: Reader, hallId: number): Promise<ZoneRef | undefined> {
  const [hall] = await db.select({ zoneId: s.halls.securityZoneId }).from(s.halls).where(eq(s.halls.id, hallId));
  if (!hall) return undefined;
  return { zoneId: hall.zoneId, zoneName: await zoneName(db, hall.zoneId) };
}

/** A rack's zone: its own, else its hall's. */
export async function zoneOfRack(db: Reader, rackId: number): Promise<(ZoneRef & { rackName: string }) | undefined> {
  const [rack] = await db
    .select({ name: s.racks.name, rackZone: s.racks.securityZoneId, hallZone: s.halls.securityZoneId })
    .from(s.racks)
    .innerJoin(s.halls, eq(s.halls.id, s.racks.hallId))
    .where(eq(s.racks.id, rackId));
  if (!rack) return undefined;
  const zoneId = rack.rackZone ?? rack.hallZone;
  return { zoneId, zoneName: await zoneName(db, zoneId), rackName: rack.name };
}

async function grantDescription(db: Reader, principal: Principal): Promise<string> {
  if (principal.allZones) return 'all zones';
  const ids = [...principal.zoneIds];
  if (ids.length === 0) return 'no zones';
  const names = await db.select({ name: s.securityZones.name }).from(s.securityZones).where(inArray(s.securityZones.id, ids));
  return names.map((n) => `"${n.name}"`).join(', ');
}

/** Refuses unless the caller's grant covers the zone; the message names the object, its zone and the grant. */
export async function assertZone(ctx: HasPrincipal & { db: Reader }, zone: ZoneRef, object: string): Promise<void> {
  if (canActInZone(ctx, zone.zoneId)) return;
  const where = zone.zoneName ? `zone "${zone.zoneName}"` : 'no security zone';
  throw new TRPCError({ code: 'FORBIDDEN', message: `${object} is in ${where}; your grant covers ${await grantDescription(ctx.db, ctx.principal)}` });
}

/** Refuses unless the caller may act on the rack (a missing rack passes: the mutation reports it). */
export async function assertRackZone(ctx: HasPrincipal & { db: Reader }, rackId: number): Promise<void> {
  if (ctx.principal.kind === 'system' || ctx.principal.allZones) return;
  const zone = await zoneOfRack(ctx.db, rackId);
  if (zone) await assertZone(ctx, zone, `rack ${zone.rackName}`);
}

/** For a device: the zone of its rack; an unracked device has none. */
export async function assertDeviceZone(ctx: HasPrincipal & { db: Reader }, rackId: number | null | undefined, deviceName: string): Promise<void> {
  if (ctx.principal.kind === 'system' || ctx.principal.allZones) return;
  if (rackId == null) return assertZone(ctx, { zoneId: null, zoneName: null }, `unracked device ${deviceName}`);
  return assertRackZone(ctx, rackId);
}
