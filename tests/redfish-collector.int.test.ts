/**
 * The Redfish collector against every DMTF public mockup in ../shared/fixtures/redfish, served over real sockets by
 * our own small service (tests/redfish-mockup-server.ts): readings must equal the values in the mockup files (read
 * from the files here, by a walk of our own, not hard-coded), with the catalogue metric, unit and labels; with and
 * without `$expand`; with session and basic auth; over HTTPS with a CA made at test time; and every failure is a
 * per-target error in our own words that leaves other targets alone.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { parseArgs } from '@/cli/command';
import { targetsCommands } from '@/cli/commands/targets';
import { createCaller } from '@/server/api/root';
import { createContext } from '@/server/api/trpc';
import { redfishCollector } from '@/server/services/telemetry/collectors/redfish';
import { IngestPipeline } from '@/server/services/telemetry/ingest';
import { Scraper } from '@/server/services/telemetry/scraper';
import type { CollectorTarget } from '@/server/services/telemetry/collectors/types';
import { ScrapeError, TargetGuard } from '@/server/services/telemetry/target-guard';
import { getMetricDef, mapSamples } from '@/telemetry';
import { tempFolder } from './daemon';
import { createDemoTelemetryDatabase, type TestDatabase } from './db';
import { fieldErrors } from './field-errors';
import { type MockupServer, makeTestCa, REDFISH_FIXTURES, REDFISH_MOCKUPS, startMockupServer } from './redfish-mockup-server';

const guard = new TargetGuard('127.0.0.1');
let nextId = 1;

function target(url: string, extra: Partial<CollectorTarget> = {}): CollectorTarget {
  return { id: nextId++, url, dialect: 'redfish', timeoutMs: 10_000, options: {}, credentials: {}, facility: null, ...extra };
}

const collect = (t: CollectorTarget, g: TargetGuard | null = guard) => redfishCollector.collect(t, { signal: new AbortController().signal, guard: g, nowMs: Date.now() });

// ---- What the mockup files say, read by a walk of our own over the folder (independent of the collector's walk).

type Expected = { name: string; labels: Record<string, string>; value: number };
// biome-ignore lint/suspicious/noExplicitAny: mockup JSON, read field by field as the schema names them
type Resource = Record<string, any>;

/** The unit each metric must carry in the catalogue. */
const UNITS: Record<string, string> = {
  pdu_power_w: 'W',
  pdu_energy_kwh: 'kWh',
  pdu_phase_current_a: 'A',
  pdu_phase_voltage_v: 'V',
  pdu_branch_current_a: 'A',
  pdu_branch_power_w: 'W',
  pdu_outlet_power_w: 'W',
  pdu_outlet_current_a: 'A',
  cdu_supply_temp_c: 'C',
  cdu_return_temp_c: 'C',
  cdu_flow_l_per_min: 'l_per_min',
  cdu_supply_pressure_kpa: 'kPa',
  cdu_return_pressure_kpa: 'kPa',
  cdu_differential_pressure_kpa: 'kPa',
  cdu_heat_removed_w: 'W',
  cdu_primary_supply_temp_c: 'C',
  cdu_primary_return_temp_c: 'C',
  cdu_primary_flow_l_per_min: 'l_per_min',
  environment_temp_c: 'C',
  environment_humidity_pct: 'pct',
  chassis_power_w: 'W',
  psu_input_power_w: 'W',
};

function resourceFiles(folder: string): { id: string; body: Resource }[] {
  const out: { id: string; body: Resource }[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (entry === 'index.json') out.push({ id: `/redfish/v1/${path.relative(folder, dir)}`.replace(/\/$/, ''), body: JSON.parse(readFileSync(full, 'utf8')) });
    }
  };
  walk(folder);
  return out;
}

const phaseName = (line: string) =>
  line === 'Neutral' ? 'N' : line.replace(/^Line(\d)ToNeutral$/, 'L$1').replace(/^Line(\d)ToLine(\d)$/, 'L$1-L$2').replace(/^Line(\d)$/, 'L$1');

function expectedReadings(folder: string): Expected[] {
  const files = resourceFiles(folder);
  const byId = new Map(files.map((f) => [f.id, f.body]));
  const out: Expected[] = [];
  const push = (metric: string, reading: unknown, labels: Record<string, string>, factor = 1) => {
    const value = (reading as { Reading?: unknown } | undefined)?.Reading;
    if (typeof value === 'number') out.push({ name: `plenum_${metric}`, labels, value: value * factor });
  };
  const owner = (id: string, depth: number) => id.split('/').slice(0, -depth).join('/');
  const baseOf = (ownerId: string) => ({ device: byId.get(ownerId)!.Name as string, resource: ownerId });
  for (const { id, body } of files) {
    const type = String(body['@odata.type'] ?? '');
    if (type.startsWith('#PowerDistributionMetrics.')) {
      const base = baseOf(owner(id, 1));
      push('pdu_power_w', body.PowerWatts, base);
      push('pdu_energy_kwh', body.EnergykWh, base);
      push('environment_temp_c', body.TemperatureCelsius, base);
      push('environment_humidity_pct', body.HumidityPercent, base);
    } else if (type.startsWith('#Circuit.') && id.split('/').at(-2) === 'Mains') {
      const labels = { ...baseOf(owner(id, 2)), circuit: body.Id };
      for (const [line, r] of Object.entries(body.PolyPhaseCurrentAmps ?? {})) push('pdu_phase_current_a', r, { ...labels, phase: phaseName(line) });
      for (const [line, r] of Object.entries(body.PolyPhaseVoltage ?? {})) push('pdu_phase_voltage_v', r, { ...labels, phase: phaseName(line) });
    } else if (type.startsWith('#Circuit.') && id.split('/').at(-2) === 'Branches') {
      const labels = { ...baseOf(owner(id, 2)), branch: body.Id };
      push('pdu_branch_current_a', body.CurrentAmps, labels);
      push('pdu_branch_power_w', body.PowerWatts, labels);
    } else if (type.startsWith('#Outlet.')) {
      const labels = { ...baseOf(owner(id, 2)), outlet: body.Id };
      push('pdu_outlet_power_w', body.PowerWatts, labels);
      push('pdu_outlet_current_a', body.CurrentAmps, labels);
    } else if (type.startsWith('#CoolantConnector.')) {
      const labels = { ...baseOf(owner(id, 2)), connector: body.Id };
      if (id.includes('/SecondaryCoolantConnectors/')) {
        push('cdu_supply_temp_c', body.SupplyTemperatureCelsius, labels);
        push('cdu_return_temp_c', body.ReturnTemperatureCelsius, labels);
        push('cdu_flow_l_per_min', body.FlowLitersPerMinute, labels);
        push('cdu_supply_pressure_kpa', body.SupplyPressurekPa, labels);
        push('cdu_return_pressure_kpa', body.ReturnPressurekPa, labels);
        push('cdu_differential_pressure_kpa', body.DeltaPressurekPa, labels);
        push('cdu_heat_removed_w', body.HeatRemovedkW, labels, 1000);
      } else {
        push('cdu_primary_supply_temp_c', body.SupplyTemperatureCelsius, labels);
        push('cdu_primary_return_temp_c', body.ReturnTemperatureCelsius, labels);
        push('cdu_primary_flow_l_per_min', body.FlowLitersPerMinute, labels);
      }
    } else if (type.startsWith('#EnvironmentMetrics.') && /^\/redfish\/v1\/(Chassis|ThermalEquipment)\//.test(id)) {
      // Processor EnvironmentMetrics under Systems/ are not facility readings and are not read.
      const base = baseOf(owner(id, 1));
      push('environment_temp_c', body.TemperatureCelsius, base);
      push('environment_humidity_pct', body.HumidityPercent, base);
      push('chassis_power_w', body.PowerWatts, base);
    } else if (type.startsWith('#PowerSupplyMetrics.')) {
      const psu = byId.get(owner(id, 1))!;
      push('psu_input_power_w', body.InputPowerWatts, { ...baseOf(owner(id, 4)), psu: psu.Id });
    }
  }
  return out;
}

const key = (s: { name: string; labels: Record<string, string> }) =>
  `${s.name}{${Object.entries(s.labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',')}}`;

async function expectError(promise: Promise<unknown>, message: RegExp): Promise<ScrapeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ScrapeError);
  expect((error as Error).message).toMatch(message);
  // Never the device's own words.
  expect((error as Error).message).not.toMatch(/DEVICE SAYS|script|bad credentials/);
  return error as ScrapeError;
}

// ---- Every mockup, with and without $expand

/** Metrics each mockup must yield at least (so an empty walk on both sides cannot pass). */
const MUST_HAVE: Record<(typeof REDFISH_MOCKUPS)[number], string[]> = {
  'public-cooling-unit': ['cdu_supply_temp_c', 'cdu_return_temp_c', 'cdu_flow_l_per_min', 'cdu_differential_pressure_kpa', 'cdu_heat_removed_w', 'environment_temp_c'],
  'public-pdu': ['pdu_power_w', 'pdu_energy_kwh', 'pdu_phase_current_a', 'pdu_phase_voltage_v', 'pdu_branch_current_a', 'pdu_outlet_power_w', 'pdu_outlet_current_a'],
  'public-rackmount1': ['chassis_power_w', 'environment_temp_c', 'psu_input_power_w'],
};

describe.each(REDFISH_MOCKUPS)('Redfish mockup %s', (mockup) => {
  const folder = path.join(REDFISH_FIXTURES, mockup);
  const expected = expectedReadings(folder);
  const servers: MockupServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.close();
  });

  it('has readings to check', () => {
    const metrics = new Set(expected.map((e) => e.name.replace(/^plenum_/, '')));
    for (const m of MUST_HAVE[mockup]) expect(metrics, m).toContain(m);
  });

  it.each([true, false, 'refused'] as const)('collects every mapped value of the mockup (expand %s), with catalogue units and labels', async (expand) => {
    const server = await startMockupServer({ folder, expand });
    servers.push(server);
    const samples = await collect(target(server.url));
    expect(new Map(samples.map((s) => [key(s), s.value]))).toEqual(new Map(expected.map((e) => [key(e), e.value])));
    expect(new Set(samples.map(key)).size).toBe(samples.length);
    // Through the plenum dialect: each is a catalogue metric with the unit the table says and the device label.
    const { samples: canonical } = mapSamples(samples, 'plenum');
    expect(canonical).toHaveLength(samples.length);
    for (const c of canonical) {
      expect(c.known, c.metric).toBe(true);
      expect(c.unit, c.metric).toBe(UNITS[c.metric]);
      expect(getMetricDef(c.metric)?.scope).toBe('facility');
      expect(c.device).toBeTruthy();
    }
    const expandRequests = server.requests.filter((r) => r.includes('$expand'));
    if (expand === false) expect(expandRequests).toEqual([]);
    else expect(expandRequests.length).toBeGreaterThan(0);
    // Keep-alive: the whole walk runs over at most `concurrency` (4) connections.
    expect(server.requests.length).toBeGreaterThan(4);
    expect(server.connections).toBeLessThanOrEqual(4);
  });

  it('names every reading after the facility object when the target has one', async () => {
    const server = await startMockupServer({ folder });
    servers.push(server);
    const samples = await collect(target(server.url, { facility: { name: 'cdu-hall-1', siteSlug: 'dc-east' } }));
    expect(samples.length).toBe(expected.length);
    for (const s of samples) expect(s.labels).toMatchObject({ device: 'cdu-hall-1', site: 'dc-east' });
  });
});

// ---- Auth, TLS, errors

describe('Redfish collector: auth, TLS and failures', () => {
  const folder = path.join(REDFISH_FIXTURES, 'public-rackmount1');
  const expectedCount = expectedReadings(folder).length;
  const auth = { username: 'plenum', password: 'correct horse' };
  const servers: MockupServer[] = [];
  const tmp = tempFolder('redfish-ca');
  let ca: ReturnType<typeof makeTestCa>;
  beforeAll(() => {
    ca = makeTestCa(tmp.dir);
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    tmp.cleanup();
  });
  const start = async (options: Omit<Parameters<typeof startMockupServer>[0], 'folder'> = {}) => {
    const s = await startMockupServer({ folder, ...options });
    servers.push(s);
    return s;
  };

  it('session auth: logs in once, reuses the token, logs in again after the service forgets it', async () => {
    const server = await start({ auth: { mode: 'session', ...auth } });
    const t = target(server.url, { credentials: auth });
    expect(await collect(t)).toHaveLength(expectedCount);
    expect(await collect(t)).toHaveLength(expectedCount);
    expect(server.logins).toBe(1);
    server.expireSessions();
    expect(await collect(t)).toHaveLength(expectedCount);
    expect(server.logins).toBe(2);
    await expectError(collect(target(server.url, { credentials: { ...auth, password: 'wrong' } })), /^Redfish auth refused \(HTTP 401\) at \/redfish\/v1\/SessionService\/Sessions$/);
    await expectError(collect(target(server.url)), /^Redfish auth refused \(HTTP 401\) at \/redfish\/v1\/\w+$/);
  });

  it('basic auth', async () => {
    const server = await start({ auth: { mode: 'basic', ...auth } });
    expect(await collect(target(server.url, { credentials: auth, options: { auth: 'basic' } }))).toHaveLength(expectedCount);
    expect(server.logins).toBe(0);
    await expectError(collect(target(server.url, { credentials: { ...auth, password: 'nope' }, options: { auth: 'basic' } })), /^Redfish auth refused \(HTTP 401\)/);
  });

  it('HTTPS: trusts the configured CA, refuses an unknown one, and skips checks only when told', async () => {
    const server = await start({ tls: { key: ca.key, cert: ca.cert } });
    expect(server.url.startsWith('https://')).toBe(true);
    expect(await collect(target(server.url, { options: { caPem: ca.caPem } }))).toHaveLength(expectedCount);
    await expectError(collect(target(server.url)), /^connection failed \(\w+\)$/);
    await expectError(collect(target(server.url, { options: { caPem: ca.otherCaPem } })), /^connection failed \(\w+\)$/);
    expect(await collect(target(server.url, { options: { insecureSkipVerify: true } }))).toHaveLength(expectedCount);
  });

  it('404, 500 and malformed JSON are errors in our words naming the path', async () => {
    const server = await start();
    server.faults.set('/redfish/v1/Chassis/1U/EnvironmentMetrics', { status: 404 });
    await expectError(collect(target(server.url)), /^Redfish resource missing at \/redfish\/v1\/Chassis\/1U\/EnvironmentMetrics \(HTTP 404\)$/);
    server.faults.set('/redfish/v1/Chassis/1U/EnvironmentMetrics', { status: 500 });
    await expectError(collect(target(server.url)), /^Redfish service error \(HTTP 500\) at \/redfish\/v1\/Chassis\/1U\/EnvironmentMetrics$/);
    server.faults.set('/redfish/v1/Chassis/1U/EnvironmentMetrics', { malformed: true });
    await expectError(collect(target(server.url)), /^Redfish response at \/redfish\/v1\/Chassis\/1U\/EnvironmentMetrics is not valid JSON$/);
    server.faults.set('/redfish/v1', { status: 403 });
    await expectError(collect(target(server.url)), /^Redfish auth refused \(HTTP 403\) at \/redfish\/v1$/);
  });

  it('a slow service times out on its own while another target is read meanwhile', async () => {
    const slow = await start();
    slow.faults.set('/redfish/v1/Chassis', { delayMs: 60_000 });
    const healthy = await start();
    const order: string[] = [];
    const slowRun = expectError(collect(target(slow.url, { timeoutMs: 1_000 })), /^timed out after 1000 ms$/).then(() => order.push('slow'));
    const healthyRun = collect(target(healthy.url)).then((samples) => {
      order.push('healthy');
      return samples;
    });
    const [, samples] = await Promise.all([slowRun, healthyRun]);
    expect(samples).toHaveLength(expectedCount);
    expect(order).toEqual(['healthy', 'slow']);
  });

  it('bounds hostile services: request budget, body size, and the target guard', async () => {
    const server = await start({ expand: false });
    await expectError(collect(target(server.url, { options: { maxRequests: 3 } })), /^Redfish service needs more than 3 requests \(option maxRequests\)$/);
    await expectError(collect(target(server.url, { options: { maxBodyBytes: 1024 } })), /^Redfish response at \/redfish\/v1 larger than 1024 bytes/);
    await expectError(collect(target(server.url), new TargetGuard('')), /^target refused: 127\.0\.0\.1 is a loopback address/);
    expect(() => redfishCollector.optionsSchema.parse({ caPem: 'not a pem' })).toThrow(/PEM/);
    expect(() => redfishCollector.optionsSchema.parse({ bogus: 1 })).toThrow();
  });
});

// ---- Through the real scraper and ingest, into PostgreSQL, on the demo data center's facility objects

describe('Redfish targets through the scraper into PostgreSQL', () => {
  let db: TestDatabase;
  const servers: MockupServer[] = [];
  const auth = { username: 'plenum', password: 'correct horse' };
  const previousAllow = process.env.PLENUM_TARGET_ALLOW;
  const tmp = tempFolder('redfish-cli');
  beforeAll(() => {
    process.env.PLENUM_TARGET_ALLOW = '127.0.0.1';
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    await db?.drop();
    tmp.cleanup();
    if (previousAllow === undefined) delete process.env.PLENUM_TARGET_ALLOW;
    else process.env.PLENUM_TARGET_ALLOW = previousAllow;
  });

  it('readings land on the facility object with catalogue units; bad services get their own error and stall nobody', async () => {
    db = await createDemoTelemetryDatabase();
    const cdu = (await db.pool.query<{ id: number; name: string }>(`SELECT id, name FROM cooling_units WHERE kind = 'cdu' ORDER BY id LIMIT 1`)).rows[0]!;
    const pdu = (await db.pool.query<{ id: number; name: string }>(`SELECT id, name FROM power_nodes WHERE kind = 'rack-pdu' ORDER BY id LIMIT 1`)).rows[0]!;
    const start = async (mockup: string, options: Omit<Parameters<typeof startMockupServer>[0], 'folder'> = {}) => {
      const s = await startMockupServer({ folder: path.join(REDFISH_FIXTURES, mockup), ...options });
      servers.push(s);
      return s;
    };
    const cooling = await start('public-cooling-unit', { auth: { mode: 'session', ...auth } });
    const power = await start('public-pdu', { auth: { mode: 'basic', ...auth }, expand: false });
    const slow = await start('public-rackmount1');
    slow.faults.set('/redfish/v1/Chassis', { delayMs: 60_000 });
    const broken = await start('public-rackmount1');
    broken.faults.set('/redfish/v1/Chassis/1U/EnvironmentMetrics', { status: 500 });
    const garbled = await start('public-rackmount1');
    garbled.faults.set('/redfish/v1/Chassis', { malformed: true });
    const missing = await start('public-rackmount1');
    missing.faults.set('/redfish/v1/Chassis/1U/PowerSubsystem', { status: 404 });

    // Added as users add them: through the CLI's flags (the CA and password read from files) and the API.
    const caller = createCaller(createContext(db));
    const cliClient = { telemetry: { targets: { add: { mutate: (input: Parameters<typeof caller.telemetry.targets.add>[0]) => caller.telemetry.targets.add(input) } } } };
    const cli = async (argv: string[]) =>
      (await targetsCommands['targets add']!.run(cliClient as never, parseArgs(argv))).json as { id: number; device: string | null; options: object };
    writeFileSync(path.join(tmp.dir, 'password'), `${auth.password}\n`);
    const add = async (url: string, input: Record<string, unknown> = {}) =>
      (await caller.telemetry.targets.add({ url, dialect: 'redfish', interval: '2s', timeout: '1500ms', ...input } as Parameters<typeof caller.telemetry.targets.add>[0]))!.id;
    const coolingTarget = await cli([cooling.url, '--dialect', 'redfish', '--device', cdu.name, '--interval', '2s', '--timeout', '1500ms', '--username', auth.username, '--password-file', path.join(tmp.dir, 'password')]);
    expect(coolingTarget.device).toBe(cdu.name);
    expect(JSON.stringify(coolingTarget)).not.toContain(auth.password);
    const ids = {
      cooling: coolingTarget.id,
      power: await add(power.url, { credentials: auth, options: { auth: 'basic' }, device: pdu.name }),
      slow: await add(slow.url),
      broken: await add(broken.url),
      garbled: await add(garbled.url),
      missing: await add(missing.url),
    };
    // Bad settings are refused by field, before anything is stored.
    expect(await fieldErrors(caller.telemetry.targets.add({ url: power.url, dialect: 'redfish', options: { caPem: 'nope', retries: 2 } }))).toEqual({
      'options.caPem': 'must be a PEM certificate',
      options: 'unknown setting retries',
    });
    expect(await fieldErrors(caller.telemetry.targets.add({ url: 'snmp://127.0.0.1:161', dialect: 'redfish' }))).toMatchObject({ url: expect.stringContaining('http') });
    expect(await fieldErrors(cli([power.url, '--dialect', 'redfish', '--auth', 'kerberos']))).toMatchObject({ 'options.auth': expect.any(String) });

    const ingest = new IngestPipeline(db.pool, { bufferMaxSamples: 100_000, rawRetentionDays: 7, notify: false });
    await ingest.loadInventory();
    const scraper = new Scraper(db.pool, ingest, 8, { maxBytes: 4 * 1024 * 1024, guard });
    scraper.start();
    type Row = { id: number; last_success_at: Date | null; last_error: string | null; last_sample_count: number | null };
    let rows: Row[] = [];
    // Until every target has been tried at least once and the slow one has timed out.
    for (let i = 0; i < 200; i++) {
      rows = (await db.pool.query<Row>(`SELECT id, last_success_at, last_error, last_sample_count FROM scrape_targets WHERE dialect = 'redfish' ORDER BY id`)).rows;
      if (rows.every((r) => r.last_success_at !== null || r.last_error !== null)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await scraper.stop();
    await ingest.flush();
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(ids.cooling)).toMatchObject({ last_error: null, last_sample_count: expectedReadings(path.join(REDFISH_FIXTURES, 'public-cooling-unit')).length });
    expect(byId.get(ids.power)).toMatchObject({ last_error: null, last_sample_count: expectedReadings(path.join(REDFISH_FIXTURES, 'public-pdu')).length });
    expect(byId.get(ids.slow)!.last_error).toBe('timed out after 1500 ms');
    expect(byId.get(ids.broken)!.last_error).toBe('Redfish service error (HTTP 500) at /redfish/v1/Chassis/1U/EnvironmentMetrics');
    expect(byId.get(ids.garbled)!.last_error).toBe('Redfish response at /redfish/v1/Chassis is not valid JSON');
    expect(byId.get(ids.missing)!.last_error).toBe('Redfish resource missing at /redfish/v1/Chassis/1U/PowerSubsystem (HTTP 404)');
    expect(cooling.logins).toBe(1);

    // Stored series: each expected reading of the mockup, on the facility object, with the catalogue unit.
    const stored = async (targetId: number) =>
      (
        await db.pool.query<{ metric: string; unit: string; labels: Record<string, string>; entity_kind: string; cooling_unit_id: number | null; power_node_id: number | null; value: number }>(
          `SELECT s.metric, s.unit, s.labels, s.entity_kind, s.cooling_unit_id, s.power_node_id,
                  (SELECT v.value FROM telemetry_samples v WHERE v.series_id = s.id ORDER BY v.ts DESC LIMIT 1) AS value
             FROM telemetry_series s WHERE s.target_id = $1`,
          [targetId],
        )
      ).rows;
    for (const [targetId, mockup, object] of [
      [ids.cooling, 'public-cooling-unit', { entity_kind: 'cooling-unit', cooling_unit_id: cdu.id, name: cdu.name }],
      [ids.power, 'public-pdu', { entity_kind: 'power-node', power_node_id: pdu.id, name: pdu.name }],
    ] as const) {
      const series = await stored(targetId);
      const expected = expectedReadings(path.join(REDFISH_FIXTURES, mockup)).map((e) => ({ ...e, labels: { ...e.labels, device: object.name } }));
      const got = new Map(series.map((s) => [key({ name: `plenum_${s.metric}`, labels: Object.fromEntries(Object.entries(s.labels).filter(([k]) => k !== 'site')) }), s]));
      expect(series.length).toBe(expected.length);
      for (const e of expected) {
        const s = got.get(key(e));
        expect(s, key(e)).toBeDefined();
        expect(s!.value).toBeCloseTo(e.value, 6);
        expect(s!.unit).toBe(UNITS[s!.metric]);
        expect(s!.entity_kind).toBe(object.entity_kind);
        if ('cooling_unit_id' in object) expect(s!.cooling_unit_id).toBe(object.cooling_unit_id);
        if ('power_node_id' in object) expect(s!.power_node_id).toBe(object.power_node_id);
      }
    }
    for (const r of rows) expect(r.last_error ?? '').not.toMatch(/DEVICE SAYS|script/);
  });
});
