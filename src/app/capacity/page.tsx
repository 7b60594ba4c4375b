import { Suspense } from 'react';
import { CapacityView } from '@/components/capacity/CapacityView';
import { Loading } from '@/components/ui/Loading';

export default function CapacityPage() {
  return (
    <Suspense fallback={<Loading />}>
      <CapacityView />
    </Suspense>
  );
}
