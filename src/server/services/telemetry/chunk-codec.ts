/**
 * Column encoding of one series' samples over a window (a "chunk"), for the compressed sample table.
 *
 * Timestamps (integers, any unit: the compactor passes microseconds) are stored as delta-of-delta. Values are stored
 * one of two ways, whichever is smaller for the chunk:
 * - `decimal`: every value is an exact decimal with at most 9 digits after the point (m / 10^k gives back the very same
 *   float64), so the integers m are stored as deltas, or deltas of deltas for counters that climb at a steady rate;
 * - `xor`: Gorilla-style XOR of each value's 64 bits with the previous one's; works for anything (NaN with any
 *   payload, ±Inf, -0, subnormals, values with full-precision mantissas).
 * Both round-trip float64 exactly to the bit: values are read and written through their bits, never through arithmetic
 * that could canonicalise a NaN.
 *
 * Layout (format 2): byte 0 format version, byte 1 flags (bits 0-1 timestamp divisor code, bits 2-3 value mode, bit 4
 * HAS_STATE), varint sample count, [decimal modes: byte k], [HAS_STATE: the encoder's end state, see writeState], then
 * one bit stream with each sample's timestamp and value in turn: the first timestamp (64 bits, two's complement) and
 * value, then per sample the timestamp's delta of delta (a variable-length integer) and the value's XOR or decimal
 * step. Because the stream is in sample order and the end state says where the encoder stopped (bit length, last
 * timestamp and delta, last value's bits and XOR window or last decimal and delta), appendChunk continues a chunk with
 * later samples without decoding it, to the very bits encodeChunk would write for all of them in the same modes.
 * Compaction keeps the state only on chunks that may still grow (about 20 bytes), so a full chunk pays nothing.
 *
 * Format 1 (timestamps, then values, in one stream; no state) is still read.
 */

const FORMAT_V1 = 1;
const FORMAT_VERSION = 2;
/** Flag: the encoder's end state follows the header, so the chunk can be continued (appendChunk). */
const HAS_STATE = 0b1_0000;
/** Timestamps that are all multiples of a divisor are stored divided by it (ms-aligned µs timestamps: ÷1000). */
const TS_DIVISORS = [1, 1_000, 1_000_000] as const;
const VALUE_XOR = 0;
const VALUE_DECIMAL_DELTA = 1;
const VALUE_DECIMAL_DOD = 2;
export type ValueMode = 'xor' | 'decimal-delta' | 'decimal-dod';
const MAX_DECIMAL_DIGITS = 9;
/** Decimal integers stay below 2^49 so their deltas of deltas (≤ 2^51) and zig-zags are exact in a double. */
const MAX_DECIMAL_INT = 2 ** 49;
/** Largest magnitude of a delta of delta the variable-length integers carry exactly. */
const MAX_VARIABLE_INT = 2 ** 51;
const TWO_32 = 4_294_967_296;

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) throw new Error('chunk codec: needs a little-endian platform');

class BitWriter {
  private bytes: Uint8Array;
  private bitLength = 0;

  /** `from`: a stream to continue (its bits after `bitLength` must be zero, as finish() leaves them). */
  constructor(capacityBytes: number, from?: { bytes: Uint8Array; bitLength: number }) {
    const used = from ? (from.bitLength + 7) >>> 3 : 0;
    this.bytes = new Uint8Array(Math.max(16, capacityBytes + used));
    if (from) {
      this.bytes.set(from.bytes.subarray(0, used));
      this.bitLength = from.bitLength;
    }
  }

  /** Writes the low `n` bits of `value` (0 ≤ n ≤ 32), most significant first. */
  write(value: number, n: number): void {
    if (n === 0) return;
    if (((this.bitLength + n + 7) >>> 3) > this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2 + 8);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    let left = n;
    while (left > 0) {
      const byteIndex = this.bitLength >>> 3;
      const free = 8 - (this.bitLength & 7);
      const take = Math.min(left, free);
      const shift = left - take;
      const bits = (value >>> shift) & ((1 << take) - 1);
      this.bytes[byteIndex]! |= bits << (free - take);
      this.bitLength += take;
      left -= take;
    }
  }

  /** A value of up to 53 bits (non-negative integer below 2^53). */
  writeWide(value: number, n: number): void {
    if (n > 32) {
      const hi = Math.floor(value / TWO_32);
      this.write(hi, n - 32);
      this.write(value - hi * TWO_32, 32);
    } else {
      this.write(value, n);
    }
  }

  finish(): Uint8Array {
    return this.bytes.subarray(0, (this.bitLength + 7) >>> 3);
  }

  get length(): number {
    return this.bitLength;
  }
}

class BitReader {
  private bitPosition = 0;

  constructor(
    private readonly bytes: Uint8Array,
    startByte: number,
  ) {
    this.bitPosition = startByte * 8;
  }

  read(n: number): number {
    if (n === 0) return 0;
    if (this.bitPosition + n > this.bytes.length * 8) throw new Error('chunk codec: data ends early');
    let result = 0;
    let left = n;
    while (left > 0) {
      const byte = this.bytes[this.bitPosition >>> 3]!;
      const avail = 8 - (this.bitPosition & 7);
      const take = Math.min(left, avail);
      const bits = (byte >>> (avail - take)) & ((1 << take) - 1);
      // Multiplication, not <<, so 32-bit reads stay unsigned.
      result = result * (1 << take) + bits;
      this.bitPosition += take;
      left -= take;
    }
    return result;
  }

  readWide(n: number): number {
    if (n > 32) return this.read(n - 32) * TWO_32 + this.read(32);
    return this.read(n);
  }

  bit(): number {
    return this.read(1);
  }
}

const zigzag = (n: number) => (n >= 0 ? n * 2 : -n * 2 - 1);
const unzigzag = (z: number) => (z % 2 === 0 ? z / 2 : -(z + 1) / 2);
const bitLength = (z: number) => (z < TWO_32 ? 32 - Math.clz32(z) : 32 + (32 - Math.clz32(Math.floor(z / TWO_32))));

/**
 * Signed integers in prefix buckets sized for deltas of deltas: 0 → '0' (1 bit), then '10' + 7 bits, '110' + 9,
 * '1110' + 12, '11110' + 20, and '11111' + 6-bit length + the bits.
 */
function writeVariable(w: BitWriter, n: number): void {
  if (n === 0) {
    w.write(0, 1);
    return;
  }
  if (!(Math.abs(n) <= MAX_VARIABLE_INT)) throw new RangeError(`chunk codec: integer ${n} is out of range (|n| ≤ 2^51)`);
  const z = zigzag(n);
  if (z < 1 << 7) w.write((0b10 << 7) | z, 9);
  else if (z < 1 << 9) w.write((0b110 << 9) | z, 12);
  else if (z < 1 << 12) w.write((0b1110 << 12) | z, 16);
  else if (z < 1 << 20) w.write((0b11110 << 20) | z, 25);
  else {
    const length = bitLength(z);
    w.write((0b11111 << 6) | length, 11);
    w.writeWide(z, length);
  }
}

function variableBits(n: number): number {
  if (n === 0) return 1;
  const z = zigzag(n);
  if (z < 1 << 7) return 9;
  if (z < 1 << 9) return 12;
  if (z < 1 << 12) return 16;
  if (z < 1 << 20) return 25;
  return 11 + bitLength(z);
}

function readVariable(r: BitReader): number {
  if (r.bit() === 0) return 0;
  if (r.bit() === 0) return unzigzag(r.read(7));
  if (r.bit() === 0) return unzigzag(r.read(9));
  if (r.bit() === 0) return unzigzag(r.read(12));
  if (r.bit() === 0) return unzigzag(r.read(20));
  return unzigzag(r.readWide(r.read(6)));
}

function writeVarint(out: number[], n: number): void {
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

/** Reads the varint writeVarint wrote at `at`: its value and the offset after it; `codec` names the reader in errors. */
function readVarint(bytes: Uint8Array, at: number, codec: string): { value: number; next: number } {
  let value = 0;
  let factor = 1;
  for (let offset = at; ; ) {
    const b = bytes[offset++];
    if (b === undefined) throw new Error(`${codec}: data ends early`);
    value += (b & 0x7f) * factor;
    factor *= 128;
    if (b < 0x80) return { value, next: offset };
  }
}

/** The smallest k (0..9) for which every value is m / 10^k exactly, with |m| < 2^49; undefined when there is none. */
export function decimalDigits(values: Float64Array): number | undefined {
  let k = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v) || Object.is(v, -0)) return undefined;
    while (k <= MAX_DECIMAL_DIGITS) {
      const scale = 10 ** k;
      const m = Math.round(v * scale);
      if (Math.abs(m) < MAX_DECIMAL_INT && m / scale === v) break;
      k++;
    }
    if (k > MAX_DECIMAL_DIGITS) return undefined;
  }
  // A larger k found later must hold for the earlier values too (m·10 / 10^(k+1) need not be bit-identical).
  const scale = 10 ** k;
  for (let i = 0; i < values.length; i++) {
    const m = Math.round(values[i]! * scale);
    if (!(Math.abs(m) < MAX_DECIMAL_INT && m / scale === values[i])) return undefined;
  }
  return k;
}

export type EncodeOptions = {
  /** Force one value encoding (for measurements and tests); default: the smallest. */
  valueMode?: ValueMode;
  /** Keep the encoder's end state in the chunk, so appendChunk can continue it (about 20 bytes). */
  appendable?: boolean;
};

/**
 * Where an encoder stands after its last sample: everything a continuation needs. Timestamps are divided by the
 * chunk's divisor; values are the last one's bits (XOR) or its decimal integer (decimal modes).
 */
type EncoderState = {
  divisorCode: number;
  mode: number;
  digits: number;
  count: number;
  firstT: number;
  lastT: number;
  lastDelta: number;
  hi: number;
  lo: number;
  /** The XOR window in use (leading -1: none opened yet). */
  windowLeading: number;
  windowTrailing: number;
  m: number;
  mDelta: number;
};

/** Encodes samples one after another into one stream (format 2): timestamp, then value, per sample. */
class StreamEncoder {
  constructor(
    readonly s: EncoderState,
    readonly w: BitWriter,
  ) {}

  /** `t` divided by the divisor; (hi, lo) the value's bits; `m` its decimal integer in decimal modes. */
  add(t: number, hi: number, lo: number, m: number): void {
    const s = this.s;
    const w = this.w;
    if (s.count === 0) {
      const tHi = Math.floor(t / TWO_32);
      w.write(tHi >>> 0, 32);
      w.write(t - tHi * TWO_32, 32);
      s.firstT = t;
      s.lastDelta = 0;
      if (s.mode === VALUE_XOR) {
        w.write(hi, 32);
        w.write(lo, 32);
      } else {
        writeVariable(w, m);
        s.mDelta = 0;
      }
    } else {
      const delta = t - s.lastT;
      writeVariable(w, delta - s.lastDelta);
      s.lastDelta = delta;
      if (s.mode === VALUE_XOR) xorStep(s, hi, lo, w);
      else {
        const d = m - s.m;
        writeVariable(w, s.mode === VALUE_DECIMAL_DOD ? d - s.mDelta : d);
        s.mDelta = d;
      }
    }
    s.lastT = t;
    s.hi = hi;
    s.lo = lo;
    s.m = m;
    s.count++;
  }

  /** The chunk: header (with the end state when `appendable` and it fits), then the stream. */
  finish(appendable: boolean): Uint8Array {
    const s = this.s;
    const header: number[] = [FORMAT_VERSION, 0];
    writeVarint(header, s.count);
    if (s.mode !== VALUE_XOR) header.push(s.digits);
    // The state's integers are zig-zag varints, exact up to 2^51 in magnitude (any realistic chunk: µs timestamps span
    // far less); a chunk past that is simply not appendable.
    const keep = appendable && s.count > 0 && Math.abs(s.lastT - s.firstT) <= MAX_VARIABLE_INT && Math.abs(s.lastDelta) <= MAX_VARIABLE_INT;
    if (keep) {
      writeVarint(header, this.w.length);
      writeVarint(header, zigzag(s.lastT - s.firstT));
      writeVarint(header, zigzag(s.lastDelta));
      if (s.mode === VALUE_XOR) {
        header.push(s.hi >>> 24, (s.hi >>> 16) & 0xff, (s.hi >>> 8) & 0xff, s.hi & 0xff, s.lo >>> 24, (s.lo >>> 16) & 0xff, (s.lo >>> 8) & 0xff, s.lo & 0xff);
        header.push(s.windowLeading + 1, s.windowTrailing);
      } else {
        writeVarint(header, zigzag(s.m));
        writeVarint(header, zigzag(s.mDelta));
      }
    }
    header[1] = s.divisorCode | (s.mode << 2) | (keep ? HAS_STATE : 0);
    const stream = this.w.finish();
    const out = new Uint8Array(header.length + stream.length);
    out.set(header, 0);
    out.set(stream, header.length);
    return out;
  }
}

/**
 * Encodes timestamps (safe integers, non-decreasing is best but not required) and their values.
 * Throws a RangeError when the timestamps are not safe integers or jump by more than 2^51 units between samples.
 */
export function encodeChunk(timestamps: ArrayLike<number>, values: Float64Array, options: EncodeOptions = {}): Uint8Array {
  const count = timestamps.length;
  if (values.length !== count) throw new RangeError(`chunk codec: ${count} timestamps but ${values.length} values`);
  let divisorCode = TS_DIVISORS.length - 1;
  for (let i = 0; i < count; i++) {
    const t = timestamps[i]!;
    if (!Number.isSafeInteger(t)) throw new RangeError(`chunk codec: timestamp ${t} at index ${i} is not a safe integer`);
    while (divisorCode > 0 && t % TS_DIVISORS[divisorCode]! !== 0) divisorCode--;
  }
  const divisor = TS_DIVISORS[divisorCode]!;

  const digits = options.valueMode === 'xor' ? undefined : decimalDigits(values);
  if (options.valueMode !== undefined && options.valueMode !== 'xor' && digits === undefined) {
    throw new RangeError(`chunk codec: values are not exact decimals, cannot use ${options.valueMode}`);
  }
  let mode = VALUE_XOR;
  let ints: Float64Array | undefined;
  if (digits !== undefined) {
    const scale = 10 ** digits;
    ints = new Float64Array(count);
    for (let i = 0; i < count; i++) ints[i] = Math.round(values[i]! * scale);
    const deltaCost = decimalCost(ints, false);
    const dodCost = decimalCost(ints, true);
    const useDod = options.valueMode === 'decimal-dod' || (options.valueMode === undefined && dodCost < deltaCost);
    const xorCost = options.valueMode === undefined ? xorBits(values) : Number.POSITIVE_INFINITY;
    if (xorCost >= Math.min(deltaCost, dodCost)) mode = useDod ? VALUE_DECIMAL_DOD : VALUE_DECIMAL_DELTA;
  }
  const state = newState(divisorCode, mode, digits ?? 0);
  const encoder = new StreamEncoder(state, new BitWriter(count * 4 + 16));
  const words = new Uint32Array(values.buffer, values.byteOffset, count * 2);
  for (let i = 0; i < count; i++) encoder.add(timestamps[i]! / divisor, words[2 * i + 1]!, words[2 * i]!, ints ? ints[i]! : 0);
  return encoder.finish(options.appendable === true);
}

function newState(divisorCode: number, mode: number, digits: number): EncoderState {
  return { divisorCode, mode, digits, count: 0, firstT: 0, lastT: 0, lastDelta: 0, hi: 0, lo: 0, windowLeading: -1, windowTrailing: 0, m: 0, mDelta: 0 };
}

/**
 * Continues a chunk written with `appendable` by later samples (the first after the chunk's last timestamp), without
 * decoding it: the result is bit for bit what encodeChunk writes for all the samples in the chunk's timestamp unit and
 * value mode. Returns undefined, for the caller to decode and re-encode, when the chunk holds no state (format 1, or
 * written without `appendable`), when a sample is not later than the chunk's last or not in its timestamp unit, or
 * when a value does not fit its decimal mode.
 */
export function appendChunk(chunk: Uint8Array, timestamps: ArrayLike<number>, values: Float64Array, options: { appendable?: boolean } = {}): Uint8Array | undefined {
  const count = timestamps.length;
  if (values.length !== count) throw new RangeError(`chunk codec: ${count} timestamps but ${values.length} values`);
  const header = readHeader(chunk);
  const { state, streamStart, streamBits } = header;
  if (state === undefined || streamBits === undefined) return undefined;
  if (count === 0) return options.appendable === true ? chunk : encodeStateless(chunk, header);
  const divisor = TS_DIVISORS[state.divisorCode]!;
  for (let i = 0; i < count; i++) {
    const t = timestamps[i]!;
    if (!Number.isSafeInteger(t)) throw new RangeError(`chunk codec: timestamp ${t} at index ${i} is not a safe integer`);
    if (t % divisor !== 0) return undefined;
  }
  if (!(timestamps[0]! / divisor > state.lastT)) return undefined;
  let ints: Float64Array | undefined;
  if (state.mode !== VALUE_XOR) {
    const scale = 10 ** state.digits;
    ints = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v) || Object.is(v, -0)) return undefined;
      const m = Math.round(v * scale);
      if (!(Math.abs(m) < MAX_DECIMAL_INT && m / scale === v)) return undefined;
      ints[i] = m;
    }
  }
  const encoder = new StreamEncoder(state, new BitWriter(count * 4 + 16, { bytes: chunk.subarray(streamStart), bitLength: streamBits }));
  const words = new Uint32Array(values.buffer, values.byteOffset, count * 2);
  for (let i = 0; i < count; i++) encoder.add(timestamps[i]! / divisor, words[2 * i + 1]!, words[2 * i]!, ints ? ints[i]! : 0);
  return encoder.finish(options.appendable === true);
}

/** The same chunk without its state. */
function encodeStateless(chunk: Uint8Array, header: ChunkHeader): Uint8Array {
  const start: number[] = [FORMAT_VERSION, chunk[1]! & ~HAS_STATE];
  writeVarint(start, header.count);
  if (header.mode !== VALUE_XOR) start.push(header.digits);
  const stream = chunk.subarray(header.streamStart);
  const out = new Uint8Array(start.length + stream.length);
  out.set(start, 0);
  out.set(stream, start.length);
  return out;
}

type ChunkHeader = {
  version: number;
  divisorCode: number;
  mode: number;
  count: number;
  digits: number;
  streamStart: number;
  /** Format 2 with HAS_STATE: the stream's length in bits and where its encoder stopped. */
  streamBits?: number;
  state?: EncoderState;
};

function readHeader(bytes: Uint8Array): ChunkHeader {
  const version = bytes[0];
  if (bytes.length < 3 || (version !== FORMAT_VERSION && version !== FORMAT_V1)) throw new Error(`chunk codec: unknown format ${version}`);
  const flags = bytes[1]!;
  const divisorCode = flags & 0b11;
  const mode = (flags >>> 2) & 0b11;
  if (divisorCode >= TS_DIVISORS.length || mode > VALUE_DECIMAL_DOD || flags >>> 5 !== 0 || (version === FORMAT_V1 && flags & HAS_STATE)) {
    throw new Error(`chunk codec: bad flags ${flags}`);
  }
  let offset = 2;
  const varint = () => {
    const { value, next } = readVarint(bytes, offset, 'chunk codec');
    offset = next;
    return value;
  };
  const count = varint();
  const digits = mode === VALUE_XOR ? 0 : bytes[offset++]!;
  if (!(flags & HAS_STATE)) return { version, divisorCode, mode, count, digits, streamStart: offset };
  const streamBits = varint();
  const state = newState(divisorCode, mode, digits);
  state.count = count;
  const span = unzigzag(varint());
  state.lastDelta = unzigzag(varint());
  if (mode === VALUE_XOR) {
    if (offset + 10 > bytes.length) throw new Error('chunk codec: data ends early');
    state.hi = ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
    state.lo = ((bytes[offset + 4]! << 24) | (bytes[offset + 5]! << 16) | (bytes[offset + 6]! << 8) | bytes[offset + 7]!) >>> 0;
    state.windowLeading = bytes[offset + 8]! - 1;
    state.windowTrailing = bytes[offset + 9]!;
    offset += 10;
  } else {
    state.m = unzigzag(varint());
    state.mDelta = unzigzag(varint());
  }
  // The stream starts with the first timestamp's 64 bits, byte-aligned.
  if (offset + 8 > bytes.length || ((streamBits + 7) >>> 3) !== bytes.length - offset) throw new Error('chunk codec: data ends early');
  const hi = ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) | 0;
  const lo = ((bytes[offset + 4]! << 24) | (bytes[offset + 5]! << 16) | (bytes[offset + 6]! << 8) | bytes[offset + 7]!) >>> 0;
  state.firstT = hi * TWO_32 + lo;
  state.lastT = state.firstT + span;
  return { version, divisorCode, mode, count, digits, streamStart: offset, streamBits, state };
}

function decimalCost(ints: Float64Array, dod: boolean): number {
  if (ints.length === 0) return 0;
  let bits = variableBits(ints[0]!);
  let previousDelta = 0;
  for (let i = 1; i < ints.length; i++) {
    const delta = ints[i]! - ints[i - 1]!;
    bits += variableBits(dod ? delta - previousDelta : delta);
    previousDelta = delta;
  }
  return bits;
}

/** Leading / trailing zero counts of a 64-bit word given as hi and lo halves. */
const leadingZeros = (hi: number, lo: number) => (hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo));
const ctz32 = (x: number) => (x === 0 ? 32 : 31 - Math.clz32(x & -x));
const trailingZeros = (hi: number, lo: number) => (lo !== 0 ? ctz32(lo) : 32 + ctz32(hi));

/**
 * One value of the XOR encoding after the first, against the previous value's bits and window in `s` (which it
 * updates but for hi / lo, the caller's); `w` undefined only counts the bits.
 */
function xorStep(s: { hi: number; lo: number; windowLeading: number; windowTrailing: number }, hi: number, lo: number, w: BitWriter | undefined): number {
  const xHi = (hi ^ s.hi) >>> 0;
  const xLo = (lo ^ s.lo) >>> 0;
  if (xHi === 0 && xLo === 0) {
    w?.write(0, 1);
    return 1;
  }
  const leading = leadingZeros(xHi, xLo);
  const trailing = trailingZeros(xHi, xLo);
  let useWindow = s.windowLeading >= 0 && leading >= s.windowLeading && trailing >= s.windowTrailing;
  if (useWindow) {
    // Reusing a much wider window than needed wastes bits: open a new one when that saves more than its header.
    const wasted = leading - s.windowLeading + (trailing - s.windowTrailing);
    if (wasted > 13) useWindow = false;
  }
  let bits: number;
  if (useWindow) {
    w?.write(0b10, 2);
    bits = 2;
  } else {
    s.windowLeading = leading;
    s.windowTrailing = trailing;
    // '11' + 6 bits leading zeros + 6 bits (meaningful length − 1).
    w?.write((0b11 << 12) | (leading << 6) | (64 - leading - trailing - 1), 14);
    bits = 14;
  }
  const length = 64 - s.windowLeading - s.windowTrailing;
  if (w) writeShifted(w, xHi, xLo, s.windowTrailing, length);
  return bits + length;
}

/** Writes `length` bits of the 64-bit word (hi, lo) shifted right by `shift`. */
function writeShifted(w: BitWriter, hi: number, lo: number, shift: number, length: number): void {
  let sHi: number;
  let sLo: number;
  if (shift === 0) {
    sHi = hi;
    sLo = lo;
  } else if (shift < 32) {
    sLo = ((lo >>> shift) | (hi << (32 - shift))) >>> 0;
    sHi = hi >>> shift;
  } else {
    sLo = hi >>> (shift - 32);
    sHi = 0;
  }
  if (length > 32) {
    w.write(sHi, length - 32);
    w.write(sLo, 32);
  } else {
    w.write(sLo, length);
  }
}

/** Bits the XOR encoding of `values` takes (for choosing the value mode). */
function xorBits(values: Float64Array): number {
  if (values.length === 0) return 0;
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  const s = { hi: words[1]!, lo: words[0]!, windowLeading: -1, windowTrailing: 0 };
  let bits = 64;
  for (let i = 1; i < values.length; i++) {
    const hi = words[2 * i + 1]!;
    const lo = words[2 * i]!;
    bits += xorStep(s, hi, lo, undefined);
    s.hi = hi;
    s.lo = lo;
  }
  return bits;
}

export type DecodedChunk = { timestamps: Float64Array; values: Float64Array; valueMode: ValueMode };

export function decodeChunk(bytes: Uint8Array): DecodedChunk {
  const h = readHeader(bytes);
  const divisor = TS_DIVISORS[h.divisorCode]!;
  const count = h.count;
  const r = new BitReader(bytes, h.streamStart);
  const timestamps = new Float64Array(count);
  const values = new Float64Array(count);
  const valueMode = h.mode === VALUE_XOR ? 'xor' : h.mode === VALUE_DECIMAL_DELTA ? 'decimal-delta' : 'decimal-dod';
  if (count === 0) return { timestamps, values, valueMode };
  if (h.version === FORMAT_V1) {
    readTimestamps(r, timestamps, divisor);
    if (h.mode === VALUE_XOR) decodeXor(r, values);
    else readDecimals(r, values, h.mode, h.digits);
    return { timestamps, values, valueMode };
  }
  // Format 2: timestamp and value in turn.
  const words = new Uint32Array(values.buffer, values.byteOffset, count * 2);
  const scale = 10 ** h.digits;
  const tHi = r.read(32) | 0;
  let t = tHi * TWO_32 + r.read(32);
  let tDelta = 0;
  timestamps[0] = t * divisor;
  const x = { hi: 0, lo: 0, windowLeading: 0, windowTrailing: 0 };
  let m = 0;
  let mDelta = 0;
  if (h.mode === VALUE_XOR) {
    x.hi = r.read(32);
    x.lo = r.read(32);
    words[1] = x.hi;
    words[0] = x.lo;
  } else {
    m = readVariable(r);
    values[0] = m / scale;
  }
  for (let i = 1; i < count; i++) {
    tDelta += readVariable(r);
    t += tDelta;
    timestamps[i] = t * divisor;
    if (h.mode === VALUE_XOR) {
      readXorStep(r, x);
      words[2 * i + 1] = x.hi;
      words[2 * i] = x.lo;
    } else {
      const d = h.mode === VALUE_DECIMAL_DOD ? mDelta + readVariable(r) : readVariable(r);
      m += d;
      mDelta = d;
      values[i] = m / scale;
    }
  }
  return { timestamps, values, valueMode };
}

/** Format 1's timestamps: first (64 bits), then deltas of deltas. */
function readTimestamps(r: BitReader, timestamps: Float64Array, divisor: number): void {
  const hi = r.read(32) | 0;
  const first = hi * TWO_32 + r.read(32);
  timestamps[0] = first * divisor;
  let previous = first;
  let previousDelta = 0;
  for (let i = 1; i < timestamps.length; i++) {
    const delta = previousDelta + readVariable(r);
    previous += delta;
    previousDelta = delta;
    timestamps[i] = previous * divisor;
  }
}

/** Format 1's decimal values. */
function readDecimals(r: BitReader, values: Float64Array, mode: number, digits: number): void {
  const scale = 10 ** digits;
  let m = readVariable(r);
  values[0] = m / scale;
  let previousDelta = 0;
  for (let i = 1; i < values.length; i++) {
    const delta = mode === VALUE_DECIMAL_DOD ? previousDelta + readVariable(r) : readVariable(r);
    m += delta;
    previousDelta = delta;
    values[i] = m / scale;
  }
}

/** One XOR-encoded value after the first: updates the previous value's bits and the window in `x`. */
function readXorStep(r: BitReader, x: { hi: number; lo: number; windowLeading: number; windowTrailing: number }): void {
  if (r.bit() === 0) return;
  if (r.bit() === 1) {
    x.windowLeading = r.read(6);
    x.windowTrailing = 64 - x.windowLeading - (r.read(6) + 1);
  }
  const length = 64 - x.windowLeading - x.windowTrailing;
  let xHi: number;
  let xLo: number;
  if (length > 32) {
    xHi = r.read(length - 32);
    xLo = r.read(32);
  } else {
    xHi = 0;
    xLo = r.read(length);
  }
  // Shift the meaningful bits left by the window's trailing zeros back into place.
  const t = x.windowTrailing;
  let pHi: number;
  let pLo: number;
  if (t === 0) {
    pHi = xHi;
    pLo = xLo;
  } else if (t < 32) {
    pHi = ((xHi << t) | (xLo >>> (32 - t))) >>> 0;
    pLo = (xLo << t) >>> 0;
  } else {
    pHi = (xLo << (t - 32)) >>> 0;
    pLo = 0;
  }
  x.hi = (x.hi ^ pHi) >>> 0;
  x.lo = (x.lo ^ pLo) >>> 0;
}

/** Format 1's XOR values. */
function decodeXor(r: BitReader, values: Float64Array): void {
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  const x = { hi: r.read(32), lo: r.read(32), windowLeading: 0, windowTrailing: 0 };
  words[1] = x.hi;
  words[0] = x.lo;
  for (let i = 1; i < values.length; i++) {
    readXorStep(r, x);
    words[2 * i + 1] = x.hi;
    words[2 * i] = x.lo;
  }
}

/**
 * One series' 1-minute rollups over a window, column by column: bucket minutes (minutes since the Unix epoch) with
 * each of min, max, sum and count as a chunk of its own (the minutes' delta-of-delta costs about a bit a bucket, so
 * repeating them per column is cheaper than a second framing). Every column round-trips float64 exactly to the bit.
 * Layout (format 2): byte 0 rollup format version, byte 1 flags, then varint-length-prefixed chunks: min, max, sum,
 * count; with flag SUMS_DERIVED the sum chunk is left out, because every bucket's sum is its min (one sample) or
 * min + max (two samples), checked bit for bit on finite-or-infinite values (never NaN, whose payload an addition
 * may not carry the same way everywhere). That is every bucket of a series scraped every 30 s or slower, where a
 * bucket holds the samples themselves. Format 1 (no flags byte, four chunks) is still read.
 */
export type RollupColumns = { minutes: ArrayLike<number>; mins: Float64Array; maxs: Float64Array; sums: Float64Array; counts: Float64Array };
const ROLLUP_FORMAT_V1 = 1;
const ROLLUP_FORMAT_VERSION = 2;
const SUMS_DERIVED = 0b1;

/** The sum a bucket of one or two samples has, from its min and max; undefined for other buckets and for NaN. */
function derivedSum(min: number, max: number, count: number): number | undefined {
  if (Number.isNaN(min) || Number.isNaN(max)) return undefined;
  if (count === 1) return min;
  if (count === 2) return min + max;
  return undefined;
}

function sumsDerivable(columns: RollupColumns): boolean {
  const probe = new Float64Array(1);
  const probeWords = new Uint32Array(probe.buffer);
  const sumWords = new Uint32Array(columns.sums.buffer, columns.sums.byteOffset, columns.sums.length * 2);
  for (let i = 0; i < columns.sums.length; i++) {
    const derived = derivedSum(columns.mins[i]!, columns.maxs[i]!, columns.counts[i]!);
    if (derived === undefined) return false;
    probe[0] = derived;
    if (probeWords[0] !== sumWords[2 * i] || probeWords[1] !== sumWords[2 * i + 1]) return false;
  }
  return true;
}

export function encodeRollupWindow(columns: RollupColumns, options: { appendable?: boolean } = {}): Uint8Array {
  const derived = sumsDerivable(columns);
  const kept = derived ? [columns.mins, columns.maxs, columns.counts] : [columns.mins, columns.maxs, columns.sums, columns.counts];
  return framedRollups(
    derived,
    kept.map((values) => encodeChunk(columns.minutes, values, options)),
  );
}

function framedRollups(derived: boolean, parts: Uint8Array[]): Uint8Array {
  const prefixes = parts.map((part) => {
    const prefix: number[] = [];
    writeVarint(prefix, part.length);
    return prefix;
  });
  let length = 2;
  parts.forEach((part, i) => {
    length += prefixes[i]!.length + part.length;
  });
  const out = new Uint8Array(length);
  out[0] = ROLLUP_FORMAT_VERSION;
  out[1] = derived ? SUMS_DERIVED : 0;
  let o = 2;
  parts.forEach((part, i) => {
    out.set(prefixes[i]!, o);
    o += prefixes[i]!.length;
    out.set(part, o);
    o += part.length;
  });
  return out;
}

/**
 * Continues a rollup window written with `appendable` by later buckets (appendChunk on each column), to the bits
 * encodeRollupWindow writes for all the buckets: undefined when a column cannot be continued, or when the window
 * leaves out its sums and a new bucket's sum is not derivable. (A window that keeps its sums keeps them for any new
 * buckets, as encoding all of them would: one of its own is not derivable.)
 */
export function appendRollupWindow(bytes: Uint8Array, columns: RollupColumns, options: { appendable?: boolean } = {}): Uint8Array | undefined {
  const split = splitRollupWindow(bytes);
  if (split.version !== ROLLUP_FORMAT_VERSION) return undefined;
  if (split.derived && !sumsDerivable(columns)) return undefined;
  const kept = split.derived ? [columns.mins, columns.maxs, columns.counts] : [columns.mins, columns.maxs, columns.sums, columns.counts];
  const parts: Uint8Array[] = [];
  for (let c = 0; c < kept.length; c++) {
    const part = appendChunk(split.parts[c]!, columns.minutes, kept[c]!, options);
    if (part === undefined) return undefined;
    parts.push(part);
  }
  return framedRollups(split.derived, parts);
}

function splitRollupWindow(bytes: Uint8Array): { version: number; derived: boolean; parts: Uint8Array[] } {
  const version = bytes[0];
  if (version !== ROLLUP_FORMAT_VERSION && version !== ROLLUP_FORMAT_V1) throw new Error(`rollup codec: unknown format ${version}`);
  const flags = version === ROLLUP_FORMAT_V1 ? 0 : bytes[1];
  if (flags === undefined || (flags & ~SUMS_DERIVED) !== 0) throw new Error(`rollup codec: bad flags ${flags}`);
  const derived = (flags & SUMS_DERIVED) !== 0;
  let offset = version === ROLLUP_FORMAT_V1 ? 1 : 2;
  const parts: Uint8Array[] = [];
  for (let c = 0; c < (derived ? 3 : 4); c++) {
    const { value: length, next } = readVarint(bytes, offset, 'rollup codec');
    offset = next;
    if (offset + length > bytes.length) throw new Error('rollup codec: data ends early');
    parts.push(bytes.subarray(offset, offset + length));
    offset += length;
  }
  return { version, derived, parts };
}

export function decodeRollupWindow(bytes: Uint8Array): { minutes: Float64Array; mins: Float64Array; maxs: Float64Array; sums: Float64Array; counts: Float64Array } {
  const { derived, parts } = splitRollupWindow(bytes);
  const columns = parts.map((part) => decodeChunk(part));
  if (!derived) {
    const [mins, maxs, sums, counts] = columns as [DecodedChunk, DecodedChunk, DecodedChunk, DecodedChunk];
    return { minutes: mins.timestamps, mins: mins.values, maxs: maxs.values, sums: sums.values, counts: counts.values };
  }
  const [mins, maxs, counts] = columns as [DecodedChunk, DecodedChunk, DecodedChunk];
  const sums = new Float64Array(counts.values.length);
  for (let i = 0; i < sums.length; i++) {
    const sum = derivedSum(mins.values[i]!, maxs.values[i]!, counts.values[i]!);
    if (sum === undefined) throw new Error('rollup codec: a derived sum for a bucket that has none');
    sums[i] = sum;
  }
  return { minutes: mins.timestamps, mins: mins.values, maxs: maxs.values, sums, counts: counts.values };
}
