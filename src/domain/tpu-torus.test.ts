import { describe, expect, it } from 'vitest';
import { acceleratorById } from './accelerators';
import {
  type Coord,
  type Dims,
  largestFreeShape,
  orientations,
  parseShape,
  placeSlice,
  podFragmentation,
  podLinks,
  shapeProblem,
  type TopologyRules,
  type TpuPodState,
} from './tpu-torus';

/** A pod whose chip ids are their flat index (x + X·(y + Y·z)). */
function pod3d(dims: Dims, name = 'p3'): TpuPodState {
  const chips = [];
  for (let z = 0; z < dims[2]; z++) for (let y = 0; y < dims[1]; y++) for (let x = 0; x < dims[0]; x++) chips.push({ coord: [x, y, z] as Coord, chipId: x + dims[0] * (y + dims[1] * z), healthy: true, busy: false });
  return { id: name, name, torus: '3d', dims, cubeEdge: 4, wraps: [false, false, false], chips, downLinks: [] };
}

function pod2d(x: number, y: number, wraps = true, name = 'p2'): TpuPodState {
  const p = pod3d([x, y, 1], name);
  return { ...p, torus: '2d', cubeEdge: null, wraps: [wraps, wraps, false] };
}

function setBusy(pod: TpuPodState, predicate: (c: Coord) => boolean): void {
  for (const chip of pod.chips) if (predicate(chip.coord)) chip.busy = true;
}

function inBox(c: Coord, lo: Coord, hi: Coord): boolean {
  return c.every((v, i) => v >= lo[i]! && v < hi[i]!);
}

function placed(pod: TpuPodState | TpuPodState[], shape: Dims) {
  const result = placeSlice(Array.isArray(pod) ? pod : [pod], shape);
  if (!result.ok) throw new Error(result.reason);
  return result.placement;
}

/** True when the coordinates form a contiguous box of this shape (modulo the pod dims where it wraps). */
function isBoxOf(coords: readonly Coord[], shape: Dims, dims: Dims): boolean {
  if (coords.length !== shape[0] * shape[1] * shape[2]) return false;
  const set = new Set(coords.map((c) => c.join(',')));
  if (set.size !== coords.length) return false;
  const o = coords[0]!;
  for (let k = 0; k < shape[2]; k++) for (let j = 0; j < shape[1]; j++) for (let i = 0; i < shape[0]; i++) {
    if (!set.has([(o[0] + i) % dims[0], (o[1] + j) % dims[1], (o[2] + k) % dims[2]].join(','))) return false;
  }
  return true;
}

const rules = (id: string): TopologyRules => {
  const t = acceleratorById(id)!.tpu!;
  return { torus: t.torus, cubeEdge: t.cubeEdge, maxPodShape: t.maxPodShape };
};

describe('TPU catalogue', () => {
  it('has v4, v5p, v5e and v6e with their hosts and tori', () => {
    expect(acceleratorById('tpu-v4')!.tpu).toMatchObject({ torus: '3d', chipsPerHost: 4, cubeEdge: 4 });
    expect(acceleratorById('tpu-v5p')!.tpu).toMatchObject({ torus: '3d', chipsPerHost: 4, cubeEdge: 4 });
    expect(acceleratorById('tpu-v5e')!.tpu).toMatchObject({ torus: '2d', chipsPerHost: 8, maxPodShape: [16, 16, 1] });
    expect(acceleratorById('tpu-v6e')!.tpu).toMatchObject({ torus: '2d', chipsPerHost: 8, maxPodShape: [16, 16, 1] });
  });
});

describe('shape validation', () => {
  it('parses shapes and refuses what the generation cannot build', () => {
    expect(parseShape('2x2x4')).toEqual([2, 2, 4]);
    expect(parseShape('4×8')).toEqual([4, 8, 1]);
    expect(parseShape('2x0x4')).toBeNull();
    expect(parseShape('big')).toBeNull();
    expect(shapeProblem('2x2x4', rules('tpu-v5p'))).toBeNull();
    expect(shapeProblem('4x4x8', rules('tpu-v5p'))).toBeNull();
    expect(shapeProblem('2x4x8', rules('tpu-v5p'))).toMatch(/multiple of 4/);
    expect(shapeProblem('4x4', rules('tpu-v5p'))).toMatch(/three dimensions/);
    expect(shapeProblem('4x8', rules('tpu-v5e'))).toBeNull();
    expect(shapeProblem('4x8x2', rules('tpu-v5e'))).toMatch(/two dimensions/);
    expect(shapeProblem('4x32', rules('tpu-v5e'))).toMatch(/16×16/);
    expect(shapeProblem('2-2-4', rules('tpu-v4'))).toMatch(/like 2x2x4/);
    expect(shapeProblem('32x32x32', rules('tpu-v4'))).toMatch(/largest pod/);
  });

  it('lists each distinct orientation once', () => {
    expect(orientations([2, 2, 4], '3d')).toHaveLength(3);
    expect(orientations([1, 2, 4], '3d')).toHaveLength(6);
    expect(orientations([4, 4, 4], '3d')).toHaveLength(1);
    expect(orientations([4, 8, 1], '2d')).toEqual([
      [4, 8, 1],
      [8, 4, 1],
    ]);
  });
});

describe('contiguous placement', () => {
  it('places a 2×2×4 sub-cube slice as a contiguous box inside one cube', () => {
    const pod = pod3d([4, 4, 8]);
    const p = placed(pod, [2, 2, 4]);
    expect(p.chipIds).toHaveLength(16);
    expect(isBoxOf(p.coords, p.shape, pod.dims)).toBe(true);
    const cubesTouched = new Set(p.coords.map((c) => Math.floor(c[2] / 4)));
    expect(cubesTouched.size).toBe(1);
  });

  it('turns the shape to fit what is free', () => {
    const pod = pod3d([4, 4, 4]);
    // Everything busy but a 4×1×2 strip along x at y = 0, z = 0..1.
    setBusy(pod, (c) => !(c[1] === 0 && c[2] < 2));
    const p = placed(pod, [1, 2, 4]);
    expect(p.shape).toEqual([4, 1, 2]);
    expect(isBoxOf(p.coords, p.shape, pod.dims)).toBe(true);
  });

  it('never places a sub-cube slice across a cube face', () => {
    const pod = pod3d([4, 4, 8]);
    // Free: the top two layers of cube 0 and the bottom two of cube 1 (z = 2..5): a 4×4×4 box, but split by the face.
    setBusy(pod, (c) => c[2] < 2 || c[2] > 5);
    const result = placeSlice([pod], [4, 4, 4]);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toBe('no free 4×4×4 slice in pod p3; largest free is 2×4×4 (candidate positions: 2 taken by other slices)');
  });

  it('places 2D rectangles in either orientation', () => {
    const pod = pod2d(8, 8, false);
    setBusy(pod, (c) => c[0] >= 2);
    const p = placed(pod, [4, 2, 1]);
    expect(p.shape).toEqual([2, 4, 1]);
    expect(p.coords.every((c) => c[0] < 2)).toBe(true);
  });
});

describe('wrap-around', () => {
  it('uses the wrap link of a 2D torus to join chips at both edges', () => {
    const pod = pod2d(16, 16);
    // Only columns x = 15 and x = 0 of rows 0..3 free: a 2×4 slice exists only over the edge.
    setBusy(pod, (c) => !((c[0] === 15 || c[0] === 0) && c[1] < 4));
    const p = placed(pod, [2, 4, 1]);
    expect(new Set(p.coords.map((c) => c[0]))).toEqual(new Set([15, 0]));
    expect(isBoxOf(p.coords, p.shape, pod.dims)).toBe(true);
  });

  it('cannot go over the edge of an axis without wrap links', () => {
    const pod = pod2d(16, 16, false);
    setBusy(pod, (c) => !((c[0] === 15 || c[0] === 0) && c[1] < 4));
    expect(placeSlice([pod], [2, 4, 1]).ok).toBe(false);
  });

  it('a slice spanning a whole torus axis needs the ring-closing link', () => {
    const pod = pod2d(16, 16);
    setBusy(pod, (c) => c[1] >= 1);
    expect(placed(pod, [16, 1, 1]).coords).toHaveLength(16);
    const broken = pod2d(16, 16);
    setBusy(broken, (c) => c[1] >= 1);
    broken.downLinks = [[[15, 0, 0], [0, 0, 0]]];
    const result = placeSlice([broken], [16, 1, 1]);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.blocked.failedLink).toBe(1);
      expect(result.reason).toContain('needing a failed ICI link');
    }
  });

  it('a sub-slice inside a cube needs no wrap link; the pod lists only in-cube wires for 3D', () => {
    const links = podLinks({ torus: '3d', dims: [4, 4, 8], cubeEdge: 4, wraps: [false, false, false] });
    // Per cube: 3 axes × 3 links per line × 16 lines = 144; two cubes, no wire across the face (the OCS carries it).
    expect(links).toHaveLength(288);
    expect(links.some(([a, b]) => a[2] === 3 && b[2] === 4)).toBe(false);
    const ring = podLinks({ torus: '2d', dims: [16, 16, 1], cubeEdge: null, wraps: [true, true, false] });
    expect(ring).toHaveLength(512);
  });
});

describe('shapes larger than a cube', () => {
  it('takes whole free cubes, wherever they are in the pod', () => {
    const pod = pod3d([4, 4, 16]);
    // Cube 1 (z 4..7) has one busy chip: cubes 0, 2 and 3 are whole and free.
    setBusy(pod, (c) => c[0] === 0 && c[1] === 0 && c[2] === 5);
    const p = placed(pod, [4, 4, 8]);
    expect(p.cubes).toEqual([0, 2]);
    expect(p.chipIds).toHaveLength(128);
    expect(p.coords.some((c) => c[2] >= 4 && c[2] < 8)).toBe(false);
  });

  it('explains a missing multi-cube slice with the largest free shape', () => {
    const pod = pod3d([4, 4, 8], 'v5p-a');
    setBusy(pod, (c) => c[2] === 0 && c[0] === 0 && c[1] === 0);
    const result = placeSlice([pod], [4, 4, 8]);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toBe('no free 4×4×8 slice in pod v5p-a; largest free is 4×4×4 (candidate positions: 1 taken by other slices)');
      expect(result.largestFree).toEqual([4, 4, 4]);
    }
  });
});

describe('failed hardware', () => {
  it('excludes every candidate that needs a failed ICI link', () => {
    const pod = pod3d([4, 4, 4]);
    // Leave one 2×2×1 free spot at z = 0 (x, y < 2), and break the link inside it.
    setBusy(pod, (c) => !inBox(c, [0, 0, 0], [2, 2, 1]));
    pod.downLinks = [[[0, 0, 0], [1, 0, 0]]];
    const result = placeSlice([pod], [2, 2, 1]);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.blocked.failedLink).toBe(1);
    // A 1×2×1 slice at x = 0 does not need that link.
    const p = placed(pod, [1, 2, 1]);
    expect(p.coords.every((c) => c[0] === 0 || c[0] === 1)).toBe(true);
    expect(p.coords.map((c) => c[0])).toEqual([p.coords[0]![0], p.coords[0]![0]]);
  });

  it('a failed link inside a cube takes the cube out of multi-cube slices', () => {
    const pod = pod3d([4, 4, 8]);
    pod.downLinks = [[[2, 2, 6], [2, 3, 6]]];
    expect(placeSlice([pod], [4, 4, 8]).ok).toBe(false);
    expect(placed(pod, [4, 4, 4]).cubes).toEqual([0]);
  });

  it('excludes unhealthy chips', () => {
    const pod = pod3d([4, 4, 4]);
    for (const chip of pod.chips) if (chip.coord[2] === 0) chip.healthy = false;
    const p = placed(pod, [4, 4, 3]);
    expect(p.coords.every((c) => c[2] >= 1)).toBe(true);
    const result = placeSlice([pod], [4, 4, 4]);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain('1 on an unhealthy or missing chip');
  });
});

describe('fragmentation', () => {
  it('fills a broken cube before breaking a whole one', () => {
    const pod = pod3d([4, 4, 8]);
    // Cube 1 already holds a 2×2×1 slice; cube 0 is whole.
    setBusy(pod, (c) => inBox(c, [0, 0, 4], [2, 2, 5]));
    const p = placed(pod, [2, 2, 1]);
    expect(p.coords.every((c) => c[2] >= 4)).toBe(true);
    // Cube 0 stays whole, so a 4×4×4 slice still fits.
    setBusy(pod, (c) => p.coords.some((q) => q.join() === c.join()));
    expect(largestFreeShape(pod)).toEqual([4, 4, 4]);
  });

  it('packs small slices into a corner rather than the middle of a cube', () => {
    const pod = pod3d([4, 4, 4]);
    const p = placed(pod, [2, 2, 1]);
    // After it, a 2×4×4 (half a cube) must still fit: a slice in the middle would leave none.
    setBusy(pod, (c) => p.coords.some((q) => q.join() === c.join()));
    const half = placeSlice([pod], [2, 4, 4]);
    expect(half.ok).toBe(true);
  });

  it('prefers the placement that grows the measure least over the first one found', () => {
    const pod = pod2d(8, 8, false);
    // A 2×8 strip at x = 0..1 is taken; the next 2×2 should hug it, not land in the open middle.
    setBusy(pod, (c) => c[0] < 2);
    const before = podFragmentation(pod);
    const p = placed(pod, [2, 2, 1]);
    expect(p.coords.every((c) => c[0] === 2 || c[0] === 3)).toBe(true);
    // The growth it reports is the measure's real change, and a slice in the open middle would grow it more.
    const after = structuredClone(pod);
    setBusy(after, (c) => p.coords.some((q) => q.join() === c.join()));
    expect(podFragmentation(after) - before).toBe(p.fragmentationGrowth);
    const middle = structuredClone(pod);
    setBusy(middle, (c) => inBox(c, [4, 3, 0], [6, 5, 1]));
    expect(podFragmentation(middle) - before).toBeGreaterThan(p.fragmentationGrowth);
  });

  it('picks the fuller pod when two pods could take the slice', () => {
    const empty = pod3d([4, 4, 4], 'empty');
    const used = pod3d([4, 4, 4], 'used');
    setBusy(used, (c) => inBox(c, [0, 0, 0], [2, 2, 1]));
    expect(placed([empty, used], [2, 2, 1]).podName).toBe('used');
  });
});

describe('largest free shape', () => {
  it('counts whole cubes for 3D and rectangles for 2D', () => {
    expect(largestFreeShape(pod3d([4, 4, 12]))).toEqual([4, 4, 12]);
    const p = pod2d(8, 8, false);
    setBusy(p, (c) => c[1] >= 4);
    expect(largestFreeShape(p)).toEqual([4, 8, 1]);
    setBusy(p, () => true);
    expect(largestFreeShape(p)).toBeNull();
  });
});

describe('rack power headroom', () => {
  /** Puts each chip in rack "cube-<n>" of its 4×4×4 cube, as a 3D pod is racked (one cube per rack). */
  function rackByCube(pod: TpuPodState): TpuPodState {
    for (const chip of pod.chips) chip.rackId = `cube-${Math.floor(chip.coord[2] / 4)}`;
    return pod;
  }
  const power = (headroomW: Record<string, number>, chipPowerW = 300) => ({
    chipPowerW,
    rackHeadroomW: new Map(Object.entries(headroomW)),
    rackNames: new Map(Object.keys(headroomW).map((id) => [id, id.toUpperCase()])),
  });

  it('places a whole-cube slice in the cube whose rack has the headroom, not the first cube', () => {
    const pod = rackByCube(pod3d([4, 4, 8]));
    // 64 chips × 300 W = 19.2 kW: cube 0's rack has 10 kW left, cube 1's 30 kW.
    expect(placed(pod, [4, 4, 4]).cubes).toEqual([0]);
    const result = placeSlice([pod], [4, 4, 4], power({ 'cube-0': 10_000, 'cube-1': 30_000 }));
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.placement.cubes).toEqual([1]);
      expect(result.placement.coords.every((c) => c[2] >= 4)).toBe(true);
    }
  });

  it('refuses when the only free shaped sub-torus lies in a rack without headroom, and says which rack', () => {
    const pod = rackByCube(pod3d([4, 4, 8], 'v5p-a'));
    // Cube 1 is full; cube 0 is free, but its rack has 4 kW left and a 2×2×4 slice draws 16 × 300 W = 4.8 kW.
    setBusy(pod, (c) => c[2] >= 4);
    const result = placeSlice([pod], [2, 2, 4], power({ 'cube-0': 4_000, 'cube-1': 50_000 }));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toMatch(/^no free 2×2×4 slice within rack power headroom in pod v5p-a; largest free is 4×4×4 \(candidate positions: /);
      expect(result.reason).toContain("over a rack's power headroom, closest rack CUBE-0: 4.8 kW needed, 4 kW of headroom");
      expect(result.blocked.rackPower).toBeGreaterThan(0);
      expect(result.powerShortfall).toEqual({ rackId: 'cube-0', neededW: 4_800, headroomW: 4_000 });
    }
    // With 4.8 kW of headroom it fits; a smaller slice fits the 4 kW (8 × 300 W = 2.4 kW).
    expect(placeSlice([pod], [2, 2, 4], power({ 'cube-0': 4_800 })).ok).toBe(true);
    expect(placeSlice([pod], [2, 2, 2], power({ 'cube-0': 4_000 })).ok).toBe(true);
  });

  it('skips a multi-cube slice past the cube whose rack is short, and counts cubes sharing a rack together', () => {
    const pod = rackByCube(pod3d([4, 4, 16]));
    const split = placeSlice([pod], [4, 4, 8], power({ 'cube-1': 5_000 }));
    expect(split.ok && split.placement.cubes).toEqual([0, 2]);
    // Cubes 0 and 1 in one rack with room for one cube (19.2 kW) but not two: the slice takes cube 0 and cube 2.
    for (const chip of pod.chips) if (chip.coord[2] < 8) chip.rackId = 'shared';
    const shared = placeSlice([pod], [4, 4, 8], power({ shared: 25_000 }));
    expect(shared.ok && shared.placement.cubes).toEqual([0, 2]);
  });

  it('places a 2D slice on the hosts of the rack with headroom; racks without a figure are not limited', () => {
    const pod = pod2d(8, 8, true, 'v5e-a');
    for (const chip of pod.chips) chip.rackId = chip.coord[1] < 4 ? 'r-a' : 'r-b';
    // Rack r-a has 100 W left, not enough for one 170 W chip; r-b is not in the power analysis. With wrap links a 4×4
    // could straddle both racks (rows 2-5); it must keep to r-b's rows.
    const result = placeSlice([pod], [4, 4, 1], power({ 'r-a': 100 }, 170));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.placement.coords.every((c) => c[1] >= 4)).toBe(true);
    // 16 chips × 170 W = 2.72 kW: with 2 kW left in each rack, every 4×4 is refused (at best 8 + 8 chips, 1.36 kW each: fits).
    const straddle = placeSlice([pod], [4, 4, 1], power({ 'r-a': 2_000, 'r-b': 2_000 }, 170));
    expect(straddle.ok && straddle.placement.coords.filter((c) => c[1] < 4)).toHaveLength(8);
    const nowhere = placeSlice([pod], [4, 4, 1], power({ 'r-a': 1_000, 'r-b': 1_000 }, 170));
    expect(nowhere.ok).toBe(false);
    if (!nowhere.ok) expect(nowhere.reason).toMatch(/^no free 4×4 slice within rack power headroom in pod v5e-a; largest free is 8×8/);
  });
});
