/**
 * A Modbus TCP server (jsmodbus's, on one TCP port) answering for many devices, each a unit id, as a Modbus TCP
 * gateway does. What a unit serves comes from `answer(unitId)` at each request: a register image (built with a
 * register map's encode side, src/telemetry/modbus/register-map.ts), a Modbus exception code, or silence.
 *
 * Reads (function codes 1-4) of registers the image does not hold get "illegal data address", as a real controller
 * answers for registers it does not implement; writes get "illegal function" (the simulated controllers are read-only);
 * a unit id nobody answers for gets "gateway target device failed to respond".
 */
import type { EventEmitter } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import {
  encodeImage,
  loadRegisterMap,
  type ReadBlock,
  type RegisterImage,
  type RegisterMap,
  type RegisterPoint,
  type RegisterTable,
  readImage,
} from '../../src/telemetry/modbus/register-map';
import type { SimInventory } from '../inventory';
import type { CoolingUnitReadings } from '../models/cooling';

// jsmodbus is CommonJS: Node's ESM loader cannot see its re-exported ModbusTCPResponse as a named export.
const { ModbusTCPResponse, responses, server: modbusServer } = createRequire(import.meta.url)('jsmodbus') as typeof import('jsmodbus');
import type { World } from '../world';

/** Modbus exception codes (Modbus Application Protocol v1.1b3, §7). */
export const MODBUS_EXCEPTION = {
  illegalFunction: 0x01,
  illegalDataAddress: 0x02,
  illegalDataValue: 0x03,
  deviceFailure: 0x04,
  busy: 0x06,
  gatewayPathUnavailable: 0x0a,
  gatewayTargetFailed: 0x0b,
} as const;

/** What a unit answers: its registers, an exception code for every request, or nothing at all (a hung device). */
export type UnitAnswer = { image: RegisterImage } | { exception: number } | 'silent' | undefined;

const TABLE_OF_FC: Record<number, RegisterTable> = { 1: 'coil', 2: 'discrete', 3: 'holding', 4: 'input' };

// The request types jsmodbus hands to its server events, as far as this server reads them.
type ServerRequest = { unitId: number; body: { fc: number; start?: number; count?: number } };

export class ModbusTcpServer {
  private readonly tcp = net.createServer();
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly answer: (unitId: number) => UnitAnswer) {
    // Without buffers, jsmodbus hands every request to these events (with the unit id), instead of serving one image.
    const modbus: EventEmitter = new modbusServer.TCP(this.tcp, { coils: undefined, discrete: undefined, holding: undefined, input: undefined } as never);
    const onRead = (request: ServerRequest, cb: (payload: Buffer) => void) => this.read(request, cb);
    const onWrite = (request: ServerRequest, cb: (payload: Buffer) => void) => this.reply(request, cb, new responses.ExceptionResponseBody(request.body.fc as never, MODBUS_EXCEPTION.illegalFunction as never));
    for (const event of ['readCoils', 'readDiscreteInputs', 'readHoldingRegisters', 'readInputRegisters'] as const) modbus.on(event, onRead);
    for (const event of ['writeSingleCoil', 'writeSingleRegister', 'writeMultipleCoils', 'writeMultipleRegisters'] as const) modbus.on(event, onWrite);
    this.tcp.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    });
  }

  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.tcp.once('error', reject);
      this.tcp.listen(port, host, () => {
        this.tcp.off('error', reject);
        resolve();
      });
    });
    this.port = (this.tcp.address() as AddressInfo).port;
    return this.port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.tcp.listening ? this.tcp.close(() => resolve()) : resolve()));
  }

  private read(request: ServerRequest, cb: (payload: Buffer) => void): void {
    const fc = request.body.fc;
    const exception = (code: number) => this.reply(request, cb, new responses.ExceptionResponseBody(fc as never, code as never));
    let answer: UnitAnswer;
    try {
      answer = this.answer(request.unitId);
    } catch {
      exception(MODBUS_EXCEPTION.deviceFailure);
      return;
    }
    if (answer === 'silent') return;
    if (answer === undefined) {
      exception(MODBUS_EXCEPTION.gatewayTargetFailed);
      return;
    }
    if ('exception' in answer) {
      exception(answer.exception);
      return;
    }
    const block: ReadBlock = { table: TABLE_OF_FC[fc]!, start: request.body.start ?? 0, count: request.body.count ?? 0 };
    const held = answer.image[block.table];
    for (let a = block.start; a < block.start + block.count; a++) {
      if (!held.has(a)) {
        exception(MODBUS_EXCEPTION.illegalDataAddress);
        return;
      }
    }
    const values = readImage(answer.image, block);
    const body =
      fc === 1
        ? new responses.ReadCoilsResponseBody(values as (0 | 1)[], Math.ceil(values.length / 8))
        : fc === 2
          ? new responses.ReadDiscreteInputsResponseBody(values as (0 | 1)[], Math.ceil(values.length / 8))
          : fc === 3
            ? new responses.ReadHoldingRegistersResponseBody(values.length * 2, values)
            : new responses.ReadInputRegistersResponseBody(values.length * 2, values);
    this.reply(request, cb, body);
  }

  private reply(request: ServerRequest, cb: (payload: Buffer) => void, body: unknown): void {
    cb(ModbusTCPResponse.fromRequest(request as never, body as never).createPayload());
  }
}

// ----- the simulator's cooling units over Modbus

/** Unit ids a Modbus TCP address can serve (0 is broadcast, 248-255 are reserved on serial lines). */
export const MAX_MODBUS_UNITS = 247;

/** The shipped map a simulated cooling unit answers with: CDUs the CDU template, air units the CRAH one. */
export const coolingUnitMapName = (kind: string): 'generic-cdu' | 'generic-crah' => (kind === 'cdu' ? 'generic-cdu' : 'generic-crah');

/** A point's value from a cooling unit's readings: the one place the generic maps meet the cooling model. */
export function coolingUnitPointValue(point: RegisterPoint, r: CoolingUnitReadings): number | undefined {
  switch (point.metric) {
    case 'cdu_supply_temp_c':
    case 'crah_supply_temp_c':
      return r.supplyTempC;
    case 'cdu_return_temp_c':
    case 'crah_return_temp_c':
      return r.returnTempC;
    case 'cdu_flow_l_per_min':
      return r.flowLPerMin;
    case 'cdu_supply_pressure_kpa':
      return r.supplyPressureKpa;
    case 'cdu_differential_pressure_kpa':
      return r.differentialPressureKpa;
    case 'cdu_pump_pct':
    case 'crah_fan_pct':
      return r.moverPct;
    case 'cdu_heat_removed_w':
      return r.heatRemovedW;
    case 'cooling_unit_running':
      return r.running ? 1 : 0;
    case 'cooling_unit_alarm': {
      const alarm = point.labels.alarm;
      const on =
        alarm === 'high_supply_temp' ? r.alarms.highSupplyTemp
        : alarm === 'fan_failure' || alarm === 'pump_failure' ? r.alarms.moverFailure
        : alarm === 'low_flow' ? r.alarms.lowFlow
        : alarm === 'leak_detected' ? r.alarms.leakDetected
        : undefined;
      return on === undefined ? undefined : on ? 1 : 0;
    }
    default:
      return undefined;
  }
}

/** The register image a cooling unit serves under its map, with each value rounded to what its register holds. */
export function coolingUnitImage(map: RegisterMap, readings: CoolingUnitReadings): RegisterImage {
  return encodeImage(map, (p) => coolingUnitPointValue(p, readings));
}

/**
 * Unit ids for the simulated cooling units, in inventory order: 1, 2, … up to 247 on the one address. Units past
 * that are not served (a scale-out simulator instance takes them; see the simulator host's modbusEndpoint).
 */
export function coolingUnitIds(inventory: SimInventory): Map<string, number> {
  const ids = new Map<string, number>();
  for (const site of inventory.sites) {
    for (const unit of site.coolingUnits ?? []) {
      if (ids.size >= MAX_MODBUS_UNITS) return ids;
      ids.set(unit.id, ids.size + 1);
    }
  }
  return ids;
}

/** The simulator's Modbus TCP server: each cooling unit of the World a unit id, its registers from the live model. */
export function simulatorModbusServer(state: () => { world: World | undefined; unitIds: Map<string, number> }): ModbusTcpServer {
  const maps = new Map<string, RegisterMap>();
  const mapFor = (name: string) => {
    let map = maps.get(name);
    if (!map) {
      map = loadRegisterMap(name);
      maps.set(name, map);
    }
    return map;
  };
  return new ModbusTcpServer((unitId) => {
    const { world, unitIds } = state();
    if (!world) return { exception: MODBUS_EXCEPTION.busy };
    for (const [unitName, id] of unitIds) {
      if (id !== unitId) continue;
      const readings = world.coolingUnitReadings(unitName);
      return readings ? { image: coolingUnitImage(mapFor(coolingUnitMapName(readings.kind)), readings) } : undefined;
    }
    return undefined;
  });
}
