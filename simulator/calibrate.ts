/**
 * Calibration: replay the phases of the real H200 trace (fixtures/nvml-h200) on one simulated H200 and compare
 * median power, steady temperature and SM clock per phase. Goal: power within ±5 % and steady temperature within
 * ±3 °C for every phase.
 *
 * The simulator is driven only by what ran (phases.csv, mapped to workload kinds) and, for the duty-cycle phase, by
 * the GPU-busy pattern read from the trace's utilisation column; power and temperature are never read from the trace
 * to produce the simulated values.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GpuSim, type Workload } from './models/gpu';
import { gpuModelParams } from './models/gpu-params';
import { Rng } from './rng';

export const POWER_TOLERANCE_PCT = 5;
export const TEMP_TOLERANCE_C = 3;

export interface TraceSample {
  tS: number;
  powerW: number;
  energyMj: number;
  tempC: number;
  utilGpuPct: number;
  smClockMhz: number;
  clockEventReasons: number;
  powerLimitW: number;
}

export interface TracePhase {
  name: string;
  startS: number;
  endS: number;
  description: string;
}

export interface PhaseStats {
  medianPowerW: number;
  steadyTempC: number;
  medianSmClockMhz: number;
}

export interface PhaseResult {
  phase: string;
  startS: number;
  endS: number;
  workload: Workload;
  real: PhaseStats;
  sim: PhaseStats;
  powerErrorPct: number;
  tempErrorC: number;
  pass: boolean;
}

export interface CalibrationResult {
  trace: string;
  gpuModel: string;
  tolerance: { powerPct: number; tempC: number };
  phases: PhaseResult[];
  energy: { realDeltaMj: number; simDeltaMj: number; errorPct: number };
  pass: boolean;
}

function parseCsv(text: string): Record<string, string>[] {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const header = lines[0].split(',').map((h) => h.trim());
  return lines.slice(1).map((line) => {
    const cells = line.split(',');
    const row: Record<string, string> = {};
    header.forEach((name, i) => {
      // The last column of phases.csv is free text that may contain commas.
      row[name] = i === header.length - 1 ? cells.slice(i).join(',').trim() : (cells[i] ?? '').trim();
    });
    return row;
  });
}

export function readTrace(traceDir: string): { samples: TraceSample[]; phases: TracePhase[] } {
  const rows = parseCsv(readFileSync(join(traceDir, 'nvml-100ms-trace.csv'), 'utf8'));
  const samples = rows.map((r) => ({
    tS: Number(r.t_s),
    powerW: Number(r.power_mw) / 1000,
    energyMj: Number(r.energy_mj),
    tempC: Number(r.temp_gpu_c),
    utilGpuPct: Number(r.util_gpu_pct),
    smClockMhz: Number(r.sm_mhz),
    clockEventReasons: Number(r.clocks_event_reasons),
    powerLimitW: Number(r.power_limit_mw) / 1000,
  }));
  const phaseRows = parseCsv(readFileSync(join(traceDir, 'phases.csv'), 'utf8'));
  const lastS = samples[samples.length - 1].tS + 0.1;
  const phases: TracePhase[] = [];
  const firstStart = Number(phaseRows[0].t_s);
  if (firstStart > 0) {
    // Before the first listed phase no process had opened the GPU (NVML reports "idle", clocks parked).
    phases.push({ name: 'start', startS: 0, endS: firstStart, description: 'before the first phase: no process' });
  }
  phaseRows.forEach((r, i) => {
    const startS = Number(r.t_s);
    const endS = i + 1 < phaseRows.length ? Number(phaseRows[i + 1].t_s) : lastS;
    phases.push({ name: r.phase, startS, endS, description: r['what ran on the GPU'] ?? '' });
  });
  return { samples, phases };
}

/** Busy pattern of a duty-cycle phase from the utilisation column: busy fraction and period (mean rising-edge spacing). */
export function measureBusyPattern(samples: TraceSample[], startS: number, endS: number): { duty: number; periodS: number } {
  const inPhase = samples.filter((s) => s.tS >= startS && s.tS < endS);
  const busy = inPhase.map((s) => s.utilGpuPct > 0);
  const duty = busy.filter(Boolean).length / Math.max(1, busy.length);
  const rising: number[] = [];
  for (let i = 1; i < inPhase.length; i++) if (busy[i] && !busy[i - 1]) rising.push(inPhase[i].tS);
  const periodS = rising.length >= 2 ? (rising[rising.length - 1] - rising[0]) / (rising.length - 1) : endS - startS;
  return { duty, periodS };
}

/** What to drive the simulated GPU with for each phase name of phases.csv. */
export function workloadForPhase(phase: TracePhase, samples: TraceSample[]): Workload {
  switch (phase.name) {
    case 'start':
    case 'end':
      return { kind: 'idle-no-context', util: 0 };
    case 'idle':
      return { kind: 'idle-with-context', util: 0 };
    case 'matmul':
      return { kind: 'compute-bound', util: 1 };
    case 'copy':
      return { kind: 'memory-bound', util: 1 };
    case 'duty50': {
      const { duty, periodS } = measureBusyPattern(samples, phase.startS, phase.endS);
      return {
        kind: 'bursty-inference',
        util: round(duty, 3),
        burstPeriodS: round(periodS, 3),
        burstComputeShare: 1,
      };
    }
    default:
      throw new Error(`calibrate: no workload mapping for phase "${phase.name}"`);
  }
}

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

interface Point {
  tS: number;
  powerW: number;
  tempC: number;
  smClockMhz: number;
}

/**
 * Statistics of one phase. Power and clock: median after a settling time of min(2 s, 30 % of the phase), which
 * skips the 1 s averaging window of the power reading and the transition. Steady temperature: median of the second
 * half of the phase.
 */
export function phaseStats(points: Point[], startS: number, endS: number): PhaseStats {
  const settle = Math.min(2, 0.3 * (endS - startS));
  const settled = points.filter((p) => p.tS >= startS + settle && p.tS < endS);
  const secondHalf = points.filter((p) => p.tS >= (startS + endS) / 2 && p.tS < endS);
  return {
    medianPowerW: round(median(settled.map((p) => p.powerW)), 1),
    steadyTempC: round(median(secondHalf.map((p) => p.tempC)), 1),
    medianSmClockMhz: round(median(settled.map((p) => p.smClockMhz)), 0),
  };
}

export function runCalibration(traceDir: string, seed = 1): CalibrationResult {
  const { samples, phases } = readTrace(traceDir);
  const params = gpuModelParams('H200-SXM');
  const airTempC = params.calibrationAirTempC ?? 25;
  const gpu = new GpuSim({
    uuid: 'GPU-calibration',
    index: 0,
    model: 'H200-SXM',
    rng: new Rng(seed),
    energyStartMj: samples[0].energyMj,
    initialAirTempC: airTempC,
  });
  const workloads = phases.map((phase) => workloadForPhase(phase, samples));
  const phaseAt = (tS: number): number => {
    let index = 0;
    for (let i = 0; i < phases.length; i++) if (tS >= phases[i].startS) index = i;
    return index;
  };

  // Settle the thermal state at the first phase's load, then replay sample by sample.
  gpu.setWorkload(workloads[0]);
  for (let i = 0; i < 600; i++) gpu.step(0.1, { airTempC, powered: true });
  const simPoints: Point[] = [];
  let previousT = samples[0].tS;
  const energyStart = gpu.readings()?.energyMj ?? 0;
  for (const sample of samples) {
    const dt = sample.tS - previousT;
    // Advance in ≤ 50 ms sub-steps, switching workload at the phase boundaries.
    let t = previousT;
    while (t < sample.tS - 1e-9) {
      const sub = Math.min(0.05, sample.tS - t);
      gpu.setWorkload(workloads[phaseAt(t + sub / 2)]);
      gpu.step(sub, { airTempC, powered: true });
      t += sub;
    }
    if (dt <= 0) gpu.setWorkload(workloads[phaseAt(sample.tS)]);
    previousT = sample.tS;
    const r = gpu.readings();
    if (!r) throw new Error('calibrate: simulated GPU became unreadable');
    simPoints.push({ tS: sample.tS, powerW: r.powerW, tempC: r.gpuTempC, smClockMhz: r.smClockMhz });
  }
  const energyEnd = gpu.readings()?.energyMj ?? 0;
  const realPoints: Point[] = samples.map((s) => ({
    tS: s.tS,
    powerW: s.powerW,
    tempC: s.tempC,
    smClockMhz: s.smClockMhz,
  }));

  const results: PhaseResult[] = phases.map((phase, i) => {
    const real = phaseStats(realPoints, phase.startS, phase.endS);
    const sim = phaseStats(simPoints, phase.startS, phase.endS);
    const powerErrorPct = round(((sim.medianPowerW - real.medianPowerW) / real.medianPowerW) * 100, 2);
    const tempErrorC = round(sim.steadyTempC - real.steadyTempC, 1);
    return {
      phase: phase.name,
      startS: phase.startS,
      endS: round(phase.endS, 1),
      workload: workloads[i],
      real,
      sim,
      powerErrorPct,
      tempErrorC,
      pass: Math.abs(powerErrorPct) <= POWER_TOLERANCE_PCT && Math.abs(tempErrorC) <= TEMP_TOLERANCE_C,
    };
  });
  const realDeltaMj = samples[samples.length - 1].energyMj - samples[0].energyMj;
  const simDeltaMj = energyEnd - energyStart;
  return {
    trace: traceDir,
    gpuModel: params.modelName,
    tolerance: { powerPct: POWER_TOLERANCE_PCT, tempC: TEMP_TOLERANCE_C },
    phases: results,
    energy: { realDeltaMj, simDeltaMj, errorPct: round(((simDeltaMj - realDeltaMj) / realDeltaMj) * 100, 2) },
    pass: results.every((r) => r.pass),
  };
}

/** Markdown table of a calibration result (used for docs/simulator.md). */
export function calibrationTable(result: CalibrationResult): string {
  const lines = [
    '| phase | t (s) | driven as | real power (W) | sim power (W) | error | real temp (°C) | sim temp (°C) | error | real SM clock (MHz) | sim SM clock (MHz) | pass |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of result.phases) {
    const drive =
      r.workload.kind === 'bursty-inference'
        ? `bursty (duty ${r.workload.util}, period ${r.workload.burstPeriodS} s)`
        : r.workload.kind === 'compute-bound' || r.workload.kind === 'memory-bound'
          ? `${r.workload.kind} (util ${r.workload.util})`
          : r.workload.kind;
    lines.push(
      `| ${r.phase} | ${r.startS}-${r.endS} | ${drive} | ${r.real.medianPowerW} | ${r.sim.medianPowerW} | ${r.powerErrorPct} % | ${r.real.steadyTempC} | ${r.sim.steadyTempC} | ${r.tempErrorC} | ${r.real.medianSmClockMhz} | ${r.sim.medianSmClockMhz} | ${r.pass ? 'yes' : 'no'} |`,
    );
  }
  return lines.join('\n');
}
