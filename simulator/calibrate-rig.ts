/**
 * The calibration rig: one simulated GPU in an 8-GPU HGX server in an air-cooled hall, wired as World wires them.
 * The heatsink air the GPU sees is the hall inlet (room model: the cooling unit's supply setpoint plus the zone's
 * offset) plus the chassis preheat (server model: exhaust rise at the fans' current speed). Nothing in this chain is
 * fitted on the trace: raise the supply setpoint and every temperature follows.
 *
 * The trace does not say what else ran in the chassis; the rig assumes the other seven GPUs sat idle without a
 * context (a single-GPU test on a shared host).
 */
import { GpuSim, type Workload } from './models/gpu';
import type { GpuModelParams } from './models/gpu-params';
import { defaultCoolingParams } from './models/cooling';
import { AIR_ZONE, zoneTargetTempC } from './models/room';
import { defaultServerParams, type ServerEnvironment, type ServerGpuInput, ServerSim } from './models/server';
import { Rng } from './rng';

const RIG_GPU_COUNT = 8;

/** Supply setpoint of the room model's default CRAH, °C. */
export function crahSupplyC(): number {
  return defaultCoolingParams('crah', 1).supplySetpointC;
}

/** Inlet of an air hall whose cooling keeps up, at a given supply temperature (default: the CRAH setpoint), °C. */
export function hallInletC(supplyC = crahSupplyC()): number {
  return zoneTargetTempC({ heatW: 1, capacityW: 1e9, supplyTempC: supplyC, exhaustRiseC: 0 }, AIR_ZONE, supplyC);
}

export interface RigOptions {
  params: GpuModelParams;
  /** Hall inlet, °C (default hallInletC()). */
  inletC?: number;
  seed?: number;
  energyStartMj?: number;
  noise?: boolean;
}

export class CalibrationRig {
  readonly gpu: GpuSim;
  readonly server: ServerSim;
  readonly inletC: number;
  private readonly params: GpuModelParams;
  private readonly env: ServerEnvironment;
  private gpuAirC: number;

  constructor(options: RigOptions) {
    this.params = options.params;
    this.inletC = options.inletC ?? hallInletC();
    this.gpu = new GpuSim({
      uuid: 'GPU-calibration',
      index: 0,
      model: options.params.id,
      params: options.params,
      rng: new Rng(options.seed ?? 1),
      energyStartMj: options.energyStartMj,
      initialAirTempC: this.inletC,
      noise: options.noise,
    });
    this.server = new ServerSim(defaultServerParams(options.params.id, RIG_GPU_COUNT, false));
    this.env = { inletTempC: this.inletC, coolantTempC: this.inletC, powered: true, fanFailure: false };
    this.gpuAirC = this.inletC;
  }

  /** Air at the GPU's heatsink for the coming step, °C. */
  get gpuAirTempC(): number {
    return this.gpuAirC;
  }

  setWorkload(workload: Workload): void {
    this.gpu.setWorkload(workload);
  }

  step(dtS: number): void {
    this.gpuAirC = this.server.gpuAirTempC(this.env);
    this.gpu.step(dtS, { airTempC: this.gpuAirC, powered: true });
    const w = this.gpu.getWorkload();
    const busy = w.kind === 'idle-no-context' || w.kind === 'idle-with-context' ? 0 : w.util;
    const inputs: ServerGpuInput[] = [
      { drawW: this.gpu.drawW, utilization: busy, dieTempC: this.gpu.dieTemperatureC, readable: true },
    ];
    const th = this.params.thermal;
    const idleW = this.params.idleNoContextW;
    const idleDieC = this.gpuAirC + th.sensorOffsetC + (th.sinkResistanceCPerW + th.dieBaseResistanceCPerW) * idleW;
    for (let i = 1; i < RIG_GPU_COUNT; i++) inputs.push({ drawW: idleW, utilization: 0, dieTempC: idleDieC, readable: true });
    this.server.step(dtS, this.env, inputs);
  }
}

/**
 * Heatsink air the GPU would see with the chassis settled at this GPU power and die temperature (the fans follow the
 * hottest die), °C. The fit uses it to take the rig's air out of the measured temperatures.
 */
export function steadyGpuAirC(
  params: GpuModelParams,
  gpu: { powerW: number; dieC: number; busy: number },
  inletC = hallInletC(),
): number {
  const server = new ServerSim(defaultServerParams(params.id, RIG_GPU_COUNT, false));
  const env: ServerEnvironment = { inletTempC: inletC, coolantTempC: inletC, powered: true, fanFailure: false };
  const inputs: ServerGpuInput[] = [{ drawW: gpu.powerW, utilization: gpu.busy, dieTempC: gpu.dieC, readable: true }];
  for (let i = 1; i < RIG_GPU_COUNT; i++) {
    inputs.push({ drawW: params.idleNoContextW, utilization: 0, dieTempC: 0, readable: true });
  }
  for (let t = 0; t < 120; t++) server.step(1, env, inputs);
  return server.gpuAirTempC(env);
}
