/**
 * The plain inventory description the simulator builds its virtual hardware from. It mirrors the product's
 * inventory (sites → halls → racks → servers → GPUs; rack PDUs with A/B feeds; UPSs; cooling units; sensors) but
 * holds only what the physics needs, so the database layer maps its rows onto it in one place.
 * Power in kW, temperatures in °C, as everywhere: units are in the field names.
 */
import type { GpuModelId } from './models/gpu-params';

export interface SimInventory {
  sites: SimSite[];
}

export interface SimSite {
  id: string;
  name?: string;
  halls: SimHall[];
  upses?: SimUps[];
  coolingUnits?: SimCoolingUnit[];
  /** Standby generator: after a utility outage it picks up the load after startDelayS. Absent: no generator. */
  generator?: { capacityKw: number; startDelayS: number };
  /** Lighting and other non-IT building load outside the halls, kW (default 0). */
  lightingKw?: number;
  /** Transformer / switchgear / cabling losses as a fraction of the power they carry (default 0.01). */
  distributionLossFraction?: number;
}

export interface SimHall {
  id: string;
  name?: string;
  /** Lighting and small loads of the hall, kW (default 2). */
  lightingKw?: number;
  /** Relative humidity the air handling holds at the supply temperature, % (default 45). */
  humiditySetpointPct?: number;
  racks: SimRack[];
  /** Sensors with no rack (room sensors). Racks without declared sensors get an inlet and an outlet sensor. */
  sensors?: SimSensor[];
}

export interface SimRack {
  id: string;
  name?: string;
  /** 'liquid': direct-to-chip cooled, ~85 % of the heat goes to the coolant loop (default 'air'). */
  cooling?: 'air' | 'liquid';
  pdus: SimRackPdu[];
  servers: SimServer[];
  /**
   * Equipment without GPUs that draws from the rack PDUs at a steady rate: network switches, storage enclosures, CPU
   * servers. Plugged in after the servers (outlet order), its heat goes to the room air.
   */
  steadyLoads?: SimSteadyLoad[];
  sensors?: SimSensor[];
}

export interface SimSteadyLoad {
  id: string;
  /** Typical draw, kW (the device type's typical power: a 64-port 400G InfiniBand switch draws about 1.1 kW). */
  typicalKw: number;
}

export interface SimRackPdu {
  id: string;
  name?: string;
  feed: 'A' | 'B';
  /** Rated capacity of the PDU's input breaker, kW (V × A × √3 × pf for three-phase). */
  capacityKw: number;
  /** UPS feeding this PDU; absent: fed straight from the utility / generator. */
  upsId?: string;
  /** Outlets (default 24): server i plugs into outlet (i mod outlets) + 1. */
  outlets?: number;
  /** Input phases (default 3) and phase-to-neutral voltage, V (default 230): the SNMP agent's phase readings. */
  phases?: 1 | 3;
  phaseVoltageV?: number;
}

export interface SimServer {
  id: string;
  hostname: string;
  /** Free-text model, e.g. "HGX H200 8-GPU" (informational). */
  model?: string;
  gpus: SimGpu[];
  /** Network links, e.g. ["ib0", "ib1", "eth0"] (default: none). */
  links?: string[];
  /** Overrides of the server's electrical / thermal parameters (defaults follow the GPU model and count). */
  params?: Partial<import('./models/server').ServerParams>;
}

export interface SimGpu {
  uuid: string;
  index: number;
  model: GpuModelId;
  /** PCI bus id as NVML prints it, e.g. "00000000:18:00.0" (default derived from the index). */
  pciBusId?: string;
  /** AMD partition modes as the exporter labels them (default SPX / NPS1). */
  computePartition?: string;
  memoryPartition?: string;
}

export interface SimUps {
  id: string;
  name?: string;
  ratedKw: number;
  /** Battery runtime at rated load, min (default 10). */
  runtimeAtFullLoadMin?: number;
}

export type CoolingUnitKind = 'crah' | 'crac' | 'inrow' | 'rdhx' | 'cdu';

export interface SimCoolingUnit {
  id: string;
  name?: string;
  kind: CoolingUnitKind;
  capacityKw: number;
  /** Hall whose air the unit cools (CRAH / CRAC / in-row / rear door), or whose liquid racks a CDU serves. */
  hallId: string;
  /** Only these racks (in-row, rear door, CDU); absent: the whole hall. */
  rackIds?: string[];
  /** Supply air (or coolant) temperature setpoint, °C (default 22 for air units, 32 for CDUs). */
  supplyTempC?: number;
  /** Powered from a UPS (CDU pumps often are); default false: stops during a utility outage until the generator runs. */
  onUps?: boolean;
}

export interface SimSensor {
  id: string;
  name?: string;
  position: 'inlet' | 'outlet' | 'room';
}
