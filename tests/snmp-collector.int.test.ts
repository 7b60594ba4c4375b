/**
 * The SNMP collector against Debian's real `snmpd` (net-snmp), started on a high loopback port with a throwaway
 * configuration: a v2c community, an SNMPv3 authPriv user (SHA/AES), and a `pass_persist` helper serving UPS-MIB
 * and APC PowerNet rPDU2 values from a JSON file the test rewrites. Readings go through the real scraper and ingest
 * into PostgreSQL and must follow the file. Bad targets (wrong community, wrong v3 key, noSuchObject, no agent) get a
 * clear per-target error while the good ones keep being read.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import snmp from 'net-snmp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main';
import { handleTrpcRequest } from '../src/server/api/http';
import { createCaller } from '../src/server/api/root';
import { createToken, createUser } from '../src/server/auth/accounts';
import { createContext } from '../src/server/api/trpc';
import { parseExposition } from '../src/telemetry';
import { IngestPipeline } from '../src/server/services/telemetry/ingest';
import { queryTelemetry } from '../src/server/services/telemetry/query';
import { Scraper } from '../src/server/services/telemetry/scraper';
import { TargetGuard } from '../src/server/services/telemetry/target-guard';
import { createDemoTelemetryDatabase, type TestDatabase } from './db';
import { type Daemon, freePort, requirePackageBinary, startDaemon, tempFolder } from './daemon';
import { fieldErrors } from './field-errors';

const UPS = '1.3.6.1.2.1.33';
const APC = '1.3.6.1.4.1.318';
const COMMUNITY = 'plenum-ro';
const V3 = { user: 'plenumv3', authProtocol: 'sha', authKey: 'plenum-auth-key', privProtocol: 'aes', privKey: 'plenum-priv-key' } as const;

/** What the agent serves: [type, value] by OID, as pass_persist writes them. */
const values: Record<string, [string, number | string]> = {
  [`${UPS}.1.4.1.0`]: ['integer', 3], // upsOutputSource: normal
  [`${UPS}.1.2.3.0`]: ['integer', 25], // upsEstimatedMinutesRemaining
  [`${UPS}.1.2.4.0`]: ['integer', 100], // upsEstimatedChargeRemaining
  [`${UPS}.1.4.4.1.4.1`]: ['integer', 3000], // upsOutputPower, line 1..3
  [`${UPS}.1.4.4.1.4.2`]: ['integer', 3100],
  [`${UPS}.1.4.4.1.4.3`]: ['integer', 2900],
  [`${APC}.1.1.26.4.3.1.5.1`]: ['integer', 412], // rPDU2DeviceStatusPower: hundredths of kW
  [`${APC}.1.1.26.4.3.1.9.1`]: ['integer', 48213], // rPDU2DeviceStatusEnergy: tenths of kWh
  [`${APC}.1.1.26.6.3.1.2.1`]: ['integer', 1], // rPDU2PhaseStatusModule
  [`${APC}.1.1.26.6.3.1.3.1`]: ['integer', 1], // rPDU2PhaseStatusNumber
  [`${APC}.1.1.26.6.3.1.5.1`]: ['integer', 183], // rPDU2PhaseStatusCurrent: tenths of A
  [`${APC}.1.1.26.6.3.1.6.1`]: ['integer', 230], // rPDU2PhaseStatusVoltage
  [`${APC}.1.1.26.9.4.3.1.3.1`]: ['string', 'gpu node 1'], // rPDU2OutletMeteredStatusName
  [`${APC}.1.1.26.9.4.3.1.2.1`]: ['integer', 1], // …Module
  [`${APC}.1.1.26.9.4.3.1.4.1`]: ['integer', 1], // …Number
  [`${APC}.1.1.26.9.4.3.1.6.1`]: ['integer', 52], // …Current (tenths of A)
  [`${APC}.1.1.26.9.4.3.1.7.1`]: ['integer', 1190], // …Power (W)
  [`${APC}.1.1.26.9.4.3.1.3.2`]: ['string', 'gpu node 2'],
  [`${APC}.1.1.26.9.4.3.1.2.2`]: ['integer', 1],
  [`${APC}.1.1.26.9.4.3.1.4.2`]: ['integer', 2],
  [`${APC}.1.1.26.9.4.3.1.6.2`]: ['integer', 48],
  [`${APC}.1.1.26.9.4.3.1.7.2`]: ['integer', 1105],
  // PowerNet-MIB UPS objects, for the snmp_exporter path (its apcups module)
  [`${APC}.1.1.1.2.2.1.0`]: ['gauge', 97], // upsAdvBatteryCapacity, percent
  [`${APC}.1.1.1.2.2.3.0`]: ['timeticks', 180000], // upsAdvBatteryRunTimeRemaining, hundredths of a second
  [`${APC}.1.1.1.4.1.1.0`]: ['integer', 2], // upsBasicOutputStatus: onLine(2)
};

/**
 * The UPS / PDU part of snmp_exporter's apcups module, in the form its generator writes snmp.yml (Debian ships no
 * generated snmp.yml, for licensing reasons): one metric per MIB object, named after it, indexed by the table index.
 */
const SNMP_EXPORTER_CONFIG = (community: string) => `apcups:
  version: 2
  auth:
    community: ${community}
  walk:
  - 1.3.6.1.4.1.318.1.1.1.2.2
  - 1.3.6.1.4.1.318.1.1.1.4.1
  - 1.3.6.1.4.1.318.1.1.26.4.3
  - 1.3.6.1.4.1.318.1.1.26.6.3
  metrics:
  - name: upsAdvBatteryCapacity
    oid: 1.3.6.1.4.1.318.1.1.1.2.2.1
    type: gauge
    help: The remaining battery capacity expressed in percent of full capacity. - 1.3.6.1.4.1.318.1.1.1.2.2.1
  - name: upsAdvBatteryRunTimeRemaining
    oid: 1.3.6.1.4.1.318.1.1.1.2.2.3
    type: gauge
    help: The UPS battery run time remaining before battery exhaustion. - 1.3.6.1.4.1.318.1.1.1.2.2.3
  - name: upsBasicOutputStatus
    oid: 1.3.6.1.4.1.318.1.1.1.4.1.1
    type: gauge
    help: The current state of the UPS. - 1.3.6.1.4.1.318.1.1.1.4.1.1
  - name: rPDU2DeviceStatusPower
    oid: 1.3.6.1.4.1.318.1.1.26.4.3.1.5
    type: gauge
    help: The power consumption of the Rack PDU load in hundredths of kilowatts - 1.3.6.1.4.1.318.1.1.26.4.3.1.5
    indexes:
    - labelname: rPDU2DeviceStatusIndex
      type: gauge
  - name: rPDU2PhaseStatusCurrent
    oid: 1.3.6.1.4.1.318.1.1.26.6.3.1.5
    type: gauge
    help: Indicates the current draw of the Rack PDU phase being queried - 1.3.6.1.4.1.318.1.1.26.6.3.1.5
    indexes:
    - labelname: rPDU2PhaseStatusIndex
      type: gauge
`;

let db: TestDatabase;
let agent: Daemon;
let folder: ReturnType<typeof tempFolder>;
let valuesFile = '';
let port = 0;
let ingest: IngestPipeline;
let scraper: Scraper;
let upsName = '';
let otherUpsName = '';
let pduName = '';
const ids: Record<string, number> = {};
const previousAllow = process.env.PLENUM_TARGET_ALLOW;
const previousProfiles = process.env.PLENUM_SNMP_PROFILES;

const writeValues = () => writeFileSync(valuesFile, JSON.stringify(values));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}\nsnmpd output:\n${agent?.output()}`);
    await sleep(200);
  }
}

/** The latest reading of `metric` from a target, per series: labels, the object it landed on, the value. */
async function latest(targetId: number, metric: string) {
  const r = await queryTelemetry(db.pool, { metric, target: String(targetId), sinceMs: 600_000 });
  return r.series.map((s) => ({ labels: s.labels, entityKind: s.entityKind, entity: s.entity, value: s.points.at(-1)?.v }));
}

const until = (targetId: number, metric: string, want: (v: number) => boolean) =>
  waitFor(`${metric} of target ${targetId}`, async () => {
    const rows = await latest(targetId, metric);
    return rows.length > 0 && rows.every((r) => r.value !== undefined && want(r.value)) ? rows : undefined;
  });

const health = async (id: number) =>
  (await db.pool.query<{ last_error: string | null; last_success_at: Date | null; consecutive_failures: number }>(
    'SELECT last_error, last_success_at, consecutive_failures FROM scrape_targets WHERE id = $1',
    [id],
  )).rows[0]!;

function agentAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    const session = snmp.createSession('127.0.0.1', COMMUNITY, { port, timeout: 300, retries: 0, version: snmp.Version2c });
    session.on('error', () => {});
    session.get([`${UPS}.1.2.4.0`], (error) => {
      session.close();
      resolve(!error);
    });
  });
}

beforeAll(async () => {
  const snmpd = requirePackageBinary('snmpd');
  folder = tempFolder('snmpd');
  valuesFile = path.join(folder.dir, 'values.json');
  writeValues();
  // A site's own profile, next to the shipped ones: it asks for an object this agent does not have.
  writeFileSync(
    path.join(folder.dir, 'missing-object.yaml'),
    `name: missing-object\ndescription: asks for an OID the test agent lacks\nkind: ups\nscalars:\n  - { oid: ${UPS}.1.9.9.0, metric: ups_load_w }\n`,
  );
  // And a broken one: left out, and named when a target asks for a profile that is not there.
  writeFileSync(path.join(folder.dir, 'broken.yaml'), 'name: broken\ndescription: no readings\nkind: ups\n');
  process.env.PLENUM_SNMP_PROFILES = folder.dir;
  process.env.PLENUM_TARGET_ALLOW = '127.0.0.1';
  port = await freePort();
  const helper = path.resolve('tests/fixtures/snmp/pass-persist.mjs');
  const conf = path.join(folder.dir, 'snmpd.conf');
  writeFileSync(
    conf,
    [
      `rocommunity ${COMMUNITY} 127.0.0.1`,
      `createUser ${V3.user} SHA "${V3.authKey}" AES "${V3.privKey}"`,
      `rouser ${V3.user} priv`,
      `pass_persist .${UPS} ${process.execPath} ${helper} ${valuesFile} ${UPS}`,
      `pass_persist .${APC} ${process.execPath} ${helper} ${valuesFile} ${APC}`,
      '',
    ].join('\n'),
  );
  agent = await startDaemon('snmpd', snmpd, ['-f', '-Lo', '-C', '-c', conf, `udp:127.0.0.1:${port}`], {
    env: { ...process.env, SNMP_PERSISTENT_DIR: folder.dir, MIBS: '' },
    ready: agentAnswers,
  });

  db = await createDemoTelemetryDatabase();
  const nodes = await db.pool.query<{ name: string; kind: string }>(`SELECT name, kind::text FROM power_nodes WHERE kind IN ('ups', 'rack-pdu') ORDER BY kind, id`);
  const ups = nodes.rows.filter((n) => n.kind === 'ups');
  upsName = ups[0]!.name;
  otherUpsName = ups[1]?.name ?? ups[0]!.name;
  pduName = nodes.rows.find((n) => n.kind === 'rack-pdu')!.name;

  const caller = createCaller(createContext(db));
  const url = `snmp://127.0.0.1:${port}`;
  const add = async (name: string, input: Record<string, unknown>) => {
    const t = await caller.telemetry.targets.add({ url, dialect: 'snmp', interval: '1s', timeout: '1s', ...input } as Parameters<typeof caller.telemetry.targets.add>[0]);
    ids[name] = t!.id;
  };
  await add('ups', { options: { profile: 'ups-mib' }, credentials: { community: COMMUNITY }, device: upsName });
  // One row per GETBULK: every table walk continues across several requests.
  await add('pdu', { options: { profile: 'apc-rpdu2', maxRepetitions: 1 }, credentials: V3, device: pduName });
  await add('wrongCommunity', { options: { profile: 'ups-mib', retries: 0 }, credentials: { community: 'not-the-community' }, device: otherUpsName });
  await add('wrongKey', { options: { profile: 'apc-rpdu2', retries: 0 }, credentials: { ...V3, authKey: 'not-the-auth-key' } });
  await add('missing', { options: { profile: 'missing-object' }, credentials: { community: COMMUNITY }, device: upsName });
  await add('noAgent', { url: `snmp://127.0.0.1:${await freePort()}`, options: { profile: 'ups-mib', retries: 0 }, credentials: { community: COMMUNITY } });

  ingest = new IngestPipeline(db.pool, { bufferMaxSamples: 100_000, rawRetentionDays: 7, notify: false });
  await ingest.loadInventory();
  ingest.startFlushLoop(200);
  scraper = new Scraper(db.pool, ingest, 8, { maxBytes: 1024 * 1024, guard: new TargetGuard('127.0.0.1') });
  scraper.start();
}, 60_000);

afterAll(async () => {
  await scraper?.stop();
  await ingest?.stop();
  await agent?.stop();
  await db?.drop();
  folder?.cleanup();
  if (previousAllow === undefined) delete process.env.PLENUM_TARGET_ALLOW;
  else process.env.PLENUM_TARGET_ALLOW = previousAllow;
  if (previousProfiles === undefined) delete process.env.PLENUM_SNMP_PROFILES;
  else process.env.PLENUM_SNMP_PROFILES = previousProfiles;
});

describe('SNMP collector against snmpd', () => {
  it('v2c: UPS-MIB readings land on the UPS and follow the agent’s values', async () => {
    const load = await until(ids.ups!, 'ups_load_w', (v) => v === 9000);
    expect(load).toEqual([{ labels: expect.objectContaining({ device: upsName }), entityKind: 'power-node', entity: upsName, value: 9000 }]);
    expect((await until(ids.ups!, 'ups_on_battery', (v) => v === 0))[0]!.value).toBe(0);
    expect((await until(ids.ups!, 'ups_runtime_s', (v) => v === 1500))[0]!.value).toBe(1500);
    expect((await until(ids.ups!, 'ups_battery_charge_pct', (v) => v === 100))[0]!.value).toBe(100);

    // Mains fail: upsOutputSource goes to battery(5), runtime and charge fall, load moves.
    values[`${UPS}.1.4.1.0`] = ['integer', 5];
    values[`${UPS}.1.2.3.0`] = ['integer', 7];
    values[`${UPS}.1.2.4.0`] = ['integer', 64];
    values[`${UPS}.1.4.4.1.4.2`] = ['integer', 2500];
    writeValues();
    await until(ids.ups!, 'ups_on_battery', (v) => v === 1);
    await until(ids.ups!, 'ups_runtime_s', (v) => v === 420);
    await until(ids.ups!, 'ups_battery_charge_pct', (v) => v === 64);
    await until(ids.ups!, 'ups_load_w', (v) => v === 8400);
    const h = await health(ids.ups!);
    expect(h.last_success_at).not.toBeNull();
  });

  it('v3 authPriv (SHA/AES): rPDU2 device, phase and outlet tables walked with GETBULK, scaled into catalogue units', async () => {
    expect((await until(ids.pdu!, 'pdu_power_w', (v) => v === 4120))[0]).toMatchObject({ entityKind: 'power-node', entity: pduName });
    await until(ids.pdu!, 'pdu_energy_kwh', (v) => v === 4821.3);
    expect((await until(ids.pdu!, 'pdu_phase_current_a', (v) => v === 18.3))[0]!.labels.phase).toBe('L1');
    await until(ids.pdu!, 'pdu_phase_voltage_v', (v) => v === 230);
    const outlets = await until(ids.pdu!, 'pdu_outlet_power_w', (v) => v === 1190 || v === 1105);
    expect(outlets.map((o) => [o.labels.outlet, o.labels.outlet_name, o.value]).sort()).toEqual([
      ['1', 'gpu node 1', 1190],
      ['2', 'gpu node 2', 1105],
    ]);
    const current = await until(ids.pdu!, 'pdu_outlet_current_a', (v) => v === 5.2 || v === 4.8);
    expect(current).toHaveLength(2);

    values[`${APC}.1.1.26.9.4.3.1.7.2`] = ['integer', 640];
    values[`${APC}.1.1.26.4.3.1.5.1`] = ['integer', 183];
    writeValues();
    await until(ids.pdu!, 'pdu_power_w', (v) => v === 1830);
    const after = await waitFor('outlet 2 at 640 W', async () => {
      const rows = await latest(ids.pdu!, 'pdu_outlet_power_w');
      return rows.find((r) => r.labels.outlet === '2' && r.value === 640);
    });
    expect(after.labels.outlet_name).toBe('gpu node 2');
  });

  it('bad targets get a clear error of their own and never stall the others', async () => {
    const wrongCommunity = await waitFor('wrong community error', async () => (await health(ids.wrongCommunity!)).last_error ?? undefined);
    expect(wrongCommunity).toMatch(/^timed out after 1000 ms: no answer from the agent \(it is down, or it refused the community/);
    const wrongKey = await waitFor('wrong v3 key error', async () => (await health(ids.wrongKey!)).last_error ?? undefined);
    expect(wrongKey).toBe('SNMPv3 authorization refused: wrong authentication key');
    const missing = await waitFor('noSuchObject error', async () => (await health(ids.missing!)).last_error ?? undefined);
    expect(missing).toMatch(new RegExp(`^noSuch(Object|Instance) at ${UPS.replace(/\./g, '\\.')}\\.1\\.9\\.9\\.0 \\(profile missing-object`));
    const noAgent = await waitFor('no agent error', async () => (await health(ids.noAgent!)).last_error ?? undefined);
    expect(noAgent).toMatch(/^timed out after 1000 ms/);
    // The good targets are still read, on time, after the bad ones failed (several times each).
    await waitFor('bad targets failing repeatedly', async () => ((await health(ids.wrongCommunity!)).consecutive_failures >= 2 ? true : undefined));
    for (const good of [ids.ups!, ids.pdu!]) {
      const h = await waitFor(`target ${good} healthy`, async () => {
        const row = await health(good);
        return row.consecutive_failures === 0 && row.last_success_at && Date.now() - row.last_success_at.getTime() < 5_000 ? row : undefined;
      });
      expect(h.last_error).toBeNull();
    }
  });
});

describe('SNMP targets through the API', () => {
  it('options, credentials and the device are validated; errors name the field', async () => {
    const caller = createCaller(createContext(db));
    const url = `snmp://127.0.0.1:${port}`;
    expect(await fieldErrors(caller.telemetry.targets.add({ url, dialect: 'snmp', options: { profile: 'no-such-mib' }, device: upsName }))).toEqual({
      'options.profile': expect.stringMatching(/^is not a known profile \(known: .*ups-mib.*; not loaded: broken\.yaml: scalars: a profile needs at least one scalar or table\)$/),
    });
    expect(await fieldErrors(caller.telemetry.targets.add({ url, dialect: 'snmp', options: { profile: 'ups-mib', retries: 9, colour: 'red' } }))).toMatchObject({
      'options.retries': expect.any(String),
      options: 'unknown setting colour',
    });
    expect(await fieldErrors(caller.telemetry.targets.add({ url, dialect: 'snmp', options: { profile: 'ups-mib' }, credentials: { user: 'x' } }))).toEqual({
      'credentials.authKey': 'is required with an SNMPv3 user',
    });
    expect(await fieldErrors(caller.telemetry.targets.add({ url, dialect: 'snmp', options: { profile: 'ups-mib' }, device: 'no-such-ups' }))).toEqual({
      device: 'no UPS, PDU, rack PDU, meter or cooling unit is named "no-such-ups"',
    });
    expect(await fieldErrors(caller.telemetry.targets.add({ url: 'http://192.0.2.1/', dialect: 'snmp', options: { profile: 'ups-mib' } }))).toEqual({
      url: "a snmp target's URL starts with snmp://",
    });
    // The same agent, device and profile twice is a duplicate; another device behind the same agent is not.
    expect(await fieldErrors(caller.telemetry.targets.add({ url, dialect: 'snmp', options: { profile: 'ups-mib' }, device: upsName }))).toEqual({
      url: 'is already a target for this device and settings',
    });
  });

  it('credentials are stored but never returned, and never written to the audit trail', async () => {
    const caller = createCaller(createContext(db));
    const list = await caller.telemetry.targets.list();
    const pdu = list.find((t) => t.id === ids.pdu);
    expect(pdu).toMatchObject({ dialect: 'snmp', options: { profile: 'apc-rpdu2', maxRepetitions: 1 }, hasCredentials: true, device: pduName });
    expect(JSON.stringify(list)).not.toMatch(/plenum-ro|plenum-auth-key|plenum-priv-key|not-the-/);
    const audit = await db.pool.query<{ detail: unknown }>(`SELECT detail FROM audit_log WHERE action = 'telemetry.targets.add'`);
    expect(audit.rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(audit.rows)).not.toMatch(/plenum-ro|plenum-auth-key|plenum-priv-key|not-the-/);
    // Changing the secrets on update keeps the settings; the device can be changed by name.
    const updated = await caller.telemetry.targets.update({ id: ids.noAgent!, credentials: { community: 'other' }, device: otherUpsName });
    expect(updated).toMatchObject({ options: { profile: 'ups-mib', retries: 0 }, device: otherUpsName, hasCredentials: true });
    expect(await fieldErrors(caller.telemetry.targets.update({ id: ids.noAgent!, options: { profile: 'nope' } }))).toEqual({
      'options.profile': expect.stringMatching(/^is not a known profile/),
    });
  });
});

describe('snmp_exporter → remote-write path', () => {
  it('the real prometheus-snmp-exporter’s apcups series land on the UPS and the PDU as catalogue metrics', async () => {
    const binary = requirePackageBinary('prometheus-snmp-exporter');
    const config = path.join(folder.dir, 'snmp.yml');
    writeFileSync(config, SNMP_EXPORTER_CONFIG(COMMUNITY));
    const exporterPort = await freePort();
    const base = `http://127.0.0.1:${exporterPort}`;
    const exporter = await startDaemon('prometheus-snmp-exporter', binary, [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${exporterPort}`], {
      ready: async () => (await fetch(`${base}/`)).ok,
    });
    try {
      values[`${UPS}.1.4.1.0`] = ['integer', 3];
      values[`${APC}.1.1.1.4.1.1.0`] = ['integer', 3]; // upsBasicOutputStatus: onBattery(3)
      writeValues();
      const response = await fetch(`${base}/snmp?module=apcups&target=127.0.0.1:${port}`);
      const text = await response.text();
      expect(response.status, text).toBe(200);
      expect(text).toMatch(/^upsAdvBatteryRunTimeRemaining 180000$/m);
      expect(text).toMatch(/^rPDU2PhaseStatusCurrent\{rPDU2PhaseStatusIndex="1"\} 183$/m);
      // What Prometheus remote-writes after the usual relabelling: instance = the SNMP target (here the objects' names).
      const samples = parseExposition(text).samples.map((s) => ({
        name: s.name,
        labels: { ...s.labels, job: 'snmp', instance: s.name.startsWith('rPDU2') ? pduName : otherUpsName },
        value: s.value,
        timestampMs: Date.now(),
      }));
      expect(ingest.ingestRaw(samples, { targetId: null })).toBeGreaterThan(0);
      await ingest.flush();
      const reading = async (metric: string, object: string) =>
        (
          await db.pool.query<{ value: number; labels: Record<string, string> }>(
            `SELECT (SELECT value FROM telemetry_samples x WHERE x.series_id = s.id ORDER BY ts DESC LIMIT 1) AS value, s.labels
               FROM telemetry_series s JOIN power_nodes pn ON pn.id = s.power_node_id
              WHERE s.metric = $1 AND pn.name = $2 AND s.target_id IS NULL AND s.entity_kind = 'power-node'`,
            [metric, object],
          )
        ).rows;
      expect(await reading('ups_on_battery', otherUpsName)).toEqual([{ value: 1, labels: expect.objectContaining({ instance: otherUpsName }) }]);
      expect(await reading('ups_battery_charge_pct', otherUpsName)).toEqual([{ value: 97, labels: expect.any(Object) }]);
      expect(await reading('ups_runtime_s', otherUpsName)).toEqual([{ value: 1800, labels: expect.any(Object) }]);
      expect(await reading('pdu_power_w', pduName)).toEqual([{ value: 1830, labels: expect.any(Object) }]);
      expect(await reading('pdu_phase_current_a', pduName)).toEqual([{ value: 18.3, labels: expect.objectContaining({ phase: 'L1' }) }]);
    } finally {
      await exporter.stop();
    }
  });
});

describe('SNMP targets from the CLI', () => {
  it('targets add --dialect snmp with v3 flags and --device; targets list never shows the secrets', async () => {
    const server = createServer(async (req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
      const response = await handleTrpcRequest(
        new Request(`http://${req.headers.host}${req.url}`, { method: req.method, headers, ...(req.method === 'POST' ? { body: Buffer.concat(chunks) } : {}) }),
        db,
      );
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const admin = await createUser(db.db, { username: 'snmp-cli', role: 'admin', password: 'snmp cli password 1', allZones: true, zoneIds: [] });
    const { secret } = await createToken(db.db, { userId: admin.id, name: 'snmp-cli', role: 'admin', allZones: true, zoneIds: [], expiresAt: null, createdBy: null });
    const run = async (argv: string[]) => {
      let out = '';
      let err = '';
      const stream = (append: (t: string) => void) =>
        new Writable({
          write: (chunk, _e, done) => {
            append(String(chunk));
            done();
          },
        });
      const previous = process.env.PLENUM_TOKEN;
      process.env.PLENUM_TOKEN = secret;
      try {
        const code = await main([...argv, '--url', apiUrl], stream((t) => (out += t)), stream((t) => (err += t)));
        return { code, out, err };
      } finally {
        if (previous === undefined) delete process.env.PLENUM_TOKEN;
        else process.env.PLENUM_TOKEN = previous;
      }
    };
    try {
      const url = `snmp://127.0.0.1:${port}`;
      const added = await run([
        'targets', 'add', url, '--dialect', 'snmp', '--profile', 'entity-sensor', '--device', pduName,
        '--v3-user', V3.user, '--auth-protocol', 'sha', '--auth-key', V3.authKey, '--priv-protocol', 'aes', '--priv-key', V3.privKey,
      ]);
      expect(added, added.err).toMatchObject({ code: 0 });
      expect(added.out).toMatch(new RegExp(`^added target \\d+: ${url} \\(snmp, reads ${pduName}, every 10000 ms\\)`));
      const list = await run(['targets', 'list', '--json']);
      expect(list.code).toBe(0);
      expect(list.out).toContain('"profile": "entity-sensor"');
      expect(list.out).not.toMatch(/plenum-auth-key|plenum-priv-key|plenum-ro/);
      const missingProfile = await run(['targets', 'add', url, '--dialect', 'snmp', '--device', pduName]);
      expect(missingProfile.code).toBe(2);
      expect(missingProfile.err).toMatch(/--profile is required for an snmp target/);
      const unknownDevice = await run(['targets', 'add', url, '--dialect', 'snmp', '--profile', 'ups-mib', '--device', 'Nowhere UPS']);
      expect(unknownDevice.code).toBe(1);
      expect(unknownDevice.err).toMatch(/device: no UPS, PDU, rack PDU, meter or cooling unit is named "Nowhere UPS"/);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
