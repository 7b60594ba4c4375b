/**
 * Prometheus remote-write 1.0 receiver (`POST /api/v1/write`, snappy-compressed protobuf WriteRequest). Samples go
 * through the same dialect mapping, inventory mapping and buffered COPY as scrapes (the ingest pipeline of this
 * process). 204 on success, 400 with a reason for a body that does not decode. Writers authenticate like the CLI, with
 * an API token of a role that may operate (Prometheus: `authorization: { credentials: <token> }`): 401 without one,
 * 403 for a token that may only read.
 */
import { decodeRemoteWrite, RemoteWriteError, writeRequestToSamples, writeRequestUnits } from '@/telemetry';
import { createRequestContext } from '@/server/api/trpc';
import { getDb } from '@/server/db/client';
import { scopedZones } from '@/server/auth/zones';
import { IngestPipeline } from '@/server/services/telemetry/ingest';
import { getProcessIngest, setProcessIngest } from '@/server/services/telemetry/index';
import { telemetrySettings } from '@/server/services/telemetry/config';
import { maintainPartitions } from '@/server/services/telemetry/partitions';

export const dynamic = 'force-dynamic';

const MAX_BODY_BYTES = 32 * 1024 * 1024;

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
  return ingest;
}

export async function POST(request: Request): Promise<Response> {
  const caller = (await createRequestContext(request)).principal;
  if (caller.kind === 'anonymous') return new Response('an API token is required (Authorization: Bearer <token>)\n', { status: 401 });
  if (!caller.permissions.has('operate')) return new Response('this token may not write telemetry: it needs the operator or admin role\n', { status: 403 });
  const body = new Uint8Array(await request.arrayBuffer());
  if (body.byteLength > MAX_BODY_BYTES) return new Response('request body too large\n', { status: 413 });
  let samples: ReturnType<typeof writeRequestToSamples>;
  let familyUnits: Map<string, string>;
  try {
    const req = decodeRemoteWrite(body);
    samples = writeRequestToSamples(req);
    familyUnits = writeRequestUnits(req);
  } catch (error) {
    if (error instanceof RemoteWriteError) return new Response(`${error.message}\n`, { status: 400 });
    throw error;
  }
  const ingest = await pipeline();
  ingest.ingestRaw(samples, { targetId: null, familyUnits, zones: scopedZones(caller) });
  return new Response(null, { status: 204 });
}
