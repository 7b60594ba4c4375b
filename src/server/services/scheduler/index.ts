// The DB-backed scheduler: snapshot from PostgreSQL, pure placement (src/scheduler), transactional commit.
export * from './defaults';
export { advanceLifecycle, createSchedulerService, isConflict, PlacementConflict, type CycleResult, type SchedulerService } from './cycle';
export { SchedulerLeadership, schedulerWorker } from './leader';
export { cancelJob, JobInputError, jobGpuDemand, markGpuFailed, markGpuHealthy, scaleJob, submitJob, type GpuFaultEffect, type JobSubmission } from './operations';
export { desiredWorkers, loadClusterState, type ClusterState, type JobRow } from './snapshot';
