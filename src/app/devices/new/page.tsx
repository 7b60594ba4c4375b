import { Suspense } from 'react';
import { DeviceForm } from '@/components/forms/DeviceForm';
import { Loading } from '@/components/ui/Loading';

export default function NewDevicePage() {
  return (
    <Suspense fallback={<Loading />}>
      <DeviceForm />
    </Suspense>
  );
}
