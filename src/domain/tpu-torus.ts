/**
 * TPU slice placement on an ICI torus (pure; no database).
 *
 * A pod is a grid of chips (x, y, z). Two kinds, after Google's TPU system architecture documentation:
 * - `3d` (v4, v5p): the pod is made of 4×4×4 cubes, one per rack, whose chips are wired to each other inside the cube;
 *   optical circuit switches (OCS) join whole cubes into larger slices and close their wrap-around rings. A slice that
 *   fits in a cube is a box inside one cube (no wrap link needed); a larger slice is a set of whole cubes (every
 *   dimension a multiple of 4), any free cubes of the pod, since the OCS can join any of them.
 * - `2d` (v5e, v6e): the pod is a 2D torus of up to 16×16 chips. A slice is a rectangle; on an axis with wrap links a
 *   rectangle may run over the edge, and one that spans the whole axis is a ring that needs the wrap link too.
 *
 * A candidate is excluded when any of its chips is busy or unhealthy, or any ICI link between two of its chips (the
 * links it needs) is down, or (when the caller gives rack power headroom) the chips it puts in some rack would draw
 * more than that rack's headroom. Among the candidates the one that grows the fragmentation measure least wins (docs/SCHEDULER.md,
 * TPU slices): the free chips that the generation's usual slice shapes can no longer use.
 */

import { formatPowerW } from './units';

export type Dims = readonly [number, number, number];
export type Coord = readonly [number, number, number];

export type TorusKind = '2d' | '3d';

export type TpuPodState = {
  id: string;
  name: string;
  torus: TorusKind;
  /** Pod extent in chips along x, y, z (z = 1 for a 2D pod). */
  dims: Dims;
  /** Cube edge for 3D pods (4); null for 2D. */
  cubeEdge: number | null;
  /** 2D pods: whether the axis has wrap-around links (a torus ring). Unused for 3D (the OCS closes cube slices). */
  wraps: readonly [boolean, boolean, boolean];
  chips: TpuChipState[];
  /** ICI links that are down, as pairs of chip coordinates (either order). */
  downLinks: ReadonlyArray<readonly [Coord, Coord]>;
};

/** `rackId`: the rack of the chip's host, for the rack power check (absent: the chip's rack is not power-limited). */
export type TpuChipState = { coord: Coord; chipId: number; healthy: boolean; busy: boolean; rackId?: string };

/**
 * Rack power for a placement: what one busy chip draws, W, and each rack's power headroom, W (as the GPU scheduler
 * computes it: the power chain's headroom with the live allocations' expected draw). A rack not in the map is not
 * limited (no power chain analysis for it).
 */
export type SlicePowerCheck = { chipPowerW: number; rackHeadroomW: ReadonlyMap<string, number>; rackNames?: ReadonlyMap<string, string> };

export type TpuSlicePlacement = {
  podId: string;
  podName: string;
  /** The shape as placed (an orientation of the requested one). */
  shape: Dims;
  /** Sub-cube and 2D slices: the lowest corner (before wrapping); null for a multi-cube slice. */
  origin: Coord | null;
  /** Multi-cube slices: the cube indices used (and a whole-cube 4×4×4 slice: its cube); null otherwise. */
  cubes: number[] | null;
  chipIds: number[];
  coords: Coord[];
  /** Growth of the pod's fragmentation measure (free chips the usual shapes cannot use) if this slice is placed. */
  fragmentationGrowth: number;
};

export type TpuPlacementResult =
  | { ok: true; placement: TpuSlicePlacement }
  | { ok: false; reason: string; largestFree: Dims | null; blocked: BlockedCounts; powerShortfall?: PowerShortfall };

export type BlockedCounts = { busy: number; unhealthyChip: number; failedLink: number; rackPower: number };

/** The rack that came closest to taking a candidate refused for power: its draw there and its headroom, W. */
export type PowerShortfall = { rackId: string; neededW: number; headroomW: number };

const SHAPE_PATTERN = /^\s*(\d{1,3})\s*[x×]\s*(\d{1,3})(?:\s*[x×]\s*(\d{1,3}))?\s*$/i;

/** Parses "2x2x4" (or "2×2×4"; "8x8" for a 2D shape, z = 1). Null when it is not such a string. */
export function parseShape(text: string): Dims | null {
  const m = SHAPE_PATTERN.exec(text);
  if (!m) return null;
  const dims = [Number(m[1]), Number(m[2]), m[3] === undefined ? 1 : Number(m[3])] as const;
  if (dims.some((d) => d < 1)) return null;
  return dims;
}

/** "4×4×8" (3D) or "8×8" (2D). */
export function formatShape(dims: Dims, torus: TorusKind): string {
  return torus === '2d' ? `${dims[0]}×${dims[1]}` : `${dims[0]}×${dims[1]}×${dims[2]}`;
}

export function chipCount(dims: Dims): number {
  return dims[0] * dims[1] * dims[2];
}

export type TopologyRules = { torus: TorusKind; cubeEdge: number | null; maxPodShape: Dims };

/**
 * Why a requested shape cannot be a slice of this generation, or null when it can: 3D shapes name three dimensions and
 * either fit in one cube or are whole cubes (every dimension a multiple of the cube edge); 2D shapes name two (or a
 * third of 1) and fit the generation's largest pod.
 */
export function shapeProblem(text: string, rules: TopologyRules): string | null {
  const dims = parseShape(text);
  if (!dims) return 'must be like 2x2x4 (chips along x, y, z; 2D generations: like 4x8)';
  const named = text.split(/[x×]/i).length;
  const max = rules.maxPodShape;
  if (rules.torus === '3d') {
    if (named !== 3) return 'this generation is a 3D torus: give three dimensions, like 2x2x4';
    const edge = rules.cubeEdge ?? 4;
    const inCube = dims.every((d) => d <= edge);
    if (!inCube && dims.some((d) => d % edge !== 0)) {
      return `a slice larger than one ${edge}×${edge}×${edge} cube is made of whole cubes: every dimension must be a multiple of ${edge}`;
    }
    if (chipCount(dims) > chipCount(max)) return `${chipCount(dims)} chips is more than the generation's largest pod (${chipCount(max)} chips)`;
    return null;
  }
  if (named === 3 && dims[2] !== 1) return 'this generation is a 2D torus: give two dimensions, like 4x8';
  const sorted = [dims[0], dims[1]].sort((a, b) => a - b);
  const maxSorted = [max[0], max[1]].sort((a, b) => a - b);
  if (sorted[0]! > maxSorted[0]! || sorted[1]! > maxSorted[1]!) return `exceeds the generation's ${max[0]}×${max[1]} pod`;
  return null;
}

/** The distinct axis orders of a shape (2D: x and y only; z stays 1). */
export function orientations(dims: Dims, torus: TorusKind): Dims[] {
  const perms: Dims[] =
    torus === '2d'
      ? [
          [dims[0], dims[1], 1],
          [dims[1], dims[0], 1],
        ]
      : [
          [dims[0], dims[1], dims[2]],
          [dims[0], dims[2], dims[1]],
          [dims[1], dims[0], dims[2]],
          [dims[1], dims[2], dims[0]],
          [dims[2], dims[0], dims[1]],
          [dims[2], dims[1], dims[0]],
        ];
  const seen = new Set<string>();
  return perms.filter((p) => {
    const key = p.join('x');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The slice shapes a generation's users usually ask for: the fragmentation measure's typical workload. */
export function referenceShapes(pod: Pick<TpuPodState, 'torus' | 'dims' | 'cubeEdge'>): Dims[] {
  if (pod.torus === '3d') {
    const e = pod.cubeEdge ?? 4;
    return (
      [
        [2, 2, 1],
        [2, 2, 2],
        [2, 2, 4],
        [2, 4, 4],
        [4, 4, 4],
      ] as Dims[]
    ).filter((d) => d.every((v) => v <= e));
  }
  const all: Dims[] = [
    [2, 2, 1],
    [2, 4, 1],
    [4, 4, 1],
    [4, 8, 1],
    [8, 8, 1],
    [8, 16, 1],
    [16, 16, 1],
  ];
  return all.filter((d) => orientations(d, '2d').some((o) => o[0] <= pod.dims[0] && o[1] <= pod.dims[1]));
}

/** The pod as flat arrays: chip index = x + X·(y + Y·z). */
class Grid {
  readonly X: number;
  readonly Y: number;
  readonly Z: number;
  /** 0 absent, 1 usable (free and healthy), 2 busy, 3 unhealthy. */
  readonly cell: Uint8Array;
  readonly chipId: Int32Array;
  /** Rack of each cell's chip (undefined: not power-limited). */
  readonly rackOf: Array<string | undefined>;
  readonly down = new Set<number>();
  /** Candidate boxes per shape and region: their geometry never changes while the grid's states do. */
  readonly boxCache = new Map<string, Box[]>();

  constructor(readonly pod: TpuPodState) {
    [this.X, this.Y, this.Z] = pod.dims;
    const n = this.X * this.Y * this.Z;
    this.cell = new Uint8Array(n);
    this.chipId = new Int32Array(n).fill(-1);
    this.rackOf = new Array(n);
    for (const chip of pod.chips) {
      const i = this.index(chip.coord);
      if (i < 0) continue;
      this.cell[i] = !chip.healthy ? 3 : chip.busy ? 2 : 1;
      this.chipId[i] = chip.chipId;
      this.rackOf[i] = chip.rackId;
    }
    for (const [a, b] of pod.downLinks) {
      const i = this.index(a);
      const j = this.index(b);
      if (i >= 0 && j >= 0) this.down.add(this.linkKey(i, j));
    }
  }

  index(c: Coord): number {
    const [x, y, z] = c;
    if (x < 0 || y < 0 || z < 0 || x >= this.X || y >= this.Y || z >= this.Z) return -1;
    return x + this.X * (y + this.Y * z);
  }

  coordOf(i: number): Coord {
    const x = i % this.X;
    const y = Math.floor(i / this.X) % this.Y;
    const z = Math.floor(i / (this.X * this.Y));
    return [x, y, z];
  }

  linkKey(i: number, j: number): number {
    return i < j ? i * 1_048_576 + j : j * 1_048_576 + i;
  }
}

type Box = { origin: Coord; shape: Dims; wrapAxes: readonly [boolean, boolean, boolean] };

/** Visits the chips of a box (flat indices), wrapping modulo the pod; stops when the visitor returns false. */
function everyCell(grid: Grid, box: Box, visit: (cell: number, i: number, j: number, k: number) => boolean): boolean {
  const { origin, shape } = box;
  for (let k = 0; k < shape[2]; k++) {
    const z = (origin[2] + k) % grid.Z;
    for (let j = 0; j < shape[1]; j++) {
      const y = (origin[1] + j) % grid.Y;
      for (let i = 0; i < shape[0]; i++) {
        const x = (origin[0] + i) % grid.X;
        if (!visit(x + grid.X * (y + grid.Y * z), i, j, k)) return false;
      }
    }
  }
  return true;
}

function cellsOf(grid: Grid, box: Box): number[] {
  const cells: number[] = [];
  everyCell(grid, box, (c) => {
    cells.push(c);
    return true;
  });
  return cells;
}

/**
 * The ICI links a box needs: each chip to its next neighbour along every axis inside the box, plus, on a 2D axis with
 * wrap links that the box spans whole, the ring's closing link.
 */
function linksOf(grid: Grid, box: Box): Array<[number, number]> {
  const dims = [grid.X, grid.Y, grid.Z];
  const links: Array<[number, number]> = [];
  const { origin, shape } = box;
  const at = (i: number, j: number, k: number) => grid.index([(origin[0] + i) % dims[0]!, (origin[1] + j) % dims[1]!, (origin[2] + k) % dims[2]!]);
  everyCell(grid, box, (here, i, j, k) => {
    const steps: Array<[number, number, 0 | 1 | 2]> = [
      [i, shape[0], 0],
      [j, shape[1], 1],
      [k, shape[2], 2],
    ];
    for (const [pos, extent, axis] of steps) {
      const inside = pos + 1 < extent;
      const closesRing = !inside && extent === dims[axis] && extent > 2 && box.wrapAxes[axis];
      if (!inside && !closesRing) continue;
      const n = (pos + 1) % extent;
      links.push([here, axis === 0 ? at(n, j, k) : axis === 1 ? at(i, n, k) : at(i, j, n)]);
    }
    return true;
  });
  return links;
}

type Verdict = 'ok' | 'busy' | 'unhealthyChip' | 'failedLink';

function judge(grid: Grid, box: Box): Verdict {
  let verdict: Verdict = 'ok';
  everyCell(grid, box, (c) => {
    const state = grid.cell[c];
    if (state === 3 || state === 0) {
      verdict = 'unhealthyChip';
      return false;
    }
    if (state === 2) verdict = 'busy';
    return true;
  });
  if (verdict !== 'ok' || grid.down.size === 0) return verdict;
  for (const [a, b] of linksOf(grid, box)) if (grid.down.has(grid.linkKey(a, b))) return 'failedLink';
  return 'ok';
}

/** Like judge, but only says whether the box is usable (stops at the first busy chip). */
function usable(grid: Grid, box: Box): boolean {
  const free = everyCell(grid, box, (c) => grid.cell[c] === 1);
  if (!free || grid.down.size === 0) return free;
  for (const [a, b] of linksOf(grid, box)) if (grid.down.has(grid.linkKey(a, b))) return false;
  return true;
}

function boxAt(_grid: Grid, origin: Coord, shape: Dims, wrapAxes: readonly [boolean, boolean, boolean]): Box {
  return { origin, shape, wrapAxes };
}

/** The cube boxes of a 3D pod: origin of each whole cube, in index order (x fastest). */
function cubeOrigins(grid: Grid, edge: number): Coord[] {
  const out: Coord[] = [];
  for (let z = 0; z + edge <= grid.Z; z += edge) {
    for (let y = 0; y + edge <= grid.Y; y += edge) for (let x = 0; x + edge <= grid.X; x += edge) out.push([x, y, z]);
  }
  return out;
}

const NO_WRAP = [false, false, false] as const;

/**
 * Every box of this shape (all orientations) the region allows: inside one cube for 3D sub-cube shapes (no wrap), or
 * anywhere in a 2D pod (over the edge on axes with wrap links; one origin on an axis the box spans whole).
 */
function candidateBoxes(grid: Grid, shape: Dims, regionOrigin?: Coord): Box[] {
  const key = `${shape.join('x')}@${regionOrigin ? regionOrigin.join(',') : 'all'}`;
  let boxes = grid.boxCache.get(key);
  if (!boxes) {
    boxes = enumerateBoxes(grid, shape, regionOrigin);
    grid.boxCache.set(key, boxes);
  }
  return boxes;
}

function enumerateBoxes(grid: Grid, shape: Dims, regionOrigin?: Coord): Box[] {
  const pod = grid.pod;
  const boxes: Box[] = [];
  if (pod.torus === '3d') {
    const edge = pod.cubeEdge ?? 4;
    const cubes = regionOrigin ? [regionOrigin] : cubeOrigins(grid, edge);
    for (const cube of cubes) {
      for (const o of orientations(shape, '3d')) {
        if (o.some((d) => d > edge)) continue;
        for (let z = 0; z + o[2] <= edge; z++) {
          for (let y = 0; y + o[1] <= edge; y++) {
            for (let x = 0; x + o[0] <= edge; x++) boxes.push(boxAt(grid, [cube[0] + x, cube[1] + y, cube[2] + z], o, NO_WRAP));
          }
        }
      }
    }
    return boxes;
  }
  const dims = [grid.X, grid.Y, 1] as const;
  for (const o of orientations(shape, '2d')) {
    if (o[0] > dims[0] || o[1] > dims[1]) continue;
    const originsOn = (axis: 0 | 1) => {
      const extent = o[axis];
      const size = dims[axis];
      if (extent === size) return [0];
      const last = pod.wraps[axis] ? size - 1 : size - extent;
      return Array.from({ length: last + 1 }, (_, v) => v);
    };
    for (const y of originsOn(1)) for (const x of originsOn(0)) boxes.push(boxAt(grid, [x, y, 0], o, pod.wraps));
  }
  return boxes;
}

/** Free chips of the region that no placement of `shape` could use (the FGD-like fragment of one shape). */
function unusableFree(grid: Grid, shape: Dims, regionCells: number[], regionOrigin?: Coord): number {
  const covered = new Set<number>();
  for (const box of candidateBoxes(grid, shape, regionOrigin)) {
    if (usable(grid, box)) everyCell(grid, box, (c) => covered.add(c) !== undefined);
  }
  let count = 0;
  for (const c of regionCells) if (grid.cell[c] === 1 && !covered.has(c)) count++;
  return count;
}

/** The fragmentation measure of a region (a cube of a 3D pod, or a whole 2D pod). */
function regionFragmentation(grid: Grid, regionCells: number[], regionOrigin?: Coord): number {
  let total = 0;
  for (const shape of referenceShapes(grid.pod)) total += unusableFree(grid, shape, regionCells, regionOrigin);
  return total;
}

function cubeCells(grid: Grid, origin: Coord, edge: number): number[] {
  return cellsOf(grid, boxAt(grid, origin, [edge, edge, edge], NO_WRAP));
}

/** The free, healthy whole cubes of a 3D pod whose internal links are all up, by cube index. */
function wholeFreeCubes(grid: Grid, edge: number): number[] {
  const out: number[] = [];
  for (const [n, origin] of cubeOrigins(grid, edge).entries()) {
    if (usable(grid, boxAt(grid, origin, [edge, edge, edge], NO_WRAP))) out.push(n);
  }
  return out;
}

/** Fragmentation measure of the whole pod (docs/SCHEDULER.md): the sum over its regions. */
export function podFragmentation(pod: TpuPodState): number {
  const grid = new Grid(pod);
  if (pod.torus === '2d') return regionFragmentation(grid, allCells(grid));
  const edge = pod.cubeEdge ?? 4;
  return cubeOrigins(grid, edge).reduce((sum, o) => sum + regionFragmentation(grid, cubeCells(grid, o, edge), o), 0);
}

function allCells(grid: Grid): number[] {
  return Array.from({ length: grid.X * grid.Y * grid.Z }, (_, i) => i);
}

type Scored = { box: Box | null; cubes: number[] | null; cells: number[]; growth: number; freeLeft: number };

function withCellsBusy<T>(grid: Grid, cells: number[], fn: () => T): T {
  for (const c of cells) grid.cell[c] = 2;
  try {
    return fn();
  } finally {
    for (const c of cells) grid.cell[c] = 1;
  }
}

function countFree(grid: Grid, cells: number[]): number {
  let n = 0;
  for (const c of cells) if (grid.cell[c] === 1) n++;
  return n;
}

/** Draw per rack (W) of a set of cells, for the racks that are power-limited. */
function drawByRack(grid: Grid, cells: number[], power: SlicePowerCheck): Map<string, number> {
  const draw = new Map<string, number>();
  for (const c of cells) {
    const rack = grid.rackOf[c];
    if (rack === undefined || !power.rackHeadroomW.has(rack)) continue;
    draw.set(rack, (draw.get(rack) ?? 0) + power.chipPowerW);
  }
  return draw;
}

/** The rack whose headroom the draw exceeds most (null: every rack has room). `used` is draw already committed. */
function powerShortfall(draw: Map<string, number>, power: SlicePowerCheck, used?: Map<string, number>): PowerShortfall | null {
  let worst: PowerShortfall | null = null;
  for (const [rackId, w] of draw) {
    const neededW = w + (used?.get(rackId) ?? 0);
    const headroomW = power.rackHeadroomW.get(rackId)!;
    if (neededW <= headroomW) continue;
    if (!worst || neededW - headroomW > worst.neededW - worst.headroomW) worst = { rackId, neededW, headroomW };
  }
  return worst;
}

/** Keeps the refusal that came closest to fitting: the smallest excess over headroom. */
function closer(a: PowerShortfall | null, b: PowerShortfall | null): PowerShortfall | null {
  if (!a) return b;
  if (!b) return a;
  return b.neededW - b.headroomW < a.neededW - a.headroomW ? b : a;
}

/** The best placement of a shape in one pod, or the tally of why every candidate was refused. */
function bestInPod(grid: Grid, shape: Dims, power?: SlicePowerCheck): { best: Scored | null; blocked: BlockedCounts; shortfall: PowerShortfall | null } {
  const pod = grid.pod;
  const blocked: BlockedCounts = { busy: 0, unhealthyChip: 0, failedLink: 0, rackPower: 0 };
  let shortfall: PowerShortfall | null = null;
  const edge = pod.cubeEdge ?? 4;
  if (pod.torus === '3d' && shape.some((d) => d > edge)) {
    const needed = chipCount(shape) / edge ** 3;
    const origins = cubeOrigins(grid, edge);
    const free: number[] = [];
    for (const [n, origin] of origins.entries()) {
      const verdict = judge(grid, boxAt(grid, origin, [edge, edge, edge], NO_WRAP));
      if (verdict === 'ok') free.push(n);
      else blocked[verdict]++;
    }
    // Whole cubes are interchangeable through the OCS; the lowest-numbered ones keep the choice predictable. With a
    // power check, a cube joins only while every rack it puts chips in keeps its headroom (cubes may share a rack).
    const cubes: number[] = [];
    const used = new Map<string, number>();
    for (const n of free) {
      if (cubes.length === needed) break;
      if (power) {
        const draw = drawByRack(grid, cubeCells(grid, origins[n]!, edge), power);
        const short = powerShortfall(draw, power, used);
        if (short) {
          blocked.rackPower++;
          shortfall = closer(shortfall, short);
          continue;
        }
        for (const [rack, w] of draw) used.set(rack, (used.get(rack) ?? 0) + w);
      }
      cubes.push(n);
    }
    if (cubes.length < needed) return { best: null, blocked, shortfall };
    const cells = cubes.flatMap((n) => cubeCells(grid, origins[n]!, edge));
    return { best: { box: null, cubes, cells, growth: 0, freeLeft: (free.length - needed) * edge ** 3 }, blocked, shortfall };
  }
  let best: Scored | null = null;
  const regionBefore = new Map<string, { cells: number[]; origin?: Coord; before: number; free: number }>();
  const regionOf = (box: Box) => {
    const origin: Coord | undefined =
      pod.torus === '3d' ? [box.origin[0] - (box.origin[0] % edge), box.origin[1] - (box.origin[1] % edge), box.origin[2] - (box.origin[2] % edge)] : undefined;
    const key = origin ? origin.join(',') : 'pod';
    let region = regionBefore.get(key);
    if (!region) {
      const cells = origin ? cubeCells(grid, origin, edge) : allCells(grid);
      region = { cells, origin, before: regionFragmentation(grid, cells, origin), free: countFree(grid, cells) };
      regionBefore.set(key, region);
    }
    return region;
  };
  for (const box of candidateBoxes(grid, shape)) {
    const verdict = judge(grid, box);
    if (verdict !== 'ok') {
      blocked[verdict]++;
      continue;
    }
    const cells = cellsOf(grid, box);
    if (power) {
      const short = powerShortfall(drawByRack(grid, cells, power), power);
      if (short) {
        blocked.rackPower++;
        shortfall = closer(shortfall, short);
        continue;
      }
    }
    const region = regionOf(box);
    const after = withCellsBusy(grid, cells, () => regionFragmentation(grid, region.cells, region.origin));
    const scored: Scored = { box, cubes: null, cells, growth: after - region.before, freeLeft: region.free - cells.length };
    // Least growth; then the region left fullest (best fit); then the first in enumeration order.
    if (!best || scored.growth < best.growth || (scored.growth === best.growth && scored.freeLeft < best.freeLeft)) best = scored;
  }
  return { best, blocked, shortfall };
}

/** The largest shape (most chips) that could be placed in the pod now, or null when not even one chip is free. */
export function largestFreeShape(pod: TpuPodState): Dims | null {
  const grid = new Grid(pod);
  if (pod.torus === '3d') {
    const edge = pod.cubeEdge ?? 4;
    const cubes = wholeFreeCubes(grid, edge).length;
    if (cubes >= 1) return [edge, edge, edge * cubes];
    const shapes: Dims[] = [];
    for (let c = edge; c >= 1; c--) for (let b = c; b >= 1; b--) for (let a = b; a >= 1; a--) shapes.push([a, b, c]);
    return firstPlaceable(grid, shapes);
  }
  const shapes: Dims[] = [];
  const maxA = Math.min(grid.X, grid.Y);
  const maxB = Math.max(grid.X, grid.Y);
  for (let b = maxB; b >= 1; b--) for (let a = Math.min(b, maxA); a >= 1; a--) shapes.push([a, b, 1]);
  return firstPlaceable(grid, shapes);
}

function firstPlaceable(grid: Grid, shapes: Dims[]): Dims | null {
  shapes.sort((p, q) => chipCount(q) - chipCount(p));
  let free = 0;
  for (const c of grid.cell) if (c === 1) free++;
  for (const shape of shapes) {
    if (chipCount(shape) > free) continue;
    if (candidateBoxes(grid, shape).some((box) => usable(grid, box))) return shape;
  }
  return null;
}

/**
 * Places a slice of `shape` in the best pod of those given (all of the requested generation): the candidate with the
 * least fragmentation growth, then the one leaving its region fullest; across pods, the same order. With `power`, a
 * candidate must also fit the power headroom of every rack it puts chips in. When nothing fits, the reason names the
 * shape, each pod's largest free shape and what blocked the candidates (for power: the rack that came closest).
 */
export function placeSlice(pods: TpuPodState[], shape: Dims, power?: SlicePowerCheck): TpuPlacementResult {
  const torus = pods[0]?.torus ?? '3d';
  const wanted = formatShape(shape, torus);
  if (pods.length === 0) return { ok: false, reason: `no TPU pod of this generation to place a ${wanted} slice in`, largestFree: null, blocked: { busy: 0, unhealthyChip: 0, failedLink: 0, rackPower: 0 } };
  let best: { pod: TpuPodState; grid: Grid; scored: Scored } | null = null;
  const blocked: BlockedCounts = { busy: 0, unhealthyChip: 0, failedLink: 0, rackPower: 0 };
  let shortfall: PowerShortfall | null = null;
  for (const pod of pods) {
    const grid = new Grid(pod);
    const result = bestInPod(grid, shape, power);
    blocked.busy += result.blocked.busy;
    blocked.unhealthyChip += result.blocked.unhealthyChip;
    blocked.failedLink += result.blocked.failedLink;
    blocked.rackPower += result.blocked.rackPower;
    shortfall = closer(shortfall, result.shortfall);
    const s = result.best;
    if (!s) continue;
    if (!best || s.growth < best.scored.growth || (s.growth === best.scored.growth && s.freeLeft < best.scored.freeLeft)) best = { pod, grid, scored: s };
  }
  if (best) {
    const { pod, grid, scored } = best;
    const placedShape: Dims = scored.box ? scored.box.shape : shape;
    return {
      ok: true,
      placement: {
        podId: pod.id,
        podName: pod.name,
        shape: placedShape,
        origin: scored.box ? scored.box.origin : null,
        cubes: scored.cubes ?? (pod.torus === '3d' && scored.box && placedShape.every((d) => d === pod.cubeEdge) ? [cubeIndexOf(grid, scored.box.origin)] : null),
        chipIds: scored.cells.map((c) => grid.chipId[c]!),
        coords: scored.cells.map((c) => grid.coordOf(c)),
        fragmentationGrowth: scored.growth,
      },
    };
  }
  const largest = pods.map((pod) => ({ pod, shape: largestFreeShape(pod) }));
  const top = largest.reduce((a, b) => ((b.shape ? chipCount(b.shape) : 0) > (a.shape ? chipCount(a.shape) : 0) ? b : a));
  const where = pods.length === 1 ? ` in pod ${pods[0]!.name}` : ` in ${pods.length} pods`;
  const largestText = top.shape ? `largest free is ${formatShape(top.shape, torus)}${pods.length > 1 ? ` (pod ${top.pod.name})` : ''}` : 'no chip is free';
  const parts: string[] = [];
  if (blocked.busy) parts.push(`${blocked.busy} taken by other slices`);
  if (blocked.unhealthyChip) parts.push(`${blocked.unhealthyChip} on an unhealthy or missing chip`);
  if (blocked.failedLink) parts.push(`${blocked.failedLink} needing a failed ICI link`);
  if (blocked.rackPower && shortfall) {
    const rack = power?.rackNames?.get(shortfall.rackId) ?? shortfall.rackId;
    parts.push(`${blocked.rackPower} over a rack's power headroom, closest rack ${rack}: ${formatPowerW(shortfall.neededW)} needed, ${formatPowerW(Math.max(0, shortfall.headroomW))} of headroom`);
  }
  const why = parts.length > 0 ? ` (candidate positions: ${parts.join(', ')})` : '';
  const within = blocked.rackPower > 0 ? ' within rack power headroom' : '';
  return { ok: false, reason: `no free ${wanted} slice${within}${where}; ${largestText}${why}`, largestFree: top.shape, blocked, ...(shortfall ? { powerShortfall: shortfall } : {}) };
}

function cubeIndexOf(grid: Grid, origin: Coord): number {
  const edge = grid.pod.cubeEdge ?? 4;
  const cx = Math.floor(origin[0] / edge);
  const cy = Math.floor(origin[1] / edge);
  const cz = Math.floor(origin[2] / edge);
  return cx + (grid.X / edge) * (cy + (grid.Y / edge) * cz);
}

/**
 * The ICI links of a pod, as pairs of coordinates: the next neighbour along each axis (3D pods: inside each cube only,
 * the OCS carries the rest; 2D pods: around the ring on axes with wrap links). What the seed and the link table hold.
 */
export function podLinks(pod: Pick<TpuPodState, 'torus' | 'dims' | 'cubeEdge' | 'wraps'>): Array<[Coord, Coord]> {
  const [X, Y, Z] = pod.dims;
  const links: Array<[Coord, Coord]> = [];
  const edge = pod.cubeEdge ?? 4;
  for (let z = 0; z < Z; z++) {
    for (let y = 0; y < Y; y++) {
      for (let x = 0; x < X; x++) {
        const here: Coord = [x, y, z];
        const next: Array<[number, number, number, 0 | 1 | 2]> = [
          [x + 1, y, z, 0],
          [x, y + 1, z, 1],
          [x, y, z + 1, 2],
        ];
        for (const [nx, ny, nz, axis] of next) {
          const size = pod.dims[axis];
          const value = [nx, ny, nz][axis]!;
          if (pod.torus === '3d') {
            if (value >= size || value % edge === 0) continue; // crossing a cube face: an OCS port, not a wire
            links.push([here, [nx, ny, nz]]);
          } else if (value < size) {
            links.push([here, [nx, ny, nz]]);
          } else if (pod.wraps[axis] && size > 2) {
            const wrapped: [number, number, number] = [nx, ny, nz];
            wrapped[axis] = 0;
            links.push([here, wrapped]);
          }
        }
      }
    }
  }
  return links;
}
