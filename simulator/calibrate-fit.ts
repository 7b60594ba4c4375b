/**
 * Fitting a GPU model on some phases of a trace. Each training phase is described by its own columns
 * (calibrate-trace.ts: idle with or without a context, compute- or memory-bound, mixed) and gives the parameters of
 * its kind:
 *   idle phases          → idle power (no context / with context), sensor offset and base resistance
 *   idle gaps            → the context idle power, from the energy counter between a duty cycle's bursts, when no
 *                          phase is idle with a context throughout
 *   compute-bound        → cap target (median power / limit), compute demand (from the capped SM clock), R_sm
 *   memory-bound         → memory-bound power, R_mem
 *   mixed (duty cycles)  → the same, from the samples inside long busy stretches, when no steady phase of that kind
 *                          is in the training set
 *   idle intervals       → the leakage slope (context idle power against the die temperature), referred to the die
 *                          temperature the context idle power was measured at; every busy power is brought to that
 *                          temperature, and the GPU model adds the leakage back at the temperature it runs at
 * A memory-bound kind absent from the training set is predicted by physics: the context idle power fitted on the
 * idle phases plus bits moved × energy per bit (the bandwidth at the training phases' memory clock, cited energy
 * figures), at the leakage reference temperature; the simulated die the traffic warms adds its leakage, with only the
 * GPU-die share of the traffic power heating the die sensor. Any other kind absent from the training set falls back
 * to a stated prior (a rule of thumb relative to the power limit, never a number read off this trace); the result
 * lists which parameters came from where ("fit:", "physics:", "prior:").
 *
 * Not refitted per fold (read once off the transients of the whole H200 trace, so in-sample for every fold): the
 * time constants, the heatsink resistance, the HBM sensor resistance, the DVFS exponent, the clocks, the 1 s power
 * window and the 2 s context release.
 */
import { type GpuModelParams, hbmBandwidthTBps, type LeakageParams, leakageW, memoryTrafficW, stackShare } from './models/gpu-params';
import {
  burstStartSamples,
  hasContext,
  idleGapPowersW,
  idleGapSamples,
  longBusySamples,
  MEMORY_BOUND_RATIO,
  median,
  memoryRatio,
  type PhaseCharacter,
  phaseCharacter,
  round,
  settleS,
  type Trace,
  type TracePhase,
  type TraceSample,
} from './calibrate-trace';
import { hallInletC, steadyGpuAirC } from './calibrate-rig';

/** How the utilisation columns read for each kind of busy time (learnt from the training phases). */
export interface UtilSignature {
  /** util_mem / util_gpu of compute-bound work. */
  computeMemRatio: number;
  /** util_mem / util_gpu of memory-bound work. */
  memoryMemRatio: number;
}

export interface FitResult {
  params: GpuModelParams;
  signature: UtilSignature;
  /** Parameter → "fit: phase@start, …" or "prior: …". */
  sources: Record<string, string>;
}

/** Priors for a kind the training phases lack: rough rules for a 700 W-class accelerator, relative to its limit. */
export const PRIORS = {
  idleNoContextShare: 0.1,
  idleWithContextShare: 0.16,
  capTargetRatio: 0.99,
  computeDemandShare: 1.9,
  memoryBoundShare: 0.6,
  sensorOffsetC: 5,
  dieBaseResistanceCPerW: 0.03,
  dieComputeResistanceCPerW: 0.03,
  computeMemRatio: 0.3,
} as const;

/** Idle-gap intervals a mixed phase must have (0.5 s) to stand in for a phase idle throughout. */
const MIN_IDLE_GAP_SAMPLES = 5;

/** util_mem / util_gpu of memory-bound work by definition: the memory controller is busy whenever a kernel runs. */
const MEMORY_BOUND_MEM_RATIO = 1;

interface Observation {
  phase: TracePhase;
  character: PhaseCharacter | 'compute-bound' | 'memory-bound';
  powerW: number;
  /** Power the heatsink and chassis see (the phase median: a duty cycle heats them at its mean). */
  sinkPowerW: number;
  dieC: number;
  smClockMhz: number;
  memRatio: number;
  powerLimitW: number;
  busy: number;
}

function label(phase: TracePhase): string {
  return `${phase.name}@${phase.startS}`;
}

function observe(trace: Trace, phase: TracePhase): Observation | null {
  const character = phaseCharacter(trace, phase);
  const inPhase = (s: TraceSample) => s.tS >= phase.startS && s.tS < phase.endS;
  const settled = trace.samples.filter((s) => inPhase(s) && s.tS >= phase.startS + settleS(phase));
  const secondHalf = trace.samples.filter((s) => inPhase(s) && s.tS >= (phase.startS + phase.endS) / 2);
  if (settled.length === 0) return null;
  if (character === 'mixed') {
    const busy = longBusySamples(trace, phase);
    if (busy.length === 0) return null;
    const ratio = median(busy.map(memoryRatio));
    return {
      phase,
      character: ratio > MEMORY_BOUND_RATIO ? 'memory-bound' : 'compute-bound',
      powerW: median(busy.map((s) => s.powerW)),
      sinkPowerW: median(settled.map((s) => s.powerW)),
      dieC: median(busy.map((s) => s.tempC)),
      smClockMhz: median(busy.map((s) => s.smClockMhz)),
      memRatio: ratio,
      powerLimitW: median(busy.map((s) => s.powerLimitW)),
      busy: settled.filter((s) => s.utilGpuPct > 0).length / settled.length,
    };
  }
  const busySamples = settled.filter((s) => s.utilGpuPct >= 99);
  const powerW = median(settled.map((s) => s.powerW));
  return {
    phase,
    character,
    powerW,
    sinkPowerW: powerW,
    dieC: median(secondHalf.map((s) => s.tempC)),
    smClockMhz: median(settled.map((s) => s.smClockMhz)),
    memRatio: busySamples.length ? median(busySamples.map(memoryRatio)) : 0,
    powerLimitW: median(settled.map((s) => s.powerLimitW)),
    busy: busySamples.length / settled.length,
  };
}

/**
 * Fits `base` (its structure and the fixed parameters) on the given training phases of the trace. Steady phases of
 * a kind win over mixed ones; mixed phases only fill in a kind that has no steady phase.
 */
export function fitGpuParams(trace: Trace, training: TracePhase[], base: GpuModelParams, inletC = hallInletC()): FitResult {
  const sources: Record<string, string> = {};
  const observations = training.map((phase) => observe(trace, phase)).filter((o): o is Observation => o !== null);
  const steady = (c: PhaseCharacter) => observations.filter((o) => o.character === c && phaseCharacter(trace, o.phase) === c);
  const ofKind = (c: 'compute-bound' | 'memory-bound') => {
    const s = steady(c);
    return s.length ? s : observations.filter((o) => o.character === c);
  };
  const noContext = steady('idle-no-context');
  const withContext = steady('idle-with-context');
  const compute = ofKind('compute-bound');
  const memory = ofKind('memory-bound');
  const names = (list: Observation[]) => `fit: ${list.map((o) => label(o.phase)).join(', ')}`;
  const limitW = base.powerLimitW;

  const pick = (key: string, list: Observation[], fromData: () => number, prior: number, priorText: string): number => {
    if (list.length) {
      sources[key] = names(list);
      return fromData();
    }
    sources[key] = `prior: ${priorText}`;
    return prior;
  };

  const idleNoContextW = pick(
    'idleNoContextW',
    noContext,
    () => median(noContext.map((o) => o.powerW)),
    PRIORS.idleNoContextShare * limitW,
    `${PRIORS.idleNoContextShare} × limit`,
  );
  // No phase idle throughout with a context: the idle gaps of duty-cycled phases measure the same power (clocks up,
  // nothing running), read off the energy counter since the 1 s power average never settles in a 0.4 s gap.
  const gaps = training
    .filter((phase) => phaseCharacter(trace, phase) === 'mixed')
    .map((phase) => ({ phase, powers: idleGapPowersW(trace, phase) }))
    .filter((g) => g.powers.length >= MIN_IDLE_GAP_SAMPLES);
  let idleWithContextW: number;
  if (withContext.length === 0 && gaps.length) {
    idleWithContextW = median(gaps.flatMap((g) => g.powers));
    sources.idleWithContextW = `fit: ${gaps.map((g) => label(g.phase)).join(', ')} (energy counter in its idle gaps)`;
  } else {
    idleWithContextW = pick(
      'idleWithContextW',
      withContext,
      () => median(withContext.map((o) => o.powerW)),
      PRIORS.idleWithContextShare * limitW,
      `${PRIORS.idleWithContextShare} × limit`,
    );
  }
  // Leakage: the slope from the training phases' idle intervals, referred to the die temperature the context idle
  // power was measured at. Every busy power below is brought to that temperature before it becomes a parameter; the
  // GPU model adds the leakage back at whatever temperature it runs at (leakageW, models/gpu-params.ts).
  const slope = idleLeakage(trace, training);
  const refDieC = withContext.length
    ? median(withContext.map((o) => o.dieC))
    : gaps.length
      ? median(gaps.flatMap((g) => idleGapSamples(trace, g.phase).map((p) => p.dieC)))
      : Number.NaN;
  const leakage: LeakageParams | undefined =
    slope.wPerC > 0 && Number.isFinite(refDieC) ? { wPerC: round(slope.wPerC, 3), refDieC: round(refDieC, 1) } : undefined;
  sources.idleLeakageWPerC = leakage
    ? `${slope.source}; at the context idle power's die temperature ${leakage.refDieC} °C`
    : slope.wPerC > 0
      ? 'prior: 0 (no context idle power measured to refer it to)'
      : slope.source;
  /** A power measured at a die temperature, brought to the leakage reference. */
  const atRef = (powerW: number, dieC: number) => powerW - leakageW(leakage, dieC);
  const capTargetRatio = pick(
    'capTargetRatio',
    compute,
    () => median(compute.map((o) => o.powerW / o.powerLimitW)),
    PRIORS.capTargetRatio,
    `${PRIORS.capTargetRatio}`,
  );
  // The capped clock f sets the demand: P_cap − P_ctx = (D − P_ctx) · (f / f_max)^k.
  const computeBoundDemandW = pick(
    'computeBoundDemandW',
    compute,
    () =>
      median(
        compute.map(
          (o) =>
            idleWithContextW + (atRef(o.powerW, o.dieC) - idleWithContextW) / (o.smClockMhz / base.smClockMaxMhz) ** base.dvfsExponent,
        ),
      ),
    PRIORS.computeDemandShare * limitW,
    `${PRIORS.computeDemandShare} × limit`,
  );
  // The busy power a capped load runs at while the 1 s average still holds idle time: from the SM clock at the start of
  // its busy stretches, through the same DVFS curve. Without a compute-bound phase: no overshoot.
  // The die's leakage at the burst start counts in the power the controller allowed.
  const burstSamples = compute.flatMap((o) => burstStartSamples(trace, o.phase));
  let burstCapRatio: number | undefined;
  if (burstSamples.length) {
    const clockRatio = median(burstSamples.map((b) => b.smClockMhz)) / base.smClockMaxMhz;
    const burstW =
      idleWithContextW +
      leakageW(leakage, median(burstSamples.map((b) => b.tempC))) +
      (computeBoundDemandW - idleWithContextW) * clockRatio ** base.dvfsExponent;
    burstCapRatio = Math.max(capTargetRatio, burstW / limitW);
    sources.burstCapRatio = `${names(compute)} (SM clock in the first 0.5 s of each busy stretch)`;
  } else {
    sources.burstCapRatio = 'prior: no overshoot (the cap target)';
  }
  // Memory-bound parameters: fitted on a memory-bound phase if the training set has one, else predicted by physics
  // (calibrate-fit.ts header), else a prior.
  const hbm = base.hbm;
  type Fallback = { from: 'physics' | 'prior'; value: number; text: string };
  const forMemory = (key: string, fromData: () => number, fallback: Fallback): number => {
    if (memory.length) {
      sources[key] = names(memory);
      return fromData();
    }
    sources[key] = `${fallback.from}: ${fallback.text}`;
    return fallback.value;
  };
  const signature: UtilSignature = {
    computeMemRatio: pick(
      'computeMemRatio',
      compute,
      () => median(compute.map((o) => o.memRatio)),
      PRIORS.computeMemRatio,
      `${PRIORS.computeMemRatio}`,
    ),
    memoryMemRatio: forMemory(
      'memoryMemRatio',
      () => median(memory.map((o) => o.memRatio)),
      { from: 'physics', value: MEMORY_BOUND_MEM_RATIO, text: 'util_mem = util_gpu (memory busy whenever a kernel runs)' },
    ),
  };

  // Thermal: y = die − air − R_sink · P_sink is linear in the remaining resistances and the sensor offset.
  const th = base.thermal;
  const provisional: GpuModelParams = { ...base, idleNoContextW };
  const excess = (o: Observation) =>
    o.dieC - steadyGpuAirC(provisional, { powerW: o.sinkPowerW, dieC: o.dieC, busy: o.busy }, inletC) - th.sinkResistanceCPerW * o.sinkPowerW;
  const yNoContext = noContext.length ? median(noContext.map(excess)) : Number.NaN;
  const yWithContext = withContext.length ? median(withContext.map(excess)) : Number.NaN;
  let dieBaseResistanceCPerW: number;
  let sensorOffsetC: number;
  if (noContext.length && withContext.length) {
    dieBaseResistanceCPerW = (yWithContext - yNoContext) / (idleWithContextW - idleNoContextW);
    sensorOffsetC = yNoContext - dieBaseResistanceCPerW * idleNoContextW;
    sources.dieBaseResistanceCPerW = names([...noContext, ...withContext]);
    sources.sensorOffsetC = sources.dieBaseResistanceCPerW;
  } else {
    dieBaseResistanceCPerW = PRIORS.dieBaseResistanceCPerW;
    sources.dieBaseResistanceCPerW = `prior: ${PRIORS.dieBaseResistanceCPerW}`;
    const idle = noContext.length ? noContext : withContext;
    const y = noContext.length ? yNoContext : yWithContext;
    const p = noContext.length ? idleNoContextW : idleWithContextW;
    sensorOffsetC = idle.length ? y - dieBaseResistanceCPerW * p : PRIORS.sensorOffsetC;
    sources.sensorOffsetC = idle.length ? names(idle) : `prior: ${PRIORS.sensorOffsetC}`;
  }
  // The die heats by R_base over the context idle power at its temperature (leakage included) and by the busy
  // resistance over the rest, as the GPU model splits it.
  const busyResistance = (list: Observation[]) =>
    median(
      list.map((o) => {
        const contextW = idleWithContextW + leakageW(leakage, o.dieC);
        return (excess(o) - sensorOffsetC - dieBaseResistanceCPerW * contextW) / (o.powerW - contextW);
      }),
    );
  const dieComputeResistanceCPerW = pick(
    'dieComputeResistanceCPerW',
    compute,
    () => busyResistance(compute),
    PRIORS.dieComputeResistanceCPerW,
    `${PRIORS.dieComputeResistanceCPerW}`,
  );
  // Without a memory-bound phase: the stacks' share of the traffic power sits beside the die and reaches the sensor
  // only through the heatsink; the GPU-side share heats the die like SM power does.
  const dieMemoryResistanceCPerW = forMemory(
    'dieMemoryResistanceCPerW',
    () => busyResistance(memory),
    hbm
      ? {
          from: 'physics',
          value: dieComputeResistanceCPerW * (1 - stackShare(hbm)),
          text: `compute resistance × GPU-side share ${round(1 - stackShare(hbm), 3)}`,
        }
      : { from: 'prior', value: dieComputeResistanceCPerW, text: 'the compute resistance' },
  );

  // A memory-bound load keeps the memory controller busy whenever a kernel runs: the traffic is the full bandwidth, at
  // the memory clock the training phases ran (the datasheet figure where the trace has no memory clock). That is its
  // power at the leakage reference temperature; the GPU model adds the leakage of the die the traffic warms.
  // The memory clock under load: busy samples of the training phases, else samples with a context open (a part that
  // parks its memory clock when idle without a context would otherwise read low).
  const trainingSamples = training.flatMap((phase) =>
    trace.samples.filter((s) => s.tS >= phase.startS && s.tS < phase.endS && s.memClockMhz !== undefined),
  );
  const busyClocks = trainingSamples.filter((s) => s.utilGpuPct >= 99);
  const memClocks = (busyClocks.length ? busyClocks : trainingSamples.filter((s) => hasContext(s, trace.fbBaselineMib))).map(
    (s) => s.memClockMhz as number,
  );
  const bandwidthTBps =
    hbm && memClocks.length ? hbmBandwidthTBps(hbm, median(memClocks), base.memClockMhz) : hbm?.peakBandwidthTBps;
  const memoryBoundW = forMemory(
    'memoryBoundW',
    () => median(memory.map((o) => atRef(o.powerW, o.dieC))),
    hbm && bandwidthTBps !== undefined
      ? {
          from: 'physics' as const,
          value: idleWithContextW + memoryTrafficW(hbm, 1, bandwidthTBps),
          text:
            `context idle + ${round(bandwidthTBps, 3)} TB/s${memClocks.length ? ` (memory clock ${median(memClocks)} MHz)` : ''} × ` +
            `${hbm.pathEnergyPjPerBit} pJ/bit` +
            (leakage ? ` at ${leakage.refDieC} °C; the GPU model adds ${leakage.wPerC} W/°C of leakage above it` : ''),
        }
      : { from: 'prior' as const, value: PRIORS.memoryBoundShare * limitW, text: `${PRIORS.memoryBoundShare} × limit` },
  );

  const params: GpuModelParams = {
    ...base,
    idleNoContextW: round(idleNoContextW, 1),
    idleWithContextW: round(idleWithContextW, 1),
    capTargetRatio: round(capTargetRatio, 4),
    burstCapRatio: burstCapRatio === undefined ? undefined : round(burstCapRatio, 4),
    computeBoundDemandW: round(computeBoundDemandW, 0),
    memoryBoundW: round(memoryBoundW, 1),
    thermal: {
      ...th,
      sensorOffsetC: round(sensorOffsetC, 2),
      dieBaseResistanceCPerW: round(dieBaseResistanceCPerW, 4),
      dieComputeResistanceCPerW: round(dieComputeResistanceCPerW, 4),
      dieMemoryResistanceCPerW: round(dieMemoryResistanceCPerW, 4),
    },
    leakage,
    source: `fitted on ${training.length} phases`,
  };
  return { params, signature, sources };
}

/** Idle intervals needed, and the die-temperature span they must cover, to fit the leakage slope. */
const MIN_LEAKAGE_SAMPLES = 20;
const MIN_LEAKAGE_SPAN_C = 3;
/** Energy-counter intervals farther than this from the median idle power are counter glitches (a 100 ms step that books two), W. */
const LEAKAGE_OUTLIER_W = 10;

/**
 * How the context idle power grows with the die temperature (leakage), W/°C: the least-squares slope of the
 * energy-counter power against the die sensor over every idle interval of the training phases with a context open
 * and the clocks up (idleGapSamples: the idle phases, whose first seconds cool down from the load before them, and a
 * duty cycle's gaps between bursts). On the H200 trace: 0.58 W/°C over 38-47 °C. Without enough spread in
 * temperature: 0.
 */
export function idleLeakage(trace: Trace, training: TracePhase[]): { wPerC: number; source: string } {
  const all = training.flatMap((phase) => idleGapSamples(trace, phase).map((g) => ({ ...g, phase })));
  // One operating point: clocks up (a part that lowers its idle clocks changes voltage, not temperature).
  const topClockMhz = Math.max(...all.map((p) => p.smClockMhz));
  const points = all.filter((p) => p.smClockMhz >= 0.95 * topClockMhz);
  const mid = median(points.map((p) => p.powerW));
  const ok = points.filter((p) => Math.abs(p.powerW - mid) < LEAKAGE_OUTLIER_W);
  const temps = ok.map((p) => p.dieC);
  const spanC = ok.length ? Math.max(...temps) - Math.min(...temps) : 0;
  if (ok.length < MIN_LEAKAGE_SAMPLES || spanC < MIN_LEAKAGE_SPAN_C) {
    return { wPerC: 0, source: `prior: 0 (idle intervals cover ${spanC} °C, fewer than ${MIN_LEAKAGE_SPAN_C})` };
  }
  const meanT = temps.reduce((a, t) => a + t, 0) / ok.length;
  const meanP = ok.reduce((a, p) => a + p.powerW, 0) / ok.length;
  const sxy = ok.reduce((a, p) => a + (p.dieC - meanT) * (p.powerW - meanP), 0);
  const sxx = ok.reduce((a, p) => a + (p.dieC - meanT) ** 2, 0);
  const phases = [...new Set(ok.map((p) => label(p.phase)))];
  return {
    wPerC: Math.max(0, sxy / sxx),
    source: `fit: ${phases.join(', ')} (energy counter against the die sensor in idle intervals, ${Math.min(...temps)}-${Math.max(...temps)} °C)`,
  };
}
