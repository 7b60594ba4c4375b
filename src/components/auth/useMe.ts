'use client';

import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/trpc/client';

export type Permission = 'read' | 'operate' | 'plan' | 'admin';

/** The signed-in user (or token) and their permissions; null when signed out. */
export function useMe() {
  const trpc = useTRPC();
  return useQuery(trpc.auth.me.queryOptions(undefined, { staleTime: 60_000 }));
}

/** Whether the caller holds any of the permissions. False while loading, so edit controls never flash for viewers. */
export function useCan(...permissions: Permission[]): boolean {
  const me = useMe();
  return Boolean(me.data && permissions.some((p) => me.data!.permissions.includes(p)));
}
