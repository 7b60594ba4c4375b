import { describe, expect, it } from 'vitest';
import { getMetricDef } from '../catalogue';
import { loadSnmpProfiles, loadSnmpProfilesWithProblems, parseSnmpProfile, profileRequests, samplesFromVarbinds, type VarbindValue } from './profile';

const ctx = { timestampMs: 1_000, labels: { device: 'ups-a', site: 'dc1' } };
const vb = (entries: Record<string, VarbindValue>) => new Map(Object.entries(entries));
const byName = (samples: ReturnType<typeof samplesFromVarbinds>) =>
  samples.map((s) => `${s.name}${JSON.stringify(s.labels)} ${s.value}`).sort();

describe('shipped SNMP profiles', () => {
  const profiles = loadSnmpProfiles(undefined);

  it('all five load and use catalogue metrics only', () => {
    expect([...profiles.keys()].sort()).toEqual(['apc-rpdu2', 'entity-sensor', 'raritan-pdu2', 'sentry4', 'ups-mib']);
    expect(loadSnmpProfilesWithProblems(undefined).problems).toEqual([]);
    for (const p of profiles.values()) {
      for (const s of p.scalars) expect(getMetricDef(s.metric), `${p.name} ${s.metric}`).toBeDefined();
      for (const t of p.tables) for (const c of t.columns) expect(getMetricDef(c.metric), `${p.name} ${c.metric}`).toBeDefined();
    }
  });

  it('ups-mib: on battery from upsOutputSource, minutes to seconds, load summed over output lines', () => {
    const ups = profiles.get('ups-mib')!;
    const answers = vb({
      '1.3.6.1.2.1.33.1.4.1.0': 5, // battery
      '1.3.6.1.2.1.33.1.2.3.0': 12, // minutes
      '1.3.6.1.2.1.33.1.2.4.0': 87,
      '1.3.6.1.2.1.33.1.4.4.1.4.1': 3000,
      '1.3.6.1.2.1.33.1.4.4.1.4.2': 3100,
      '1.3.6.1.2.1.33.1.4.4.1.4.3': 2900,
    });
    expect(byName(samplesFromVarbinds(ups, answers, ctx))).toEqual([
      'plenum_ups_battery_charge_pct{"device":"ups-a","site":"dc1"} 87',
      'plenum_ups_load_w{"device":"ups-a","site":"dc1"} 9000',
      'plenum_ups_on_battery{"device":"ups-a","site":"dc1"} 1',
      'plenum_ups_runtime_s{"device":"ups-a","site":"dc1"} 720',
    ]);
    const normal = samplesFromVarbinds(ups, vb({ '1.3.6.1.2.1.33.1.4.1.0': 3 }), ctx);
    expect(normal).toEqual([{ name: 'plenum_ups_on_battery', labels: ctx.labels, value: 0, timestampMs: 1_000 }]);
    expect(profileRequests(ups)).toEqual({
      get: [
        { oid: '1.3.6.1.2.1.33.1.4.1.0', optional: false },
        { oid: '1.3.6.1.2.1.33.1.2.3.0', optional: false },
        { oid: '1.3.6.1.2.1.33.1.2.4.0', optional: false },
        { oid: '1.3.6.1.2.1.33.1.2.2.0', optional: true },
        { oid: '1.3.6.1.2.1.33.1.2.1.0', optional: true },
      ],
      walk: ['1.3.6.1.2.1.33.1.4.4.1.4'],
      tables: [['1.3.6.1.2.1.33.1.4.4.1.4']],
    });
  });

  it('apc-rpdu2: hundredths of kW, tenths of amps, outlet labels from columns, -1 probes ignored', () => {
    const apc = profiles.get('apc-rpdu2')!;
    const answers = vb({
      '1.3.6.1.4.1.318.1.1.26.4.3.1.5.1': 123, // 1.23 kW
      '1.3.6.1.4.1.318.1.1.26.4.3.1.9.1': 48213, // 4821.3 kWh
      '1.3.6.1.4.1.318.1.1.26.6.3.1.2.1': 1,
      '1.3.6.1.4.1.318.1.1.26.6.3.1.3.1': 1,
      '1.3.6.1.4.1.318.1.1.26.6.3.1.5.1': 28,
      '1.3.6.1.4.1.318.1.1.26.6.3.1.6.1': 228,
      '1.3.6.1.4.1.318.1.1.26.9.4.3.1.3.1': 'gpu-node-1 psu1',
      '1.3.6.1.4.1.318.1.1.26.9.4.3.1.2.1': 1,
      '1.3.6.1.4.1.318.1.1.26.9.4.3.1.4.1': 7,
      '1.3.6.1.4.1.318.1.1.26.9.4.3.1.6.1': 43,
      '1.3.6.1.4.1.318.1.1.26.9.4.3.1.7.1': 1012,
      '1.3.6.1.4.1.318.1.1.26.10.2.2.1.3.1': 'front-top',
      '1.3.6.1.4.1.318.1.1.26.10.2.2.1.8.1': 239,
      '1.3.6.1.4.1.318.1.1.26.10.2.2.1.10.1': -1,
    });
    expect(byName(samplesFromVarbinds(apc, answers, { timestampMs: 1, labels: {} }))).toEqual([
      'plenum_pdu_energy_kwh{} 4821.3',
      'plenum_pdu_outlet_current_a{"unit":"1","outlet":"7","outlet_name":"gpu-node-1 psu1"} 4.3',
      'plenum_pdu_outlet_power_w{"unit":"1","outlet":"7","outlet_name":"gpu-node-1 psu1"} 1012',
      'plenum_pdu_phase_current_a{"phase":"L1","unit":"1"} 2.8',
      'plenum_pdu_phase_voltage_v{"phase":"L1","unit":"1"} 228',
      'plenum_pdu_power_w{} 1230',
      'plenum_rack_inlet_temp_c{"sensor":"front-top"} 23.9',
    ]);
  });

  it('raritan-pdu2: rows chosen by sensor type, scaled by each sensor’s decimal digits', () => {
    const raritan = profiles.get('raritan-pdu2')!;
    const answers = vb({
      // inlet 1: activePower 4321.5 W with one decimal digit; activeEnergy 1234567 Wh
      '1.3.6.1.4.1.13742.6.5.2.3.1.4.1.1.5': 43215,
      '1.3.6.1.4.1.13742.6.3.3.4.1.7.1.1.5': 1,
      '1.3.6.1.4.1.13742.6.5.2.3.1.4.1.1.8': 1234567,
      '1.3.6.1.4.1.13742.6.3.3.4.1.7.1.1.8': 0,
      '1.3.6.1.4.1.13742.6.5.2.3.1.4.1.1.1': 99, // rmsCurrent of the inlet: not mapped at inlet level
      '1.3.6.1.4.1.13742.6.3.3.4.1.7.1.1.1': 1,
      '1.3.6.1.4.1.13742.6.3.3.4.1.7.1.1.4': 0,
      // pole L2: 6.4 A, 231 V (decimals read from the inlet sensor's configuration)
      '1.3.6.1.4.1.13742.6.5.2.4.1.4.1.1.2.1': 64,
      '1.3.6.1.4.1.13742.6.5.2.4.1.4.1.1.2.4': 231,
      // outlet 3: 250 W, 1.05 A (two decimals)
      '1.3.6.1.4.1.13742.6.3.5.3.1.3.1.3': 'node-3',
      '1.3.6.1.4.1.13742.6.5.4.3.1.4.1.3.5': 250,
      '1.3.6.1.4.1.13742.6.3.5.4.1.7.1.3.5': 0,
      '1.3.6.1.4.1.13742.6.5.4.3.1.4.1.3.1': 105,
      '1.3.6.1.4.1.13742.6.3.5.4.1.7.1.3.1': 2,
      // external sensor 2 is a temperature probe at 24.5 °C; sensor 3 is humidity 41 %
      '1.3.6.1.4.1.13742.6.5.5.3.1.4.1.2': 245,
      '1.3.6.1.4.1.13742.6.3.6.3.1.2.1.2': 10,
      '1.3.6.1.4.1.13742.6.3.6.3.1.17.1.2': 1,
      '1.3.6.1.4.1.13742.6.5.5.3.1.4.1.3': 41,
      '1.3.6.1.4.1.13742.6.3.6.3.1.2.1.3': 11,
      '1.3.6.1.4.1.13742.6.3.6.3.1.17.1.3': 0,
    });
    expect(byName(samplesFromVarbinds(raritan, answers, { timestampMs: 1, labels: {} }))).toEqual([
      'plenum_pdu_energy_kwh{} 1234.567',
      'plenum_pdu_outlet_current_a{"outlet":"3","outlet_name":"node-3"} 1.05',
      'plenum_pdu_outlet_power_w{"outlet":"3","outlet_name":"node-3"} 250',
      'plenum_pdu_phase_current_a{"phase":"L2"} 6.4',
      'plenum_pdu_phase_voltage_v{"phase":"L2"} 231',
      'plenum_pdu_power_w{} 4321.5',
      'plenum_rack_humidity_pct{"sensor":"3"} 41',
      'plenum_rack_inlet_temp_c{"sensor":"2"} 24.5',
    ]);
  });

  it('entity-sensor: value × 10^(3·(scale−9)) / 10^precision, by sensor type', () => {
    const ent = profiles.get('entity-sensor')!;
    const answers = vb({
      '1.3.6.1.2.1.47.1.1.1.1.7.11': 'Inlet Temp',
      '1.3.6.1.2.1.99.1.1.1.1.11': 8, // celsius
      '1.3.6.1.2.1.99.1.1.1.2.11': 9, // units
      '1.3.6.1.2.1.99.1.1.1.3.11': 1, // one decimal
      '1.3.6.1.2.1.99.1.1.1.4.11': 275,
      '1.3.6.1.2.1.99.1.1.1.1.12': 8,
      '1.3.6.1.2.1.99.1.1.1.2.12': 8, // milli
      '1.3.6.1.2.1.99.1.1.1.3.12': 0,
      '1.3.6.1.2.1.99.1.1.1.4.12': 31250,
      '1.3.6.1.2.1.99.1.1.1.1.13': 6, // watts: not in this profile
      '1.3.6.1.2.1.99.1.1.1.2.13': 9,
      '1.3.6.1.2.1.99.1.1.1.3.13': 0,
      '1.3.6.1.2.1.99.1.1.1.4.13': 400,
    });
    expect(byName(samplesFromVarbinds(ent, answers, { timestampMs: 1, labels: {} }))).toEqual([
      'plenum_rack_inlet_temp_c{"sensor":"Inlet Temp"} 27.5',
      'plenum_rack_inlet_temp_c{} 31.25',
    ]);
  });

  it('sentry4: -1 means not available; cords and outlets labelled from the index', () => {
    const st = profiles.get('sentry4')!;
    const answers = vb({
      '1.3.6.1.4.1.1718.4.1.3.3.1.3.1.1': 888,
      '1.3.6.1.4.1.1718.4.1.3.3.1.3.1.2': 919,
      '1.3.6.1.4.1.1718.4.1.5.3.1.3.1.1.1': 2073,
      '1.3.6.1.4.1.1718.4.1.5.3.1.6.1.1.1': -1,
      '1.3.6.1.4.1.1718.4.1.8.3.1.3.1.1.4': 215,
      '1.3.6.1.4.1.1718.4.1.8.3.1.7.1.1.4': 480,
    });
    expect(byName(samplesFromVarbinds(st, answers, { timestampMs: 1, labels: {} }))).toEqual([
      'plenum_pdu_outlet_current_a{"outlet":"4","cord":"1.1"} 2.15',
      'plenum_pdu_outlet_power_w{"outlet":"4","cord":"1.1"} 480',
      'plenum_pdu_phase_voltage_v{"phase":"L1","cord":"1.1"} 207.3',
      'plenum_pdu_power_w{} 1807',
    ]);
  });
});

describe('profile validation', () => {
  it('names the field and the reason', () => {
    expect(() => parseSnmpProfile('name: x\ndescription: d\nkind: ups\nscalars:\n  - { oid: "1.3.x", metric: ups_load_w }\n', 'x.yaml')).toThrow(
      /x\.yaml: scalars\.0\.oid: must be a numeric OID/,
    );
    expect(() =>
      parseSnmpProfile(
        'name: x\ndescription: d\nkind: pdu\ntables:\n  - index: [outlet]\n    labels: { outlet: "{socket}" }\n    columns: [{ oid: 1.3.6.1, metric: pdu_outlet_power_w }]\n',
      ),
    ).toThrow(/tables\.0\.labels\.outlet: "socket" is not one of the index parts outlet/);
    expect(() => parseSnmpProfile('name: x\ndescription: d\nkind: fridge\nscalars: []\n')).toThrow(/kind/);
    expect(() => parseSnmpProfile('name: [x')).toThrow(/not valid YAML/);
  });

  it('unknown enum codes give no reading unless enum_default is set; leading dots are accepted', () => {
    const p = parseSnmpProfile(
      'name: x\ndescription: d\nkind: ups\nscalars:\n  - { oid: .1.3.6.1.9.0, metric: ups_on_battery, enum: { "2": 1 } }\n',
    );
    expect(samplesFromVarbinds(p, vb({ '1.3.6.1.9.0': 3 }), ctx)).toEqual([]);
    expect(samplesFromVarbinds(p, vb({ '1.3.6.1.9.0': 2 }), ctx)[0]!.value).toBe(1);
  });
});
