import snmp from 'net-snmp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawValueOf, samplesFromVarbinds, snmpProfiles, type VarbindValue } from '../../src/telemetry/snmp/profile';
import { exampleInventory } from '../example-inventory';
import { World } from '../world';
import { SIM_SNMP_COMMUNITY, SimSnmpAgents } from './snmp-agent';

/** Reads every OID a profile names from an agent, as plain GETs and column walks over net-snmp's client. */
async function readProfile(port: number, profileName: string): Promise<Map<string, VarbindValue>> {
  const profile = snmpProfiles().get(profileName)!;
  const session = snmp.createSession('127.0.0.1', SIM_SNMP_COMMUNITY, { port, version: snmp.Version2c, timeout: 2000, retries: 0 });
  const out = new Map<string, VarbindValue>();
  const put = (vb: snmp.Varbind) => {
    if (snmp.isVarbindError(vb)) return;
    out.set(vb.oid, Buffer.isBuffer(vb.value) ? vb.value.toString('utf8') : Number(vb.value));
  };
  try {
    if (profile.scalars.length > 0) {
      await new Promise<void>((resolve, reject) =>
        session.get(
          profile.scalars.map((s) => s.oid),
          (error, vbs) => {
            if (error) return reject(error);
            for (const vb of vbs ?? []) put(vb);
            resolve();
          },
        ),
      );
    }
    const columns = new Set(profile.tables.flatMap((t) => [...t.columns.map((c) => c.oid), ...t.label_columns.map((l) => l.oid)]));
    for (const column of columns) {
      await new Promise<void>((resolve, reject) =>
        session.subtree(
          column,
          20,
          (vbs: snmp.Varbind[]) => {
            for (const vb of vbs) put(vb);
          },
          (error) => (error ? reject(error) : resolve()),
        ),
      );
    }
  } finally {
    session.close();
  }
  return out;
}

describe('the simulator SNMP agents', () => {
  const world = new World(exampleInventory(), { seed: 3 });
  world.step(30);
  const agents = new SimSnmpAgents(() => world, { host: '127.0.0.1', basePort: 0 });
  beforeAll(() => agents.sync());
  afterAll(() => agents.stop());

  it('serve one agent per UPS and rack PDU, each on its own port, with the profile the collector reads', () => {
    const devices = agents.devices();
    expect(devices.filter((d) => d.kind === 'ups').map((d) => d.name)).toEqual(['ups-a', 'ups-b']);
    expect(devices.filter((d) => d.kind === 'rack-pdu')).toHaveLength(4);
    expect(new Set(devices.map((d) => d.port)).size).toBe(devices.length);
    expect(devices.find((d) => d.name === 'r1-pdu-a')?.profile).toBe('apc-rpdu2');
  });

  it('a UPS reads back through ups-mib as the model says, on utility and on battery', async () => {
    const port = agents.devices().find((d) => d.name === 'ups-a')!.port;
    const labels = { device: 'ups-a', site: 'site-1' };
    const read = async () => samplesFromVarbinds(snmpProfiles().get('ups-mib')!, await readProfile(port, 'ups-mib'), { timestampMs: 0, labels });
    const value = (samples: Awaited<ReturnType<typeof read>>, name: string) => samples.find((s) => s.name === name)?.value;
    const ups = () => world.siteView('site-1')!.upses.find((u) => u.id === 'ups-a')!.state;

    const normal = await read();
    expect(value(normal, 'plenum_ups_on_battery')).toBe(0);
    expect(value(normal, 'plenum_ups_load_w')).toBe(Math.round(ups().outputPowerW));
    expect(value(normal, 'plenum_ups_battery_charge_pct')).toBe(Math.round(ups().estimatedChargeRemainingPct));
    expect(value(normal, 'plenum_ups_runtime_s')).toBe(Math.round(ups().estimatedMinutesRemaining) * 60);
    expect(value(normal, 'plenum_ups_seconds_on_battery')).toBe(0);

    const fault = world.inject('ups-on-battery', 'ups-a');
    world.step(90);
    const battery = await read();
    expect(value(battery, 'plenum_ups_on_battery')).toBe(1);
    expect(value(battery, 'plenum_ups_seconds_on_battery')).toBe(90);
    expect(value(battery, 'plenum_ups_battery_charge_pct')).toBeLessThan(100);
    expect(value(battery, 'plenum_ups_battery_status')).toBe(ups().batteryStatus);
    // The other UPS stays on utility: the fault is one UPS's input, not the site's.
    expect(world.siteView('site-1')!.upses.find((u) => u.id === 'ups-b')!.state.outputSource).toBe(3);
    world.clear(fault);
    world.step(1);
    expect(value(await read(), 'plenum_ups_on_battery')).toBe(0);
  });

  it('a rack PDU reads back through apc-rpdu2: total, phases and 24 outlets that add up', async () => {
    const port = agents.devices().find((d) => d.name === 'r1-pdu-a')!.port;
    const samples = samplesFromVarbinds(snmpProfiles().get('apc-rpdu2')!, await readProfile(port, 'apc-rpdu2'), { timestampMs: 0, labels: { device: 'r1-pdu-a' } });
    const pdu = world.siteView('site-1')!.pdus.find((p) => p.id === 'r1-pdu-a')!;
    const total = samples.find((s) => s.name === 'plenum_pdu_power_w')!.value;
    // rPDU2DeviceStatusPower is in hundredths of kW: 10 W steps.
    expect(Math.abs(total - pdu.loadW)).toBeLessThanOrEqual(5);
    const outlets = samples.filter((s) => s.name === 'plenum_pdu_outlet_power_w');
    expect(outlets).toHaveLength(24);
    expect(outlets[0]!.labels).toMatchObject({ outlet: '1', outlet_name: 'r1-node1' });
    expect(outlets[23]!.labels).toMatchObject({ outlet: '24', outlet_name: 'Outlet 24' });
    expect(outlets.reduce((a, s) => a + s.value, 0)).toBeCloseTo(pdu.loadW, -1);
    const phases = samples.filter((s) => s.name === 'plenum_pdu_phase_voltage_v');
    expect(phases.map((s) => s.labels.phase)).toEqual(['L1', 'L2', 'L3']);
    expect(phases[0]!.value).toBe(230);
    expect(samples.find((s) => s.name === 'plenum_pdu_phase_current_a' && s.labels.phase === 'L1')!.value).toBeGreaterThan(0);
  });
});

describe('rawValueOf (reading → raw value, the inverse of the profile)', () => {
  const onBattery = { scale: 1, enum: { '5': 1 }, enum_default: 0 };
  it('divides by the scale and rounds', () => {
    expect(rawValueOf({ scale: 10 }, 8123)).toBe(812);
    expect(rawValueOf({ scale: 0.1 }, 12.34)).toBe(123);
    expect(rawValueOf({ scale: 60 }, 600)).toBe(10);
  });
  it('finds the enum code, preferring the raw code the caller knows', () => {
    expect(rawValueOf(onBattery, 1)).toBe(5);
    expect(rawValueOf(onBattery, 0, 3)).toBe(3);
    expect(rawValueOf(onBattery, 0, 2)).toBe(2);
    expect(rawValueOf(onBattery, 1, 3)).toBe(5);
    expect(rawValueOf(onBattery, 0)).toBeUndefined();
  });
});
