// GPU fragmentation measured against a typical workload, the idea of FGD (Weng et al., USENIX ATC'23,
// "Beware of Fragmentation"): free GPU capacity only counts as useful if the pods that usually arrive can use it.
//
// For one node and one pod shape, the "fragment" is the free milli-GPU that this shape cannot use:
//  - the shape needs no GPU, or cannot run on the node at all (model, CPU, memory): all free GPU milli;
//  - a GPU share of d milli: the free milli of every GPU with less than d free (all of it if no GPU has d free);
//  - k whole GPUs: the free milli of every partly used GPU (all of it if fewer than k GPUs are fully free).
// The node's expected fragmentation is the popularity-weighted sum over the shapes. A placement that makes it grow
// least keeps the most capacity usable for what comes next.

import { MILLI_PER_GPU } from './snapshot';
import type { GpuDemand } from './types';

export interface WorkloadShape {
  cpuMilli: number;
  memoryMib: number;
  /** 0 for CPU-only shapes. */
  gpuCount: number;
  /** Per GPU: share (1-999) or 1000 for whole GPUs; 0 for CPU-only. */
  milliPerGpu: number;
  /** Allowed models, null = any. */
  gpuModels: string[] | null;
  /** Popularity, normalised so that all shapes sum to 1. */
  weight: number;
}

export interface ShapeSample {
  cpuMilli: number;
  memoryMib: number;
  demand: GpuDemand;
  gpuModels?: string[] | null;
}

export interface TypicalWorkloadOptions {
  /** Keep the most popular shapes until they cover this share of the samples (the rest are rare and cost time). */
  coverage?: number;
  /** Also require the node's free memory for a shape to count as runnable (FGD itself checks CPU only). */
  checkMemory?: boolean;
  /**
   * 'fgd': a shape's fragment is the free GPU it cannot use at all (the paper's measure).
   * 'capacity': the free GPU left over after as many pods of the shape as CPU, memory and GPUs allow, so a node whose
   * CPU is nearly gone counts its idle GPUs as fragments before the last GPU pod stops fitting.
   * 'blend': for a GPU share a weighted mean of the two (BLEND_SHARE_FGD), for a whole-GPU shape 'fgd' alone. A
   * share's leftover inside a GPU (190 milli after an 810 share) is what 'capacity' sees and 'fgd' does not; but
   * whole-GPU shapes of the mix share a node's fully free GPUs, so 'capacity' (each shape filling the node alone)
   * counts as stranded the GPUs that a CPU-heavy shape could not feed but CPU-light shapes would take, and steered
   * multi-GPU-heavy workloads worse than FGD (docs/SCHEDULER.md).
   */
  measure?: FragmentationMeasure;
  /**
   * Weights: true (default) = share of the kept shapes (they sum to 1); false = share of ALL samples, as the published
   * simulator does (kept shapes then sum to the coverage, about 0.95), which scales every fragmentation amount.
   */
  normalise?: boolean;
  /**
   * GPUs of each model in the cluster. When given, fragmentation is measured per GPU model: on a node of model M only
   * the shapes that may run on M count, each weighted by the demand it puts on M's GPUs (its popularity divided by the
   * GPUs of all the models it may use), renormalised per model. Without it, a shape that may not use M counts all of
   * M's free GPU as fragmented (the paper's measure), which pulls every pod toward the models that constrained shapes
   * avoid, whether or not those are scarce.
   */
  modelGpus?: Record<string, number>;
}

/** The mix as a node of one GPU model sees it. */
interface ModelView {
  /** Per GPU shape; 0 = the shape does not count on this model. */
  weight: Float64Array;
  /** Weight of the shapes for which every free milli of this model is a fragment (CPU-only, or not allowed here). */
  allFreeWeight: number;
}

export type FragmentationMeasure = 'fgd' | 'capacity' | 'blend';

/**
 * The GPU half of a node state, shared by every node whose usable GPUs have the same free milli (in any order): both
 * measures depend on the free milli only as a multiset, so the per-shape GPU terms are computed once per multiset.
 * A node's fragmentation, before or after a worker takes some of its GPUs, is then one pass over the shapes that
 * adjusts those terms for the GPUs taken and adds the CPU and memory checks, with no per-GPU loop.
 */
export interface GpuStateSignature {
  /** Free milli, ascending. */
  readonly sortedFree: Int32Array;
  readonly totalFree: number;
  readonly fullyFree: number;
  /** Per GPU-share shape, the free milli of the GPUs with less free than the share. */
  readonly smallMilli: Float64Array;
  /** Per GPU shape, the pods of the shape the GPUs alone would hold ('capacity' measure). */
  readonly gpuSlots: Float64Array;
}

/**
 * 'blend': the share of the 'fgd' term in a GPU share's fragment (the rest is 'capacity'); chosen on the training
 * split (docs/SCHEDULER.md). Whole-GPU shapes take the 'fgd' term alone.
 */
const BLEND_SHARE_FGD = 0.25;

/** Bounds the signature memo of a long-lived scheduler; distinct GPU states are a few thousand in practice. */
const MAX_SIGNATURES = 200_000;

/** The typical workload mix, compiled into flat arrays once so the hot path does no allocation. */
export class TypicalWorkload {
  readonly shapes: WorkloadShape[];
  readonly checkMemory: boolean;
  readonly measure: FragmentationMeasure;
  private readonly cpuMilli: Float64Array;
  private readonly memoryMib: Float64Array;
  private readonly gpuCount: Int32Array;
  private readonly milliPerGpu: Int32Array;
  private readonly weight: Float64Array;
  /** Sum of the weights of CPU-only shapes: for them every free milli is a fragment. */
  private readonly cpuOnlyWeight: number;
  private readonly modelGpus: Record<string, number> | null;
  private readonly viewByModel = new Map<string, ModelView>();
  private readonly demandByModel = new Map<string, number>();
  private readonly signatures = new Map<string, GpuStateSignature>();
  /** Per GPU-share shape, how slots and small milli change when one GPU goes from F to F - T free; by F * 2048 + T. */
  private readonly changes = new Map<number, { slots: Float64Array; small: Float64Array }>();

  constructor(
    shapes: WorkloadShape[],
    checkMemory = false,
    measure: FragmentationMeasure = 'fgd',
    normalise = true,
    modelGpus: Record<string, number> | null = null,
  ) {
    this.modelGpus = modelGpus;
    const total = shapes.reduce((s, x) => s + x.weight, 0);
    if (!(total > 0)) throw new Error('typical workload needs at least one shape with positive weight');
    this.shapes = shapes.map((s) => ({ ...s, weight: normalise ? s.weight / total : s.weight }));
    this.checkMemory = checkMemory;
    this.measure = measure;
    const gpuShapes = this.shapes.filter((s) => s.gpuCount > 0);
    const n = gpuShapes.length;
    this.cpuMilli = new Float64Array(n);
    this.memoryMib = new Float64Array(n);
    this.gpuCount = new Int32Array(n);
    this.milliPerGpu = new Int32Array(n);
    this.weight = new Float64Array(n);
    gpuShapes.forEach((s, i) => {
      this.cpuMilli[i] = s.cpuMilli;
      this.memoryMib[i] = s.memoryMib;
      this.gpuCount[i] = s.gpuCount;
      this.milliPerGpu[i] = s.milliPerGpu;
      this.weight[i] = s.weight;
    });
    this.cpuOnlyWeight = this.shapes.filter((s) => s.gpuCount === 0).reduce((sum, s) => sum + s.weight, 0);
  }

  /** Counts the shapes of the samples (e.g. the job history or the trace) and keeps the popular ones. */
  static fromSamples(samples: Iterable<ShapeSample>, options: TypicalWorkloadOptions = {}): TypicalWorkload {
    const coverage = options.coverage ?? 0.95;
    const byKey = new Map<string, WorkloadShape>();
    let count = 0;
    for (const s of samples) {
      count++;
      const models = s.gpuModels && s.gpuModels.length > 0 ? [...new Set(s.gpuModels)].sort() : null;
      const key = `${s.cpuMilli}|${options.checkMemory ? s.memoryMib : 0}|${s.demand.gpuCount}|${s.demand.milliPerGpu}|${models?.join(',') ?? ''}`;
      const shape = byKey.get(key);
      if (shape) shape.weight += 1;
      else
        byKey.set(key, {
          cpuMilli: s.cpuMilli,
          memoryMib: options.checkMemory ? s.memoryMib : 0,
          gpuCount: s.demand.gpuCount,
          milliPerGpu: s.demand.milliPerGpu,
          gpuModels: models,
          weight: 1,
        });
    }
    const sorted = [...byKey.values()].sort((a, b) => b.weight - a.weight);
    const kept: WorkloadShape[] = [];
    let covered = 0;
    for (const shape of sorted) {
      if (covered >= coverage * count) break;
      kept.push(shape);
      covered += shape.weight;
    }
    const normalise = options.normalise ?? true;
    if (!normalise) for (const shape of kept) shape.weight /= count;
    return new TypicalWorkload(kept, options.checkMemory ?? false, options.measure ?? 'fgd', normalise, options.modelGpus ?? null);
  }

  /**
   * Expected GPU demand per GPU of this model (milli-GPU per GPU, relative units) when every GPU shape spreads over
   * the models it may use in proportion to their GPUs. Shapes that may use any model add the same to every model, so
   * only model constraints make models differ; 0 for every model without `modelGpus`.
   */
  demandPerGpu(gpuModel: string): number {
    const gpusOf = this.modelGpus;
    if (gpusOf === null) return 0;
    let cached = this.demandByModel.get(gpuModel);
    if (cached === undefined) {
      const clusterGpus = Object.values(gpusOf).reduce((sum, n) => sum + n, 0);
      cached = 0;
      for (const s of this.shapes) {
        if (s.gpuCount === 0 || (s.gpuModels !== null && !s.gpuModels.includes(gpuModel))) continue;
        const usable = s.gpuModels === null ? clusterGpus : s.gpuModels.reduce((sum, m) => sum + (gpusOf[m] ?? 0), 0);
        if (usable > 0) cached += (s.weight * s.gpuCount * s.milliPerGpu) / usable;
      }
      this.demandByModel.set(gpuModel, cached);
    }
    return cached;
  }

  /** The shape weights a node of this model sees, cached per model name. */
  private view(gpuModel: string): ModelView {
    let view = this.viewByModel.get(gpuModel);
    if (view) return view;
    const gpuShapes = this.shapes.filter((s) => s.gpuCount > 0);
    const allowed = (s: WorkloadShape) => s.gpuModels === null || s.gpuModels.includes(gpuModel);
    const weight = new Float64Array(gpuShapes.length);
    let allFreeWeight = this.cpuOnlyWeight;
    const gpusOf = this.modelGpus;
    if (gpusOf === null) {
      gpuShapes.forEach((s, i) => {
        if (allowed(s)) weight[i] = s.weight;
        else allFreeWeight += s.weight;
      });
    } else {
      const clusterGpus = Object.values(gpusOf).reduce((sum, n) => sum + n, 0);
      gpuShapes.forEach((s, i) => {
        if (!allowed(s)) return;
        const usable = s.gpuModels === null ? clusterGpus : s.gpuModels.reduce((sum, m) => sum + (gpusOf[m] ?? 0), 0);
        weight[i] = usable > 0 ? (s.weight * clusterGpus) / usable : 0;
      });
      const total = weight.reduce((sum, w) => sum + w, 0) + allFreeWeight;
      const scale = total > 0 ? this.shapes.reduce((sum, s) => sum + s.weight, 0) / total : 0;
      for (let i = 0; i < weight.length; i++) weight[i] *= scale;
      allFreeWeight *= scale;
    }
    view = { weight, allFreeWeight };
    this.viewByModel.set(gpuModel, view);
    return view;
  }

  /**
   * Expected fragmented milli-GPU of a node state against the mix.
   * @param freeMilli free milli of the node's usable GPUs (unhealthy ones as 0), first gpuCount entries used
   */
  fragmentationMilli(
    gpuModel: string,
    cpuMilliFree: number,
    memoryMibFree: number,
    freeMilli: ArrayLike<number>,
    gpuCount: number,
  ): number {
    let totalFree = 0;
    let fullyFree = 0;
    let maxFree = 0;
    for (let g = 0; g < gpuCount; g++) {
      const f = freeMilli[g];
      totalFree += f;
      if (f >= MILLI_PER_GPU) fullyFree++;
      if (f > maxFree) maxFree = f;
    }
    if (totalFree === 0) return 0;
    // Partly used GPUs are what a whole-GPU shape cannot use.
    const partialFree = totalFree - fullyFree * MILLI_PER_GPU;
    const view = this.view(gpuModel);
    let frag = view.allFreeWeight * totalFree;
    const n = this.weight.length;
    for (let s = 0; s < n; s++) {
      const w = view.weight[s];
      if (w === 0) continue;
      const cpu = this.cpuMilli[s];
      const memory = this.memoryMib[s];
      const need = this.milliPerGpu[s];
      const shapeGpus = this.gpuCount[s];
      let slots: number;
      let unusable: number;
      if (need < MILLI_PER_GPU) {
        let small = 0;
        slots = 0;
        for (let g = 0; g < gpuCount; g++) {
          const f = freeMilli[g];
          if (f < need) small += f;
          slots += Math.floor(f / need);
        }
        unusable = maxFree < need ? totalFree : small;
      } else {
        slots = Math.floor(fullyFree / shapeGpus);
        unusable = fullyFree >= shapeGpus ? partialFree : totalFree;
      }
      const fgdTerm = cpuMilliFree < cpu || (this.checkMemory && memoryMibFree < memory) ? w * totalFree : w * unusable;
      if (cpu > 0) slots = Math.min(slots, Math.floor(cpuMilliFree / cpu));
      if (this.checkMemory && memory > 0) slots = Math.min(slots, Math.floor(memoryMibFree / memory));
      frag += this.combine(need, fgdTerm, w * (totalFree - slots * need * shapeGpus));
    }
    return frag;
  }

  /** One shape's fragment under the workload's measure, from its 'fgd' and 'capacity' terms (weighted milli). */
  private combine(need: number, fgdTerm: number, capacityTerm: number): number {
    if (this.measure === 'fgd') return fgdTerm;
    if (this.measure === 'capacity') return capacityTerm;
    return need < MILLI_PER_GPU ? BLEND_SHARE_FGD * fgdTerm + (1 - BLEND_SHARE_FGD) * capacityTerm : fgdTerm;
  }

  /** The signature of a node's GPUs (free milli of the usable ones, unhealthy as 0; first gpuCount entries). */
  signatureOf(freeMilli: ArrayLike<number>, gpuCount: number): GpuStateSignature {
    const sorted = new Int32Array(gpuCount);
    for (let g = 0; g < gpuCount; g++) sorted[g] = freeMilli[g];
    sorted.sort();
    return this.internSignature(sorted);
  }

  /** The per-shape change of one GPU going from `from` to `from - taken` free (integers, so adding them is exact). */
  private changeOf(from: number, taken: number): { slots: Float64Array; small: Float64Array } {
    const key = from * 2048 + taken; // both 0-1000
    let change = this.changes.get(key);
    if (change !== undefined) return change;
    if (this.changes.size >= MAX_SIGNATURES / 10) this.changes.clear();
    const to = from - taken;
    const n = this.weight.length;
    change = { slots: new Float64Array(n), small: new Float64Array(n) };
    for (let s = 0; s < n; s++) {
      const need = this.milliPerGpu[s];
      if (need >= MILLI_PER_GPU) continue;
      change.slots[s] = Math.floor(to / need) - Math.floor(from / need);
      change.small[s] = (to < need ? to : 0) - (from < need ? from : 0);
    }
    this.changes.set(key, change);
    return change;
  }

  private internSignature(sorted: Int32Array): GpuStateSignature {
    const key = sorted.join(',');
    let signature = this.signatures.get(key);
    if (signature !== undefined) return signature;
    if (this.signatures.size >= MAX_SIGNATURES) this.signatures.clear();
    let totalFree = 0;
    let fullyFree = 0;
    let maxFree = 0;
    for (const f of sorted) {
      totalFree += f;
      if (f >= MILLI_PER_GPU) fullyFree++;
      if (f > maxFree) maxFree = f;
    }
    const n = this.weight.length;
    const smallMilli = new Float64Array(n);
    const gpuSlots = new Float64Array(n);
    for (let s = 0; s < n; s++) {
      const need = this.milliPerGpu[s];
      if (need < MILLI_PER_GPU) {
        let small = 0;
        let slots = 0;
        for (const f of sorted) {
          if (f < need) small += f;
          slots += Math.floor(f / need);
        }
        smallMilli[s] = small;
        gpuSlots[s] = slots;
      } else {
        gpuSlots[s] = Math.floor(fullyFree / this.gpuCount[s]);
      }
    }
    signature = { sortedFree: sorted, totalFree, fullyFree, smallMilli, gpuSlots };
    this.signatures.set(key, signature);
    return signature;
  }

  /**
   * fragmentationMilli of the state `signature` describes after `count` of its GPUs with `from` free milli each give
   * `taken` milli to a worker (count 0: the state itself). The same value to the last bit as fragmentationMilli on
   * that state: the same integer terms, summed in the same order.
   */
  fragmentationAfter(
    gpuModel: string,
    cpuMilliFree: number,
    memoryMibFree: number,
    signature: GpuStateSignature,
    count: number,
    from: number,
    taken: number,
  ): number {
    const to = from - taken;
    const totalFree = signature.totalFree - count * taken;
    if (totalFree === 0) return 0;
    const sorted = signature.sortedFree;
    const top = sorted.length - 1;
    // Largest free after the change: the largest GPU left untouched, or a changed one.
    let maxFree = count === 0 ? (top >= 0 ? sorted[top] : 0) : to;
    if (count > 0) {
      const untouched = sorted[top] !== from ? sorted[top] : top - count >= 0 ? sorted[top - count] : 0;
      if (untouched > maxFree) maxFree = untouched;
    }
    const fullyFree =
      signature.fullyFree - (from >= MILLI_PER_GPU ? count : 0) + (count > 0 && to >= MILLI_PER_GPU ? count : 0);
    const partialFree = totalFree - fullyFree * MILLI_PER_GPU;
    const view = this.view(gpuModel);
    const weight = view.weight;
    const checkMemory = this.checkMemory;
    const smallMilli = signature.smallMilli;
    const gpuSlots = signature.gpuSlots;
    const change = count > 0 ? this.changeOf(from, taken) : null;
    const cpuOf = this.cpuMilli;
    const memoryOf = this.memoryMib;
    const needOf = this.milliPerGpu;
    const gpusOf = this.gpuCount;
    let frag = view.allFreeWeight * totalFree;
    const n = weight.length;
    for (let s = 0; s < n; s++) {
      const w = weight[s];
      if (w === 0) continue;
      const cpu = cpuOf[s];
      const memory = memoryOf[s];
      const need = needOf[s];
      const shapeGpus = gpusOf[s];
      let slots: number;
      let unusable: number;
      if (need < MILLI_PER_GPU) {
        slots = gpuSlots[s];
        let small = smallMilli[s];
        if (change !== null) {
          slots += count * change.slots[s];
          small += count * change.small[s];
        }
        unusable = maxFree < need ? totalFree : small;
      } else {
        slots = Math.floor(fullyFree / shapeGpus);
        unusable = fullyFree >= shapeGpus ? partialFree : totalFree;
      }
      const fgdTerm = cpuMilliFree < cpu || (checkMemory && memoryMibFree < memory) ? w * totalFree : w * unusable;
      // min(slots, floor(free / per pod)) without dividing when the free amount does not bind (integers: exact).
      if (cpu > 0 && slots * cpu > cpuMilliFree) slots = Math.floor(cpuMilliFree / cpu);
      if (checkMemory && memory > 0 && slots * memory > memoryMibFree) slots = Math.floor(memoryMibFree / memory);
      frag += this.combine(need, fgdTerm, w * (totalFree - slots * need * shapeGpus));
    }
    return frag;
  }
}
