/**
 * Two security zones with one of everything in each, on the demo data center, for the zone-isolation tests: the
 * "own" side is the demo's "Tenant cage" (plus an empty rack of ours in it), the "other" side is "Data halls"; a second
 * site with a zone of its own stands for "a site without the caller's zones". Built with real rows, real telemetry
 * through the ingest pipeline, and real users and tokens.
 */
import { sql } from 'drizzle-orm';
import { createContext } from '../src/server/api/trpc';
import { createCaller } from '../src/server/api/root';
import { createToken, createUser } from '../src/server/auth/accounts';
import { permissionsOf, type Role } from '../src/server/auth/permissions';
import type { Principal } from '../src/server/auth/principal';
import { seedIfEmpty } from '../src/server/db/seed';
import { ensureDefaultRules } from '../src/server/services/telemetry/alerts';
import { IngestPipeline } from '../src/server/services/telemetry/ingest';
import { maintainPartitions } from '../src/server/services/telemetry/partitions';
import type { TestDatabase } from './db';

export type ZoneSide = {
  zoneId: number;
  siteId: number;
  hallId: number;
  rackId: number;
  rackName: string;
  deviceId: number;
  deviceName: string;
  hostname: string;
  gpuId: number;
  gpuUuid: string;
  /** A running job holding one GPU of this side only. */
  jobId: number;
  targetId: number;
  alertId: number;
  /** A viewer whose grant is this zone (for user and token procedures). */
  userId: number;
  tokenId: number;
};

export type ZoneFixture = {
  own: ZoneSide;
  other: ZoneSide;
  /** A job holding a GPU on each side: visible to the own side, but not wholly its to act on. */
  spanningJobId: number;
  /** An empty rack in the own zone, for creating devices. */
  ownEmptyRackId: number;
  deviceTypeId: number;
  tenantId: number;
  /** Rows of the own and the other hall (for creating racks). */
  ownRowId: number;
  otherRowId: number;
  /** Own-zone GPUs no fixture job holds: one for fresh jobs (shares), one for marking failed and healthy. */
  ownSpareGpuId: number;
  ownMarkGpuUuid: string;
  globalAdminId: number;
  /** A site that has none of the own zones. */
  otherSiteId: number;
  principal: (role: Role) => Principal;
};

type Row = Record<string, unknown>;

async function one<T extends Row>(database: TestDatabase, query: ReturnType<typeof sql>): Promise<T> {
  const rows = (await database.db.execute<T>(query)).rows;
  if (!rows[0]) throw new Error('zone fixture: expected a row');
  return rows[0] as T;
}

async function side(database: TestDatabase, zoneName: string, rackName: string | null): Promise<Omit<ZoneSide, 'jobId' | 'targetId' | 'alertId' | 'userId' | 'tokenId'>> {
  const zone = await one<{ id: number; site_id: number }>(database, sql`SELECT id, site_id FROM security_zones WHERE name = ${zoneName}`);
  // A GPU server in a rack of the zone (the rack's own zone, else its hall's).
  const row = await one<{ rack_id: number; rack_name: string; hall_id: number; device_id: number; device_name: string; hostname: string | null; gpu_id: number; uuid: string }>(
    database,
    sql`SELECT r.id AS rack_id, r.name AS rack_name, r.hall_id, d.id AS device_id, d.name AS device_name, d.hostname, a.id AS gpu_id, a.uuid
          FROM accelerators a JOIN devices d ON d.id = a.device_id JOIN racks r ON r.id = d.rack_id JOIN halls h ON h.id = r.hall_id
         WHERE coalesce(r.security_zone_id, h.security_zone_id) = ${zone.id} ${rackName ? sql`AND r.name = ${rackName}` : sql``}
         ORDER BY r.name, d.name, a.index LIMIT 1`,
  );
  return {
    zoneId: zone.id,
    siteId: zone.site_id,
    hallId: row.hall_id,
    rackId: row.rack_id,
    rackName: row.rack_name,
    deviceId: row.device_id,
    deviceName: row.device_name,
    hostname: row.hostname ?? row.device_name,
    gpuId: row.gpu_id,
    gpuUuid: row.uuid,
  };
}

/** A running job holding the GPUs (one worker each; `milli` of each GPU, whole GPUs by default). */
export async function runningJob(database: TestDatabase, tenantId: number, name: string, gpuIds: number[], options: { kind?: 'training' | 'inference'; milli?: number } = {}): Promise<number> {
  const milli = options.milli ?? 1000;
  const kind = options.kind ?? 'training';
  const workers = kind === 'inference' ? 1 : gpuIds.length;
  const replicas = kind === 'inference' ? gpuIds.length : 1;
  const job = await one<{ id: number }>(
    database,
    sql`INSERT INTO jobs (name, kind, tenant_id, workers, replicas, gpus_per_worker, gpu_milli, cpu_milli, memory_mib, expected_power_w_per_gpu, status, started_at)
        VALUES (${name}, ${kind}, ${tenantId}, ${workers}, ${replicas}, 1, ${milli === 1000 ? 0 : milli}, 1000, 1024, 700, 'running', now()) RETURNING id`,
  );
  for (const [worker, gpuId] of gpuIds.entries()) {
    await database.db.execute(sql`INSERT INTO gpu_allocations (job_id, worker, accelerator_id, milli) VALUES (${job.id}, ${worker}, ${gpuId}, ${milli})`);
  }
  return job.id;
}

export async function createZoneFixture(database: TestDatabase): Promise<ZoneFixture> {
  await seedIfEmpty(database.db, 'demo');
  await maintainPartitions(database.pool, { rawRetentionDays: 7, rollupRetentionDays: 365 });
  await ensureDefaultRules(database.pool);
  const tenant = await one<{ id: number }>(database, sql`INSERT INTO tenants (name, gpu_quota, cleared_zone_level) VALUES ('zone-tenant', 1000, 3) RETURNING id`);
  const rule = await one<{ id: number }>(database, sql`SELECT id FROM alert_rules ORDER BY id LIMIT 1`);

  // The Data halls side avoids the cage racks' hall (Hall A) so its hall is not visible to the cage either.
  const ownBase = await side(database, 'Tenant cage', null);
  const hallB = await one<{ name: string }>(database, sql`SELECT r.name FROM racks r JOIN halls h ON h.id = r.hall_id JOIN devices d ON d.rack_id = r.id JOIN accelerators a ON a.device_id = d.id WHERE h.slug = 'hall-b' ORDER BY r.name LIMIT 1`);
  const otherBase = await side(database, 'Data halls', hallB.name);

  const system = createCaller(createContext(database));
  const users: number[] = [];
  const tokens: number[] = [];
  const targets: number[] = [];
  const alerts: number[] = [];
  const jobs: number[] = [];
  for (const [name, base] of [
    ['own', ownBase],
    ['other', otherBase],
  ] as const) {
    jobs.push(await runningJob(database, tenant.id, `zone-${name}`, [base.gpuId]));
    const user = await createUser(database.db, { username: `zone-${name}-viewer`, role: 'viewer', password: `zone ${name} viewer password`, allZones: false, zoneIds: [base.zoneId] });
    users.push(user.id);
    tokens.push((await createToken(database.db, { userId: user.id, name: `zone-${name}`, role: 'viewer', allZones: false, zoneIds: [base.zoneId], expiresAt: null, createdBy: null })).token.id);
    const target = await one<{ id: number }>(
      database,
      sql`INSERT INTO scrape_targets (url, dialect, enabled, security_zone_id) VALUES (${`http://127.0.0.1:9/${name}`}, 'dcgm', true, ${base.zoneId}) RETURNING id`,
    );
    targets.push(target.id);
    const alert = await one<{ id: number }>(
      database,
      sql`INSERT INTO alerts (rule_id, entity_key, entity_label, rack_id, state, value, started_at) VALUES (${rule.id}, ${`rack:${base.rackId}`}, ${base.rackName}, ${base.rackId}, 'firing', 1, now()) RETURNING id`,
    );
    alerts.push(alert.id);
  }
  // GPUs of the spanning job: a second GPU on each side.
  const secondGpu = async (base: typeof ownBase) =>
    (await one<{ id: number }>(database, sql`SELECT a.id FROM accelerators a WHERE a.device_id = ${base.deviceId} AND a.id <> ${base.gpuId} ORDER BY a.index LIMIT 1`)).id;
  const spanningJobId = await runningJob(database, tenant.id, 'zone-spanning', [await secondGpu(ownBase), await secondGpu(otherBase)]);

  // One power sample per side, through the real ingest pipeline (mapped to the GPU by UUID).
  const ingest = new IngestPipeline(database.pool, { bufferMaxSamples: 10_000, rawRetentionDays: 7, notify: false });
  await ingest.loadInventory();
  const now = Date.now();
  ingest.ingestRaw(
    [ownBase, otherBase].map((base, i) => ({ name: 'DCGM_FI_DEV_POWER_USAGE', labels: { gpu: '0', UUID: base.gpuUuid, Hostname: base.hostname }, value: 500 + i, timestampMs: now - 2_000 })),
    { targetId: null },
  );
  await ingest.flush();

  const hallA = await one<{ id: number; row_id: number }>(database, sql`SELECT h.id, min(r.id) AS row_id FROM halls h JOIN rows r ON r.hall_id = h.id WHERE h.id = ${ownBase.hallId} GROUP BY h.id`);
  const hallBRow = await one<{ row_id: number }>(database, sql`SELECT min(r.id) AS row_id FROM rows r WHERE r.hall_id = ${otherBase.hallId}`);
  // Planned, so planners may change it too.
  const emptyRack = await system.racks.create({ hallId: hallA.id, rowId: hallA.row_id, name: 'ZONE-OWN-EMPTY', positionInRow: 90, maxPowerKw: 40, maxWeightKg: 1500, securityZoneId: ownBase.zoneId, status: 'planned' });
  const spare = (await database.db.execute<{ id: number; uuid: string }>(sql`SELECT id, uuid FROM accelerators WHERE device_id = ${ownBase.deviceId} ORDER BY index OFFSET 2 LIMIT 2`)).rows;
  const deviceType = await one<{ id: number }>(database, sql`SELECT id FROM device_types WHERE u_height = 1 AND accelerator_slots = 0 ORDER BY id LIMIT 1`);
  const globalAdmin = await createUser(database.db, { username: 'zone-global-admin', role: 'admin', password: 'zone global admin password', allZones: true, zoneIds: [] });

  const otherSite = await one<{ id: number }>(database, sql`INSERT INTO sites (slug, name, utility_capacity_kw) VALUES ('zone-other-site', 'Other site', 1000) RETURNING id`);
  await database.db.execute(sql`INSERT INTO security_zones (site_id, name, access_level) VALUES (${otherSite.id}, 'Remote', 'restricted')`);

  const own: ZoneSide = { ...ownBase, jobId: jobs[0]!, targetId: targets[0]!, alertId: alerts[0]!, userId: users[0]!, tokenId: tokens[0]! };
  const other: ZoneSide = { ...otherBase, jobId: jobs[1]!, targetId: targets[1]!, alertId: alerts[1]!, userId: users[1]!, tokenId: tokens[1]! };

  // Zone-scoped principals of each role, backed by real users (so user and token procedures find them).
  const scopedUsers = new Map<Role, number>();
  for (const role of ['viewer', 'operator', 'planner', 'admin'] as const) {
    scopedUsers.set(role, (await createUser(database.db, { username: `zone-scoped-${role}`, role, password: `zone scoped ${role} password`, allZones: false, zoneIds: [own.zoneId] })).id);
  }
  const principal = (role: Role): Principal => ({
    kind: 'session',
    userId: scopedUsers.get(role)!,
    username: `zone-scoped-${role}`,
    role,
    permissions: permissionsOf(role),
    allZones: false,
    zoneIds: new Set([own.zoneId]),
    tokenId: null,
    sessionHash: null,
  });

  return {
    own,
    other,
    spanningJobId,
    ownEmptyRackId: emptyRack.id,
    deviceTypeId: deviceType.id,
    tenantId: tenant.id,
    ownRowId: hallA.row_id,
    otherRowId: hallBRow.row_id,
    ownSpareGpuId: spare[0]!.id,
    ownMarkGpuUuid: spare[1]!.uuid,
    globalAdminId: globalAdmin.id, otherSiteId: otherSite.id, principal };
}
