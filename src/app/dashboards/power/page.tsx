import { Suspense } from 'react';
import { PowerDashboard } from '@/components/dashboards/PowerDashboard';
import { Loading } from '@/components/ui/Loading';

export default function Page() {
  return (
    <Suspense fallback={<Loading />}>
      <PowerDashboard />
    </Suspense>
  );
}
