import { Suspense } from 'react';
import { PowerView } from '@/components/plant/PowerView';
import { Loading } from '@/components/ui/Loading';

export default function PowerPage() {
  return (
    <Suspense fallback={<Loading />}>
      <PowerView />
    </Suspense>
  );
}
