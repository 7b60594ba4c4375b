'use client';

import { useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'next/navigation';
import { useTRPC } from '@/trpc/client';

/** The site a plant page shows: `?site=<id>` or the first site. */
export function useSite() {
  const trpc = useTRPC();
  const params = useSearchParams();
  const sites = useQuery(trpc.sites.listWithHalls.queryOptions());
  const wanted = Number(params.get('site'));
  const site = sites.data?.find((s) => s.id === wanted) ?? sites.data?.[0];
  return { site, sites };
}
