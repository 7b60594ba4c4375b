// The facility of bench:facility: the openb GPU nodes laid into racks, rows and halls with power budgets, 2N feeds
// and row cooling; node power from the simulator's calibrated GPU and server models; and the accounting of the
// violations a placement policy causes (rack over budget, a row that one lost feed would overload, inlets above the
// ASHRAE recommended maximum). Pure functions and plain data, so the tests can pin the accounting on hand-built cases.

import { gpuModelParams } from '../../simulator/models/gpu-params';
import { AIR_ZONE, zoneTargetTempC } from '../../simulator/models/room';
import { defaultServerParams } from '../../simulator/models/server';
import { seededRandom } from '../../src/scheduler';
import type { TraceNode } from './openb';

/** ASHRAE TC9.9 recommended inlet range is 18-27 °C (REFERENCE-NUMBERS.md). */
export const ASHRAE_RECOMMENDED_MAX_C = 27;
/** Cold-aisle supply of the row cooling, °C, and the air's rise across the servers, °C. */
export const SUPPLY_TEMP_C = 20;
export const EXHAUST_RISE_C = 12;
/** The PSUs' efficiency near half load (80 PLUS Titanium, simulator/models/server.ts). */
const PSU_EFFICIENCY = 0.95;

/**
 * The openb models are undisclosed or old; each is given the calibrated simulator model of its class: the 8-GPU G2 and
 * G3 boards an HGX H100 / H200, the PCIe cards (T4, P100, V100, A10) an L40S.
 */
const SIM_MODEL: Record<string, 'H100-SXM' | 'H200-SXM' | 'L40S'> = {
  G2: 'H100-SXM',
  G3: 'H200-SXM',
  V100M32: 'L40S',
  V100M16: 'L40S',
  P100: 'L40S',
  T4: 'L40S',
  A10: 'L40S',
};

/** Linear power model of one node, AC watts: idle + per-milli-GPU and per-milli-CPU increments at full activity. */
export interface NodePower {
  /** Nothing allocated: CPUs idle, GPUs parked without a context, fans at minimum. */
  idleW: number;
  /** A GPU that holds a context draws this much more than a parked one (per GPU in use). */
  gpuContextW: number;
  /** One fully busy GPU above its context idle, fans included (their speed follows the heat). */
  gpuDynamicW: number;
  /** All CPU cores busy, above idle. */
  cpuDynamicW: number;
  cpuMilliTotal: number;
  /** Everything busy: the node's full-load draw. */
  fullW: number;
}

export function nodePowerOf(node: TraceNode): NodePower {
  const simModel = SIM_MODEL[node.gpuModel] ?? 'L40S';
  const gpu = gpuModelParams(simModel);
  const server = defaultServerParams(simModel, node.gpuCount, false);
  const fanMinW = server.fanMaxW * 0.15;
  const gpuBusyW = gpu.powerLimitW * gpu.capTargetRatio;
  const perGpuFanW = (server.fanMaxW - fanMinW) / Math.max(1, node.gpuCount);
  const idleW = (server.cpuIdleW + server.otherW + fanMinW + node.gpuCount * gpu.idleNoContextW) / PSU_EFFICIENCY;
  const gpuContextW = (gpu.idleWithContextW - gpu.idleNoContextW) / PSU_EFFICIENCY;
  const gpuDynamicW = (gpuBusyW - gpu.idleWithContextW + perGpuFanW) / PSU_EFFICIENCY;
  const cpuDynamicW = (server.cpuMaxW - server.cpuIdleW) / PSU_EFFICIENCY;
  return {
    idleW,
    gpuContextW,
    gpuDynamicW,
    cpuDynamicW,
    cpuMilliTotal: node.cpuMilli,
    fullW: idleW + node.gpuCount * (gpuContextW + gpuDynamicW) + cpuDynamicW,
  };
}

export interface Rack {
  id: string;
  row: number;
  budgetW: number;
  nodes: number[];
}

export interface Row {
  id: string;
  hall: number;
  racks: number[];
  /** Each of the A and B feeds must carry the whole row alone (2N). */
  feedCapacityW: number;
  /** Heat the row's cooling removes. */
  coolingCapacityW: number;
  marginalCooling: boolean;
}

export interface Facility {
  power: NodePower[];
  rackOfNode: Int32Array;
  racks: Rack[];
  rows: Row[];
  halls: number;
}

export interface LayoutOptions {
  /** Rack budgets are drawn from this range, W (30-40 kW, REFERENCE-NUMBERS.md). */
  rackBudgetW?: [number, number];
  /** Racks are filled until the full-load draw of their nodes reaches this multiple of the budget. */
  rackOversubscription?: number;
  racksPerRow?: number;
  rowsPerHall?: number;
  /** Each feed of a row is rated this share of the sum of its racks' budgets (feeds are sized for diversity). */
  feedShareOfBudgets?: number;
  /** Cooling of a normal row / of a marginal row as a share of the sum of its racks' budgets. */
  coolingShare?: number;
  marginalCoolingShare?: number;
  /** Every n-th row is on marginal cooling. */
  marginalEvery?: number;
  seed?: number;
}

/**
 * Racks are filled with nodes in list order (the openb list groups nodes of a model together, as a real hall does):
 * a rack takes nodes while their full-load draw stays within `rackOversubscription` × its budget. Budgets assume not
 * every GPU runs flat out at once; that assumption is what a power-blind placement can break.
 */
export function layOut(nodes: TraceNode[], options: LayoutOptions = {}): Facility {
  const [lo, hi] = options.rackBudgetW ?? [30_000, 40_000];
  const over = options.rackOversubscription ?? 1.15;
  const racksPerRow = options.racksPerRow ?? 10;
  const rowsPerHall = options.rowsPerHall ?? 6;
  const rng = seededRandom(options.seed ?? 7);
  const power = nodes.map(nodePowerOf);
  const racks: Rack[] = [];
  const rackOfNode = new Int32Array(nodes.length);
  let rack: Rack | null = null;
  let rackFullW = 0;
  nodes.forEach((_, i) => {
    if (!rack || rackFullW + power[i].fullW > over * rack.budgetW) {
      const budgetW = Math.round((lo + rng() * (hi - lo)) / 1000) * 1000;
      rack = { id: `rack-${String(racks.length).padStart(3, '0')}`, row: Math.floor(racks.length / racksPerRow), budgetW, nodes: [] };
      racks.push(rack);
      rackFullW = 0;
    }
    rack.nodes.push(i);
    rackOfNode[i] = racks.length - 1;
    rackFullW += power[i].fullW;
  });
  const rows: Row[] = [];
  const marginalEvery = options.marginalEvery ?? 5;
  racks.forEach((r, k) => {
    let row = rows[r.row];
    if (!row) {
      const marginal = r.row % marginalEvery === marginalEvery - 1;
      row = { id: `row-${String(r.row).padStart(2, '0')}`, hall: Math.floor(r.row / rowsPerHall), racks: [], feedCapacityW: 0, coolingCapacityW: 0, marginalCooling: marginal };
      rows[r.row] = row;
    }
    row.racks.push(k);
  });
  for (const row of rows) {
    const budgets = row.racks.reduce((s, k) => s + racks[k].budgetW, 0);
    row.feedCapacityW = (options.feedShareOfBudgets ?? 0.9) * budgets;
    row.coolingCapacityW = (row.marginalCooling ? (options.marginalCoolingShare ?? 0.6) : (options.coolingShare ?? 1.1)) * budgets;
  }
  return { power, rackOfNode, racks, rows, halls: rows.length === 0 ? 0 : rows[rows.length - 1].hall + 1 };
}

/**
 * Heat a row can take before its inlet settles above the ASHRAE recommended maximum: with recirculated share f the
 * inlet settles at supply + offset + f/(1 − f) · rise, so the limit is heat ≤ cooling · (1 + q), q = (27 − supply −
 * offset) / rise.
 */
export function rowHeatLimitW(row: Row): number {
  const q = (ASHRAE_RECOMMENDED_MAX_C - SUPPLY_TEMP_C - AIR_ZONE.baseOffsetC) / EXHAUST_RISE_C;
  return row.coolingCapacityW * (1 + q);
}

/** Running totals of what went wrong, per policy run. */
export interface ViolationTotals {
  /** Rack over its budget: episodes (a rack going over counts once until it is back under), and kW·minutes over. */
  rackBudgetEpisodes: number;
  rackBudgetKwMin: number;
  /** A row whose load exceeds what one feed can carry: losing either feed would overload the other. */
  failoverEpisodes: number;
  failoverKwMin: number;
  /** Inlet above the ASHRAE recommended maximum: rack·minutes (every rack of the row counts). */
  inletRackMin: number;
  /** Hottest inlet seen, °C. */
  maxInletC: number;
}

export function emptyTotals(): ViolationTotals {
  return { rackBudgetEpisodes: 0, rackBudgetKwMin: 0, failoverEpisodes: 0, failoverKwMin: 0, inletRackMin: 0, maxInletC: 0 };
}

/** State carried between accounting steps: which racks and rows are over now, and each row's inlet temperature. */
export interface AccountingState {
  rackOver: Uint8Array;
  rowOver: Uint8Array;
  inletC: Float64Array;
}

export function newAccountingState(facility: Facility): AccountingState {
  return {
    rackOver: new Uint8Array(facility.racks.length),
    rowOver: new Uint8Array(facility.rows.length),
    inletC: new Float64Array(facility.rows.length).fill(SUPPLY_TEMP_C + AIR_ZONE.baseOffsetC),
  };
}

/**
 * Accounts one interval of `dtS` seconds during which the racks drew `rackW` (W, constant over the interval):
 * rack budgets, row feeds (2N: each feed must carry the whole row), and each row's inlet, which follows the simulator's
 * room model (recirculation when the heat exceeds the cooling, first-order response); the inlet is checked at the
 * end of the interval.
 */
export function accountInterval(
  facility: Facility,
  rackW: ArrayLike<number>,
  dtS: number,
  state: AccountingState,
  totals: ViolationTotals,
): void {
  const minutes = dtS / 60;
  facility.racks.forEach((rack, k) => {
    const over = rackW[k] - rack.budgetW;
    if (over > 0) {
      if (!state.rackOver[k]) totals.rackBudgetEpisodes++;
      state.rackOver[k] = 1;
      totals.rackBudgetKwMin += (over / 1000) * minutes;
    } else state.rackOver[k] = 0;
  });
  facility.rows.forEach((row, r) => {
    let loadW = 0;
    for (const k of row.racks) loadW += rackW[k];
    const over = loadW - row.feedCapacityW;
    if (over > 0) {
      if (!state.rowOver[r]) totals.failoverEpisodes++;
      state.rowOver[r] = 1;
      totals.failoverKwMin += (over / 1000) * minutes;
    } else state.rowOver[r] = 0;
    const target = zoneTargetTempC(
      { heatW: loadW, capacityW: row.coolingCapacityW, supplyTempC: SUPPLY_TEMP_C, exhaustRiseC: EXHAUST_RISE_C },
      AIR_ZONE,
      state.inletC[r],
    );
    state.inletC[r] = target + (state.inletC[r] - target) * Math.exp(-dtS / AIR_ZONE.tauS);
    if (state.inletC[r] > ASHRAE_RECOMMENDED_MAX_C) totals.inletRackMin += row.racks.length * minutes;
    totals.maxInletC = Math.max(totals.maxInletC, state.inletC[r]);
  });
}

/**
 * The most GPUs the layout can run at once within every rack budget, row feed and row heat limit, every GPU in use
 * drawing `perGpuW(node)` (a fraction of a GPU counts: a fluid bound, blind to pod shapes, CPUs and GPU models) and
 * every node its idle floor plus `cpuShare` of its CPUs; `heatShare` of the row heat limit. Per row the greedy takes the GPUs that draw least first; with
 * laminar limits (racks inside a row) and one weight per GPU in every limit, that is optimal.
 */
export function powerBoundGpus(
  facility: Facility,
  gpuCounts: ArrayLike<number>,
  perGpuW: (node: number) => number,
  cpuShare = 0.5,
  heatShare = 1,
): number {
  let total = 0;
  for (const row of facility.rows) {
    const floorOf = (i: number) => facility.power[i].idleW + cpuShare * facility.power[i].cpuDynamicW;
    let rowLeft = Math.min(row.feedCapacityW, heatShare * rowHeatLimitW(row));
    const rackLeft = new Map<number, number>();
    const items: Array<{ node: number; rack: number; w: number }> = [];
    for (const k of row.racks) {
      let left = facility.racks[k].budgetW;
      for (const i of facility.racks[k].nodes) {
        left -= floorOf(i);
        rowLeft -= floorOf(i);
        items.push({ node: i, rack: k, w: perGpuW(i) });
      }
      rackLeft.set(k, left);
    }
    items.sort((a, b) => a.w - b.w);
    for (const it of items) {
      const n = Math.max(0, Math.min(gpuCounts[it.node], rackLeft.get(it.rack)! / it.w, rowLeft / it.w));
      total += n;
      rackLeft.set(it.rack, rackLeft.get(it.rack)! - n * it.w);
      rowLeft -= n * it.w;
    }
  }
  return total;
}
