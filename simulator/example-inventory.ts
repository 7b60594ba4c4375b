/**
 * A small but complete inventory for tests, demos and the calibration of the facility models:
 * one site, one hall, two racks of two HGX H200 servers (8 GPUs each), 2N rack PDUs on two UPSs, three CRAHs (N+1),
 * a standby generator.
 */
import type { SimInventory, SimRack } from './inventory';
import type { GpuModelId } from './models/gpu-params';
import { TPU_HOST_SHAPES, type TpuModelId } from './models/tpu-params';

export function exampleRack(rackId: string, serverCount: number, model: GpuModelId = 'H200-SXM'): SimRack {
  return {
    id: rackId,
    name: rackId,
    pdus: [
      // 415 V three-phase, 24 A: √3 × 415 × 24 ≈ 17.3 kW each.
      { id: `${rackId}-pdu-a`, feed: 'A', capacityKw: 17.3, upsId: 'ups-a' },
      { id: `${rackId}-pdu-b`, feed: 'B', capacityKw: 17.3, upsId: 'ups-b' },
    ],
    servers: Array.from({ length: serverCount }, (_, s) => {
      const hostname = `${rackId}-node${s + 1}`;
      return {
        id: `srv-${hostname}`,
        hostname,
        model: 'HGX H200 8-GPU',
        links: ['ib0', 'ib1', 'eth0'],
        gpus: Array.from({ length: 8 }, (_, index) => ({
          uuid: `GPU-${hostname}-${index}`,
          index,
          model,
        })),
      };
    }),
  };
}

export function exampleInventory(options: { racks?: number; serversPerRack?: number; generator?: boolean } = {}): SimInventory {
  const racks = Array.from({ length: options.racks ?? 2 }, (_, i) => exampleRack(`r${i + 1}`, options.serversPerRack ?? 2));
  return {
    sites: [
      {
        id: 'site-1',
        name: 'Example site',
        generator: options.generator === false ? undefined : { capacityKw: 200, startDelayS: 15 },
        upses: [
          { id: 'ups-a', ratedKw: 40, runtimeAtFullLoadMin: 10 },
          { id: 'ups-b', ratedKw: 40, runtimeAtFullLoadMin: 10 },
        ],
        coolingUnits: [
          { id: 'crah-1', kind: 'crah', capacityKw: 20, hallId: 'hall-1' },
          { id: 'crah-2', kind: 'crah', capacityKw: 20, hallId: 'hall-1' },
          { id: 'crah-3', kind: 'crah', capacityKw: 20, hallId: 'hall-1' },
        ],
        halls: [{ id: 'hall-1', name: 'Hall 1', lightingKw: 0.5, racks }],
      },
    ],
  };
}

/**
 * A liquid-cooled rack of TPU hosts (v4 / v5p: 4 chips per host; v5e / v6e: 8). Chip uuids are the device plugin's
 * accelerator_id form, `<instance id>-<chip index>`, as the inventory stores TPU chips.
 */
export function exampleTpuRack(rackId: string, hostCount: number, model: TpuModelId = 'TPU-v5p'): SimRack {
  const chips = TPU_HOST_SHAPES[model].chipsPerHost;
  return {
    id: rackId,
    name: rackId,
    cooling: 'liquid',
    pdus: [
      { id: `${rackId}-pdu-a`, feed: 'A', capacityKw: 17.3, upsId: 'ups-a' },
      { id: `${rackId}-pdu-b`, feed: 'B', capacityKw: 17.3, upsId: 'ups-b' },
    ],
    servers: Array.from({ length: hostCount }, (_, h) => {
      const hostname = `${rackId}-tpu${h + 1}`;
      const instanceId = `90000000000000000${h + 10}`;
      return {
        id: `srv-${hostname}`,
        hostname,
        model: `Cloud TPU ${model} host`,
        gpus: Array.from({ length: chips }, (_, index) => ({ uuid: `${instanceId}-${index}`, index, model })),
      };
    }),
  };
}
