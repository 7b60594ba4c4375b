import { describe, expect, it } from 'vitest';
import { mapExposition } from './dialects/index';
import { normaliseFacilitySample } from './facility-aliases';
import { SNMP_EXPORTER_ALIASES } from './snmp-exporter-aliases';

/** Text in snmp_exporter's output shape (module apcups), with the `instance` Prometheus adds after relabelling. */
const TEXT = `# HELP upsAdvBatteryCapacity The remaining battery capacity expressed in percent of full capacity. - 1.3.6.1.4.1.318.1.1.1.2.2.1
# TYPE upsAdvBatteryCapacity gauge
upsAdvBatteryCapacity{instance="ups-a"} 97
# HELP upsAdvBatteryRunTimeRemaining The UPS battery run time remaining before battery exhaustion. - 1.3.6.1.4.1.318.1.1.1.2.2.3
# TYPE upsAdvBatteryRunTimeRemaining gauge
upsAdvBatteryRunTimeRemaining{instance="ups-a"} 180000
# HELP upsBasicOutputStatus The current state of the UPS. - 1.3.6.1.4.1.318.1.1.1.4.1.1
# TYPE upsBasicOutputStatus gauge
upsBasicOutputStatus{instance="ups-a"} 3
# HELP rPDU2PhaseStatusCurrent Indicates the current draw of the Rack PDU phase being queried - 1.3.6.1.4.1.318.1.1.26.6.3.1.5
# TYPE rPDU2PhaseStatusCurrent gauge
rPDU2PhaseStatusCurrent{instance="pdu-r01-a:161",rPDU2PhaseStatusIndex="2"} 183
# HELP rPDU2DeviceStatusPower The power consumption of the Rack PDU load in hundredths of kilowatts - 1.3.6.1.4.1.318.1.1.26.4.3.1.5
# TYPE rPDU2DeviceStatusPower gauge
rPDU2DeviceStatusPower{instance="pdu-r01-a:161",rPDU2DeviceStatusIndex="1"} 412
ifInOctets{ifIndex="1",instance="pdu-r01-a:161"} 5
`;

describe('snmp_exporter UPS / PDU names', () => {
  it('map onto catalogue metrics in catalogue units, on the device named by instance', () => {
    const out = mapExposition(TEXT, 'prometheus', { defaultTimestampMs: 1 }).samples.map(normaliseFacilitySample);
    const got = out.map((s) => ({ metric: s.metric, known: s.known, device: s.device, value: s.value, phase: s.labels.phase, hostname: s.hostname }));
    expect(got).toEqual([
      { metric: 'ups_battery_charge_pct', known: true, device: 'ups-a', value: 97, phase: undefined, hostname: undefined },
      { metric: 'ups_runtime_s', known: true, device: 'ups-a', value: 1800, phase: undefined, hostname: undefined },
      { metric: 'ups_on_battery', known: true, device: 'ups-a', value: 1, phase: undefined, hostname: undefined },
      { metric: 'pdu_phase_current_a', known: true, device: 'pdu-r01-a', value: 18.3, phase: 'L2', hostname: undefined },
      { metric: 'pdu_power_w', known: true, device: 'pdu-r01-a', value: 4120, phase: undefined, hostname: undefined },
      // Not a UPS / PDU reading: passes through untouched.
      { metric: 'ifInOctets', known: false, device: undefined, value: 5, phase: undefined, hostname: 'pdu-r01-a' },
    ]);
  });

  it('on battery is a state, not a multiple: online is 0', () => {
    const onBattery = SNMP_EXPORTER_ALIASES.get('upsBasicOutputStatus')!;
    expect([1, 2, 3, 4].map((v) => onBattery.map!(v))).toEqual([0, 0, 1, 0]);
  });
});
