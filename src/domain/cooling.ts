/**
 * Cooling math: heat per area, load against capacity, N+1, and cooling headroom per rack for the scheduler.
 *
 * Heat: every watt of IT power becomes a watt of heat. An air-cooled rack rejects all of it to air; a liquid-cooled
 * rack rejects `airFraction` of it to air (default `liquidAirFraction`, 0.15, from the 10-20 % range) and the rest to
 * liquid. All heat, air or liquid, ends at the plant (chillers, dry coolers).
 *
 * Units and media: CRAH, CRAC and rear-door heat exchangers take air heat; CDUs take liquid heat; chillers and dry
 * coolers take the plant load (air + liquid of everything in the areas they serve).
 *
 * Assignment rule (explicit and simple): a rack's heat of one medium goes to the most specific area that has a working
 * unit of that medium serving it: the rack itself (rear door, in-rack CDU), else its row (in-row units), else its hall.
 * Within that area the heat is split between the units serving it in proportion to their capacity. Failed units and
 * units in maintenance serve nothing, so a failed rear door sends its rack's heat to the row or hall units.
 * (Simplification: a rack-level unit is assumed to take all of its rack's heat; if too small, it shows as overloaded
 * rather than spilling the surplus to the room.)
 *
 * Redundancy: units sharing `redundancyGroup` form a group (a unit without one is a group of its own). N+1 holds when
 * the group minus its largest working unit still carries the group's load. Rack headroom keeps N+1 for groups of two or
 * more working units; a one-unit group (a rear door) is held to its plain capacity.
 */

/**
 * A GPU at or above this is a hot spot (the "GPU above 85 °C" alert threshold; H100/H200 slow down near 87-90 °C).
 * Below GPU_WARM_C a GPU runs well inside its limits: the UI shows it as normal, not as heat.
 */
export const GPU_HOT_C = 85;
export const GPU_WARM_C = 70;

export type CoolingUnitKind = 'crah' | 'crac' | 'cdu' | 'rear-door-hx' | 'chiller' | 'dry-cooler';
export type CoolingMedium = 'air' | 'liquid' | 'plant';
export type AreaKind = 'hall' | 'row' | 'rack';
export type CoolingUnitStatus = 'active' | 'failed' | 'maintenance';

export const UNIT_MEDIUM: Record<CoolingUnitKind, CoolingMedium> = {
  crah: 'air',
  crac: 'air',
  'rear-door-hx': 'air',
  cdu: 'liquid',
  chiller: 'plant',
  'dry-cooler': 'plant',
};

export interface AreaRef {
  kind: AreaKind;
  id: string;
}

export interface CoolingUnit {
  id: string;
  name?: string;
  kind: CoolingUnitKind;
  capacityKw: number;
  supplySetpointC?: number | null;
  redundancyGroup?: string | null;
  serves: AreaRef[];
  status?: CoolingUnitStatus;
}

export interface CoolingRack {
  id: string;
  hallId: string;
  rowId?: string | null;
  itPowerW: number;
  liquidCooled?: boolean;
  /** Share of this rack's heat rejected to air, 0-1; overrides the default for its cooling type. */
  airFraction?: number | null;
}

export interface CoolingModel {
  units: CoolingUnit[];
  racks: CoolingRack[];
}

export interface CoolingOptions {
  /** Share of a liquid-cooled rack's heat that still goes to air (default 0.15). */
  liquidAirFraction?: number;
  /** Headroom keeps each group able to lose its largest unit (default true). */
  requireRedundancy?: boolean;
}

export interface CoolingIssue {
  subject: 'unit' | 'rack';
  id: string;
  field: string;
  reason: string;
}

// ---------------------------------------------------------------------------------------------------------------
// ASHRAE TC9.9 inlet classes
// ---------------------------------------------------------------------------------------------------------------

export type AshraeClass = 'recommended' | 'A1' | 'A2' | 'A3' | 'A4' | 'out-of-range';

/** Inlet temperature envelopes in °C (ASHRAE TC9.9): recommended, then the allowable ranges. */
export const ASHRAE_INLET_RANGES_C: ReadonlyArray<{ class: Exclude<AshraeClass, 'out-of-range'>; minC: number; maxC: number }> = [
  { class: 'recommended', minC: 18, maxC: 27 },
  { class: 'A1', minC: 15, maxC: 32 },
  { class: 'A2', minC: 10, maxC: 35 },
  { class: 'A3', minC: 5, maxC: 40 },
  { class: 'A4', minC: 5, maxC: 45 },
];

/** The tightest ASHRAE envelope an inlet temperature falls in. */
export function classifyInletTempC(tempC: number): AshraeClass {
  for (const range of ASHRAE_INLET_RANGES_C) if (tempC >= range.minC && tempC <= range.maxC) return range.class;
  return 'out-of-range';
}

// ---------------------------------------------------------------------------------------------------------------
// Heat
// ---------------------------------------------------------------------------------------------------------------

export const DEFAULT_LIQUID_AIR_FRACTION = 0.15;

export function rackAirFraction(rack: CoolingRack, options: CoolingOptions = {}): number {
  if (typeof rack.airFraction === 'number') return rack.airFraction;
  return rack.liquidCooled ? (options.liquidAirFraction ?? DEFAULT_LIQUID_AIR_FRACTION) : 1;
}

export interface HeatW {
  airW: number;
  liquidW: number;
  totalW: number;
}

/** Heat a rack rejects, by medium. */
export function rackHeatW(rack: CoolingRack, options: CoolingOptions = {}): HeatW {
  const air = rackAirFraction(rack, options);
  return { airW: rack.itPowerW * air, liquidW: rack.itPowerW * (1 - air), totalW: rack.itPowerW };
}

// ---------------------------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------------------------

export function validateCoolingModel(model: CoolingModel): CoolingIssue[] {
  const issues: CoolingIssue[] = [];
  const rackIds = new Set(model.racks.map((r) => r.id));
  const rowIds = new Set(model.racks.map((r) => r.rowId).filter((id): id is string => !!id));
  const hallIds = new Set(model.racks.map((r) => r.hallId));
  const unitIds = new Set<string>();
  for (const unit of model.units) {
    if (unitIds.has(unit.id)) issues.push({ subject: 'unit', id: unit.id, field: 'id', reason: 'duplicate unit id' });
    unitIds.add(unit.id);
    if (!(unit.kind in UNIT_MEDIUM)) issues.push({ subject: 'unit', id: unit.id, field: 'kind', reason: `unknown kind "${unit.kind}"` });
    if (!(Number.isFinite(unit.capacityKw) && unit.capacityKw > 0)) {
      issues.push({ subject: 'unit', id: unit.id, field: 'capacityKw', reason: `must be > 0, got ${unit.capacityKw}` });
    }
    if (unit.serves.length === 0) issues.push({ subject: 'unit', id: unit.id, field: 'serves', reason: 'serves no area' });
    unit.serves.forEach((area, i) => {
      const known = area.kind === 'rack' ? rackIds : area.kind === 'row' ? rowIds : hallIds;
      if (!known.has(area.id)) {
        issues.push({ subject: 'unit', id: unit.id, field: `serves[${i}]`, reason: `no rack in the model is in ${area.kind} "${area.id}"` });
      }
    });
    if (unit.supplySetpointC != null && UNIT_MEDIUM[unit.kind] === 'air' && classifyInletTempC(unit.supplySetpointC) !== 'recommended') {
      issues.push({
        subject: 'unit',
        id: unit.id,
        field: 'supplySetpointC',
        reason: `${unit.supplySetpointC} °C supply air is outside the ASHRAE recommended inlet range 18-27 °C`,
      });
    }
  }
  const seenRacks = new Set<string>();
  for (const rack of model.racks) {
    if (seenRacks.has(rack.id)) issues.push({ subject: 'rack', id: rack.id, field: 'id', reason: 'duplicate rack id' });
    seenRacks.add(rack.id);
    if (!(Number.isFinite(rack.itPowerW) && rack.itPowerW >= 0)) {
      issues.push({ subject: 'rack', id: rack.id, field: 'itPowerW', reason: `must be ≥ 0, got ${rack.itPowerW}` });
    }
    if (rack.airFraction != null && !(rack.airFraction >= 0 && rack.airFraction <= 1)) {
      issues.push({ subject: 'rack', id: rack.id, field: 'airFraction', reason: `must be between 0 and 1, got ${rack.airFraction}` });
    }
  }
  return issues;
}

// ---------------------------------------------------------------------------------------------------------------
// Analysis
// ---------------------------------------------------------------------------------------------------------------

export interface CoolingUnitResult {
  unitId: string;
  medium: CoolingMedium;
  groupId: string;
  active: boolean;
  capacityW: number;
  loadW: number;
  utilizationPct: number | null;
}

export interface CoolingGroupResult {
  groupId: string;
  media: CoolingMedium[];
  unitIds: string[];
  activeUnitIds: string[];
  loadW: number;
  /** Capacity of the working units. */
  capacityW: number;
  largestUnitW: number;
  headroomW: number;
  /** Capacity left after losing the largest working unit, minus the load. */
  redundantHeadroomW: number;
  /** The group can lose its largest working unit and still carry its load. */
  n1Ok: boolean;
  /** How many of its largest units the group can lose in a row and still carry the load. */
  unitsItCanLose: number;
}

export interface CoolingAreaResult {
  area: AreaRef;
  heat: HeatW;
  /** Per medium: heat assigned at this area's level to the units serving it, and their working capacity. */
  byMedium: Partial<Record<CoolingMedium, { assignedW: number; capacityW: number; utilizationPct: number | null }>>;
}

export interface CoolingRackResult {
  rackId: string;
  heat: HeatW;
  /** Heat of a medium that no working unit serves. */
  uncooledW: Partial<Record<CoolingMedium, number>>;
  /** How many more IT watts this rack can take before a serving group runs out (keeping N+1 if required). */
  coolingHeadroomW: number;
  limitedBy: { groupId: string; medium: CoolingMedium } | { uncooled: CoolingMedium } | null;
}

export interface CoolingAnalysis {
  issues: CoolingIssue[];
  units: Record<string, CoolingUnitResult>;
  groups: Record<string, CoolingGroupResult>;
  areas: CoolingAreaResult[];
  racks: Record<string, CoolingRackResult>;
}

const MEDIA: CoolingMedium[] = ['air', 'liquid', 'plant'];
const areaKey = (area: AreaRef) => `${area.kind}:${area.id}`;
const groupOf = (unit: CoolingUnit) => unit.redundancyGroup ?? `unit:${unit.id}`;
const isActive = (unit: CoolingUnit) => (unit.status ?? 'active') === 'active';

function heatOfMedium(heat: HeatW, medium: CoolingMedium): number {
  return medium === 'air' ? heat.airW : medium === 'liquid' ? heat.liquidW : heat.totalW;
}

/** Units of a medium, working, that serve an area. */
function servingUnits(model: CoolingModel, medium: CoolingMedium, area: AreaRef): CoolingUnit[] {
  return model.units.filter(
    (u) => isActive(u) && UNIT_MEDIUM[u.kind] === medium && u.serves.some((s) => s.kind === area.kind && s.id === area.id),
  );
}

/** The area levels a rack's heat can go to, most specific first. */
function rackLevels(rack: CoolingRack): AreaRef[] {
  const levels: AreaRef[] = [{ kind: 'rack', id: rack.id }];
  if (rack.rowId) levels.push({ kind: 'row', id: rack.rowId });
  levels.push({ kind: 'hall', id: rack.hallId });
  return levels;
}

interface Assignment {
  area: AreaRef;
  /** Unit id → share (0-1) of this rack's heat of the medium. */
  shares: Map<string, number>;
}

function assign(model: CoolingModel, rack: CoolingRack, medium: CoolingMedium): Assignment | null {
  for (const area of rackLevels(rack)) {
    const units = servingUnits(model, medium, area);
    if (units.length === 0) continue;
    const total = units.reduce((sum, u) => sum + u.capacityKw, 0);
    return { area, shares: new Map(units.map((u) => [u.id, u.capacityKw / total])) };
  }
  return null;
}

export function analyzeCooling(model: CoolingModel, options: CoolingOptions = {}): CoolingAnalysis {
  const issues = validateCoolingModel(model);
  const requireRedundancy = options.requireRedundancy ?? true;
  const unitLoad = new Map<string, number>(model.units.map((u) => [u.id, 0]));
  const areaAssigned = new Map<string, Partial<Record<CoolingMedium, number>>>();
  const assignments = new Map<string, Partial<Record<CoolingMedium, Assignment | null>>>();
  const heats = new Map<string, HeatW>();

  for (const rack of model.racks) {
    const heat = rackHeatW(rack, options);
    heats.set(rack.id, heat);
    const perMedium: Partial<Record<CoolingMedium, Assignment | null>> = {};
    for (const medium of MEDIA) {
      const w = heatOfMedium(heat, medium);
      const a = assign(model, rack, medium);
      perMedium[medium] = a;
      if (!a || w === 0) continue;
      for (const [unitId, share] of a.shares) unitLoad.set(unitId, (unitLoad.get(unitId) ?? 0) + w * share);
      const key = areaKey(a.area);
      const record = areaAssigned.get(key) ?? {};
      record[medium] = (record[medium] ?? 0) + w;
      areaAssigned.set(key, record);
    }
    assignments.set(rack.id, perMedium);
  }

  const units: Record<string, CoolingUnitResult> = {};
  for (const unit of model.units) {
    const capacityW = isActive(unit) ? unit.capacityKw * 1000 : 0;
    const loadW = unitLoad.get(unit.id) ?? 0;
    units[unit.id] = {
      unitId: unit.id,
      medium: UNIT_MEDIUM[unit.kind],
      groupId: groupOf(unit),
      active: isActive(unit),
      capacityW,
      loadW,
      utilizationPct: capacityW > 0 ? (loadW / capacityW) * 100 : null,
    };
  }

  const groups: Record<string, CoolingGroupResult> = {};
  for (const unit of model.units) {
    const id = groupOf(unit);
    const members = model.units.filter((u) => groupOf(u) === id);
    if (groups[id]) continue;
    const active = members.filter(isActive);
    const capacities = active.map((u) => u.capacityKw * 1000).sort((a, b) => b - a);
    const capacityW = capacities.reduce((a, b) => a + b, 0);
    const loadW = members.reduce((sum, u) => sum + (unitLoad.get(u.id) ?? 0), 0);
    const largestUnitW = capacities[0] ?? 0;
    let remaining = capacityW;
    let unitsItCanLose = 0;
    for (const c of capacities) {
      if (remaining - c >= loadW && remaining - c > 0) {
        remaining -= c;
        unitsItCanLose++;
      } else break;
    }
    groups[id] = {
      groupId: id,
      media: [...new Set(members.map((u) => UNIT_MEDIUM[u.kind]))],
      unitIds: members.map((u) => u.id),
      activeUnitIds: active.map((u) => u.id),
      loadW,
      capacityW,
      largestUnitW,
      headroomW: capacityW - loadW,
      redundantHeadroomW: capacityW - largestUnitW - loadW,
      n1Ok: capacityW - largestUnitW >= loadW && active.length > 1,
      unitsItCanLose,
    };
  }

  // Areas: every area a unit serves or a rack belongs to.
  const areaRefs = new Map<string, AreaRef>();
  for (const rack of model.racks) for (const area of rackLevels(rack)) areaRefs.set(areaKey(area), area);
  for (const unit of model.units) for (const area of unit.serves) areaRefs.set(areaKey(area), area);
  const areas: CoolingAreaResult[] = [...areaRefs.values()].map((area) => {
    const inside = model.racks.filter((r) => rackLevels(r).some((a) => a.kind === area.kind && a.id === area.id));
    const heat = inside.reduce<HeatW>(
      (sum, r) => {
        const h = heats.get(r.id)!;
        return { airW: sum.airW + h.airW, liquidW: sum.liquidW + h.liquidW, totalW: sum.totalW + h.totalW };
      },
      { airW: 0, liquidW: 0, totalW: 0 },
    );
    const byMedium: CoolingAreaResult['byMedium'] = {};
    for (const medium of MEDIA) {
      const serving = servingUnits(model, medium, area);
      const assignedW = areaAssigned.get(areaKey(area))?.[medium] ?? 0;
      if (serving.length === 0 && assignedW === 0) continue;
      const capacityW = serving.reduce((sum, u) => sum + u.capacityKw * 1000, 0);
      byMedium[medium] = { assignedW, capacityW, utilizationPct: capacityW > 0 ? (assignedW / capacityW) * 100 : null };
    }
    return { area, heat, byMedium };
  });

  const racks: Record<string, CoolingRackResult> = {};
  for (const rack of model.racks) {
    const heat = heats.get(rack.id)!;
    const uncooledW: CoolingRackResult['uncooledW'] = {};
    let headroom = Number.POSITIVE_INFINITY;
    let limitedBy: CoolingRackResult['limitedBy'] = null;
    const airFraction = rackAirFraction(rack, options);
    for (const medium of MEDIA) {
      const fraction = medium === 'air' ? airFraction : medium === 'liquid' ? 1 - airFraction : 1;
      if (fraction <= 0) continue;
      const a = assignments.get(rack.id)?.[medium] ?? null;
      if (!a) {
        uncooledW[medium] = heatOfMedium(heat, medium);
        if (headroom > 0 || limitedBy === null) {
          headroom = 0;
          limitedBy = { uncooled: medium };
        }
        continue;
      }
      // Share of one extra IT watt that lands on each group.
      const groupShare = new Map<string, number>();
      for (const [unitId, share] of a.shares) {
        const g = units[unitId].groupId;
        groupShare.set(g, (groupShare.get(g) ?? 0) + share * fraction);
      }
      for (const [groupId, share] of groupShare) {
        const g = groups[groupId];
        // A one-unit group (a rear door, an in-rack CDU) cannot be N+1; it is held to its plain capacity.
        const keepRedundancy = requireRedundancy && g.activeUnitIds.length > 1;
        const room = (keepRedundancy ? g.redundantHeadroomW : g.headroomW) / share;
        if (room < headroom) {
          headroom = room;
          limitedBy = { groupId, medium };
        }
      }
    }
    racks[rack.id] = {
      rackId: rack.id,
      heat,
      uncooledW,
      coolingHeadroomW: Number.isFinite(headroom) ? headroom : 0,
      limitedBy,
    };
  }

  return { issues, units, groups, areas, racks };
}

/** Cooling headroom in IT watts for one rack (see analyzeCooling). Pass an analysis to reuse it across racks. */
export function rackCoolingHeadroomW(rackId: string, model: CoolingModel, analysis?: CoolingAnalysis, options?: CoolingOptions): number {
  const result = (analysis ?? analyzeCooling(model, options)).racks[rackId];
  if (!result) throw new Error(`unknown rack "${rackId}"`);
  return result.coolingHeadroomW;
}
