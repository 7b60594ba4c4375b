import { describe, expect, it } from 'vitest';
import { mapExposition } from '../../src/telemetry';
import { exampleInventory, exampleTpuRack } from '../example-inventory';
import type { SimInventory } from '../inventory';
import type { TpuModelId } from '../models/tpu-params';
import { World } from '../world';
import { renderGpuHostMetrics, renderTpuHostMetrics } from './index';

/** One liquid-cooled TPU rack served by a CDU at `supplyC`, beside the example's air-cooled GPU racks. */
function tpuWorld(model: TpuModelId = 'TPU-v5p', supplyC = 32): World {
  const inventory: SimInventory = exampleInventory({ racks: 1, serversPerRack: 1 });
  const site = inventory.sites[0]!;
  site.halls[0]!.racks.push(exampleTpuRack('t1', 2, model));
  site.coolingUnits!.push({ id: 'cdu-1', kind: 'cdu', capacityKw: 60, hallId: 'hall-1', rackIds: ['t1'], supplyTempC: supplyC });
  return new World(inventory, { seed: 5, noise: false });
}

function runAll(world: World, hostname: string, kind: 'compute-bound' | 'idle-no-context'): void {
  for (const c of world.hostView(hostname)!.gpus) {
    if (kind === 'idle-no-context') world.setWorkload(c.uuid, kind, 0);
    else world.setWorkload(c.uuid, kind, 1);
  }
}

describe('simulated TPU hosts speak the GKE TPU device plugin format', () => {
  it('writes every chip with the plugin labels, and the tpu dialect maps it back to the readings', () => {
    const world = tpuWorld();
    runAll(world, 't1-tpu1', 'compute-bound');
    world.step(120);
    const text = renderTpuHostMetrics(world, 't1-tpu1');
    expect(text).toMatch(/^duty_cycle_node\{accelerator_id="9000000000000000010-0",make="cloud-tpu",model="tpu-v5p-slice",tpu_topology="2x2x1"\} \d+$/m);
    expect(text).not.toMatch(/power|temp/);
    const { samples } = mapExposition(text, 'tpu', { hostname: 't1-tpu1' });
    const view = world.hostView('t1-tpu1')!;
    expect(view.gpus).toHaveLength(4);
    for (const chip of view.gpus) {
      const r = chip.readings!;
      const of = (metric: string) => samples.find((s) => s.metric === metric && s.gpuUuid === chip.uuid)?.value;
      expect(of('gpu_util_pct')).toBe(r.gpuUtilPct);
      expect(of('gpu_util_pct')).toBeGreaterThan(95);
      expect(of('tpu_tensorcore_util_pct')).toBeCloseTo(r.tensorActive * 100, 6);
      expect(of('tpu_tensorcore_util_pct')).toBeGreaterThan(50);
      expect(of('tpu_hbm_bandwidth_util_pct')).toBeCloseTo(r.dramActive * 100, 6);
      expect(of('gpu_fb_total_bytes')).toBe(95 * 1024 ** 3);
      expect(of('gpu_fb_used_bytes')).toBe(r.fbUsedMib * 1024 * 1024);
      // Dense work holds the chip at the assumed 300 W ceiling of a v5p (models/tpu-params.ts).
      expect(r.powerW).toBeGreaterThan(280);
      expect(r.powerW).toBeLessThanOrEqual(300);
    }
    // DCGM does not see TPU chips; the GPU host beside them still has its DCGM text.
    expect(renderGpuHostMetrics(world, 't1-tpu1')).not.toMatch(/^DCGM_FI_DEV_GPU_TEMP\{/m);
    expect(renderGpuHostMetrics(world, 'r1-node1')).toMatch(/^DCGM_FI_DEV_GPU_TEMP\{/m);
    expect(renderTpuHostMetrics(world, 'r1-node1')).toBe('');
  });

  it('an idle chip no process holds has only the host metrics (no duty cycle, no HBM figures)', () => {
    const world = tpuWorld('TPU-v6e');
    runAll(world, 't1-tpu1', 'idle-no-context');
    world.step(60);
    const text = renderTpuHostMetrics(world, 't1-tpu1');
    expect(text).not.toMatch(/^duty_cycle_node/m);
    expect(text).not.toMatch(/^memory_used_node/m);
    const { samples } = mapExposition(text, 'tpu');
    expect(samples.filter((s) => s.metric === 'tpu_tensorcore_util_pct').map((s) => s.value)).toEqual(Array(8).fill(0));
    expect(samples[0]!.labels.model).toBe('tpu-v6e-slice');
    expect(samples[0]!.labels.tpu_topology).toBe('2x4');
  });

  it('chip temperature and host power follow the load, and the chips follow the CDU supply temperature', () => {
    const busy = tpuWorld('TPU-v5p', 32);
    const warm = tpuWorld('TPU-v5p', 40);
    for (const w of [busy, warm]) runAll(w, 't1-tpu1', 'compute-bound');
    const idle = tpuWorld('TPU-v5p', 32);
    runAll(idle, 't1-tpu1', 'idle-no-context');
    for (const w of [busy, warm, idle]) w.step(900);
    const die = (w: World) => w.hostView('t1-tpu1')!.gpus[0]!.readings!.gpuTempC;
    expect(die(busy)).toBeGreaterThan(die(idle) + 5);
    // Raising the coolant 8 °C raises the chip by about as much: the die rides on the coolant, not on a constant.
    expect(die(warm) - die(busy)).toBeGreaterThan(5);
    expect(die(warm) - die(busy)).toBeLessThan(11);
    const host = (w: World) => w.hostView('t1-tpu1')!.server.acPowerW;
    expect(host(busy)).toBeGreaterThan(host(idle) + 4 * 150);
  });

  it('drops a chip that fell off the bus', () => {
    const world = tpuWorld();
    const [first] = world.hostView('t1-tpu1')!.gpus;
    world.inject('gpu-off-bus', first!.uuid);
    world.step(2);
    const { samples } = mapExposition(renderTpuHostMetrics(world, 't1-tpu1'), 'tpu');
    expect(samples.some((s) => s.gpuUuid === first!.uuid)).toBe(false);
    expect(new Set(samples.map((s) => s.gpuUuid)).size).toBe(3);
  });
});
