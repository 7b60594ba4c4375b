/**
 * AMD Instinct (CDNA 3: MI300X, MI325X) GPU partitioning, as plain data and arithmetic.
 *
 * Compute partitioning splits one GPU's 8 XCDs into 1, 2, 4 or 8 logical GPUs (SPX, DPX, QPX, CPX); memory
 * partitioning makes its HBM one NUMA domain (NPS1) or four (NPS4, one per AID quadrant). AMD allows NPS4 only
 * together with CPX on these parts; every compute mode runs with NPS1. Each logical GPU gets an equal share of the
 * XCDs and of the memory. Sources (docs/ARCHITECTURE.md "AMD partitions"): AMD SMI "GPU partitioning"
 * (rocm.docs.amd.com/projects/amdsmi, conceptual/partition), AMD Instinct "MI300X GPU partitioning overview"
 * (instinct.docs.amd.com/projects/amdgpu-docs, gpu-partitioning/mi300x/overview), amdsmi.h
 * (amdsmi_accelerator_partition_profile_t: "On MI300X: SPX=>1, DPX=>2, QPX=>4, CPX=>8").
 *
 * Plenum treats a partition as the sharing unit: AMD GPUs are never time-sliced by the scheduler.
 */

export const COMPUTE_PARTITION_MODES = ['SPX', 'DPX', 'QPX', 'CPX'] as const;
export type ComputePartitionMode = (typeof COMPUTE_PARTITION_MODES)[number];
export const MEMORY_PARTITION_MODES = ['NPS1', 'NPS4'] as const;
export type MemoryPartitionMode = (typeof MEMORY_PARTITION_MODES)[number];

/** Logical GPUs per physical GPU in each compute mode. */
export const PARTITIONS_PER_GPU: Record<ComputePartitionMode, number> = { SPX: 1, DPX: 2, QPX: 4, CPX: 8 };
/** NUMA memory domains per physical GPU in each memory mode. */
export const MEMORY_DOMAINS_PER_GPU: Record<MemoryPartitionMode, number> = { NPS1: 1, NPS4: 4 };

/** The (compute, memory) combinations AMD supports on MI300X and MI325X. */
export const SUPPORTED_PARTITION_MODES: ReadonlyArray<readonly [ComputePartitionMode, MemoryPartitionMode]> = [
  ['SPX', 'NPS1'],
  ['DPX', 'NPS1'],
  ['QPX', 'NPS1'],
  ['CPX', 'NPS1'],
  ['CPX', 'NPS4'],
];

/** Catalogue models (accelerator_models.name) that can be partitioned, with their XCD count. */
const PARTITIONABLE_MODELS: Record<string, { xcds: number }> = {
  'Instinct MI300X': { xcds: 8 },
  'Instinct MI325X': { xcds: 8 },
};

export function isPartitionableModel(modelName: string): boolean {
  return modelName in PARTITIONABLE_MODELS;
}

export type PartitionMode = { compute: ComputePartitionMode; memory: MemoryPartitionMode };

/** The mode a partitionable GPU ships in: one logical GPU, one memory domain. */
export const DEFAULT_PARTITION_MODE: PartitionMode = { compute: 'SPX', memory: 'NPS1' };

/** One logical GPU of a partition mode: its XCDs and its memory (GiB). */
export type PartitionShape = { partitions: number; xcdsPerPartition: number; memoryGibPerPartition: number; memoryDomains: number };

/**
 * Why this mode cannot be set on a GPU of this model, as { field, reason }; null when it can. Field names are the
 * ones of the setPartitionMode input (`computePartition`, `memoryPartition`) so errors point at what to change.
 */
export function partitionModeProblem(modelName: string, mode: { compute: string; memory: string }): { field: 'computePartition' | 'memoryPartition' | 'model'; reason: string } | null {
  if (!isPartitionableModel(modelName)) return { field: 'model', reason: `${modelName} has no compute or memory partitioning (only ${Object.keys(PARTITIONABLE_MODELS).join(', ')})` };
  if (!(COMPUTE_PARTITION_MODES as readonly string[]).includes(mode.compute)) {
    return { field: 'computePartition', reason: `unknown compute partition mode "${mode.compute}" (one of ${COMPUTE_PARTITION_MODES.join(', ')})` };
  }
  if (!(MEMORY_PARTITION_MODES as readonly string[]).includes(mode.memory)) {
    return { field: 'memoryPartition', reason: `unknown memory partition mode "${mode.memory}" (one of ${MEMORY_PARTITION_MODES.join(', ')})` };
  }
  if (!SUPPORTED_PARTITION_MODES.some(([c, m]) => c === mode.compute && m === mode.memory)) {
    const withIt = SUPPORTED_PARTITION_MODES.filter(([, m]) => m === mode.memory).map(([c]) => c);
    return { field: 'memoryPartition', reason: `${mode.memory} is supported only with ${withIt.join(', ')} compute partitioning, not ${mode.compute}` };
  }
  return null;
}

/** The logical GPUs a mode makes of one GPU of this model (total memory in GiB); throws on an unsupported mode. */
export function partitionShape(modelName: string, memoryGib: number, mode: PartitionMode): PartitionShape {
  const problem = partitionModeProblem(modelName, mode);
  if (problem) throw new Error(`${problem.field}: ${problem.reason}`);
  const partitions = PARTITIONS_PER_GPU[mode.compute];
  return {
    partitions,
    xcdsPerPartition: PARTITIONABLE_MODELS[modelName]!.xcds / partitions,
    memoryGibPerPartition: memoryGib / partitions,
    memoryDomains: MEMORY_DOMAINS_PER_GPU[mode.memory],
  };
}

/** The physical share of a GPU (in thousandths) one partition is: 1000 / partitions (CPX: 125). */
export function partitionMilli(partitions: number): number {
  return Math.round(1000 / partitions);
}

/** "CPX/NPS4" */
export function partitionModeLabel(mode: PartitionMode): string {
  return `${mode.compute}/${mode.memory}`;
}
