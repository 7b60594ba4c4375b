import { describe, expect, it } from 'vitest';
import { exampleInventory, exampleRack } from './example-inventory';
import { renderFacilityMetrics, renderGpuHostMetrics } from './exporters';
import { defaultCoolingParams } from './models/cooling';
import type { WorkloadKind } from './models/gpu';
import { GPU_MODELS } from './models/gpu-params';
import { UPS_OUTPUT_SOURCE } from './models/ups';
import { World } from './world';

function world(seed = 7, generator = true): World {
  return new World(exampleInventory({ generator }), { seed });
}

function allTraining(w: World, util = 1): void {
  for (const host of w.hostnames()) for (const g of w.hostView(host)!.gpus) w.setWorkload(g.uuid, 'compute-bound', util);
}

describe('World', () => {
  it('is deterministic for a seed', () => {
    const a = world(42);
    const b = world(42);
    const c = world(43);
    for (let i = 0; i < 120; i++) {
      a.step(1);
      b.step(1);
      c.step(1);
    }
    expect(renderGpuHostMetrics(a, 'r1-node1')).toBe(renderGpuHostMetrics(b, 'r1-node1'));
    expect(renderFacilityMetrics(a)).toBe(renderFacilityMetrics(b));
    expect(renderFacilityMetrics(a)).not.toBe(renderFacilityMetrics(c));
  });

  it('server power = GPUs + CPU + fans + other over PSU efficiency; training HGX H200 in the 6.5-8.5 kW band', () => {
    const w = world();
    allTraining(w);
    w.step(300);
    const s = w.hostView('r1-node1')!.server;
    expect(s.acPowerW).toBeGreaterThan(6500);
    expect(s.acPowerW).toBeLessThan(8500);
    expect(s.acPowerW).toBeGreaterThan(s.gpuPowerW);
    expect(s.acPowerW).toBeCloseTo(s.dcPowerW / s.psuEfficiency, 6);
  });

  it('PUE = facility / IT and > 1', () => {
    const w = world();
    allTraining(w);
    w.step(600);
    const p = w.siteView('site-1')!.power;
    expect(p.pue).toBeCloseTo(p.facilityW / p.itW, 9);
    expect(p.pue).toBeGreaterThan(1.1);
    expect(p.pue).toBeLessThan(1.6);
  });

  it('a PDU breaker trip moves the rack load to the other feed; clearing restores the split', () => {
    const w = world();
    allTraining(w);
    w.step(60);
    const before = w.siteView('site-1')!.pdus.filter((p) => p.rackId === 'r1');
    const total = before.reduce((s, p) => s + p.loadW, 0);
    expect(before[0].loadW).toBeCloseTo(total / 2, 3);
    const id = w.inject('pdu-breaker-trip', 'r1-pdu-a');
    w.step(1);
    const after = w.siteView('site-1')!.pdus.filter((p) => p.rackId === 'r1');
    expect(after.find((p) => p.feed === 'A')!.loadW).toBe(0);
    expect(after.find((p) => p.feed === 'B')!.loadW).toBeGreaterThan(total * 0.95);
    expect(w.hostView('r1-node1')!.server.powered).toBe(true);
    w.clear(id);
    w.step(1);
    const restored = w.siteView('site-1')!.pdus.filter((p) => p.rackId === 'r1');
    expect(restored[0].loadW).toBeCloseTo(restored[1].loadW, 3);
  });

  it('a network rack of switches draws their typical power through its rack PDUs, into IT load and room heat', () => {
    const inventory = exampleInventory();
    // Two 64-port 400G InfiniBand switches (QM9700: about 1.1 kW typical) and nothing else in r-net.
    const net = { ...exampleRack('r-net', 0), steadyLoads: [{ id: 'ib-spine1', typicalKw: 1.1 }, { id: 'ib-spine2', typicalKw: 1.1 }] };
    const site = inventory.sites[0]!;
    site.halls[0]!.racks.push(net);
    const w = new World(inventory, { seed: 7 });
    const without = new World(exampleInventory(), { seed: 7 });
    w.step(1);
    without.step(1);
    const pdus = w.siteView('site-1')!.pdus.filter((p) => p.rackId === 'r-net');
    expect(pdus).toHaveLength(2);
    // 2.2 kW shared by the A and B PDUs; the outlets sum to each PDU's load.
    for (const p of pdus) {
      expect(p.loadW).toBeCloseTo(1_100, 6);
      expect(p.outletsW.reduce((sum, o) => sum + o, 0)).toBeCloseTo(p.loadW, 6);
    }
    expect(w.siteView('site-1')!.power.itW - without.siteView('site-1')!.power.itW).toBeCloseTo(2_200, 6);
    // With feed A tripped, B carries both switches.
    w.inject('pdu-breaker-trip', 'r-net-pdu-a');
    w.step(1);
    expect(w.siteView('site-1')!.pdus.find((p) => p.id === 'r-net-pdu-b')!.loadW).toBeCloseTo(2_200, 6);
  });

  it('utility outage: UPSs on battery with runtime counting down; the generator takes over', () => {
    const w = world();
    allTraining(w);
    w.step(60);
    const fault = w.inject('utility-outage', 'site-1');
    w.step(1);
    let ups = w.siteView('site-1')!.upses[0].state;
    expect(ups.outputSource).toBe(UPS_OUTPUT_SOURCE.battery);
    const m1 = ups.estimatedMinutesRemaining;
    w.step(5);
    ups = w.siteView('site-1')!.upses[0].state;
    expect(ups.estimatedMinutesRemaining).toBeLessThan(m1);
    expect(ups.secondsOnBattery).toBeGreaterThanOrEqual(6);
    expect(w.siteView('site-1')!.coolingUnits.every((c) => !c.running)).toBe(true);
    w.step(20);
    const site = w.siteView('site-1')!;
    expect(site.generatorRunning).toBe(true);
    expect(site.upses[0].state.outputSource).toBe(UPS_OUTPUT_SOURCE.normal);
    w.clear(fault);
    w.step(1);
    expect(w.siteView('site-1')!.utilityLive).toBe(true);
  });

  it('without a generator the batteries run out and the servers go dark', () => {
    const w = world(7, false);
    allTraining(w);
    w.step(60);
    w.inject('utility-outage', 'site-1');
    w.step(3600);
    const site = w.siteView('site-1')!;
    expect(site.upses.every((u) => u.state.outputSource === UPS_OUTPUT_SOURCE.none)).toBe(true);
    expect(site.power.itW).toBe(0);
    expect(w.hostView('r1-node1')!.gpus.every((g) => g.readings === null)).toBe(true);
  });

  it('cooling-unit failures raise rack inlet temperature with a first-order response', () => {
    const w = world();
    allTraining(w);
    w.step(1800);
    const inlet = () => w.siteView('site-1')!.sensors.find((s) => s.id === 'r1:inlet')!.tempC;
    const base = inlet();
    expect(w.siteView('site-1')!.halls[0].nPlusOne).toBe(true);
    w.inject('cooling-unit-failure', 'crah-1');
    w.inject('cooling-unit-failure', 'crah-2');
    w.step(60);
    const t1 = inlet();
    w.step(600);
    const t2 = inlet();
    expect(t1).toBeGreaterThan(base);
    expect(t2).toBeGreaterThan(t1 + 1);
    expect(w.siteView('site-1')!.halls[0].nPlusOne).toBe(false);
    const gpuTemp = w.hostView('r1-node1')!.gpus[0].readings!.gpuTempC;
    expect(gpuTemp).toBeGreaterThan(60);
  });

  it('server fan failure warms the GPUs', () => {
    const w = world();
    allTraining(w);
    w.step(600);
    const t0 = w.hostView('r1-node1')!.gpus[0].readings!.gpuTempC;
    w.inject('server-fan-failure', 'r1-node1');
    w.step(600);
    expect(w.hostView('r1-node1')!.gpus[0].readings!.gpuTempC).toBeGreaterThan(t0 + 2);
  });

  it('GPU faults show in the dcgm text: XID value, off-bus GPU drops out', () => {
    const w = world();
    w.step(10);
    const xid = w.inject('gpu-xid', 'GPU-r1-node1-3', { xid: 94 });
    w.inject('gpu-off-bus', 'GPU-r1-node1-5');
    w.step(1);
    const text = renderGpuHostMetrics(w, 'r1-node1');
    expect(text).toMatch(/DCGM_FI_DEV_XID_ERRORS\{gpu="3",[^}]*\} 94\n/);
    expect(text).not.toContain('UUID="GPU-r1-node1-5"');
    w.clear(xid);
    expect(renderGpuHostMetrics(w, 'r1-node1')).toMatch(/DCGM_FI_DEV_XID_ERRORS\{gpu="3",[^}]*\} 0\n/);
    expect(() => w.inject('gpu-xid', 'GPU-nope')).toThrow(/unknown target/);
  });

  it('network-link-down flips the link metric', () => {
    const w = world();
    w.step(1);
    const id = w.inject('network-link-down', 'r1-node2/ib1');
    expect(renderFacilityMetrics(w)).toContain('plenum_server_network_link_up{site="site-1",hall="hall-1",rack="r1",hostname="r1-node2",link="ib1"} 0');
    w.clear(id);
    expect(renderFacilityMetrics(w)).toContain('plenum_server_network_link_up{site="site-1",hall="hall-1",rack="r1",hostname="r1-node2",link="ib1"} 1');
  });

  it('applyInventory adds and removes hosts and keeps the state of the others', () => {
    const w = world();
    w.setWorkload('GPU-r1-node1-0', 'compute-bound', 1);
    w.step(120);
    const energyBefore = w.gpuReadings('GPU-r1-node1-0')!.energyMj;
    const inv = exampleInventory();
    const hall = inv.sites[0].halls[0];
    hall.racks = [hall.racks[0], exampleRack('r3', 1)];
    w.applyInventory(inv);
    expect(w.hostnames().sort()).toEqual(['r1-node1', 'r1-node2', 'r3-node1']);
    expect(w.gpuReadings('GPU-r1-node1-0')!.energyMj).toBe(energyBefore);
    expect(w.getWorkload('GPU-r1-node1-0').kind).toBe('compute-bound');
    w.step(10);
    expect(w.gpuReadings('GPU-r1-node1-0')!.energyMj).toBeGreaterThan(energyBefore);
    expect(w.hostView('r3-node1')).toBeDefined();
  });

  it('the background profile gives a seeded mix of workloads', () => {
    const inv = exampleInventory({ racks: 6, serversPerRack: 4 });
    const w = new World(inv, { seed: 3 });
    w.step(10);
    const kinds = new Set(w.hostnames().map((h) => w.getWorkload(w.hostView(h)!.gpus[0].uuid).kind));
    expect(kinds.size).toBeGreaterThanOrEqual(2);
  });
});

describe('dcgm-exporter text', () => {
  it('matches the dcgm-exporter layout and default counters', () => {
    const w = world();
    w.step(5);
    const text = renderGpuHostMetrics(w, 'r1-node1');
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('# HELP DCGM_FI_DEV_SM_CLOCK SM clock frequency (in MHz).');
    expect(lines[1]).toBe('# TYPE DCGM_FI_DEV_SM_CLOCK gauge');
    expect(lines[2]).toMatch(
      /^DCGM_FI_DEV_SM_CLOCK\{gpu="0",UUID="GPU-r1-node1-0",pci_bus_id="00000000:18:00\.0",device="nvidia0",modelName="NVIDIA H200",Hostname="r1-node1",DCGM_FI_DRIVER_VERSION="580\.159\.04"\} \d+$/,
    );
    expect(text).toContain('# TYPE DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION counter');
    expect(text).toMatch(/DCGM_FI_DEV_POWER_USAGE\{[^}]*\} \d+\.\d{6}\n/);
    for (const name of [
      'DCGM_FI_DEV_GPU_TEMP',
      'DCGM_FI_DEV_MEMORY_TEMP',
      'DCGM_FI_DEV_GPU_UTIL',
      'DCGM_FI_DEV_MEM_COPY_UTIL',
      'DCGM_FI_DEV_FB_USED',
      'DCGM_FI_DEV_FB_FREE',
      'DCGM_FI_DEV_MEM_CLOCK',
      'DCGM_FI_DEV_XID_ERRORS',
      'DCGM_FI_PROF_GR_ENGINE_ACTIVE',
    ]) {
      expect(lines.filter((l) => l.startsWith(`${name}{`))).toHaveLength(8);
    }
    expect(renderGpuHostMetrics(w, 'r1-node1', { hostnameLabel: 'hostname' })).toContain('hostname="r1-node1"');
  });
});

describe('World: die leakage', () => {
  const h200 = GPU_MODELS['H200-SXM'];
  const k = h200.leakage!.wPerC;
  const crahSupplyC = defaultCoolingParams('crah', 1).supplySetpointC;

  /** The example site with every CRAH's supply setpoint raised by raiseC, every GPU on one workload, settled. */
  function settledWorld(raiseC: number, kind: WorkloadKind, util: number): World {
    const inventory = exampleInventory();
    for (const unit of inventory.sites[0].coolingUnits ?? []) unit.supplyTempC = crahSupplyC + raiseC;
    const w = new World(inventory, { seed: 7, noise: false });
    for (const host of w.hostnames()) for (const g of w.hostView(host)!.gpus) w.setWorkload(g.uuid, kind, util);
    w.step(1800);
    return w;
  }
  const inletC = (w: World) => w.siteView('site-1')!.sensors.find((s) => s.id === 'r1:inlet')!.tempC;

  for (const [kind, util] of [
    ['idle-with-context', 0],
    ['memory-bound', 1],
    ['compute-bound', 0.3],
  ] as const) {
    it(`${kind}: inlet +10 °C from the room model → each GPU draws the leakage slope × its die's rise more`, () => {
      const base = settledWorld(0, kind, util);
      const warm = settledWorld(10, kind, util);
      expect(inletC(warm) - inletC(base)).toBeCloseTo(10, 1);
      const gpus = (w: World) => w.hostView('r1-node1')!.gpus.map((g) => g.readings!);
      const [b, h] = [gpus(base), gpus(warm)];
      for (let i = 0; i < b.length; i++) {
        const riseC = h[i].gpuTempC - b[i].gpuTempC;
        const extraW = h[i].powerW - b[i].powerW;
        // The die rises with the air at the heatsink, less what the faster fans take off the chassis preheat (the
        // BMC speeds them up above a 27 °C inlet: at a copy's load they halve the preheat, +4 °C at the die).
        expect(riseC, `GPU ${i}`).toBeGreaterThanOrEqual(3);
        expect(riseC, `GPU ${i}`).toBeLessThanOrEqual(11);
        // Whole-degree readings: each temperature may sit 0.5 °C off the die's, so k × 1 °C either way.
        expect(Math.abs(extraW - k * riseC), `GPU ${i}`).toBeLessThanOrEqual(k);
        expect(h[i].smClockMhz).toBe(b[i].smClockMhz);
      }
      // The fleet's power rises with it: eight GPUs per server, through the PSUs.
      const gpuW = (w: World) => w.hostView('r1-node1')!.server.gpuPowerW;
      expect(gpuW(warm) - gpuW(base)).toBeGreaterThan(8 * k * 2);
    });
  }

  it('power never exceeds the power cap: a capped fleet whose cooling fails holds its cap while its dies heat', () => {
    const w = new World(exampleInventory(), { seed: 7, noise: false });
    allTraining(w);
    const uuids = w.hostnames().flatMap((host) => w.hostView(host)!.gpus.map((g) => g.uuid));
    w.setPowerLimit(uuids[0], 400);
    w.step(600);
    const dieC = () => Math.max(...uuids.map((u) => w.gpuReadings(u)!.gpuTempC));
    const before = dieC();
    w.inject('cooling-unit-failure', 'crah-1');
    w.inject('cooling-unit-failure', 'crah-2');
    for (let t = 0; t < 1200; t += 10) {
      w.step(10);
      for (const u of uuids) {
        const r = w.gpuReadings(u)!;
        const targetW = r.powerLimitW * h200.capTargetRatio;
        expect(r.powerW, u).toBeLessThanOrEqual(targetW + 1e-3);
        expect(r.powerInstantW, u).toBeLessThanOrEqual(targetW + 1e-3);
      }
    }
    // The dies got hot enough for the leakage to matter (~0.58 W/°C × the rise), and the clocks gave way.
    expect(dieC() - before).toBeGreaterThan(5);
    expect(w.gpuReadings(uuids[0])!.powerLimitW).toBe(400);
  });
});
