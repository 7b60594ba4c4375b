import { Suspense } from 'react';
import { CoolingView } from '@/components/plant/CoolingView';
import { Loading } from '@/components/ui/Loading';

export default function CoolingPage() {
  return (
    <Suspense fallback={<Loading />}>
      <CoolingView />
    </Suspense>
  );
}
