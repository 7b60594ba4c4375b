/**
 * PostgreSQL's binary COPY format (https://www.postgresql.org/docs/current/sql-copy.html, "Binary Format"), written
 * into one buffer sized up front: the telemetry hot paths COPY blocks of arrays, where the text format would cost
 * PostgreSQL a parse of every number. Sizes per field are exported so callers can compute the capacity exactly. The
 * same array form serves as a binary statement parameter (`int4ArrayParam`, `float8ArrayParam`, `byteaArrayParam`).
 * The other way, `copyOutRows` reads a statement's rows in the binary format: node-pg's result parser reads every
 * column as text (a bytea or an array then crosses as hex or digits, printed there and parsed here), and its binary
 * mode decodes the bytes as UTF-8.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

const PG_EPOCH_MS = 946_684_800_000; // 2000-01-01T00:00:00Z
const TWO_32 = 4_294_967_296;
export const OID_INT4 = 23;
export const OID_TIMESTAMPTZ = 1184;
export const OID_FLOAT8 = 701;
export const OID_BYTEA = 17;
const HEADER = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
const TRAILER = Buffer.from([0xff, 0xff]);

/** Bytes each piece takes: a row's field count, a scalar field (length + value), an array header, an array element. */
export const COPY_BYTES = { row: 2, int4: 8, float8: 12, timestamptz: 12, arrayHeader: 24 } as const;

export class BinaryCopyWriter {
  private readonly buf: Buffer;
  private o: number;

  /** `capacity`: the bytes of every row to be written (COPY_BYTES), header and trailer excluded. */
  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(HEADER.length + capacity + TRAILER.length);
    this.o = HEADER.copy(this.buf, 0);
  }

  row(fields: number): void {
    this.buf.writeInt16BE(fields, this.o);
    this.o += 2;
  }

  int4(v: number): void {
    this.buf.writeInt32BE(4, this.o);
    this.buf.writeInt32BE(v, this.o + 4);
    this.o += 8;
  }

  float8(v: number): void {
    this.buf.writeInt32BE(8, this.o);
    this.buf.writeDoubleBE(v, this.o + 4);
    this.o += 12;
  }

  /** A timestamptz from ms since 1970 (µs since 2000 on the wire). */
  timestamptz(ms: number): void {
    const us = (ms - PG_EPOCH_MS) * 1000;
    const hi = Math.floor(us / TWO_32);
    this.buf.writeInt32BE(8, this.o);
    this.buf.writeInt32BE(hi, this.o + 4);
    this.buf.writeUInt32BE(us - hi * TWO_32, this.o + 8);
    this.o += 12;
  }

  /** A one-dimensional array of `n` elements without NULLs; its elements follow, written with the scalar methods. */
  arrayHeader(n: number, elementBytes: number, oid: number): void {
    this.buf.writeInt32BE(20 + n * elementBytes, this.o);
    this.buf.writeInt32BE(1, this.o + 4); // dimensions
    this.buf.writeInt32BE(0, this.o + 8); // no NULLs
    this.buf.writeInt32BE(oid, this.o + 12);
    this.buf.writeInt32BE(n, this.o + 16);
    this.buf.writeInt32BE(1, this.o + 20); // lower bound
    this.o += 24;
  }

  /** The COPY body, trailer included. */
  finish(): Buffer {
    this.o += TRAILER.copy(this.buf, this.o);
    return this.buf.subarray(0, this.o);
  }
}

/**
 * A one-dimensional int4[], float8[] or timestamptz[] (from ms since 1970) in PostgreSQL's binary array form, as a
 * statement parameter: node-pg sends a Buffer in binary format, and a parameter cast to the array type (`$1::int4[]`)
 * is read by the array's binary input, with no text to print here or parse there (exact to the bit for float8).
 * Elements are never NULL.
 */
function arrayParam(values: ArrayLike<number>, oid: number): Buffer {
  const n = values.length;
  const bytes = oid === OID_INT4 ? 4 : 8;
  const buf = Buffer.allocUnsafe(20 + n * (4 + bytes));
  buf.writeInt32BE(1, 0); // dimensions
  buf.writeInt32BE(0, 4); // no NULLs
  buf.writeInt32BE(oid, 8);
  buf.writeInt32BE(n, 12);
  buf.writeInt32BE(1, 16); // lower bound
  let o = 20;
  for (let i = 0; i < n; i++) {
    buf.writeInt32BE(bytes, o);
    if (oid === OID_INT4) {
      // writeInt32BE checks the range but drops a fraction, which PostgreSQL's text input would refuse.
      if ((values[i]! | 0) !== values[i]) throw new RangeError(`int4 array element ${i} is not a 32-bit integer: ${values[i]}`);
      buf.writeInt32BE(values[i]!, o + 4);
    }
    else if (oid === OID_FLOAT8) buf.writeDoubleBE(values[i]!, o + 4);
    else {
      const us = (values[i]! - PG_EPOCH_MS) * 1000;
      const hi = Math.floor(us / TWO_32);
      buf.writeInt32BE(hi, o + 4);
      buf.writeUInt32BE(us - hi * TWO_32, o + 8);
    }
    o += 4 + bytes;
  }
  return buf;
}

export const int4ArrayParam = (values: ArrayLike<number>): Buffer => arrayParam(values, OID_INT4);
export const float8ArrayParam = (values: ArrayLike<number>): Buffer => arrayParam(values, OID_FLOAT8);
/** Timestamps in ms since 1970 (whole µs on the wire, as the COPY writer's `timestamptz`). */
export const timestamptzArrayParam = (ms: ArrayLike<number>): Buffer => arrayParam(ms, OID_TIMESTAMPTZ);

/** A one-dimensional bytea[] of the given buffers (never NULL), as a binary statement parameter (`$1::bytea[]`). */
export function byteaArrayParam(values: readonly Uint8Array[]): Buffer {
  let bytes = 20;
  for (const v of values) bytes += 4 + v.byteLength;
  const buf = Buffer.allocUnsafe(bytes);
  buf.writeInt32BE(1, 0); // dimensions
  buf.writeInt32BE(0, 4); // no NULLs
  buf.writeInt32BE(OID_BYTEA, 8);
  buf.writeInt32BE(values.length, 12);
  buf.writeInt32BE(1, 16); // lower bound
  let o = 20;
  for (const v of values) {
    buf.writeInt32BE(v.byteLength, o);
    buf.set(v, o + 4);
    o += 4 + v.byteLength;
  }
  return buf;
}

/** The ms since 1970 of a timestamptz field in binary form (µs since 2000, int64). */
export function timestamptzMsOf(field: Buffer): number {
  return (field.readInt32BE(0) * TWO_32 + field.readUInt32BE(4)) / 1000 + PG_EPOCH_MS;
}

/**
 * The rows of `query` (a SELECT, or an INSERT / UPDATE / DELETE with RETURNING; no parameters: COPY takes none, so the
 * caller inlines numbers only) in PostgreSQL's binary COPY format, on an open client (inside its transaction, if any).
 * Each row is its fields in column order, each the type's binary send form (an array as `array_send` gives it, a
 * bytea as its bytes) or null; the fields are views into one buffer holding the whole output.
 */
export async function copyOutRows(client: pg.PoolClient | pg.Client, query: string): Promise<Array<Array<Buffer | null>>> {
  const stream = client.query(copyTo(`COPY (${query}) TO STDOUT (FORMAT binary)`));
  // The stream ends at CopyDone; the statement ends at ReadyForQuery. Wait for that too, so an error the server
  // reports after the last row (none does today, as far as the tests show) cannot abort the transaction unseen.
  let failure: Error | undefined;
  const finished = new Promise<void>((resolve) => {
    const query = stream as unknown as { handleReadyForQuery: () => void };
    const ready = query.handleReadyForQuery.bind(stream);
    query.handleReadyForQuery = () => {
      ready();
      resolve();
    };
    stream.on('error', (error: Error) => {
      failure = error;
      resolve();
    });
  });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  await finished;
  if (failure) throw failure;
  return binaryCopyRows(Buffer.concat(chunks));
}

/** A number to inline into a `copyOutRows` query (COPY takes no parameters): a whole number, or a bug. */
export function sqlInteger(n: number): number {
  if (!Number.isSafeInteger(n)) throw new Error(`expected a whole number to inline into SQL, got ${n}`);
  return n;
}

/** Parses a binary COPY body (header, tuples, trailer) into rows of field views. */
export function binaryCopyRows(body: Buffer): Array<Array<Buffer | null>> {
  // Header: the 11-byte signature, 4 bytes of flags, the extension area's length (4 bytes) and the area itself.
  if (body.length < HEADER.length + 2 || body.compare(HEADER, 0, 11, 0, 11) !== 0) throw new Error('binary COPY: the output does not start with the PGCOPY signature');
  let o = 19 + body.readInt32BE(15);
  const rows: Array<Array<Buffer | null>> = [];
  for (;;) {
    const fields = body.readInt16BE(o);
    o += 2;
    if (fields === -1) return rows;
    const row = new Array<Buffer | null>(fields);
    for (let f = 0; f < fields; f++) {
      const n = body.readInt32BE(o);
      o += 4;
      if (n === -1) row[f] = null;
      else {
        row[f] = body.subarray(o, o + n);
        o += n;
      }
    }
    rows.push(row);
  }
}

/** Sends a binary COPY body for `copySql` (`COPY … FROM STDIN (FORMAT binary)`) on an open client. */
export async function copyBinary(client: pg.PoolClient | pg.Client, copySql: string, body: Buffer): Promise<void> {
  const stream = client.query(copyFrom(copySql));
  await pipeline(Readable.from([body], { objectMode: false }), stream);
}
