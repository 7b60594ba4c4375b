import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { POWER_TOLERANCE_PCT, runCalibration, TEMP_TOLERANCE_C } from './calibrate';

// The real trace lives next to the repository: <repo>/../shared/fixtures/nvml-h200.
const traceDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../shared/fixtures/nvml-h200');

describe('calibration against the real H200 trace', () => {
  it('finds the trace', () => {
    expect(existsSync(resolve(traceDir, 'nvml-100ms-trace.csv'))).toBe(true);
  });

  const result = runCalibration(traceDir);

  it('replays every phase of phases.csv plus the lead-in', () => {
    expect(result.phases.map((p) => p.phase)).toEqual(['start', 'idle', 'matmul', 'idle', 'copy', 'idle', 'duty50', 'idle', 'end']);
  });

  for (const phase of result.phases) {
    it(`${phase.phase} @ ${phase.startS} s: power within ±${POWER_TOLERANCE_PCT} %, steady temperature within ±${TEMP_TOLERANCE_C} °C`, () => {
      expect(Math.abs(phase.powerErrorPct)).toBeLessThanOrEqual(POWER_TOLERANCE_PCT);
      expect(Math.abs(phase.tempErrorC)).toBeLessThanOrEqual(TEMP_TOLERANCE_C);
      expect(phase.pass).toBe(true);
    });
  }

  it('throttles the SM clock into the real band under the power cap', () => {
    const matmul = result.phases.find((p) => p.phase === 'matmul')!;
    expect(matmul.sim.medianSmClockMhz).toBeGreaterThanOrEqual(1425);
    expect(matmul.sim.medianSmClockMhz).toBeLessThanOrEqual(1500);
  });

  it('integrates the same energy as the real counter within 2 %', () => {
    expect(Math.abs(result.energy.errorPct)).toBeLessThan(2);
    expect(result.pass).toBe(true);
  });
});
