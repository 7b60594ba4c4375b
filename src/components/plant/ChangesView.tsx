'use client';

import { useInfiniteQuery } from '@tanstack/react-query';
import { Card } from '@/components/ui/Card';
import { ErrorMessage, Loading } from '@/components/ui/Loading';
import { PageHeader } from '@/components/ui/PageHeader';
import { useTRPC } from '@/trpc/client';
import { ChangeLogTable } from './ChangeLogTable';

export function ChangesView() {
  const trpc = useTRPC();
  const query = useInfiniteQuery(trpc.changes.list.infiniteQueryOptions({ limit: 50 }, { getNextPageParam: (page) => page.nextCursor }));
  if (query.isPending) return <Loading />;
  if (query.isError) return <ErrorMessage error={query.error} />;
  const entries = query.data.pages.flatMap((page) => page.items);
  return (
    <>
      <PageHeader title="Change log" crumbs={[{ href: '/', label: 'Overview' }]} />
      <Card title="Every create, update and delete, newest first">
        <ChangeLogTable entries={entries} showObject />
        {query.hasNextPage && (
          <button type="button" className="mt-3 rounded border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-50" onClick={() => query.fetchNextPage()}>
            Load older
          </button>
        )}
      </Card>
    </>
  );
}
