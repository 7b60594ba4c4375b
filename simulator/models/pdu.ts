/**
 * Rack PDUs and the A/B split. A server's PSUs share its load across every live feed (2N: half on A, half on B);
 * when one side's breaker trips or its source dies, the other side carries the whole load. A PDU loaded past its
 * breaker rating trips after an inverse-time delay (a cascade when the surviving side was over 50 % before).
 */

export interface RackPduState {
  id: string;
  feed: 'A' | 'B';
  capacityW: number;
  /** Breaker open (tripped by a fault or by overload). */
  tripped: boolean;
  trippedByOverload: boolean;
  /** Source (UPS output, utility or generator) live. */
  sourceLive: boolean;
  loadW: number;
  /** Seconds spent over the rating (overload trip timer). */
  overloadS: number;
  /** Energy through the PDU since the simulator started, J (the PDU's kWh meter). */
  energyJ: number;
}

export function pduLive(pdu: RackPduState): boolean {
  return pdu.sourceLive && !pdu.tripped;
}

export function newRackPdu(id: string, feed: 'A' | 'B', capacityW: number): RackPduState {
  return { id, feed, capacityW, tripped: false, trippedByOverload: false, sourceLive: true, loadW: 0, overloadS: 0, energyJ: 0 };
}

/**
 * Split each server's AC load over the rack's live PDUs (equal share per live PDU). Returns the load per PDU id.
 * Servers with no live PDU get nothing (they are unpowered).
 */
export function splitServerLoad(serverLoadsW: number[], pdus: RackPduState[]): Map<string, number> {
  const loads = new Map<string, number>(pdus.map((p) => [p.id, 0]));
  const live = pdus.filter(pduLive);
  if (live.length === 0) return loads;
  const total = serverLoadsW.reduce((a, b) => a + b, 0);
  for (const pdu of live) loads.set(pdu.id, total / live.length);
  return loads;
}

/**
 * Inverse-time breaker: trips after 5 s at 125 % of rating, faster above (t = 5 s × (0.25 / (ratio − 1))²), never
 * at or below 110 %.
 */
export function overloadTripDelayS(loadRatio: number): number {
  if (loadRatio <= 1.1) return Number.POSITIVE_INFINITY;
  return 5 * (0.25 / (loadRatio - 1)) ** 2;
}

/** Advance one PDU's overload timer; returns true when it trips in this step. */
export function stepPduBreaker(pdu: RackPduState, dtS: number): boolean {
  if (pdu.tripped) return false;
  const ratio = pdu.loadW / pdu.capacityW;
  const delay = overloadTripDelayS(ratio);
  if (!Number.isFinite(delay)) {
    pdu.overloadS = 0;
    return false;
  }
  pdu.overloadS += dtS;
  if (pdu.overloadS >= delay) {
    pdu.tripped = true;
    pdu.trippedByOverload = true;
    return true;
  }
  return false;
}

/** Outlets of a simulated rack PDU unless its inventory says otherwise (a typical 0U PDU for GPU racks). */
export const DEFAULT_PDU_OUTLETS = 24;
/** Nominal phase-to-neutral voltage of a PDU whose inventory gives none, V. */
export const DEFAULT_PDU_PHASE_VOLTAGE_V = 230;

/**
 * Power per outlet of one PDU, W: server i is plugged into outlet (i mod outlets) + 1 and its share on this PDU is
 * its load ÷ the rack's live PDUs (as splitServerLoad); empty outlets read 0. The outlets sum to the PDU load.
 */
export function outletLoadsW(serverLoadsW: readonly number[], pdu: RackPduState, livePdus: number, outlets: number): number[] {
  const out = new Array<number>(outlets).fill(0);
  if (!pduLive(pdu) || livePdus === 0) return out;
  serverLoadsW.forEach((w, i) => {
    out[i % outlets]! += w / livePdus;
  });
  return out;
}

/** Input phase (1-based) an outlet is wired to: outlets rotate over the phases, as on three-phase 0U PDUs. */
export function phaseOfOutlet(outlet: number, phases: number): number {
  return ((outlet - 1) % phases) + 1;
}
