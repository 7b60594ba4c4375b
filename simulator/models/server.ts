/**
 * A GPU server: CPU, fans, other board power and the PSU efficiency curve on top of its GPUs' power, the fan
 * controller and the chassis air path (exhaust temperature, the preheated air that reaches the GPUs).
 * Pure: driven by step(dtS, env).
 */
import type { GpuModelId } from './gpu-params';
import { isTpuModel } from './tpu-params';

export interface ServerParams {
  /** Both CPU sockets together, idle / fully busy, W. */
  cpuIdleW: number;
  cpuMaxW: number;
  /** NICs, NVSwitches, DIMMs, drives, BMC, W. */
  otherW: number;
  /** All fans at 100 % speed, W (fan power ∝ speed³). */
  fanMaxW: number;
  /** Chassis airflow at 100 % fan speed, m³/s. */
  airflowMaxM3s: number;
  /** Minimum fan speed, 0..1. */
  fanMinSpeed: number;
  psuCount: number;
  psuRatedW: number;
  /** Share of the chassis air temperature rise the GPUs see at their heatsinks (they sit downstream of CPUs, NICs). */
  gpuPreheatFraction: number;
  /** Share of the heat taken by a direct-to-chip liquid loop (0 for air-cooled servers). */
  liquidFraction: number;
}

/** PSU efficiency by load fraction (80 PLUS Titanium points at 230 V: 10 %, 20 %, 50 %, 100 %). */
export const PSU_EFFICIENCY_CURVE: readonly [number, number][] = [
  [0, 0.8],
  [0.1, 0.9],
  [0.2, 0.94],
  [0.5, 0.96],
  [1, 0.91],
];

export function interpolate(curve: readonly [number, number][], x: number): number {
  if (x <= curve[0][0]) return curve[0][1];
  for (let i = 1; i < curve.length; i++) {
    const [x1, y1] = curve[i];
    const [x0, y0] = curve[i - 1];
    if (x <= x1) return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
  }
  return curve[curve.length - 1][1];
}

export function psuEfficiency(loadFraction: number): number {
  return interpolate(PSU_EFFICIENCY_CURVE, Math.max(0, loadFraction));
}

/** Defaults by GPU model and count: an HGX 8-GPU air-cooled server (DGX/HGX H100 class), a GB200 compute tray, a PCIe L40S server. */
export function defaultServerParams(model: GpuModelId | undefined, gpuCount: number, liquid: boolean): ServerParams {
  if (model === 'GB200') {
    // NVL72 compute tray: 4 GPUs + 2 Grace CPUs, ~6.5 kW, liquid-cooled; the rack's power shelves stand in as PSUs.
    return {
      cpuIdleW: 100,
      cpuMaxW: 600,
      otherW: 500,
      fanMaxW: 150,
      airflowMaxM3s: 0.06,
      fanMinSpeed: 0.3,
      psuCount: 2,
      psuRatedW: 5500,
      gpuPreheatFraction: 0.2,
      liquidFraction: 0.85,
    };
  }
  if (isTpuModel(model)) {
    // A TPU host (assumed figures): host CPUs, DCN NICs and 4 or 8 chips; the ICI links run chip to chip, so there is no
    // switch board. Liquid racks (v4 / v5p) take most of the heat on the cold plates.
    const scale = Math.max(1, gpuCount) / 8;
    return {
      cpuIdleW: 150,
      cpuMaxW: 500,
      otherW: 150 + 100 * scale,
      fanMaxW: liquid ? 150 : 700 * Math.max(0.5, scale),
      airflowMaxM3s: liquid ? 0.08 : 0.35 * Math.max(0.5, scale),
      fanMinSpeed: 0.3,
      psuCount: 2,
      psuRatedW: 3000,
      gpuPreheatFraction: 0.3,
      liquidFraction: liquid ? 0.8 : 0,
    };
  }
  if (model === 'L40S') {
    return {
      cpuIdleW: 150,
      cpuMaxW: 600,
      otherW: 250,
      fanMaxW: 500,
      airflowMaxM3s: 0.25,
      fanMinSpeed: 0.25,
      psuCount: 4,
      psuRatedW: 2400,
      gpuPreheatFraction: 0.4,
      liquidFraction: liquid ? 0.7 : 0,
    };
  }
  // HGX 8-GPU class: 2 CPUs, 8 NICs + NVSwitches, 6 × 3.3 kW PSUs in 4+2.
  const scale = Math.max(1, gpuCount) / 8;
  return {
    cpuIdleW: 200,
    cpuMaxW: 700,
    otherW: 250 + 450 * scale,
    fanMaxW: liquid ? 250 : 1400 * Math.max(0.5, scale),
    airflowMaxM3s: liquid ? 0.12 : 0.55 * Math.max(0.5, scale),
    fanMinSpeed: 0.3,
    psuCount: 6,
    psuRatedW: 3300,
    gpuPreheatFraction: 0.6,
    liquidFraction: liquid ? 0.85 : 0,
  };
}

/** Share of the fan wall still running after a fan failure (a failed fan board takes several fans with it). */
export const FAN_FAILURE_RUNNING_SHARE = 0.4;

const AIR_DENSITY_KG_M3 = 1.2;
const AIR_CP_J_KG_K = 1005;

export interface ServerEnvironment {
  inletTempC: number;
  /** Coolant supply temperature of a liquid-cooled server, °C. */
  coolantTempC: number;
  /** At least one feed live. */
  powered: boolean;
  /** Fan failure: a fan board is out (60 % of the airflow capacity lost); the rest run at 100 %. */
  fanFailure: boolean;
}

export interface ServerGpuInput {
  drawW: number;
  utilization: number;
  dieTempC: number;
  readable: boolean;
}

export interface ServerState {
  powered: boolean;
  /** Wall (AC) power the PSUs draw, W. */
  acPowerW: number;
  /** DC power on the board, W. */
  dcPowerW: number;
  gpuPowerW: number;
  cpuPowerW: number;
  fanPowerW: number;
  psuEfficiency: number;
  fanSpeed: number;
  airflowM3s: number;
  exhaustTempC: number;
  /** Air (or coolant) temperature the GPUs' heatsinks see, °C. */
  gpuAirTempC: number;
  /** Heat into the room air and into the liquid loop, W. */
  heatToAirW: number;
  heatToLiquidW: number;
}

export class ServerSim {
  private fanSpeed: number;
  private last: ServerState;

  constructor(readonly params: ServerParams) {
    this.fanSpeed = params.fanMinSpeed;
    this.last = {
      powered: true,
      acPowerW: 0,
      dcPowerW: 0,
      gpuPowerW: 0,
      cpuPowerW: 0,
      fanPowerW: 0,
      psuEfficiency: 0.9,
      fanSpeed: this.fanSpeed,
      airflowM3s: params.airflowMaxM3s * this.fanSpeed,
      exhaustTempC: 25,
      gpuAirTempC: 25,
      heatToAirW: 0,
      heatToLiquidW: 0,
    };
  }

  get state(): ServerState {
    return this.last;
  }

  /** Air temperature at the GPUs for the coming step (from the last step's airflow and heat). */
  gpuAirTempC(env: ServerEnvironment): number {
    if (this.params.liquidFraction > 0) return env.coolantTempC + 3;
    const rise = this.last.powered ? this.last.exhaustTempC - this.lastInletC : 0;
    return env.inletTempC + this.params.gpuPreheatFraction * Math.max(0, rise);
  }

  private lastInletC = 25;

  /** Advance after the GPUs stepped; gpus carries their power draw and state for this step. */
  step(dtS: number, env: ServerEnvironment, gpus: ServerGpuInput[]): ServerState {
    const p = this.params;
    this.lastInletC = env.inletTempC;
    if (!env.powered) {
      this.fanSpeed = p.fanMinSpeed;
      this.last = {
        ...this.last,
        powered: false,
        acPowerW: 0,
        dcPowerW: 0,
        gpuPowerW: 0,
        cpuPowerW: 0,
        fanPowerW: 0,
        fanSpeed: 0,
        airflowM3s: 0,
        exhaustTempC: env.inletTempC,
        gpuAirTempC: env.inletTempC,
        heatToAirW: 0,
        heatToLiquidW: 0,
      };
      return this.last;
    }
    const gpuPowerW = gpus.reduce((sum, g) => sum + g.drawW, 0);
    const meanUtil = gpus.length ? gpus.reduce((sum, g) => sum + g.utilization, 0) / gpus.length : 0;
    // Host CPUs feed the GPUs (data loading, launches): ~10 % busy at idle, ~45 % when the GPUs are saturated.
    const cpuUtil = 0.1 + 0.35 * meanUtil;
    const cpuPowerW = p.cpuIdleW + (p.cpuMaxW - p.cpuIdleW) * cpuUtil;

    // Fan controller: speed from the hottest GPU and the inlet temperature, first-order (BMC loops settle in ~10 s).
    const hottest = gpus.reduce((max, g) => Math.max(max, g.readable ? g.dieTempC : 0), 0);
    let target = Math.max(
      p.fanMinSpeed + ((1 - p.fanMinSpeed) * (hottest - 50)) / 35,
      p.fanMinSpeed + ((1 - p.fanMinSpeed) * (env.inletTempC - 27)) / 10,
    );
    target = Math.min(1, Math.max(p.fanMinSpeed, target));
    if (env.fanFailure) target = 1;
    this.fanSpeed = target + (this.fanSpeed - target) * Math.exp(-dtS / 10);
    const runningShare = env.fanFailure ? FAN_FAILURE_RUNNING_SHARE : 1;
    const fanPowerW = p.fanMaxW * runningShare * this.fanSpeed ** 3;
    const airflowM3s = p.airflowMaxM3s * runningShare * this.fanSpeed;

    const dcPowerW = gpuPowerW + cpuPowerW + p.otherW + fanPowerW;
    const efficiency = psuEfficiency(dcPowerW / (p.psuCount * p.psuRatedW));
    const acPowerW = dcPowerW / efficiency;
    const heatToLiquidW = p.liquidFraction * acPowerW;
    const heatToAirW = acPowerW - heatToLiquidW;
    const riseC = airflowM3s > 0 ? heatToAirW / (AIR_DENSITY_KG_M3 * AIR_CP_J_KG_K * airflowM3s) : 0;
    const exhaustTempC = env.inletTempC + riseC;
    this.last = {
      powered: true,
      acPowerW,
      dcPowerW,
      gpuPowerW,
      cpuPowerW,
      fanPowerW,
      psuEfficiency: efficiency,
      fanSpeed: this.fanSpeed,
      airflowM3s,
      exhaustTempC,
      gpuAirTempC: p.liquidFraction > 0 ? env.coolantTempC + 3 : env.inletTempC + p.gpuPreheatFraction * riseC,
      heatToAirW,
      heatToLiquidW,
    };
    return this.last;
  }
}
