import { Suspense } from 'react';
import { TopologyView } from '@/components/topology/TopologyView';
import { Loading } from '@/components/ui/Loading';

export default function TopologyPage() {
  return (
    <Suspense fallback={<Loading />}>
      <TopologyView />
    </Suspense>
  );
}
