import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  dmonGpuTemps,
  dutyCycleTimings,
  POWER_TOLERANCE_PCT,
  predictH100,
  readTrace,
  runCalibration,
  runOutOfSample,
  runScenarios,
  TEMP_TOLERANCE_C,
} from './calibrate';
import { fitGpuParams, idleLeakage } from './calibrate-fit';
import { energyBusyPattern, idleGapPowersW, median, type Trace, type TraceSample } from './calibrate-trace';
import { crahSupplyC } from './calibrate-rig';
import { exampleInventory } from './example-inventory';
import { GpuSim } from './models/gpu';
import { GPU_MODELS } from './models/gpu-params';
import { Rng } from './rng';
import { sharedFixturesDir } from './shared-fixtures';
import { World } from './world';

const traceDir = sharedFixturesDir('nvml-h200');
const exportersDir = sharedFixturesDir('exporters');
const PHASES = ['start', 'idle', 'matmul', 'idle', 'copy', 'idle', 'duty50', 'idle', 'end'];

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** A copy of the trace with some cells rewritten. */
function traceCopy(edit: { phases?: (text: string) => string; row?: (cells: string[], header: string[]) => string[] }): string {
  const dir = mkdtempSync(join(tmpdir(), 'plenum-trace-'));
  scratch.push(dir);
  cpSync(traceDir, dir, { recursive: true });
  if (edit.phases) writeFileSync(join(dir, 'phases.csv'), edit.phases(readFileSync(join(dir, 'phases.csv'), 'utf8')));
  if (edit.row) {
    const [head, ...rows] = readFileSync(join(dir, 'nvml-100ms-trace.csv'), 'utf8').trim().split('\n');
    const header = head.split(',');
    const out = rows.map((line) => edit.row!(line.split(','), header).join(','));
    writeFileSync(join(dir, 'nvml-100ms-trace.csv'), `${[head, ...out].join('\n')}\n`);
  }
  return dir;
}

describe('calibration against the real H200 trace: in sample', () => {
  it('finds the trace', () => {
    expect(existsSync(resolve(traceDir, 'nvml-100ms-trace.csv'))).toBe(true);
  });

  const result = runCalibration(traceDir);

  it('replays every phase of phases.csv plus the lead-in', () => {
    expect(result.phases.map((p) => p.phase)).toEqual(PHASES);
  });

  for (const phase of result.phases) {
    it(`${phase.phase} @ ${phase.startS} s: power within ±${POWER_TOLERANCE_PCT} %, steady temperature within ±${TEMP_TOLERANCE_C} °C`, () => {
      expect(Math.abs(phase.powerErrorPct)).toBeLessThanOrEqual(POWER_TOLERANCE_PCT);
      expect(Math.abs(phase.tempErrorC)).toBeLessThanOrEqual(TEMP_TOLERANCE_C);
    });
  }

  it('throttles the SM clock into the real band under the power cap', () => {
    const matmul = result.phases.find((p) => p.phase === 'matmul')!;
    expect(matmul.sim.medianSmClockMhz).toBeGreaterThanOrEqual(1425);
    expect(matmul.sim.medianSmClockMhz).toBeLessThanOrEqual(1500);
  });

  it('integrates the same energy as the real counter within 2 %', () => {
    expect(Math.abs(result.energy.errorPct)).toBeLessThan(2);
  });

  it('publishes the H200 parameters the fit gives (gpu-params.ts is reproducible from the trace)', () => {
    const published = GPU_MODELS['H200-SXM'];
    const fitted = result.fit.params;
    for (const key of ['idleNoContextW', 'idleWithContextW', 'capTargetRatio', 'burstCapRatio', 'computeBoundDemandW', 'memoryBoundW'] as const) {
      expect(published[key], key).toBe(fitted[key]);
    }
    expect(published.thermal).toEqual(fitted.thermal);
    expect(published.leakage).toEqual(fitted.leakage);
  });

  it('takes the GPU air from the room and chassis models, not from a constant', () => {
    expect(result.inletC).toBe(23.5);
  });
});

describe('calibration against the real H200 trace: out of sample', () => {
  const folds = runOutOfSample(traceDir);

  it('reports every phase, each predicted by a fit that did not see it', () => {
    expect(folds.map((f) => f.phase)).toEqual(PHASES);
  });

  it('tells each phase by its own columns, not its label', () => {
    expect(folds.map((f) => f.character)).toEqual([
      'idle-no-context',
      'idle-with-context',
      'compute-bound',
      'idle-with-context',
      'memory-bound',
      'idle-with-context',
      'mixed',
      'idle-with-context',
      'idle-no-context',
    ]);
  });

  // The one out-of-sample power miss, stated in docs/simulator.md: copy held out is predicted by the memory physics
  // at -6.35 %. Its temperature is asserted like every other row.
  const POWER_MISSES = new Set(['copy']);
  for (const fold of folds) {
    it(`${fold.phase} @ ${fold.startS} s held out: steady temperature within ±${TEMP_TOLERANCE_C} °C`, () => {
      expect(Math.abs(fold.tempErrorC)).toBeLessThanOrEqual(TEMP_TOLERANCE_C);
    });
    if (POWER_MISSES.has(fold.phase)) continue;
    it(`${fold.phase} @ ${fold.startS} s held out: power within ±${POWER_TOLERANCE_PCT} %`, () => {
      expect(Math.abs(fold.powerErrorPct)).toBeLessThanOrEqual(POWER_TOLERANCE_PCT);
    });
  }

  it('copy held out: the power miss is the one documented (-6.35 %, low), not a silent pass or a worse miss', () => {
    const copy = folds.find((f) => f.phase === 'copy')!;
    expect(copy.powerErrorPct).toBeLessThan(-POWER_TOLERANCE_PCT);
    // -8.8 % before the memory clock and the leakage slope entered the physics; -6.18 % with the leakage as a steady term.
    expect(copy.powerErrorPct).toBeGreaterThan(-7);
  });

  it('no fold falls back to a prior; copy held out is predicted by the memory physics', () => {
    const copy = folds.find((f) => f.phase === 'copy')!;
    expect(copy.physics).toEqual(['memoryMemRatio', 'dieMemoryResistanceCPerW', 'memoryBoundW']);
    expect(folds.every((f) => f.priors.length === 0)).toBe(true);
    expect(folds.filter((f) => f.phase !== 'copy').every((f) => f.physics.length === 0)).toBe(true);
  });

  it('memory physics: context idle (fitted) + the memory clock\'s bandwidth × 8 pJ/bit, + leakage in the GPU model; only the GPU-side share heats the die', () => {
    const trace = readTrace(traceDir);
    const training = trace.phases.filter((p) => p.name !== 'copy');
    const fit = fitGpuParams(trace, training, GPU_MODELS['H200-SXM']);
    // 2 × 3,201 MHz × 6,144 bits = 4.917 TB/s (the trace's memory clock; the datasheet says 4.8 TB/s).
    const trafficW = 2 * 3201e6 * 6144 * 8e-12;
    expect(trafficW).toBeCloseTo(314.7, 1);
    // The leakage slope comes from the training phases' idle intervals (cooling down after a load, a duty cycle's
    // gaps), never from the copy: ~0.58 W/°C, and about the same without the idle phase that follows the copy.
    const leakage = idleLeakage(trace, training);
    expect(leakage.wPerC).toBeGreaterThan(0.5);
    expect(leakage.wPerC).toBeLessThan(0.65);
    expect(leakage.source).not.toMatch(/copy/);
    expect(idleLeakage(trace, training.filter((p) => p.startS !== 63.6)).wPerC).toBeCloseTo(leakage.wPerC, 1);
    expect(fit.sources.idleLeakageWPerC).toMatch(/^fit: /);
    // A steady idle phase alone (38 °C throughout) has no temperature spread: no slope, stated as a prior of 0.
    const firstIdle = trace.phases.find((p) => p.name === 'idle')!;
    expect(idleLeakage(trace, [firstIdle])).toMatchObject({ wPerC: 0, source: expect.stringMatching(/^prior: 0/) });
    // The parameter holds at the leakage reference (the idle phases' die, 39 °C); the GPU model adds the leakage of
    // the die the copy warms, ~8 °C above the idle phases: ~4-5 W on top of the traffic in the held-out prediction.
    expect(fit.params.leakage).toEqual({ wPerC: Math.round(leakage.wPerC * 1000) / 1000, refDieC: 39 });
    expect(fit.params.memoryBoundW).toBeCloseTo(fit.params.idleWithContextW + trafficW, 1);
    const copy = folds.find((f) => f.phase === 'copy')!;
    const warmW = copy.sim.medianPowerW - fit.params.memoryBoundW;
    expect(warmW).toBeGreaterThan(3);
    expect(warmW).toBeLessThan(6);
    expect(warmW).toBeCloseTo(leakage.wPerC * (copy.sim.steadyTempC - 39), 0);
    expect(fit.params.thermal.dieMemoryResistanceCPerW).toBeCloseTo(
      fit.params.thermal.dieComputeResistanceCPerW * (1 - 3.9 / 8),
      4,
    );
    expect(fit.sources.memoryBoundW).toMatch(/^physics: /);
  });

  it('memory physics without a memory-clock column: the datasheet bandwidth (4.8 TB/s)', () => {
    const dir = traceCopy({
      row: (cells, header) => cells.map((cell, i) => (header[i] === 'mem_mhz' ? '' : cell)),
    });
    const trace = readTrace(dir);
    expect(trace.samples.every((s) => s.memClockMhz === undefined)).toBe(true);
    const fit = fitGpuParams(trace, trace.phases.filter((p) => p.name !== 'copy'), GPU_MODELS['H200-SXM']);
    expect(fit.sources.memoryBoundW).toMatch(/^physics: context idle \+ 4\.8 TB\/s × 8 pJ\/bit/);
    // At the leakage reference: the GPU model adds the leakage at the temperature it runs at.
    expect(fit.params.memoryBoundW).toBeCloseTo(fit.params.idleWithContextW + 4.8e12 * 8 * 8e-12, 1);
  });

  it('learns the compute-bound power from the duty cycle when matmul is held out', () => {
    const [matmul] = runOutOfSample(traceDir, { holdout: 'matmul' });
    expect(matmul.priors).toEqual([]);
    expect(Math.abs(matmul.powerErrorPct)).toBeLessThanOrEqual(POWER_TOLERANCE_PCT);
  });

  it('every idle phase held out at once: the context idle power comes from the duty cycle\'s idle gaps, within ±5 %', () => {
    const idle = runOutOfSample(traceDir, { holdout: 'idle' });
    expect(idle).toHaveLength(4);
    for (const row of idle) {
      expect(Math.abs(row.powerErrorPct), `${row.startS}`).toBeLessThanOrEqual(POWER_TOLERANCE_PCT);
      expect(Math.abs(row.tempErrorC), `${row.startS}`).toBeLessThanOrEqual(TEMP_TOLERANCE_C);
      // Priors: the base die resistance (no steady idle-with-context temperature to fit it on) and the leakage slope
      // (the duty cycle's idle gaps are fewer than the 20 intervals the slope needs: no leakage in this fold).
      expect(row.priors).toEqual(['idleLeakageWPerC', 'dieBaseResistanceCPerW']);
    }
    const trace = readTrace(traceDir);
    const fit = fitGpuParams(trace, trace.phases.filter((p) => p.name !== 'idle'), GPU_MODELS['H200-SXM']);
    expect(fit.sources.idleWithContextW).toBe('fit: duty50@69.6 (energy counter in its idle gaps)');
  });

  it('the idle gaps of the duty cycle read the context idle power: no interval catches a burst edge', () => {
    const trace = readTrace(traceDir);
    const duty = trace.phases.find((p) => p.name === 'duty50')!;
    const gaps = idleGapPowersW(trace, duty);
    expect(gaps.length).toBeGreaterThanOrEqual(10);
    const steadyIdleW = GPU_MODELS['H200-SXM'].idleWithContextW;
    // Single 100 ms intervals jitter by a few W (the counter and the timestamps are not read at the same instant); none
    // holds part of a burst (that would read 150 W or more).
    for (const w of gaps) expect(Math.abs(w - steadyIdleW)).toBeLessThan(0.05 * steadyIdleW);
    expect(Math.abs(median(gaps) - steadyIdleW)).toBeLessThan(0.03 * steadyIdleW);
    // A steady idle phase gives its own power back.
    const idle = trace.phases.find((p) => p.name === 'idle')!;
    expect(Math.abs(median(idleGapPowersW(trace, idle)) - steadyIdleW)).toBeLessThan(1);
  });

  it('rejects a --holdout label the trace does not have, naming the labels it has', () => {
    expect(() => runOutOfSample(traceDir, { holdout: 'prefill' })).toThrow(/"prefill" is not a phase.*matmul/);
  });
});

describe('replay mode: driven only by the utilisation columns', () => {
  const [duty] = runOutOfSample(traceDir, { mode: 'replay', holdout: 'duty50' });

  it(`predicts the held-out duty cycle within ±${POWER_TOLERANCE_PCT} % and ±${TEMP_TOLERANCE_C} °C`, () => {
    expect(Math.abs(duty.powerErrorPct)).toBeLessThanOrEqual(POWER_TOLERANCE_PCT);
    expect(Math.abs(duty.tempErrorC)).toBeLessThanOrEqual(TEMP_TOLERANCE_C);
  });

  it('never reads the power, energy, temperature or clock of the phase it predicts', () => {
    const { phases } = readTrace(traceDir);
    const held = phases.find((p) => p.name === 'duty50')!;
    const scrambled = traceCopy({
      row: (cells, header) => {
        const t = Number(cells[header.indexOf('t_s')]);
        if (t < held.startS || t >= held.endS) return cells;
        const out = [...cells];
        for (const column of ['power_mw', 'energy_mj', 'temp_gpu_c', 'sm_mhz', 'clocks_event_reasons']) out[header.indexOf(column)] = '1';
        return out;
      },
    });
    const [again] = runOutOfSample(scrambled, { mode: 'replay', holdout: 'duty50' });
    expect(again.sim).toEqual(duty.sim);
    expect(again.real.medianPowerW).toBe(0);
  });

  it('drives a phase label it has never seen; label mode refuses it with the label named', () => {
    const renamed = traceCopy({ phases: (text) => text.replace(/^69\.6,duty50,/m, '69.6,decode-burst,') });
    const [unseen] = runOutOfSample(renamed, { mode: 'replay', holdout: 'decode-burst' });
    expect(unseen.sim).toEqual(duty.sim);
    expect(() => runCalibration(renamed)).toThrow(/no workload mapping for phase "decode-burst"/);
  });
});

describe('physics the fit does not see', () => {
  const rows = runScenarios(traceDir);
  const scenario = (prefix: string) => rows.filter((r) => r.scenario.startsWith(prefix));

  it('GPU temperature follows the inlet: +10 °C at the inlet warms every phase by 6-10 °C; power rises by the leakage of that rise', () => {
    const warm = scenario('inlet');
    expect(warm).toHaveLength(PHASES.length);
    // The warmer inlet comes out of the room model, from a CRAH supply 10 °C warmer.
    expect(warm[0].scenario).toBe('inlet 23.5 → 33.5 °C (room model: CRAH supply 22 → 32 °C)');
    for (const r of warm) {
      // Less than +10 where the fans speed up (the BMC raises them above a 27 °C inlet).
      expect(r.predicted.steadyTempC - r.baseline.steadyTempC, r.phase).toBeGreaterThanOrEqual(6);
      expect(r.predicted.steadyTempC - r.baseline.steadyTempC, r.phase).toBeLessThanOrEqual(10.5);
    }
    // Clocks up and under the cap (the idle phases with a context, the copy): slope × the die's rise. The phase
    // temperatures are medians of whole-degree readings, so each may sit up to 0.5 °C off the die's own, and the
    // powers are rounded to 0.1 W.
    const k = GPU_MODELS['H200-SXM'].leakage!.wPerC;
    const uncapped = warm.filter((r) => r.phase === 'idle' || r.phase === 'copy');
    expect(uncapped).toHaveLength(5);
    for (const r of uncapped) {
      const extraW = r.predicted.medianPowerW - r.baseline.medianPowerW;
      expect(extraW, `${r.phase}@${r.startS}`).toBeGreaterThan(k * 6);
      expect(Math.abs(extraW - k * (r.predicted.steadyTempC - r.baseline.steadyTempC)), `${r.phase}@${r.startS}`).toBeLessThanOrEqual(k + 0.1);
    }
    // Clocks parked (start, end): no leakage term. Held at the cap (matmul): the clock gives way, not the power.
    for (const r of warm.filter((x) => x.phase === 'start' || x.phase === 'end' || x.phase === 'matmul')) {
      expect(r.predicted.medianPowerW, r.phase).toBeCloseTo(r.baseline.medianPowerW, 0);
    }
  });

  it('a World GPU idle with a context draws the calibrated model\'s idle at its die temperature, at the base and a +10 °C supply', () => {
    const trace = readTrace(traceDir);
    const { params } = fitGpuParams(trace, trace.phases, GPU_MODELS['H200-SXM']);
    const leak = params.leakage!;
    const temps: number[] = [];
    for (const raiseC of [0, 10]) {
      const inventory = exampleInventory();
      for (const unit of inventory.sites[0].coolingUnits ?? []) unit.supplyTempC = crahSupplyC() + raiseC;
      const world = new World(inventory, { seed: 3, noise: false });
      for (const host of world.hostnames()) for (const g of world.hostView(host)!.gpus) world.setWorkload(g.uuid, 'idle-with-context', 0);
      world.step(1800);
      for (const g of world.hostView('r2-node2')!.gpus) {
        const r = g.readings!;
        // The fit's context idle power at its reference die temperature, plus its slope × the difference; the
        // reading is whole degrees, so ±0.5 °C of slope.
        const calibratedW = params.idleWithContextW + leak.wPerC * (r.gpuTempC - leak.refDieC);
        expect(Math.abs(r.powerW - calibratedW), `+${raiseC} °C, GPU ${g.index}`).toBeLessThanOrEqual(leak.wPerC / 2 + 1e-3);
        temps.push(r.gpuTempC);
      }
    }
    // The warm hall puts the dies well above the reference, where a missing leakage term would show.
    expect(Math.max(...temps) - leak.refDieC).toBeGreaterThanOrEqual(6);
  });

  it('a 1 s duty cycle at its nominal 0.5 s / 0.5 s reads as its mean through the 1 s power window', () => {
    const [nominal] = scenario('duty cycle');
    const h200 = GPU_MODELS['H200-SXM'];
    // Its 1 s average stays under the cap target, so the bursts run at the burst ceiling.
    const mean = (h200.burstCapRatio! * h200.powerLimitW + h200.idleWithContextW) / 2;
    expect(nominal.predicted.medianPowerW).toBeGreaterThan(mean * 0.97);
    expect(nominal.predicted.medianPowerW).toBeLessThan(mean * 1.03);
    // The real GPU ran the loop's kernels for ~1.35 s of every ~1.85 s, so the nominal timing is not what ran.
    expect(nominal.real!.medianPowerW).toBeGreaterThan(nominal.predicted.medianPowerW * 1.2);
  });

  it('the duty cycle the GPU ran (energy counter): idle per period is the host loop\'s 0.5 s sleep, busy is not its 0.5 s', () => {
    const trace = readTrace(traceDir);
    const pattern = energyBusyPattern(trace, trace.phases.find((p) => p.name === 'duty50')!);
    expect(pattern.bursts).toBeGreaterThanOrEqual(5);
    expect(Math.abs(pattern.idleS - 0.5)).toBeLessThan(0.1);
    expect(pattern.busyS).toBeGreaterThan(2.5 * 0.5);
    // The utilisation column (what the drives read) agrees on the period within 0.1 s.
    const util = dutyCycleTimings(traceDir).find((r) => r.source === 'util_gpu column')!;
    expect(Math.abs(util.periodS - pattern.periodS)).toBeLessThan(0.1);
  });

  it('the utilisation column\'s duty (its mean reading) agrees with the energy counter within 0.02', () => {
    const trace = readTrace(traceDir);
    const energy = energyBusyPattern(trace, trace.phases.find((p) => p.name === 'duty50')!);
    const util = dutyCycleTimings(traceDir).find((r) => r.source === 'util_gpu column')!;
    expect(Math.abs(util.duty - energy.duty)).toBeLessThan(0.02);
  });

  it('capped bursts start at the burst ceiling: fitted from the clock at burst starts, the duty cycle runs at the real clock', () => {
    const trace = readTrace(traceDir);
    const fit = fitGpuParams(trace, trace.phases.filter((p) => p.name !== 'duty50'), GPU_MODELS['H200-SXM']);
    expect(fit.sources.burstCapRatio).toMatch(/^fit: matmul@13\.5/);
    expect(fit.params.burstCapRatio!).toBeGreaterThan(fit.params.capTargetRatio * 1.03);
    for (const mode of ['label', 'replay'] as const) {
      const [duty] = runOutOfSample(traceDir, { mode, holdout: 'duty50' });
      expect(Math.abs(duty.sim.medianSmClockMhz - duty.real.medianSmClockMhz), mode).toBeLessThanOrEqual(15);
      expect(Math.abs(duty.powerErrorPct), mode).toBeLessThanOrEqual(2);
    }
  });

  it('reads back the duty and period a simulated GPU ran from its energy counter', () => {
    for (const [duty, periodS] of [
      [0.5, 1],
      [0.74, 1.86],
    ]) {
      const g = new GpuSim({ uuid: 'GPU-t', index: 0, model: 'H200-SXM', rng: new Rng(1), noise: false });
      g.setWorkload({ kind: 'bursty-inference', util: duty, burstPeriodS: periodS, burstComputeShare: 1 });
      const samples: TraceSample[] = [];
      for (let i = 0; i <= 150; i++) {
        if (i > 0) for (let k = 0; k < 10; k++) g.step(0.01, { airTempC: 25, powered: true });
        const r = g.readings()!;
        samples.push({
          tS: i * 0.1,
          powerW: r.powerW,
          energyMj: r.energyMj,
          tempC: r.gpuTempC,
          utilGpuPct: r.gpuUtilPct,
          utilMemPct: r.memCopyUtilPct,
          fbUsedMib: r.fbUsedMib,
          smClockMhz: r.smClockMhz,
          clockEventReasons: r.clockEventReasons,
          powerLimitW: r.powerLimitW,
        });
      }
      const trace: Trace = { samples, phases: [], fbBaselineMib: 0 };
      const pattern = energyBusyPattern(trace, { name: 'sim', startS: 0, endS: 15.1, description: '' });
      expect(Math.abs(pattern.duty - duty), `duty ${duty}`).toBeLessThan(0.03);
      expect(Math.abs(pattern.periodS - periodS), `period ${periodS}`).toBeLessThan(0.05);
    }
  });

  it('the clock follows a lowered power cap; a load under the cap is untouched', () => {
    const capped = scenario('power cap');
    const h200 = GPU_MODELS['H200-SXM'];
    const matmul = capped.find((r) => r.phase === 'matmul')!;
    const capW = 500 * h200.capTargetRatio;
    expect(matmul.predicted.medianPowerW).toBeCloseTo(capW, -1);
    const ratio = ((capW - h200.idleWithContextW) / (h200.computeBoundDemandW - h200.idleWithContextW)) ** (1 / h200.dvfsExponent);
    expect(Math.abs(matmul.predicted.medianSmClockMhz - h200.smClockMaxMhz * ratio)).toBeLessThanOrEqual(30);
    expect(matmul.predicted.steadyTempC).toBeLessThan(matmul.baseline.steadyTempC - 3);
    const copy = capped.find((r) => r.phase === 'copy')!;
    expect(copy.predicted.medianPowerW).toBeCloseTo(copy.baseline.medianPowerW, 0);
  });
});

describe('second GPU model out of sample: H100 SXM', () => {
  const rows = predictH100(exportersDir, traceDir);
  const [idle, burn] = rows;

  it('compares against the real idle and gpu-burn captures, driven by their limit and utilisation columns', () => {
    expect(rows.map((r) => [r.capture, r.powerLimitW, r.realPowerW, r.realTempC])).toEqual([
      ['H100 idle', 700, 69.85, 41],
      ['H100 gpu-burn', 700, 631.95, 59],
    ]);
    expect(idle.drivenAs).toMatch(/^idle-no-context/);
    expect(burn.drivenAs).toMatch(/^busy-fraction/);
  });

  it('is not fitted on the captures: the H100 parameters transfer from the H200 fit by architecture', () => {
    const h100 = GPU_MODELS['H100-SXM'];
    const h200 = GPU_MODELS['H200-SXM'];
    expect(h100.idleNoContextW).toBeCloseTo(h200.idleNoContextW - h200.idleMemoryPowerW / 6, 1);
    // Same GH100 die: same area, same die resistances, compute demand and cap target.
    expect(h100.dieAreaMm2).toBe(h200.dieAreaMm2);
    expect(h100.thermal).toEqual(h200.thermal);
    expect(h100.computeBoundDemandW).toBe(h200.computeBoundDemandW);
    expect(h100.capTargetRatio).toBe(h200.capTargetRatio);
    // Memory-bound power from its own bandwidth × energy per bit.
    expect(h100.memoryBoundW).toBeCloseTo(h100.idleWithContextW + 3.35e12 * 8 * 8e-12, 0);
    expect(idle.predictedPowerW).toBe(h100.idleNoContextW);
  });

  it(`idle power within ±${POWER_TOLERANCE_PCT} %; gpu-burn temperature within ±${TEMP_TOLERANCE_C} °C of the snapshot`, () => {
    expect(Math.abs(idle.powerErrorPct)).toBeLessThanOrEqual(POWER_TOLERANCE_PCT);
    expect(Math.abs(burn.tempErrorC)).toBeLessThanOrEqual(TEMP_TOLERANCE_C);
  });

  it('the gpu-burn snapshot caught a transient: the die kept warming after it, and the settled model is >3 °C below its last reading', () => {
    // Idle: settled (the dmon that follows reads flat at the snapshot's temperature).
    expect(idle.realTempsAfterC).toEqual(Array(5).fill(idle.realTempC));
    const after = burn.realTempsAfterC!;
    expect(after).toHaveLength(5);
    expect(after[0]).toBeGreaterThan(burn.realTempC);
    expect(after[after.length - 1]).toBeGreaterThan(after[0]);
    // The documented miss against the latest reading (still rising, so a lower bound on the settled temperature).
    expect(after[after.length - 1] - burn.predictedTempC).toBeGreaterThan(TEMP_TOLERANCE_C);
    expect(after[after.length - 1] - burn.predictedTempC).toBeLessThanOrEqual(6);
  });

  it('reads the gtemp column of a capture\'s dmon section for the state asked', () => {
    const text = [
      '#'.repeat(80),
      '# idle :: dmon (per-device monitor)',
      '# $ nvidia-smi dmon -c 2',
      '#'.repeat(80),
      '# gpu    pwr  gtemp  mtemp     sm',
      '# Idx      W      C      C      %',
      '    0     69     41     47      0',
      '    0     70     42     47      0',
      '',
      '',
      '#'.repeat(80),
      '# load :: dmon (per-device monitor)',
      '# $ nvidia-smi dmon -c 1',
      '#'.repeat(80),
      '# gpu    pwr  mtemp  gtemp     sm',
      '# Idx      W      C      C      %',
      '    0    631     57     63    100',
    ].join('\n');
    expect(dmonGpuTemps(text, 'idle')).toEqual([41, 42]);
    expect(dmonGpuTemps(text, 'load')).toEqual([63]);
  });

  it('the documented misses: gpu-burn ran under its cap at full clock, the model caps it (+9.5 %); idle reads 4 °C cold', () => {
    expect(burn.realPowerCapped).toBe(false);
    expect(burn.realSmClockMhz).toBe(1980);
    expect(burn.predictedSmClockMhz).toBeLessThan(1980);
    expect(burn.powerErrorPct).toBeGreaterThan(POWER_TOLERANCE_PCT);
    expect(burn.powerErrorPct).toBeLessThan(10);
    expect(idle.tempErrorC).toBeLessThan(-TEMP_TOLERANCE_C);
    expect(idle.tempErrorC).toBeGreaterThanOrEqual(-4);
  });
});
