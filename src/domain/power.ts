/**
 * The power chain as a graph, and the one place where derived power values are computed.
 *
 * Model
 * -----
 * Nodes, from the source down: utility-feed and generator (roots), ats / switchgear, ups, pdu (floor PDU or RPP),
 * power-feed (a circuit, rated like a NetBox PowerFeed), rack-pdu. Each node lists its `parentIds` in order of
 * preference: the first live parent carries the node's load; the others are standby sources (an ATS choosing between
 * utility and generator, a UPS with a bypass). Load is never split between parents of one node.
 * A/B redundancy is expressed by `side` on a node (inherited by everything below it through the primary parent) and
 * by devices whose PSUs plug into rack PDUs of both sides. A device shares its load equally between the PSUs whose
 * rack PDU is live; if one side fails, the surviving PSUs carry all of it.
 *
 * Load basis (the rule used for headroom and utilisation)
 * -------------------------------------------------------
 * Per device, `measuredW` when telemetry provides it, else `allocatedW` (what the scheduler has committed for the
 * jobs placed there, including the idle floor the caller chooses to add), else `nameplateW`. The rule is per device,
 * so a rack can mix bases; results report how many devices used each. The option `basisRule: 'max-measured-allocated'`
 * uses the larger of measured and allocated when both exist (a job that has been placed but not yet ramped up does
 * not free its allocation).
 *
 * Capacity
 * --------
 * `capacityKw`, or a `circuit` (V × A × √3 for three-phase × maxUtilizationPct / 100, default 80 %, voltage
 * line-to-line for three-phase, power factor 1), or the smaller of the two when both are given. A UPS's capacity is its
 * output rating. Loads are compared against capacity at the node's output; the node's parent sees the node's input,
 * which includes its conversion losses (a UPS efficiency curve, or a fixed efficiency such as a transformer PDU).
 *
 * Failover
 * --------
 * Scenarios: "side A lost" and "side B lost" (every node whose effective side is that side fails), and for every node
 * with a standby parent, "loss of <its primary parent>" (e.g. utility lost, the ATS transfers to the generator). In each
 * scenario the loads are re-routed and every live node is compared with its capacity. A node's failover-adjusted
 * headroom is its smallest headroom over the normal state and all scenarios.
 *
 * Rack headroom for the scheduler
 * -------------------------------
 * `rackPowerHeadroomW` answers "how many more watts can this rack take": the minimum of the rack budget's headroom
 * and, for every upstream node in every scenario, (capacity − load) divided by the share of one extra watt in the rack
 * that reaches that node (0.5 on each side normally for a dual-corded rack, 1 on the surviving side in a failover,
 * a little more than 1 upstream of a UPS because of its losses). The extra watt is assumed to be cabled like a new
 * dual-corded device: split evenly between the rack's live sides, and evenly between the live rack PDUs of a side.
 * Losses use each converter's efficiency at its current load (a marginal approximation; conservative for the usual
 * curves whose efficiency rises with load).
 */

import { circuitPowerW, kwToW, type Phase } from './units';

export type PowerNodeKind = 'utility-feed' | 'generator' | 'ats' | 'switchgear' | 'ups' | 'pdu' | 'power-feed' | 'rack-pdu';
export const POWER_NODE_KINDS: readonly PowerNodeKind[] = [
  'utility-feed',
  'generator',
  'ats',
  'switchgear',
  'ups',
  'pdu',
  'power-feed',
  'rack-pdu',
];
export type PowerSide = 'A' | 'B';

export interface CircuitRating {
  voltageV: number;
  amperageA: number;
  phase: Phase;
  /** Continuous-load limit as % of the rating; NetBox PowerFeed default 80. */
  maxUtilizationPct?: number;
}

export interface EfficiencyPoint {
  /** Output load as % of the unit's capacity. */
  loadPct: number;
  efficiencyPct: number;
}

export interface PowerNode {
  id: string;
  name?: string;
  kind: PowerNodeKind;
  /** Upstream sources in order of preference (first live one carries the load). Empty for roots. */
  parentIds: string[];
  capacityKw?: number | null;
  circuit?: CircuitRating | null;
  /** Redundancy side; inherited downstream through the primary parent when not set. */
  side?: PowerSide | null;
  /** For rack-pdu: the rack it is mounted in. */
  rackId?: string | null;
  /** Efficiency in % (a constant) or a curve over load %. UPS nodes default to DEFAULT_UPS_EFFICIENCY_CURVE. */
  efficiency?: number | EfficiencyPoint[] | null;
}

export interface PsuConnection {
  name?: string;
  rackPduId: string;
  /** The side the PSU is labelled with, if recorded; checked against the rack PDU's side. */
  side?: PowerSide | null;
}

export interface DeviceLoad {
  id: string;
  name?: string;
  rackId: string;
  nameplateW: number;
  allocatedW?: number | null;
  measuredW?: number | null;
  psus: PsuConnection[];
}

export interface RackPowerBudget {
  id: string;
  name?: string;
  /** The power the rack is designed or contracted for; null when only the rack PDUs limit it. */
  powerBudgetW?: number | null;
}

export interface PowerChain {
  nodes: PowerNode[];
  racks: RackPowerBudget[];
  devices: DeviceLoad[];
}

export type LoadBasis = 'measured' | 'allocated' | 'nameplate';
export type BasisRule = 'measured-first' | 'max-measured-allocated';

export interface PowerAnalysisOptions {
  basisRule?: BasisRule;
}

export interface PowerChainIssue {
  severity: 'error' | 'warning';
  subject: 'node' | 'device' | 'rack';
  id: string;
  field: string;
  reason: string;
}

export function formatPowerChainIssue(issue: PowerChainIssue): string {
  return `${issue.subject} ${issue.id}: ${issue.field}: ${issue.reason}`;
}

export class PowerChainError extends Error {
  readonly issues: PowerChainIssue[];
  constructor(issues: PowerChainIssue[]) {
    super(`invalid power chain:\n${issues.map(formatPowerChainIssue).join('\n')}`);
    this.name = 'PowerChainError';
    this.issues = issues;
  }
}

/**
 * Typical modern double-conversion UPS: ~85 % at 10 % load, ~93 % at 25 %, ~95.5-96 % from half load up
 * (REFERENCE-NUMBERS: 94-97 % near rated load, ~85 % at 20-25 % on older units). Override per unit from its datasheet.
 */
export const DEFAULT_UPS_EFFICIENCY_CURVE: readonly EfficiencyPoint[] = [
  { loadPct: 10, efficiencyPct: 85 },
  { loadPct: 25, efficiencyPct: 93 },
  { loadPct: 50, efficiencyPct: 95.5 },
  { loadPct: 75, efficiencyPct: 96 },
  { loadPct: 100, efficiencyPct: 96 },
];

export const DEFAULT_MAX_UTILIZATION_PCT = 80;

/** NetBox PowerFeed available power: V × A × (√3 if three-phase) × maxUtilization %. */
export function feedAvailablePowerW(circuit: CircuitRating): number {
  const pct = circuit.maxUtilizationPct ?? DEFAULT_MAX_UTILIZATION_PCT;
  return (circuitPowerW(circuit.voltageV, circuit.amperageA, circuit.phase) * pct) / 100;
}

/** A node's capacity in W, or null when it has none (an invalid chain). */
export function nodeCapacityW(node: PowerNode): number | null {
  const values: number[] = [];
  if (typeof node.capacityKw === 'number') values.push(kwToW(node.capacityKw));
  if (node.circuit) values.push(feedAvailablePowerW(node.circuit));
  return values.length === 0 ? null : Math.min(...values);
}

/** Piecewise-linear efficiency (%) at a load (% of capacity), held flat beyond the first and last points. */
export function efficiencyAtPct(curve: readonly EfficiencyPoint[], loadPct: number): number {
  const points = [...curve].sort((a, b) => a.loadPct - b.loadPct);
  if (points.length === 0) return 100;
  if (loadPct <= points[0].loadPct) return points[0].efficiencyPct;
  for (let i = 1; i < points.length; i++) {
    const lo = points[i - 1];
    const hi = points[i];
    if (loadPct <= hi.loadPct) {
      const t = (loadPct - lo.loadPct) / (hi.loadPct - lo.loadPct);
      return lo.efficiencyPct + t * (hi.efficiencyPct - lo.efficiencyPct);
    }
  }
  return points[points.length - 1].efficiencyPct;
}

/** The load a device contributes under the basis rule, and which basis that was. */
export function deviceLoadBasis(
  device: Pick<DeviceLoad, 'nameplateW' | 'allocatedW' | 'measuredW'>,
  rule: BasisRule = 'measured-first',
): { loadW: number; basis: LoadBasis } {
  const measured = finite(device.measuredW);
  const allocated = finite(device.allocatedW);
  if (measured !== null) {
    if (rule === 'max-measured-allocated' && allocated !== null && allocated > measured) {
      return { loadW: allocated, basis: 'allocated' };
    }
    return { loadW: measured, basis: 'measured' };
  }
  if (allocated !== null) return { loadW: allocated, basis: 'allocated' };
  return { loadW: device.nameplateW, basis: 'nameplate' };
}

function finite(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

// ---------------------------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------------------------

const ROOT_KINDS: ReadonlySet<PowerNodeKind> = new Set(['utility-feed', 'generator']);

/** Which kinds may feed which. */
const ALLOWED_PARENTS: Record<PowerNodeKind, ReadonlySet<PowerNodeKind>> = {
  'utility-feed': new Set(),
  generator: new Set(),
  ats: new Set(['utility-feed', 'generator', 'ats', 'switchgear', 'ups']),
  switchgear: new Set(['utility-feed', 'generator', 'ats', 'switchgear', 'ups']),
  ups: new Set(['utility-feed', 'generator', 'ats', 'switchgear', 'pdu']),
  pdu: new Set(['utility-feed', 'generator', 'ats', 'switchgear', 'ups', 'pdu']),
  'power-feed': new Set(['ats', 'switchgear', 'ups', 'pdu']),
  'rack-pdu': new Set(['power-feed', 'pdu', 'ups']),
};

function validPositive(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

function validNonNegative(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/** All problems with a chain: errors make it unusable for analysis, warnings are data gaps worth showing. */
export function validatePowerChain(chain: PowerChain): PowerChainIssue[] {
  const issues: PowerChainIssue[] = [];
  const nodeIssue = (id: string, field: string, reason: string, severity: 'error' | 'warning' = 'error') =>
    issues.push({ severity, subject: 'node', id, field, reason });
  const deviceIssue = (id: string, field: string, reason: string, severity: 'error' | 'warning' = 'error') =>
    issues.push({ severity, subject: 'device', id, field, reason });

  const nodes = new Map<string, PowerNode>();
  for (const node of chain.nodes) {
    if (nodes.has(node.id)) nodeIssue(node.id, 'id', 'duplicate node id');
    nodes.set(node.id, node);
  }
  const rackIds = new Set<string>();
  for (const rack of chain.racks) {
    if (rackIds.has(rack.id)) issues.push({ severity: 'error', subject: 'rack', id: rack.id, field: 'id', reason: 'duplicate rack id' });
    rackIds.add(rack.id);
    if (rack.powerBudgetW != null && !validNonNegative(rack.powerBudgetW)) {
      issues.push({ severity: 'error', subject: 'rack', id: rack.id, field: 'powerBudgetW', reason: `must be a number ≥ 0, got ${rack.powerBudgetW}` });
    }
  }

  for (const node of nodes.values()) {
    if (!POWER_NODE_KINDS.includes(node.kind)) {
      nodeIssue(node.id, 'kind', `unknown kind "${node.kind}" (expected one of ${POWER_NODE_KINDS.join(', ')})`);
      continue;
    }
    // Parents
    if (ROOT_KINDS.has(node.kind)) {
      if (node.parentIds.length > 0) nodeIssue(node.id, 'parentIds', `a ${node.kind} is a source and cannot have parents`);
    } else if (node.parentIds.length === 0) {
      nodeIssue(node.id, 'parentIds', `a ${node.kind} needs at least one upstream source`);
    }
    const seenParents = new Set<string>();
    for (const parentId of node.parentIds) {
      if (seenParents.has(parentId)) nodeIssue(node.id, 'parentIds', `parent "${parentId}" is listed twice`);
      seenParents.add(parentId);
      if (parentId === node.id) {
        nodeIssue(node.id, 'parentIds', 'a node cannot feed itself');
        continue;
      }
      const parent = nodes.get(parentId);
      if (!parent) {
        nodeIssue(node.id, 'parentIds', `parent "${parentId}" does not exist`);
        continue;
      }
      if (POWER_NODE_KINDS.includes(parent.kind) && !ALLOWED_PARENTS[node.kind].has(parent.kind)) {
        nodeIssue(
          node.id,
          'parentIds',
          `a ${node.kind} cannot be fed by ${parent.kind} "${parent.id}" (allowed: ${[...ALLOWED_PARENTS[node.kind]].join(', ')})`,
        );
      }
    }
    // Capacity
    if (node.capacityKw != null && !validPositive(node.capacityKw)) {
      nodeIssue(node.id, 'capacityKw', `must be a number > 0, got ${node.capacityKw}`);
    }
    if (node.circuit) {
      const c = node.circuit;
      if (!validPositive(c.voltageV)) nodeIssue(node.id, 'circuit.voltageV', `must be > 0, got ${c.voltageV}`);
      if (!validPositive(c.amperageA)) nodeIssue(node.id, 'circuit.amperageA', `must be > 0, got ${c.amperageA}`);
      if (c.phase !== 'single' && c.phase !== 'three') nodeIssue(node.id, 'circuit.phase', `must be "single" or "three", got "${c.phase}"`);
      if (c.maxUtilizationPct != null && !(validPositive(c.maxUtilizationPct) && c.maxUtilizationPct <= 100)) {
        nodeIssue(node.id, 'circuit.maxUtilizationPct', `must be in (0, 100], got ${c.maxUtilizationPct}`);
      }
    }
    if (node.kind === 'power-feed' && !node.circuit) {
      nodeIssue(node.id, 'circuit', 'a power-feed needs its circuit rating (voltageV, amperageA, phase)');
    } else if (node.capacityKw == null && !node.circuit) {
      nodeIssue(node.id, 'capacityKw', `a ${node.kind} needs a capacity (capacityKw or a circuit rating)`);
    }
    // Efficiency
    if (node.efficiency != null) {
      if (typeof node.efficiency === 'number') {
        if (!(validPositive(node.efficiency) && node.efficiency <= 100)) {
          nodeIssue(node.id, 'efficiency', `must be a percentage in (0, 100], got ${node.efficiency}`);
        }
      } else {
        if (node.efficiency.length === 0) nodeIssue(node.id, 'efficiency', 'an efficiency curve needs at least one point');
        node.efficiency.forEach((point, i) => {
          if (!validNonNegative(point.loadPct)) nodeIssue(node.id, `efficiency[${i}].loadPct`, `must be ≥ 0, got ${point.loadPct}`);
          if (!(validPositive(point.efficiencyPct) && point.efficiencyPct <= 100)) {
            nodeIssue(node.id, `efficiency[${i}].efficiencyPct`, `must be in (0, 100], got ${point.efficiencyPct}`);
          }
        });
      }
    }
    // Rack placement
    if (node.kind === 'rack-pdu') {
      if (!node.rackId) nodeIssue(node.id, 'rackId', 'a rack-pdu must name the rack it is mounted in');
      else if (!rackIds.has(node.rackId)) nodeIssue(node.id, 'rackId', `rack "${node.rackId}" does not exist`);
    } else if (node.rackId) {
      nodeIssue(node.id, 'rackId', `only rack-pdu nodes belong to a rack; a ${node.kind} does not`, 'warning');
    }
    if (node.side != null && node.side !== 'A' && node.side !== 'B') nodeIssue(node.id, 'side', `must be "A" or "B", got "${node.side}"`);
  }

  // Cycles (only meaningful once parent references resolve).
  for (const cycle of findCycles(nodes)) {
    nodeIssue(cycle[0], 'parentIds', `cycle in the power chain: ${[...cycle, cycle[0]].join(' ← ')}`);
  }

  // Side conflicts: a node on side X fed (on any path) by a node whose effective side is the other one.
  if (!issues.some((issue) => issue.severity === 'error' && issue.field === 'parentIds')) {
    const sides = effectiveSides(nodes, topoOrder(nodes));
    for (const node of nodes.values()) {
      const own = sides.get(node.id);
      for (const parentId of node.parentIds) {
        const parentSide = sides.get(parentId);
        if (own && parentSide && own !== parentSide) {
          nodeIssue(node.id, 'side', `is on side ${own} but is fed by "${parentId}" on side ${parentSide}`);
        }
      }
    }
  }

  // Devices
  const psuSides = issues.some((issue) => issue.severity === 'error' && issue.field === 'parentIds') ? null : effectiveSides(nodes, topoOrder(nodes));
  const deviceIds = new Set<string>();
  for (const device of chain.devices) {
    if (deviceIds.has(device.id)) deviceIssue(device.id, 'id', 'duplicate device id');
    deviceIds.add(device.id);
    if (!rackIds.has(device.rackId)) deviceIssue(device.id, 'rackId', `rack "${device.rackId}" does not exist`);
    if (!validNonNegative(device.nameplateW)) deviceIssue(device.id, 'nameplateW', `must be a number ≥ 0, got ${device.nameplateW}`);
    if (device.allocatedW != null && !validNonNegative(device.allocatedW)) {
      deviceIssue(device.id, 'allocatedW', `must be a number ≥ 0, got ${device.allocatedW}`);
    }
    if (device.measuredW != null && !validNonNegative(device.measuredW)) {
      deviceIssue(device.id, 'measuredW', `must be a number ≥ 0, got ${device.measuredW}`);
    }
    if (device.psus.length === 0) {
      deviceIssue(
        device.id,
        'psus',
        'no PSU is connected to a rack PDU: its load counts in its rack but in no upstream node',
        'warning',
      );
    }
    device.psus.forEach((psu, i) => {
      const field = `psus[${i}]${psu.name ? ` (${psu.name})` : ''}.rackPduId`;
      const pdu = nodes.get(psu.rackPduId);
      if (!pdu) deviceIssue(device.id, field, `rack PDU "${psu.rackPduId}" does not exist`);
      else if (pdu.kind !== 'rack-pdu') deviceIssue(device.id, field, `"${psu.rackPduId}" is a ${pdu.kind}; a PSU plugs into a rack-pdu`);
      else if (pdu.rackId && pdu.rackId !== device.rackId) {
        deviceIssue(device.id, field, `rack PDU "${psu.rackPduId}" is in rack "${pdu.rackId}", the device is in rack "${device.rackId}"`);
      } else if (psu.side && psuSides?.get(pdu.id) && psuSides.get(pdu.id) !== psu.side) {
        deviceIssue(device.id, field, `the PSU is labelled side ${psu.side} but rack PDU "${pdu.id}" is on side ${psuSides.get(pdu.id)}`);
      }
    });
  }
  return issues;
}

/** Returns each elementary cycle found by DFS (as node ids, child first). */
function findCycles(nodes: Map<string, PowerNode>): string[][] {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (id: string) => {
    state.set(id, 'visiting');
    stack.push(id);
    for (const parentId of nodes.get(id)?.parentIds ?? []) {
      if (!nodes.has(parentId) || parentId === id) continue;
      const s = state.get(parentId);
      if (s === 'visiting') cycles.push(stack.slice(stack.indexOf(parentId)));
      else if (s === undefined) visit(parentId);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of nodes.keys()) if (!state.has(id)) visit(id);
  return cycles;
}

/** Node ids with every parent before its children. Assumes no cycles. */
function topoOrder(nodes: Map<string, PowerNode>): string[] {
  const order: string[] = [];
  const done = new Set<string>();
  const visit = (id: string) => {
    if (done.has(id)) return;
    done.add(id);
    for (const parentId of nodes.get(id)?.parentIds ?? []) if (nodes.has(parentId)) visit(parentId);
    order.push(id);
  };
  for (const id of nodes.keys()) visit(id);
  return order;
}

function effectiveSides(nodes: Map<string, PowerNode>, order: string[]): Map<string, PowerSide | null> {
  const sides = new Map<string, PowerSide | null>();
  for (const id of order) {
    const node = nodes.get(id)!;
    const primary = node.parentIds[0];
    sides.set(id, node.side ?? (primary !== undefined ? (sides.get(primary) ?? null) : null));
  }
  return sides;
}

// ---------------------------------------------------------------------------------------------------------------
// Load flow
// ---------------------------------------------------------------------------------------------------------------

interface Context {
  chain: PowerChain;
  nodes: Map<string, PowerNode>;
  order: string[];
  capacityW: Map<string, number>;
  sides: Map<string, PowerSide | null>;
  devicesById: Map<string, DeviceLoad>;
  rackPdus: Map<string, string[]>;
}

function buildContext(chain: PowerChain): Context {
  const nodes = new Map(chain.nodes.map((node) => [node.id, node]));
  const order = topoOrder(nodes);
  const capacityW = new Map<string, number>();
  for (const node of chain.nodes) capacityW.set(node.id, nodeCapacityW(node) ?? 0);
  const rackPdus = new Map<string, string[]>();
  for (const node of chain.nodes) {
    if (node.kind === 'rack-pdu' && node.rackId) rackPdus.set(node.rackId, [...(rackPdus.get(node.rackId) ?? []), node.id]);
  }
  return {
    chain,
    nodes,
    order,
    capacityW,
    sides: effectiveSides(nodes, order),
    devicesById: new Map(chain.devices.map((device) => [device.id, device])),
    rackPdus,
  };
}

interface Routing {
  alive: Set<string>;
  activeParent: Map<string, string>;
}

function route(ctx: Context, failed: ReadonlySet<string>): Routing {
  const alive = new Set<string>();
  const activeParent = new Map<string, string>();
  for (const id of ctx.order) {
    if (failed.has(id)) continue;
    const node = ctx.nodes.get(id)!;
    if (node.parentIds.length === 0) {
      alive.add(id);
      continue;
    }
    const parent = node.parentIds.find((parentId) => alive.has(parentId));
    if (parent !== undefined) {
      alive.add(id);
      activeParent.set(id, parent);
    }
  }
  return { alive, activeParent };
}

function efficiencyFraction(node: PowerNode, outW: number, capacityW: number): number {
  const eff = node.efficiency ?? (node.kind === 'ups' ? DEFAULT_UPS_EFFICIENCY_CURVE : null);
  if (eff == null) return 1;
  if (typeof eff === 'number') return eff / 100;
  const loadPct = capacityW > 0 ? (outW / capacityW) * 100 : 0;
  return efficiencyAtPct(eff, loadPct) / 100;
}

interface Flow {
  outW: Map<string, number>;
  inW: Map<string, number>;
  /** Efficiency fraction (0-1] each node ran at. */
  eff: Map<string, number>;
  unpoweredDeviceIds: string[];
}

/** Routes per-device loads through the live part of the graph. */
function flow(ctx: Context, routing: Routing, loadW: (device: DeviceLoad) => number): Flow {
  const outW = new Map<string, number>();
  const inW = new Map<string, number>();
  const eff = new Map<string, number>();
  const unpoweredDeviceIds: string[] = [];
  const add = (map: Map<string, number>, id: string, w: number) => map.set(id, (map.get(id) ?? 0) + w);
  for (const device of ctx.chain.devices) {
    const w = loadW(device);
    const live = device.psus.filter((psu) => routing.alive.has(psu.rackPduId) && ctx.nodes.get(psu.rackPduId)?.kind === 'rack-pdu');
    if (live.length === 0) {
      if (device.psus.length > 0) unpoweredDeviceIds.push(device.id);
      continue;
    }
    for (const psu of live) add(outW, psu.rackPduId, w / live.length);
  }
  for (let i = ctx.order.length - 1; i >= 0; i--) {
    const id = ctx.order[i];
    if (!routing.alive.has(id)) continue;
    const node = ctx.nodes.get(id)!;
    const out = outW.get(id) ?? 0;
    outW.set(id, out);
    const fraction = efficiencyFraction(node, out, ctx.capacityW.get(id) ?? 0);
    eff.set(id, fraction);
    const input = out / fraction;
    inW.set(id, input);
    const parent = routing.activeParent.get(id);
    if (parent !== undefined) add(outW, parent, input);
  }
  return { outW, inW, eff, unpoweredDeviceIds };
}

// ---------------------------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------------------------

export interface NodeOverload {
  nodeId: string;
  loadW: number;
  capacityW: number;
  overByW: number;
  utilizationPct: number;
}

export interface FailoverScenario {
  id: string;
  label: string;
  failedNodeIds: string[];
  /** Live nodes whose load exceeds their capacity in this scenario. */
  overloads: NodeOverload[];
  /** Nodes left without any live source (other than the failed ones). */
  unpoweredNodeIds: string[];
  /** Devices left with no live PSU (single-corded, or both cords on the failed side). */
  unpoweredDeviceIds: string[];
  /** Basis load (W) at every live node's output. */
  loadW: Record<string, number>;
}

interface ScenarioDefinition {
  id: string;
  label: string;
  failed: Set<string>;
}

function scenarioDefinitions(ctx: Context): ScenarioDefinition[] {
  const defs: ScenarioDefinition[] = [];
  for (const side of ['A', 'B'] as const) {
    const failed = new Set([...ctx.sides].filter(([, s]) => s === side).map(([id]) => id));
    if (failed.size > 0) defs.push({ id: `side-${side}`, label: `side ${side} lost`, failed });
  }
  const primaries = new Set<string>();
  for (const node of ctx.nodes.values()) {
    if (node.parentIds.length > 1) primaries.add(node.parentIds[0]);
  }
  for (const id of primaries) {
    const node = ctx.nodes.get(id)!;
    defs.push({ id: `loss-of-${id}`, label: `${node.name ?? id} lost`, failed: new Set([id]) });
  }
  return defs;
}

function basisGetter(rule: BasisRule): (device: DeviceLoad) => number {
  return (device) => deviceLoadBasis(device, rule).loadW;
}

function runScenario(ctx: Context, def: ScenarioDefinition, rule: BasisRule): { scenario: FailoverScenario; routing: Routing; flow: Flow } {
  const routing = route(ctx, def.failed);
  const f = flow(ctx, routing, basisGetter(rule));
  const overloads: NodeOverload[] = [];
  const loadW: Record<string, number> = {};
  for (const id of ctx.order) {
    if (!routing.alive.has(id)) continue;
    const load = f.outW.get(id) ?? 0;
    loadW[id] = load;
    const capacity = ctx.capacityW.get(id) ?? 0;
    if (load > capacity + 1e-9) {
      overloads.push({ nodeId: id, loadW: load, capacityW: capacity, overByW: load - capacity, utilizationPct: capacity > 0 ? (load / capacity) * 100 : Number.POSITIVE_INFINITY });
    }
  }
  const unpoweredNodeIds = ctx.order.filter((id) => !routing.alive.has(id) && !def.failed.has(id));
  return {
    scenario: {
      id: def.id,
      label: def.label,
      failedNodeIds: [...def.failed],
      overloads,
      unpoweredNodeIds,
      unpoweredDeviceIds: f.unpoweredDeviceIds,
      loadW,
    },
    routing,
    flow: f,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Analysis
// ---------------------------------------------------------------------------------------------------------------

export interface BasisCounts {
  measured: number;
  allocated: number;
  nameplate: number;
}

export interface PowerNodeResult {
  nodeId: string;
  kind: PowerNodeKind;
  side: PowerSide | null;
  capacityW: number;
  /** Sums over the devices below, at this node's output, including downstream conversion losses. */
  nameplateW: number;
  /** Sum over devices below that have an allocation (others contribute 0). */
  allocatedW: number;
  /** Sum over devices below that have a measurement; null when none has. */
  measuredW: number | null;
  /** The basis load (see the module comment) at this node's output. */
  loadW: number;
  /** Basis load at this node's input: loadW plus this node's own conversion loss. */
  inputW: number;
  lossW: number;
  basisCounts: BasisCounts;
  headroomW: number;
  utilizationPct: number | null;
  /** Smallest headroom over the normal state and every failover scenario, and where it happens. */
  failoverHeadroomW: number;
  failoverWorstLoadW: number;
  failoverWorstScenarioId: string;
}

export type RackHeadroomLimit =
  | { kind: 'rack-budget' }
  | { kind: 'node'; nodeId: string; scenarioId: string }
  | { kind: 'no-power-data' };

export interface RackPowerResult {
  rackId: string;
  deviceCount: number;
  nameplateW: number;
  allocatedW: number;
  measuredW: number | null;
  loadW: number;
  basisCounts: BasisCounts;
  budgetW: number | null;
  /** What the rack PDUs can deliver with redundancy kept: min over sides of the side's PDU capacity when both sides exist. */
  pduCapacityW: number | null;
  /** budgetW when set, else pduCapacityW. */
  capacityW: number | null;
  headroomW: number | null;
  utilizationPct: number | null;
  rackPduIds: string[];
  /** Both sides present among the rack PDUs. */
  redundant: boolean;
  /** Devices in this rack that lose power when one side fails. */
  singleCordedDeviceIds: string[];
  /** What the scheduler may still add (see rackPowerHeadroomW). */
  powerHeadroomW: number;
  powerHeadroomLimitedBy: RackHeadroomLimit;
}

export type PowerAnalysis =
  | {
      ok: true;
      issues: PowerChainIssue[];
      nodes: Record<string, PowerNodeResult>;
      racks: Record<string, RackPowerResult>;
      scenarios: FailoverScenario[];
      /** No overload in any failover scenario. */
      failoverOk: boolean;
    }
  | { ok: false; issues: PowerChainIssue[] };

const NORMAL: ScenarioDefinition = { id: 'normal', label: 'normal operation', failed: new Set() };

/** Validates and analyses the chain. With errors, returns them and nothing else. */
export function analyzePowerChain(chain: PowerChain, options: PowerAnalysisOptions = {}): PowerAnalysis {
  const issues = validatePowerChain(chain);
  if (issues.some((issue) => issue.severity === 'error')) return { ok: false, issues };
  const rule = options.basisRule ?? 'measured-first';
  const ctx = buildContext(chain);

  const normal = runScenario(ctx, NORMAL, rule);
  const failovers = scenarioDefinitions(ctx).map((def) => ({ def, ...runScenario(ctx, def, rule) }));

  // Other quantities in the normal state.
  const nameplate = flow(ctx, normal.routing, (d) => d.nameplateW);
  const allocated = flow(ctx, normal.routing, (d) => finite(d.allocatedW) ?? 0);
  const measured = flow(ctx, normal.routing, (d) => finite(d.measuredW) ?? 0);

  // Basis counts and measurement presence per node: which devices sit below which node (normal routing).
  const countsByNode = new Map<string, BasisCounts>();
  const measuredAny = new Set<string>();
  for (const device of chain.devices) {
    const basis = deviceLoadBasis(device, rule).basis;
    const reached = new Set<string>();
    for (const psu of device.psus) {
      let id: string | undefined = normal.routing.alive.has(psu.rackPduId) ? psu.rackPduId : undefined;
      while (id !== undefined && !reached.has(id)) {
        reached.add(id);
        id = normal.routing.activeParent.get(id);
      }
    }
    for (const id of reached) {
      const counts = countsByNode.get(id) ?? { measured: 0, allocated: 0, nameplate: 0 };
      counts[basis]++;
      countsByNode.set(id, counts);
      if (finite(device.measuredW) !== null) measuredAny.add(id);
    }
  }

  const nodes: Record<string, PowerNodeResult> = {};
  for (const id of ctx.order) {
    const node = ctx.nodes.get(id)!;
    const capacityW = ctx.capacityW.get(id) ?? 0;
    const loadW = normal.flow.outW.get(id) ?? 0;
    const inputW = normal.flow.inW.get(id) ?? 0;
    let worst = { scenarioId: 'normal', loadW, headroomW: capacityW - loadW };
    for (const f of failovers) {
      const l = f.scenario.loadW[id];
      if (l !== undefined && capacityW - l < worst.headroomW) worst = { scenarioId: f.def.id, loadW: l, headroomW: capacityW - l };
    }
    nodes[id] = {
      nodeId: id,
      kind: node.kind,
      side: ctx.sides.get(id) ?? null,
      capacityW,
      nameplateW: nameplate.outW.get(id) ?? 0,
      allocatedW: allocated.outW.get(id) ?? 0,
      measuredW: measuredAny.has(id) ? (measured.outW.get(id) ?? 0) : null,
      loadW,
      inputW,
      lossW: inputW - loadW,
      basisCounts: countsByNode.get(id) ?? { measured: 0, allocated: 0, nameplate: 0 },
      headroomW: capacityW - loadW,
      utilizationPct: capacityW > 0 ? (loadW / capacityW) * 100 : null,
      failoverHeadroomW: worst.headroomW,
      failoverWorstLoadW: worst.loadW,
      failoverWorstScenarioId: worst.scenarioId,
    };
  }

  const allRuns = [{ def: NORMAL, ...normal }, ...failovers];
  const racks: Record<string, RackPowerResult> = {};
  for (const rack of chain.racks) {
    racks[rack.id] = rackResult(ctx, rack, rule, allRuns);
  }

  return {
    ok: true,
    issues,
    nodes,
    racks,
    scenarios: failovers.map((f) => f.scenario),
    failoverOk: failovers.every((f) => f.scenario.overloads.length === 0),
  };
}

interface Run {
  def: ScenarioDefinition;
  routing: Routing;
  flow: Flow;
}

function rackResult(ctx: Context, rack: RackPowerBudget, rule: BasisRule, runs: Run[]): RackPowerResult {
  const devices = ctx.chain.devices.filter((device) => device.rackId === rack.id);
  const counts: BasisCounts = { measured: 0, allocated: 0, nameplate: 0 };
  let loadW = 0;
  let nameplateW = 0;
  let allocatedW = 0;
  let measuredW: number | null = null;
  for (const device of devices) {
    const b = deviceLoadBasis(device, rule);
    counts[b.basis]++;
    loadW += b.loadW;
    nameplateW += device.nameplateW;
    allocatedW += finite(device.allocatedW) ?? 0;
    const m = finite(device.measuredW);
    if (m !== null) measuredW = (measuredW ?? 0) + m;
  }
  const rackPduIds = ctx.rackPdus.get(rack.id) ?? [];
  const bySide = new Map<string, number>();
  for (const id of rackPduIds) {
    const key = ctx.sides.get(id) ?? '-';
    bySide.set(key, (bySide.get(key) ?? 0) + (ctx.capacityW.get(id) ?? 0));
  }
  const redundant = bySide.has('A') && bySide.has('B');
  let pduCapacityW: number | null = null;
  if (rackPduIds.length > 0) {
    pduCapacityW = redundant ? Math.min(bySide.get('A')!, bySide.get('B')!) : [...bySide.values()].reduce((a, b) => a + b, 0);
  }
  const budgetW = finite(rack.powerBudgetW);
  const capacityW = budgetW ?? pduCapacityW;
  const singleCordedDeviceIds = devices
    .filter((device) => {
      const sides = new Set(device.psus.map((psu) => ctx.sides.get(psu.rackPduId) ?? '-'));
      return !(sides.has('A') && sides.has('B'));
    })
    .map((device) => device.id);

  const headroom = probeHeadroom(ctx, rack, loadW, budgetW, runs);
  return {
    rackId: rack.id,
    deviceCount: devices.length,
    nameplateW,
    allocatedW,
    measuredW,
    loadW,
    basisCounts: counts,
    budgetW,
    pduCapacityW,
    capacityW,
    headroomW: capacityW === null ? null : capacityW - loadW,
    utilizationPct: capacityW ? (loadW / capacityW) * 100 : null,
    rackPduIds,
    redundant,
    singleCordedDeviceIds,
    powerHeadroomW: headroom.headroomW,
    powerHeadroomLimitedBy: headroom.limitedBy,
  };
}

/**
 * How many watts a rack can still take. For each scenario, one probe watt is placed in the rack (split evenly over the
 * rack's live sides, then evenly over the live rack PDUs of each side) and walked up the live path, divided at every
 * converter by its efficiency. A node reached by a share s of the probe limits the rack to (capacity − load) / s.
 */
function probeHeadroom(
  ctx: Context,
  rack: RackPowerBudget,
  rackLoadW: number,
  budgetW: number | null,
  runs: Run[],
): { headroomW: number; limitedBy: RackHeadroomLimit } {
  let best: { headroomW: number; limitedBy: RackHeadroomLimit } | null =
    budgetW === null ? null : { headroomW: budgetW - rackLoadW, limitedBy: { kind: 'rack-budget' } };
  const pdus = ctx.rackPdus.get(rack.id) ?? [];
  for (const run of runs) {
    const live = pdus.filter((id) => run.routing.alive.has(id));
    if (live.length === 0) continue;
    const bySide = new Map<string, string[]>();
    for (const id of live) {
      const key = ctx.sides.get(id) ?? '-';
      bySide.set(key, [...(bySide.get(key) ?? []), id]);
    }
    const share = new Map<string, number>();
    for (const ids of bySide.values()) {
      for (const pduId of ids) {
        let fraction = 1 / bySide.size / ids.length;
        let id: string | undefined = pduId;
        while (id !== undefined) {
          share.set(id, (share.get(id) ?? 0) + fraction);
          fraction /= run.flow.eff.get(id) ?? 1;
          id = run.routing.activeParent.get(id);
        }
      }
    }
    for (const [id, s] of share) {
      const room = ((ctx.capacityW.get(id) ?? 0) - (run.flow.outW.get(id) ?? 0)) / s;
      if (best === null || room < best.headroomW) {
        best = { headroomW: room, limitedBy: { kind: 'node', nodeId: id, scenarioId: run.def.id } };
      }
    }
  }
  return best ?? { headroomW: 0, limitedBy: { kind: 'no-power-data' } };
}

function analyzeOrThrow(chain: PowerChain, options?: PowerAnalysisOptions) {
  const analysis = analyzePowerChain(chain, options);
  if (!analysis.ok) throw new PowerChainError(analysis.issues.filter((issue) => issue.severity === 'error'));
  return analysis;
}

/**
 * The failover check on its own: for every scenario, which nodes overload and by how much, and which devices go dark.
 * Throws PowerChainError when the chain is invalid.
 */
export function failoverCheck(chain: PowerChain, options?: PowerAnalysisOptions): { ok: boolean; scenarios: FailoverScenario[] } {
  const analysis = analyzeOrThrow(chain, options);
  return { ok: analysis.failoverOk, scenarios: analysis.scenarios };
}

/**
 * Loads with an arbitrary set of failed nodes (what-if: "take UPS-A down for maintenance").
 * Throws PowerChainError when the chain is invalid.
 */
export function simulateFailure(chain: PowerChain, failedNodeIds: string[], options: PowerAnalysisOptions = {}): FailoverScenario {
  const issues = validatePowerChain(chain).filter((issue) => issue.severity === 'error');
  if (issues.length > 0) throw new PowerChainError(issues);
  const ctx = buildContext(chain);
  const unknown = failedNodeIds.filter((id) => !ctx.nodes.has(id));
  if (unknown.length > 0) throw new Error(`unknown power node(s): ${unknown.join(', ')}`);
  const def = { id: `what-if:${failedNodeIds.join('+')}`, label: `${failedNodeIds.join(', ')} lost`, failed: new Set(failedNodeIds) };
  return runScenario(ctx, def, options.basisRule ?? 'measured-first').scenario;
}

/**
 * Watts the scheduler may still add to a rack: the minimum of the rack budget's headroom and every upstream node's
 * headroom in the normal state and in every failover scenario, scaled by the share of the extra load that reaches
 * that node. 0 for a rack with neither a budget nor a live rack PDU. Negative when the rack is already over.
 * Pass a previous `analyzePowerChain` result to avoid recomputing for many racks.
 */
export function rackPowerHeadroomW(rackId: string, chain: PowerChain, analysis?: PowerAnalysis, options?: PowerAnalysisOptions): number {
  const result = analysis?.ok ? analysis : analyzeOrThrow(chain, options);
  const rack = result.racks[rackId];
  if (!rack) throw new Error(`unknown rack "${rackId}"`);
  return rack.powerHeadroomW;
}
