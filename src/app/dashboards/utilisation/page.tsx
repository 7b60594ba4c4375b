import { Suspense } from 'react';
import { UtilisationDashboard } from '@/components/dashboards/UtilisationDashboard';
import { Loading } from '@/components/ui/Loading';

export default function Page() {
  return (
    <Suspense fallback={<Loading />}>
      <UtilisationDashboard />
    </Suspense>
  );
}
