import { TenantsView } from '@/components/jobs/TenantsView';

export default function TenantsPage() {
  return <TenantsView />;
}
