import { TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRouter, createCaller } from '../src/server/api/root';
import { createContext, type ProcedureMeta } from '../src/server/api/trpc';
import { sql } from 'drizzle-orm';
import { createToken, createUser } from '../src/server/auth/accounts';
import { type Permission, permissionsOf, ROLES, type Role } from '../src/server/auth/permissions';
import { ANONYMOUS, type Principal } from '../src/server/auth/principal';
import { createTestDatabase, type TestDatabase } from './db';
import { createZoneFixture, runningJob, type ZoneFixture } from './zone-fixture';

/**
 * The permission matrix, generated from the router: every procedure of appRouter must declare a permission, and is
 * called as anonymous, as each role that lacks the permission (refused: UNAUTHORIZED / FORBIDDEN) and as the least
 * role that holds it (not refused). Inputs come from `meta.example` (else `{}`), overridden below where a call needs
 * live data.
 */
type AnyProcedure = { _def: { type: 'query' | 'mutation' | 'subscription'; meta?: ProcedureMeta } };
const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, AnyProcedure>)
  .map(([path, procedure]) => ({ path, type: procedure._def.type, meta: procedure._def.meta }))
  .sort((a, b) => a.path.localeCompare(b.path));

const declaredList = (meta?: ProcedureMeta): Permission[] | undefined => (meta?.permission === undefined ? undefined : typeof meta.permission === 'string' ? [meta.permission] : [...meta.permission]);
const declared = procedures.filter((p) => declaredList(p.meta) !== undefined);

const PASSWORD = 'matrix password 123';
const userIds: Partial<Record<Role, number>> = {};

function principalFor(role: Role): Principal {
  return { kind: 'session', userId: userIds[role]!, username: `matrix-${role}`, role, permissions: permissionsOf(role), allZones: true, zoneIds: new Set(), tokenId: null, sessionHash: null };
}

/** Inputs that depend on the test's own data. */
const overrides: Record<string, () => unknown> = {
  'auth.login': () => ({ username: 'matrix-viewer', password: PASSWORD }),
};

let database: TestDatabase;

async function call(principal: Principal, path: string, type: string, input: unknown): Promise<{ ok: true } | { ok: false; code: string; message: string; schema: boolean }> {
  const caller = createCaller(createContext(database, principal)) as unknown as Record<string, Record<string, (input: unknown) => Promise<unknown>>>;
  const segments = path.split('.');
  let target: unknown = caller;
  for (const segment of segments) target = (target as Record<string, unknown>)[segment];
  try {
    const result = await (target as (input: unknown) => Promise<unknown>)(input);
    if (type === 'subscription' && result && typeof (result as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
      await (result as AsyncIterable<unknown>)[Symbol.asyncIterator]().return?.();
    }
    return { ok: true };
  } catch (error) {
    if (error instanceof TRPCError) return { ok: false, code: error.code, message: error.message, schema: error.cause instanceof ZodError };
    throw error;
  }
}

const REFUSED = new Set(['UNAUTHORIZED', 'FORBIDDEN']);
const schemaRejected: string[] = [];

/** The least role holding one of the permissions (viewer before planner before operator before admin). */
function rightRole(needed: Permission[]): Role {
  const order: Role[] = ['viewer', 'planner', 'operator', 'admin'];
  return order.find((role) => needed.some((p) => p !== 'public' && permissionsOf(role).has(p)))!;
}

describe('permission matrix (generated from appRouter)', () => {
  beforeAll(async () => {
    database = await createTestDatabase();
    for (const role of ROLES) userIds[role] = (await createUser(database.db, { username: `matrix-${role}`, role, password: PASSWORD, allZones: true, zoneIds: [] })).id;
  });
  afterAll(() => database.drop());

  it('finds the procedures', () => {
    expect(procedures.length).toBeGreaterThan(20);
  });

  it('every procedure declares a permission', () => {
    const missing = procedures.filter((p) => declaredList(p.meta) === undefined).map((p) => `${p.path} (${p.type})`);
    expect(missing, `procedures without a declared permission (use readProcedure, operateProcedure, planProcedure, adminProcedure or anonymousProcedure): ${missing.join(', ')}`).toEqual([]);
  });

  it.each(declared.map((p) => [p.path, p] as const))('%s', async (_path, procedure) => {
    const needed = declaredList(procedure.meta)!;
    const input = overrides[procedure.path]?.() ?? procedure.meta?.example ?? {};
    if (needed.includes('public')) {
      const anonymous = await call(ANONYMOUS, procedure.path, procedure.type, input);
      expect(anonymous.ok || !REFUSED.has(anonymous.code), `${procedure.path} is public but refused anonymous: ${!anonymous.ok && anonymous.message}`).toBe(true);
      if (!anonymous.ok && anonymous.schema) schemaRejected.push(procedure.path);
      return;
    }
    const anonymous = await call(ANONYMOUS, procedure.path, procedure.type, input);
    expect(anonymous.ok ? 'allowed' : anonymous.code, `${procedure.path} as anonymous`).toBe('UNAUTHORIZED');
    for (const role of ROLES.filter((r) => !needed.some((p) => p !== 'public' && permissionsOf(r).has(p)))) {
      const refused = await call(principalFor(role), procedure.path, procedure.type, input);
      expect(refused.ok ? 'allowed' : refused.code, `${procedure.path} as ${role}`).toBe('FORBIDDEN');
    }
    const role = rightRole(needed);
    const allowed = await call(principalFor(role), procedure.path, procedure.type, input);
    expect(allowed.ok || !REFUSED.has(allowed.code), `${procedure.path} as ${role} was refused: ${!allowed.ok && allowed.message}`).toBe(true);
    // The example must pass input validation, so the allowed call really reached the procedure's body.
    if (!allowed.ok && allowed.schema) schemaRejected.push(procedure.path);
  });

  it('every procedure with a required input declares a schema-valid example (meta({ example }))', () => {
    expect(schemaRejected, `the input used for these procedures failed their schema: declare .meta({ example: … }): ${schemaRejected.join(', ')}`).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// The zone matrix: every procedure × {own-zone object, other-zone object} × every role that may call it, as a principal
// scoped to one zone (the demo's "Tenant cage"). Each procedure is classified below; one missing from the table fails
// the test by name, so a new procedure must say how it is confined.

type Fx = ZoneFixture;
type Own = { f: Fx; n: number; role: Role; principal: Principal };
type ZoneCase =
  /** Resolves one object: own → allowed ('ok', or one of `ownMay`), other → NOT_FOUND (or `otherCode`). */
  | { kind: 'object'; own: (o: Own) => unknown; other: (f: Fx) => unknown; otherCode?: string; ownMay?: string[] }
  /** A list or aggregate: `check` asserts it holds the own zone's objects and none of the other zone's. */
  | { kind: 'list'; input?: (f: Fx) => unknown; check: (result: unknown, f: Fx) => Promise<void> | void; ownMay?: string[] }
  /** Shared by several zones (a site's power chain, a hall with others' racks): own → FORBIDDEN, other → NOT_FOUND. */
  | { kind: 'shared'; own: (f: Fx) => unknown; other: (f: Fx) => unknown }
  /** Global changes and whole-inventory reads: FORBIDDEN for any zone-scoped caller. */
  | { kind: 'all-zones'; input: (f: Fx) => unknown }
  /** Touches no zoned object (the caller's own session, the device-type library, process health). */
  | { kind: 'not-zoned'; why: string };

let zoneDb: TestDatabase;
let fx: Fx;
let counter = 0;
/** Units of the own zone's empty rack, taken one by one by fresh devices. */
let devicePosition = 0;

async function freshDevice(o: Own): Promise<{ id: number; input: Record<string, unknown> }> {
  const input = { deviceTypeId: o.f.deviceTypeId, rackId: o.f.ownEmptyRackId, position: ++devicePosition, face: 'front' as const, name: `zm-device-${devicePosition}`, status: 'planned' as const };
  const device = await createCaller(createContext(zoneDb)).devices.create(input);
  return { id: device.id, input };
}

/** A fresh firing alert on a rack of the caller's own zone (each acknowledgement or silence needs one still open). */
async function firingAlert(o: Own): Promise<{ id: number }> {
  const [rule] = (await zoneDb.db.execute<{ id: number }>(sql`SELECT id FROM alert_rules ORDER BY id LIMIT 1`)).rows;
  const [alert] = (
    await zoneDb.db.execute<{ id: number }>(
      sql`INSERT INTO alerts (rule_id, entity_key, entity_label, rack_id, state, started_at) VALUES (${rule!.id}, ${`zm:${++counter}`}, 'zm', ${o.f.own.rackId}, 'firing', now()) RETURNING id`,
    )
  ).rows;
  return { id: alert!.id };
}

const ids = (rows: unknown) => (rows as { id: number }[]).map((r) => r.id);
const itemIds = (page: unknown) => ids((page as { items: unknown }).items);
function containsOwnOnly(found: number[], own: number, other: number) {
  expect(found).toContain(own);
  expect(found).not.toContain(other);
}
const siteInput = (siteId: number) => ({ siteId });

const ZONE_CASES: Record<string, ZoneCase> = {
  'system.health': { kind: 'not-zoned', why: 'public health of the process and database' },
  'system.pulse': { kind: 'not-zoned', why: 'the database clock' },
  'auth.status': { kind: 'not-zoned', why: 'whether set-up is open' },
  'auth.me': { kind: 'not-zoned', why: 'the caller itself' },
  'auth.login': { kind: 'not-zoned', why: 'signs in' },
  'auth.logout': { kind: 'not-zoned', why: 'signs out' },
  'auth.setup': { kind: 'not-zoned', why: 'first admin, only while no user exists' },
  'auth.changePassword': { kind: 'not-zoned', why: 'the caller’s own password' },
  'users.list': { kind: 'list', check: (r, f) => containsOwnOnly(ids(r), f.own.userId, f.globalAdminId) },
  'users.create': {
    kind: 'object',
    own: (o) => ({ username: `zm-user-${++counter}`, role: 'viewer', password: 'zone matrix password', allZones: false, zoneIds: [o.f.own.zoneId] }),
    other: (f) => ({ username: 'zm-user-other', role: 'viewer', password: 'zone matrix password', allZones: false, zoneIds: [f.other.zoneId] }),
    otherCode: 'BAD_REQUEST',
  },
  'users.update': { kind: 'object', own: (o) => ({ id: o.f.own.userId, changes: { displayName: 'Own' } }), other: (f) => ({ id: f.other.userId, changes: { displayName: 'Other' } }) },
  'users.setPassword': { kind: 'object', own: (o) => ({ id: o.f.own.userId, password: 'zone matrix password 2' }), other: (f) => ({ id: f.globalAdminId, password: 'zone matrix password 2' }) },
  'tokens.mine': { kind: 'not-zoned', why: 'the caller’s own tokens' },
  'tokens.list': { kind: 'list', check: (r, f) => containsOwnOnly(ids(r), f.own.tokenId, f.other.tokenId) },
  'tokens.create': {
    kind: 'object',
    own: (o) => ({ name: `zm-${++counter}`, role: 'viewer', allZones: false, zoneIds: [o.f.own.zoneId] }),
    other: (f) => ({ name: 'zm-other', role: 'viewer', allZones: false, zoneIds: [f.other.zoneId] }),
    otherCode: 'BAD_REQUEST',
  },
  'tokens.revoke': {
    kind: 'object',
    own: async (o) => ({ id: (await createToken(zoneDb.db, { userId: o.principal.userId!, name: `zm-${++counter}`, role: 'viewer', allZones: false, zoneIds: [o.f.own.zoneId], expiresAt: null, createdBy: null })).token.id }),
    other: (f) => ({ id: f.other.tokenId }),
    // "no active token of yours": the same answer as for a token that does not exist.
    otherCode: 'BAD_REQUEST',
  },
  'audit.list': { kind: 'all-zones', input: () => ({}) },
  'tpu.pods': { kind: 'all-zones', input: () => undefined },
  'tpu.pod': { kind: 'all-zones', input: () => ({ id: 1 }) },
  'tpu.setLinkState': { kind: 'all-zones', input: () => ({ podId: 1, a: [0, 0, 0], b: [1, 0, 0], state: 'down' }) },
  'sites.listWithHalls': { kind: 'list', check: (r, f) => containsOwnOnly(ids(r), f.own.siteId, f.otherSiteId) },
  'halls.rows': { kind: 'object', own: (o) => ({ id: o.f.own.hallId }), other: (f) => ({ id: f.other.hallId }) },
  'halls.floorPlan': { kind: 'object', own: (o) => ({ id: o.f.own.hallId }), other: (f) => ({ id: f.other.hallId }) },
  'halls.rackTable': { kind: 'object', own: (o) => ({ id: o.f.own.hallId }), other: (f) => ({ id: f.other.hallId }) },
  'racks.list': { kind: 'list', input: () => ({ limit: 500 }), check: (r, f) => containsOwnOnly(itemIds(r), f.own.rackId, f.other.rackId) },
  'racks.get': { kind: 'object', own: (o) => ({ id: o.f.own.rackId }), other: (f) => ({ id: f.other.rackId }) },
  'racks.create': {
    kind: 'object',
    own: (o) => ({ hallId: o.f.own.hallId, rowId: o.f.ownRowId, name: `ZM-${++counter}`, positionInRow: 100 + counter, maxPowerKw: 10, maxWeightKg: 1000, status: 'planned', securityZoneId: o.f.own.zoneId }),
    other: (f) => ({ hallId: f.other.hallId, rowId: f.otherRowId, name: 'ZM-OTHER', positionInRow: 300, maxPowerKw: 10, maxWeightKg: 1000, status: 'planned' }),
  },
  // status given: the partial input schema would otherwise default it to "active" (planners may not).
  'racks.update': { kind: 'object', own: (o) => ({ id: o.f.ownEmptyRackId, changes: { maxPowerKw: 41, status: 'planned' } }), other: (f) => ({ id: f.other.rackId, changes: { maxPowerKw: 41 } }) },
  'devices.list': { kind: 'list', input: () => ({ limit: 500 }), check: (r, f) => containsOwnOnly(itemIds(r), f.own.deviceId, f.other.deviceId) },
  'devices.get': { kind: 'object', own: (o) => ({ id: o.f.own.deviceId }), other: (f) => ({ id: f.other.deviceId }) },
  'devices.create': {
    kind: 'object',
    own: (o) => ({ deviceTypeId: o.f.deviceTypeId, rackId: o.f.ownEmptyRackId, position: ++devicePosition, face: 'front', name: `zm-device-${devicePosition}`, status: 'planned' }),
    other: (f) => ({ deviceTypeId: f.deviceTypeId, rackId: f.other.rackId, position: 1, face: 'front', name: 'zm-device-other', status: 'planned' }),
    // Placing into another zone's rack names the zone (the rack is a reference, not the object acted on).
    otherCode: 'FORBIDDEN',
  },
  'devices.update': {
    kind: 'object',
    own: async (o) => {
      const device = await freshDevice(o);
      return { id: device.id, changes: { ...device.input, serial: 'ZM' } };
    },
    other: (f) => ({ id: f.other.deviceId, changes: { deviceTypeId: f.deviceTypeId, name: f.other.deviceName, status: 'planned' } }),
  },
  'devices.delete': { kind: 'object', own: async (o) => ({ id: (await freshDevice(o)).id }), other: (f) => ({ id: f.other.deviceId }) },
  // The zone fixture's servers are H100s: the own call reaches the body and is refused as unpartitionable (BAD_REQUEST).
  'devices.setPartitionMode': {
    kind: 'object',
    own: (o) => ({ id: o.f.own.deviceId, computePartition: 'CPX', memoryPartition: 'NPS1' }),
    other: (f) => ({ id: f.other.deviceId, computePartition: 'CPX', memoryPartition: 'NPS1' }),
    ownMay: ['BAD_REQUEST'],
  },
  'devices.types': { kind: 'not-zoned', why: 'the device-type library is shared by every zone' },
  'devices.byIds': { kind: 'list', input: (f) => ({ ids: [f.own.deviceId, f.other.deviceId] }), check: (r, f) => expect(ids(r)).toEqual([f.own.deviceId]) },
  'power.nodes': { kind: 'shared', own: (f) => siteInput(f.own.siteId), other: (f) => siteInput(f.otherSiteId) },
  'power.upstreamDiagram': { kind: 'shared', own: (f) => siteInput(f.own.siteId), other: (f) => siteInput(f.otherSiteId) },
  'cooling.units': { kind: 'shared', own: (f) => siteInput(f.own.siteId), other: (f) => siteInput(f.otherSiteId) },
  'network.fabrics': { kind: 'shared', own: (f) => siteInput(f.own.siteId), other: (f) => siteInput(f.otherSiteId) },
  'zones.list': { kind: 'list', check: (r, f) => expect(ids(r)).toEqual([f.own.zoneId]) },
  'changes.list': {
    kind: 'list',
    input: () => ({ limit: 200 }),
    check: async (r, f) => {
      const items = (r as { items: { objectType: string; objectId: string }[] }).items;
      expect(items.length).toBeGreaterThan(0);
      const otherDevices = (await zoneDb.db.execute<{ id: number }>(sql`SELECT id FROM devices WHERE rack_id = ${f.other.rackId}`)).rows.map((d) => String(d.id));
      for (const item of items) {
        expect(['rack', 'device']).toContain(item.objectType);
        if (item.objectType === 'rack') expect(item.objectId).not.toBe(String(f.other.rackId));
        if (item.objectType === 'device') expect(otherDevices).not.toContain(item.objectId);
      }
    },
  },
  'clusters.list': { kind: 'all-zones', input: () => undefined },
  'clusters.get': { kind: 'all-zones', input: () => ({ id: 1 }) },
  'clusters.forRack': { kind: 'object', own: (o) => ({ rackId: o.f.own.rackId }), other: (f) => ({ rackId: f.other.rackId }) },
  'clusters.add': { kind: 'all-zones', input: () => ({ kind: 'slurm', name: 'zm-cluster', url: 'http://127.0.0.1:9', token: 'zm-token' }) },
  'clusters.update': { kind: 'all-zones', input: () => ({ id: 1, adviseOnly: true }) },
  'clusters.remove': { kind: 'all-zones', input: () => ({ id: 1 }) },
  'clusters.sync': { kind: 'all-zones', input: () => ({ id: 1 }) },
  'clusters.map': { kind: 'all-zones', input: () => ({ clusterId: 1, node: 'gpu01', deviceId: 1 }) },
  'capacity.headroom': { kind: 'shared', own: (f) => siteInput(f.own.siteId), other: (f) => siteInput(f.otherSiteId) },
  'capacity.whatIfPlacement': { kind: 'shared', own: (f) => ({ siteId: f.own.siteId, deviceTypeId: f.deviceTypeId, count: 1 }), other: (f) => ({ siteId: f.otherSiteId, deviceTypeId: f.deviceTypeId, count: 1 }) },
  'capacity.whatIfFailure': { kind: 'shared', own: (f) => ({ siteId: f.own.siteId, powerNodeIds: [1] }), other: (f) => ({ siteId: f.otherSiteId, powerNodeIds: [1] }) },
  'topology.explore': { kind: 'shared', own: (f) => ({ siteId: f.own.siteId, view: 'power' }), other: (f) => ({ siteId: f.otherSiteId, view: 'power' }) },
  'topology.power': { kind: 'shared', own: (f) => siteInput(f.own.siteId), other: (f) => siteInput(f.otherSiteId) },
  'topology.network': { kind: 'shared', own: (f) => siteInput(f.own.siteId), other: (f) => siteInput(f.otherSiteId) },
  'topology.cooling': { kind: 'shared', own: (f) => siteInput(f.own.siteId), other: (f) => siteInput(f.otherSiteId) },
  'deviceTypes.list': {
    kind: 'list',
    input: () => ({ limit: 500 }),
    check: async (r, f) => {
      // Device counts per type are over the caller's zones only.
      const counted = (r as { items: { deviceCount: number }[] }).items.reduce((sum, t) => sum + t.deviceCount, 0);
      const [row] = (await zoneDb.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM devices d JOIN racks r ON r.id = d.rack_id WHERE r.security_zone_id = ${f.own.zoneId}`)).rows;
      expect(counted).toBe(row!.n);
    },
  },
  'deviceTypes.get': {
    kind: 'list',
    input: (f) => ({ id: f.deviceTypeId }),
    check: async (r, f) => {
      // The type is shared; the devices of that type listed and counted are the caller's zones' only. Checked on this
      // answer and on the type of the own and the other zone's fixture device (the fixture's type may have none yet).
      const ownDevicesOf = async (typeId: number) =>
        (await zoneDb.db.execute<{ id: number }>(sql`SELECT d.id FROM devices d JOIN racks r ON r.id = d.rack_id WHERE r.security_zone_id = ${f.own.zoneId} AND d.device_type_id = ${typeId}`)).rows.map((d) => d.id).sort();
      const shown = (answer: unknown) => (answer as { devices: { id: number }[] }).devices.map((d) => d.id).sort();
      expect(shown(r)).toEqual(await ownDevicesOf(f.deviceTypeId));
      expect((r as { deviceCount: number }).deviceCount).toBe((await ownDevicesOf(f.deviceTypeId)).length);
      const caller = createCaller(createContext(zoneDb, f.principal('viewer')));
      for (const side of [f.own, f.other]) {
        const [{ typeId }] = (await zoneDb.db.execute<{ typeId: number }>(sql`SELECT device_type_id AS "typeId" FROM devices WHERE id = ${side.deviceId}`)).rows as [{ typeId: number }];
        const answer = await caller.deviceTypes.get({ id: typeId });
        expect(shown(answer)).toEqual(await ownDevicesOf(typeId));
        expect(shown(answer).includes(side.deviceId)).toBe(side === f.own);
      }
    },
  },
  'deviceTypes.import': { kind: 'all-zones', input: () => ({ files: [{ name: 'zm.yaml', content: 'manufacturer: Example' }] }) },
  'inventory.export': { kind: 'all-zones', input: () => undefined },
  'inventory.import': { kind: 'all-zones', input: () => ({ document: {}, dryRun: true }) },
  'jobs.submit': { kind: 'all-zones', input: () => ({ name: 'zm', kind: 'training', tenant: 'zone-tenant', gpusPerWorker: 1, cpuMilli: 1000, memoryMib: 1024 }) },
  'jobs.list': { kind: 'list', input: () => ({ limit: 100 }), check: (r, f) => containsOwnOnly(itemIds(r), f.own.jobId, f.other.jobId) },
  'jobs.get': { kind: 'object', own: (o) => ({ id: o.f.own.jobId }), other: (f) => ({ id: f.other.jobId }) },
  'jobs.cancel': { kind: 'object', own: async (o) => ({ id: await runningJob(zoneDb, o.f.tenantId, `zm-${++counter}`, [o.f.ownSpareGpuId], { milli: 10 }) }), other: (f) => ({ id: f.other.jobId }) },
  'jobs.scale': {
    kind: 'object',
    own: async (o) => ({ id: await runningJob(zoneDb, o.f.tenantId, `zm-${++counter}`, [o.f.ownSpareGpuId], { kind: 'inference', milli: 10 }), replicas: 1 }),
    other: (f) => ({ id: f.other.jobId, replicas: 1 }),
  },
  'jobs.markGpuFailed': { kind: 'object', own: (o) => ({ uuid: o.f.ownMarkGpuUuid }), other: (f) => ({ uuid: f.other.gpuUuid }) },
  'jobs.markGpuHealthy': { kind: 'object', own: (o) => ({ uuid: o.f.ownMarkGpuUuid }), other: (f) => ({ uuid: f.other.gpuUuid }) },
  'jobs.gpuModels': {
    kind: 'list',
    check: async (r, f) => {
      const counted = (r as { count: number }[]).reduce((sum, m) => sum + m.count, 0);
      const [row] = (await zoneDb.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM accelerators a JOIN devices d ON d.id = a.device_id JOIN racks r ON r.id = d.rack_id WHERE r.security_zone_id = ${f.own.zoneId}`)).rows;
      expect(counted).toBe(row!.n);
    },
  },
  'tenants.list': {
    kind: 'list',
    check: async (r, f) => {
      const tenant = (r as { id: number; usedMilli: number }[]).find((t) => t.id === f.tenantId)!;
      const [row] = (
        await zoneDb.db.execute<{ n: number }>(
          sql`SELECT coalesce(sum(g.milli), 0)::int AS n FROM gpu_allocations g JOIN accelerators a ON a.id = g.accelerator_id JOIN devices d ON d.id = a.device_id JOIN racks r ON r.id = d.rack_id
               JOIN jobs j ON j.id = g.job_id WHERE j.tenant_id = ${f.tenantId} AND g.released_at IS NULL AND r.security_zone_id = ${f.own.zoneId}`,
        )
      ).rows;
      expect(tenant.usedMilli).toBe(row!.n);
    },
  },
  'tenants.create': { kind: 'all-zones', input: () => ({ name: 'zm-tenant', gpuQuota: 8 }) },
  'tenants.update': { kind: 'all-zones', input: (f) => ({ id: f.tenantId, changes: { gpuQuota: 8 } }) },
  'telemetry.query': {
    kind: 'object',
    own: (o) => ({ metric: 'gpu_power_w', entity: o.f.own.gpuUuid }),
    other: (f) => ({ metric: 'gpu_power_w', entity: f.other.gpuUuid }),
    // The same field error as for an entity that does not exist.
    otherCode: 'BAD_REQUEST',
  },
  'telemetry.live': { kind: 'object', own: (o) => ({ metric: 'gpu_power_w', entity: o.f.own.gpuUuid }), other: (f) => ({ metric: 'gpu_power_w', entity: f.other.gpuUuid }), otherCode: 'BAD_REQUEST' },
  'telemetry.unmapped': {
    kind: 'list',
    check: async (r, f) => {
      const ownUrls = (await zoneDb.db.execute<{ url: string }>(sql`SELECT url FROM scrape_targets WHERE security_zone_id = ${f.own.zoneId}`)).rows.map((t) => t.url);
      for (const item of (r as { items: { target: string | null }[] }).items) expect(ownUrls).toContain(item.target);
    },
  },
  'telemetry.ingestStats': { kind: 'not-zoned', why: 'this process’s sample counters; no object is named' },
  'telemetry.targets.list': { kind: 'list', check: (r, f) => containsOwnOnly(ids(r), f.own.targetId, f.other.targetId) },
  'telemetry.targets.add': {
    kind: 'object',
    own: (o) => ({ url: `http://192.0.2.10:9400/zm-${++counter}`, dialect: 'dcgm', enabled: false, zoneId: o.f.own.zoneId }),
    other: (f) => ({ url: 'http://192.0.2.10:9400/zm-other', dialect: 'dcgm', enabled: false, zoneId: f.other.zoneId }),
    otherCode: 'BAD_REQUEST',
  },
  'telemetry.targets.update': { kind: 'object', own: (o) => ({ id: o.f.own.targetId, enabled: true }), other: (f) => ({ id: f.other.targetId, enabled: false }) },
  'telemetry.targets.remove': {
    kind: 'object',
    own: async (o) => ({
      id: (await zoneDb.db.execute<{ id: number }>(sql`INSERT INTO scrape_targets (url, dialect, enabled, security_zone_id) VALUES (${`http://127.0.0.1:9/zm-${++counter}`}, 'dcgm', false, ${o.f.own.zoneId}) RETURNING id`)).rows[0]!.id,
    }),
    other: (f) => ({ id: f.other.targetId }),
  },
  'alerts.list': { kind: 'list', check: (r, f) => containsOwnOnly(ids(r), f.own.alertId, f.other.alertId) },
  'alerts.live': { kind: 'list', input: () => ({}), check: (r, f) => containsOwnOnly(ids(r), f.own.alertId, f.other.alertId) },
  'alerts.events': { kind: 'object', own: (o) => ({ id: o.f.own.alertId }), other: (f) => ({ id: f.other.alertId }) },
  'alerts.rules': { kind: 'not-zoned', why: 'rule definitions, shared by every zone' },
  'alerts.ack': { kind: 'object', own: async (o) => ({ id: (await firingAlert(o)).id }), other: (f) => ({ id: f.other.alertId }) },
  'telemetry.collectorChoices': {
    kind: 'list',
    // Rack PDUs are listed only for racks of the caller's zones (the fixture's racks have none; UPS/PDU are site-wide).
    check: (r) => expect(Array.isArray((r as { devices: unknown[] }).devices)).toBe(true),
  },
  'telemetry.metrics': { kind: 'not-zoned', why: 'the metric catalogue and its exporter aliases' },
  'alerts.triage': {
    kind: 'list',
    check: (r, f) => {
      const t = r as { groups: { alert: { id: number }; explained: { id: number }[] }[]; silenced: { id: number }[]; resolved: { id: number }[] };
      containsOwnOnly([...t.groups.flatMap((g) => [g.alert.id, ...ids(g.explained)]), ...ids(t.silenced), ...ids(t.resolved)], f.own.alertId, f.other.alertId);
    },
  },
  'alerts.ackMany': {
    kind: 'object',
    own: async (o) => ({ ids: [(await firingAlert(o)).id], note: 'zone matrix' }),
    other: (f) => ({ ids: [f.other.alertId] }),
  },
  'alerts.silence': {
    kind: 'object',
    own: async (o) => ({ ids: [(await firingAlert(o)).id], duration: '30m' }),
    other: (f) => ({ ids: [f.other.alertId], duration: '30m' }),
  },
  'simulator.status': { kind: 'not-zoned', why: 'whether the simulator runs, and its clock' },
  'simulator.kinds': { kind: 'not-zoned', why: 'the fault kinds' },
  // No simulator runs in this process: the fault list cannot be read at all (its zone filter is in simulator.ts).
  'simulator.list': { kind: 'list', check: () => undefined, ownMay: ['PRECONDITION_FAILED'] },
  'simulator.inject': {
    kind: 'object',
    own: (o) => ({ kind: 'gpu-xid', target: o.f.own.gpuUuid }),
    other: (f) => ({ kind: 'gpu-xid', target: f.other.gpuUuid }),
    // The zone check passes; then the simulator is not running in this process.
    ownMay: ['PRECONDITION_FAILED'],
  },
  'simulator.clear': { kind: 'object', own: () => ({ id: 'fault-1' }), other: () => ({ id: 'fault-1' }), otherCode: 'PRECONDITION_FAILED', ownMay: ['PRECONDITION_FAILED'] },
  // Computed over the caller's zones (GPUs, jobs, alerts), without the site's shared meters.
  'dashboards.overview': { kind: 'object', own: (o) => siteInput(o.f.own.siteId), other: (f) => siteInput(f.otherSiteId) },
  'dashboards.overviewLive': { kind: 'object', own: (o) => siteInput(o.f.own.siteId), other: (f) => siteInput(f.otherSiteId) },
  'dashboards.trends': { kind: 'shared', own: (f) => siteInput(f.own.siteId), other: (f) => siteInput(f.otherSiteId) },
  'dashboards.power': { kind: 'shared', own: (f) => siteInput(f.own.siteId), other: (f) => siteInput(f.otherSiteId) },
  'dashboards.powerLive': { kind: 'shared', own: (f) => siteInput(f.own.siteId), other: (f) => siteInput(f.otherSiteId) },
  // Hall A holds the cage and other zones' racks; Hall B none of the cage's.
  'dashboards.thermal': { kind: 'shared', own: (f) => ({ hallId: f.own.hallId }), other: (f) => ({ hallId: f.other.hallId }) },
  'dashboards.thermalLive': { kind: 'shared', own: (f) => ({ hallId: f.own.hallId }), other: (f) => ({ hallId: f.other.hallId }) },
  'dashboards.utilisation': { kind: 'shared', own: (f) => siteInput(f.own.siteId), other: (f) => siteInput(f.otherSiteId) },
  'dashboards.utilisationLive': { kind: 'shared', own: (f) => siteInput(f.own.siteId), other: (f) => siteInput(f.otherSiteId) },
};

/** Calls a procedure as `principal`; a subscription is read up to its first value (where its checks run). */
async function zoneCall(principal: Principal, path: string, type: string, input: unknown): Promise<{ code: string; message: string; value?: unknown }> {
  const caller = createCaller(createContext(zoneDb, principal)) as unknown as Record<string, unknown>;
  let target: unknown = caller;
  for (const segment of path.split('.')) target = (target as Record<string, unknown>)[segment];
  try {
    let value = await (target as (input: unknown) => Promise<unknown>)(input);
    if (type === 'subscription') {
      const iterator = (value as AsyncIterable<unknown>)[Symbol.asyncIterator]();
      try {
        value = (await iterator.next()).value;
      } finally {
        await iterator.return?.();
      }
    }
    return { code: 'ok', message: '', value };
  } catch (error) {
    if (error instanceof TRPCError) return { code: error.code, message: error.message };
    throw error;
  }
}

describe('zone matrix (generated from appRouter): own-zone vs other-zone object × role, as a zone-scoped principal', () => {
  beforeAll(async () => {
    zoneDb = await createTestDatabase();
    fx = await createZoneFixture(zoneDb);
  });
  afterAll(() => zoneDb.drop());

  it('every procedure says how it is confined to zones', () => {
    const missing = procedures.map((p) => p.path).filter((path) => !ZONE_CASES[path]);
    expect(missing, `procedures without a zone case in ZONE_CASES (tests/permission-matrix.int.test.ts): ${missing.join(', ')}`).toEqual([]);
    const stale = Object.keys(ZONE_CASES).filter((path) => !procedures.some((p) => p.path === path));
    expect(stale, 'zone cases for procedures that no longer exist').toEqual([]);
  });

  it.each(declared.filter((p) => ZONE_CASES[p.path]?.kind !== 'not-zoned').map((p) => [p.path, p] as const))('%s', async (_path, procedure) => {
    const zoneCase = ZONE_CASES[procedure.path]!;
    const needed = declaredList(procedure.meta)!;
    const roles = ROLES.filter((role) => needed.some((p) => p !== 'public' && permissionsOf(role).has(p)));
    for (const role of roles) {
      const principal = fx.principal(role);
      const label = `${procedure.path} as zone-scoped ${role}`;
      if (zoneCase.kind === 'object') {
        const own = await zoneCall(principal, procedure.path, procedure.type, await zoneCase.own({ f: fx, n: ++counter, role, principal }));
        expect([...(zoneCase.ownMay ?? []), 'ok'], `${label}, own-zone object: ${own.message}`).toContain(own.code);
        const other = await zoneCall(principal, procedure.path, procedure.type, zoneCase.other(fx));
        expect(other.code, `${label}, other-zone object: ${other.message}`).toBe(zoneCase.otherCode ?? 'NOT_FOUND');
      } else if (zoneCase.kind === 'list') {
        const result = await zoneCall(principal, procedure.path, procedure.type, zoneCase.input?.(fx));
        expect([...(zoneCase.ownMay ?? []), 'ok'], `${label}: ${result.message}`).toContain(result.code);
        if (result.code === 'ok') await zoneCase.check(result.value, fx);
      } else if (zoneCase.kind === 'shared') {
        const own = await zoneCall(principal, procedure.path, procedure.type, zoneCase.own(fx));
        expect(own.code, `${label}, shared with other zones: ${own.message}`).toBe('FORBIDDEN');
        const other = await zoneCall(principal, procedure.path, procedure.type, zoneCase.other(fx));
        expect(other.code, `${label}, without the caller's zones: ${other.message}`).toBe('NOT_FOUND');
      } else if (zoneCase.kind === 'all-zones') {
        const result = await zoneCall(principal, procedure.path, procedure.type, zoneCase.input(fx));
        expect(result.code, `${label}: ${result.message}`).toBe('FORBIDDEN');
      }
    }
  });
});
