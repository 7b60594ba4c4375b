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
 * Layout: byte 0 format version (1), byte 1 flags (bits 0-1 timestamp divisor code, bits 2-3 value mode), varint
 * sample count, [decimal modes: byte k], then one bit stream: first timestamp (64 bits, two's complement), first delta
 * and the deltas of deltas as variable-length integers, then the values.
 */

const FORMAT_VERSION = 1;
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

  constructor(capacityBytes: number) {
    this.bytes = new Uint8Array(Math.max(16, capacityBytes));
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

export type EncodeOptions = { /** Force one value encoding (for measurements and tests); default: the smallest. */ valueMode?: ValueMode };

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

  const header: number[] = [FORMAT_VERSION, 0];
  writeVarint(header, count);
  const tsWriter = new BitWriter(count * 2 + 16);
  if (count > 0) {
    const first = timestamps[0]! / divisor;
    const hi = Math.floor(first / TWO_32);
    tsWriter.write(hi >>> 0, 32);
    tsWriter.write(first - hi * TWO_32, 32);
    let previous = first;
    let previousDelta = 0;
    for (let i = 1; i < count; i++) {
      const t = timestamps[i]! / divisor;
      const delta = t - previous;
      writeVariable(tsWriter, delta - previousDelta);
      previous = t;
      previousDelta = delta;
    }
  }

  const digits = options.valueMode === 'xor' ? undefined : decimalDigits(values);
  if (options.valueMode !== undefined && options.valueMode !== 'xor' && digits === undefined) {
    throw new RangeError(`chunk codec: values are not exact decimals, cannot use ${options.valueMode}`);
  }
  let mode = VALUE_XOR;
  let valueBits: Uint8Array;
  if (digits === undefined) {
    valueBits = encodeXor(tsWriter, values);
  } else {
    const scale = 10 ** digits;
    const ints = new Float64Array(count);
    for (let i = 0; i < count; i++) ints[i] = Math.round(values[i]! * scale);
    const deltaCost = decimalCost(ints, false);
    const dodCost = decimalCost(ints, true);
    const useDod = options.valueMode === 'decimal-dod' || (options.valueMode === undefined && dodCost < deltaCost);
    const xorCost = options.valueMode === undefined ? xorBits(values) : Number.POSITIVE_INFINITY;
    if (xorCost < Math.min(deltaCost, dodCost)) {
      valueBits = encodeXor(tsWriter, values);
    } else {
      mode = useDod ? VALUE_DECIMAL_DOD : VALUE_DECIMAL_DELTA;
      header.push(digits);
      valueBits = encodeDecimal(tsWriter, ints, useDod);
    }
  }
  header[1] = divisorCode | (mode << 2);
  const out = new Uint8Array(header.length + valueBits.length);
  out.set(header, 0);
  out.set(valueBits, header.length);
  return out;
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

function encodeDecimal(w: BitWriter, ints: Float64Array, dod: boolean): Uint8Array {
  if (ints.length > 0) writeVariable(w, ints[0]!);
  let previousDelta = 0;
  for (let i = 1; i < ints.length; i++) {
    const delta = ints[i]! - ints[i - 1]!;
    writeVariable(w, dod ? delta - previousDelta : delta);
    previousDelta = delta;
  }
  return w.finish();
}

/** Leading / trailing zero counts of a 64-bit word given as hi and lo halves. */
const leadingZeros = (hi: number, lo: number) => (hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo));
const ctz32 = (x: number) => (x === 0 ? 32 : 31 - Math.clz32(x & -x));
const trailingZeros = (hi: number, lo: number) => (lo !== 0 ? ctz32(lo) : 32 + ctz32(hi));

/** Iterates the XOR encoding; `w` undefined only counts the bits. */
function xorPass(values: Float64Array, w: BitWriter | undefined): number {
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  let bits = 0;
  if (values.length === 0) return 0;
  let prevHi = words[1]!;
  let prevLo = words[0]!;
  w?.write(prevHi, 32);
  w?.write(prevLo, 32);
  bits += 64;
  let windowLeading = -1;
  let windowTrailing = 0;
  for (let i = 1; i < values.length; i++) {
    const hi = words[2 * i + 1]!;
    const lo = words[2 * i]!;
    const xHi = (hi ^ prevHi) >>> 0;
    const xLo = (lo ^ prevLo) >>> 0;
    prevHi = hi;
    prevLo = lo;
    if (xHi === 0 && xLo === 0) {
      w?.write(0, 1);
      bits += 1;
      continue;
    }
    const leading = leadingZeros(xHi, xLo);
    const trailing = trailingZeros(xHi, xLo);
    let useWindow = windowLeading >= 0 && leading >= windowLeading && trailing >= windowTrailing;
    if (useWindow) {
      // Reusing a much wider window than needed wastes bits: open a new one when that saves more than its header.
      const wasted = leading - windowLeading + (trailing - windowTrailing);
      if (wasted > 13) useWindow = false;
    }
    let meaningfulLeading = leading;
    let meaningfulTrailing = trailing;
    if (useWindow) {
      meaningfulLeading = windowLeading;
      meaningfulTrailing = windowTrailing;
      w?.write(0b10, 2);
      bits += 2;
    } else {
      windowLeading = leading;
      windowTrailing = trailing;
      // '11' + 6 bits leading zeros + 6 bits (meaningful length − 1).
      w?.write((0b11 << 12) | (leading << 6) | (64 - leading - trailing - 1), 14);
      bits += 14;
    }
    const length = 64 - meaningfulLeading - meaningfulTrailing;
    bits += length;
    if (w) writeShifted(w, xHi, xLo, meaningfulTrailing, length);
  }
  return bits;
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

function xorBits(values: Float64Array): number {
  return xorPass(values, undefined);
}

function encodeXor(w: BitWriter, values: Float64Array): Uint8Array {
  xorPass(values, w);
  return w.finish();
}

export type DecodedChunk = { timestamps: Float64Array; values: Float64Array; valueMode: ValueMode };

export function decodeChunk(bytes: Uint8Array): DecodedChunk {
  if (bytes.length < 3 || bytes[0] !== FORMAT_VERSION) throw new Error(`chunk codec: unknown format ${bytes[0]}`);
  const flags = bytes[1]!;
  const divisor = TS_DIVISORS[flags & 0b11];
  const mode = (flags >>> 2) & 0b11;
  if (divisor === undefined || mode > VALUE_DECIMAL_DOD) throw new Error(`chunk codec: bad flags ${flags}`);
  let offset = 2;
  let count = 0;
  let factor = 1;
  for (;;) {
    const b = bytes[offset++];
    if (b === undefined) throw new Error('chunk codec: data ends early');
    count += (b & 0x7f) * factor;
    factor *= 128;
    if (b < 0x80) break;
  }
  const digits = mode === VALUE_XOR ? 0 : bytes[offset++]!;
  const r = new BitReader(bytes, offset);
  const timestamps = new Float64Array(count);
  if (count > 0) {
    const hi = r.read(32) | 0;
    const first = hi * TWO_32 + r.read(32);
    timestamps[0] = first * divisor;
    let previous = first;
    let previousDelta = 0;
    for (let i = 1; i < count; i++) {
      const delta = previousDelta + readVariable(r);
      previous += delta;
      previousDelta = delta;
      timestamps[i] = previous * divisor;
    }
  }
  const values = new Float64Array(count);
  if (count > 0) {
    if (mode === VALUE_XOR) decodeXor(r, values);
    else {
      const scale = 10 ** digits;
      let m = readVariable(r);
      values[0] = m / scale;
      let previousDelta = 0;
      for (let i = 1; i < count; i++) {
        const delta = mode === VALUE_DECIMAL_DOD ? previousDelta + readVariable(r) : readVariable(r);
        m += delta;
        previousDelta = delta;
        values[i] = m / scale;
      }
    }
  }
  return { timestamps, values, valueMode: mode === VALUE_XOR ? 'xor' : mode === VALUE_DECIMAL_DELTA ? 'decimal-delta' : 'decimal-dod' };
}

function decodeXor(r: BitReader, values: Float64Array): void {
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  let hi = r.read(32);
  let lo = r.read(32);
  words[1] = hi;
  words[0] = lo;
  let windowLeading = 0;
  let windowTrailing = 0;
  for (let i = 1; i < values.length; i++) {
    if (r.bit() === 1) {
      if (r.bit() === 1) {
        windowLeading = r.read(6);
        windowTrailing = 64 - windowLeading - (r.read(6) + 1);
      }
      const length = 64 - windowLeading - windowTrailing;
      let xHi: number;
      let xLo: number;
      if (length > 32) {
        xHi = r.read(length - 32);
        xLo = r.read(32);
      } else {
        xHi = 0;
        xLo = r.read(length);
      }
      // Shift the meaningful bits left by `windowTrailing` back into place.
      const t = windowTrailing;
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
      hi = (hi ^ pHi) >>> 0;
      lo = (lo ^ pLo) >>> 0;
    }
    words[2 * i + 1] = hi;
    words[2 * i] = lo;
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

export function encodeRollupWindow(columns: RollupColumns): Uint8Array {
  const derived = sumsDerivable(columns);
  const kept = derived ? [columns.mins, columns.maxs, columns.counts] : [columns.mins, columns.maxs, columns.sums, columns.counts];
  const parts = kept.map((values) => encodeChunk(columns.minutes, values));
  const out: number[] = [ROLLUP_FORMAT_VERSION, derived ? SUMS_DERIVED : 0];
  for (const part of parts) {
    let n = part.length;
    while (n >= 0x80) {
      out.push((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    out.push(n);
    for (const b of part) out.push(b);
  }
  return Uint8Array.from(out);
}

export function decodeRollupWindow(bytes: Uint8Array): { minutes: Float64Array; mins: Float64Array; maxs: Float64Array; sums: Float64Array; counts: Float64Array } {
  const version = bytes[0];
  if (version !== ROLLUP_FORMAT_VERSION && version !== ROLLUP_FORMAT_V1) throw new Error(`rollup codec: unknown format ${version}`);
  const flags = version === ROLLUP_FORMAT_V1 ? 0 : bytes[1];
  if (flags === undefined || (flags & ~SUMS_DERIVED) !== 0) throw new Error(`rollup codec: bad flags ${flags}`);
  const derived = (flags & SUMS_DERIVED) !== 0;
  let offset = version === ROLLUP_FORMAT_V1 ? 1 : 2;
  const columns: DecodedChunk[] = [];
  for (let c = 0; c < (derived ? 3 : 4); c++) {
    let length = 0;
    let factor = 1;
    for (;;) {
      const b = bytes[offset++];
      if (b === undefined) throw new Error('rollup codec: data ends early');
      length += (b & 0x7f) * factor;
      factor *= 128;
      if (b < 0x80) break;
    }
    if (offset + length > bytes.length) throw new Error('rollup codec: data ends early');
    columns.push(decodeChunk(bytes.subarray(offset, offset + length)));
    offset += length;
  }
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
