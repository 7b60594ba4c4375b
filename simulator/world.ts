/**
 * The virtual data center: builds the hardware models from a SimInventory, advances them together (step), follows
 * inventory changes (applyInventory), takes workloads for GPUs (setWorkload) and faults (inject / clear).
 * Deterministic: same inventory, seed, start time and call sequence ⇒ same readings.
 */
import type { SimCoolingUnit, SimGpu, SimHall, SimInventory, SimRack, SimServer, SimSite } from './inventory';
import { advanceProfile, DEFAULT_LOAD_MIX, type HostProfile, type LoadMix, pickProfile } from './load-profile';
import { type CoolingUnitReadings, CoolingUnitSim, defaultCoolingParams, redundancyOk } from './models/cooling';
import { type FacilityPower, facilityPower } from './models/facility';
import { GpuSim, type GpuReadings, type Workload, type WorkloadKind } from './models/gpu';
import { DEFAULT_PDU_OUTLETS, DEFAULT_PDU_PHASE_VOLTAGE_V, newRackPdu, outletLoadsW, pduLive, type RackPduState, splitServerLoad, stepPduBreaker } from './models/pdu';
import { AIR_ZONE, LIQUID_ZONE, relativeHumidityPct, ThermalZone } from './models/room';
import { defaultServerParams, ServerSim, type ServerState } from './models/server';
import { defaultUpsParams, UpsSim, type UpsState } from './models/ups';
import { hashString, Rng } from './rng';

export type FaultKind =
  | 'gpu-xid'
  | 'gpu-off-bus'
  | 'gpu-thermal-runaway'
  | 'server-fan-failure'
  | 'cooling-unit-failure'
  | 'utility-outage'
  | 'ups-on-battery'
  | 'pdu-breaker-trip'
  | 'network-link-down';

export const FAULT_KINDS: readonly FaultKind[] = [
  'gpu-xid',
  'gpu-off-bus',
  'gpu-thermal-runaway',
  'server-fan-failure',
  'cooling-unit-failure',
  'utility-outage',
  'ups-on-battery',
  'pdu-breaker-trip',
  'network-link-down',
];

/** What each fault kind targets. */
export const FAULT_TARGETS: Record<FaultKind, string> = {
  'gpu-xid': 'GPU UUID',
  'gpu-off-bus': 'GPU UUID',
  'gpu-thermal-runaway': 'GPU UUID',
  'server-fan-failure': 'server hostname',
  'cooling-unit-failure': 'cooling unit id',
  'utility-outage': 'site id',
  'ups-on-battery': 'UPS id',
  'pdu-breaker-trip': 'rack PDU id',
  'network-link-down': 'hostname (all links) or hostname/link',
};

export interface FaultOptions {
  /** gpu-xid: the XID code (default 48, double-bit ECC error). */
  xid?: number;
}

export interface Fault {
  id: string;
  kind: FaultKind;
  target: string;
  options: FaultOptions;
  sinceMs: number;
  /** 'injected' by a caller; 'model' when the simulation raised it (e.g. a PDU breaker tripped on overload). */
  origin: 'injected' | 'model';
}

export interface WorldOptions {
  seed?: number;
  /** Simulated start time, Unix epoch ms (default 2026-11-26T00:00:00Z). */
  startMs?: number;
  loadMix?: LoadMix;
  /** DCGM_FI_DRIVER_VERSION label (default: the driver of the real H200 trace). */
  driverVersion?: string;
  /** Longest internal sub-step, s (default 5). */
  maxSubStepS?: number;
  /** Sensor noise on GPU readings (default true). */
  noise?: boolean;
}

export const DEFAULT_START_MS = Date.UTC(2026, 10, 26, 0, 0, 0);

// ----- internal nodes

interface GpuNode {
  inv: SimGpu;
  sim: GpuSim;
  /** A job's workload; null: the host's background profile drives the GPU. */
  override: Workload | null;
}

interface HostNode {
  inv: SimServer;
  siteId: string;
  hallId: string;
  rackId: string;
  sim: ServerSim;
  gpus: GpuNode[];
  profile: HostProfile;
  rng: Rng;
  links: string[];
}

interface RackNode {
  inv: SimRack;
  siteId: string;
  hallId: string;
  liquid: boolean;
  pdus: (RackPduState & { upsId?: string })[];
  hosts: HostNode[];
  inletOffsetC: number;
  inletTempC: number;
  outletTempC: number;
  itW: number;
  /** Each server's AC load in the last step, W, in inventory order, then each steady load's (the PDU outlets they plug into). */
  serverLoadsW: number[];
}

interface CoolingNode {
  inv: SimCoolingUnit;
  sim: CoolingUnitSim;
}

interface HallNode {
  inv: SimHall;
  siteId: string;
  air: ThermalZone;
  liquid: ThermalZone;
  racks: RackNode[];
  airUnits: CoolingNode[];
  cdus: CoolingNode[];
  humidityPct: number;
}

interface SiteNode {
  inv: SimSite;
  halls: HallNode[];
  upses: Map<string, UpsSim>;
  cooling: CoolingNode[];
  outageS: number;
  utilityLive: boolean;
  generatorRunning: boolean;
  power: FacilityPower;
  /** Power from utility + generator (the facility meter), W. */
  utilityW: number;
  itEnergyJ: number;
  facilityEnergyJ: number;
}

// ----- snapshots for the exporters

export interface HostView {
  hostname: string;
  serverId: string;
  siteId: string;
  hallId: string;
  rackId: string;
  server: ServerState;
  gpus: { uuid: string; index: number; pciBusId: string; modelName: string; vendor: string; readings: GpuReadings | null; computePartition?: string; memoryPartition?: string }[];
  links: { name: string; up: boolean }[];
}

export interface SiteView {
  id: string;
  utilityLive: boolean;
  generatorRunning: boolean;
  power: FacilityPower;
  utilityW: number;
  itEnergyJ: number;
  facilityEnergyJ: number;
  upses: { id: string; name: string; ratedW: number; state: UpsState }[];
  pdus: {
    id: string;
    name: string;
    rackId: string;
    hallId: string;
    feed: 'A' | 'B';
    capacityW: number;
    loadW: number;
    live: boolean;
    tripped: boolean;
    /** Power per outlet, W (outlet n at index n − 1). */
    outletsW: number[];
    /** Outlet names: the hostname of the server plugged in, else "Outlet n". */
    outletNames: string[];
    energyJ: number;
    phases: 1 | 3;
    phaseVoltageV: number;
  }[];
  coolingUnits: {
    id: string;
    name: string;
    hallId: string;
    kind: string;
    capacityW: number;
    heatRemovedW: number;
    powerW: number;
    supplyTempC: number;
    running: boolean;
    /** What the unit's controller reports over Modbus / Redfish. */
    readings: CoolingUnitReadings;
  }[];
  halls: { id: string; airTempC: number; coolantTempC: number; heatToAirW: number; airCapacityW: number; nPlusOne: boolean }[];
  sensors: {
    id: string;
    name: string;
    hallId: string;
    rackId: string | null;
    position: 'inlet' | 'outlet' | 'room';
    tempC: number;
    humidityPct: number;
  }[];
  servers: { hostname: string; rackId: string; hallId: string; powerW: number; fanSpeed: number; powered: boolean }[];
}

/** HGX 8-GPU PCI bus ids as nvidia-smi lists them on a DGX H100 / H200. */
const HGX_BUS_IDS = ['18', '2A', '3A', '5D', '9A', 'AB', 'BA', 'DB'];

export function defaultPciBusId(index: number): string {
  const bus = HGX_BUS_IDS[index] ?? (0x10 + index * 0x10).toString(16).toUpperCase().padStart(2, '0');
  return `00000000:${bus}:00.0`;
}

function requireUnique(kind: string, ids: string[]): void {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) throw new Error(`inventory: duplicate ${kind} ${id}`);
    seen.add(id);
  }
}

export class World {
  readonly seed: number;
  readonly driverVersion: string;
  private readonly loadMix: LoadMix;
  private readonly maxSubStepS: number;
  private readonly noise: boolean;
  private timeMs: number;
  private inventory: SimInventory = { sites: [] };
  private sites: SiteNode[] = [];
  private hostsByName = new Map<string, HostNode>();
  private gpusByUuid = new Map<string, GpuNode>();
  private faults = new Map<string, Fault>();
  private faultSeq = 0;

  constructor(inventory: SimInventory, options: WorldOptions = {}) {
    this.seed = options.seed ?? 1;
    this.timeMs = options.startMs ?? DEFAULT_START_MS;
    this.loadMix = options.loadMix ?? DEFAULT_LOAD_MIX;
    this.driverVersion = options.driverVersion ?? '580.159.04';
    this.maxSubStepS = options.maxSubStepS ?? 5;
    this.noise = options.noise ?? true;
    this.applyInventory(inventory);
  }

  get nowMs(): number {
    return this.timeMs;
  }

  getInventory(): SimInventory {
    return this.inventory;
  }

  // ----- inventory

  /** Rebuild the virtual hardware for a new inventory, keeping the state of everything that is still there. */
  applyInventory(inventory: SimInventory): void {
    const racks = inventory.sites.flatMap((s) => s.halls.flatMap((h) => h.racks));
    const servers = racks.flatMap((r) => r.servers);
    requireUnique('site', inventory.sites.map((s) => s.id));
    requireUnique('hall', inventory.sites.flatMap((s) => s.halls.map((h) => h.id)));
    requireUnique('rack', racks.map((r) => r.id));
    requireUnique('hostname', servers.map((s) => s.hostname));
    requireUnique('GPU UUID', servers.flatMap((s) => s.gpus.map((g) => g.uuid)));
    requireUnique('PDU', racks.flatMap((r) => r.pdus.map((p) => p.id)));

    const oldSites = new Map(this.sites.map((s) => [s.inv.id, s]));
    const oldHalls = new Map(this.sites.flatMap((s) => s.halls).map((h) => [h.inv.id, h]));
    const oldRacks = new Map(this.sites.flatMap((s) => s.halls.flatMap((h) => h.racks)).map((r) => [r.inv.id, r]));
    const oldPdus = new Map([...oldRacks.values()].flatMap((r) => r.pdus).map((p) => [p.id, p]));
    const oldHosts = new Map([...this.hostsByName.values()].map((h) => [h.inv.id, h]));
    const oldGpus = this.gpusByUuid;

    const hostsByName = new Map<string, HostNode>();
    const gpusByUuid = new Map<string, GpuNode>();
    const sites: SiteNode[] = inventory.sites.map((site) => {
      const old = oldSites.get(site.id);
      const upses = new Map<string, UpsSim>();
      for (const u of site.upses ?? []) {
        const prev = old?.upses.get(u.id);
        const sameRating =
          prev && prev.params.ratedW === u.ratedKw * 1000 && prev.params.runtimeAtFullLoadMin === (u.runtimeAtFullLoadMin ?? 10);
        upses.set(u.id, sameRating ? prev : new UpsSim(defaultUpsParams(u.ratedKw * 1000, u.runtimeAtFullLoadMin ?? 10)));
      }
      const oldCooling = new Map((old?.cooling ?? []).map((c) => [c.inv.id, c]));
      const cooling: CoolingNode[] = (site.coolingUnits ?? []).map((unit) => {
        const prev = oldCooling.get(unit.id);
        const keep = prev && prev.inv.kind === unit.kind && prev.inv.capacityKw === unit.capacityKw && prev.inv.supplyTempC === unit.supplyTempC;
        return { inv: unit, sim: keep ? prev.sim : new CoolingUnitSim(defaultCoolingParams(unit.kind, unit.capacityKw * 1000, unit.supplyTempC)) };
      });
      const halls: HallNode[] = site.halls.map((hall) => {
        const prevHall = oldHalls.get(hall.id);
        const hallCooling = cooling.filter((c) => c.inv.hallId === hall.id);
        const airUnits = hallCooling.filter((c) => c.inv.kind !== 'cdu');
        const cdus = hallCooling.filter((c) => c.inv.kind === 'cdu');
        const airSupply = airUnits[0]?.sim.params.supplySetpointC ?? 22;
        const liquidSupply = cdus[0]?.sim.params.supplySetpointC ?? 32;
        const rackNodes: RackNode[] = hall.racks.map((rack) => {
          const prevRack = oldRacks.get(rack.id);
          const liquid = rack.cooling === 'liquid';
          const pdus = rack.pdus.map((p) => {
            const prev = oldPdus.get(p.id);
            const state = prev && prev.capacityW === p.capacityKw * 1000 && prev.feed === p.feed ? prev : newRackPdu(p.id, p.feed, p.capacityKw * 1000);
            return Object.assign(state, { upsId: p.upsId });
          });
          const hosts: HostNode[] = rack.servers.map((server) => {
            const prevHost = oldHosts.get(server.id);
            const firstModel = server.gpus[0]?.model;
            const params = { ...defaultServerParams(firstModel, server.gpus.length, liquid), ...server.params };
            const keepServer = prevHost && JSON.stringify(prevHost.sim.params) === JSON.stringify(params);
            const gpus: GpuNode[] = server.gpus.map((g) => {
              const prevGpu = oldGpus.get(g.uuid);
              const node: GpuNode =
                prevGpu && prevGpu.inv.model === g.model
                  ? { ...prevGpu, inv: g }
                  : {
                      inv: g,
                      override: null,
                      sim: new GpuSim({
                        uuid: g.uuid,
                        index: g.index,
                        model: g.model,
                        rng: Rng.derive(this.seed, `gpu:${g.uuid}`),
                        energyStartMj: Math.floor(Rng.derive(this.seed, `energy:${g.uuid}`).uniform(1e8, 5e10)),
                        initialAirTempC: liquid ? liquidSupply + 3 : airSupply + AIR_ZONE.baseOffsetC + 5,
                        noise: this.noise,
                      }),
                    };
              gpusByUuid.set(g.uuid, node);
              return node;
            });
            const rng = prevHost?.rng ?? Rng.derive(this.seed, `host:${server.id}`);
            const host: HostNode = {
              inv: server,
              siteId: site.id,
              hallId: hall.id,
              rackId: rack.id,
              sim: keepServer ? prevHost.sim : new ServerSim(params),
              gpus,
              profile: prevHost?.profile ?? pickProfile(this.loadMix, Rng.derive(this.seed, `profile:${server.id}`)),
              rng,
              links: server.links ?? [],
            };
            hostsByName.set(server.hostname, host);
            return host;
          });
          const offsetRng = Rng.derive(this.seed, `rack:${rack.id}`);
          const inletTempC = prevRack?.inletTempC ?? airSupply + AIR_ZONE.baseOffsetC;
          return {
            inv: rack,
            siteId: site.id,
            hallId: hall.id,
            liquid,
            pdus,
            hosts,
            inletOffsetC: offsetRng.uniform(-0.8, 0.8),
            inletTempC,
            outletTempC: prevRack?.outletTempC ?? inletTempC,
            itW: prevRack?.itW ?? 0,
            serverLoadsW: prevRack?.serverLoadsW ?? [],
          };
        });
        return {
          inv: hall,
          siteId: site.id,
          air: prevHall?.air ?? new ThermalZone(AIR_ZONE, airSupply + AIR_ZONE.baseOffsetC),
          liquid: prevHall?.liquid ?? new ThermalZone(LIQUID_ZONE, liquidSupply),
          racks: rackNodes,
          airUnits,
          cdus,
          humidityPct: prevHall?.humidityPct ?? hall.humiditySetpointPct ?? 45,
        };
      });
      return {
        inv: site,
        halls,
        upses,
        cooling,
        outageS: old?.outageS ?? 0,
        utilityLive: old?.utilityLive ?? true,
        generatorRunning: old?.generatorRunning ?? false,
        power: old?.power ?? facilityPower({ itW: 0, coolingW: 0, upsLossW: 0, upsChargingW: 0, lightingW: 0, distributionLossFraction: 0 }),
        utilityW: old?.utilityW ?? 0,
        itEnergyJ: old?.itEnergyJ ?? 0,
        facilityEnergyJ: old?.facilityEnergyJ ?? 0,
      };
    });

    for (const site of inventory.sites) {
      for (const rack of site.halls.flatMap((h) => h.racks)) {
        for (const pdu of rack.pdus) {
          if (pdu.upsId && !(site.upses ?? []).some((u) => u.id === pdu.upsId)) {
            throw new Error(`inventory: PDU ${pdu.id} names UPS ${pdu.upsId}, not in site ${site.id}`);
          }
        }
      }
      for (const unit of site.coolingUnits ?? []) {
        if (!site.halls.some((h) => h.id === unit.hallId)) {
          throw new Error(`inventory: cooling unit ${unit.id} names hall ${unit.hallId}, not in site ${site.id}`);
        }
      }
    }

    this.inventory = inventory;
    this.sites = sites;
    this.hostsByName = hostsByName;
    this.gpusByUuid = gpusByUuid;
    // Faults on hardware that is gone go with it.
    for (const fault of [...this.faults.values()]) {
      if (!this.targetExists(fault.kind, fault.target)) this.faults.delete(fault.id);
    }
  }

  // ----- workloads

  /** Run a job's workload on a GPU (overrides the background profile until clearWorkload). */
  setWorkload(gpuUuid: string, kind: WorkloadKind, util: number, extra: Omit<Workload, 'kind' | 'util'> = {}): void {
    const node = this.gpuNode(gpuUuid);
    node.override = { ...extra, kind, util };
    node.sim.setWorkload(node.override);
  }

  /** Hand the GPU back to the background load profile. */
  clearWorkload(gpuUuid: string): void {
    this.gpuNode(gpuUuid).override = null;
  }

  getWorkload(gpuUuid: string): Workload {
    return this.gpuNode(gpuUuid).sim.getWorkload();
  }

  setPowerLimit(gpuUuid: string, watts: number): void {
    this.gpuNode(gpuUuid).sim.setPowerLimitW(watts);
  }

  private gpuNode(uuid: string): GpuNode {
    const node = this.gpusByUuid.get(uuid);
    if (!node) throw new Error(`unknown GPU ${uuid}`);
    return node;
  }

  // ----- faults

  private targetExists(kind: FaultKind, target: string): boolean {
    switch (kind) {
      case 'gpu-xid':
      case 'gpu-off-bus':
      case 'gpu-thermal-runaway':
        return this.gpusByUuid.has(target);
      case 'server-fan-failure':
        return this.hostsByName.has(target);
      case 'network-link-down': {
        const [hostname, link] = target.split('/');
        const host = this.hostsByName.get(hostname);
        return !!host && (link === undefined || host.links.includes(link));
      }
      case 'cooling-unit-failure':
        return this.sites.some((s) => s.cooling.some((c) => c.inv.id === target));
      case 'utility-outage':
        return this.sites.some((s) => s.inv.id === target);
      case 'ups-on-battery':
        return this.sites.some((s) => s.upses.has(target));
      case 'pdu-breaker-trip':
        return !!this.findPdu(target);
    }
  }

  private findPdu(id: string): RackPduState | undefined {
    for (const site of this.sites)
      for (const hall of site.halls)
        for (const rack of hall.racks) {
          const pdu = rack.pdus.find((p) => p.id === id);
          if (pdu) return pdu;
        }
    return undefined;
  }

  private active(kind: FaultKind, target: string): boolean {
    for (const f of this.faults.values()) if (f.kind === kind && f.target === target) return true;
    return false;
  }

  /** Inject a fault; returns its id. Throws on an unknown target. */
  inject(kind: FaultKind, target: string, options: FaultOptions = {}): string {
    if (!FAULT_KINDS.includes(kind)) throw new Error(`unknown fault kind ${kind}`);
    if (!this.targetExists(kind, target)) throw new Error(`fault ${kind}: unknown target ${target} (${FAULT_TARGETS[kind]})`);
    return this.addFault(kind, target, options, 'injected');
  }

  private addFault(kind: FaultKind, target: string, options: FaultOptions, origin: Fault['origin']): string {
    const wasActive = this.active(kind, target);
    this.faultSeq += 1;
    const id = `fault-${this.faultSeq}`;
    this.faults.set(id, { id, kind, target, options, sinceMs: this.timeMs, origin });
    switch (kind) {
      case 'gpu-xid':
        this.gpuNode(target).sim.injectXid(options.xid ?? 48);
        break;
      case 'gpu-off-bus':
        this.gpuNode(target).sim.setOffBus(true);
        break;
      case 'gpu-thermal-runaway':
        if (!wasActive) this.gpuNode(target).sim.setThermalRunaway(true);
        break;
      case 'pdu-breaker-trip': {
        const pdu = this.findPdu(target);
        if (pdu) pdu.tripped = true;
        break;
      }
      default:
        break;
    }
    return id;
  }

  /** Clear a fault (the hardware is repaired / the breaker reset / utility back). */
  clear(faultId: string): void {
    const fault = this.faults.get(faultId);
    if (!fault) throw new Error(`unknown fault ${faultId}`);
    this.faults.delete(faultId);
    if (this.active(fault.kind, fault.target)) return;
    switch (fault.kind) {
      case 'gpu-xid':
        this.gpusByUuid.get(fault.target)?.sim.clearXid();
        break;
      case 'gpu-off-bus':
        this.gpusByUuid.get(fault.target)?.sim.setOffBus(false);
        break;
      case 'gpu-thermal-runaway':
        this.gpusByUuid.get(fault.target)?.sim.setThermalRunaway(false);
        break;
      case 'pdu-breaker-trip': {
        const pdu = this.findPdu(fault.target);
        if (pdu) {
          pdu.tripped = false;
          pdu.trippedByOverload = false;
          pdu.overloadS = 0;
        }
        break;
      }
      default:
        break;
    }
  }

  listFaults(): Fault[] {
    return [...this.faults.values()].map((f) => ({ ...f, options: { ...f.options } }));
  }

  // ----- time

  /** Advance the world by dtS simulated seconds. */
  step(dtS: number): void {
    if (!(dtS > 0)) return;
    const n = Math.max(1, Math.ceil(dtS / this.maxSubStepS - 1e-9));
    for (let i = 0; i < n; i++) this.subStep(dtS / n);
  }

  private subStep(dtS: number): void {
    for (const site of this.sites) this.stepSite(site, dtS);
    this.timeMs += dtS * 1000;
  }

  private stepSite(site: SiteNode, dtS: number): void {
    // Utility and generator.
    const outage = this.active('utility-outage', site.inv.id);
    site.outageS = outage ? site.outageS + dtS : 0;
    site.utilityLive = !outage;
    const gen = site.inv.generator;
    site.generatorRunning = outage && !!gen && site.outageS >= gen.startDelayS;
    const sourceLive = site.utilityLive || site.generatorRunning;
    // A UPS whose own input failed (ups-on-battery) runs on its battery while the rest of the site keeps utility.
    const upsInputLive = (id: string) => sourceLive && !this.active('ups-on-battery', id);
    const upsOutputLive = (id: string) => {
      const ups = site.upses.get(id);
      return !!ups && (upsInputLive(id) || ups.state.batteryWh > 0);
    };

    // Racks: power availability, GPUs, servers, PDU loads.
    const upsLoadW = new Map<string, number>([...site.upses.keys()].map((id) => [id, 0]));
    let itW = 0;
    for (const hall of site.halls) {
      for (const rack of hall.racks) {
        for (const pdu of rack.pdus) pdu.sourceLive = pdu.upsId ? upsOutputLive(pdu.upsId) : sourceLive;
        const powered = rack.pdus.some(pduLive);
        const inletTempC = rack.inletTempC;
        const coolantTempC = hall.liquid.tempC;
        const serverLoads: number[] = [];
        let exhaustWeighted = 0;
        for (const host of rack.hosts) {
          const env = {
            inletTempC,
            coolantTempC,
            powered,
            fanFailure: this.active('server-fan-failure', host.inv.hostname),
          };
          const airTempC = host.sim.gpuAirTempC(env);
          const profileWorkload = advanceProfile(host.profile, dtS, host.rng);
          const gpuEnv = { airTempC, powered };
          const gpuInputs = host.gpus.map((g) => {
            if (!g.override) g.sim.setWorkload(profileWorkload);
            g.sim.step(dtS, gpuEnv);
            return {
              drawW: g.sim.drawW,
              utilization: g.sim.demandedUtilization,
              dieTempC: g.sim.dieTemperatureC,
              readable: g.sim.readable,
            };
          });
          const state = host.sim.step(dtS, env, gpuInputs);
          serverLoads.push(state.acPowerW);
          exhaustWeighted += state.heatToAirW * (state.exhaustTempC - inletTempC);
        }
        // Switches, storage and CPU servers draw their typical power while the rack has power.
        for (const load of rack.inv.steadyLoads ?? []) serverLoads.push(powered ? load.typicalKw * 1000 : 0);
        rack.serverLoadsW = serverLoads;
        const loads = splitServerLoad(serverLoads, rack.pdus);
        rack.itW = 0;
        for (const pdu of rack.pdus) {
          pdu.loadW = loads.get(pdu.id) ?? 0;
          pdu.energyJ += pdu.loadW * dtS;
          rack.itW += pdu.loadW;
          if (pdu.upsId) upsLoadW.set(pdu.upsId, (upsLoadW.get(pdu.upsId) ?? 0) + pdu.loadW);
          if (stepPduBreaker(pdu, dtS)) this.addFault('pdu-breaker-trip', pdu.id, {}, 'model');
        }
        itW += rack.itW;
        const airHeat = rack.hosts.reduce((sum, h) => sum + h.sim.state.heatToAirW, 0);
        const rise = airHeat > 0 ? exhaustWeighted / airHeat : 0;
        rack.outletTempC = inletTempC + rise;
      }
    }

    // UPSs.
    let upsLossW = 0;
    let upsChargingW = 0;
    let batteryW = 0;
    for (const [id, ups] of site.upses) {
      const inputLive = upsInputLive(id);
      const state = ups.step(dtS, inputLive, upsLoadW.get(id) ?? 0);
      upsLossW += state.lossW;
      upsChargingW += state.chargingW;
      if (!inputLive) batteryW += state.outputPowerW + state.lossW;
    }

    // Cooling and room temperatures, hall by hall.
    let coolingW = 0;
    let lightingW = (site.inv.lightingKw ?? 0) * 1000;
    const anyUpsLive = [...site.upses.keys()].some(upsOutputLive);
    for (const hall of site.halls) {
      lightingW += sourceLive ? (hall.inv.lightingKw ?? 2) * 1000 : 0;
      const unitRunning = (c: CoolingNode) =>
        !this.active('cooling-unit-failure', c.inv.id) && (c.inv.onUps ? anyUpsLive : sourceLive);
      let airHeatW = 0;
      let liquidHeatW = 0;
      let riseWeighted = 0;
      for (const rack of hall.racks) {
        for (const host of rack.hosts) {
          const s = host.sim.state;
          if (hall.cdus.length > 0) liquidHeatW += s.heatToLiquidW;
          const air = s.heatToAirW + (hall.cdus.length > 0 ? 0 : s.heatToLiquidW);
          airHeatW += air;
          riseWeighted += s.heatToAirW * (s.exhaustTempC - rack.inletTempC);
        }
        // Steady loads (after the servers in serverLoadsW) turn all their power into room heat.
        airHeatW += rack.serverLoadsW.slice(rack.hosts.length).reduce((sum, w) => sum + w, 0);
      }
      const airRise = airHeatW > 0 ? riseWeighted / airHeatW : 10;
      const airCooling = this.runZoneUnits(hall.airUnits, unitRunning, airHeatW, hall.air.tempC + airRise, dtS);
      const liquidCooling = this.runZoneUnits(hall.cdus, unitRunning, liquidHeatW, hall.liquid.tempC + 10, dtS);
      coolingW += airCooling.powerW + liquidCooling.powerW;
      hall.air.step(dtS, { heatW: airHeatW, capacityW: airCooling.capacityW, supplyTempC: airCooling.supplyTempC, exhaustRiseC: airRise });
      hall.liquid.step(dtS, { heatW: liquidHeatW, capacityW: liquidCooling.capacityW, supplyTempC: liquidCooling.supplyTempC, exhaustRiseC: 10 });
      for (const rack of hall.racks) rack.inletTempC = hall.air.tempC + rack.inletOffsetC;
      const supplyC = airCooling.capacityW > 0 ? airCooling.supplyTempC : hall.air.tempC;
      hall.humidityPct = relativeHumidityPct(hall.inv.humiditySetpointPct ?? 45, supplyC + AIR_ZONE.baseOffsetC, hall.air.tempC);
    }

    site.power = facilityPower({
      itW,
      coolingW,
      upsLossW,
      upsChargingW,
      lightingW,
      distributionLossFraction: site.inv.distributionLossFraction ?? 0.01,
    });
    // Battery discharge (a site outage, or one UPS whose input failed) is not drawn from the utility.
    site.utilityW = Math.max(0, site.power.facilityW - batteryW);
    site.itEnergyJ += itW * dtS;
    site.facilityEnergyJ += site.power.facilityW * dtS;
  }

  private runZoneUnits(
    units: CoolingNode[],
    running: (c: CoolingNode) => boolean,
    heatW: number,
    returnTempC: number,
    dtS: number,
  ): { capacityW: number; supplyTempC: number; powerW: number } {
    const live = units.filter(running);
    const capacityW = live.reduce((sum, c) => sum + c.sim.params.capacityW, 0);
    let powerW = 0;
    let supplyWeighted = 0;
    for (const unit of units) {
      const isRunning = live.includes(unit);
      const share = isRunning && capacityW > 0 ? unit.sim.params.capacityW / capacityW : 0;
      const state = unit.sim.step(dtS, isRunning, heatW * share, returnTempC);
      powerW += state.powerW;
      if (isRunning) supplyWeighted += state.supplyTempC * unit.sim.params.capacityW;
    }
    return { capacityW, supplyTempC: capacityW > 0 ? supplyWeighted / capacityW : returnTempC, powerW };
  }

  // ----- views for exporters and tests

  hostnames(): string[] {
    return [...this.hostsByName.keys()];
  }

  hostView(hostname: string): HostView | undefined {
    const host = this.hostsByName.get(hostname);
    if (!host) return undefined;
    return {
      hostname,
      serverId: host.inv.id,
      siteId: host.siteId,
      hallId: host.hallId,
      rackId: host.rackId,
      server: host.sim.state,
      gpus: host.gpus.map((g) => ({
        uuid: g.inv.uuid,
        index: g.inv.index,
        pciBusId: g.inv.pciBusId ?? defaultPciBusId(g.inv.index),
        modelName: g.sim.params.modelName,
        vendor: g.sim.params.vendor,
        readings: g.sim.readings(),
        ...(g.inv.computePartition ? { computePartition: g.inv.computePartition } : {}),
        ...(g.inv.memoryPartition ? { memoryPartition: g.inv.memoryPartition } : {}),
      })),
      links: host.links.map((name) => ({
        name,
        up: !this.active('network-link-down', hostname) && !this.active('network-link-down', `${hostname}/${name}`) && host.sim.state.powered,
      })),
    };
  }

  gpuReadings(uuid: string): GpuReadings | null {
    return this.gpuNode(uuid).sim.readings();
  }

  siteIds(): string[] {
    return this.sites.map((s) => s.inv.id);
  }

  /** A cooling unit's controller readings (its Modbus registers), by inventory id; undefined for an unknown unit. */
  coolingUnitReadings(unitId: string): (CoolingUnitReadings & { kind: string }) | undefined {
    for (const site of this.sites) {
      const unit = site.cooling.find((c) => c.inv.id === unitId);
      if (unit) return { ...unit.sim.readings(), kind: unit.inv.kind };
    }
    return undefined;
  }

  siteView(siteId: string): SiteView | undefined {
    const site = this.sites.find((s) => s.inv.id === siteId);
    if (!site) return undefined;
    const racks = site.halls.flatMap((h) => h.racks);
    return {
      id: site.inv.id,
      utilityLive: site.utilityLive,
      generatorRunning: site.generatorRunning,
      power: site.power,
      utilityW: site.utilityW,
      itEnergyJ: site.itEnergyJ,
      facilityEnergyJ: site.facilityEnergyJ,
      upses: (site.inv.upses ?? []).map((u) => {
        const sim = site.upses.get(u.id)!;
        return { id: u.id, name: u.name ?? u.id, ratedW: sim.params.ratedW, state: sim.state };
      }),
      pdus: racks.flatMap((rack) => {
        const livePdus = rack.pdus.filter(pduLive).length;
        return rack.pdus.map((p) => {
          const inv = rack.inv.pdus.find((q) => q.id === p.id);
          const outlets = inv?.outlets ?? DEFAULT_PDU_OUTLETS;
          return {
            id: p.id,
            name: inv?.name ?? p.id,
            rackId: rack.inv.id,
            hallId: rack.hallId,
            feed: p.feed,
            capacityW: p.capacityW,
            loadW: p.loadW,
            live: pduLive(p),
            tripped: p.tripped,
            outletsW: outletLoadsW(rack.serverLoadsW, p, livePdus, outlets),
            outletNames: Array.from({ length: outlets }, (_, i) => rack.hosts[i]?.inv.hostname ?? `Outlet ${i + 1}`),
            energyJ: p.energyJ,
            phases: inv?.phases ?? 3,
            phaseVoltageV: inv?.phaseVoltageV ?? DEFAULT_PDU_PHASE_VOLTAGE_V,
          };
        });
      }),
      coolingUnits: site.cooling.map((c) => ({
        id: c.inv.id,
        name: c.inv.name ?? c.inv.id,
        hallId: c.inv.hallId,
        kind: c.inv.kind,
        capacityW: c.sim.params.capacityW,
        heatRemovedW: c.sim.state.heatRemovedW,
        powerW: c.sim.state.powerW,
        supplyTempC: c.sim.state.supplyTempC,
        running: c.sim.state.running,
        readings: c.sim.readings(),
      })),
      halls: site.halls.map((h) => {
        const heat = h.racks.reduce((sum, r) => sum + r.hosts.reduce((s2, host) => s2 + host.sim.state.heatToAirW, 0), 0);
        const caps = h.airUnits.filter((c) => c.sim.state.running).map((c) => c.sim.params.capacityW);
        return {
          id: h.inv.id,
          airTempC: h.air.tempC,
          coolantTempC: h.liquid.tempC,
          heatToAirW: heat,
          airCapacityW: caps.reduce((a, b) => a + b, 0),
          nPlusOne: redundancyOk(caps, heat),
        };
      }),
      sensors: site.halls.flatMap((hall) => [
        ...(hall.inv.sensors ?? []).map((s) => ({
          id: s.id,
          name: s.name ?? s.id,
          hallId: hall.inv.id,
          rackId: null,
          position: s.position,
          tempC: hall.air.tempC,
          humidityPct: hall.humidityPct,
        })),
        ...hall.racks.flatMap((rack) => {
          const declared = rack.inv.sensors ?? [
            { id: `${rack.inv.id}:inlet`, position: 'inlet' as const },
            { id: `${rack.inv.id}:outlet`, position: 'outlet' as const },
          ];
          return declared.map((s) => {
            const tempC = s.position === 'outlet' ? rack.outletTempC : rack.inletTempC;
            return {
              id: s.id,
              name: ('name' in s && s.name) || s.id,
              hallId: hall.inv.id,
              rackId: rack.inv.id,
              position: s.position,
              tempC,
              humidityPct: relativeHumidityPct(hall.humidityPct, hall.air.tempC, tempC),
            };
          });
        }),
      ]),
      servers: racks.flatMap((rack) =>
        rack.hosts.map((h) => ({
          hostname: h.inv.hostname,
          rackId: rack.inv.id,
          hallId: rack.hallId,
          powerW: h.sim.state.acPowerW,
          fanSpeed: h.sim.state.fanSpeed,
          powered: h.sim.state.powered,
        })),
      ),
    };
  }
}

/** Stable small integer from a string (for seeding callers that want one). */
export function seedFrom(text: string): number {
  return hashString(text);
}
