import { Suspense } from 'react';
import { RackForm } from '@/components/forms/RackForm';
import { Loading } from '@/components/ui/Loading';

export default function NewRackPage() {
  return (
    <Suspense fallback={<Loading />}>
      <RackForm />
    </Suspense>
  );
}
