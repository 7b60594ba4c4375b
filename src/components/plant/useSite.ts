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

/** Breadcrumbs down to a hall: site › hall, named from the sites list (while it loads, a plain "Hall"). */
export function useHallCrumbs(hallId: number | null | undefined): { href: string; label: string }[] {
  const trpc = useTRPC();
  const sites = useQuery(trpc.sites.listWithHalls.queryOptions());
  if (hallId == null) return [];
  for (const site of sites.data ?? []) {
    const hall = site.halls.find((h) => h.id === hallId);
    if (hall) return [{ href: `/sites/${site.id}`, label: site.name }, { href: `/halls/${hall.id}`, label: hall.name }];
  }
  return [{ href: `/halls/${hallId}`, label: 'Hall' }];
}
