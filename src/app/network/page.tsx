import { Suspense } from 'react';
import { NetworkView } from '@/components/plant/NetworkView';
import { Loading } from '@/components/ui/Loading';

export default function NetworkPage() {
  return (
    <Suspense fallback={<Loading />}>
      <NetworkView />
    </Suspense>
  );
}
