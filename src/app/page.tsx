import { SitesOverview } from '@/components/overview/SitesOverview';

export default function OverviewPage() {
  return (
    <>
      <h1 className="mb-6 text-2xl font-semibold">Overview</h1>
      <SitesOverview />
    </>
  );
}
