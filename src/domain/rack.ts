/**
 * Rack elevation math, for forms and what-if (the database enforces the same rules on write).
 *
 * Positions are 1-based from the bottom: a device at positionU 1 with heightU 2 occupies U1 and U2. Like NetBox, heights
 * and positions may be multiples of 0.5U; internally the rack is a column of half-unit slots. A full-depth device
 * occupies both faces; a half-depth one only the face it is mounted on. Zero-U devices (vertical rack PDUs) and child
 * devices (in a parent's device bay) have no position.
 */

export type RackFace = 'front' | 'rear';

export interface RackSpec {
  heightU: number;
  /** Most a rack may carry in kg (NetBox max_weight); null when unknown. */
  maxWeightKg?: number | null;
}

export interface RackPlacement {
  id: string;
  positionU: number;
  heightU: number;
  face: RackFace;
  isFullDepth: boolean;
  weightKg?: number | null;
}

export type Candidate = Omit<RackPlacement, 'id'> & { id?: string };

export type FitResult = { ok: true } | { ok: false; reason: string; conflictIds: string[] };

const isHalfStep = (value: number) => Number.isFinite(value) && Math.abs(value * 2 - Math.round(value * 2)) < 1e-9;

/** Half-unit slots [first, last] a placement covers (0 = bottom half of U1). */
function slots(positionU: number, heightU: number): [number, number] {
  const first = Math.round((positionU - 1) * 2);
  return [first, first + Math.round(heightU * 2) - 1];
}

function facesOf(p: Pick<RackPlacement, 'face' | 'isFullDepth'>): RackFace[] {
  return p.isFullDepth ? ['front', 'rear'] : [p.face];
}

function shareFace(a: Pick<RackPlacement, 'face' | 'isFullDepth'>, b: Pick<RackPlacement, 'face' | 'isFullDepth'>): boolean {
  return facesOf(a).some((face) => facesOf(b).includes(face));
}

/** Whether two placements collide (overlapping units on a shared face). */
export function placementsOverlap(a: Omit<RackPlacement, 'id'>, b: Omit<RackPlacement, 'id'>): boolean {
  if (!shareFace(a, b)) return false;
  const [a0, a1] = slots(a.positionU, a.heightU);
  const [b0, b1] = slots(b.positionU, b.heightU);
  return a0 <= b1 && b0 <= a1;
}

/**
 * Can `candidate` go at its position? Existing placements with the candidate's id are ignored (moving a device).
 */
export function fitsAt(rack: RackSpec, placements: readonly RackPlacement[], candidate: Candidate): FitResult {
  const fail = (reason: string, conflictIds: string[] = []): FitResult => ({ ok: false, reason, conflictIds });
  if (!(candidate.heightU > 0)) return fail('a zero-U device has no position: it mounts in the rack side channel or a device bay');
  if (!isHalfStep(candidate.heightU)) return fail(`height ${candidate.heightU}U is not a multiple of 0.5U`);
  if (!isHalfStep(candidate.positionU)) return fail(`position U${candidate.positionU} is not a multiple of 0.5U`);
  if (candidate.positionU < 1) return fail(`position U${candidate.positionU} is below U1`);
  const topU = candidate.positionU + candidate.heightU - 1;
  if (candidate.positionU - 1 + candidate.heightU > rack.heightU) {
    return fail(`a ${candidate.heightU}U device at U${candidate.positionU} reaches U${topU}, above the top of this ${rack.heightU}U rack`);
  }
  const conflicts = placements.filter((p) => p.id !== candidate.id && p.heightU > 0 && placementsOverlap(p, candidate));
  if (conflicts.length > 0) {
    return fail(`U${candidate.positionU}-U${topU} (${facesOf(candidate).join(' and ')}) overlaps ${conflicts.map((c) => c.id).join(', ')}`, conflicts.map((c) => c.id));
  }
  return { ok: true };
}

/** Pairs of existing placements that overlap each other. */
export function findOverlaps(placements: readonly RackPlacement[]): Array<[string, string]> {
  const positioned = placements.filter((p) => p.heightU > 0);
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < positioned.length; i++) {
    for (let j = i + 1; j < positioned.length; j++) {
      if (placementsOverlap(positioned[i], positioned[j])) pairs.push([positioned[i].id, positioned[j].id]);
    }
  }
  return pairs;
}

function occupiedSlots(rack: RackSpec, placements: readonly RackPlacement[], face: RackFace): boolean[] {
  const used = new Array<boolean>(Math.round(rack.heightU * 2)).fill(false);
  for (const p of placements) {
    if (!(p.heightU > 0) || !facesOf(p).includes(face)) continue;
    const [first, last] = slots(p.positionU, p.heightU);
    for (let s = Math.max(0, first); s <= Math.min(used.length - 1, last); s++) used[s] = true;
  }
  return used;
}

/** Whole units (1-based) entirely free on a face. */
export function freeUnits(rack: RackSpec, placements: readonly RackPlacement[], face: RackFace): number[] {
  const used = occupiedSlots(rack, placements, face);
  const free: number[] = [];
  for (let u = 1; u <= Math.floor(rack.heightU); u++) {
    if (!used[(u - 1) * 2] && !used[(u - 1) * 2 + 1]) free.push(u);
  }
  return free;
}

export interface FreeSpan {
  startU: number;
  heightU: number;
}

/** Maximal runs of free space on a face, bottom up (heights in 0.5U steps). */
export function freeSpans(rack: RackSpec, placements: readonly RackPlacement[], face: RackFace): FreeSpan[] {
  const used = occupiedSlots(rack, placements, face);
  const spans: FreeSpan[] = [];
  let start = -1;
  for (let s = 0; s <= used.length; s++) {
    const free = s < used.length && !used[s];
    if (free && start < 0) start = s;
    if (!free && start >= 0) {
      spans.push({ startU: start / 2 + 1, heightU: (s - start) / 2 });
      start = -1;
    }
  }
  return spans;
}

/** Every position (bottom up, in `stepU` steps, default 1U) where a device of this shape fits. */
export function positionsThatFit(
  rack: RackSpec,
  placements: readonly RackPlacement[],
  device: { heightU: number; face: RackFace; isFullDepth: boolean },
  stepU = 1,
): number[] {
  const result: number[] = [];
  for (let position = 1; position - 1 + device.heightU <= rack.heightU; position += stepU) {
    if (fitsAt(rack, placements, { ...device, positionU: position }).ok) result.push(position);
  }
  return result;
}

export interface RackWeight {
  totalKg: number;
  /** Placements with no known weight (the total is then a lower bound). */
  unknownWeightIds: string[];
  maxKg: number | null;
  headroomKg: number | null;
  overByKg: number;
}

/** Sum of device weights (positioned or not: zero-U PDUs weigh too) against the rack's limit, with an optional extra. */
export function rackWeight(rack: RackSpec, placements: readonly RackPlacement[], extraKg = 0): RackWeight {
  let totalKg = extraKg;
  const unknownWeightIds: string[] = [];
  for (const p of placements) {
    if (typeof p.weightKg === 'number' && Number.isFinite(p.weightKg)) totalKg += p.weightKg;
    else unknownWeightIds.push(p.id);
  }
  const maxKg = typeof rack.maxWeightKg === 'number' ? rack.maxWeightKg : null;
  return {
    totalKg,
    unknownWeightIds,
    maxKg,
    headroomKg: maxKg === null ? null : maxKg - totalKg,
    overByKg: maxKg === null ? 0 : Math.max(0, totalKg - maxKg),
  };
}
