/**
 * Prometheus `snmp_exporter` names for UPS and PDU readings. Many sites already run snmp_exporter → Prometheus →
 * remote-write (or let Plenum scrape the exporter); its default modules name each series after the MIB object and
 * export the raw integer (TimeTicks as hundredths of seconds, tenths and hundredths as the MIB says). This table maps
 * the series of the UPS / PDU modules of its generator.yml onto catalogue metrics, converts units once, and names the
 * facility object from `device`, `target`, or the `instance` label (the SNMP target, after the relabelling the
 * snmp_exporter documentation prescribes); that name must be the UPS / PDU's name in Plenum.
 *
 * Modules covered: `apcups` (PowerNet-MIB UPS and rPDU2 tables), `servertech_sentry4` (Sentry4-MIB), `raritan`
 * (PDU-MIB). Series without an entry pass through unchanged (they stay unmapped, listed as such).
 */
import { getMetricDef } from './catalogue';
import { hostFromInstance } from './samples';

export interface SnmpExporterAlias {
  metric: string;
  /** Multiplier into the catalogue unit. */
  factor: number;
  /** A non-linear reading (an enum state): value → reading. Such series are never served from the line cache. */
  map?: (raw: number) => number;
  /** Labels the catalogue expects (`phase`, `outlet`, `sensor`), from the exporter's index or lookup labels. */
  labels?: Readonly<Record<string, { from: readonly string[]; prefix?: string }>>;
}

const alias = (metric: string, factor = 1, extra: Omit<SnmpExporterAlias, 'metric' | 'factor'> = {}): SnmpExporterAlias => {
  if (!getMetricDef(metric)) throw new Error(`snmp_exporter alias: ${metric} is not in the catalogue`);
  return { metric, factor, ...extra };
};

const phase = (...from: string[]) => ({ phase: { from, prefix: 'L' } });
const outlet = (...from: string[]) => ({ outlet: { from } });
const sensor = (...from: string[]) => ({ sensor: { from } });

export const SNMP_EXPORTER_ALIASES: ReadonlyMap<string, SnmpExporterAlias> = new Map([
  // apcups: PowerNet-MIB upsBasicOutputStatus: onLine(2), onBattery(3), … (other states are not "on battery").
  ['upsBasicOutputStatus', alias('ups_on_battery', 1, { map: (v) => (v === 3 ? 1 : 0) })],
  ['upsAdvBatteryCapacity', alias('ups_battery_charge_pct')],
  // TimeTicks: hundredths of a second.
  ['upsAdvBatteryRunTimeRemaining', alias('ups_runtime_s', 0.01)],
  ['upsAdvOutputActivePower', alias('ups_load_w')],
  // apcups: rPDU2 tables. Power in hundredths of kW, energy in tenths of kWh, current in tenths of A.
  ['rPDU2DeviceStatusPower', alias('pdu_power_w', 10)],
  ['rPDU2DeviceStatusEnergy', alias('pdu_energy_kwh', 0.1)],
  ['rPDU2PhaseStatusCurrent', alias('pdu_phase_current_a', 0.1, { labels: phase('rPDU2PhaseStatusIndex') })],
  ['rPDU2PhaseStatusVoltage', alias('pdu_phase_voltage_v', 1, { labels: phase('rPDU2PhaseStatusIndex') })],
  ['rPDU2SensorTempHumidityStatusTempC', alias('rack_inlet_temp_c', 0.1, { labels: sensor('rPDU2SensorTempHumidityStatusName', 'rPDU2SensorTempHumidityStatusIndex') })],
  ['rPDU2SensorTempHumidityStatusRelativeHumidity', alias('rack_humidity_pct', 1, { labels: sensor('rPDU2SensorTempHumidityStatusName', 'rPDU2SensorTempHumidityStatusIndex') })],
  // servertech_sentry4: watts, tenths of V, hundredths of A, tenths of a degree (lookups give names).
  ['st4InputCordActivePower', alias('pdu_power_w')],
  ['st4PhaseVoltage', alias('pdu_phase_voltage_v', 0.1, { labels: phase('st4PhaseIndex') })],
  ['st4PhaseCurrent', alias('pdu_phase_current_a', 0.01, { labels: phase('st4PhaseIndex') })],
  ['st4OutletActivePower', alias('pdu_outlet_power_w', 1, { labels: outlet('st4OutletIndex', 'st4OutletName') })],
  ['st4OutletCurrent', alias('pdu_outlet_current_a', 0.01, { labels: outlet('st4OutletIndex', 'st4OutletName') })],
  ['st4TempSensorValue', alias('rack_inlet_temp_c', 0.1, { labels: sensor('st4TempSensorName', 'st4TempSensorIndex') })],
  // raritan (PDU-MIB): watts, milliamps.
  ['inletActivePower', alias('pdu_power_w')],
  ['outletActivePower', alias('pdu_outlet_power_w', 1, { labels: outlet('outletIndex', 'outletLabel') })],
  ['outletCurrent', alias('pdu_outlet_current_a', 0.001, { labels: outlet('outletIndex', 'outletLabel') })],
]);

/** The facility object a snmp_exporter series is about: an explicit `device`, the `target`, else the `instance` host. */
export function snmpExporterDevice(labels: Record<string, string>): string | undefined {
  return labels.device || labels.target || hostFromInstance(labels.instance);
}

/** The alias's reading of a raw value. */
export function snmpExporterValue(a: SnmpExporterAlias, raw: number): number {
  if (a.map) return a.map(raw);
  const v = raw * a.factor;
  return Number.isInteger(v) ? v : Math.round(v * 1e9) / 1e9;
}

/** The catalogue labels the alias adds (`phase="L1"`, `outlet="7"`), from the first present source label each. */
export function snmpExporterLabels(a: SnmpExporterAlias, labels: Record<string, string>): Record<string, string> | undefined {
  if (!a.labels) return undefined;
  let out: Record<string, string> | undefined;
  for (const [name, { from, prefix }] of Object.entries(a.labels)) {
    if (labels[name] !== undefined) continue;
    const source = from.find((l) => labels[l]);
    if (source === undefined) continue;
    out ??= {};
    out[name] = `${prefix ?? ''}${labels[source]}`;
  }
  return out;
}
