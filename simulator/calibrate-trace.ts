/**
 * Reading an NVML trace (fixtures/nvml-h200 layout: nvml-100ms-trace.csv + phases.csv) and describing each phase by
 * what its own columns show (idle with or without a context, steady compute- or memory-bound, or mixed), so that the
 * fit and the replay work for any phase label, including labels never seen before.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TraceSample {
  tS: number;
  powerW: number;
  energyMj: number;
  tempC: number;
  utilGpuPct: number;
  utilMemPct: number;
  fbUsedMib: number;
  smClockMhz: number;
  clockEventReasons: number;
  powerLimitW: number;
  /** Memory clock, MHz (column mem_mhz; absent in a trace without it). */
  memClockMhz?: number;
}

export interface TracePhase {
  name: string;
  startS: number;
  endS: number;
  description: string;
}

export interface Trace {
  samples: TraceSample[];
  phases: TracePhase[];
  /** Framebuffer in use with no process on the GPU (the trace's minimum), MiB: more than this means a context. */
  fbBaselineMib: number;
}

const REQUIRED_COLUMNS = [
  't_s',
  'power_mw',
  'energy_mj',
  'temp_gpu_c',
  'util_gpu_pct',
  'util_mem_pct',
  'fb_used_mib',
  'sm_mhz',
  'clocks_event_reasons',
  'power_limit_mw',
] as const;

function parseCsv(text: string, file: string): Record<string, string>[] {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (lines.length < 2) throw new Error(`${file}: no data rows`);
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

function numberCell(row: Record<string, string>, column: string, file: string, line: number): number {
  const value = Number(row[column]);
  if (row[column] === undefined || row[column] === '' || !Number.isFinite(value)) {
    throw new Error(`${file} line ${line}: column ${column} is "${row[column] ?? ''}", not a number`);
  }
  return value;
}

export function readTrace(traceDir: string): Trace {
  const traceFile = join(traceDir, 'nvml-100ms-trace.csv');
  const rows = parseCsv(readFileSync(traceFile, 'utf8'), traceFile);
  for (const column of REQUIRED_COLUMNS) {
    if (!(column in rows[0])) throw new Error(`${traceFile}: missing column ${column}`);
  }
  const samples = rows.map((r, i) => {
    const n = (column: string) => numberCell(r, column, traceFile, i + 2);
    return {
      tS: n('t_s'),
      powerW: n('power_mw') / 1000,
      energyMj: n('energy_mj'),
      tempC: n('temp_gpu_c'),
      utilGpuPct: n('util_gpu_pct'),
      utilMemPct: n('util_mem_pct'),
      fbUsedMib: n('fb_used_mib'),
      smClockMhz: n('sm_mhz'),
      clockEventReasons: n('clocks_event_reasons'),
      powerLimitW: n('power_limit_mw') / 1000,
      ...('mem_mhz' in r && r.mem_mhz !== '' ? { memClockMhz: n('mem_mhz') } : {}),
    };
  });
  const phasesFile = join(traceDir, 'phases.csv');
  const phaseRows = parseCsv(readFileSync(phasesFile, 'utf8'), phasesFile);
  const lastS = samples[samples.length - 1].tS + 0.1;
  const phases: TracePhase[] = [];
  const firstStart = numberCell(phaseRows[0], 't_s', phasesFile, 2);
  if (firstStart > 0) {
    // Before the first listed phase no process had opened the GPU (NVML reports "idle", clocks parked).
    phases.push({ name: 'start', startS: 0, endS: firstStart, description: 'before the first phase: no process' });
  }
  phaseRows.forEach((r, i) => {
    const startS = numberCell(r, 't_s', phasesFile, i + 2);
    const endS = i + 1 < phaseRows.length ? numberCell(phaseRows[i + 1], 't_s', phasesFile, i + 3) : lastS;
    if (!r.phase) throw new Error(`${phasesFile} line ${i + 2}: column phase is empty`);
    phases.push({ name: r.phase, startS, endS, description: r['what ran on the GPU'] ?? '' });
  });
  const fbBaselineMib = Math.min(...samples.map((s) => s.fbUsedMib));
  return { samples, phases, fbBaselineMib };
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Settling time skipped at the start of a phase: the 1 s power-averaging ramp and the transition. */
export function settleS(phase: { startS: number; endS: number }): number {
  return Math.min(2, 0.3 * (phase.endS - phase.startS));
}

/** Framebuffer above the no-process baseline that counts as an open context, MiB. */
const CONTEXT_FB_MARGIN_MIB = 256;
/** util_mem / util_gpu above this ratio: the busy time is memory-bound (copies), below: compute-bound. */
export const MEMORY_BOUND_RATIO = 0.6;
/** A sample counts as inside a long busy stretch when this many samples up to it (1.2 s) all read ~100 %. */
const LONG_BUSY_SAMPLES = 12;

export type PhaseCharacter = 'idle-no-context' | 'idle-with-context' | 'compute-bound' | 'memory-bound' | 'mixed';

export function hasContext(sample: TraceSample, fbBaselineMib: number): boolean {
  return sample.fbUsedMib > fbBaselineMib + CONTEXT_FB_MARGIN_MIB;
}

/** util_mem / util_gpu of a busy sample (how much of the busy time moved memory). */
export function memoryRatio(sample: TraceSample): number {
  return sample.utilGpuPct > 0 ? sample.utilMemPct / sample.utilGpuPct : 0;
}

/** What the phase's own utilisation and framebuffer columns show (never its label, power or temperature). */
export function phaseCharacter(trace: Trace, phase: TracePhase): PhaseCharacter {
  const settled = trace.samples.filter((s) => s.tS >= phase.startS + settleS(phase) && s.tS < phase.endS);
  if (settled.length === 0) return 'mixed';
  const idleShare = settled.filter((s) => s.utilGpuPct === 0).length / settled.length;
  const busy = settled.filter((s) => s.utilGpuPct >= 99);
  if (idleShare >= 0.95) {
    const withContext = settled.filter((s) => hasContext(s, trace.fbBaselineMib)).length > settled.length / 2;
    return withContext ? 'idle-with-context' : 'idle-no-context';
  }
  if (busy.length / settled.length >= 0.95) {
    return median(busy.map(memoryRatio)) > MEMORY_BOUND_RATIO ? 'memory-bound' : 'compute-bound';
  }
  return 'mixed';
}

/**
 * Samples of a phase inside long busy stretches (≥ 1.2 s at ~100 % utilisation): there the 1 s power average has
 * caught up with the busy power. Used to learn the busy power of a kind from a duty-cycled phase.
 */
export function longBusySamples(trace: Trace, phase: TracePhase): TraceSample[] {
  const out: TraceSample[] = [];
  const { samples } = trace;
  for (let i = LONG_BUSY_SAMPLES - 1; i < samples.length; i++) {
    const s = samples[i];
    if (s.tS < phase.startS || s.tS >= phase.endS) continue;
    let allBusy = true;
    for (let k = i - LONG_BUSY_SAMPLES + 1; k <= i; k++) if (samples[k].utilGpuPct < 99) allBusy = false;
    if (allBusy) out.push(s);
  }
  return out;
}

/** NVML's utilisation column trails the load by ~0.2 s (trace: clocks and energy step at 13.37 s, util at 13.57 s). */
export const UTIL_LAG_S = 0.2;

/**
 * Power over the interval that ends at sample i, from the energy counter (mJ difference ÷ time), W. Unlike power_mw
 * (a 1 s average) it is the 100 ms mean, so it shows what the GPU drew inside short busy and idle stretches.
 */
export function energyPowerW(samples: TraceSample[], i: number): number {
  if (i <= 0 || i >= samples.length) return Number.NaN;
  const dtS = samples[i].tS - samples[i - 1].tS;
  return dtS > 0 ? (samples[i].energyMj - samples[i - 1].energyMj) / dtS / 1000 : Number.NaN;
}

/**
 * Energy-counter power in the 100 ms intervals of a phase in which the GPU sat idle with a context open: the
 * utilisation readings from the interval's end to UTIL_LAG_S + 0.1 s after it all read 0 % (the column trails the load
 * by ~0.1 s where a burst ends and ~0.2-0.3 s where one starts), and the framebuffer shows a context. In a duty cycle these are the idle gaps between bursts: they measure the context idle power even when no
 * phase is idle throughout.
 */
export function idleGapPowersW(trace: Trace, phase: TracePhase): number[] {
  return idleGapSamples(trace, phase).map((g) => g.powerW);
}

/** The idle-gap intervals of idleGapPowersW with the die temperature and SM clock read at each interval's end. */
export function idleGapSamples(trace: Trace, phase: TracePhase): { powerW: number; dieC: number; smClockMhz: number }[] {
  const { samples } = trace;
  const lag = Math.round(UTIL_LAG_S / 0.1);
  const out: { powerW: number; dieC: number; smClockMhz: number }[] = [];
  for (let i = 1; i + lag + 1 < samples.length; i++) {
    const s = samples[i];
    if (s.tS < phase.startS || s.tS >= phase.endS || !hasContext(s, trace.fbBaselineMib)) continue;
    let idle = true;
    for (let k = i; k <= i + lag + 1; k++) if (samples[k].utilGpuPct > 0) idle = false;
    const w = energyPowerW(samples, i);
    if (idle && Number.isFinite(w)) out.push({ powerW: w, dieC: s.tempC, smClockMhz: s.smClockMhz });
  }
  return out;
}

export interface EnergyBusyPattern {
  /** Busy share of the whole periods (first burst start to last burst start). */
  duty: number;
  /** Mean spacing of the bursts' starts, s. */
  periodS: number;
  /** Busy / idle time per period, s. */
  busyS: number;
  idleS: number;
  /** Bursts that start inside the phase. */
  bursts: number;
  /** Median energy-counter power of the busy and idle intervals, W. */
  busyPowerW: number;
  idlePowerW: number;
}

/**
 * What a duty-cycled phase really ran, read off the energy counter (not the utilisation column, which trails by
 * 0.2 s and is sampled). Intervals above the midpoint of the phase's lowest and highest power are busy; each interval
 * counts as busy for the fraction (P − P_idle) / (P_busy − P_idle), so a burst that starts mid-interval counts in part.
 * For reporting and tests only; never used to drive the model.
 */
export function energyBusyPattern(trace: Trace, phase: TracePhase): EnergyBusyPattern {
  const { samples } = trace;
  const idx = samples.flatMap((s, i) => (i > 0 && s.tS >= phase.startS && s.tS < phase.endS ? [i] : []));
  const power = idx.map((i) => energyPowerW(samples, i));
  const midpoint = (Math.min(...power) + Math.max(...power)) / 2;
  const busyPowerW = median(power.filter((w) => w > midpoint));
  const idlePowerW = median(power.filter((w) => w <= midpoint));
  const busy = power.map((w) => w > midpoint);
  // Inside a stretch an interval is wholly busy or idle (a dip of the capped clock is no idle time); at an edge it
  // counts in proportion to its power.
  const fraction = power.map((w, k) => {
    const edge = (k > 0 && busy[k - 1] !== busy[k]) || (k + 1 < busy.length && busy[k + 1] !== busy[k]);
    if (!edge) return busy[k] ? 1 : 0;
    return Math.min(1, Math.max(0, (w - idlePowerW) / (busyPowerW - idlePowerW)));
  });
  const starts: number[] = [];
  for (let k = 1; k < idx.length; k++) if (busy[k] && !busy[k - 1]) starts.push(k);
  const bursts = starts.length;
  if (bursts < 2) return { duty: Number.NaN, periodS: Number.NaN, busyS: Number.NaN, idleS: Number.NaN, bursts, busyPowerW, idlePowerW };
  // Whole periods only: from the interval where the first burst starts to the one where the last starts.
  const first = starts[0];
  const last = starts[bursts - 1];
  const intervalStartS = (k: number) => samples[idx[k] - 1].tS;
  const spanS = intervalStartS(last) - intervalStartS(first);
  let busyTimeS = 0;
  for (let k = first; k < last; k++) busyTimeS += fraction[k] * (samples[idx[k]].tS - intervalStartS(k));
  const periodS = spanS / (bursts - 1);
  const duty = busyTimeS / spanS;
  return { duty, periodS, busyS: duty * periodS, idleS: (1 - duty) * periodS, bursts, busyPowerW, idlePowerW };
}

/** Samples read at the start of a busy stretch (the first 0.5 s at ~100 % utilisation after a reading below it). */
const BURST_START_SAMPLES = 5;

/**
 * Samples in the first 0.5 s of each busy stretch of a phase: what the power controller runs a load at (SM clock)
 * while its 1 s power average still holds the idle time before it, and the die temperature it runs at then.
 */
export function burstStartSamples(trace: Trace, phase: TracePhase): TraceSample[] {
  const { samples } = trace;
  const out: TraceSample[] = [];
  for (let i = 1; i < samples.length; i++) {
    const s = samples[i];
    if (s.tS < phase.startS || s.tS >= phase.endS) continue;
    if (s.utilGpuPct < 99 || samples[i - 1].utilGpuPct >= 99) continue;
    for (let k = i; k < Math.min(samples.length, i + BURST_START_SAMPLES) && samples[k].utilGpuPct >= 99; k++) {
      out.push(samples[k]);
    }
  }
  return out;
}
