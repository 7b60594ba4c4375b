'use client';

import Link from 'next/link';
import type { ReactNode } from 'react';
import { Card } from '@/components/ui/Card';
import { Loading } from '@/components/ui/Loading';
import { PageHeader } from '@/components/ui/PageHeader';
import { type Permission, useMe } from './useMe';

/**
 * Renders the page only for callers holding the permission; everyone else gets a page saying what is needed and who
 * can grant it, instead of a raw API error above controls that cannot work. The API still enforces the permission.
 */
export function RequirePermission({ permission, title, what, children }: { permission: Permission; title: string; what: string; children: ReactNode }) {
  const me = useMe();
  if (me.isPending) return <Loading />;
  if (me.data?.permissions.includes(permission)) return <>{children}</>;
  return (
    <>
      <PageHeader title={title} crumbs={[{ href: '/', label: 'Overview' }]} />
      <Card title="Permission needed">
        <div className="space-y-2 text-sm text-slate-700" data-testid="permission-needed">
          <p>
            {what} needs the <strong>{permission}</strong> permission. {me.data ? `You are signed in as ${me.data.username} with the ${me.data.role ?? 'no'} role, which does not have it.` : 'You are not signed in.'}
          </p>
          <p>Ask an admin to change your role. Your own API tokens are on the tokens page.</p>
          <p className="flex gap-4">
            <Link href="/" className="text-sky-700 hover:underline">
              Back to the overview
            </Link>
            <Link href="/admin/tokens" className="text-sky-700 hover:underline">
              Your API tokens
            </Link>
          </p>
        </div>
      </Card>
    </>
  );
}
