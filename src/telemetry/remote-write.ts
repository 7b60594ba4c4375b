/**
 * Prometheus remote-write 1.0 decoding: snappy block format + the `prometheus.WriteRequest` protobuf, by hand.
 *
 *   message WriteRequest  { repeated TimeSeries timeseries = 1; reserved 2; repeated MetricMetadata metadata = 3; }
 *   message TimeSeries    { repeated Label labels = 1; repeated Sample samples = 2; repeated Exemplar exemplars = 3;
 *                           repeated Histogram histograms = 4; }
 *   message Label         { string name = 1; string value = 2; }
 *   message Sample        { double value = 1; int64 timestamp = 2; }   // timestamp in ms
 *   message MetricMetadata{ MetricType type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }
 *
 * Exemplars and native histograms are skipped (counted). Unknown fields are skipped by wire type, as protobuf requires.
 * A series whose name or labels break the input limits (invalid UTF-8, NUL, over-long; see input-limits.ts) is dropped
 * and its samples counted by reason; the rest of the request is kept. Malformed framing is a
 * {@link RemoteWriteError} that says where and why.
 */
import { type DropCounts, emptyDropCounts, seriesDropReason } from './input-limits';
import type { RawSample } from './samples';

export class RemoteWriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RemoteWriteError';
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Snappy (block format, as remote-write uses; not the framing format)

export interface SnappyOptions {
  /** Refuse to allocate more than this many bytes for the output (default 64 MiB). */
  maxDecodedBytes?: number;
}

/** The most a snappy block of `decoded` bytes can take compressed (incompressible input grows a little). */
export function maxSnappyCompressedBytes(decoded: number): number {
  return 32 + decoded + Math.ceil(decoded / 6);
}

/** Reads the uncompressed length from a snappy block's preamble. */
export function snappyDecodedLength(input: Uint8Array): number {
  let result = 0;
  let shift = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= input.length) throw new RemoteWriteError('snappy: truncated length preamble');
    const b = input[i];
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) {
      if (result > 0xffffffff) throw new RemoteWriteError('snappy: length preamble exceeds 32 bits');
      return result;
    }
    shift += 7;
  }
  throw new RemoteWriteError('snappy: length preamble is longer than 5 bytes');
}

export function snappyDecompress(input: Uint8Array, options: SnappyOptions = {}): Uint8Array {
  const max = options.maxDecodedBytes ?? 64 * 1024 * 1024;
  let pos = 0;
  // preamble
  let expected = 0;
  {
    let shift = 0;
    for (;;) {
      if (pos >= input.length) throw new RemoteWriteError('snappy: truncated length preamble');
      if (pos >= 5) throw new RemoteWriteError('snappy: length preamble is longer than 5 bytes');
      const b = input[pos++];
      expected += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
    }
  }
  if (expected > max) {
    throw new RemoteWriteError(`snappy: decoded length ${expected} exceeds the limit of ${max} bytes`);
  }
  const out = new Uint8Array(expected);
  let o = 0;
  while (pos < input.length) {
    const tagPos = pos;
    const tag = input[pos++];
    const kind = tag & 3;
    if (kind === 0) {
      // literal
      let len = tag >>> 2;
      if (len >= 60) {
        const extra = len - 59; // 1..4 bytes of little-endian (length - 1)
        if (pos + extra > input.length) throw new RemoteWriteError(`snappy: truncated literal length at offset ${tagPos}`);
        len = 0;
        for (let k = 0; k < extra; k++) len += input[pos + k] * 2 ** (8 * k);
        pos += extra;
      }
      len += 1;
      if (pos + len > input.length) {
        throw new RemoteWriteError(`snappy: literal of ${len} bytes at offset ${tagPos} runs past the end of the input`);
      }
      if (o + len > expected) {
        throw new RemoteWriteError(`snappy: literal at offset ${tagPos} overflows the declared length ${expected}`);
      }
      out.set(input.subarray(pos, pos + len), o);
      pos += len;
      o += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      if (pos + 1 > input.length) throw new RemoteWriteError(`snappy: truncated copy at offset ${tagPos}`);
      len = 4 + ((tag >>> 2) & 7);
      offset = ((tag >>> 5) << 8) | input[pos];
      pos += 1;
    } else if (kind === 2) {
      if (pos + 2 > input.length) throw new RemoteWriteError(`snappy: truncated copy at offset ${tagPos}`);
      len = 1 + (tag >>> 2);
      offset = input[pos] | (input[pos + 1] << 8);
      pos += 2;
    } else {
      if (pos + 4 > input.length) throw new RemoteWriteError(`snappy: truncated copy at offset ${tagPos}`);
      len = 1 + (tag >>> 2);
      offset = (input[pos] | (input[pos + 1] << 8) | (input[pos + 2] << 16)) + input[pos + 3] * 0x1000000;
      pos += 4;
    }
    if (offset === 0 || offset > o) {
      throw new RemoteWriteError(`snappy: copy at offset ${tagPos} refers ${offset} bytes back but only ${o} are decoded`);
    }
    if (o + len > expected) {
      throw new RemoteWriteError(`snappy: copy at offset ${tagPos} overflows the declared length ${expected}`);
    }
    // Byte by byte: copies may overlap their own output (offset < len repeats a pattern).
    for (let k = 0; k < len; k++, o++) out[o] = out[o - offset];
  }
  if (o !== expected) {
    throw new RemoteWriteError(`snappy: input ended after ${o} of ${expected} declared bytes (truncated)`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------------
// Protobuf reader (just what WriteRequest needs)

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** For metadata, which is never stored: invalid bytes become U+FFFD. */
const utf8Lenient = new TextDecoder('utf-8');

class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start: number,
    readonly end: number,
    readonly where: string,
  ) {
    this.pos = start;
  }
  fail(reason: string): never {
    throw new RemoteWriteError(`protobuf: ${reason} in ${this.where} at byte ${this.pos}`);
  }
  /** Unsigned varint as a number; exact up to 2^53, for larger values see {@link varint64}. */
  varint(): number {
    const buf = this.buf;
    let result = 0;
    let mul = 1;
    for (let k = 0; k < 10; k++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = buf[this.pos++];
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    return this.fail('varint longer than 10 bytes');
  }
  /** int64 varint (two's complement for negatives), as a number. */
  varint64(): number {
    const start = this.pos;
    const buf = this.buf;
    // Fast path: up to 7 bytes (49 bits) cannot be negative nor lose precision.
    let result = 0;
    let mul = 1;
    for (let k = 0; k < 7; k++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = buf[this.pos++];
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    this.pos = start;
    let big = 0n;
    let shift = 0n;
    for (let k = 0; k < 10; k++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = buf[this.pos++];
      big |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return Number(BigInt.asIntN(64, big));
      shift += 7n;
    }
    return this.fail('varint longer than 10 bytes');
  }
  /** True when the next 8 bytes are Prometheus' staleness marker (read before `double()`, which may lose NaN bits). */
  atStaleMarker(): boolean {
    if (this.pos + 8 > this.end) return false;
    const dv = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8);
    return dv.getUint32(4, true) === STALE_MARKER_HIGH && dv.getUint32(0, true) === STALE_MARKER_LOW;
  }
  double(): number {
    if (this.pos + 8 > this.end) this.fail('truncated 64-bit value');
    const dv = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8);
    this.pos += 8;
    return dv.getFloat64(0, true);
  }
  /** Reads a length prefix and returns the [start, end) of the delimited bytes. */
  delimited(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    if (start + len > this.end) this.fail(`length-delimited field of ${len} bytes runs past the end`);
    this.pos = start + len;
    return [start, start + len];
  }
  /** A string field; undefined when its bytes are not valid UTF-8 (the caller drops what holds it). */
  stringOrInvalid(): string | undefined {
    const [s, e] = this.delimited();
    try {
      return utf8.decode(this.buf.subarray(s, e));
    } catch {
      return undefined;
    }
  }
  lenientString(): string {
    const [s, e] = this.delimited();
    return utf8Lenient.decode(this.buf.subarray(s, e));
  }
  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        if (this.pos + 8 > this.end) this.fail('truncated 64-bit value');
        this.pos += 8;
        return;
      case 2:
        this.delimited();
        return;
      case 5:
        if (this.pos + 4 > this.end) this.fail('truncated 32-bit value');
        this.pos += 4;
        return;
      default:
        this.fail(`unsupported wire type ${wireType}`);
    }
  }
}

/**
 * Prometheus marks the end of a series (target gone, series no longer exposed) with a sample whose value is the NaN
 * with bit pattern 0x7ff0000000000002. It is not a reading: the ingest ends the series instead of storing it.
 */
export const STALE_MARKER_HIGH = 0x7ff00000;
export const STALE_MARKER_LOW = 0x00000002;

export interface RemoteWriteSample {
  value: number;
  timestampMs: number;
  /** The value was Prometheus' staleness marker. */
  stale?: true;
}

export interface RemoteWriteSeries {
  labels: Record<string, string>;
  samples: RemoteWriteSample[];
}

export type RemoteWriteMetricType =
  | 'unknown'
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'gaugehistogram'
  | 'summary'
  | 'info'
  | 'stateset';
const METADATA_TYPES: RemoteWriteMetricType[] = ['unknown', 'counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset'];

export interface RemoteWriteMetadata {
  type: RemoteWriteMetricType;
  metricFamilyName: string;
  help: string;
  unit: string;
}

export interface WriteRequest {
  timeseries: RemoteWriteSeries[];
  metadata: RemoteWriteMetadata[];
  /** Exemplars and native-histogram samples seen but not decoded. */
  skipped: { exemplars: number; histograms: number };
  /** Samples of series refused by the input limits, by reason. */
  dropped: DropCounts;
}

/** A decoded series, or undefined when it was dropped (its samples are then counted in `req.dropped`). */
function readSeries(buf: Uint8Array, start: number, end: number, index: number, req: WriteRequest): RemoteWriteSeries | undefined {
  const r = new Reader(buf, start, end, `timeseries[${index}]`);
  const labels: Record<string, string> = {};
  const samples: RemoteWriteSample[] = [];
  let invalidUtf8 = false;
  while (r.pos < end) {
    const key = r.varint();
    const field = Math.floor(key / 8);
    const wt = key & 7;
    if (field === 1 && wt === 2) {
      const [ls, le] = r.delimited();
      const lr = new Reader(buf, ls, le, `timeseries[${index}].labels`);
      let name: string | undefined = '';
      let value: string | undefined = '';
      while (lr.pos < le) {
        const k = lr.varint();
        const f = Math.floor(k / 8);
        if (f === 1 && (k & 7) === 2) name = lr.stringOrInvalid();
        else if (f === 2 && (k & 7) === 2) value = lr.stringOrInvalid();
        else lr.skip(k & 7);
      }
      if (name === undefined || value === undefined) {
        invalidUtf8 = true;
        continue;
      }
      if (name === '') r.fail('label with an empty name');
      if (name === '__proto__') r.fail("label name '__proto__' is not allowed");
      labels[name] = value;
    } else if (field === 2 && wt === 2) {
      const [ss, se] = r.delimited();
      const sr = new Reader(buf, ss, se, `timeseries[${index}].samples[${samples.length}]`);
      let value = 0;
      let timestampMs = 0;
      let stale = false;
      while (sr.pos < se) {
        const k = sr.varint();
        const f = Math.floor(k / 8);
        if (f === 1 && (k & 7) === 1) {
          stale = sr.atStaleMarker();
          value = sr.double();
        } else if (f === 2 && (k & 7) === 0) timestampMs = sr.varint64();
        else sr.skip(k & 7);
      }
      samples.push(stale ? { value, timestampMs, stale: true } : { value, timestampMs });
    } else if (field === 3 && wt === 2) {
      r.delimited();
      req.skipped.exemplars++;
    } else if (field === 4 && wt === 2) {
      r.delimited();
      req.skipped.histograms++;
    } else {
      r.skip(wt);
    }
  }
  const { __name__: name = '', ...rest } = labels;
  const reason = invalidUtf8 ? 'invalid_utf8' : seriesDropReason(name, rest);
  if (reason !== undefined) {
    req.dropped[reason] += samples.length;
    return undefined;
  }
  return { labels, samples };
}

function readMetadata(buf: Uint8Array, start: number, end: number, index: number): RemoteWriteMetadata {
  const r = new Reader(buf, start, end, `metadata[${index}]`);
  const md: RemoteWriteMetadata = { type: 'unknown', metricFamilyName: '', help: '', unit: '' };
  while (r.pos < end) {
    const key = r.varint();
    const field = Math.floor(key / 8);
    const wt = key & 7;
    if (field === 1 && wt === 0) md.type = METADATA_TYPES[r.varint()] ?? 'unknown';
    else if (field === 2 && wt === 2) md.metricFamilyName = r.lenientString();
    else if (field === 4 && wt === 2) md.help = r.lenientString();
    else if (field === 5 && wt === 2) md.unit = r.lenientString();
    else r.skip(wt);
  }
  return md;
}

/** Decodes an uncompressed WriteRequest protobuf. */
export function decodeWriteRequestProto(buf: Uint8Array): WriteRequest {
  const req: WriteRequest = { timeseries: [], metadata: [], skipped: { exemplars: 0, histograms: 0 }, dropped: emptyDropCounts() };
  const r = new Reader(buf, 0, buf.length, 'WriteRequest');
  let index = 0;
  while (r.pos < buf.length) {
    const key = r.varint();
    const field = Math.floor(key / 8);
    const wt = key & 7;
    if (field === 0) r.fail('field number 0');
    if (field === 1 && wt === 2) {
      const [s, e] = r.delimited();
      const series = readSeries(buf, s, e, index++, req);
      if (series) req.timeseries.push(series);
    } else if (field === 3 && wt === 2) {
      const [s, e] = r.delimited();
      req.metadata.push(readMetadata(buf, s, e, req.metadata.length));
    } else {
      r.skip(wt);
    }
  }
  return req;
}

/** Decodes a remote-write HTTP body (`Content-Encoding: snappy`, `Content-Type: application/x-protobuf`). */
export function decodeRemoteWrite(body: Uint8Array, options: SnappyOptions = {}): WriteRequest {
  return decodeWriteRequestProto(snappyDecompress(body, options));
}

/** Units the sender's metadata declares, by metric family name (Prometheus sends metadata with `send_metadata`). */
export function writeRequestUnits(req: WriteRequest): Map<string, string> {
  const units = new Map<string, string>();
  for (const m of req.metadata) if (m.metricFamilyName && m.unit) units.set(m.metricFamilyName, m.unit);
  return units;
}

/** Flattens a WriteRequest into raw samples (name from `__name__`, which is removed from the labels) for the dialects. */
export function writeRequestToSamples(req: WriteRequest): RawSample[] {
  const out: RawSample[] = [];
  for (const ts of req.timeseries) {
    const { __name__: name = '', ...labels } = ts.labels;
    for (const s of ts.samples) out.push(s.stale ? { name, labels, value: s.value, timestampMs: s.timestampMs, stale: true } : { name, labels, value: s.value, timestampMs: s.timestampMs });
  }
  return out;
}
