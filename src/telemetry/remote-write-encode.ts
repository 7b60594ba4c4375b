/**
 * Prometheus remote-write 1.0 encoding (the decoder is remote-write.ts): the `prometheus.WriteRequest` protobuf written
 * by hand, then snappy block compression. Labels are written sorted by name, as the protocol requires, and samples in
 * the order given (the caller keeps them in time order per series).
 */
import { maxSnappyCompressedBytes, STALE_MARKER_HIGH, STALE_MARKER_LOW } from './remote-write';

export interface EncodeSeries {
  /** The labels, or `labelBytes`: the same already encoded by {@link encodeLabels} (a writer caches them per series). */
  labels?: Record<string, string>;
  labelBytes?: Uint8Array;
  samples: { value: number; timestampMs: number; stale?: true }[];
}

const utf8 = new TextEncoder();

function varintLength(n: number): number {
  if (n < 0) return 10; // int64 two's complement
  let len = 1;
  let v = n;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    len++;
  }
  return len;
}

function pushVarint(out: number[], n: number): void {
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

/** The `repeated Label labels = 1` fields of a TimeSeries, sorted by name as the protocol requires. */
export function encodeLabels(labels: Record<string, string>): Uint8Array {
  const out: number[] = [];
  for (const name of Object.keys(labels).sort()) {
    const n = utf8.encode(name);
    const v = utf8.encode(labels[name]!);
    const body = 1 + varintLength(n.length) + n.length + 1 + varintLength(v.length) + v.length;
    out.push(0x0a);
    pushVarint(out, body);
    out.push(0x0a);
    pushVarint(out, n.length);
    for (const b of n) out.push(b);
    out.push(0x12);
    pushVarint(out, v.length);
    for (const b of v) out.push(b);
  }
  return Uint8Array.from(out);
}

/** The uncompressed WriteRequest protobuf. Sizes are computed first, then everything is written into one buffer. */
export function encodeWriteRequestProto(series: readonly EncodeSeries[]): Uint8Array {
  const labelBytes = series.map((ts) => ts.labelBytes ?? encodeLabels(ts.labels ?? {}));
  const bodies = new Array<number>(series.length);
  let total = 0;
  for (let i = 0; i < series.length; i++) {
    let body = labelBytes[i]!.length;
    // Sample { double value = 1; int64 timestamp = 2; }: 1 + 8 + 1 + varint bytes, behind a 1-byte tag and length.
    for (const s of series[i]!.samples) body += 2 + 10 + varintLength(s.timestampMs);
    bodies[i] = body;
    total += 1 + varintLength(body) + body;
  }
  const buf = new Uint8Array(total);
  const view = new DataView(buf.buffer);
  let pos = 0;
  const varint = (n: number) => {
    if (n < 0) {
      let v = BigInt.asUintN(64, BigInt(n));
      while (v >= 0x80n) {
        buf[pos++] = Number(v & 0x7fn) | 0x80;
        v >>= 7n;
      }
      buf[pos++] = Number(v);
      return;
    }
    let v = n;
    while (v >= 0x80) {
      buf[pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    buf[pos++] = v;
  };
  for (let i = 0; i < series.length; i++) {
    buf[pos++] = 0x0a; // timeseries = 1
    varint(bodies[i]!);
    buf.set(labelBytes[i]!, pos);
    pos += labelBytes[i]!.length;
    for (const s of series[i]!.samples) {
      buf[pos++] = 0x12; // samples = 2
      buf[pos++] = 10 + varintLength(s.timestampMs);
      buf[pos++] = 0x09; // value = 1, 64-bit
      if (s.stale) {
        view.setUint32(pos, STALE_MARKER_LOW, true);
        view.setUint32(pos + 4, STALE_MARKER_HIGH, true);
      } else view.setFloat64(pos, s.value, true);
      pos += 8;
      buf[pos++] = 0x10; // timestamp = 2, varint
      varint(s.timestampMs);
    }
  }
  return buf;
}

// ---------------------------------------------------------------------------------------------------------------------
// Snappy block compression: greedy matching of 4-byte sequences through a hash table, literals and 2-byte-offset
// copies, in 64 KiB blocks as the reference encoder does, into a buffer of the largest size the output can take.

const BLOCK = 65_536;

class SnappyOut {
  pos = 0;
  constructor(readonly buf: Uint8Array<ArrayBuffer>) {}
  byte(b: number): void {
    this.buf[this.pos++] = b;
  }
}

function emitLiteral(out: SnappyOut, src: Uint8Array, from: number, to: number): void {
  const n = to - from - 1;
  if (n < 60) out.byte(n << 2);
  else if (n < 0x100) {
    out.byte(60 << 2);
    out.byte(n);
  } else {
    out.byte(61 << 2);
    out.byte(n & 0xff);
    out.byte(n >> 8);
  }
  out.buf.set(src.subarray(from, to), out.pos);
  out.pos += to - from;
}

function emitCopy(out: SnappyOut, offset: number, length: number): void {
  // Copy-2 ops carry 1-64 bytes; keep each ≥ 4 so the tail is never a too-short copy.
  let left = length;
  while (left >= 68) {
    out.byte((63 << 2) | 2);
    out.byte(offset & 0xff);
    out.byte(offset >> 8);
    left -= 64;
  }
  if (left > 64) {
    out.byte((59 << 2) | 2);
    out.byte(offset & 0xff);
    out.byte(offset >> 8);
    left -= 60;
  }
  out.byte(((left - 1) << 2) | 2);
  out.byte(offset & 0xff);
  out.byte(offset >> 8);
}

const table = new Int32Array(1 << 14);
const word = (src: Uint8Array, i: number) => src[i]! | (src[i + 1]! << 8) | (src[i + 2]! << 16) | (src[i + 3]! << 24);

function compressBlock(out: SnappyOut, src: Uint8Array, start: number, end: number): void {
  table.fill(-1);
  let literalFrom = start;
  let i = start;
  while (i + 4 <= end) {
    const w = word(src, i);
    const h = (Math.imul(w, 0x1e35a7bd) >>> 18) & 0x3fff;
    const candidate = table[h]!;
    table[h] = i;
    if (candidate >= start && word(src, candidate) === w) {
      if (literalFrom < i) emitLiteral(out, src, literalFrom, i);
      let length = 4;
      while (i + length < end && src[candidate + length] === src[i + length]) length++;
      emitCopy(out, i - candidate, length);
      i += length;
      literalFrom = i;
    } else i++;
  }
  if (literalFrom < end) emitLiteral(out, src, literalFrom, end);
}

export function snappyCompress(src: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new SnappyOut(new Uint8Array(maxSnappyCompressedBytes(src.length) + 5));
  let n = src.length;
  while (n >= 0x80) {
    out.byte((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.byte(n);
  for (let start = 0; start < src.length; start += BLOCK) compressBlock(out, src, start, Math.min(src.length, start + BLOCK));
  return out.buf.slice(0, out.pos);
}

/** A remote-write HTTP body: `Content-Encoding: snappy`, `Content-Type: application/x-protobuf`. */
export function encodeRemoteWrite(series: readonly EncodeSeries[]): Uint8Array<ArrayBuffer> {
  return snappyCompress(encodeWriteRequestProto(series));
}
