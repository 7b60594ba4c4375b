/**
 * Redfish discovery and mapping, free of I/O: a walk over a Redfish service through an injected `fetchJson`, turning
 * what DMTF's PowerDistribution, CoolingUnit, EnvironmentMetrics and PowerSubsystem schemas report into catalogue
 * readings (`plenum_<metric>` with `device`, `resource` and per-index labels).
 *
 * What is read (see docs/FACILITY-COLLECTORS.md):
 * - PowerEquipment → RackPDUs, FloorPDUs, Switchgear, TransferSwitches: Metrics (power, energy), Mains (per-phase
 *   current and voltage), Branches (current, power), Outlets (power, current).
 * - ThermalEquipment → CDUs, ImmersionUnits, HeatExchangers: Secondary and Primary CoolantConnectors (temperatures,
 *   flow, pressure, heat removed) and EnvironmentMetrics.
 * - Chassis → EnvironmentMetrics (temperature, humidity, power) and PowerSubsystem → PowerSupplies → Metrics.
 *
 * Hostile input is bounded: links must stay under the service root and match a conservative path syntax, collections
 * are cut at `maxMembers`, the walk stops with an error past `maxRequests`, label values are clipped.
 */

export type RedfishObject = Record<string, unknown>;

/** One reading in catalogue units; `metric` is a catalogue name (without the `plenum_` prefix). */
export type RedfishReading = { metric: string; labels: Record<string, string>; value: number };

export class RedfishWalkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedfishWalkError';
  }
}

export type WalkLimits = {
  /** Most GET requests for one collection pass (a bigger service fails with an error rather than half-read). */
  maxRequests: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Members read from one collection; the rest are ignored. */
  maxMembers: number;
};

export const DEFAULT_WALK_LIMITS: WalkLimits = { maxRequests: 1000, concurrency: 4, maxMembers: 512 };

export type WalkOptions = WalkLimits & {
  /** The service root path, e.g. `/redfish/v1`; every link followed must lie under it. */
  rootPath: string;
  /** The facility object the target reads: every reading's `device`. Otherwise the resource's Name (or Id). */
  deviceName: string | null;
  /** Ask for collections with `$expand=.($levels=1)` when the service root advertises it. */
  useExpand: boolean;
};

/** `fetchJson(path, query)` resolves a parsed JSON object or rejects with an error in our own words. */
export type FetchJson = (path: string, query?: string) => Promise<RedfishObject>;

const LINK_SYNTAX = /^\/[A-Za-z0-9_.~%:@!$&'()*+,;=/-]{0,300}$/;
const MAX_LABEL = 80;

/** Clips a device-supplied label value and drops control characters. */
export function labelValue(raw: unknown): string {
  const text = typeof raw === 'string' ? raw : typeof raw === 'number' ? String(raw) : '';
  return text.replace(/\p{Cc}/gu, '').slice(0, MAX_LABEL);
}

/** The `@odata.id` of a link object, when it is one we may follow (under `rootPath`, conservative syntax). */
export function linkOf(value: unknown, rootPath: string): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const id = (value as RedfishObject)['@odata.id'];
  if (typeof id !== 'string') return undefined;
  const path = id.split('#')[0]!.replace(/\/+$/, '');
  if (!LINK_SYNTAX.test(path) || path.includes('/../') || path.endsWith('/..')) return undefined;
  const root = rootPath.replace(/\/+$/, '');
  return path === root || path.startsWith(`${root}/`) ? path : undefined;
}

/** The `Reading` of a Redfish SensorExcerpt (`{ "Reading": 42, "DataSourceUri": … }`), when it is a finite number. */
export function readingOf(value: unknown): number | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const r = (value as RedfishObject).Reading;
  return typeof r === 'number' && Number.isFinite(r) ? r : undefined;
}

function asObject(value: unknown): RedfishObject | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as RedfishObject) : undefined;
}

/** Whether the service root says `$expand=.($levels=1)` works (ExpandQuery with NoLinks or ExpandAll, and Levels). */
export function expandAdvertised(root: RedfishObject): boolean {
  const expand = asObject(asObject(root.ProtocolFeaturesSupported)?.ExpandQuery);
  if (!expand) return false;
  return (expand.NoLinks === true || expand.ExpandAll === true) && expand.Levels === true;
}

/** Runs `work` on each item with at most `limit` at once, keeping the input order in the result. */
async function mapBounded<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!);
    }
  });
  await Promise.all(lanes);
  return out;
}

/** Line names in PolyPhaseCurrentAmps / PolyPhaseVoltage → the `phase` label. */
const PHASE_OF: Record<string, string> = {
  Line1: 'L1',
  Line2: 'L2',
  Line3: 'L3',
  Neutral: 'N',
  Line1ToNeutral: 'L1',
  Line2ToNeutral: 'L2',
  Line3ToNeutral: 'L3',
  Line1ToLine2: 'L1-L2',
  Line2ToLine3: 'L2-L3',
  Line3ToLine1: 'L3-L1',
};

const POWER_EQUIPMENT_COLLECTIONS = ['RackPDUs', 'FloorPDUs', 'Switchgear', 'TransferSwitches'] as const;
const THERMAL_EQUIPMENT_COLLECTIONS = ['CDUs', 'ImmersionUnits', 'HeatExchangers'] as const;

/** Walks a Redfish service once and returns its readings. Rejects on the first failed request or a limit. */
export async function discoverRedfish(fetchJson: FetchJson, options: WalkOptions): Promise<RedfishReading[]> {
  const readings: RedfishReading[] = [];
  let requests = 0;
  let expand = false;
  const root = options.rootPath.replace(/\/+$/, '');

  // One limiter for every request of the walk, whichever branch asks: at most `concurrency` in flight.
  let active = 0;
  const waiting: (() => void)[] = [];
  const get = async (path: string, query?: string): Promise<RedfishObject> => {
    requests++;
    if (requests > options.maxRequests) throw new RedfishWalkError(`Redfish service needs more than ${options.maxRequests} requests (option maxRequests)`);
    if (active < options.concurrency) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await fetchJson(path, query);
    } finally {
      // Hand the slot straight to the next waiter, or free it.
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
  const follow = (from: RedfishObject, key: string): Promise<RedfishObject> | undefined => {
    const link = linkOf(from[key], root);
    return link ? get(link) : undefined;
  };
  /** A collection's members: inline when the service expanded them, otherwise each fetched. */
  const members = async (collectionPath: string): Promise<RedfishObject[]> => {
    const collection = await get(collectionPath, expand ? '$expand=.($levels=1)' : undefined);
    const list = Array.isArray(collection.Members) ? collection.Members.slice(0, options.maxMembers) : [];
    return (
      await mapBounded(list, options.concurrency, async (m) => {
        const member = asObject(m);
        if (!member) return undefined;
        // An expanded member carries more than its @odata.id.
        if (Object.keys(member).some((k) => k !== '@odata.id')) return member;
        const link = linkOf(member, root);
        return link ? get(link) : undefined;
      })
    ).filter((m): m is RedfishObject => m !== undefined);
  };
  const membersOf = async (from: RedfishObject, key: string): Promise<RedfishObject[]> => {
    const link = linkOf(from[key], root);
    return link ? members(link) : [];
  };

  const deviceOf = (resource: RedfishObject): string => options.deviceName ?? (labelValue(resource.Name) || labelValue(resource.Id) || 'redfish');
  const emit = (metric: string, value: number | undefined, labels: Record<string, string>) => {
    if (value !== undefined) readings.push({ metric, labels, value });
  };

  const serviceRoot = await get(root);
  expand = options.useExpand && expandAdvertised(serviceRoot);

  const powerEquipment = follow(serviceRoot, 'PowerEquipment');
  const thermalEquipment = follow(serviceRoot, 'ThermalEquipment');
  const chassisLink = linkOf(serviceRoot.Chassis, root);

  // --- PowerEquipment: PDUs, switchgear, transfer switches (PowerDistribution)
  const readPowerDistribution = async (pd: RedfishObject) => {
    const base = { device: deviceOf(pd), resource: linkOf(pd, root) ?? '' };
    const [metrics, mains, branches, outlets] = await Promise.all([
      follow(pd, 'Metrics'),
      membersOf(pd, 'Mains'),
      membersOf(pd, 'Branches'),
      membersOf(pd, 'Outlets'),
    ]);
    if (metrics) {
      emit('pdu_power_w', readingOf(metrics.PowerWatts), base);
      emit('pdu_energy_kwh', readingOf(metrics.EnergykWh), base);
      emit('environment_temp_c', readingOf(metrics.TemperatureCelsius), base);
      emit('environment_humidity_pct', readingOf(metrics.HumidityPercent), base);
    }
    for (const circuit of mains) {
      const labels = { ...base, circuit: labelValue(circuit.Id) };
      const currents = asObject(circuit.PolyPhaseCurrentAmps);
      if (currents) for (const [line, phase] of Object.entries(PHASE_OF)) emit('pdu_phase_current_a', readingOf(currents[line]), { ...labels, phase });
      else emit('pdu_phase_current_a', readingOf(circuit.CurrentAmps), { ...labels, phase: 'L1' });
      const voltages = asObject(circuit.PolyPhaseVoltage);
      if (voltages) for (const [line, phase] of Object.entries(PHASE_OF)) emit('pdu_phase_voltage_v', readingOf(voltages[line]), { ...labels, phase });
      else emit('pdu_phase_voltage_v', readingOf(circuit.Voltage), { ...labels, phase: 'L1' });
    }
    for (const branch of branches) {
      const labels = { ...base, branch: labelValue(branch.Id) };
      emit('pdu_branch_current_a', readingOf(branch.CurrentAmps), labels);
      emit('pdu_branch_power_w', readingOf(branch.PowerWatts), labels);
    }
    for (const outlet of outlets) {
      const labels = { ...base, outlet: labelValue(outlet.Id) };
      emit('pdu_outlet_power_w', readingOf(outlet.PowerWatts), labels);
      emit('pdu_outlet_current_a', readingOf(outlet.CurrentAmps), labels);
    }
  };

  // --- ThermalEquipment: CDUs and other cooling units (CoolingUnit)
  const readCoolingUnit = async (unit: RedfishObject) => {
    const base = { device: deviceOf(unit), resource: linkOf(unit, root) ?? '' };
    const [secondary, primary, environment] = await Promise.all([
      membersOf(unit, 'SecondaryCoolantConnectors'),
      membersOf(unit, 'PrimaryCoolantConnectors'),
      follow(unit, 'EnvironmentMetrics'),
    ]);
    for (const c of secondary) {
      const labels = { ...base, connector: labelValue(c.Id) };
      emit('cdu_supply_temp_c', readingOf(c.SupplyTemperatureCelsius), labels);
      emit('cdu_return_temp_c', readingOf(c.ReturnTemperatureCelsius), labels);
      emit('cdu_flow_l_per_min', readingOf(c.FlowLitersPerMinute), labels);
      emit('cdu_supply_pressure_kpa', readingOf(c.SupplyPressurekPa), labels);
      emit('cdu_return_pressure_kpa', readingOf(c.ReturnPressurekPa), labels);
      emit('cdu_differential_pressure_kpa', readingOf(c.DeltaPressurekPa), labels);
      const heatKw = readingOf(c.HeatRemovedkW);
      emit('cdu_heat_removed_w', heatKw === undefined ? undefined : heatKw * 1000, labels);
    }
    for (const c of primary) {
      const labels = { ...base, connector: labelValue(c.Id) };
      emit('cdu_primary_supply_temp_c', readingOf(c.SupplyTemperatureCelsius), labels);
      emit('cdu_primary_return_temp_c', readingOf(c.ReturnTemperatureCelsius), labels);
      emit('cdu_primary_flow_l_per_min', readingOf(c.FlowLitersPerMinute), labels);
    }
    if (environment) readEnvironment(environment, base);
  };

  const readEnvironment = (env: RedfishObject, base: Record<string, string>) => {
    emit('environment_temp_c', readingOf(env.TemperatureCelsius), base);
    emit('environment_humidity_pct', readingOf(env.HumidityPercent), base);
    emit('chassis_power_w', readingOf(env.PowerWatts), base);
  };

  // --- Chassis: EnvironmentMetrics and the PowerSubsystem's power supplies
  const readChassis = async (chassis: RedfishObject) => {
    const base = { device: deviceOf(chassis), resource: linkOf(chassis, root) ?? '' };
    const [environment, powerSubsystem] = await Promise.all([follow(chassis, 'EnvironmentMetrics'), follow(chassis, 'PowerSubsystem')]);
    if (environment) readEnvironment(environment, base);
    if (!powerSubsystem) return;
    const supplies = await membersOf(powerSubsystem, 'PowerSupplies');
    const supplyMetrics = await mapBounded(supplies, options.concurrency, async (psu) => ({ psu, metrics: await follow(psu, 'Metrics') }));
    for (const { psu, metrics } of supplyMetrics) {
      if (!metrics) continue;
      const labels = { ...base, psu: labelValue(psu.Id) };
      emit('psu_input_power_w', readingOf(metrics.InputPowerWatts), labels);
    }
  };

  const branches: Promise<unknown>[] = [];
  if (powerEquipment) {
    branches.push(
      powerEquipment.then(async (pe) => {
        for (const key of POWER_EQUIPMENT_COLLECTIONS) await mapBounded(await membersOf(pe, key), options.concurrency, readPowerDistribution);
      }),
    );
  }
  if (thermalEquipment) {
    branches.push(
      thermalEquipment.then(async (te) => {
        for (const key of THERMAL_EQUIPMENT_COLLECTIONS) await mapBounded(await membersOf(te, key), options.concurrency, readCoolingUnit);
      }),
    );
  }
  if (chassisLink) branches.push(members(chassisLink).then((list) => mapBounded(list, options.concurrency, readChassis)));
  // allSettled first, so no request is left running unobserved when one branch fails.
  const settled = await Promise.allSettled(branches);
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
  return readings;
}
