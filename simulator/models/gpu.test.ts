import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { BoxcarAverage, CLOCK_REASON, GpuSim, squareWaveOnFraction, type Workload } from './gpu';
import { GPU_MODEL_IDS, GPU_MODELS, hbmBandwidthTBps, leakageW, memoryTrafficW, scaleDieResistances, stackShare } from './gpu-params';

const env = { airTempC: 30, powered: true };

function gpu(model: (typeof GPU_MODEL_IDS)[number] = 'H200-SXM', noise = false): GpuSim {
  return new GpuSim({ uuid: 'GPU-test', index: 0, model, rng: new Rng(1), noise, initialAirTempC: 30 });
}

function run(g: GpuSim, seconds: number, dtS = 0.1): void {
  for (let t = 0; t < seconds - 1e-9; t += dtS) g.step(dtS, env);
}

describe('GPU power', () => {
  it('draws the idle powers with and without a context', () => {
    const g = gpu();
    run(g, 5);
    const h200 = GPU_MODELS['H200-SXM'];
    expect(g.readings()!.powerW).toBeCloseTo(h200.idleNoContextW, 1);
    expect(g.readings()!.clockEventReasons).toBe(CLOCK_REASON.gpuIdle);
    g.setWorkload({ kind: 'idle-with-context', util: 0 });
    run(g, 5);
    // With a context the idle power follows the die temperature (leakage, referred to the fit's idle die).
    expect(g.readings()!.powerW).toBeCloseTo(h200.idleWithContextW + leakageW(h200.leakage, g.dieTemperatureC), 1);
    expect(g.readings()!.smClockMhz).toBe(1980);
  });

  it('holds compute-bound load at the cap by throttling the SM clock (SW power cap)', () => {
    const g = gpu();
    g.setWorkload({ kind: 'compute-bound', util: 1 });
    run(g, 10);
    const r = g.readings()!;
    expect(r.powerW).toBeGreaterThan(680);
    expect(r.powerW).toBeLessThanOrEqual(700);
    expect(r.smClockMhz).toBeLessThan(1980);
    expect(r.clockEventReasons & CLOCK_REASON.swPowerCap).toBeTruthy();
  });

  it('follows a lowered power limit', () => {
    const g = gpu();
    g.setWorkload({ kind: 'compute-bound', util: 1 });
    g.setPowerLimitW(400);
    run(g, 5);
    expect(g.readings()!.powerW).toBeLessThanOrEqual(400);
    expect(g.readings()!.powerLimitW).toBe(400);
    g.setPowerLimitW(50);
    expect(g.getPowerLimitW()).toBe(200);
  });

  it('draws less memory-bound than compute-bound, without throttling', () => {
    const g = gpu();
    g.setWorkload({ kind: 'memory-bound', util: 1 });
    run(g, 5);
    // The fitted memory-bound power holds at the leakage reference; the die runs warmer than that under the copy.
    const h200 = GPU_MODELS['H200-SXM'];
    expect(g.dieTemperatureC).toBeGreaterThan(h200.leakage!.refDieC);
    expect(g.readings()!.powerW).toBeCloseTo(h200.memoryBoundW + leakageW(h200.leakage, g.dieTemperatureC), 0);
    expect(g.readings()!.smClockMhz).toBe(1980);
    expect(g.readings()!.clockEventReasons & CLOCK_REASON.swPowerCap).toBe(0);
  });

  it('scales power with utilisation', () => {
    const low = gpu();
    const high = gpu();
    low.setWorkload({ kind: 'memory-bound', util: 0.3 });
    high.setWorkload({ kind: 'memory-bound', util: 0.9 });
    run(low, 3);
    run(high, 3);
    expect(high.readings()!.powerW).toBeGreaterThan(low.readings()!.powerW);
  });

  it('reports power as a 1 s average while the energy counter integrates the instantaneous power', () => {
    const g = gpu();
    g.setWorkload({ kind: 'idle-with-context', util: 0 });
    run(g, 3);
    const e0 = g.readings()!.energyMj;
    g.setWorkload({ kind: 'memory-bound', util: 1 });
    run(g, 0.5);
    // Half of the window is at the new load.
    expect(g.readings()!.powerW).toBeGreaterThan(250);
    expect(g.readings()!.powerW).toBeLessThan(350);
    run(g, 9.5);
    const joules = (g.readings()!.energyMj - e0) / 1000;
    expect(joules).toBeGreaterThan(471 * 10 * 0.99);
    expect(joules).toBeLessThan(471 * 10 * 1.01);
  });

  it('energy counter: 700 W for 60 s in one big step is 42 kJ', () => {
    const g = gpu();
    g.setWorkload({ kind: 'compute-bound', util: 1 });
    const e0 = g.readings()!.energyMj;
    g.step(60, env);
    const p = g.readings()!.powerInstantW;
    expect(g.readings()!.energyMj - e0).toBeCloseTo(p * 60 * 1000, -2);
  });

  it('bursty load averages between idle and busy power', () => {
    const g = gpu();
    g.setWorkload({ kind: 'bursty-inference', util: 0.5, burstPeriodS: 1, burstComputeShare: 0 });
    const h200 = GPU_MODELS['H200-SXM'];
    // One 100 s step: the leakage is taken at the die temperature the step starts from.
    const contextW = h200.idleWithContextW + leakageW(h200.leakage, g.dieTemperatureC);
    g.step(100, env);
    const p = g.readings()!.powerW;
    expect(p).toBeGreaterThan(contextW);
    expect(p).toBeLessThan(h200.memoryBoundW);
    expect(p).toBeCloseTo(contextW + (h200.memoryBoundW - h200.idleWithContextW) / 2, 0);
  });

  /** Reported (1 s averaged) power sampled every 100 ms over 8 s of a duty-cycled compute load. */
  function dutyReadings(periodS: number): number[] {
    const g = gpu();
    g.setWorkload({ kind: 'bursty-inference', util: 0.5, burstPeriodS: periodS, burstComputeShare: 1 });
    run(g, 20, 0.02);
    const out: number[] = [];
    for (let i = 0; i < 80; i++) {
      run(g, 0.1, 0.02);
      out.push(g.readings()!.powerW);
    }
    return out;
  }

  it('reports a duty cycle through the 1 s window: a period of one window reads flat at the mean', () => {
    const h200 = GPU_MODELS['H200-SXM'];
    // Its 1 s average stays under the cap target, so the bursts run at the burst ceiling, not at the target.
    const busyW = h200.burstCapRatio! * h200.powerLimitW;
    const readings = dutyReadings(1);
    const mean = (busyW + h200.idleWithContextW) / 2;
    for (const w of readings) expect(Math.abs(w - mean)).toBeLessThan(0.03 * mean);
  });

  it('reports a slow duty cycle as swings between busy and idle power, a fast one as its mean', () => {
    const h200 = GPU_MODELS['H200-SXM'];
    const busyW = h200.capTargetRatio * h200.powerLimitW;
    const slow = dutyReadings(4);
    // 2 s on / 2 s off: the window fills with busy time, then with idle time.
    expect(Math.max(...slow)).toBeGreaterThan(0.97 * busyW);
    expect(Math.min(...slow)).toBeLessThan(h200.idleWithContextW * 1.05);
    const fast = dutyReadings(0.2);
    expect(Math.max(...fast) - Math.min(...fast)).toBeLessThan(0.05 * busyW);
  });

  it('the energy counter shows a short idle gap at the context idle power; the 1 s power reading never gets there', () => {
    // 1.4 s busy / 0.45 s idle, the duty cycle the real H200 ran: the calibration reads the context idle power off
    // the energy counter in such gaps (calibrate-trace.ts, idleGapPowersW).
    const h200 = GPU_MODELS['H200-SXM'];
    const g = gpu();
    const periodS = 1.85;
    const duty = 1.4 / periodS;
    g.setWorkload({ kind: 'bursty-inference', util: duty, burstPeriodS: periodS, burstComputeShare: 1 });
    run(g, 20 * periodS, 0.05);
    const gapEnergyW: number[] = [];
    const gapContextW: number[] = [];
    const gapReportedW: number[] = [];
    let previousMj = g.readings()!.energyMj;
    let t = 20 * periodS;
    for (let i = 0; i < 100; i++) {
      // The context idle power at the die temperature each 50 ms step starts from (the die cools in the gap).
      let contextW = 0;
      for (let k = 0; k < 2; k++) {
        contextW += (h200.idleWithContextW + leakageW(h200.leakage, g.dieTemperatureC)) / 2;
        g.step(0.05, env);
      }
      t += 0.1;
      const r = g.readings()!;
      const phase = t - Math.floor(t / periodS + 1e-9) * periodS;
      // Intervals wholly inside the idle part of the period.
      if (phase - 0.1 >= duty * periodS + 1e-6) {
        gapEnergyW.push((r.energyMj - previousMj) / 100);
        gapContextW.push(contextW);
        gapReportedW.push(r.powerW);
      }
      previousMj = r.energyMj;
    }
    expect(gapEnergyW.length).toBeGreaterThan(5);
    for (const [i, w] of gapEnergyW.entries()) {
      expect(Math.abs(w - gapContextW[i])).toBeLessThan(0.02 * h200.idleWithContextW);
    }
    // Just after a burst the die is warm: the gap reads above the context idle power at the reference temperature.
    expect(Math.min(...gapContextW)).toBeGreaterThan(h200.idleWithContextW);
    // The 1 s average still holds most of the burst.
    for (const w of gapReportedW) expect(w).toBeGreaterThan(h200.idleWithContextW * 2);
  });

  it('the power controller acts on the 1 s average: a burst after idle runs at the burst ceiling until the average catches up', () => {
    const h200 = GPU_MODELS['H200-SXM'];
    const targetW = h200.capTargetRatio * h200.powerLimitW;
    const ceilingW = h200.burstCapRatio! * h200.powerLimitW;
    expect(ceilingW).toBeGreaterThan(targetW * 1.03);
    const g = gpu();
    g.setWorkload({ kind: 'idle-with-context', util: 0 });
    run(g, 10, 0.05);
    g.setWorkload({ kind: 'compute-bound', util: 1 });
    run(g, 0.3, 0.05);
    const start = g.readings()!;
    expect(start.powerInstantW).toBeCloseTo(ceilingW, 0);
    // The clock the ceiling allows, through the DVFS curve (the H200 trace: ~1,500 MHz at a burst's start).
    const contextW = h200.idleWithContextW + leakageW(h200.leakage, g.dieTemperatureC);
    const startClock = h200.smClockMaxMhz * ((ceilingW - contextW) / (h200.computeBoundDemandW - h200.idleWithContextW)) ** (1 / h200.dvfsExponent);
    expect(Math.abs(start.smClockMhz - startClock)).toBeLessThanOrEqual(15);
    expect(start.clockEventReasons & CLOCK_REASON.swPowerCap).toBeTruthy();
    run(g, 5, 0.05);
    const settled = g.readings()!;
    expect(settled.powerInstantW).toBeCloseTo(targetW, 0);
    expect(settled.powerW).toBeCloseTo(targetW, 0);
    expect(settled.smClockMhz).toBeLessThan(start.smClockMhz);
  });

  it('without a burst ceiling a capped load is held at the target at once', () => {
    const h200 = GPU_MODELS['H200-SXM'];
    const g = new GpuSim({ uuid: 'GPU-t', index: 0, model: 'H200-SXM', params: { ...h200, burstCapRatio: undefined }, rng: new Rng(1), noise: false });
    g.setWorkload({ kind: 'compute-bound', util: 1 });
    run(g, 0.3, 0.05);
    expect(g.readings()!.powerInstantW).toBeCloseTo(h200.capTargetRatio * h200.powerLimitW, 0);
  });

  it('runs a busy fraction (a replayed utilisation reading) as that share of busy time', () => {
    const h200 = GPU_MODELS['H200-SXM'];
    const g = gpu();
    g.setWorkload({ kind: 'busy-fraction', util: 0.25, burstComputeShare: 0 });
    run(g, 5);
    const r = g.readings()!;
    const contextW = h200.idleWithContextW + leakageW(h200.leakage, g.dieTemperatureC);
    expect(r.powerW).toBeCloseTo(contextW + 0.25 * (h200.memoryBoundW - h200.idleWithContextW), 0);
    expect(r.gpuUtilPct).toBe(25);
  });
});

describe('GPU leakage', () => {
  const h200 = GPU_MODELS['H200-SXM'];
  const k = h200.leakage!.wPerC;
  /** Settled at a workload in still air, one step length throughout. */
  function settled(airTempC: number, workload: Parameters<GpuSim['setWorkload']>[0], dtS = 1, limitW?: number): GpuSim {
    const g = gpu();
    g.setWorkload(workload);
    if (limitW !== undefined) g.setPowerLimitW(limitW);
    for (let t = 0; t < 600 - 1e-9; t += dtS) g.step(dtS, { airTempC, powered: true });
    return g;
  }

  it('is the H200 fit\'s slope, referred to the idle phases\' die temperature', () => {
    expect(h200.leakage).toEqual({ wPerC: 0.58, refDieC: 39 });
    expect(leakageW(h200.leakage, 39)).toBe(0);
    expect(leakageW(h200.leakage, 49)).toBeCloseTo(5.8, 9);
    expect(leakageW(undefined, 90)).toBe(0);
  });

  for (const workload of [
    { kind: 'idle-with-context', util: 0 },
    { kind: 'memory-bound', util: 1 },
    { kind: 'compute-bound', util: 0.3 },
  ] as const) {
    it(`${workload.kind} (under the cap): air 10 °C warmer → slope × the die's rise more, the feedback settled by hand`, () => {
      const cool = settled(30, workload);
      const warm = settled(40, workload);
      // The leakage heats the die through the heatsink and the base resistance, so a 10 °C warmer air warms the die by
      // 10 / (1 − k (R_sink + R_base)) = 10 / (1 − 0.58 × 0.0318) = 10.188 °C, and the power rises by k × that = 5.909 W.
      const th = h200.thermal;
      const gain = 1 / (1 - k * (th.sinkResistanceCPerW + th.dieBaseResistanceCPerW));
      expect(gain * 10).toBeCloseTo(10.188, 3);
      const riseC = warm.dieTemperatureC - cool.dieTemperatureC;
      expect(riseC).toBeCloseTo(10 * gain, 2);
      const extraW = warm.readings()!.powerW - cool.readings()!.powerW;
      expect(extraW).toBeCloseTo(k * riseC, 2);
      expect(extraW).toBeCloseTo(5.909, 2);
      expect(warm.readings()!.smClockMhz).toBe(cool.readings()!.smClockMhz);
    });
  }

  it('settles on the same power whatever the step length (5 s steps as 50 ms ones)', () => {
    const workload = { kind: 'memory-bound', util: 1 } as const;
    const fine = settled(45, workload, 0.05);
    const coarse = settled(45, workload, 5);
    expect(coarse.readings()!.powerW).toBeCloseTo(fine.readings()!.powerW, 2);
    expect(coarse.dieTemperatureC).toBeCloseTo(fine.dieTemperatureC, 2);
    expect(coarse.readings()!.powerW).toBeGreaterThan(h200.memoryBoundW + k * 10);
  });

  it('a capped load stays at the cap however hot the die: the clock gives way to the leakage', () => {
    const workload = { kind: 'compute-bound', util: 1 } as const;
    for (const limitW of [700, 400]) {
      const cool = settled(25, workload, 0.1, limitW);
      const hot = settled(45, workload, 0.1, limitW);
      const targetW = limitW * h200.capTargetRatio;
      for (const g of [cool, hot]) {
        expect(g.readings()!.powerW, `${limitW} W`).toBeCloseTo(targetW, 2);
        expect(g.readings()!.powerInstantW, `${limitW} W`).toBeLessThanOrEqual(targetW + 1e-6);
      }
      expect(hot.dieTemperatureC - cool.dieTemperatureC).toBeGreaterThan(15);
      // The dynamic power the cap leaves: the target less the context idle power at the die's temperature.
      for (const g of [cool, hot]) {
        const allowedW = targetW - h200.idleWithContextW - leakageW(h200.leakage, g.dieTemperatureC);
        const clock = h200.smClockMaxMhz * (allowedW / (h200.computeBoundDemandW - h200.idleWithContextW)) ** (1 / h200.dvfsExponent);
        expect(Math.abs(g.readings()!.smClockMhz - clock), `${limitW} W`).toBeLessThanOrEqual(h200.clockStepMhz / 2);
      }
      expect(hot.readings()!.smClockMhz).toBeLessThan(cool.readings()!.smClockMhz);
    }
  });

  it('leaves the parked clocks alone (idle without a context: the slope was measured at the top clock)', () => {
    const cool = settled(30, { kind: 'idle-no-context', util: 0 });
    const warm = settled(40, { kind: 'idle-no-context', util: 0 });
    expect(warm.dieTemperatureC - cool.dieTemperatureC).toBeGreaterThan(9.9);
    expect(warm.readings()!.powerW).toBe(h200.idleNoContextW);
    expect(cool.readings()!.powerW).toBe(h200.idleNoContextW);
  });
});

describe('GPU temperature', () => {
  it('rises within seconds under load and falls back after', () => {
    const g = gpu();
    g.setWorkload({ kind: 'idle-with-context', util: 0 });
    run(g, 60);
    const idle = g.readings()!.gpuTempC;
    g.setWorkload({ kind: 'compute-bound', util: 1 });
    run(g, 5);
    const loaded = g.readings()!.gpuTempC;
    expect(loaded - idle).toBeGreaterThan(15);
    g.setWorkload({ kind: 'idle-with-context', util: 0 });
    run(g, 3);
    expect(g.readings()!.gpuTempC - idle).toBeLessThan(5);
  });

  it('follows the air temperature', () => {
    const cool = gpu();
    const warm = gpu();
    for (let i = 0; i < 100; i++) {
      cool.step(1, { airTempC: 25, powered: true });
      warm.step(1, { airTempC: 35, powered: true });
    }
    expect(warm.readings()!.gpuTempC - cool.readings()!.gpuTempC).toBeCloseTo(10, 0);
  });

  it('memory temperature rises most under memory-bound load', () => {
    const compute = gpu();
    const memory = gpu();
    compute.setWorkload({ kind: 'compute-bound', util: 1 });
    memory.setWorkload({ kind: 'memory-bound', util: 1 });
    run(compute, 60, 0.5);
    run(memory, 60, 0.5);
    expect(memory.readings()!.memoryTempC).toBeGreaterThan(compute.readings()!.memoryTempC);
    expect(memory.readings()!.gpuTempC).toBeLessThan(compute.readings()!.gpuTempC);
  });
});

describe('GPU faults', () => {
  it('XID sets the last-XID value and clears', () => {
    const g = gpu();
    g.injectXid(48);
    g.step(1, env);
    expect(g.readings()!.lastXid).toBe(48);
    g.clearXid();
    expect(g.readings()!.lastXid).toBe(0);
  });

  it('fallen off the bus: no readings, still draws idle power', () => {
    const g = gpu();
    g.setWorkload({ kind: 'compute-bound', util: 1 });
    g.setOffBus(true);
    g.step(1, env);
    expect(g.readings()).toBeNull();
    expect(g.drawW).toBeCloseTo(79.6, 0);
    g.setOffBus(false);
    g.step(1, env);
    expect(g.readings()).not.toBeNull();
  });

  it('thermal runaway: throttles (SW thermal), then shuts down', () => {
    const g = gpu();
    g.setWorkload({ kind: 'compute-bound', util: 1 });
    g.setThermalRunaway(true);
    let sawThermal = false;
    for (let t = 0; t < 1200 && g.readable; t += 0.5) {
      g.step(0.5, env);
      const r = g.readings();
      if (r && r.clockEventReasons & (CLOCK_REASON.swThermalSlowdown | CLOCK_REASON.hwThermalSlowdown)) sawThermal = true;
    }
    expect(sawThermal).toBe(true);
    expect(g.readable).toBe(false);
    g.step(0.5, env);
    expect(g.drawW).toBe(0);
    expect(g.getWorkload().kind).toBe('idle-no-context');
    g.setThermalRunaway(false);
    run(g, 30, 1);
    expect(g.readable).toBe(true);
    expect(g.readings()!.gpuTempC).toBeLessThan(45);
  });
});

describe('parameters and helpers', () => {
  it('has a parameter set per model, each idle below the cap', () => {
    for (const id of GPU_MODEL_IDS) {
      const p = GPU_MODELS[id];
      expect(p.idleNoContextW).toBeLessThan(p.idleWithContextW);
      expect(p.memoryBoundW).toBeLessThan(p.powerLimitW);
      expect(p.computeBoundDemandW).toBeGreaterThan(p.powerLimitW);
    }
  });

  it('square wave on-fraction', () => {
    expect(squareWaveOnFraction(0, 10, 1, 0.3)).toBeCloseTo(0.3);
    expect(squareWaveOnFraction(0, 0.2, 1, 0.3)).toBe(1);
    expect(squareWaveOnFraction(0.4, 0.2, 1, 0.3)).toBe(0);
  });

  it('boxcar average', () => {
    const b = new BoxcarAverage(1);
    for (let i = 0; i < 10; i++) b.push(0.1, 100);
    for (let i = 0; i < 5; i++) b.push(0.1, 200);
    expect(b.value()).toBeCloseTo(150);
    // Steps of a whole window or more keep the last value only; shorter steps after them average again.
    b.push(5, 300);
    b.push(5, 400);
    expect(b.value()).toBe(400);
    b.push(0.5, 100);
    expect(b.value()).toBeCloseTo(250);
  });

  it('keeps the same workload set again each step, and copies a changed one', () => {
    const g = gpu();
    const asked: Workload = { kind: 'compute-bound', util: 0.5 };
    g.setWorkload(asked);
    asked.util = 0.9; // the caller's object is not the GPU's
    expect(g.getWorkload().util).toBe(0.5);
    expect(g.demandedUtilization).toBe(0.5);
    g.setWorkload({ kind: 'compute-bound', util: 0.5, burstPeriodS: 2 });
    expect(g.getWorkload()).toEqual({ kind: 'compute-bound', util: 0.5, burstPeriodS: 2 });
    g.setWorkload({ kind: 'idle-with-context', util: 0.7 });
    expect(g.demandedUtilization).toBe(0);
  });

  it('memory traffic power is bits per second × energy per bit; the stacks take e_stack / e_path of it', () => {
    const hbm = { peakBandwidthTBps: 4.8, stacks: 6, busWidthBits: 6144, stackEnergyPjPerBit: 3.9, pathEnergyPjPerBit: 8 };
    // 4.8e12 B/s × 8 bit/B × 8e-12 J/bit = 307.2 W at full bandwidth; half the utilisation, half the power.
    expect(memoryTrafficW(hbm, 1)).toBeCloseTo(307.2, 6);
    expect(memoryTrafficW(hbm, 0.5)).toBeCloseTo(153.6, 6);
    expect(stackShare(hbm)).toBeCloseTo(0.4875, 6);
    // At the bandwidth the memory clock gives: NVIDIA reports the HBM clock, data on both edges of every bit.
    expect(hbmBandwidthTBps(hbm, 3201, 3201)).toBeCloseTo(4.917, 3);
    expect(memoryTrafficW(hbm, 1, hbmBandwidthTBps(hbm, 3201, 3201))).toBeCloseTo(314.7, 1);
    // The H100's 2,619 MHz over five stacks gives its datasheet 3.35 TB/s; a lower clock, proportionally less.
    const h100 = GPU_MODELS['H100-SXM'];
    expect(hbmBandwidthTBps(h100.hbm!, 2619, h100.memClockMhz)).toBeCloseTo(3.352, 3);
    expect(hbmBandwidthTBps(h100.hbm!, 1309.5, h100.memClockMhz)).toBeCloseTo(1.676, 3);
    // AMD reports a quarter of the data rate: the MI300X's 1,300 MHz over 8,192 bits is its 5.3 TB/s.
    const mi300x = GPU_MODELS.MI300X;
    expect(hbmBandwidthTBps(mi300x.hbm!, mi300x.memClockMhz, mi300x.memClockMhz)).toBeCloseTo(5.325, 3);
  });

  it('die resistances scale with 1 / die area; the heatsink and HBM resistances do not', () => {
    const th = GPU_MODELS['H200-SXM'].thermal;
    const bigger = scaleDieResistances(th, 814, 1628);
    expect(bigger.dieBaseResistanceCPerW).toBeCloseTo(th.dieBaseResistanceCPerW / 2, 8);
    expect(bigger.dieComputeResistanceCPerW).toBeCloseTo(th.dieComputeResistanceCPerW / 2, 8);
    expect(bigger.dieMemoryResistanceCPerW).toBeCloseTo(th.dieMemoryResistanceCPerW / 2, 8);
    expect(bigger.sinkResistanceCPerW).toBe(th.sinkResistanceCPerW);
    expect(bigger.memResistanceCPerW).toBe(th.memResistanceCPerW);
  });

  it('derives the MI325X from the MI300X: same dies and clocks, 256 GB at 6 TB/s, 1,000 W', () => {
    const mi300x = GPU_MODELS.MI300X;
    const mi325x = GPU_MODELS.MI325X;
    expect(mi325x.vendor).toBe('amd');
    expect(mi325x.powerLimitW).toBe(1000);
    // The MI300X's firmware carve-out below 192 GiB, kept below 256 GiB.
    expect(256 * 1024 - mi325x.memoryTotalMib).toBe(192 * 1024 - mi300x.memoryTotalMib);
    expect(mi325x.hbm!.peakBandwidthTBps).toBe(6);
    // Same CDNA 3 dies: compute demand, clocks, controller and die resistances carry over.
    for (const key of ['computeBoundDemandW', 'smClockMaxMhz', 'smClockIdleMhz', 'dvfsExponent', 'capTargetRatio', 'clockStepMhz'] as const) expect(mi325x[key]).toBe(mi300x[key]);
    expect(mi325x.thermal).toEqual(mi300x.thermal);
    // Memory-bound power moves by the extra idle memory power plus 0.7 TB/s more traffic at 8 pJ/bit (44.8 W).
    const idleExtra = mi325x.idleWithContextW - mi300x.idleWithContextW;
    expect(idleExtra).toBeCloseTo(mi300x.idleMemoryPowerW / 3, 0);
    expect(mi325x.memoryBoundW - mi300x.memoryBoundW).toBeCloseTo(idleExtra + 44.8, 0);
  });

  it('holds a compute-bound MI325X at its 1,000 W cap, above where an MI300X stops', () => {
    const mi325x = gpu('MI325X');
    const mi300x = gpu('MI300X');
    for (const g of [mi325x, mi300x]) g.setWorkload({ kind: 'compute-bound', util: 1 });
    run(mi325x, 10);
    run(mi300x, 10);
    const r = mi325x.readings()!;
    expect(r.powerW).toBeGreaterThan(950);
    expect(r.powerW).toBeLessThanOrEqual(1000);
    expect(r.clockEventReasons & CLOCK_REASON.swPowerCap).toBeTruthy();
    // The extra 250 W buys clock: the same dies throttle less.
    expect(r.smClockMhz).toBeGreaterThan(mi300x.readings()!.smClockMhz);
    expect(r.fbUsedMib + r.fbFreeMib + r.fbReservedMib).toBe(GPU_MODELS.MI325X.memoryTotalMib);
  });
});
