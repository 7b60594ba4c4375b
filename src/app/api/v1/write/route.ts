/**
 * Prometheus remote-write 1.0 receiver (`POST /api/v1/write`, snappy-compressed protobuf WriteRequest). Samples go
 * through the same dialect mapping and inventory mapping as scrapes, and are committed to PostgreSQL before the
 * answer: 204 means stored (503 when PostgreSQL is unreachable, so the writer retries). 400 with a reason for a body
 * that does not decode; 413 for a body over the limit (PLENUM_REMOTE_WRITE_MAX_BYTES decoded, default 32 MiB), decided
 * from Content-Length, the running count of the streamed body and the snappy length header, never after reading it
 * all. Series with NUL, invalid UTF-8 or over-long names and values are dropped and counted (see input-limits.ts).
 * Writers authenticate with an API token of a role that may operate (Prometheus: `authorization: { credentials:
 * <token> }`): 401 without one (a session cookie is not accepted here), 403 for a token that may only read.
 */
import { decodeRemoteWrite, maxSnappyCompressedBytes, RemoteWriteError, snappyDecodedLength, writeRequestToSamples, writeRequestUnits } from '@/telemetry';
import { boundedBody } from '@/server/api/http';
import { createRequestContext } from '@/server/api/trpc';
import { getDb } from '@/server/db/client';
import { scopedZones } from '@/server/auth/zones';
import { IngestPipeline } from '@/server/services/telemetry/ingest';
import { getProcessIngest, setProcessIngest } from '@/server/services/telemetry/index';
import { telemetrySettings } from '@/server/services/telemetry/config';
import { maintainPartitions } from '@/server/services/telemetry/partitions';

export const dynamic = 'force-dynamic';

/** The pipeline this route made itself, in a process without the telemetry workers (a web-only instance). */
let ownPipeline: IngestPipeline | undefined;

async function pipeline(): Promise<IngestPipeline> {
  const existing = getProcessIngest();
  if (existing) return existing;
  // A web process without the telemetry workers: make a pipeline of its own, with its own flush loop.
  const settings = telemetrySettings();
  // Without the partition worker nothing would create today's partition: make sure the window exists once.
  await maintainPartitions(getDb().pool, { rawRetentionDays: settings.rawRetentionDays, rollupRetentionDays: settings.rollupRetentionDays });
  const ingest = new IngestPipeline(getDb().pool, { bufferMaxSamples: settings.bufferMaxSamples, rawRetentionDays: settings.rawRetentionDays });
  await ingest.loadInventory();
  ingest.startFlushLoop(settings.flushIntervalMs);
  setProcessIngest(ingest);
  ownPipeline = ingest;
  return ingest;
}

const text = (status: number, message: string) => new Response(`${message}\n`, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });

export async function POST(request: Request): Promise<Response> {
  const context = await createRequestContext(request);
  const caller = context.principal;
  if (context.transport.via !== 'bearer' || caller.kind === 'anonymous') {
    return text(401, context.transport.via === 'bearer' ? (context.transport.problem ?? 'the API token was not accepted') : 'an API token is required (Authorization: Bearer <token>)');
  }
  if (!caller.permissions.has('operate')) return text(403, 'this token may not write telemetry: it needs the operator or admin role');

  const maxDecoded = telemetrySettings().remoteWriteMaxBytes;
  const maxBody = maxSnappyCompressedBytes(maxDecoded);
  const tooLarge = () => text(413, `request body larger than the limit of ${maxDecoded} bytes decoded (PLENUM_REMOTE_WRITE_MAX_BYTES)`);
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > maxBody) return tooLarge();
  const body = await boundedBody(request, maxBody);
  if (!body) return tooLarge();

  let samples: ReturnType<typeof writeRequestToSamples>;
  let dropped: ReturnType<typeof decodeRemoteWrite>['dropped'];
  let familyUnits: Map<string, string>;
  try {
    if (snappyDecodedLength(body) > maxDecoded) return tooLarge();
    const decoded = decodeRemoteWrite(body, { maxDecodedBytes: maxDecoded });
    samples = writeRequestToSamples(decoded);
    dropped = decoded.dropped;
    familyUnits = writeRequestUnits(decoded);
  } catch (error) {
    if (error instanceof RemoteWriteError) return text(400, error.message);
    throw error;
  }
  const ingest = await pipeline();
  try {
    // No mapping worker runs beside a pipeline of the route's own: it follows plant changes itself (one row read while
    // the plant is unchanged), so a GPU added or renamed since maps to its inventory row.
    if (ingest === ownPipeline) await ingest.refreshInventory();
    await ingest.writeRawNow(samples, { targetId: null, dropped, familyUnits, zones: scopedZones(caller) });
  } catch (error) {
    console.error(`[plenum] remote-write could not be stored: ${(error as { code?: string }).code ?? ''} ${(error as Error).message?.split('\n')[0] ?? ''}`);
    return new Response('samples not stored: the database is unavailable, retry later\n', { status: 503, headers: { 'retry-after': '5' } });
  }
  return new Response(null, { status: 204 });
}
