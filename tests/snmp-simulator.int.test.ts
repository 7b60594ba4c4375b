/**
 * The simulator's SNMP agents checked by independent clients: Debian's net-snmp tools (`snmpget`, `snmpwalk`) and
 * Prometheus `snmp_exporter` (with a hand-written module naming the UPS-MIB and rPDU2 objects, not generated from
 * Plenum's profiles) read the simulated UPS and rack PDU, and what they read must be what Plenum's `snmp` collector
 * reads: the same raw values, and through the profile the same readings.
 *
 * The World is stepped by the test only, so every client reads the same frozen state. One UPS is on battery, so the
 * UPS-MIB on-battery semantics (upsOutputSource battery(5), upsSecondsOnBattery) are what the clients see.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snmpCollector } from '@/server/services/telemetry/collectors/snmp';
import type { RawSample } from '@/telemetry';
import { samplesFromVarbinds, snmpProfiles, type VarbindValue } from '@/telemetry/snmp/profile';
import { exampleInventory } from '../simulator/example-inventory';
import { SIM_SNMP_COMMUNITY, SimSnmpAgents } from '../simulator/protocols/snmp-agent';
import { World } from '../simulator/world';
import { type Daemon, freePort, requirePackageBinary, startDaemon, tempFolder } from './daemon';

const snmpwalk = requirePackageBinary('snmp');
const snmpget = path.join(path.dirname(snmpwalk), 'snmpget');
const exporterBinary = requirePackageBinary('prometheus-snmp-exporter');

/** snmp_exporter 0.21 module format; object names from UPS-MIB (RFC 1628) and APC PowerNet-MIB rPDU2. */
const EXPORTER_CONFIG = `
plenum_ups_mib:
  version: 2
  auth: { community: ${SIM_SNMP_COMMUNITY} }
  walk: [1.3.6.1.2.1.33.1.2, 1.3.6.1.2.1.33.1.4]
  metrics:
  - { name: upsBatteryStatus, oid: 1.3.6.1.2.1.33.1.2.1, type: gauge }
  - { name: upsSecondsOnBattery, oid: 1.3.6.1.2.1.33.1.2.2, type: gauge }
  - { name: upsEstimatedMinutesRemaining, oid: 1.3.6.1.2.1.33.1.2.3, type: gauge }
  - { name: upsEstimatedChargeRemaining, oid: 1.3.6.1.2.1.33.1.2.4, type: gauge }
  - { name: upsOutputSource, oid: 1.3.6.1.2.1.33.1.4.1, type: gauge }
  - name: upsOutputPower
    oid: 1.3.6.1.2.1.33.1.4.4.1.4
    type: gauge
    indexes: [{ labelname: upsOutputLineIndex, type: gauge }]
plenum_apc_rpdu2:
  version: 2
  auth: { community: ${SIM_SNMP_COMMUNITY} }
  walk: [1.3.6.1.4.1.318.1.1.26.4.3, 1.3.6.1.4.1.318.1.1.26.6.3, 1.3.6.1.4.1.318.1.1.26.9.4.3]
  metrics:
  - name: rPDU2DeviceStatusPower
    oid: 1.3.6.1.4.1.318.1.1.26.4.3.1.5
    type: gauge
    indexes: [{ labelname: rPDU2DeviceStatusIndex, type: gauge }]
  - name: rPDU2DeviceStatusEnergy
    oid: 1.3.6.1.4.1.318.1.1.26.4.3.1.9
    type: gauge
    indexes: [{ labelname: rPDU2DeviceStatusIndex, type: gauge }]
  - name: rPDU2PhaseStatusCurrent
    oid: 1.3.6.1.4.1.318.1.1.26.6.3.1.5
    type: gauge
    indexes: [{ labelname: rPDU2PhaseStatusIndex, type: gauge }]
  - name: rPDU2PhaseStatusVoltage
    oid: 1.3.6.1.4.1.318.1.1.26.6.3.1.6
    type: gauge
    indexes: [{ labelname: rPDU2PhaseStatusIndex, type: gauge }]
  - name: rPDU2OutletMeteredStatusCurrent
    oid: 1.3.6.1.4.1.318.1.1.26.9.4.3.1.6
    type: gauge
    indexes: [{ labelname: rPDU2OutletMeteredStatusIndex, type: gauge }]
  - name: rPDU2OutletMeteredStatusPower
    oid: 1.3.6.1.4.1.318.1.1.26.9.4.3.1.7
    type: gauge
    indexes: [{ labelname: rPDU2OutletMeteredStatusIndex, type: gauge }]
`;

const world = new World(exampleInventory(), { seed: 11 });
const agents = new SimSnmpAgents(() => world, { host: '127.0.0.1', basePort: 0 });
const folder = tempFolder('snmp-exporter');
let exporter: Daemon | undefined;
let exporterPort = 0;

beforeAll(async () => {
  world.step(120);
  world.inject('ups-on-battery', 'ups-a');
  world.step(45);
  await agents.sync();
  writeFileSync(path.join(folder.dir, 'snmp.yml'), EXPORTER_CONFIG);
  exporterPort = await freePort();
  exporter = await startDaemon('snmp_exporter', exporterBinary, [`--config.file=${path.join(folder.dir, 'snmp.yml')}`, `--web.listen-address=127.0.0.1:${exporterPort}`], {
    ready: async () => (await fetch(`http://127.0.0.1:${exporterPort}/`)).ok,
  });
});

afterAll(async () => {
  await exporter?.stop();
  await agents.stop();
  folder.cleanup();
});

const portOf = (name: string) => {
  const device = agents.devices().find((d) => d.name === name);
  if (!device) throw new Error(`no simulated device ${name}`);
  return device.port;
};

/** `oid = value` lines of net-snmp's tools (numeric OIDs, enums as numbers, no type names) → a varbind map. */
function parseNetSnmp(text: string): Map<string, VarbindValue> {
  const out = new Map<string, VarbindValue>();
  for (const line of text.split('\n')) {
    const m = /^\.?([\d.]+) = (.*)$/.exec(line.trim());
    if (!m) continue;
    const raw = m[2]!;
    if (/^No Such|^No more variables/.test(raw)) continue;
    out.set(m[1]!, raw.startsWith('"') ? raw.slice(1, -1) : Number(raw));
  }
  return out;
}

/** Runs a net-snmp tool (asynchronously: the agents answer from this process). */
async function netSnmp(tool: string, port: number, oids: string[]): Promise<Map<string, VarbindValue>> {
  const { stdout } = await promisify(execFile)(tool, ['-v2c', '-c', SIM_SNMP_COMMUNITY, '-On', '-Oe', '-OQ', '-Ot', '-t', '2', '-r', '1', `127.0.0.1:${port}`, ...oids], {
    encoding: 'utf8',
  });
  return parseNetSnmp(stdout);
}

/** What Debian's tools read for a profile: snmpget for its scalars, snmpwalk for each table column. */
async function netSnmpRead(port: number, profileName: string): Promise<Map<string, VarbindValue>> {
  const profile = snmpProfiles().get(profileName)!;
  const out = new Map<string, VarbindValue>();
  if (profile.scalars.length > 0) for (const [k, v] of await netSnmp(snmpget, port, profile.scalars.map((s) => s.oid))) out.set(k, v);
  const columns = new Set(profile.tables.flatMap((t) => [...t.columns.map((c) => c.oid), ...t.label_columns.map((l) => l.oid)]));
  for (const column of columns) for (const [k, v] of await netSnmp(snmpwalk, port, [column])) out.set(k, v);
  return out;
}

async function collectorRead(name: string, profile: string): Promise<RawSample[]> {
  return snmpCollector.collect(
    {
      id: 1,
      url: `snmp://127.0.0.1:${portOf(name)}`,
      dialect: 'snmp',
      timeoutMs: 5_000,
      options: { profile },
      credentials: { community: SIM_SNMP_COMMUNITY },
      facility: { name, siteSlug: 'site-1' },
    },
    { signal: AbortSignal.timeout(10_000), guard: null, nowMs: 0 },
  );
}

const comparable = (samples: RawSample[]) =>
  samples.map((s) => `${s.name}{${Object.entries(s.labels).sort().map(([k, v]) => `${k}=${v}`).join(',')}} ${s.value}`).sort();

/** snmp_exporter's answer for one device: `name{labels}` → value. */
async function exporterRead(module: string, name: string): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${exporterPort}/snmp?module=${module}&target=127.0.0.1:${portOf(name)}`);
  const text = await res.text();
  expect(res.status, text).toBe(200);
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^((?:ups|rPDU2)\w+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

const reading = (samples: RawSample[], name: string, labels: Record<string, string> = {}) =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

describe.each([
  { device: 'ups-a', profile: 'ups-mib' },
  { device: 'ups-b', profile: 'ups-mib' },
  { device: 'r1-pdu-a', profile: 'apc-rpdu2' },
])('$device ($profile)', ({ device, profile }) => {
  it('snmpget / snmpwalk read what the collector reads', async () => {
    const collected = await collectorRead(device, profile);
    expect(collected.length).toBeGreaterThan(2);
    const viaNetSnmp = samplesFromVarbinds(snmpProfiles().get(profile)!, await netSnmpRead(portOf(device), profile), {
      timestampMs: collected[0]!.timestampMs ?? 0,
      labels: { device, site: 'site-1' },
    });
    expect(comparable(viaNetSnmp)).toEqual(comparable(collected));
  });
});

describe('snmp_exporter reads the values the collector reads', () => {
  it('UPS-MIB: the UPS on battery reads battery(5), its seconds on battery, charge, runtime and load', async () => {
    const collected = await collectorRead('ups-a', 'ups-mib');
    const exported = await exporterRead('plenum_ups_mib', 'ups-a');
    const ups = world.siteView('site-1')!.upses.find((u) => u.id === 'ups-a')!.state;
    expect(exported.get('upsOutputSource')).toBe(5);
    expect(reading(collected, 'plenum_ups_on_battery')).toBe(1);
    expect(exported.get('upsSecondsOnBattery')).toBe(45);
    expect(reading(collected, 'plenum_ups_seconds_on_battery')).toBe(45);
    expect(exported.get('upsBatteryStatus')).toBe(ups.batteryStatus);
    expect(reading(collected, 'plenum_ups_battery_status')).toBe(ups.batteryStatus);
    expect(exported.get('upsEstimatedChargeRemaining')).toBe(reading(collected, 'plenum_ups_battery_charge_pct'));
    expect(exported.get('upsEstimatedChargeRemaining')).toBeLessThan(100);
    expect(exported.get('upsEstimatedMinutesRemaining')! * 60).toBe(reading(collected, 'plenum_ups_runtime_s'));
    expect(exported.get('upsOutputPower{upsOutputLineIndex="1"}')).toBe(reading(collected, 'plenum_ups_load_w'));
    expect(reading(collected, 'plenum_ups_load_w')).toBe(Math.round(ups.outputPowerW));
  });

  it('UPS-MIB: the UPS on utility reads normal(3)', async () => {
    const exported = await exporterRead('plenum_ups_mib', 'ups-b');
    expect(exported.get('upsOutputSource')).toBe(3);
    expect(exported.get('upsSecondsOnBattery')).toBe(0);
    expect(reading(await collectorRead('ups-b', 'ups-mib'), 'plenum_ups_on_battery')).toBe(0);
  });

  it('rPDU2: device power and energy, phase current and voltage, and all 24 outlets', async () => {
    const collected = await collectorRead('r1-pdu-a', 'apc-rpdu2');
    const exported = await exporterRead('plenum_apc_rpdu2', 'r1-pdu-a');
    // rPDU2DeviceStatusPower is in hundredths of kW, energy in tenths of kWh, currents in tenths of amps.
    expect(exported.get('rPDU2DeviceStatusPower{rPDU2DeviceStatusIndex="1"}')! * 10).toBe(reading(collected, 'plenum_pdu_power_w'));
    expect(exported.get('rPDU2DeviceStatusEnergy{rPDU2DeviceStatusIndex="1"}')! / 10).toBeCloseTo(reading(collected, 'plenum_pdu_energy_kwh')!, 9);
    for (const phase of [1, 2, 3]) {
      const index = `{rPDU2PhaseStatusIndex="${phase}"}`;
      expect(exported.get(`rPDU2PhaseStatusCurrent${index}`)! / 10).toBeCloseTo(reading(collected, 'plenum_pdu_phase_current_a', { phase: `L${phase}` })!, 9);
      expect(exported.get(`rPDU2PhaseStatusVoltage${index}`)).toBe(reading(collected, 'plenum_pdu_phase_voltage_v', { phase: `L${phase}` }));
    }
    const outlets = [...exported.keys()].filter((k) => k.startsWith('rPDU2OutletMeteredStatusPower{'));
    expect(outlets).toHaveLength(24);
    for (let outlet = 1; outlet <= 24; outlet++) {
      const index = `{rPDU2OutletMeteredStatusIndex="${outlet}"}`;
      expect(exported.get(`rPDU2OutletMeteredStatusPower${index}`)).toBe(reading(collected, 'plenum_pdu_outlet_power_w', { outlet: String(outlet) }));
      expect(exported.get(`rPDU2OutletMeteredStatusCurrent${index}`)! / 10).toBeCloseTo(reading(collected, 'plenum_pdu_outlet_current_a', { outlet: String(outlet) })!, 9);
    }
    // The servers of the rack draw through their outlets; the empty ones read 0 W.
    expect(exported.get('rPDU2OutletMeteredStatusPower{rPDU2OutletMeteredStatusIndex="1"}')).toBeGreaterThan(100);
    expect(exported.get('rPDU2OutletMeteredStatusPower{rPDU2OutletMeteredStatusIndex="24"}')).toBe(0);
  });
});
