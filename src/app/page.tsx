import { OverviewDashboard } from '@/components/dashboards/OverviewDashboard';

export default function OverviewPage() {
  return (
    <>
      <h1 className="mb-6 text-2xl font-semibold">Overview</h1>
      <OverviewDashboard />
    </>
  );
}
