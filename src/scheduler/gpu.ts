// GPU arithmetic shared by filters, pickers and scores.

import type { CycleState } from './plugin';
import { MILLI_PER_GPU } from './snapshot';
import type { GpuDevice, SchedNode, Topology } from './types';

/** NVLink domain of a GPU; a node without the information is one domain. */
export function nvlinkDomainOf(node: SchedNode, gpuIndex: number): string {
  return node.gpus[gpuIndex].nvlinkDomain ?? `node:${node.id}`;
}

/** Domain keys a node belongs to for a topology ('none': none). */
export function domainKeysOf(node: SchedNode, topology: Topology): string[] {
  switch (topology) {
    case 'rack':
      return [node.rackId ?? `node:${node.id}`];
    case 'leaf':
      return [node.leafSwitchId ?? `node:${node.id}`];
    case 'nvlink-domain': {
      const keys = new Set<string>();
      for (let g = 0; g < node.gpus.length; g++) keys.add(nvlinkDomainOf(node, g));
      if (keys.size === 0) keys.add(`node:${node.id}`);
      return [...keys];
    }
    default:
      return [];
  }
}

/** May this GPU be used in the current cycle (NVLink gangs are held to one domain)? */
export function gpuInScope(state: CycleState, node: SchedNode, gpuIndex: number): boolean {
  const domain = state.domain;
  if (domain === null || domain.topology !== 'nvlink-domain') return true;
  return nvlinkDomainOf(node, gpuIndex) === domain.key;
}

export function modelAllowed(models: string[] | undefined, gpuModel: string): boolean {
  return models === undefined || models.length === 0 || models.includes(gpuModel);
}

/**
 * Fully free GPUs usable for a whole-GPU worker. With NVLink topology (or whenever the GPUs carry domains) they
 * are counted per domain and the best domain's count is returned, as a worker's GPUs must then share one domain.
 */
export function usableWholeGpus(state: CycleState, node: SchedNode, countUnhealthy = false): number {
  const strictDomain = state.pod.topology === 'nvlink-domain';
  let any = 0;
  let best = 0;
  let currentKey: string | null = null;
  let current = 0;
  // GPUs of one domain are contiguous on real boards; when they are not, counting runs is still a lower bound.
  for (let g = 0; g < node.gpus.length; g++) {
    const gpu = node.gpus[g];
    if (!(gpu.healthy || countUnhealthy) || gpu.freeMilli < MILLI_PER_GPU || !gpuInScope(state, node, g)) continue;
    any++;
    if (strictDomain) {
      const key = nvlinkDomainOf(node, g);
      if (key !== currentKey) {
        currentKey = key;
        current = 0;
      }
      current++;
      if (current > best) best = current;
    }
  }
  return strictDomain ? best : any;
}

/** The physical share of a GPU (thousandths) one partition of a GPU cut into `count` is (CPX: 125). */
export function partitionShareMilli(count: number): number {
  return Math.round(MILLI_PER_GPU / count);
}

/**
 * Milli a share of `milli` takes from this device's freeMilli, or -1 when the share can never go there: a
 * partition is taken whole, and only when the share fits in it (a half-GPU share does not fit a CPX eighth) and fills
 * more than half of it. Partitions are not time-sliced, so a half-GPU share on an SPX GPU would hold a whole GPU idle
 * by half: such shares go to a time-shared GPU or to a partition of their size (DPX for a half).
 */
export function shareNeedOn(gpu: GpuDevice, milli: number): number {
  if (gpu.partition === undefined) return milli;
  const partitionMilli = partitionShareMilli(gpu.partition.count);
  return milli <= partitionMilli && milli * 2 > partitionMilli ? MILLI_PER_GPU : -1;
}

function shareFits(gpu: GpuDevice, milli: number): boolean {
  const need = shareNeedOn(gpu, milli);
  return need >= 0 && gpu.freeMilli >= need;
}

/** Physical milli-GPUs a worker holds on these devices at `milliPerGpu` each (partitions count their share). */
export function physicalMilliOf(node: SchedNode, gpuIndices: readonly number[], milliPerGpu: number): number {
  let milli = 0;
  for (const g of gpuIndices) {
    const partition = node.gpus[g].partition;
    milli += partition === undefined ? milliPerGpu : partitionShareMilli(partition.count);
  }
  return milli;
}

/** Does some usable GPU have room for a share of `milli` (a free partition that holds it, on partitioned GPUs)? */
export function hasShareRoom(state: CycleState, node: SchedNode, milli: number, countUnhealthy = false): boolean {
  for (let g = 0; g < node.gpus.length; g++) {
    const gpu = node.gpus[g];
    if ((gpu.healthy || countUnhealthy) && shareFits(gpu, milli) && gpuInScope(state, node, g)) return true;
  }
  return false;
}

/**
 * Whole GPUs for a worker on the chosen node: inside one NVLink domain when one can hold them all (the fullest
 * such domain, to keep bigger free domains for bigger jobs), else the lowest free indices.
 */
export function pickWholeGpus(state: CycleState, node: SchedNode, count: number): number[] {
  const byDomain = new Map<string, number[]>();
  for (let g = 0; g < node.gpus.length; g++) {
    const gpu = node.gpus[g];
    if (!gpu.healthy || gpu.freeMilli < MILLI_PER_GPU || !gpuInScope(state, node, g)) continue;
    const key = nvlinkDomainOf(node, g);
    const list = byDomain.get(key);
    if (list) list.push(g);
    else byDomain.set(key, [g]);
  }
  let best: number[] | null = null;
  for (const list of byDomain.values()) {
    if (list.length >= count && (best === null || list.length < best.length)) best = list;
  }
  if (best) return best.slice(0, count);
  if (state.pod.topology === 'nvlink-domain') throw new Error(`no NVLink domain on ${node.id} holds ${count} GPUs`);
  const all = [...byDomain.values()].flat().sort((a, b) => a - b);
  if (all.length < count) throw new Error(`node ${node.id} has fewer than ${count} free GPUs`);
  return all.slice(0, count);
}

/**
 * Best-fit GPU for a share: the usable GPU with the least free milli that still fits; among partitions, the smallest
 * partition that holds the share (-1 if none).
 */
export function bestFitShareGpu(state: CycleState, node: SchedNode, milli: number): number {
  let best = -1;
  let bestFree = Number.POSITIVE_INFINITY;
  for (let g = 0; g < node.gpus.length; g++) {
    const gpu = node.gpus[g];
    if (!gpu.healthy || !shareFits(gpu, milli) || !gpuInScope(state, node, g)) continue;
    const room = gpu.partition === undefined ? gpu.freeMilli : partitionShareMilli(gpu.partition.count);
    if (room < bestFree) {
      bestFree = room;
      best = g;
    }
  }
  return best;
}

/** Whether a share request may use this GPU: exported for pickers other than best fit. */
export { shareFits };
