// What a busy TPU chip draws, for the scheduler's power accounting: the simulator's per-chip power limit of the
// generation (simulator/models/tpu-params.ts; a chip at load runs at its limit). Google publishes no per-chip power
// after v4, so these are the same assumed figures the simulated TPU hosts draw (v4: 192 W, the ISCA 2023 maximum).

import { acceleratorById } from '@/domain/accelerators';
import { isTpuModel, TPU_MODELS } from '../../../../simulator/models/tpu-params';
import { simGpuModel } from '../telemetry/sim-inventory';

/** Fallback per busy chip, W, for a generation the simulator has no model of (after the ~170-192 W per v4 chip). */
export const DEFAULT_POWER_W_PER_TPU_CHIP = 200;

/** Power one chip of a TPU generation (catalogue id, e.g. 'tpu-v5p') draws at load, W. */
export function tpuChipPowerAtLoadW(generation: string): number {
  const model = acceleratorById(generation)?.model;
  const simulated = model ? simGpuModel(model) : null;
  return isTpuModel(simulated ?? undefined) ? TPU_MODELS[simulated as keyof typeof TPU_MODELS].powerLimitW : DEFAULT_POWER_W_PER_TPU_CHIP;
}
