/**
 * Capacity planning: headroom per rack (space, power, cooling, weight, ports), stranded capacity, and the two
 * what-ifs planners ask — "where can N more of this device go?" and "what happens if this unit fails?".
 * Pure: works on the power chain and cooling models (./power, ./cooling) and rack placements (./rack).
 */
import { analyzeCooling, type CoolingAnalysis, type CoolingModel } from './cooling';
import { analyzePowerChain, type PowerAnalysis, type PowerChain, simulateFailure } from './power';
import { freeSpans, positionsThatFit, type RackPlacement } from './rack';
import { formatPowerW } from './units';

export type CapacityRack = {
  id: string;
  name: string;
  rowId: string;
  rowName: string;
  hallId: string;
  hallName: string;
  heightU: number;
  maxWeightKg: number;
  placements: RackPlacement[];
  /** Unconnected switch ports in the rack, by speed in Gb/s. */
  freePortsByGbps: Record<string, number>;
  /** Rack PDU outlets with no PSU plugged in (rack PDUs whose outlet count is recorded). */
  freeOutlets: number;
  /** Planned or decommissioned racks take no new equipment. */
  acceptsEquipment: boolean;
  /**
   * This rack's stranding yardstick, where it differs from the site's: the smallest server placed in racks cooled the
   * way this one is (a liquid-cooled TPU tray is no yardstick for an air-cooled rack).
   */
  strandThresholdW?: number;
};

export type CapacityModel = {
  racks: CapacityRack[];
  chain: PowerChain;
  cooling: CoolingModel;
  /** Usable power below which a rack's free space and ports are stranded (strandThresholdW); default DEFAULT_STRAND_THRESHOLD_W. */
  strandThresholdW?: number;
  /** The yardstick per cooling class of rack (the racks' own `strandThresholdW`), for display. */
  strandThresholdByCoolingW?: Partial<Record<'air' | 'liquid', number>>;
};

/**
 * Below this much usable power a rack's free space counts as stranded when the site has no server types to measure
 * against. With servers on the site, the threshold is the smallest server's nameplate (strandThresholdW).
 */
export const DEFAULT_STRAND_THRESHOLD_W = 1_000;

/**
 * The stranding rule: a rack's free U (and its free switch ports and rack PDU outlets) are stranded when its usable power — the tighter of
 * power headroom (A/B failover kept) and cooling headroom (N+1 kept) — cannot power even the smallest standard server
 * of the site, i.e. the lowest nameplate power among the server types placed on the site, counting for each rack only
 * the servers placed in racks cooled the same way (air or liquid: a liquid-cooled tray cannot go into an air rack).
 * Without server types on the site, DEFAULT_STRAND_THRESHOLD_W.
 */
export function strandThresholdW(serverNameplatesW: Iterable<number>): number {
  let smallest = Number.POSITIVE_INFINITY;
  for (const w of serverNameplatesW) if (w > 0 && w < smallest) smallest = w;
  return Number.isFinite(smallest) ? smallest : DEFAULT_STRAND_THRESHOLD_W;
}

export type RackHeadroom = {
  rackId: string;
  name: string;
  rowName: string;
  hallName: string;
  freeU: number;
  largestFreeSpanU: number;
  powerHeadroomW: number;
  coolingHeadroomW: number;
  weightHeadroomKg: number;
  freePortsByGbps: Record<string, number>;
  freeOutlets: number;
  /** What can really be used: the tighter of power and cooling headroom, never below 0. */
  usablePowerW: number;
  /** The usable power below which this rack's free space and ports count as stranded. */
  strandThresholdW: number;
  stranded: {
    /** Free rack units in a rack whose usable power cannot power the smallest server (the stranding rule). */
    spaceWithoutPowerU: number;
    /** Free switch ports in such a rack, by speed in Gb/s. */
    portsWithoutPowerByGbps: Record<string, number>;
    /** Free rack PDU outlets in such a rack. */
    outletsWithoutPower: number;
    /** Power headroom the cooling cannot remove. */
    powerWithoutCoolingW: number;
    /** Usable power in a rack with no free space. */
    powerWithoutSpaceW: number;
  };
};

function weightKg(placements: RackPlacement[]): number {
  return placements.reduce((sum, p) => sum + (p.weightKg ?? 0), 0);
}

function frontFreeU(rack: CapacityRack): { freeU: number; largestFreeSpanU: number } {
  const spans = freeSpans({ heightU: rack.heightU }, rack.placements, 'front');
  return { freeU: spans.reduce((sum, s) => sum + s.heightU, 0), largestFreeSpanU: spans.reduce((max, s) => Math.max(max, s.heightU), 0) };
}

/** `overrideThresholdW`, when given, is the one yardstick for every rack (an operator's what-if); else each rack's own. */
export function rackHeadrooms(model: CapacityModel, power: PowerAnalysis, cooling: CoolingAnalysis, overrideThresholdW?: number): RackHeadroom[] {
  return model.racks.map((rack) => {
    const thresholdW = overrideThresholdW ?? rack.strandThresholdW ?? model.strandThresholdW ?? DEFAULT_STRAND_THRESHOLD_W;
    const powerHeadroomW = power.ok ? (power.racks[rack.id]?.powerHeadroomW ?? 0) : 0;
    const coolingHeadroomW = cooling.racks[rack.id]?.coolingHeadroomW ?? 0;
    const usablePowerW = Math.max(0, Math.min(powerHeadroomW, coolingHeadroomW));
    const { freeU, largestFreeSpanU } = frontFreeU(rack);
    const stranded = usablePowerW < thresholdW;
    return {
      rackId: rack.id,
      name: rack.name,
      rowName: rack.rowName,
      hallName: rack.hallName,
      freeU,
      largestFreeSpanU,
      powerHeadroomW,
      coolingHeadroomW,
      weightHeadroomKg: rack.maxWeightKg - weightKg(rack.placements),
      freePortsByGbps: rack.freePortsByGbps,
      freeOutlets: rack.freeOutlets,
      usablePowerW,
      strandThresholdW: thresholdW,
      stranded: {
        spaceWithoutPowerU: stranded ? freeU : 0,
        portsWithoutPowerByGbps: stranded ? { ...rack.freePortsByGbps } : {},
        outletsWithoutPower: stranded ? rack.freeOutlets : 0,
        powerWithoutCoolingW: Math.max(0, powerHeadroomW - Math.max(0, coolingHeadroomW)),
        powerWithoutSpaceW: freeU === 0 ? usablePowerW : 0,
      },
    };
  });
}

export type HeadroomTotals = {
  key: string;
  racks: number;
  freeU: number;
  powerHeadroomW: number;
  usablePowerW: number;
  freePortsByGbps: Record<string, number>;
  freeOutlets: number;
  stranded: RackHeadroom['stranded'];
};

/** Sums rack headrooms by row, hall or site. Power sums are upper bounds: racks share upstream capacity. */
export function totalHeadroom(racks: RackHeadroom[], groupBy: 'row' | 'hall' | 'site'): HeadroomTotals[] {
  const groups = new Map<string, HeadroomTotals>();
  for (const rack of racks) {
    const key = groupBy === 'row' ? `${rack.hallName} / ${rack.rowName}` : groupBy === 'hall' ? rack.hallName : 'site';
    const total = groups.get(key) ?? {
      key,
      racks: 0,
      freeU: 0,
      powerHeadroomW: 0,
      usablePowerW: 0,
      freePortsByGbps: {},
      freeOutlets: 0,
      stranded: { spaceWithoutPowerU: 0, portsWithoutPowerByGbps: {}, outletsWithoutPower: 0, powerWithoutCoolingW: 0, powerWithoutSpaceW: 0 },
    };
    total.racks++;
    total.freeU += rack.freeU;
    total.powerHeadroomW += Math.max(0, rack.powerHeadroomW);
    total.usablePowerW += rack.usablePowerW;
    for (const [speed, count] of Object.entries(rack.freePortsByGbps)) total.freePortsByGbps[speed] = (total.freePortsByGbps[speed] ?? 0) + count;
    total.freeOutlets += rack.freeOutlets;
    total.stranded.spaceWithoutPowerU += rack.stranded.spaceWithoutPowerU;
    total.stranded.outletsWithoutPower += rack.stranded.outletsWithoutPower;
    for (const [speed, count] of Object.entries(rack.stranded.portsWithoutPowerByGbps))
      total.stranded.portsWithoutPowerByGbps[speed] = (total.stranded.portsWithoutPowerByGbps[speed] ?? 0) + count;
    total.stranded.powerWithoutCoolingW += rack.stranded.powerWithoutCoolingW;
    total.stranded.powerWithoutSpaceW += rack.stranded.powerWithoutSpaceW;
    groups.set(key, total);
  }
  return [...groups.values()];
}

// ---------------------------------------------------------------------------------------------------------------
// Adding load to one rack: the check the device forms and the what-if share
// ---------------------------------------------------------------------------------------------------------------

export type RackAdditionCheck = {
  rackId: string;
  addedW: number;
  /** What the rack may still take: its budget, every upstream node, in the normal state and every A/B failover scenario. */
  powerHeadroomW: number;
  /** What the cooling serving it may still remove with N+1 kept. */
  coolingHeadroomW: number;
  /** The first limit the addition breaks, or null when it fits. */
  blocker: 'power' | 'cooling' | null;
  /** In words: what limits the rack (the budget, or which node in which scenario; which cooling group). */
  reason: string | null;
};

/**
 * Whether `addedW` more watts fit in a rack, through the same power-chain and cooling analyses as the capacity what-if.
 * `names` turns node and group ids into names for the reason.
 */
export function checkRackAddition(
  model: Pick<CapacityModel, 'chain' | 'cooling'>,
  rackId: string,
  addedW: number,
  power: PowerAnalysis = analyzePowerChain(model.chain),
  cooling: CoolingAnalysis = analyzeCooling(model.cooling),
  names: { powerNodes?: Map<string, string>; rack?: string } = {},
): RackAdditionCheck {
  const rack = power.ok ? power.racks[rackId] : undefined;
  const powerHeadroomW = rack?.powerHeadroomW ?? 0;
  const coolingRack = cooling.racks[rackId];
  const coolingHeadroomW = coolingRack?.coolingHeadroomW ?? 0;
  const rackName = names.rack ?? `rack ${rackId}`;
  const needs = `needs ${formatPowerW(addedW)}`;
  if (powerHeadroomW < addedW) {
    let limit = 'no power data for the rack (no rack PDUs or budget)';
    if (!power.ok) limit = `the power chain has errors: ${power.issues.map((i) => `${i.subject} ${i.id} ${i.field}: ${i.reason}`).join('; ')}`;
    else if (rack?.powerHeadroomLimitedBy.kind === 'rack-budget') limit = `its budget of ${formatPowerW(rack.budgetW)} (load ${formatPowerW(rack.loadW)})`;
    else if (rack?.powerHeadroomLimitedBy.kind === 'node') {
      const { nodeId, scenarioId } = rack.powerHeadroomLimitedBy;
      const scenario = power.scenarios.find((sc) => sc.id === scenarioId);
      limit = `${names.powerNodes?.get(nodeId) ?? `power node ${nodeId}`}${scenario ? ` when ${scenario.label}` : ''}`;
    }
    return { rackId, addedW, powerHeadroomW, coolingHeadroomW, blocker: 'power', reason: `${needs}, but ${rackName} has ${formatPowerW(Math.max(0, powerHeadroomW))} of power headroom, limited by ${limit}` };
  }
  if (coolingHeadroomW < addedW) {
    const limitedBy = coolingRack?.limitedBy;
    const limit = !limitedBy ? 'no cooling unit serving it' : 'groupId' in limitedBy ? `cooling group ${limitedBy.groupId} (${limitedBy.medium}, N+1 kept)` : `no ${limitedBy.uncooled} cooling serving it`;
    return { rackId, addedW, powerHeadroomW, coolingHeadroomW, blocker: 'cooling', reason: `${needs}, but ${rackName} has ${formatPowerW(Math.max(0, coolingHeadroomW))} of cooling headroom, limited by ${limit}` };
  }
  return { rackId, addedW, powerHeadroomW, coolingHeadroomW, blocker: null, reason: null };
}

// ---------------------------------------------------------------------------------------------------------------
// What-if placement
// ---------------------------------------------------------------------------------------------------------------

export type NewDevice = { heightU: number; isFullDepth: boolean; weightKg: number; powerW: number; psuCount: number };
export type PlacementBlocker = 'not accepting equipment' | 'space' | 'weight' | 'power' | 'cooling';
export type WhatIfPlacement = {
  requested: number;
  placed: { rackId: string; rackName: string; positionsU: number[] }[];
  placedCount: number;
  unplaced: number;
  /** For racks that could take no more: the constraint that stopped them, counted over racks. */
  blockers: Partial<Record<PlacementBlocker, number>>;
  explanation: string;
};

/**
 * Places `count` copies of a device one at a time into the given racks (fullest usable rack first, to avoid
 * fragmenting space), re-running the power and cooling analyses after each so shared upstream capacity
 * (PDUs, UPS, cooling groups, failover) is respected. Nothing is written; the input model is not changed.
 */
export function whatIfPlacement(model: CapacityModel, rackIds: string[], device: NewDevice, count: number): WhatIfPlacement {
  const chain: PowerChain = { ...model.chain, devices: [...model.chain.devices] };
  const cooling: CoolingModel = { ...model.cooling, racks: model.cooling.racks.map((r) => ({ ...r })) };
  const racks = new Map(model.racks.map((rack) => [rack.id, { ...rack, placements: [...rack.placements] }]));
  const placed = new Map<string, number[]>();
  const blocked = new Map<string, PlacementBlocker>();
  let power = analyzePowerChain(chain);
  let coolingAnalysis = analyzeCooling(cooling);

  const blockerOf = (rackId: string): { blocker: PlacementBlocker } | { positionU: number } => {
    const rack = racks.get(rackId)!;
    if (!rack.acceptsEquipment) return { blocker: 'not accepting equipment' };
    const positions = positionsThatFit({ heightU: rack.heightU }, rack.placements, { heightU: device.heightU, face: 'front', isFullDepth: device.isFullDepth });
    if (positions.length === 0) return { blocker: 'space' };
    if (weightKg(rack.placements) + device.weightKg > rack.maxWeightKg) return { blocker: 'weight' };
    const headroom = checkRackAddition({ chain, cooling }, rackId, device.powerW, power, coolingAnalysis);
    if (headroom.blocker) return { blocker: headroom.blocker };
    return { positionU: positions[0]! };
  };

  let placedCount = 0;
  for (let n = 0; n < count; n++) {
    const candidates = rackIds
      .filter((id) => racks.has(id) && !blocked.has(id))
      .sort((a, b) => (power.ok ? (power.racks[a]?.powerHeadroomW ?? 0) - (power.racks[b]?.powerHeadroomW ?? 0) : 0));
    let done = false;
    for (const rackId of candidates) {
      const verdict = blockerOf(rackId);
      if ('blocker' in verdict) {
        blocked.set(rackId, verdict.blocker);
        continue;
      }
      const rack = racks.get(rackId)!;
      const id = `what-if-${n}`;
      rack.placements.push({ id, positionU: verdict.positionU, heightU: device.heightU, face: 'front', isFullDepth: device.isFullDepth, weightKg: device.weightKg });
      const pdus = chain.nodes.filter((node) => node.kind === 'rack-pdu' && node.rackId === rackId);
      // Cabled like the rest: PSUs spread over the rack's PDUs (A/B alternately).
      chain.devices.push({ id, rackId, nameplateW: device.powerW, psus: Array.from({ length: Math.max(1, device.psuCount) }, (_, i) => ({ rackPduId: pdus[i % Math.max(1, pdus.length)]?.id ?? '' })).filter((p) => p.rackPduId) });
      const coolingRack = cooling.racks.find((r) => r.id === rackId);
      if (coolingRack) coolingRack.itPowerW += device.powerW;
      power = analyzePowerChain(chain);
      coolingAnalysis = analyzeCooling(cooling);
      placed.set(rackId, [...(placed.get(rackId) ?? []), verdict.positionU]);
      placedCount++;
      done = true;
      break;
    }
    if (!done) break;
  }
  for (const rackId of rackIds) {
    if (!blocked.has(rackId) && racks.has(rackId)) {
      const verdict = blockerOf(rackId);
      if ('blocker' in verdict) blocked.set(rackId, verdict.blocker);
    }
  }
  const blockers: Partial<Record<PlacementBlocker, number>> = {};
  for (const blocker of blocked.values()) blockers[blocker] = (blockers[blocker] ?? 0) + 1;
  const unplaced = count - placedCount;
  const reasons = Object.entries(blockers)
    .sort((a, b) => b[1] - a[1])
    .map(([blocker, racksBlocked]) => `${racksBlocked} ${blocker}`)
    .join(', ');
  return {
    requested: count,
    placed: [...placed].map(([rackId, positionsU]) => ({ rackId, rackName: racks.get(rackId)!.name, positionsU })),
    placedCount,
    unplaced,
    blockers,
    explanation: unplaced === 0 ? `all ${count} placed in ${placed.size} rack(s)` : `${placedCount}/${count} placed; ${rackIds.length} racks full: ${reasons || 'no racks in the area'}`,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Failure what-if
// ---------------------------------------------------------------------------------------------------------------

export type WhatIfFailure = {
  power: { overloads: { nodeId: string; loadW: number; capacityW: number; overByW: number }[]; unpoweredRackIds: string[]; unpoweredDeviceIds: string[] } | null;
  cooling: { groupsLosingRedundancy: string[]; groupsOverloaded: string[]; overheatingRackIds: string[] };
  /** Racks that lose power or cooling: the jobs on them are the ones affected. */
  affectedRackIds: string[];
};

/** What happens if these power nodes and cooling units fail: overloads, dark devices, racks without enough cooling. */
export function whatIfFailure(model: CapacityModel, failedPowerNodeIds: string[], failedCoolingUnitIds: string[]): WhatIfFailure {
  let power: WhatIfFailure['power'] = null;
  if (failedPowerNodeIds.length > 0) {
    const scenario = simulateFailure(model.chain, failedPowerNodeIds);
    const rackOfDevice = new Map(model.chain.devices.map((d) => [d.id, d.rackId]));
    power = {
      overloads: scenario.overloads.map(({ nodeId, loadW, capacityW, overByW }) => ({ nodeId, loadW, capacityW, overByW })),
      unpoweredDeviceIds: scenario.unpoweredDeviceIds,
      unpoweredRackIds: [...new Set(scenario.unpoweredDeviceIds.map((id) => rackOfDevice.get(id)!).filter(Boolean))],
    };
  }
  const before = analyzeCooling(model.cooling);
  const failed = new Set(failedCoolingUnitIds);
  const withFailures: CoolingModel = { ...model.cooling, units: model.cooling.units.map((u) => (failed.has(u.id) ? { ...u, status: 'failed' as const } : u)) };
  const after = analyzeCooling(withFailures);
  const groupsLosingRedundancy = Object.values(after.groups)
    .filter((g) => !g.n1Ok && before.groups[g.groupId]?.n1Ok)
    .map((g) => g.groupId);
  const groupsOverloaded = Object.values(after.groups)
    .filter((g) => g.loadW > g.capacityW)
    .map((g) => g.groupId);
  // A rack overheats when the working units serving it cannot remove its heat: no redundancy needed for that.
  const plain = analyzeCooling(withFailures, { requireRedundancy: false });
  const overheatingRackIds = Object.values(plain.racks)
    .filter((r) => r.coolingHeadroomW < 0 || Object.values(r.uncooledW).some((w) => (w ?? 0) > 0))
    .map((r) => r.rackId);
  return {
    power,
    cooling: { groupsLosingRedundancy, groupsOverloaded, overheatingRackIds },
    affectedRackIds: [...new Set([...(power?.unpoweredRackIds ?? []), ...overheatingRackIds])],
  };
}
