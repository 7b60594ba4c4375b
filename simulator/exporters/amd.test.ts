import { describe, expect, it } from 'vitest';
import { acceleratorById } from '../../src/domain/accelerators';
import { simGpuModel } from '../../src/server/services/telemetry/sim-inventory';
import { mapExposition } from '../../src/telemetry';
import { exampleInventory, exampleRack } from '../example-inventory';
import type { GpuModelId } from '../models/gpu-params';
import { World } from '../world';
import { renderAmdHostMetrics, renderGpuHostMetrics } from './index';

function amdWorld(model: GpuModelId = 'MI300X'): World {
  const inventory = exampleInventory({ racks: 1, serversPerRack: 1 });
  inventory.sites[0].halls[0].racks = [exampleRack('r1', 1, model)];
  return new World(inventory, { seed: 3 });
}

describe('simulated MI300X hosts speak the AMD Device Metrics Exporter format', () => {
  it('emits every readable MI300X with the exporter labels, and the amd dialect maps it back to the readings', () => {
    const world = amdWorld();
    for (const g of world.hostView('r1-node1')!.gpus) world.setWorkload(g.uuid, 'compute-bound', 1);
    world.step(30);
    const text = renderAmdHostMetrics(world, 'r1-node1');
    expect(text).toMatch(/^gpu_junction_temperature\{gpu_id="0",serial_number="PCB[0-9A-F]+",card_model="AMD Instinct MI300X",hostname="r1-node1",gpu_partition_id="0",gpu_compute_partition_type="SPX",gpu_memory_partition_type="NPS1"\} \d+$/m);
    const { samples } = mapExposition(text, 'auto');
    const view = world.hostView('r1-node1')!;
    for (const g of view.gpus) {
      const r = g.readings!;
      const of = (metric: string) => samples.find((s) => s.metric === metric && s.gpuIndex === g.index)?.value;
      expect(of('gpu_power_w')).toBeCloseTo(r.powerW, 3);
      expect(of('gpu_junction_temp_c')).toBe(r.gpuTempC);
      expect(of('gpu_util_pct')).toBe(r.gpuUtilPct);
      expect(of('gpu_fb_used_bytes')).toBe(r.fbUsedMib * 1024 * 1024);
      expect(of('gpu_energy_mj')).toBeCloseTo(r.energyMj, 3);
      // 750 W MI300X held at its cap by compute-bound work.
      expect(r.powerW).toBeGreaterThan(700);
      expect(r.powerW).toBeLessThanOrEqual(750);
    }
    // DCGM does not see AMD GPUs.
    expect(renderGpuHostMetrics(world, 'r1-node1')).not.toMatch(/^DCGM_FI_DEV_GPU_TEMP\{/m);
  });

  it("labels each GPU with the inventory's partition modes", () => {
    const inventory = exampleInventory({ racks: 1, serversPerRack: 1 });
    const rack = exampleRack('r1', 1, 'MI300X');
    for (const g of rack.servers[0]!.gpus) Object.assign(g, { computePartition: 'CPX', memoryPartition: 'NPS4' });
    inventory.sites[0].halls[0].racks = [rack];
    const world = new World(inventory, { seed: 3 });
    world.step(2);
    const { samples } = mapExposition(renderAmdHostMetrics(world, 'r1-node1'), 'auto');
    const power = samples.filter((s) => s.metric === 'gpu_power_w');
    expect(power).toHaveLength(8);
    expect(power.every((s) => s.labels.gpu_compute_partition_type === 'CPX' && s.labels.gpu_memory_partition_type === 'NPS4')).toBe(true);
  });

  it('marks a GPU with an injected fault unhealthy and drops a GPU that fell off the bus', () => {
    const world = amdWorld();
    const [first, second] = world.hostView('r1-node1')!.gpus;
    world.inject('gpu-xid', first.uuid, { xid: 48 });
    world.inject('gpu-off-bus', second.uuid);
    world.step(2);
    const { samples } = mapExposition(renderAmdHostMetrics(world, 'r1-node1', { prefix: 'amd_' }), 'auto');
    expect(samples.find((s) => s.metric === 'gpu_healthy' && s.gpuIndex === 0)?.value).toBe(0);
    expect(samples.find((s) => s.metric === 'gpu_healthy' && s.gpuIndex === 2)?.value).toBe(1);
    expect(samples.some((s) => s.gpuIndex === 1)).toBe(false);
    expect(samples.find((s) => s.metric === 'amd_gpu_nodes_total')?.value).toBe(8);
  });

  it('serves an MI325X host (catalogue name to simulator model) with its 256 GB VRAM total and 1,000 W cap', () => {
    // The inventory's accelerator model name (the catalogue's) picks the simulator's MI325X, as it does the MI300X.
    const model = simGpuModel(acceleratorById('mi325x')!.model);
    expect(model).toBe('MI325X');
    expect(simGpuModel(acceleratorById('mi300x')!.model)).toBe('MI300X');
    const world = amdWorld(model!);
    for (const g of world.hostView('r1-node1')!.gpus) world.setWorkload(g.uuid, 'compute-bound', 1);
    world.step(30);
    const text = renderAmdHostMetrics(world, 'r1-node1');
    expect(text).toMatch(/^gpu_total_vram\{gpu_id="0",serial_number="PCB[0-9A-F]+",card_model="AMD Instinct MI325X",hostname="r1-node1",gpu_partition_id="0",gpu_compute_partition_type="SPX",gpu_memory_partition_type="NPS1"\} 262128$/m);
    const { samples } = mapExposition(text, 'auto');
    const total = samples.filter((s) => s.metric === 'gpu_fb_total_bytes');
    const power = samples.filter((s) => s.metric === 'gpu_power_w');
    expect(power).toHaveLength(8);
    for (const g of world.hostView('r1-node1')!.gpus) {
      expect(total.find((s) => s.gpuIndex === g.index)?.value).toBe(262128 * 1024 * 1024);
      // Compute-bound work holds each GPU just under the 1,000 W limit: past the MI300X's 750 W.
      const w = power.find((s) => s.gpuIndex === g.index)!.value;
      expect(w).toBeGreaterThan(950);
      expect(w).toBeLessThanOrEqual(1000);
    }
    expect(renderGpuHostMetrics(world, 'r1-node1')).not.toMatch(/^DCGM_FI_DEV_GPU_TEMP\{/m);
  });
});
