import { Suspense } from 'react';
import { ThermalDashboard } from '@/components/dashboards/ThermalDashboard';
import { Loading } from '@/components/ui/Loading';

export default function Page() {
  return (
    <Suspense fallback={<Loading />}>
      <ThermalDashboard />
    </Suspense>
  );
}
