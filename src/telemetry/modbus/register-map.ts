/**
 * Modbus register maps as data: one YAML file per device model says where each reading lives (table, address, type,
 * word and byte order), how to scale it and which catalogue metric it is. This module is both directions of the same
 * map: `decode*` turns register words read from a device into `plenum_<metric>` samples (the collector), `encode*`
 * turns values into register words (the simulator's Modbus server and the tests' register images). Pure: no sockets.
 *
 * Addresses are the 0-based protocol addresses sent on the wire (register "40001" in a vendor's 1-based table is
 * address 0 of the holding table). The format is documented in docs/FACILITY-COLLECTORS.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CATALOGUE, getMetricDef, type Unit } from '../catalogue';
import type { RawSample } from '../samples';

export const REGISTER_TABLES = ['holding', 'input', 'coil', 'discrete'] as const;
export type RegisterTable = (typeof REGISTER_TABLES)[number];
/** Tables of 16-bit registers (function codes 3 and 4); the others hold single bits (function codes 1 and 2). */
export const WORD_TABLES: readonly RegisterTable[] = ['holding', 'input'];

export const VALUE_TYPES = ['int16', 'uint16', 'int32', 'uint32', 'float32', 'float64', 'bool'] as const;
export type ValueType = (typeof VALUE_TYPES)[number];
/** 'big': most significant word first (AB CD); 'little': least significant word first (the "word swap", CD AB). */
export const WORD_ORDERS = ['big', 'little'] as const;
export type WordOrder = (typeof WORD_ORDERS)[number];
/** Byte order inside each 16-bit word: 'big' is the Modbus standard; 'little' swaps the two bytes (BA DC). */
export type ByteOrder = WordOrder;

/** How many 16-bit registers a value of each type takes (a bool takes one bit of a bit table). */
export const TYPE_WORDS: Record<ValueType, number> = { int16: 1, uint16: 1, int32: 2, uint32: 2, float32: 2, float64: 4, bool: 1 };

/** The protocol's limits on one read request (Modbus Application Protocol v1.1b3, §6.1-6.4). */
export const MAX_READ_REGISTERS = 125;
export const MAX_READ_BITS = 2000;

const name = z.string().regex(/^[a-z][a-z0-9_]*$/, 'lower-case letters, digits and _, starting with a letter');
const labelValue = z.string().min(1).max(128);

const pointSchema = z
  .object({
    metric: name.describe('catalogue metric, stored as plenum_<metric>'),
    table: z.enum(REGISTER_TABLES).default('holding'),
    address: z.number().int().min(0).max(65535),
    type: z.enum(VALUE_TYPES).optional(),
    wordOrder: z.enum(WORD_ORDERS).optional(),
    byteOrder: z.enum(WORD_ORDERS).optional(),
    /** value = raw × scale + offset. */
    scale: z.number().finite().refine((v) => v !== 0, 'must not be 0').default(1),
    offset: z.number().finite().default(0),
    /** The unit of the scaled value; must be the catalogue metric's unit. */
    unit: z.string().min(1),
    labels: z.record(name, labelValue).default({}),
  })
  .strict();

const mapSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and -'),
    description: z.string().min(1),
    /** Defaults for the points that do not say. */
    wordOrder: z.enum(WORD_ORDERS).default('big'),
    byteOrder: z.enum(WORD_ORDERS).default('big'),
    points: z.array(pointSchema).min(1).max(2000),
  })
  .strict();

export type RegisterPoint = {
  metric: string;
  table: RegisterTable;
  address: number;
  type: ValueType;
  wordOrder: WordOrder;
  byteOrder: ByteOrder;
  scale: number;
  offset: number;
  unit: Unit;
  labels: Record<string, string>;
};

export type RegisterMap = { name: string; description: string; points: RegisterPoint[] };

/** Per-target overrides of the map's word and byte order (devices of one model family differ here). */
export type OrderOverrides = { wordOrder?: WordOrder; byteOrder?: ByteOrder };

export class RegisterMapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegisterMapError';
  }
}

const KNOWN_UNITS: ReadonlySet<string> = new Set([...CATALOGUE.values()].map((d) => d.unit));

const fieldPath = (p: PropertyKey[]) => p.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('').replace(/^\./, '');

/** Validates a parsed map: schema, units against the catalogue, types against tables, fit and overlaps. */
export function registerMapFromObject(raw: unknown, source: string): RegisterMap {
  const parsed = mapSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RegisterMapError(`${source}: ${fieldPath(issue.path) || '(top level)'}: ${issue.message}`);
  }
  const m = parsed.data;
  const points = m.points.map((p, i): RegisterPoint => {
    const where = `${source}: points[${i}]`;
    const bitTable = !WORD_TABLES.includes(p.table);
    const type = p.type ?? (bitTable ? 'bool' : 'uint16');
    if (bitTable !== (type === 'bool')) throw new RegisterMapError(`${where}.type: ${type} cannot live in the ${p.table} table (bool ⇔ coil or discrete)`);
    if (p.address + TYPE_WORDS[type] > 65536) throw new RegisterMapError(`${where}.address: ${type} at ${p.address} runs past register 65535`);
    const def = getMetricDef(p.metric);
    if (def && def.unit !== p.unit) throw new RegisterMapError(`${where}.unit: ${p.metric} is in ${def.unit}, not ${p.unit}`);
    if (!def && !KNOWN_UNITS.has(p.unit)) throw new RegisterMapError(`${where}.unit: "${p.unit}" is not a unit Plenum knows (${[...KNOWN_UNITS].join(', ')})`);
    return {
      metric: p.metric,
      table: p.table,
      address: p.address,
      type,
      wordOrder: p.wordOrder ?? m.wordOrder,
      byteOrder: p.byteOrder ?? m.byteOrder,
      scale: p.scale,
      offset: p.offset,
      unit: (def?.unit ?? p.unit) as Unit,
      labels: p.labels,
    };
  });
  // Two points on the same register would decode one word two ways: almost always a typo in the map.
  for (const table of REGISTER_TABLES) {
    const inTable = points.map((p, i) => ({ p, i })).filter(({ p }) => p.table === table);
    inTable.sort((a, b) => a.p.address - b.p.address);
    for (let k = 1; k < inTable.length; k++) {
      const prev = inTable[k - 1]!;
      const cur = inTable[k]!;
      if (prev.p.address + TYPE_WORDS[prev.p.type] > cur.p.address) {
        throw new RegisterMapError(`${source}: points[${cur.i}].address: ${table} ${cur.p.address} overlaps points[${prev.i}] (${prev.p.type} at ${prev.p.address})`);
      }
    }
  }
  return { name: m.name, description: m.description, points };
}

export function parseRegisterMap(yamlText: string, source: string): RegisterMap {
  let raw: unknown;
  try {
    raw = parseYaml(yamlText);
  } catch (error) {
    throw new RegisterMapError(`${source}: not valid YAML (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
  }
  return registerMapFromObject(raw, source);
}

/** The shipped maps' folder (next to this file in the source tree; the server runs from the repository root). */
export const SHIPPED_MAPS_FOLDER =
  [path.resolve(process.cwd(), 'src/telemetry/modbus/maps'), path.resolve(import.meta.dirname ?? '.', 'maps')].find((folder) => fs.existsSync(folder)) ??
  path.resolve(process.cwd(), 'src/telemetry/modbus/maps');

/**
 * Where map names are looked up: `PLENUM_MODBUS_MAPS` (a folder of the site's own maps) first, then the shipped ones,
 * so a site adds or overrides a map without code.
 */
export function registerMapFolders(env: Record<string, string | undefined> = process.env): string[] {
  const own = env.PLENUM_MODBUS_MAPS?.trim();
  return own ? [path.resolve(own), SHIPPED_MAPS_FOLDER] : [SHIPPED_MAPS_FOLDER];
}

/** Names of the maps available (file names without .yaml), first folder winning. */
export function listRegisterMaps(folders = registerMapFolders()): string[] {
  const names = new Set<string>();
  for (const folder of folders) {
    if (!fs.existsSync(folder)) continue;
    for (const file of fs.readdirSync(folder)) if (file.endsWith('.yaml')) names.add(file.slice(0, -'.yaml'.length));
  }
  return [...names].sort();
}

/** Loads a map by name; the file's `name` must match its file name (one name, one map). */
export function loadRegisterMap(mapName: string, folders = registerMapFolders()): RegisterMap {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(mapName)) throw new RegisterMapError(`register map "${mapName}": names are lower-case letters, digits and -`);
  for (const folder of folders) {
    const file = path.join(folder, `${mapName}.yaml`);
    if (!fs.existsSync(file)) continue;
    const map = parseRegisterMap(fs.readFileSync(file, 'utf8'), `${mapName}.yaml`);
    if (map.name !== mapName) throw new RegisterMapError(`${mapName}.yaml: name: "${map.name}" differs from the file name`);
    return map;
  }
  throw new RegisterMapError(`no register map "${mapName}" (available: ${listRegisterMaps(folders).join(', ') || 'none'})`);
}

/** The map with a target's word/byte order overrides applied to every multi-register point. */
export function withOrderOverrides(map: RegisterMap, overrides: OrderOverrides): RegisterMap {
  if (!overrides.wordOrder && !overrides.byteOrder) return map;
  return {
    ...map,
    points: map.points.map((p) => ({ ...p, wordOrder: overrides.wordOrder ?? p.wordOrder, byteOrder: overrides.byteOrder ?? p.byteOrder })),
  };
}

// ----- one value ⇄ its register words

/** Raw (unscaled) value → register words, in the point's word and byte order. Integers are rounded and must fit. */
export function encodeRaw(type: ValueType, raw: number, wordOrder: WordOrder = 'big', byteOrder: ByteOrder = 'big'): number[] {
  if (type === 'bool') return [raw ? 1 : 0];
  const buf = Buffer.alloc(TYPE_WORDS[type] * 2);
  const int = Math.round(raw);
  const range: Partial<Record<ValueType, [number, number]>> = {
    int16: [-0x8000, 0x7fff],
    uint16: [0, 0xffff],
    int32: [-0x80000000, 0x7fffffff],
    uint32: [0, 0xffffffff],
  };
  const bounds = range[type];
  if (bounds && !(int >= bounds[0] && int <= bounds[1])) throw new RegisterMapError(`${raw} does not fit in ${type}`);
  switch (type) {
    case 'int16':
      buf.writeInt16BE(int);
      break;
    case 'uint16':
      buf.writeUInt16BE(int);
      break;
    case 'int32':
      buf.writeInt32BE(int);
      break;
    case 'uint32':
      buf.writeUInt32BE(int);
      break;
    case 'float32':
      buf.writeFloatBE(raw);
      break;
    case 'float64':
      buf.writeDoubleBE(raw);
      break;
  }
  const words: number[] = [];
  for (let i = 0; i < buf.length; i += 2) words.push(buf.readUInt16BE(i));
  return orderWords(words, wordOrder, byteOrder);
}

/** Register words (as read, in the device's order) → raw value. */
export function decodeRaw(type: ValueType, words: readonly number[], wordOrder: WordOrder = 'big', byteOrder: ByteOrder = 'big'): number {
  if (words.length !== TYPE_WORDS[type]) throw new RegisterMapError(`${type} needs ${TYPE_WORDS[type]} register(s), got ${words.length}`);
  if (type === 'bool') return words[0] ? 1 : 0;
  const ordered = orderWords(words, wordOrder, byteOrder); // its own inverse: back to big-endian words
  const buf = Buffer.alloc(ordered.length * 2);
  for (let i = 0; i < ordered.length; i++) buf.writeUInt16BE(ordered[i]! & 0xffff, i * 2);
  switch (type) {
    case 'int16':
      return buf.readInt16BE(0);
    case 'uint16':
      return buf.readUInt16BE(0);
    case 'int32':
      return buf.readInt32BE(0);
    case 'uint32':
      return buf.readUInt32BE(0);
    case 'float32':
      return buf.readFloatBE(0);
    default:
      return buf.readDoubleBE(0);
  }
}

/** Big-endian words → the device's order (and back: both swaps are their own inverse). */
function orderWords(words: readonly number[], wordOrder: WordOrder, byteOrder: ByteOrder): number[] {
  const out = wordOrder === 'little' ? [...words].reverse() : [...words];
  return byteOrder === 'little' ? out.map((w) => ((w & 0xff) << 8) | (w >> 8)) : out;
}

/**
 * raw × scale + offset. A scale like 0.1 is applied as a division by 10, so 234 reads 23.4 exactly (234 × 0.1 is
 * 23.400000000000002 in binary floating point).
 */
export function applyScale(raw: number, scale: number, offset: number): number {
  const divisor = divisorOf(scale);
  const scaled = divisor === undefined ? raw * scale : raw / divisor;
  return offset === 0 ? scaled : scaled + offset;
}

/** The inverse of applyScale (before rounding to the register type). */
export function removeScale(value: number, scale: number, offset: number): number {
  const divisor = divisorOf(scale);
  return divisor === undefined ? (value - offset) / scale : (value - offset) * divisor;
}

/** 10 for a scale of 0.1, 1000 for 0.001; undefined when the scale is not 1/n. */
function divisorOf(scale: number): number | undefined {
  if (Math.abs(scale) >= 1) return undefined;
  const inverse = 1 / scale;
  const n = Math.round(inverse);
  return Math.abs(inverse - n) < 1e-9 * Math.abs(n) ? n : undefined;
}

export const decodePoint = (p: RegisterPoint, words: readonly number[]): number =>
  p.type === 'bool' ? decodeRaw('bool', words) : applyScale(decodeRaw(p.type, words, p.wordOrder, p.byteOrder), p.scale, p.offset);

export const encodePoint = (p: RegisterPoint, value: number): number[] =>
  p.type === 'bool' ? encodeRaw('bool', value) : encodeRaw(p.type, removeScale(value, p.scale, p.offset), p.wordOrder, p.byteOrder);

// ----- whole maps: read plan, register image, samples

/** One read request: `count` registers (or bits) of `table` from `start`. */
export type ReadBlock = { table: RegisterTable; start: number; count: number };

/**
 * The fewest read requests that cover every point: points whose registers touch are read together, up to the
 * protocol's limit per request (125 registers, 2,000 bits). Gaps are never read across, since a device may answer
 * "illegal data address" for a register it does not implement.
 */
export function planReads(map: RegisterMap, limits = { registers: MAX_READ_REGISTERS, bits: MAX_READ_BITS }): ReadBlock[] {
  const blocks: ReadBlock[] = [];
  for (const table of REGISTER_TABLES) {
    const max = WORD_TABLES.includes(table) ? limits.registers : limits.bits;
    const spans = map.points
      .filter((p) => p.table === table)
      .map((p) => ({ start: p.address, end: p.address + TYPE_WORDS[p.type] }))
      .sort((a, b) => a.start - b.start);
    let cur: ReadBlock | undefined;
    for (const s of spans) {
      if (cur && s.start <= cur.start + cur.count && s.end - cur.start <= max) {
        cur.count = Math.max(cur.count, s.end - cur.start);
        continue;
      }
      cur = { table, start: s.start, count: s.end - s.start };
      blocks.push(cur);
    }
  }
  return blocks;
}

/** Register (or bit) values by table and address: what was read from a device, or what a server serves. */
export type RegisterImage = Record<RegisterTable, Map<number, number>>;

export const emptyImage = (): RegisterImage => ({ holding: new Map(), input: new Map(), coil: new Map(), discrete: new Map() });

/** Puts one read block's answer into an image. */
export function storeBlock(image: RegisterImage, block: ReadBlock, values: readonly number[]): void {
  if (values.length < block.count) throw new RegisterMapError(`${block.table} ${block.start}: expected ${block.count} values, got ${values.length}`);
  for (let i = 0; i < block.count; i++) image[block.table].set(block.start + i, values[i]!);
}

/**
 * The register image of a map with each point's value from `valueFor` (undefined: left out, reads as 0). The simulator
 * and the tests build what a device would serve with it.
 */
export function encodeImage(map: RegisterMap, valueFor: (point: RegisterPoint) => number | undefined, image = emptyImage()): RegisterImage {
  for (const p of map.points) {
    const value = valueFor(p);
    if (value === undefined || !Number.isFinite(value)) continue;
    const words = encodePoint(p, value);
    for (let i = 0; i < words.length; i++) image[p.table].set(p.address + i, words[i]!);
  }
  return image;
}

/** Every point of the map as a `plenum_<metric>` sample from an image holding the map's registers. */
export function decodeImage(map: RegisterMap, image: RegisterImage, extraLabels: Record<string, string> = {}, timestampMs?: number): RawSample[] {
  return map.points.map((p) => {
    const words: number[] = [];
    for (let i = 0; i < TYPE_WORDS[p.type]; i++) {
      const w = image[p.table].get(p.address + i);
      if (w === undefined) throw new RegisterMapError(`${p.table} register ${p.address + i} was not read`);
      words.push(w);
    }
    return { name: `plenum_${p.metric}`, labels: { ...p.labels, ...extraLabels }, value: decodePoint(p, words), timestampMs };
  });
}

/** The words of a block of an image, 0 where nothing was set (what a server answers for a read request). */
export function readImage(image: RegisterImage, block: ReadBlock): number[] {
  const table = image[block.table];
  return Array.from({ length: block.count }, (_, i) => table.get(block.start + i) ?? 0);
}
