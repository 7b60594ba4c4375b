/**
 * Facility gear as Prometheus text: UPSs (RFC 1628 UPS-MIB semantics), rack PDUs per feed, cooling units, rack and
 * room sensors, servers, and the site meter (IT, cooling, facility power, PUE, energy counters).
 * Every name carries its unit; see docs/simulator.md for the list.
 */
import type { SiteView, World } from '../world';
import { type Labels, type MetricFamily, renderFamilies } from './prometheus';

type Family = Omit<MetricFamily, 'samples'>;

/** The facility metric catalogue: name, type and help (units in the names). */
export const FACILITY_METRICS = {
  upsOutputPower: { name: 'plenum_ups_output_power_watts', type: 'gauge', help: 'UPS output (load) power in watts.' },
  upsInputPower: { name: 'plenum_ups_input_power_watts', type: 'gauge', help: 'UPS input power in watts (0 on battery).' },
  upsLoad: { name: 'plenum_ups_load_ratio', type: 'gauge', help: 'UPS output power as a fraction of its rating (upsOutputPercentLoad / 100).' },
  upsEfficiency: { name: 'plenum_ups_efficiency_ratio', type: 'gauge', help: 'UPS output power / (output + losses).' },
  upsOnBattery: { name: 'plenum_ups_on_battery', type: 'gauge', help: '1 when the UPS output is supplied by its battery (upsOutputSource = battery(5)).' },
  upsOutputSource: {
    name: 'plenum_ups_output_source',
    type: 'gauge',
    help: 'RFC 1628 upsOutputSource: 1 other, 2 none, 3 normal, 4 bypass, 5 battery, 6 booster, 7 reducer.',
  },
  upsBatteryStatus: {
    name: 'plenum_ups_battery_status',
    type: 'gauge',
    help: 'RFC 1628 upsBatteryStatus: 1 unknown, 2 batteryNormal, 3 batteryLow, 4 batteryDepleted.',
  },
  upsMinutes: {
    name: 'plenum_ups_estimated_minutes_remaining',
    type: 'gauge',
    help: 'RFC 1628 upsEstimatedMinutesRemaining: battery runtime at the present load in minutes.',
  },
  upsCharge: {
    name: 'plenum_ups_estimated_charge_remaining_percent',
    type: 'gauge',
    help: 'RFC 1628 upsEstimatedChargeRemaining: battery charge in percent of full.',
  },
  upsSecondsOnBattery: { name: 'plenum_ups_seconds_on_battery', type: 'gauge', help: 'RFC 1628 upsSecondsOnBattery: seconds since the UPS went on battery, 0 on utility.' },
  pduPower: { name: 'plenum_rack_pdu_power_watts', type: 'gauge', help: 'Rack PDU input power in watts, per feed.' },
  pduCapacity: { name: 'plenum_rack_pdu_capacity_watts', type: 'gauge', help: 'Rack PDU rated input capacity in watts.' },
  pduTripped: { name: 'plenum_rack_pdu_breaker_tripped', type: 'gauge', help: '1 when the rack PDU input breaker is open.' },
  pduLive: { name: 'plenum_rack_pdu_energized', type: 'gauge', help: '1 when the rack PDU has power at its outlets.' },
  coolingHeat: { name: 'plenum_cooling_unit_heat_removed_watts', type: 'gauge', help: 'Heat the cooling unit removes in watts.' },
  coolingCapacity: { name: 'plenum_cooling_unit_capacity_watts', type: 'gauge', help: 'Rated cooling capacity in watts.' },
  coolingSupply: { name: 'plenum_cooling_unit_supply_temp_celsius', type: 'gauge', help: 'Supply air (or coolant) temperature in degrees Celsius.' },
  coolingPower: { name: 'plenum_cooling_unit_power_watts', type: 'gauge', help: 'Electrical power attributed to the cooling unit (fans or pumps plus heat-rejection plant) in watts.' },
  coolingRunning: { name: 'plenum_cooling_unit_running', type: 'gauge', help: '1 when the cooling unit runs.' },
  hallRedundancy: { name: 'plenum_hall_cooling_redundancy_ok', type: 'gauge', help: '1 when the hall air load still fits after losing its largest running unit (N+1).' },
  sensorInlet: { name: 'plenum_sensor_inlet_temp_celsius', type: 'gauge', help: 'Inlet (cold aisle) air temperature in degrees Celsius.' },
  sensorOutlet: { name: 'plenum_sensor_outlet_temp_celsius', type: 'gauge', help: 'Outlet (hot aisle) air temperature in degrees Celsius.' },
  sensorRoom: { name: 'plenum_sensor_room_temp_celsius', type: 'gauge', help: 'Room air temperature in degrees Celsius.' },
  sensorHumidity: { name: 'plenum_sensor_humidity_percent', type: 'gauge', help: 'Relative humidity in percent.' },
  serverPower: { name: 'plenum_server_power_watts', type: 'gauge', help: 'Server wall (PSU input) power in watts.' },
  serverFan: { name: 'plenum_server_fan_speed_percent', type: 'gauge', help: 'Server fan speed in percent of maximum.' },
  serverLink: { name: 'plenum_server_network_link_up', type: 'gauge', help: '1 when the server network link is up.' },
  facilityPower: { name: 'plenum_facility_power_watts', type: 'gauge', help: 'Total facility power in watts (IT + cooling + UPS losses and charging + lighting + distribution losses).' },
  utilityPower: { name: 'plenum_facility_utility_power_watts', type: 'gauge', help: 'Power drawn from the utility or generator in watts (excludes battery discharge).' },
  itPower: { name: 'plenum_it_power_watts', type: 'gauge', help: 'IT power (sum of rack PDU loads) in watts.' },
  coolingTotal: { name: 'plenum_cooling_power_watts', type: 'gauge', help: 'Cooling power of the site in watts.' },
  upsLosses: { name: 'plenum_ups_losses_watts', type: 'gauge', help: 'UPS conversion losses of the site in watts.' },
  lighting: { name: 'plenum_lighting_power_watts', type: 'gauge', help: 'Lighting and other non-IT building load in watts.' },
  pue: { name: 'plenum_facility_pue_ratio', type: 'gauge', help: 'Instantaneous power usage effectiveness: facility power / IT power.' },
  facilityEnergy: { name: 'plenum_facility_energy_joules_total', type: 'counter', help: 'Facility energy since the simulator started in joules.' },
  itEnergy: { name: 'plenum_it_energy_joules_total', type: 'counter', help: 'IT energy since the simulator started in joules.' },
  utilityLive: { name: 'plenum_utility_power_present', type: 'gauge', help: '1 when utility power is present at the site.' },
  generatorRunning: { name: 'plenum_generator_running', type: 'gauge', help: '1 when the standby generator carries the site.' },
} as const satisfies Record<string, Family>;

type Key = keyof typeof FACILITY_METRICS;

/**
 * The families the simulator's SNMP agents serve (each UPS over UPS-MIB, each rack PDU over rPDU2): Plenum reads those
 * devices over SNMP, so the scraped facility text leaves them out; the debug view keeps them.
 */
export const SNMP_SERVED_FAMILIES: ReadonlySet<Key> = new Set<Key>([
  'upsOutputPower',
  'upsInputPower',
  'upsLoad',
  'upsEfficiency',
  'upsOnBattery',
  'upsOutputSource',
  'upsBatteryStatus',
  'upsMinutes',
  'upsCharge',
  'upsSecondsOnBattery',
  'pduPower',
  'pduCapacity',
  'pduTripped',
  'pduLive',
]);

/** What the text Plenum scrapes leaves out because a device protocol serves it (one source per quantity). */
export type FacilityTextOptions = {
  /** Cooling unit kinds whose coolant readings (supply temperature, heat removed) go over Redfish (CDUs). */
  coolingReadingsElsewhere?: ReadonlySet<string>;
  /** Families served elsewhere (SNMP_SERVED_FAMILIES); the debug view passes none. */
  without?: ReadonlySet<Key>;
};

function collect(site: SiteView, world: World, options: FacilityTextOptions): Map<Key, { labels: Labels; value: number }[]> {
  const out = new Map<Key, { labels: Labels; value: number }[]>();
  const add = (key: Key, labels: Labels, value: number) => {
    const list = out.get(key) ?? [];
    list.push({ labels, value });
    out.set(key, list);
  };
  const siteLabel = { site: site.id };
  for (const u of site.upses) {
    const l = { ...siteLabel, ups: u.id };
    const s = u.state;
    add('upsOutputPower', l, s.outputPowerW);
    add('upsInputPower', l, s.inputPowerW);
    add('upsLoad', l, s.outputPowerW / u.ratedW);
    add('upsEfficiency', l, s.outputPowerW > 0 ? s.outputPowerW / (s.outputPowerW + s.lossW) : 0);
    add('upsOnBattery', l, s.outputSource === 5 ? 1 : 0);
    add('upsOutputSource', l, s.outputSource);
    add('upsBatteryStatus', l, s.batteryStatus);
    add('upsMinutes', l, Math.round(s.estimatedMinutesRemaining * 10) / 10);
    add('upsCharge', l, Math.round(s.estimatedChargeRemainingPct * 10) / 10);
    add('upsSecondsOnBattery', l, Math.round(s.secondsOnBattery));
  }
  for (const p of site.pdus) {
    const l = { ...siteLabel, hall: p.hallId, rack: p.rackId, pdu: p.id, feed: p.feed };
    add('pduPower', l, p.loadW);
    add('pduCapacity', l, p.capacityW);
    add('pduTripped', l, p.tripped ? 1 : 0);
    add('pduLive', l, p.live ? 1 : 0);
  }
  for (const c of site.coolingUnits) {
    const l = { ...siteLabel, hall: c.hallId, unit: c.id, kind: c.kind };
    if (!options.coolingReadingsElsewhere?.has(c.kind)) {
      add('coolingHeat', l, c.heatRemovedW);
      add('coolingSupply', l, c.supplyTempC);
    }
    add('coolingCapacity', l, c.capacityW);
    add('coolingPower', l, c.powerW);
    add('coolingRunning', l, c.running ? 1 : 0);
  }
  for (const h of site.halls) add('hallRedundancy', { ...siteLabel, hall: h.id }, h.nPlusOne ? 1 : 0);
  for (const s of site.sensors) {
    const l: Labels = { ...siteLabel, hall: s.hallId, ...(s.rackId ? { rack: s.rackId } : {}), sensor: s.id };
    add(s.position === 'inlet' ? 'sensorInlet' : s.position === 'outlet' ? 'sensorOutlet' : 'sensorRoom', l, s.tempC);
    add('sensorHumidity', l, s.humidityPct);
  }
  for (const s of site.servers) {
    const l = { ...siteLabel, hall: s.hallId, rack: s.rackId, hostname: s.hostname };
    add('serverPower', l, s.powerW);
    add('serverFan', l, s.powered ? s.fanSpeed * 100 : 0);
    for (const link of world.hostView(s.hostname)?.links ?? []) add('serverLink', { ...l, link: link.name }, link.up ? 1 : 0);
  }
  add('facilityPower', siteLabel, site.power.facilityW);
  add('utilityPower', siteLabel, site.utilityW);
  add('itPower', siteLabel, site.power.itW);
  add('coolingTotal', siteLabel, site.power.coolingW);
  add('upsLosses', siteLabel, site.power.upsLossW);
  add('lighting', siteLabel, site.power.lightingW);
  add('pue', siteLabel, site.power.pue);
  add('facilityEnergy', siteLabel, Math.round(site.facilityEnergyJ));
  add('itEnergy', siteLabel, Math.round(site.itEnergyJ));
  add('utilityLive', siteLabel, site.utilityLive ? 1 : 0);
  add('generatorRunning', siteLabel, site.generatorRunning ? 1 : 0);
  return out;
}

/** Prometheus text for one site's facility gear, or for every site when siteId is omitted. */
export function renderFacilityMetrics(world: World, siteId?: string, options: FacilityTextOptions = {}): string {
  const ids = siteId === undefined ? world.siteIds() : [siteId];
  const merged = new Map<Key, { labels: Labels; value: number }[]>();
  for (const id of ids) {
    const site = world.siteView(id);
    if (!site) throw new Error(`unknown site ${id}`);
    for (const [key, samples] of collect(site, world, options)) merged.set(key, [...(merged.get(key) ?? []), ...samples]);
  }
  const families: MetricFamily[] = [];
  for (const key of Object.keys(FACILITY_METRICS) as Key[]) {
    const samples = merged.get(key);
    if (samples?.length && !options.without?.has(key)) families.push({ ...FACILITY_METRICS[key], samples });
  }
  return renderFamilies(families);
}
