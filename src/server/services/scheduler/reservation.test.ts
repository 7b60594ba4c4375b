import { describe, expect, it } from 'vitest';
import { hourlyDailyCurve } from '@/domain/inference-reserve';
import { admissionWPerGpu, allocationWPerGpu, COMMIT_MAX_AGE_S, configuredInferenceCurve, enforcedTimeLimitS, type ReservingJob } from './reservation';

const H = 3600_000; // ms
// 0.5 all day but 1.0 from 14:00 to 15:00 UTC.
const curve = hourlyDailyCurve(Array.from({ length: 24 }, (_, h) => (h === 14 ? 1 : 0.5)));
const day = Date.UTC(2026, 11, 5);
const share: ReservingJob = {
  kind: 'inference',
  gpuMilli: 500,
  estimatedDurationS: 600,
  executor: { kind: 'simulator' },
  origin: 'plenum',
  expectedPowerWPerGpu: 450,
};

describe('what a job reserves per GPU in the product', () => {
  it('reserves an inference share with a time limit at the forecast, and at its expected draw otherwise', () => {
    // 10:00 + 600 s + both allowances (120 s) stays in a 0.5 hour.
    expect(admissionWPerGpu(share, day + 10 * H, curve)).toBe(225);
    // A window that reaches 14:00 reserves the peak: 13:48:01 + 720 s = 14:00:01.
    expect(admissionWPerGpu(share, day + 13 * H + 48 * 60_000 + 1000, curve)).toBe(450);
    expect(admissionWPerGpu(share, day + 13 * H + 47 * 60_000, curve)).toBe(225);
    // No time limit (a service), no curve configured, an engine that is not told the duration, a whole GPU, training.
    expect(admissionWPerGpu({ ...share, estimatedDurationS: null }, day + 10 * H, curve)).toBe(450);
    expect(admissionWPerGpu(share, day + 10 * H, null)).toBe(450);
    expect(admissionWPerGpu({ ...share, executor: { kind: 'slurm', cluster: 'c', script: '' } }, day + 10 * H, curve)).toBe(450);
    expect(admissionWPerGpu({ ...share, gpuMilli: 0 }, day + 10 * H, curve)).toBe(450);
    expect(admissionWPerGpu({ ...share, kind: 'training' }, day + 10 * H, curve)).toBe(450);
    expect(enforcedTimeLimitS({ ...share, origin: 'external' })).toBeNull();
  });

  it('counts a live allocation at no more than it was admitted with, if committed within the allowed age', () => {
    // Around the step at 14:00: every snapshot time in 13:30-14:05, every commit up to COMMIT_MAX_AGE_S later.
    for (let snapshot = day + 13.5 * H; snapshot <= day + 14 * H + 5 * 60_000; snapshot += 7_000) {
      const admitted = admissionWPerGpu(share, snapshot, curve);
      for (let lag = 0; lag <= COMMIT_MAX_AGE_S * 1000; lag += 5_000) {
        expect(allocationWPerGpu(share, snapshot + lag, curve)).toBeLessThanOrEqual(admitted);
      }
    }
    // And the allocation's window still covers the job's life: allocated at 13:49, it may run until 13:49 + 600 s +
    // the loop's lateness (LIFECYCLE_SLACK_S, 60 s) = 14:00: the peak hour's first instant, so it reserves the peak.
    expect(allocationWPerGpu(share, day + 13 * H + 49 * 60_000, curve)).toBe(450);
    expect(allocationWPerGpu(share, day + 13 * H + 48 * 60_000, curve)).toBe(225);
  });

  it('reads the curve from the environment, and refuses a malformed one', () => {
    expect(configuredInferenceCurve(undefined)).toBeNull();
    expect(configuredInferenceCurve(' ')).toBeNull();
    expect(configuredInferenceCurve(Array(24).fill('0.6').join(','))!.peakOver(0, 1)).toBe(0.6);
    expect(() => configuredInferenceCurve('0.5,0.5')).toThrow('PLENUM_INFERENCE_DAILY_CURVE: an hourly curve needs 24 values, got 2');
  });
});
