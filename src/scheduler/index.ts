// Public API of the pure placement framework (no database, no I/O).
export * from './types';
export { Snapshot, gpuDemandOf, gpuAllocationRatio, usableMilli, MILLI_PER_GPU } from './snapshot';
export { Scheduler, seededRandom, type ResolvedProfile, type SchedulerOptions } from './framework';
export type * from './plugin';
export { explain } from './explain';
export { EasyBackfill, type Reservation } from './backfill';
export {
  TypicalWorkload,
  type FragmentationMeasure,
  type WorkloadShape,
  type ShapeSample,
  type TypicalWorkloadOptions,
} from './fragmentation';
export {
  PROFILES,
  PluginRegistry,
  createScheduler,
  defaultRegistry,
  defaultTypicalWorkload,
  type ProfileSpec,
  type CreateSchedulerOptions,
} from './profiles';
export { compareQueued, fairShare, scheduleQueue, sortQueue, tenantUsage, podGpuMilli } from './queue';
export { partitionDevices, type PartitionedGpu } from './partitions';
export { partitionShareMilli } from './gpu';
