import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { type DbHandle, getDb } from '../db/client';
import { appRouter } from './root';
import { trackSseResponse } from '../services/self-metrics';
import { createRequestContext } from './trpc';

/** The largest request body accepted (the CLI sends device-type imports in batches of at most 8 MiB). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

function tooLarge(): Response {
  return Response.json({ error: { message: `request body larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB`, code: 'PAYLOAD_TOO_LARGE' } }, { status: 413 });
}

/** Reads at most `limit` bytes of the body, counting as it streams; undefined when it is longer (then it stops reading). */
export async function boundedBody(request: Request, limit: number): Promise<Uint8Array | undefined> {
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** /api/trpc: the caller from the bearer token or session cookie, body size capped, errors logged without detail. */
export async function handleTrpcRequest(request: Request, handle: DbHandle = getDb()): Promise<Response> {
  let req = request;
  if (request.method === 'POST') {
    const declared = Number(request.headers.get('content-length') ?? 0);
    if (declared > MAX_BODY_BYTES) return tooLarge();
    const body = await boundedBody(request, MAX_BODY_BYTES);
    if (!body) return tooLarge();
    req = new Request(request.url, { method: 'POST', headers: request.headers, body: body as BodyInit, signal: request.signal });
  }
  const response = await fetchRequestHandler({
    endpoint: '/api/trpc',
    req,
    router: appRouter,
    createContext: ({ resHeaders }) => createRequestContext(req, resHeaders, handle),
    onError({ error, path }) {
      if (error.code !== 'INTERNAL_SERVER_ERROR') return;
      // The PostgreSQL message (never the query or its parameters, which may hold secrets).
      const cause = error.cause as { code?: string; cause?: { code?: string; message?: string } } | undefined;
      const pg = cause?.cause?.code ? cause.cause : cause;
      console.error(`[plenum] ${path ?? '(unknown)'} failed: ${pg?.code ?? ''} ${(pg as { message?: string })?.message?.split('\n')[0] ?? error.message.split('\n')[0]}`);
    },
  });
  // Live subscriptions (SSE) count as subscribers while their stream is open.
  return trackSseResponse(response);
}
