/**
 * Calibration of the GPU model on a real NVML trace (fixtures/nvml-h200), in sample and out of sample.
 *
 * - Fit (calibrate-fit.ts): parameters from the phases of a training set.
 * - Drive: how the simulated GPU is told what ran.
 *     label:  phases.csv names mapped to workload kinds (start/end, idle, matmul, copy, duty50); the duty cycle's
 *             timing is read from the utilisation column, or taken at its nominal 0.5 s / 0.5 s (a validation case)
 *     replay: only the trace's 100 ms columns util_gpu, util_mem, fb_used (is a context open) and power_limit, for any
 *             label. Power, energy, temperature and clocks are never read to drive the model.
 * - Rig (calibrate-rig.ts): the GPU sits in an HGX server in an air hall; the heatsink air comes from the room model
 *   and the chassis model, not from a fitted constant.
 * - Evaluation: median power and SM clock after settling, steady temperature (median of the second half) per phase.
 *
 * runCalibration fits on every phase and checks the same phases (in sample). runOutOfSample fits on all phases but
 * one (or all but those with one label) and predicts the held-out phase.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fitGpuParams, type FitResult, type UtilSignature } from './calibrate-fit';
import { CalibrationRig, crahSupplyC, hallInletC } from './calibrate-rig';
import {
  energyBusyPattern,
  hasContext,
  median,
  phaseCharacter,
  readTrace,
  round,
  settleS,
  type Trace,
  type TracePhase,
  type TraceSample,
  UTIL_LAG_S,
} from './calibrate-trace';
import type { Workload } from './models/gpu';
import { type GpuModelId, gpuModelParams } from './models/gpu-params';

export { readTrace, type Trace, type TracePhase, type TraceSample, UTIL_LAG_S } from './calibrate-trace';

export const POWER_TOLERANCE_PCT = 5;
export const TEMP_TOLERANCE_C = 3;
const SUB_STEP_S = 0.05;

export type DriveMode = 'label' | 'replay';

export interface PhaseStats {
  medianPowerW: number;
  steadyTempC: number;
  medianSmClockMhz: number;
}

export interface PhaseResult {
  phase: string;
  startS: number;
  endS: number;
  /** What the phase's columns show (idle, compute-/memory-bound, mixed). */
  character: string;
  /** How the model was driven in this phase. */
  drivenAs: string;
  real: PhaseStats;
  sim: PhaseStats;
  powerErrorPct: number;
  tempErrorC: number;
  pass: boolean;
}

export interface CalibrationResult {
  trace: string;
  gpuModel: string;
  mode: DriveMode;
  inletC: number;
  tolerance: { powerPct: number; tempC: number };
  phases: PhaseResult[];
  energy: { realDeltaMj: number; simDeltaMj: number; errorPct: number };
  fit: FitResult;
  pass: boolean;
}

export interface RunOptions {
  mode?: DriveMode;
  /** Hall inlet, °C (default: the room model's air-hall inlet). */
  inletC?: number;
  /** Enforced power limit instead of the trace's column, W. */
  powerLimitW?: number;
  /** Duty-cycle timing in label mode: read from the utilisation column (default) or the nominal 0.5 s / 0.5 s. */
  dutyTiming?: 'trace' | 'nominal';
  seed?: number;
  /** GPU model whose fixed parameters the fit starts from (default H200-SXM). */
  model?: GpuModelId;
}

/**
 * Busy pattern of a duty-cycle phase from the utilisation column: busy fraction (the mean reading: util_gpu is the
 * share of each sample period with a kernel running, so a reading at a burst's edge counts in part) and period (mean
 * rising-edge spacing).
 */
export function measureBusyPattern(samples: TraceSample[], startS: number, endS: number): { duty: number; periodS: number } {
  const inPhase = samples.filter((s) => s.tS >= startS && s.tS < endS);
  const busy = inPhase.map((s) => s.utilGpuPct > 0);
  const duty = inPhase.reduce((sum, s) => sum + Math.min(100, s.utilGpuPct) / 100, 0) / Math.max(1, inPhase.length);
  const rising: number[] = [];
  for (let i = 1; i < inPhase.length; i++) if (busy[i] && !busy[i - 1]) rising.push(inPhase[i].tS);
  const periodS = rising.length >= 2 ? (rising[rising.length - 1] - rising[0]) / (rising.length - 1) : endS - startS;
  return { duty, periodS };
}

/** Nominal timing from a description like "0.5 s of matrix products then 0.5 s idle". */
export function nominalDutyTiming(description: string): { duty: number; periodS: number } | null {
  const m = /([\d.]+)\s*s of .*?then\s+([\d.]+)\s*s idle/i.exec(description);
  if (!m) return null;
  const onS = Number(m[1]);
  const offS = Number(m[2]);
  return { duty: onS / (onS + offS), periodS: onS + offS };
}

/** Label mode: what to drive the simulated GPU with for each phase name of phases.csv. */
export function workloadForPhase(phase: TracePhase, samples: TraceSample[], dutyTiming: 'trace' | 'nominal' = 'trace'): Workload {
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
      const nominal = dutyTiming === 'nominal' ? nominalDutyTiming(phase.description) : null;
      const { duty, periodS } = nominal ?? measureBusyPattern(samples, phase.startS, phase.endS);
      return { kind: 'bursty-inference', util: round(duty, 3), burstPeriodS: round(periodS, 3), burstComputeShare: 1 };
    }
    default:
      throw new Error(`calibrate: no workload mapping for phase "${phase.name}"; use --replay to drive it from its columns`);
  }
}

/** Replay mode: the workload for one 100 ms sample, from its utilisation and framebuffer columns only. */
export function workloadForSample(sample: TraceSample, fbBaselineMib: number, signature: UtilSignature): Workload {
  if (sample.utilGpuPct <= 0) {
    return { kind: hasContext(sample, fbBaselineMib) ? 'idle-with-context' : 'idle-no-context', util: 0 };
  }
  const ratio = sample.utilMemPct / sample.utilGpuPct;
  const span = signature.memoryMemRatio - signature.computeMemRatio;
  const computeShare = span > 0 ? Math.min(1, Math.max(0, (signature.memoryMemRatio - ratio) / span)) : 1;
  return { kind: 'busy-fraction', util: Math.min(1, sample.utilGpuPct / 100), burstComputeShare: round(computeShare, 3) };
}

function describeWorkload(w: Workload): string {
  if (w.kind === 'bursty-inference') return `bursty (duty ${w.util}, period ${w.burstPeriodS} s)`;
  if (w.kind === 'compute-bound' || w.kind === 'memory-bound') return `${w.kind} (util ${w.util})`;
  return w.kind;
}

/**
 * Statistics of one phase. Power and clock: median after a settling time of min(2 s, 30 % of the phase), which
 * skips the 1 s averaging window of the power reading and the transition. Steady temperature: median of the second
 * half of the phase.
 */
export function phaseStats(points: Point[], startS: number, endS: number): PhaseStats {
  const settle = settleS({ startS, endS });
  const settled = points.filter((p) => p.tS >= startS + settle && p.tS < endS);
  const secondHalf = points.filter((p) => p.tS >= (startS + endS) / 2 && p.tS < endS);
  return {
    medianPowerW: round(median(settled.map((p) => p.powerW)), 1),
    steadyTempC: round(median(secondHalf.map((p) => p.tempC)), 1),
    medianSmClockMhz: round(median(settled.map((p) => p.smClockMhz)), 0),
  };
}

interface Point {
  tS: number;
  powerW: number;
  tempC: number;
  smClockMhz: number;
}

interface Simulation {
  points: Point[];
  energyDeltaMj: number;
  drivenAs: string[];
}

/** Replays the whole trace on the rig with the given parameters and drive. */
function simulate(trace: Trace, fit: FitResult, options: RunOptions): Simulation {
  const { samples, phases } = trace;
  const mode = options.mode ?? 'label';
  const rig = new CalibrationRig({
    params: fit.params,
    inletC: options.inletC,
    seed: options.seed ?? 1,
    energyStartMj: samples[0].energyMj,
  });
  const phaseAt = (tS: number): number => {
    let index = 0;
    for (let i = 0; i < phases.length; i++) if (tS >= phases[i].startS) index = i;
    return index;
  };
  const labelWorkloads = mode === 'label' ? phases.map((p) => workloadForPhase(p, samples, options.dutyTiming)) : [];
  // Replay: the sample whose 100 ms interval covers t + lag.
  let cursor = 0;
  const sampleAt = (tS: number): TraceSample => {
    const t = tS + UTIL_LAG_S;
    while (cursor + 1 < samples.length && samples[cursor].tS < t) cursor++;
    return samples[cursor];
  };
  const drive = (tS: number) => {
    if (mode === 'label') {
      rig.gpu.setPowerLimitW(options.powerLimitW ?? sampleAt(tS).powerLimitW);
      rig.setWorkload(labelWorkloads[phaseAt(tS)]);
      return;
    }
    const s = sampleAt(tS);
    rig.gpu.setPowerLimitW(options.powerLimitW ?? s.powerLimitW);
    rig.setWorkload(workloadForSample(s, trace.fbBaselineMib, fit.signature));
  };

  // Settle the thermal state and the chassis at the first phase's load, then replay sample by sample.
  drive(samples[0].tS);
  cursor = 0;
  for (let i = 0; i < 1200; i++) rig.step(0.1);
  const energyStart = rig.gpu.readings()?.energyMj ?? 0;
  const points: Point[] = [];
  let previousT = samples[0].tS;
  for (const sample of samples) {
    let t = previousT;
    while (t < sample.tS - 1e-9) {
      const sub = Math.min(SUB_STEP_S, sample.tS - t);
      drive(t + sub / 2);
      rig.step(sub);
      t += sub;
    }
    previousT = sample.tS;
    const r = rig.gpu.readings();
    if (!r) throw new Error('calibrate: simulated GPU became unreadable');
    points.push({ tS: sample.tS, powerW: r.powerW, tempC: r.gpuTempC, smClockMhz: r.smClockMhz });
  }
  const energyEnd = rig.gpu.readings()?.energyMj ?? 0;
  const drivenAs = phases.map((_, i) => (mode === 'label' ? describeWorkload(labelWorkloads[i]) : 'replay of util/fb columns'));
  return { points, energyDeltaMj: energyEnd - energyStart, drivenAs };
}

function comparePhase(trace: Trace, sim: Simulation, index: number): PhaseResult {
  const phase = trace.phases[index];
  const realPoints = trace.samples.map((s) => ({ tS: s.tS, powerW: s.powerW, tempC: s.tempC, smClockMhz: s.smClockMhz }));
  const real = phaseStats(realPoints, phase.startS, phase.endS);
  const simulated = phaseStats(sim.points, phase.startS, phase.endS);
  const powerErrorPct = round(((simulated.medianPowerW - real.medianPowerW) / real.medianPowerW) * 100, 2);
  const tempErrorC = round(simulated.steadyTempC - real.steadyTempC, 1);
  return {
    phase: phase.name,
    startS: phase.startS,
    endS: round(phase.endS, 1),
    character: phaseCharacter(trace, phase),
    drivenAs: sim.drivenAs[index],
    real,
    sim: simulated,
    powerErrorPct,
    tempErrorC,
    pass: Math.abs(powerErrorPct) <= POWER_TOLERANCE_PCT && Math.abs(tempErrorC) <= TEMP_TOLERANCE_C,
  };
}

function fitOn(trace: Trace, training: TracePhase[], options: RunOptions): FitResult {
  return fitGpuParams(trace, training, gpuModelParams(options.model ?? 'H200-SXM'), options.inletC ?? hallInletC());
}

function result(trace: Trace, traceDir: string, fit: FitResult, sim: Simulation, indices: number[], options: RunOptions): CalibrationResult {
  const phases = indices.map((i) => comparePhase(trace, sim, i));
  const realDeltaMj = trace.samples[trace.samples.length - 1].energyMj - trace.samples[0].energyMj;
  return {
    trace: traceDir,
    gpuModel: fit.params.modelName,
    mode: options.mode ?? 'label',
    inletC: options.inletC ?? hallInletC(),
    tolerance: { powerPct: POWER_TOLERANCE_PCT, tempC: TEMP_TOLERANCE_C },
    phases,
    energy: {
      realDeltaMj,
      simDeltaMj: sim.energyDeltaMj,
      errorPct: round(((sim.energyDeltaMj - realDeltaMj) / realDeltaMj) * 100, 2),
    },
    fit,
    pass: phases.every((p) => p.pass),
  };
}

/** In sample: fit on every phase, check every phase. */
export function runCalibration(traceDir: string, options: RunOptions = {}): CalibrationResult {
  const trace = readTrace(traceDir);
  const fit = fitOn(trace, trace.phases, options);
  const sim = simulate(trace, fit, options);
  return result(trace, traceDir, fit, sim, trace.phases.map((_, i) => i), options);
}

export interface HoldoutResult extends PhaseResult {
  /** Parameters of this fold that fell back to a prior (no training phase of their kind). */
  priors: string[];
  /** Parameters of this fold predicted by physics from cited figures (no training phase of their kind). */
  physics: string[];
}

/**
 * Out of sample. Without `holdout`: leave-one-phase-out, one fold per phase. With `holdout` (a phase label): one
 * fold holding out every phase with that label; the rows are those phases.
 */
export function runOutOfSample(traceDir: string, options: RunOptions & { holdout?: string } = {}): HoldoutResult[] {
  const trace = readTrace(traceDir);
  const folds: number[][] = [];
  if (options.holdout !== undefined) {
    const held = trace.phases.flatMap((p, i) => (p.name === options.holdout ? [i] : []));
    if (held.length === 0) {
      const labels = [...new Set(trace.phases.map((p) => p.name))].join(', ');
      throw new Error(`calibrate: --holdout "${options.holdout}" is not a phase of the trace (phases: ${labels})`);
    }
    folds.push(held);
  } else {
    for (let i = 0; i < trace.phases.length; i++) folds.push([i]);
  }
  const rows: HoldoutResult[] = [];
  for (const held of folds) {
    const training = trace.phases.filter((_, i) => !held.includes(i));
    const fit = fitOn(trace, training, options);
    const sim = simulate(trace, fit, options);
    const from = (prefix: string) =>
      Object.entries(fit.sources)
        .filter(([, source]) => source.startsWith(prefix))
        .map(([key]) => key);
    for (const i of held) rows.push({ ...comparePhase(trace, sim, i), priors: from('prior'), physics: from('physics') });
  }
  return rows;
}

export interface ScenarioRow {
  scenario: string;
  phase: string;
  startS: number;
  baseline: PhaseStats;
  predicted: PhaseStats;
  /** The real trace's figures where the scenario is the one that ran (nominal duty timing), else null. */
  real: PhaseStats | null;
}

/**
 * Validation cases the trace did not run, predicted with the in-sample fit: inlet +10 °C, the duty cycle at its
 * nominal timing, and the power cap lowered to 500 W. They test the physics (temperature follows the inlet; the
 * reported power of a duty cycle depends on its period through the 1 s window; the clock follows the cap).
 */
export function runScenarios(traceDir: string, options: RunOptions = {}): ScenarioRow[] {
  const trace = readTrace(traceDir);
  const fit = fitOn(trace, trace.phases, options);
  const baseInletC = options.inletC ?? hallInletC();
  // The warmer room comes from the room model (CRAH supply 10 °C warmer), unless the caller fixed the inlet.
  const supplyC = crahSupplyC();
  const warmInletC = options.inletC === undefined ? hallInletC(supplyC + 10) : options.inletC + 10;
  const warmHow = options.inletC === undefined ? ` (room model: CRAH supply ${supplyC} → ${supplyC + 10} °C)` : '';
  const baseline = simulate(trace, fit, options);
  const cases: { scenario: string; opts: RunOptions; phases: (p: TracePhase) => boolean }[] = [
    { scenario: `inlet ${baseInletC} → ${warmInletC} °C${warmHow}`, opts: { ...options, inletC: warmInletC }, phases: () => true },
    {
      scenario: 'duty cycle at nominal timing (0.5 s on / 0.5 s off)',
      opts: { ...options, mode: 'label', dutyTiming: 'nominal' },
      phases: (p) => p.name === 'duty50',
    },
    { scenario: 'power cap 700 → 500 W', opts: { ...options, powerLimitW: 500 }, phases: (p) => p.name !== 'idle' },
  ];
  const realPoints = trace.samples.map((s) => ({ tS: s.tS, powerW: s.powerW, tempC: s.tempC, smClockMhz: s.smClockMhz }));
  const rows: ScenarioRow[] = [];
  for (const c of cases) {
    const sim = simulate(trace, fit, c.opts);
    for (const p of trace.phases) {
      if (!c.phases(p)) continue;
      rows.push({
        scenario: c.scenario,
        phase: p.name,
        startS: p.startS,
        baseline: phaseStats(baseline.points, p.startS, p.endS),
        predicted: phaseStats(sim.points, p.startS, p.endS),
        real: c.opts.dutyTiming === 'nominal' ? phaseStats(realPoints, p.startS, p.endS) : null,
      });
    }
  }
  return rows;
}

export interface DutyTimingRow {
  phase: string;
  /** Where the timing comes from: the host loop's description, the utilisation column, the energy counter. */
  source: string;
  duty: number;
  periodS: number;
  busyS: number;
  idleS: number;
}

/**
 * What each duty-cycled (mixed) phase ran, three ways: the host loop's nominal timing (phases.csv), the utilisation
 * column (what label and replay mode drive with) and the energy counter (the GPU's own 100 ms power, never a drive).
 */
export function dutyCycleTimings(traceDir: string): DutyTimingRow[] {
  const trace = readTrace(traceDir);
  const rows: DutyTimingRow[] = [];
  for (const phase of trace.phases) {
    if (phaseCharacter(trace, phase) !== 'mixed') continue;
    const nominal = nominalDutyTiming(phase.description);
    if (nominal) {
      const busyS = nominal.duty * nominal.periodS;
      rows.push({ phase: phase.name, source: 'host loop (nominal)', ...nominal, busyS, idleS: nominal.periodS - busyS });
    }
    const util = measureBusyPattern(trace.samples, phase.startS, phase.endS);
    const utilBusyS = util.duty * util.periodS;
    rows.push({ phase: phase.name, source: 'util_gpu column', ...util, busyS: utilBusyS, idleS: util.periodS - utilBusyS });
    const energy = energyBusyPattern(trace, phase);
    rows.push({ phase: phase.name, source: 'energy counter', duty: energy.duty, periodS: energy.periodS, busyS: energy.busyS, idleS: energy.idleS });
  }
  return rows.map((r) => ({ ...r, duty: round(r.duty, 3), periodS: round(r.periodS, 2), busyS: round(r.busyS, 2), idleS: round(r.idleS, 2) }));
}

export function dutyTimingTable(rows: DutyTimingRow[]): string {
  const lines = ['| phase | timing from | duty | period (s) | busy per period (s) | idle per period (s) |', '| --- | --- | ---: | ---: | ---: | ---: |'];
  for (const r of rows) lines.push(`| ${r.phase} | ${r.source} | ${r.duty} | ${r.periodS} | ${r.busyS} | ${r.idleS} |`);
  return lines.join('\n');
}

export interface SecondModelRow {
  capture: string;
  /** What the capture's columns say ran (the drive). */
  drivenAs: string;
  powerLimitW: number;
  realPowerW: number;
  predictedPowerW: number;
  powerErrorPct: number;
  realTempC: number;
  predictedTempC: number;
  tempErrorC: number;
  realSmClockMhz: number;
  predictedSmClockMhz: number;
  /** The capture's SW power cap reason: was the real GPU held at its limit? */
  realPowerCapped: boolean;
  /**
   * GPU temperatures of the capture's `nvidia-smi dmon -c 5` of the same state, in the ~5 s after the snapshot (null
   * when the capture file is absent): a rising series means the snapshot caught a transient, not a settled GPU.
   */
  realTempsAfterC: number[] | null;
}

/** gtemp column of the `dmon` section of one state (idle / load) of an nvidia_gpu_exporter capture file. */
export function dmonGpuTemps(captureText: string, state: 'idle' | 'load'): number[] {
  const start = captureText.indexOf(`# ${state} :: dmon`);
  if (start < 0) return [];
  const section = captureText.slice(start).split(/\n#{10,}\n/)[1] ?? '';
  const lines = section.split('\n');
  const header = lines.find((l) => /^#\s*gpu\s/.test(l));
  if (!header) return [];
  const column = header.replace(/^#/, '').trim().split(/\s+/).indexOf('gtemp');
  return lines
    .filter((l) => /^\s*\d/.test(l))
    .map((l) => Number(l.trim().split(/\s+/)[column]))
    .filter((v) => Number.isFinite(v));
}

function metricValue(text: string, name: string, file: string): number {
  const m = new RegExp(`^${name}\\{[^}]*\\}\\s+(\\S+)`, 'm').exec(text);
  if (!m) throw new Error(`${file}: no ${name} sample`);
  const value = Number(m[1]);
  if (!Number.isFinite(value)) throw new Error(`${file}: ${name} is not a number ("${m[1]}")`);
  return value;
}

/**
 * Second GPU model out of sample: the H100 SXM parameters (gpu-params.ts, transferred from the H200 fit by what
 * carries over within one architecture, never fitted on these files) against the nvidia_gpu_exporter H100 captures,
 * idle and under gpu-burn. Each capture drives the rig as replay mode drives it from a trace sample: its enforced
 * power limit, GPU and memory utilisation and framebuffer use (is a context open); its power, temperature and clocks
 * are only compared against.
 */
export function predictH100(exportersDir: string, traceDir: string, options: { inletC?: number } = {}): SecondModelRow[] {
  const dir = join(exportersDir, 'nvidia_gpu_exporter', 'testdata');
  const captures = [
    { file: 'linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__idle.metrics', capture: 'H100 idle', state: 'idle' as const },
    { file: 'linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load.metrics', capture: 'H100 gpu-burn', state: 'load' as const },
  ];
  // The raw capture the .metrics files were made from (same GPU, same moment), for its dmon series.
  const rawCapture = join(exportersDir, 'nvidia_gpu_exporter', 'captures', 'linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01.txt');
  const rawText = existsSync(rawCapture) ? readFileSync(rawCapture, 'utf8') : null;
  // How util_mem / util_gpu reads for compute- and memory-bound work, learnt on the whole H200 trace.
  const trace = readTrace(traceDir);
  const { signature } = fitOn(trace, trace.phases, {});
  const params = gpuModelParams('H100-SXM');
  return captures.map((c) => {
    const path = join(dir, c.file);
    const text = readFileSync(path, 'utf8');
    const value = (name: string) => metricValue(text, name, path);
    const powerLimitW = value('nvidia_smi_enforced_power_limit_watts');
    const sample: TraceSample = {
      tS: 0,
      powerW: 0,
      energyMj: 0,
      tempC: 0,
      utilGpuPct: value('nvidia_smi_utilization_gpu_ratio') * 100,
      utilMemPct: value('nvidia_smi_utilization_memory_ratio') * 100,
      fbUsedMib: value('nvidia_smi_memory_used_bytes') / 2 ** 20,
      smClockMhz: 0,
      clockEventReasons: 0,
      powerLimitW,
    };
    // The framebuffer an idle driver holds with no process is 0 in these captures.
    const workload = workloadForSample(sample, 0, signature);
    const rig = new CalibrationRig({ params, inletC: options.inletC, noise: false });
    rig.gpu.setPowerLimitW(powerLimitW);
    rig.setWorkload(workload);
    // A capture is a snapshot of a settled GPU: run the rig long enough for the chassis and fans to settle.
    for (let i = 0; i < 3000; i++) rig.step(0.1);
    const r = rig.gpu.readings();
    if (!r) throw new Error('calibrate: simulated H100 became unreadable');
    const realPowerW = value('nvidia_smi_power_draw_watts');
    const realTempC = value('nvidia_smi_temperature_gpu');
    return {
      capture: c.capture,
      drivenAs: `${describeWorkload(workload)} (util_gpu ${sample.utilGpuPct} %, util_mem ${round(sample.utilMemPct, 0)} %)`,
      powerLimitW,
      realPowerW,
      predictedPowerW: round(r.powerW, 1),
      powerErrorPct: round(((r.powerW - realPowerW) / realPowerW) * 100, 2),
      realTempC,
      predictedTempC: r.gpuTempC,
      tempErrorC: round(r.gpuTempC - realTempC, 1),
      realSmClockMhz: round(value('nvidia_smi_clocks_current_sm_clock_hz') / 1e6, 0),
      predictedSmClockMhz: round(r.smClockMhz, 0),
      realPowerCapped: value('nvidia_smi_clocks_event_reasons_sw_power_cap') > 0,
      realTempsAfterC: rawText === null ? null : dmonGpuTemps(rawText, c.state),
    };
  });
}

const yesNo = (pass: boolean) => (pass ? 'yes' : 'no');

/** Markdown table of an in-sample calibration result. */
export function calibrationTable(result: CalibrationResult): string {
  const lines = [
    '| phase | t (s) | driven as | real power (W) | sim power (W) | error | real temp (°C) | sim temp (°C) | error | real SM clock (MHz) | sim SM clock (MHz) | pass |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of result.phases) {
    lines.push(
      `| ${r.phase} | ${r.startS}-${r.endS} | ${r.drivenAs} | ${r.real.medianPowerW} | ${r.sim.medianPowerW} | ${r.powerErrorPct} % | ${r.real.steadyTempC} | ${r.sim.steadyTempC} | ${r.tempErrorC} | ${r.real.medianSmClockMhz} | ${r.sim.medianSmClockMhz} | ${yesNo(r.pass)} |`,
    );
  }
  return lines.join('\n');
}

function notFitted(r: HoldoutResult): string {
  const parts = [
    ...(r.physics.length ? [`physics: ${r.physics.join(', ')}`] : []),
    ...(r.priors.length ? [`prior: ${r.priors.join(', ')}`] : []),
  ];
  return parts.join('; ') || 'none';
}

/** Markdown table of out-of-sample rows. */
export function outOfSampleTable(rows: HoldoutResult[]): string {
  const lines = [
    '| held-out phase | t (s) | its columns show | real power (W) | predicted (W) | error | real temp (°C) | predicted (°C) | error | pass | not fitted in this fold |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.phase} | ${r.startS}-${r.endS} | ${r.character} | ${r.real.medianPowerW} | ${r.sim.medianPowerW} | ${r.powerErrorPct} % | ${r.real.steadyTempC} | ${r.sim.steadyTempC} | ${r.tempErrorC} | ${yesNo(r.pass)} | ${notFitted(r)} |`,
    );
  }
  return lines.join('\n');
}

export function scenarioTable(rows: ScenarioRow[]): string {
  const lines = [
    '| scenario | phase | t (s) | baseline power (W) | predicted (W) | real (W) | baseline temp (°C) | predicted (°C) | baseline SM clock (MHz) | predicted (MHz) |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.scenario} | ${r.phase} | ${r.startS} | ${r.baseline.medianPowerW} | ${r.predicted.medianPowerW} | ${r.real ? r.real.medianPowerW : 'not run'} | ${r.baseline.steadyTempC} | ${r.predicted.steadyTempC} | ${r.baseline.medianSmClockMhz} | ${r.predicted.medianSmClockMhz} |`,
    );
  }
  return lines.join('\n');
}

export function secondModelTable(rows: SecondModelRow[]): string {
  const lines = [
    '| capture | driven as | limit (W) | real power (W) | predicted (W) | error | real temp (°C) | predicted (°C) | error | real temp, next ~5 s (dmon, °C) | real SM clock (MHz) | predicted (MHz) | real GPU at its power cap |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.capture} | ${r.drivenAs} | ${r.powerLimitW} | ${r.realPowerW} | ${r.predictedPowerW} | ${r.powerErrorPct} % | ${r.realTempC} | ${r.predictedTempC} | ${r.tempErrorC} | ${r.realTempsAfterC?.join(', ') ?? 'no capture file'} | ${r.realSmClockMhz} | ${r.predictedSmClockMhz} | ${yesNo(r.realPowerCapped)} |`,
    );
  }
  return lines.join('\n');
}
