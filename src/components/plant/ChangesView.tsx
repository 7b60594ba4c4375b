'use client';

import { useInfiniteQuery } from '@tanstack/react-query';
import { LoadMore } from '@/components/ui/ListControls';
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
        <LoadMore query={query} label="Load older" />
      </Card>
    </>
  );
}
