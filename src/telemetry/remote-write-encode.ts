/**
 * Prometheus remote-write 1.0 encoding (the decoder is remote-write.ts): the `prometheus.WriteRequest` protobuf written
 * by hand, then snappy block compression. Labels are written sorted by name, as the protocol requires, and samples in
 * the order given (the caller keeps them in time order per series).
 */
import { STALE_MARKER_HIGH, STALE_MARKER_LOW } from './remote-write';

export interface EncodeSeries {
  labels: Record<string, string>;
  samples: { value: number; timestampMs: number; stale?: true }[];
}

class ProtoWriter {
  private buf = new Uint8Array(1024);
  pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  varint(n: number): void {
    this.ensure(10);
    let v = n;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  /** int64 as protobuf writes it (two's complement for negatives, 10 bytes). */
  int64(n: number): void {
    if (n >= 0) {
      this.varint(n);
      return;
    }
    let v = BigInt.asUintN(64, BigInt(n));
    this.ensure(10);
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  double(v: number, stale: boolean): void {
    this.ensure(8);
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8);
    if (stale) {
      view.setUint32(0, STALE_MARKER_LOW, true);
      view.setUint32(4, STALE_MARKER_HIGH, true);
    } else view.setFloat64(0, v, true);
    this.pos += 8;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Writes a length-delimited field whose body `body` writes (length patched in after). */
  delimited(field: number, body: () => void): void {
    this.varint(field * 8 + 2);
    // Reserve 5 bytes for the length (enough for 4 GiB), then move the body if it needs fewer.
    const lengthAt = this.pos;
    this.ensure(5);
    this.pos += 5;
    const start = this.pos;
    body();
    const length = this.pos - start;
    const lengthBytes: number[] = [];
    let v = length;
    while (v >= 0x80) {
      lengthBytes.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    lengthBytes.push(v);
    const shift = 5 - lengthBytes.length;
    this.buf.copyWithin(lengthAt + lengthBytes.length, start, this.pos);
    this.buf.set(lengthBytes, lengthAt);
    this.pos -= shift;
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

const utf8 = new TextEncoder();

/** The uncompressed WriteRequest protobuf. */
export function encodeWriteRequestProto(series: readonly EncodeSeries[]): Uint8Array {
  const w = new ProtoWriter();
  for (const ts of series) {
    w.delimited(1, () => {
      for (const name of Object.keys(ts.labels).sort()) {
        w.delimited(1, () => {
          w.delimited(1, () => w.bytes(utf8.encode(name)));
          w.delimited(2, () => w.bytes(utf8.encode(ts.labels[name]!)));
        });
      }
      for (const s of ts.samples) {
        w.delimited(2, () => {
          w.varint((1 << 3) | 1);
          w.double(s.value, s.stale === true);
          w.varint(2 << 3);
          w.int64(s.timestampMs);
        });
      }
    });
  }
  return w.result();
}

// ---------------------------------------------------------------------------------------------------------------------
// Snappy block compression: greedy matching of 4-byte sequences through a hash table, literals and 2-byte-offset
// copies (remote-write bodies are far smaller than the 64 KiB windows this needs, and larger inputs are split into
// 64 KiB blocks, as the reference encoder does).

const BLOCK = 65_536;

function emitLiteral(out: number[], src: Uint8Array, from: number, to: number): void {
  const n = to - from - 1;
  if (n < 60) out.push(n << 2);
  else if (n < 0x100) out.push(60 << 2, n);
  else out.push(61 << 2, n & 0xff, n >> 8);
  for (let i = from; i < to; i++) out.push(src[i]!);
}

function emitCopy(out: number[], offset: number, length: number): void {
  // Copy-2 ops carry 1-64 bytes; keep each ≥ 4 so the tail is never a too-short copy.
  while (length >= 68) {
    out.push((63 << 2) | 2, offset & 0xff, offset >> 8);
    length -= 64;
  }
  if (length > 64) {
    out.push((59 << 2) | 2, offset & 0xff, offset >> 8);
    length -= 60;
  }
  out.push(((length - 1) << 2) | 2, offset & 0xff, offset >> 8);
}

function compressBlock(out: number[], src: Uint8Array, start: number, end: number): void {
  const table = new Int32Array(1 << 14).fill(-1);
  const hash = (i: number) => (Math.imul(src[i]! | (src[i + 1]! << 8) | (src[i + 2]! << 16) | (src[i + 3]! << 24), 0x1e35a7bd) >>> 18) & 0x3fff;
  let literalFrom = start;
  let i = start;
  while (i + 4 <= end) {
    const h = hash(i);
    const candidate = table[h]!;
    table[h] = i;
    if (candidate >= start && i - candidate < BLOCK && src[candidate] === src[i] && src[candidate + 1] === src[i + 1] && src[candidate + 2] === src[i + 2] && src[candidate + 3] === src[i + 3]) {
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
  const out: number[] = [];
  let n = src.length;
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  for (let start = 0; start < src.length; start += BLOCK) compressBlock(out, src, start, Math.min(src.length, start + BLOCK));
  return Uint8Array.from(out);
}

/** A remote-write HTTP body: `Content-Encoding: snappy`, `Content-Type: application/x-protobuf`. */
export function encodeRemoteWrite(series: readonly EncodeSeries[]): Uint8Array<ArrayBuffer> {
  return snappyCompress(encodeWriteRequestProto(series));
}
