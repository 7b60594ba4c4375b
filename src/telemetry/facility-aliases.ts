/**
 * Facility exporters that follow Prometheus naming (the Plenum simulator's facility text, `plenum_*_watts`,
 * `plenum_*_celsius`, with `pdu` / `ups` / `unit` / `rack` / `site` labels) rather than the catalogue form
 * (`plenum_pdu_power_w{device="…"}`). This maps those series onto catalogue metrics where one exists, converts units
 * once, and names the facility device (`device`) from the most specific entity label, so both forms end up in the same
 * series. Series with no catalogue equivalent keep their name and still get `device` set.
 *
 * Added by the telemetry-ingest work next to the dialects (a new file: the dialects themselves are unchanged).
 */
import { getMetricDef } from './catalogue';
import type { CanonicalSample } from './samples';
import { SNMP_EXPORTER_ALIASES, snmpExporterDevice, snmpExporterLabels, snmpExporterValue } from './snmp-exporter-aliases';

interface Alias {
  metric: string;
  factor: number;
  /** Which label names the device; the first present wins. */
  deviceLabels: readonly string[];
}

const alias = (metric: string, deviceLabels: readonly string[], factor = 1): Alias => {
  if (!getMetricDef(metric)) throw new Error(`facility alias: ${metric} is not in the catalogue`);
  return { metric, factor, deviceLabels };
};

const RACK = ['rack'] as const;
const PDU = ['pdu'] as const;
const UPS = ['ups'] as const;
const UNIT = ['unit'] as const;
const SITE = ['site'] as const;

/** Prometheus-style facility name → catalogue metric. Cooling supply/heat depend on the unit kind (see below). */
export const FACILITY_ALIASES: ReadonlyMap<string, Alias> = new Map([
  ['plenum_sensor_inlet_temp_celsius', alias('rack_inlet_temp_c', RACK)],
  ['plenum_sensor_outlet_temp_celsius', alias('rack_outlet_temp_c', RACK)],
  ['plenum_rack_pdu_power_watts', alias('pdu_power_w', PDU)],
  ['plenum_ups_output_power_watts', alias('ups_load_w', UPS)],
  ['plenum_ups_on_battery', alias('ups_on_battery', UPS)],
  ['plenum_ups_estimated_charge_remaining_percent', alias('ups_battery_charge_pct', UPS)],
  ['plenum_ups_estimated_minutes_remaining', alias('ups_runtime_s', UPS, 60)],
  ['plenum_facility_power_watts', alias('facility_power_w', SITE)],
  ['plenum_it_power_watts', alias('it_power_w', SITE)],
]);

/** Entity labels, most specific first, for series without an alias. `hostname` series map by hostname instead. */
const DEVICE_LABEL_ORDER = ['unit', 'pdu', 'ups', 'rack'] as const;

function firstLabel(labels: Record<string, string>, names: readonly string[]): string | undefined {
  for (const n of names) {
    const v = labels[n];
    if (v) return v;
  }
  return undefined;
}

/**
 * Normalises one sample in place (and returns it). Only `plenum_` series that are not catalogue metrics already are
 * touched; everything else is returned unchanged.
 */
export function normaliseFacilitySample(s: CanonicalSample): CanonicalSample {
  const labels = s.labels;
  if (s.known) {
    // A catalogue facility metric written with entity labels instead of `device` (plenum_ups_on_battery{ups="…"}).
    if (s.device === undefined && labels.hostname === undefined && getMetricDef(s.metric)?.scope === 'facility') {
      const device = firstLabel(labels, DEVICE_LABEL_ORDER) ?? labels.site;
      if (device) s.device = device;
    }
    return s;
  }
  if (!s.metric.startsWith('plenum_')) return normaliseSnmpExporterSample(s);
  let a = FACILITY_ALIASES.get(s.metric);
  if (a === undefined) {
    if (s.metric === 'plenum_cooling_unit_supply_temp_celsius') {
      a = alias(labels.kind === 'cdu' ? 'cdu_supply_temp_c' : 'crah_supply_temp_c', UNIT);
    } else if (s.metric === 'plenum_cooling_unit_heat_removed_watts' && labels.kind === 'cdu') {
      a = alias('cdu_heat_removed_w', UNIT);
    } else if (s.metric === 'plenum_sensor_humidity_percent' && labels.rack) {
      a = alias('rack_humidity_pct', RACK);
    }
  }
  if (a !== undefined) {
    const def = getMetricDef(a.metric)!;
    s.metric = def.name;
    s.unit = def.unit;
    s.known = true;
    if (a.factor !== 1) s.value *= a.factor;
    const device = firstLabel(labels, a.deviceLabels);
    if (device) s.device = device;
    return s;
  }
  if (labels.hostname === undefined) {
    const device = firstLabel(labels, DEVICE_LABEL_ORDER) ?? labels.site;
    if (device) s.device = device;
  }
  return s;
}

/** A Prometheus snmp_exporter UPS / PDU series (snmp-exporter-aliases.ts) as its catalogue metric on its device. */
function normaliseSnmpExporterSample(s: CanonicalSample): CanonicalSample {
  const a = SNMP_EXPORTER_ALIASES.get(s.metric);
  if (a === undefined) return s;
  const def = getMetricDef(a.metric)!;
  const labels = s.labels;
  s.metric = def.name;
  s.unit = def.unit;
  s.known = true;
  s.value = snmpExporterValue(a, s.value);
  const extra = snmpExporterLabels(a, labels);
  if (extra) s.labels = { ...labels, ...extra };
  const device = snmpExporterDevice(labels);
  if (device) {
    s.device = device;
    // The instance is the SNMP agent, not a host of the inventory: map by device only.
    delete s.hostname;
  }
  return s;
}
