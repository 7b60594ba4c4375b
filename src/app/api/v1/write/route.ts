/**
 * Prometheus remote-write 1.0 receiver (`POST /api/v1/write`, snappy-compressed protobuf WriteRequest). Samples go
 * through the same dialect mapping, inventory mapping and buffered COPY as scrapes (the ingest pipeline of this
 * process). 204 on success, 400 with a reason for a body that does not decode.
 */
import { decodeRemoteWrite, RemoteWriteError, writeRequestToSamples } from '@/telemetry';
import { getDb } from '@/server/db/client';
import { IngestPipeline } from '@/server/services/telemetry/ingest';
import { getProcessIngest, setProcessIngest } from '@/server/services/telemetry/index';
import { telemetrySettings } from '@/server/services/telemetry/config';

export const dynamic = 'force-dynamic';

const MAX_BODY_BYTES = 32 * 1024 * 1024;

async function pipeline(): Promise<IngestPipeline> {
  const existing = getProcessIngest();
  if (existing) return existing;
  // A web process without the telemetry workers: make a pipeline of its own, with its own flush loop.
  const settings = telemetrySettings();
  const ingest = new IngestPipeline(getDb().pool, { bufferMaxSamples: settings.bufferMaxSamples, rawRetentionDays: settings.rawRetentionDays });
  await ingest.loadInventory();
  ingest.startFlushLoop(settings.flushIntervalMs);
  setProcessIngest(ingest);
  return ingest;
}

export async function POST(request: Request): Promise<Response> {
  const body = new Uint8Array(await request.arrayBuffer());
  if (body.byteLength > MAX_BODY_BYTES) return new Response('request body too large\n', { status: 413 });
  let samples: ReturnType<typeof writeRequestToSamples>;
  try {
    samples = writeRequestToSamples(decodeRemoteWrite(body));
  } catch (error) {
    if (error instanceof RemoteWriteError) return new Response(`${error.message}\n`, { status: 400 });
    throw error;
  }
  const ingest = await pipeline();
  ingest.ingestRaw(samples, { targetId: null });
  return new Response(null, { status: 204 });
}
