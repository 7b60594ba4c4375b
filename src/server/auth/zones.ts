import { TRPCError } from '@trpc/server';
import { type AnyColumn, eq, inArray, type SQL, sql } from 'drizzle-orm';
import { FieldValidationError } from '../api/errors';
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

// ---------------------------------------------------------------------------------------------------------------------
// Zone isolation as one mechanism: every read and write of a zone-scoped principal is filtered in SQL through
// `zoneCondition` (a WHERE fragment per object kind), and single objects are resolved through `assertInZone`
// (another zone's object answers NOT_FOUND, exactly like a missing one). All-zones grants get no condition at all.

/**
 * The kinds of object whose zone can be resolved. A rack's zone is its own, else its hall's; a device, GPU and
 * series (and an alert) take the zone of their rack; a hall is visible with its own zone or one of its racks; a site
 * with one of its zones; a job through the GPUs it holds or held; a scrape target through its own zone column.
 * Users are "in" a grant when their own grant is no wider (zone-scoped, zones within it); tokens with their user.
 */
export type ZoneObjectKind = 'zone' | 'site' | 'hall' | 'rack' | 'device' | 'gpu' | 'job' | 'series' | 'alert' | 'target' | 'user' | 'token';

/** The zone ids of a zone-scoped grant, or null for an all-zones (or system) grant. */
export function scopedZoneIds(principal: Principal): readonly number[] | null {
  if (principal.kind === 'system' || principal.allZones) return null;
  return [...principal.zoneIds].filter((id) => Number.isSafeInteger(id));
}

/** A PostgreSQL int[] literal; only integers reach it, so it is safe to inline. */
function zoneArray(ids: readonly number[]): string {
  return `ARRAY[${ids.map((id) => String(Math.trunc(id))).join(',')}]::int[]`;
}

/** Racks whose effective zone (own, else hall's) is in the grant. */
function visibleRacks(zones: string): string {
  return `SELECT zr.id FROM racks zr JOIN halls zh ON zh.id = zr.hall_id WHERE coalesce(zr.security_zone_id, zh.security_zone_id) = ANY(${zones})`;
}

/** Users whose grant lies within the zones: zone-scoped, and every zone of theirs is one of these. */
function usersWithin(zones: string): string {
  return `SELECT zu.id FROM users zu WHERE NOT zu.all_zones AND NOT EXISTS (SELECT 1 FROM user_zones zuz WHERE zuz.user_id = zu.id AND NOT (zuz.zone_id = ANY(${zones})))`;
}

/** The set of ids of one kind inside the zones, as a sub-select. */
function idsInZones(kind: ZoneObjectKind, zones: string): string {
  const racks = visibleRacks(zones);
  switch (kind) {
    case 'zone':
      return `SELECT unnest(${zones})`;
    case 'site':
      return `SELECT zz.site_id FROM security_zones zz WHERE zz.id = ANY(${zones})`;
    case 'hall':
      return `SELECT zh2.id FROM halls zh2 WHERE zh2.security_zone_id = ANY(${zones}) UNION SELECT zr2.hall_id FROM racks zr2 WHERE zr2.id IN (${racks})`;
    case 'rack':
      return racks;
    case 'device':
      return `SELECT zd.id FROM devices zd WHERE zd.rack_id IN (${racks})`;
    case 'gpu':
      return `SELECT za.id FROM accelerators za JOIN devices zd ON zd.id = za.device_id WHERE zd.rack_id IN (${racks})`;
    case 'job':
      return `SELECT zg.job_id FROM gpu_allocations zg JOIN accelerators za ON za.id = zg.accelerator_id JOIN devices zd ON zd.id = za.device_id WHERE zd.rack_id IN (${racks})`;
    case 'series':
      return `SELECT zs.id FROM telemetry_series zs WHERE zs.rack_id IN (${racks})`;
    case 'alert':
      return `SELECT zal.id FROM alerts zal LEFT JOIN telemetry_series zs ON zs.id = zal.series_id WHERE coalesce(zal.rack_id, zs.rack_id) IN (${racks})`;
    case 'target':
      return `SELECT zt.id FROM scrape_targets zt WHERE zt.security_zone_id = ANY(${zones})`;
    case 'user':
      return usersWithin(zones);
    case 'token':
      // A token never exceeds its user's grant, so a token of a user within the zones acts within them too.
      return `SELECT ztk.id FROM api_tokens ztk WHERE ztk.user_id IN (${usersWithin(zones)})`;
  }
}

/**
 * The WHERE condition "the object whose id is `idExpr` lies in the caller's zones", as SQL text for pool queries;
 * `'true'` for an all-zones grant. `idExpr` is a column or expression of the caller's query (never user input).
 */
export function zoneConditionText(principal: Principal, kind: ZoneObjectKind, idExpr: string): string {
  const ids = scopedZoneIds(principal);
  if (ids === null) return 'true';
  return `(${idExpr} IN (${idsInZones(kind, zoneArray(ids))}))`;
}

/** The same condition for drizzle queries; undefined (no condition) for an all-zones grant. */
export function zoneCondition(ctx: HasPrincipal, kind: ZoneObjectKind, idColumn: AnyColumn | SQL): SQL | undefined {
  const ids = scopedZoneIds(ctx.principal);
  if (ids === null) return undefined;
  return sql`(${idColumn} IN (${sql.raw(idsInZones(kind, zoneArray(ids)))}))`;
}

const KIND_NAMES: Record<ZoneObjectKind, string> = {
  zone: 'security zone',
  site: 'site',
  hall: 'hall',
  rack: 'rack',
  device: 'device',
  gpu: 'GPU',
  job: 'job',
  series: 'series',
  alert: 'alert',
  target: 'scrape target',
  user: 'user',
  token: 'token',
};

/** Thrown for an object outside the caller's zones: the same answer as for a missing one, so nothing leaks. */
function notFound(kind: ZoneObjectKind, id: number | string): TRPCError {
  return new TRPCError({ code: 'NOT_FOUND', message: `no ${KIND_NAMES[kind]} ${typeof id === 'string' ? `"${id}"` : `with id ${id}`}` });
}

/** Whether the object lies in the caller's zones (always true for all-zones grants; false for a missing object). */
export async function isInZone(ctx: HasPrincipal & { db: Reader }, kind: ZoneObjectKind, id: number): Promise<boolean> {
  const condition = zoneCondition(ctx, kind, sql`${id}::int`);
  if (condition === undefined) return true;
  const rows = await (ctx.db as Db).execute<{ ok: number }>(sql`SELECT 1 AS ok WHERE ${condition}`);
  return rows.rows.length > 0;
}

/**
 * The one resolver for single objects: NOT_FOUND unless the object lies in the caller's zones. A missing object
 * passes for all-zones callers (the procedure reports it in its own words, naming the field).
 */
export async function assertInZone(ctx: HasPrincipal & { db: Reader }, kind: ZoneObjectKind, id: number): Promise<void> {
  if (!(await isInZone(ctx, kind, id))) throw notFound(kind, id);
}

/**
 * For acting on a job: it must be visible (NOT_FOUND otherwise), and every GPU it holds now must lie in the caller's
 * zones (FORBIDDEN: a job spanning another zone is not the caller's to stop or resize).
 */
export async function assertJobWhollyInZone(ctx: HasPrincipal & { db: Reader }, jobId: number): Promise<void> {
  const ids = scopedZoneIds(ctx.principal);
  if (ids === null) return;
  await assertInZone(ctx, 'job', jobId);
  const racks = visibleRacks(zoneArray(ids));
  const outside = await (ctx.db as Db).execute<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM gpu_allocations g JOIN accelerators a ON a.id = g.accelerator_id JOIN devices d ON d.id = a.device_id
         WHERE g.job_id = ${jobId} AND g.released_at IS NULL AND (d.rack_id IS NULL OR d.rack_id NOT IN (${sql.raw(racks)}))`,
  );
  const n = outside.rows[0]?.n ?? 0;
  if (n > 0) throw new TRPCError({ code: 'FORBIDDEN', message: `job ${jobId} also holds ${n} GPU${n === 1 ? '' : 's'} outside your zones; ask an admin for all zones` });
}

/** A GPU by UUID, resolved for acting on it: NOT_FOUND outside the caller's zones (and when it does not exist). */
export async function assertGpuUuidInZone(ctx: HasPrincipal & { db: Reader }, uuid: string): Promise<void> {
  if (scopedZoneIds(ctx.principal) === null) return;
  const [gpu] = await ctx.db.select({ id: s.accelerators.id }).from(s.accelerators).where(sql`lower(${s.accelerators.uuid}) = lower(${uuid})`);
  if (!gpu || !(await isInZone(ctx, 'gpu', gpu.id))) throw notFound('gpu', uuid);
}

/** A device by hostname or name, resolved for acting on it (simulator faults): NOT_FOUND outside the caller's zones. */
export async function assertHostInZone(ctx: HasPrincipal & { db: Reader }, host: string): Promise<void> {
  if (scopedZoneIds(ctx.principal) === null) return;
  const rows = await ctx.db
    .select({ id: s.devices.id })
    .from(s.devices)
    .where(sql`lower(${s.devices.hostname}) = lower(${host}) OR lower(${s.devices.name}) = lower(${host})`);
  for (const row of rows) if (!(await isInZone(ctx, 'device', row.id))) throw notFound('device', host);
  if (rows.length === 0) throw notFound('device', host);
}

/**
 * A grant another principal would receive from the caller (a user, a token): never wider than the caller's own.
 * A zone-scoped caller can give only zones of its own, never all zones.
 */
export function assertGrantWithin(ctx: HasPrincipal, grant: { allZones: boolean; zoneIds: readonly number[] }, field = 'zoneIds'): void {
  const ids = scopedZoneIds(ctx.principal);
  if (ids === null) return;
  if (grant.allZones) throw new FieldValidationError([{ field: 'allZones', reason: 'cannot grant all zones: your own grant covers only some zones' }]);
  const outside = grant.zoneIds.filter((z) => !ctx.principal.zoneIds.has(z));
  if (outside.length > 0) throw new FieldValidationError([{ field, reason: `cannot cover zones outside your own grant (${outside.join(', ')})` }]);
}

/**
 * Site-wide facility views (the power chain, cooling, fabrics, capacity what-ifs, site dashboards) are shared by
 * every zone of the site: a zone-scoped caller gets NOT_FOUND for a site without its zones and FORBIDDEN otherwise,
 * so no aggregate over other zones' racks reaches it.
 */
export async function assertSiteWide(ctx: HasPrincipal & { db: Reader }, siteId: number, what: string): Promise<void> {
  if (scopedZoneIds(ctx.principal) === null) return;
  await assertInZone(ctx, 'site', siteId);
  assertAllZones(ctx, what);
}

/** A hall-wide view (thermal map): NOT_FOUND without any of the caller's racks, FORBIDDEN when it also holds others'. */
export async function assertHallWhollyInZone(ctx: HasPrincipal & { db: Reader }, hallId: number, what: string): Promise<void> {
  const ids = scopedZoneIds(ctx.principal);
  if (ids === null) return;
  await assertInZone(ctx, 'hall', hallId);
  const outside = await (ctx.db as Db).execute<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM racks r WHERE r.hall_id = ${hallId} AND r.id NOT IN (${sql.raw(visibleRacks(zoneArray(ids)))})`,
  );
  if ((outside.rows[0]?.n ?? 0) > 0) throw new TRPCError({ code: 'FORBIDDEN', message: `${what} covers racks outside your zones: it needs a grant for all zones` });
}

/**
 * The change-log rows a caller may read: everything for all-zones grants; for a zone-scoped one the changes of racks
 * and devices that lie in its zones now (library, site and inventory-wide changes belong to no zone).
 */
export function changeLogCondition(ctx: HasPrincipal): SQL | undefined {
  const ids = scopedZoneIds(ctx.principal);
  if (ids === null) return undefined;
  const zones = zoneArray(ids);
  return sql.raw(
    `((change_log.object_type = 'rack' AND change_log.object_id IN (SELECT id::text FROM (${idsInZones('rack', zones)}) AS zc(id)))` +
      ` OR (change_log.object_type = 'device' AND change_log.object_id IN (SELECT id::text FROM (${idsInZones('device', zones)}) AS zc(id))))`,
  );
}

/** The zones a writer is confined to (remote-write `keepInZones`): undefined for an all-zones grant. */
export function scopedZones(principal: Principal): ReadonlySet<number> | undefined {
  return scopedZoneIds(principal) === null ? undefined : principal.zoneIds;
}
