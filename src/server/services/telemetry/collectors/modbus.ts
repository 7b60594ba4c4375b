/**
 * The `modbus` collector: reads a device over Modbus TCP (jsmodbus's client on a socket we open ourselves, so the
 * target guard checks the address actually connected to) through a register map (src/telemetry/modbus/maps/*.yaml),
 * and returns its readings as `plenum_<catalogue metric>` samples of the target's facility object.
 *
 * URL: `modbus://host[:502]`; the unit id is an option (devices behind one gateway address are one target each). Reads go one at a time (most controllers serve a single request at a time) within the
 * target's timeout as a whole; a silent device costs one timeout and never holds up other targets.
 */
import net from 'node:net';
import { client as modbusClient } from 'jsmodbus';
import { z } from 'zod';
import type { RawSample } from '@/telemetry';
import {
  decodeImage,
  emptyImage,
  listRegisterMaps,
  loadRegisterMap,
  planReads,
  type ReadBlock,
  type RegisterMap,
  RegisterMapError,
  storeBlock,
  WORD_ORDERS,
  withOrderOverrides,
} from '@/telemetry/modbus/register-map';
import { ScrapeError, TargetGuard } from '../target-guard';
import type { CollectContext, Collector, CollectorTarget } from './types';

export const MODBUS_DEFAULT_PORT = 502;

const modbusOptionsShape = z
  .object({
    /** Register map name: a file in PLENUM_MODBUS_MAPS or the shipped maps (generic-cdu, generic-crah, generic-power-meter). */
    map: z.string().min(1),
    /** Modbus unit (slave) id, 0-255; default 1. */
    unitId: z.number().int().min(0).max(255).optional(),
    /** Overrides of the map's word and byte order for this device. */
    wordOrder: z.enum(WORD_ORDERS).optional(),
    byteOrder: z.enum(WORD_ORDERS).optional(),
    /** Timeout of one read request in ms; default: the target's timeout. */
    requestTimeoutMs: z.number().int().min(50).max(60_000).optional(),
  })
  .strict();

/** The options as a target is added: the map must exist (a scrape reports a map removed since as its error). */
export const modbusOptionsSchema = modbusOptionsShape.superRefine((options, check) => {
  const known = listRegisterMaps();
  if (!known.includes(options.map)) check.addIssue({ code: 'custom', path: ['map'], message: `no register map "${options.map}" (available: ${known.join(', ')})` });
});
export type ModbusOptions = z.infer<typeof modbusOptionsSchema>;

/** Modbus TCP has no authentication. */
export const modbusCredentialsSchema = z.object({}).strict();

/** What each Modbus exception code means, in our words (Modbus Application Protocol v1.1b3, §7). */
const EXCEPTION_MEANING: Record<number, string> = {
  1: 'illegal function: the device does not support this read',
  2: 'illegal data address: the device has no such register (map addresses are 0-based protocol addresses)',
  3: 'illegal data value: the device refused the request',
  4: 'device failure',
  5: 'acknowledge: the device is busy with a long operation',
  6: 'device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable: the gateway has no route to this unit id',
  11: 'gateway target failed to respond: no device answers at this unit id behind the gateway',
};

const TABLE_WORDS: Record<ReadBlock['table'], string> = { holding: 'holding registers', input: 'input registers', coil: 'coils', discrete: 'discrete inputs' };

/** Where to connect and which unit to ask; throws a ScrapeError naming what is wrong with the URL. */
export function modbusEndpoint(url: string, options: Pick<ModbusOptions, 'unitId'>): { host: string; port: number; unitId: number } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ScrapeError('not a valid URL');
  }
  if (parsed.protocol !== 'modbus:') throw new ScrapeError(`a modbus target's URL starts with modbus:// (got ${parsed.protocol}//)`);
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  if (!host) throw new ScrapeError('the URL names no host');
  const port = parsed.port === '' ? MODBUS_DEFAULT_PORT : Number(parsed.port);
  if (parsed.pathname !== '' && parsed.pathname !== '/') throw new ScrapeError('a modbus URL has no path: modbus://host:502 (the unit id is an option)');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ScrapeError(`port ${parsed.port} is not a TCP port`);
  return { host, port, unitId: options.unitId ?? 1 };
}

/** Loaded maps by name: the files are read once per process (restart to pick up an edited map). */
const mapCache = new Map<string, RegisterMap>();

function mapNamed(name: string): RegisterMap {
  let map = mapCache.get(name);
  if (!map) {
    try {
      map = loadRegisterMap(name);
    } catch (error) {
      throw new ScrapeError(error instanceof RegisterMapError ? error.message : `register map "${name}" could not be read`);
    }
    mapCache.set(name, map);
  }
  return map;
}

/**
 * Connects the socket to an address the target guard has checked (TargetGuard.resolveChecked: the address resolved is
 * the one used). The Modbus client must be attached before: it learns that the connection is up from `connect`.
 */
function connect(socket: net.Socket, address: string, port: number, host: string, deadline: AbortSignal, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => {
      socket.destroy();
      cleanup();
      reject(connectionError(error, timeoutMs, host, port));
    };
    const onAbort = () => fail(deadline.reason instanceof Error ? deadline.reason : new Error('aborted'));
    const cleanup = () => {
      socket.off('error', fail);
      deadline.removeEventListener('abort', onAbort);
    };
    socket.once('error', fail);
    socket.once('connect', () => {
      cleanup();
      resolve();
    });
    if (deadline.aborted) onAbort();
    else {
      deadline.addEventListener('abort', onAbort, { once: true });
      socket.connect({ host: address, port });
    }
  });
}

function connectionError(error: Error, timeoutMs: number, host: string, port: number): ScrapeError {
  if (error instanceof ScrapeError) return error;
  if (error.name === 'TimeoutError') return new ScrapeError(`timed out after ${timeoutMs} ms connecting to ${host}:${port}`);
  if (error.name === 'AbortError') return new ScrapeError('scrape cancelled');
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return new ScrapeError(`connection refused by ${host}:${port} (no Modbus TCP server listening)`);
  return new ScrapeError(`connection to ${host}:${port} failed${code ? ` (${code})` : ''}`);
}

/** jsmodbus's request error, in our words (its own messages carry device-supplied detail). */
function requestError(error: unknown, block: ReadBlock, unitId: number, requestTimeoutMs: number): ScrapeError {
  const where = `reading ${TABLE_WORDS[block.table]} ${block.start}-${block.start + block.count - 1} of unit ${unitId}`;
  const e = error as { err?: string; response?: { body?: { code?: number } } } | undefined;
  switch (e?.err) {
    case 'ModbusException': {
      const code = Number(e.response?.body?.code);
      return new ScrapeError(`Modbus exception ${code} (${EXCEPTION_MEANING[code] ?? 'unknown exception code'}) ${where}`);
    }
    case 'Timeout':
      return new ScrapeError(`timed out after ${requestTimeoutMs} ms ${where}: no Modbus answer (wrong unit id, or a device that ignores the request)`);
    case 'Offline':
      return new ScrapeError(`the device closed the connection ${where}`);
    default:
      return new ScrapeError(`malformed Modbus response ${where}`);
  }
}

async function readBlock(client: InstanceType<typeof modbusClient.TCP>, block: ReadBlock): Promise<number[]> {
  const bits = (values: ArrayLike<number | boolean>) => Array.from(values, (v) => (v ? 1 : 0)).slice(0, block.count);
  switch (block.table) {
    case 'holding':
      return Array.from((await client.readHoldingRegisters(block.start, block.count)).response.body.valuesAsArray as ArrayLike<number>);
    case 'input':
      return Array.from((await client.readInputRegisters(block.start, block.count)).response.body.valuesAsArray as ArrayLike<number>);
    case 'coil':
      return bits((await client.readCoils(block.start, block.count)).response.body.valuesAsArray);
    case 'discrete':
      return bits((await client.readDiscreteInputs(block.start, block.count)).response.body.valuesAsArray);
  }
}

export const modbusCollector: Collector<ModbusOptions, Record<string, never>> = {
  dialect: 'modbus',
  optionsSchema: modbusOptionsSchema,
  credentialsSchema: modbusCredentialsSchema,
  // Devices behind one gateway address differ by unit id.
  targetKey: (options) => `unit ${options.unitId ?? 1}`,

  async collect(target: CollectorTarget, ctx: CollectContext): Promise<RawSample[]> {
    const parsed = modbusOptionsShape.safeParse(target.options);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ScrapeError(`options.${issue.path.join('.') || '(all)'}: ${issue.message}`);
    }
    const options = parsed.data;
    const { host, port, unitId } = modbusEndpoint(target.url, options);
    const map = withOrderOverrides(mapNamed(options.map), options);
    const requestTimeoutMs = Math.min(options.requestTimeoutMs ?? target.timeoutMs, target.timeoutMs);
    // The target's timeout bounds the whole read (connect and every request); the caller's signal cancels it too.
    const deadline = AbortSignal.any([ctx.signal, AbortSignal.timeout(target.timeoutMs)]);
    const address = await TargetGuard.resolveChecked(host, ctx.guard);
    const socket = new net.Socket();
    const client = new modbusClient.TCP(socket, unitId, requestTimeoutMs);
    try {
      await connect(socket, address, port, host, deadline, target.timeoutMs);
    } catch (error) {
      socket.destroy();
      throw error;
    }
    const onDeadline = () => socket.destroy();
    deadline.addEventListener('abort', onDeadline, { once: true });
    socket.on('error', () => {}); // reported through the pending request (Offline)
    try {
      const image = emptyImage();
      // Whose abort it was: the deadline (the scraper's is a timeout too) or a cancel.
      const stopped = () =>
        (deadline.reason as Error | undefined)?.name === 'TimeoutError' ? new ScrapeError(`timed out after ${target.timeoutMs} ms (the whole read of unit ${unitId})`) : new ScrapeError('scrape cancelled');
      for (const block of planReads(map)) {
        if (deadline.aborted) throw stopped();
        let values: number[];
        try {
          values = await readBlock(client, block);
        } catch (error) {
          if (deadline.aborted) throw stopped();
          throw requestError(error, block, unitId, requestTimeoutMs);
        }
        if (values.length < block.count) {
          throw new ScrapeError(`short Modbus response: ${values.length} of ${block.count} ${TABLE_WORDS[block.table]} from ${block.start}, unit ${unitId}`);
        }
        storeBlock(image, block, values);
      }
      const labels: Record<string, string> = target.facility ? { device: target.facility.name, site: target.facility.siteSlug } : {};
      return decodeImage(map, image, labels, ctx.nowMs);
    } finally {
      deadline.removeEventListener('abort', onDeadline);
      socket.destroy();
    }
  },
};
