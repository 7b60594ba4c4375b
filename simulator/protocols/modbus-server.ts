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
import { ModbusTCPResponse, responses, server as modbusServer } from 'jsmodbus';
import type { ReadBlock, RegisterImage, RegisterTable } from '../../src/telemetry/modbus/register-map';
import { readImage } from '../../src/telemetry/modbus/register-map';

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
      return exception(MODBUS_EXCEPTION.deviceFailure);
    }
    if (answer === 'silent') return;
    if (answer === undefined) return exception(MODBUS_EXCEPTION.gatewayTargetFailed);
    if ('exception' in answer) return exception(answer.exception);
    const block: ReadBlock = { table: TABLE_OF_FC[fc]!, start: request.body.start ?? 0, count: request.body.count ?? 0 };
    const held = answer.image[block.table];
    for (let a = block.start; a < block.start + block.count; a++) if (!held.has(a)) return exception(MODBUS_EXCEPTION.illegalDataAddress);
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
