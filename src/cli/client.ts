import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import superjson from 'superjson';
import type { AppRouter } from '../server/api/root';

export type CliEnv = { url: string; token?: string };

export function cliEnv(env: NodeJS.ProcessEnv = process.env): CliEnv {
  return { url: (env.PLENUM_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, ''), token: env.PLENUM_TOKEN || undefined };
}

export function createClient(env: CliEnv) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${env.url}/api/trpc`,
        transformer: superjson,
        headers: () => (env.token ? { authorization: `Bearer ${env.token}` } : {}),
      }),
    ],
  });
}

export type PlenumClient = ReturnType<typeof createClient>;

/** One line saying what went wrong talking to the server. */
export function describeClientError(error: unknown, env: CliEnv): string {
  if (error instanceof TRPCClientError) {
    const cause = error.cause as (Error & { code?: string; cause?: { code?: string } }) | undefined;
    const code = cause?.code ?? cause?.cause?.code;
    if (code === 'ECONNREFUSED' || error.message.includes('fetch failed')) {
      return `cannot reach Plenum at ${env.url} (is it running? set PLENUM_URL)`;
    }
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
