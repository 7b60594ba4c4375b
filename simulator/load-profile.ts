/**
 * Background load until the scheduler drives the GPUs: each host gets a seeded profile (training, inference or idle)
 * that produces a workload per GPU over time. A job set with World.setWorkload overrides the profile for that GPU.
 */
import type { Workload } from './models/gpu';
import type { Rng } from './rng';

export type ProfileKind = 'training' | 'inference' | 'idle';

export interface LoadMix {
  training: number;
  inference: number;
  idle: number;
}

export const DEFAULT_LOAD_MIX: LoadMix = { training: 0.55, inference: 0.3, idle: 0.15 };

export interface HostProfile {
  kind: ProfileKind;
  /** Training: seconds until the next checkpoint pause; remaining pause time. */
  nextCheckpointS: number;
  pauseRemainingS: number;
  /** Inference: current duty cycle (mean-reverting random walk). */
  inferenceDuty: number;
  /** Idle: whether a process keeps a context open. */
  idleWithContext: boolean;
}

export function pickProfile(mix: LoadMix, rng: Rng): HostProfile {
  const total = mix.training + mix.inference + mix.idle;
  const r = rng.next() * (total > 0 ? total : 1);
  const kind: ProfileKind = r < mix.training ? 'training' : r < mix.training + mix.inference ? 'inference' : 'idle';
  return {
    kind,
    nextCheckpointS: rng.uniform(300, 1800),
    pauseRemainingS: 0,
    inferenceDuty: rng.uniform(0.25, 0.65),
    idleWithContext: rng.next() < 0.5,
  };
}

/** Checkpoint pause of a training job: every ~30 min, ~90 s with the GPUs idle (context kept). */
const CHECKPOINT_EVERY_S = 1800;
const CHECKPOINT_PAUSE_S = 90;
/** Inference duty: Ornstein-Uhlenbeck around 0.45 with a 10 min time constant. */
const INFERENCE_MEAN = 0.45;
const INFERENCE_TAU_S = 600;
const INFERENCE_SIGMA = 0.15;

/** Advance a host profile by dtS and return the workload its GPUs run. */
export function advanceProfile(profile: HostProfile, dtS: number, rng: Rng): Workload {
  switch (profile.kind) {
    case 'training': {
      if (profile.pauseRemainingS > 0) {
        profile.pauseRemainingS -= dtS;
        if (profile.pauseRemainingS <= 0) profile.nextCheckpointS = CHECKPOINT_EVERY_S * rng.uniform(0.8, 1.2);
        return { kind: 'idle-with-context', util: 0 };
      }
      profile.nextCheckpointS -= dtS;
      if (profile.nextCheckpointS <= 0) profile.pauseRemainingS = CHECKPOINT_PAUSE_S * rng.uniform(0.7, 1.3);
      return { kind: 'compute-bound', util: 0.98 };
    }
    case 'inference': {
      const decay = Math.exp(-dtS / INFERENCE_TAU_S);
      const noise = INFERENCE_SIGMA * Math.sqrt(1 - decay * decay) * rng.normal();
      profile.inferenceDuty = INFERENCE_MEAN + (profile.inferenceDuty - INFERENCE_MEAN) * decay + noise;
      profile.inferenceDuty = Math.min(0.95, Math.max(0.05, profile.inferenceDuty));
      return { kind: 'bursty-inference', util: profile.inferenceDuty, burstPeriodS: 1, burstComputeShare: 0.3 };
    }
    default:
      return { kind: profile.idleWithContext ? 'idle-with-context' : 'idle-no-context', util: 0 };
  }
}
