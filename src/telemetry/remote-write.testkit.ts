/**
 * A minimal hand-written remote-write encoder for tests: protobuf fields and literal-only snappy (valid snappy,
 * no compression), so decoder tests and the receiver's tests build payloads without a protobuf library.
 */

export function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    out.push(b);
  } while (v !== 0n);
  return out;
}
export const key = (field: number, wireType: number) => varint(field * 8 + wireType);
export const bytes = (s: string) => [...new TextEncoder().encode(s)];
export const lenDelim = (field: number, body: number[]) => [...key(field, 2), ...varint(body.length), ...body];
export function double(v: number): number[] {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, v, true);
  return [...b];
}
export const label = (name: string, value: string) => lenDelim(1, [...lenDelim(1, bytes(name)), ...lenDelim(2, bytes(value))]);
/** Prometheus' staleness marker: NaN with bit pattern 0x7ff0000000000002 (little-endian on the wire). */
export const STALE = 'stale' as const;
const STALE_BYTES = [0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f];
export const sample = (value: number | typeof STALE, ts: number | bigint) =>
  lenDelim(2, [...key(1, 1), ...(value === STALE ? STALE_BYTES : double(value)), ...key(2, 0), ...varint(ts)]);
export const series = (...parts: number[][]) => lenDelim(1, parts.flat());

/** Literal-only snappy: valid snappy, no compression. Uses the 1-byte and 2-byte literal length forms. */
export function snappyLiteral(data: number[]): Uint8Array {
  const out = [...varint(data.length)];
  for (let pos = 0; pos < data.length; pos += 256) {
    const chunk = data.slice(pos, pos + 256);
    const n = chunk.length - 1;
    if (n < 60) out.push(n << 2);
    else out.push(60 << 2, n);
    out.push(...chunk);
  }
  return Uint8Array.from(out);
}


/** A snappy-compressed WriteRequest of series given as labels and (value, timestamp ms) samples. */
export function encodeWriteRequest(timeseries: { labels: Record<string, string>; samples: [number | typeof STALE, number][] }[]): Uint8Array {
  const body = timeseries.flatMap((ts) => series(...Object.entries(ts.labels).map(([n, v]) => label(n, v)), ...ts.samples.map(([v, t]) => sample(v, t))));
  return snappyLiteral(body);
}
