import { TRPCError } from '@trpc/server';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GET as devicesCsv } from '../src/app/api/export/devices.csv/route';
import { GET as racksCsv } from '../src/app/api/export/racks.csv/route';
import { POST as remoteWrite } from '../src/app/api/v1/write/route';
import { createCaller } from '../src/server/api/root';
import { createContext } from '../src/server/api/trpc';
import { createToken } from '../src/server/auth/accounts';
import { verifyPassword } from '../src/server/auth/password';
import type { Role } from '../src/server/auth/permissions';
import * as s from '../src/server/db/schema';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getProcessIngest } from '../src/server/services/telemetry/index';
import { IngestPipeline } from '../src/server/services/telemetry/ingest';
import { Scraper } from '../src/server/services/telemetry/scraper';
import { TargetGuard } from '../src/server/services/telemetry/target-guard';
import { queryTelemetry } from '../src/server/services/telemetry/query';
import { encodeWriteRequest } from '../src/telemetry/remote-write.testkit';
import { createTestDatabase, type TestDatabase } from './db';
import { createZoneFixture, type ZoneFixture } from './zone-fixture';

/**
 * The findings of issue 11 about zone-scoped principals, one test each: every one failed before zone isolation became
 * a mechanism (auth/zones.ts), because a zone-scoped grant was only checked in a few rack and device mutations.
 */
describe('zone isolation: a zone-scoped principal is confined to its zones', () => {
  let database: TestDatabase;
  let f: ZoneFixture;
  const previousUrl = process.env.DATABASE_URL;

  beforeAll(async () => {
    database = await createTestDatabase();
    f = await createZoneFixture(database);
    // The HTTP handlers (CSV exports, remote-write) open the database of DATABASE_URL.
    process.env.DATABASE_URL = database.url;
  });
  afterAll(async () => {
    await getProcessIngest()?.stop();
    const holder = globalThis as unknown as { __plenumDb?: { pool: { end: () => Promise<void> } } };
    await holder.__plenumDb?.pool.end();
    holder.__plenumDb = undefined;
    if (previousUrl === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = previousUrl;
    await database.drop();
  });

  const as = (role: Role) => createCaller(createContext(database, f.principal(role)));
  async function codeOf(promise: Promise<unknown>): Promise<string> {
    try {
      await promise;
      return 'ok';
    } catch (error) {
      if (error instanceof TRPCError) return error.code;
      throw error;
    }
  }
  /** A token of a zone-scoped user (the fixture's scoped users), for the HTTP handlers. */
  async function scopedToken(role: Role): Promise<string> {
    const userId = f.principal(role).userId!;
    return (await createToken(database.db, { userId, name: `http-${role}`, role, allZones: false, zoneIds: [f.own.zoneId], expiresAt: null, createdBy: null })).secret;
  }

  describe('a zone-scoped admin never grants, creates or resets anything wider than its own grant', () => {
    it('cannot widen its own grant to all zones, nor add a zone it does not hold', async () => {
      const self = f.principal('admin').userId!;
      expect(await codeOf(as('admin').users.update({ id: self, changes: { allZones: true } }))).toBe('BAD_REQUEST');
      expect(await codeOf(as('admin').users.update({ id: self, changes: { zoneIds: [f.own.zoneId, f.other.zoneId] } }))).toBe('BAD_REQUEST');
      const [user] = await database.db.select().from(s.users).where(eq(s.users.id, self));
      expect(user!.allZones).toBe(false);
      const zones = await database.db.select().from(s.userZones).where(eq(s.userZones.userId, self));
      expect(zones.map((z) => z.zoneId)).toEqual([f.own.zoneId]);
    });

    it('cannot create an all-zones admin, nor a user in another zone; can create one in its own zone', async () => {
      expect(await codeOf(as('admin').users.create({ username: 'zone-made-root', role: 'admin', password: 'a long enough password', allZones: true, zoneIds: [] }))).toBe('BAD_REQUEST');
      expect(await codeOf(as('admin').users.create({ username: 'zone-made-other', role: 'viewer', password: 'a long enough password', allZones: false, zoneIds: [f.other.zoneId] }))).toBe('BAD_REQUEST');
      const made = await database.db.select().from(s.users).where(sql`${s.users.username} IN ('zone-made-root', 'zone-made-other')`);
      expect(made).toEqual([]);
      expect(await codeOf(as('admin').users.create({ username: 'zone-made-own', role: 'operator', password: 'a long enough password', allZones: false, zoneIds: [f.own.zoneId] }))).toBe('ok');
    });

    it('cannot reset the password of a global admin or of a user outside its zones (NOT_FOUND), nor change them', async () => {
      const [before] = await database.db.select().from(s.users).where(eq(s.users.id, f.globalAdminId));
      expect(await codeOf(as('admin').users.setPassword({ id: f.globalAdminId, password: 'taken over password 1' }))).toBe('NOT_FOUND');
      expect(await codeOf(as('admin').users.setPassword({ id: f.other.userId, password: 'taken over password 1' }))).toBe('NOT_FOUND');
      expect(await codeOf(as('admin').users.update({ id: f.globalAdminId, changes: { disabled: true } }))).toBe('NOT_FOUND');
      const [after] = await database.db.select().from(s.users).where(eq(s.users.id, f.globalAdminId));
      expect(after!.passwordHash).toBe(before!.passwordHash);
      expect(after!.disabled).toBe(false);
      expect(await verifyPassword('taken over password 1', after!.passwordHash)).toBe(false);
      // Its own zone's users it does manage.
      expect(await codeOf(as('admin').users.setPassword({ id: f.own.userId, password: 'a new own-zone password' }))).toBe('ok');
    });

    it('lists only the users and tokens within its zones, and cannot mint a token for a user outside them', async () => {
      const users = await as('admin').users.list();
      expect(users.map((u) => u.id)).toContain(f.own.userId);
      expect(users.map((u) => u.id)).not.toContain(f.globalAdminId);
      expect(users.map((u) => u.id)).not.toContain(f.other.userId);
      const tokens = await as('admin').tokens.list();
      expect(tokens.map((t) => t.id)).toContain(f.own.tokenId);
      expect(tokens.map((t) => t.id)).not.toContain(f.other.tokenId);
      expect(await codeOf(as('admin').tokens.create({ name: 'steal', role: 'viewer', allZones: false, zoneIds: [f.own.zoneId], userId: f.globalAdminId }))).toBe('NOT_FOUND');
      // Revoking another zone's token is refused like a missing one.
      expect(await codeOf(as('admin').tokens.revoke({ id: f.other.tokenId }))).toBe('BAD_REQUEST');
      const [token] = await database.db.select().from(s.apiTokens).where(eq(s.apiTokens.id, f.other.tokenId));
      expect(token!.revokedAt).toBeNull();
    });
  });

  describe('a zone-scoped operator acts only in its zones', () => {
    it('cannot cancel a job running in another zone, nor one that also holds GPUs there', async () => {
      expect(await codeOf(as('operator').jobs.cancel({ id: f.other.jobId }))).toBe('NOT_FOUND');
      expect(await codeOf(as('operator').jobs.cancel({ id: f.spanningJobId }))).toBe('FORBIDDEN');
      expect(await codeOf(as('operator').jobs.scale({ id: f.other.jobId, replicas: 1 }))).toBe('NOT_FOUND');
      const statuses = await database.db.select({ id: s.jobs.id, status: s.jobs.status }).from(s.jobs).where(sql`${s.jobs.id} IN (${f.other.jobId}, ${f.spanningJobId})`);
      expect(statuses.map((j) => j.status)).toEqual(['running', 'running']);
    });

    it('cannot mark another zone’s GPU failed or healthy', async () => {
      expect(await codeOf(as('operator').jobs.markGpuFailed({ uuid: f.other.gpuUuid, reason: 'zone test' }))).toBe('NOT_FOUND');
      const [gpu] = await database.db.select({ health: s.accelerators.health }).from(s.accelerators).where(eq(s.accelerators.id, f.other.gpuId));
      expect(gpu!.health).not.toBe('failed');
      await database.db.update(s.accelerators).set({ health: 'failed' }).where(eq(s.accelerators.id, f.other.gpuId));
      try {
        expect(await codeOf(as('operator').jobs.markGpuHealthy({ uuid: f.other.gpuUuid }))).toBe('NOT_FOUND');
        const [still] = await database.db.select({ health: s.accelerators.health }).from(s.accelerators).where(eq(s.accelerators.id, f.other.gpuId));
        expect(still!.health).toBe('failed');
      } finally {
        await database.db.update(s.accelerators).set({ health: 'healthy' }).where(eq(s.accelerators.id, f.other.gpuId));
      }
    });

    it('cannot inject simulator faults on another zone’s GPUs or hosts, nor facility-wide faults', async () => {
      expect(await codeOf(as('operator').simulator.inject({ kind: 'gpu-xid', target: f.other.gpuUuid }))).toBe('NOT_FOUND');
      expect(await codeOf(as('operator').simulator.inject({ kind: 'server-fan-failure', target: f.other.hostname }))).toBe('NOT_FOUND');
      expect(await codeOf(as('operator').simulator.inject({ kind: 'network-link-down', target: `${f.other.hostname}/eth0` }))).toBe('NOT_FOUND');
      expect(await codeOf(as('operator').simulator.inject({ kind: 'utility-outage', target: '1' }))).toBe('FORBIDDEN');
      // Its own GPU passes the zone check (and then meets the simulator, which is not running in this process).
      expect(await codeOf(as('operator').simulator.inject({ kind: 'gpu-xid', target: f.own.gpuUuid }))).toBe('PRECONDITION_FAILED');
    });

    it('cannot disable, change or remove another zone’s scrape target; adds targets only in its zones', async () => {
      expect(await codeOf(as('operator').telemetry.targets.update({ id: f.other.targetId, enabled: false }))).toBe('NOT_FOUND');
      expect(await codeOf(as('operator').telemetry.targets.remove({ id: f.other.targetId }))).toBe('NOT_FOUND');
      const [target] = await database.db.select().from(s.scrapeTargets).where(eq(s.scrapeTargets.id, f.other.targetId));
      expect(target!.enabled).toBe(true);
      expect(await codeOf(as('operator').telemetry.targets.add({ url: 'http://192.0.2.10:9400/no-zone', dialect: 'dcgm', enabled: false }))).toBe('BAD_REQUEST');
      expect(await codeOf(as('operator').telemetry.targets.add({ url: 'http://192.0.2.10:9400/other-zone', dialect: 'dcgm', enabled: false, zoneId: f.other.zoneId }))).toBe('BAD_REQUEST');
      const added = await as('operator').telemetry.targets.add({ url: 'http://192.0.2.10:9400/own-zone', dialect: 'dcgm', enabled: false, zoneId: f.own.zoneId });
      expect(added!.zoneId).toBe(f.own.zoneId);
      expect(await codeOf(as('operator').telemetry.targets.update({ id: f.own.targetId, enabled: true }))).toBe('ok');
    });

    it('cannot acknowledge another zone’s alert', async () => {
      expect(await codeOf(as('operator').alerts.ack({ id: f.other.alertId }))).toBe('NOT_FOUND');
      const [alert] = await database.db.select().from(s.alerts).where(eq(s.alerts.id, f.other.alertId));
      expect(alert!.state).toBe('firing');
    });

    it('cannot submit jobs (the scheduler places them in any zone)', async () => {
      expect(await codeOf(as('operator').jobs.submit({ name: 'zone-submit', kind: 'training', tenant: 'zone-tenant', gpusPerWorker: 1, cpuMilli: 1000, memoryMib: 1024 }))).toBe('FORBIDDEN');
    });

    it('remote-write with a zone-scoped token: samples of another zone’s GPU are dropped and counted, its own are stored', async () => {
      const token = await scopedToken('operator');
      const at = Date.now() - 1_000;
      const body = encodeWriteRequest([
        { labels: { __name__: 'DCGM_FI_DEV_POWER_USAGE', gpu: '0', UUID: f.own.gpuUuid, Hostname: f.own.hostname }, samples: [[611.5, at]] },
        { labels: { __name__: 'DCGM_FI_DEV_POWER_USAGE', gpu: '0', UUID: f.other.gpuUuid, Hostname: f.other.hostname }, samples: [[622.5, at]] },
      ]);
      const response = await remoteWrite(new Request('http://localhost/api/v1/write', { method: 'POST', body: Buffer.from(body), headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${token}` } }));
      expect(response.status).toBe(204);
      const values = async (uuid: string) => (await queryTelemetry(database.pool, { metric: 'gpu_power_w', entity: uuid, sinceMs: 60_000 })).series.flatMap((x) => x.points.map((p) => p.v));
      await expect.poll(() => values(f.own.gpuUuid), { timeout: 10_000 }).toContain(611.5);
      expect(await values(f.other.gpuUuid)).not.toContain(622.5);
      expect(getProcessIngest()!.stats.zoneRefusedSamples).toBe(1);
    });
  });

  it('a scrape target with a zone: its samples of another zone’s GPU are dropped and counted, its own are stored', async () => {
    // A real HTTP exporter serving DCGM text for one GPU of each zone.
    const text = [
      '# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).',
      '# TYPE DCGM_FI_DEV_POWER_USAGE gauge',
      `DCGM_FI_DEV_POWER_USAGE{gpu="0",UUID="${f.own.gpuUuid}",Hostname="${f.own.hostname}"} 633.5`,
      `DCGM_FI_DEV_POWER_USAGE{gpu="0",UUID="${f.other.gpuUuid}",Hostname="${f.other.hostname}"} 644.5`,
      '',
    ].join('\n');
    const server = createServer((_req, res) => res.end(text));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    await database.db.update(s.scrapeTargets).set({ enabled: false });
    const [target] = await database.db.insert(s.scrapeTargets).values({ url, dialect: 'dcgm', intervalMs: 250, securityZoneId: f.own.zoneId }).returning();
    const ingest = new IngestPipeline(database.pool, { bufferMaxSamples: 10_000, rawRetentionDays: 7, notify: false });
    await ingest.loadInventory();
    // The exporter runs on loopback, which the scraper refuses unless allowed (as an operator would allow a lab host).
    const scraper = new Scraper(database.pool, ingest, 2, { maxBytes: 64 * 1024 * 1024, guard: new TargetGuard('127.0.0.1') });
    try {
      scraper.start();
      await expect.poll(() => ingest.stats.zoneRefusedSamples, { timeout: 15_000 }).toBeGreaterThan(0);
      await scraper.stop();
      await ingest.flush();
      expect(ingest.stats.acceptedSamples).toBe(ingest.stats.zoneRefusedSamples);
      const values = async (uuid: string) => (await queryTelemetry(database.pool, { metric: 'gpu_power_w', entity: uuid, sinceMs: 60_000 })).series.flatMap((x) => x.points.map((p) => p.v));
      expect(await values(f.own.gpuUuid)).toContain(633.5);
      expect(await values(f.other.gpuUuid)).not.toContain(644.5);
    } finally {
      await scraper.stop();
      server.close();
      await database.db.update(s.scrapeTargets).set({ enabled: false }).where(eq(s.scrapeTargets.id, target!.id));
    }
  });

  describe('a zone-scoped viewer reads only its zones', () => {
    it('lists: devices, racks, jobs, alerts, targets, sites and zones of its zones only', async () => {
      const viewer = as('viewer');
      const devices = await viewer.devices.list({ limit: 500 });
      expect(devices.items.map((d) => d.id)).toContain(f.own.deviceId);
      expect(devices.items.every((d) => d.rackId !== f.other.rackId)).toBe(true);
      const [{ n }] = (await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM devices d JOIN racks r ON r.id = d.rack_id WHERE r.security_zone_id = ${f.own.zoneId}`)).rows as [{ n: number }];
      expect(devices.items).toHaveLength(n);
      const racks = await viewer.racks.list({ limit: 500 });
      expect(racks.items.map((r) => r.id).sort()).toEqual(
        (await database.db.select({ id: s.racks.id }).from(s.racks).where(eq(s.racks.securityZoneId, f.own.zoneId))).map((r) => r.id).sort(),
      );
      const jobs = await viewer.jobs.list({ limit: 100 });
      expect(jobs.items.map((j) => j.id).sort()).toEqual([f.own.jobId, f.spanningJobId].sort());
      // A job spanning zones counts only the GPUs it holds here.
      expect(jobs.items.find((j) => j.id === f.spanningJobId)!.heldGpus).toBe(1);
      expect((await viewer.alerts.list()).map((a) => a.id)).toEqual([f.own.alertId]);
      expect((await viewer.telemetry.targets.list()).every((t) => t.zoneId === f.own.zoneId)).toBe(true);
      expect((await viewer.zones.list()).map((z) => z.id)).toEqual([f.own.zoneId]);
      const sites = await viewer.sites.listWithHalls();
      expect(sites.map((site) => site.id)).toEqual([f.own.siteId]);
      expect(sites[0]!.halls.map((h) => h.id)).toEqual([f.own.hallId]);
    });

    it('details of another zone answer NOT_FOUND, exactly like a missing object', async () => {
      const viewer = as('viewer');
      expect(await codeOf(viewer.devices.get({ id: f.other.deviceId }))).toBe('NOT_FOUND');
      expect(await codeOf(viewer.racks.get({ id: f.other.rackId }))).toBe('NOT_FOUND');
      expect(await codeOf(viewer.jobs.get({ id: f.other.jobId }))).toBe('NOT_FOUND');
      expect(await codeOf(viewer.halls.floorPlan({ id: f.other.hallId }))).toBe('NOT_FOUND');
      expect(await codeOf(viewer.alerts.events({ id: f.other.alertId }))).toBe('NOT_FOUND');
      expect(await codeOf(viewer.devices.get({ id: f.own.deviceId }))).toBe('ok');
      // Its own server is cabled to switches in another zone: the cables show, the far ends are not named.
      const [cabled] = (
        await database.db.execute<{ n: number }>(
          sql`SELECT count(*)::int AS n FROM interfaces i JOIN link_ends e ON e.interface_id = i.id JOIN link_ends pe ON pe.link_id = e.link_id AND pe.interface_id <> i.id
               JOIN interfaces pi ON pi.id = pe.interface_id JOIN devices pd ON pd.id = pi.device_id JOIN racks pr ON pr.id = pd.rack_id
              WHERE i.device_id = ${f.own.deviceId} AND pr.security_zone_id IS DISTINCT FROM ${f.own.zoneId}`,
        )
      ).rows;
      expect(cabled!.n).toBeGreaterThan(0);
      const detail = await viewer.devices.get({ id: f.own.deviceId });
      expect(detail.interfaces.filter((i) => i.peerDeviceId !== null)).toEqual([]);
      // A job that spans zones shows only the caller's part of its placement.
      const spanning = await viewer.jobs.get({ id: f.spanningJobId });
      expect(spanning.placement.allocations.map((a) => a.rackId)).toEqual([f.own.rackId]);
    });

    it('telemetry of another zone’s GPU is refused like an unknown entity; its own is readable', async () => {
      const viewer = as('viewer');
      await expect(viewer.telemetry.query({ metric: 'gpu_power_w', entity: f.other.gpuUuid, since: '1h' })).rejects.toThrow(/no GPU, host or rack named/);
      await expect(viewer.telemetry.query({ metric: 'gpu_power_w', entity: f.other.rackName, since: '1h' })).rejects.toThrow(/no GPU, host or rack named/);
      await expect(viewer.telemetry.query({ metric: 'gpu_power_w', target: String(f.other.targetId), since: '1h' })).rejects.toThrow(/no scrape target/);
      const own = await viewer.telemetry.query({ metric: 'gpu_power_w', entity: f.own.gpuUuid, since: '1h' });
      expect(own.series.flatMap((x) => x.points.map((p) => p.v))).toContain(500);
    });

    it('the site overview is computed over its zones: its GPUs, jobs and alerts, not the shared site meters', async () => {
      const overview = await as('viewer').dashboards.overview({ siteId: f.own.siteId });
      const [gpus] = (
        await database.db.execute<{ n: number }>(
          sql`SELECT count(*)::int AS n FROM accelerators a JOIN devices d ON d.id = a.device_id JOIN racks r ON r.id = d.rack_id
               WHERE r.security_zone_id = ${f.own.zoneId} AND d.status NOT IN ('planned', 'decommissioned')`,
        )
      ).rows;
      expect(overview.gpus.total).toBe(gpus!.n);
      expect(overview.jobs.running).toBe((await as('viewer').jobs.list({ status: ['running', 'scheduled'], limit: 100 })).items.length);
      expect(overview.alerts.firing).toBe(1);
      expect(overview.itPowerW).toBeNull();
      const global = await createCaller(createContext(database)).dashboards.overview({ siteId: f.own.siteId });
      expect(global.gpus.total).toBeGreaterThan(overview.gpus.total);
    });

    it('site-wide views (power chain, dashboards, capacity) and the inventory export need all zones', async () => {
      const viewer = as('viewer');
      expect(await codeOf(viewer.inventory.export())).toBe('FORBIDDEN');
      expect(await codeOf(viewer.dashboards.overview({ siteId: f.otherSiteId }))).toBe('NOT_FOUND');
      expect(await codeOf(viewer.power.nodes({ siteId: f.own.siteId }))).toBe('FORBIDDEN');
      expect(await codeOf(viewer.capacity.headroom({ siteId: f.own.siteId }))).toBe('FORBIDDEN');
      expect(await codeOf(viewer.audit.list({}))).toBe('FORBIDDEN');
    });

    it('CSV exports over HTTP carry only its zones’ rows', async () => {
      const token = await scopedToken('viewer');
      const get = (url: string) => new Request(url, { headers: { authorization: `Bearer ${token}` } });
      const lines = async (response: Response) => (await response.text()).split('\r\n').filter(Boolean);
      const devices = await lines(await devicesCsv(get('http://localhost/api/export/devices.csv')));
      expect(devices.length).toBeGreaterThan(1);
      expect(devices.some((line) => line.split(',')[1] === f.other.deviceName)).toBe(false);
      expect(devices.some((line) => line.split(',')[1] === f.own.deviceName)).toBe(true);
      const racks = await lines(await racksCsv(get('http://localhost/api/export/racks.csv')));
      expect(racks.slice(1).map((line) => line.split(',')[1]).sort()).toEqual(
        (await database.db.select({ name: s.racks.name }).from(s.racks).where(eq(s.racks.securityZoneId, f.own.zoneId))).map((r) => r.name).sort(),
      );
    });
  });
});
