// Builds a TPU pod in the inventory: its hosts (servers in racks, each holding the generation's chips per host as
// accelerators), each chip's torus coordinates, and every ICI link (up). The seed and the tests use it, so both build
// pods the way the scheduler reads them.

import { acceleratorById } from '@/domain/accelerators';
import { type Coord, type Dims, podLinks } from '@/domain/tpu-torus';
import type { Db } from '../db/client';
import * as s from '../db/schema';

type Writer = Pick<Db, 'insert'>;

export type TpuPodSpec = {
  name: string;
  hallId: number;
  /** Catalogue id: tpu-v4, tpu-v5p, tpu-v5e, tpu-v6e. */
  generation: string;
  /** Chips along x, y, z (z = 1 for 2D generations); 3D: multiples of the cube edge. */
  dims: Dims;
  /** 3D: one rack per cube, in cube index order; 2D: the racks the hosts are spread over, in order. */
  rackIds: number[];
  /** The TPU host's device type (its accelerator model must be the generation's). */
  hostTypeId: number;
  /** Rack units per host and the lowest unit of the first host. */
  hostUHeight: number;
  firstPosition?: number;
  /** Accelerator model row of the generation. */
  acceleratorModelId: number;
  /** Host name prefix, e.g. "tpu-a" → tpu-a-r1-h01. */
  hostPrefix: string;
};

export type BuiltTpuPod = { podId: number; hostIds: number[]; chipIds: number[]; chipAt: Map<string, number> };

export async function buildTpuPod(db: Writer, spec: TpuPodSpec): Promise<BuiltTpuPod> {
  const tpu = acceleratorById(spec.generation)?.tpu;
  if (!tpu) throw new Error(`${spec.generation} is not a TPU generation of the catalogue`);
  const [X, Y, Z] = spec.dims;
  const [hx, hy, hz] = tpu.hostShape;
  const edge = tpu.cubeEdge;
  const wraps: [boolean, boolean, boolean] = tpu.torus === '2d' ? [X > 2, Y > 2, false] : [false, false, false];
  const [pod] = await db
    .insert(s.tpuPods)
    .values({ name: spec.name, hallId: spec.hallId, generation: spec.generation, torus: tpu.torus, dimX: X, dimY: Y, dimZ: Z, cubeEdge: edge, wrapX: wraps[0], wrapY: wraps[1] })
    .returning({ id: s.tpuPods.id });

  // Host blocks tile the pod; each goes to its cube's rack (3D) or to the racks in turn, filling each (2D).
  type HostBlock = { origin: Coord; rackIndex: number };
  const blocks: HostBlock[] = [];
  for (let z = 0; z < Z; z += hz) for (let y = 0; y < Y; y += hy) for (let x = 0; x < X; x += hx) blocks.push({ origin: [x, y, z], rackIndex: 0 });
  if (edge) {
    const cubesX = X / edge;
    const cubesY = Y / edge;
    for (const b of blocks) b.rackIndex = Math.floor(b.origin[0] / edge) + cubesX * (Math.floor(b.origin[1] / edge) + cubesY * Math.floor(b.origin[2] / edge));
  } else {
    const perRack = Math.ceil(blocks.length / spec.rackIds.length);
    blocks.forEach((b, i) => {
      b.rackIndex = Math.floor(i / perRack);
    });
  }
  if (blocks.some((b) => b.rackIndex >= spec.rackIds.length)) throw new Error(`${spec.name}: needs ${Math.max(...blocks.map((b) => b.rackIndex)) + 1} racks, got ${spec.rackIds.length}`);

  const slotInRack = new Map<number, number>();
  const hostRows = blocks.map((b) => {
    const slot = slotInRack.get(b.rackIndex) ?? 0;
    slotInRack.set(b.rackIndex, slot + 1);
    const name = `${spec.hostPrefix}-r${b.rackIndex + 1}-h${String(slot + 1).padStart(2, '0')}`;
    return {
      deviceTypeId: spec.hostTypeId,
      rackId: spec.rackIds[b.rackIndex]!,
      position: (spec.firstPosition ?? 1) + slot * spec.hostUHeight,
      face: 'front' as const,
      uHeight: spec.hostUHeight,
      isFullDepth: true,
      name,
      hostname: name,
      serial: `${spec.name}-${b.origin.join('-')}`,
    };
  });
  const hosts = await db.insert(s.devices).values(hostRows).returning({ id: s.devices.id });

  const chipRows: Array<{ deviceId: number; index: number; uuid: string; modelId: number; coord: Coord }> = [];
  blocks.forEach((b, h) => {
    let index = 0;
    for (let dz = 0; dz < hz; dz++) {
      for (let dy = 0; dy < hy; dy++) {
        for (let dx = 0; dx < hx; dx++) {
          const coord: Coord = [b.origin[0] + dx, b.origin[1] + dy, b.origin[2] + dz];
          chipRows.push({ deviceId: hosts[h]!.id, index: index++, uuid: `TPU-${spec.name}-${coord.join('-')}`, modelId: spec.acceleratorModelId, coord });
        }
      }
    }
  });
  const chips = await db
    .insert(s.accelerators)
    .values(chipRows.map(({ coord: _coord, ...row }) => row))
    .returning({ id: s.accelerators.id });
  const chipAt = new Map<string, number>();
  for (const [i, row] of chipRows.entries()) chipAt.set(row.coord.join(','), chips[i]!.id);
  await db.insert(s.tpuChips).values(chipRows.map((row, i) => ({ acceleratorId: chips[i]!.id, podId: pod!.id, x: row.coord[0], y: row.coord[1], z: row.coord[2] })));
  const links = podLinks({ torus: tpu.torus, dims: spec.dims, cubeEdge: edge, wraps }).map(([a, b]) => {
    const ia = chipAt.get(a.join(','))!;
    const ib = chipAt.get(b.join(','))!;
    return { podId: pod!.id, chipA: Math.min(ia, ib), chipB: Math.max(ia, ib) };
  });
  if (links.length > 0) await db.insert(s.tpuIciLinks).values(links);
  return { podId: pod!.id, hostIds: hosts.map((h) => h.id), chipIds: chips.map((c) => c.id), chipAt };
}
