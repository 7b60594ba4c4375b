'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useTRPC } from '@/trpc/client';
import { useMe } from './useMe';

/** The header's right side: who is signed in, their role, admin links and sign-out; or a sign-in link. */
export function UserMenu() {
  const trpc = useTRPC();
  const me = useMe();
  const pathname = usePathname();
  const queryClient = useQueryClient();
  const logout = useMutation(trpc.auth.logout.mutationOptions());
  if (pathname === '/login' || pathname === '/setup') return null;
  if (me.isPending) return <span className="ml-auto text-sm text-slate-400">…</span>;
  if (!me.data) {
    return (
      <Link href="/login" className="ml-auto text-sm font-medium text-sky-700 hover:underline">
        Sign in
      </Link>
    );
  }
  const isAdmin = me.data.permissions.includes('admin');
  return (
    <div className="ml-auto flex items-center gap-4 text-sm" data-testid="user-menu">
      {isAdmin && (
        <>
          <Link href="/admin/users" className="text-slate-600 hover:text-slate-900">
            Users
          </Link>
          <Link href="/admin/audit" className="text-slate-600 hover:text-slate-900">
            Audit
          </Link>
          <Link href="/admin/instances" className="text-slate-600 hover:text-slate-900">
            Instances
          </Link>
        </>
      )}
      <Link href="/admin/tokens" className="text-slate-600 hover:text-slate-900">
        Tokens
      </Link>
      <span className="text-slate-700">
        <span data-testid="signed-in-user" className="font-medium">
          {me.data.username}
        </span>{' '}
        <span data-testid="signed-in-role" className="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-600" title={me.data.roleDescription}>
          {me.data.role}
          {me.data.allZones ? '' : ` · ${me.data.zones.map((z) => z.name).join(', ')}`}
        </span>
      </span>
      <button
        type="button"
        className="rounded border border-slate-300 px-2 py-1 text-slate-700 hover:bg-slate-50 focus:outline-none focus:ring-2 focus:ring-sky-500"
        onClick={async () => {
          await logout.mutateAsync();
          queryClient.clear();
          window.location.assign('/login');
        }}
      >
        Sign out
      </button>
    </div>
  );
}
