// What a job reserves in its rack's power (and cooling) headroom, per GPU: the shared rule of
// src/domain/inference-reserve.ts (the one bench:facility applies), fed with what the product knows about a job.
//
// - The curve: the site's inference activity per UTC hour, as a share of an inference job's expected draw
//   (PLENUM_INFERENCE_DAILY_CURVE, 24 comma-separated values in (0, 1]). Unset: unknown, and every job reserves its
//   expected draw (expected_power_w_per_gpu), as before.
// - The time limit: a job's estimated duration where Plenum itself ends the job then (the simulator executor, in
//   advanceLifecycle). An engine (Slurm, Kubernetes) is not told the duration, so it limits nothing: peak.
// - The static part: none. The curve's values are shares of the job's whole expected draw (the server's idle floor,
//   GPUs idling included, is counted apart: serverIdleFloorW).
//
// The window a share may draw in is its allocation's time plus the time limit plus two allowances: LIFECYCLE_SLACK_S
// (the loop starts a scheduled job at its next run and ends one at the first run past its end) and COMMIT_MAX_AGE_S
// (a decision is computed at the snapshot's time and committed later; a commit later than that is refused).

import { type DailyCurve, parseHourlyCurve, reservationW } from '@/domain/inference-reserve';
import type { JobRow } from './snapshot';

/** Lateness of the loop, s: a scheduled job is started, and a job past its duration ended, within this. */
export const LIFECYCLE_SLACK_S = 60;
/** The oldest snapshot a decision that relies on a forecast may be committed from, s. */
export const COMMIT_MAX_AGE_S = 60;

export type ReservingJob = Pick<JobRow, 'kind' | 'gpuMilli' | 'estimatedDurationS' | 'executor' | 'origin' | 'expectedPowerWPerGpu'>;

/** The environment variable that holds the site's inference curve. */
export const INFERENCE_CURVE_ENV = 'PLENUM_INFERENCE_DAILY_CURVE';

/** The configured inference curve, or null when none is set; a malformed one throws, naming the variable. */
export function configuredInferenceCurve(text: string | undefined = process.env[INFERENCE_CURVE_ENV]): DailyCurve | null {
  if (text === undefined || text.trim() === '') return null;
  try {
    return parseHourlyCurve(text);
  } catch (error) {
    throw new Error(`${INFERENCE_CURVE_ENV}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** An inference job on a share of one GPU: the only kind whose draw follows the curve. */
export function isInferenceShare(job: Pick<JobRow, 'kind' | 'gpuMilli'>): boolean {
  return job.kind === 'inference' && job.gpuMilli > 0 && job.gpuMilli < 1000;
}

/** The job's time limit, s: its estimated duration where Plenum ends the job then; null where nothing does. */
export function enforcedTimeLimitS(job: Pick<JobRow, 'estimatedDurationS' | 'executor' | 'origin'>): number | null {
  return job.origin === 'plenum' && job.executor.kind === 'simulator' ? job.estimatedDurationS : null;
}

function wPerGpu(job: ReservingJob, windowStartMs: number, curve: DailyCurve | null): number {
  const limitS = enforcedTimeLimitS(job);
  const windowS = limitS === null ? null : limitS + LIFECYCLE_SLACK_S + COMMIT_MAX_AGE_S;
  return reservationW({ staticW: 0, dynamicW: job.expectedPowerWPerGpu, inference: isInferenceShare(job) }, windowStartMs / 1000, windowS, curve);
}

/** W per GPU a job asks for when placed from a snapshot read at `snapshotMs`. */
export function admissionWPerGpu(job: ReservingJob, snapshotMs: number, curve: DailyCurve | null): number {
  return wPerGpu(job, snapshotMs, curve);
}

/**
 * W per GPU a live allocation made at `allocatedAtMs` reserves. Its decision was read at most COMMIT_MAX_AGE_S
 * earlier, so this window holds the one it was admitted with, and the number never exceeds the admitted one.
 */
export function allocationWPerGpu(job: ReservingJob, allocatedAtMs: number, curve: DailyCurve | null): number {
  return wPerGpu(job, allocatedAtMs - COMMIT_MAX_AGE_S * 1000, curve);
}
