'use client';

import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, TRPCClientError } from '@trpc/client';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import { type ReactNode, useState } from 'react';
import superjson from 'superjson';
import type { AppRouter } from '@/server/api/root';

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

/** A signed-out (or expired) session sends the browser to the sign-in page, coming back here afterwards. */
function onError(error: unknown) {
  if (typeof window === 'undefined' || !(error instanceof TRPCClientError)) return;
  if ((error.data as { code?: string } | undefined)?.code !== 'UNAUTHORIZED') return;
  const { pathname, search } = window.location;
  if (pathname === '/login' || pathname === '/setup') return;
  window.location.assign(`/login?next=${encodeURIComponent(pathname + search)}`);
}

function makeQueryClient() {
  return new QueryClient({
    queryCache: new QueryCache({ onError }),
    mutationCache: new MutationCache({ onError }),
    defaultOptions: { queries: { staleTime: 5_000, refetchOnWindowFocus: false, retry: (count, error) => (error as TRPCClientError<AppRouter>).data?.code !== 'UNAUTHORIZED' && (error as TRPCClientError<AppRouter>).data?.code !== 'FORBIDDEN' && count < 3 } },
  });
}

export function TRPCReactProvider({ children }: { children: ReactNode }) {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [
        splitLink({
          condition: (op) => op.type === 'subscription',
          true: httpSubscriptionLink({ url: '/api/trpc', transformer: superjson }),
          // The custom header marks requests from this site's pages: the server refuses cookie-authenticated
          // mutations without it (a cross-site form or fetch cannot set it).
          false: httpBatchLink({ url: '/api/trpc', transformer: superjson, headers: { 'x-plenum-csrf': '1' } }),
        }),
      ],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
