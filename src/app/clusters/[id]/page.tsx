import { ClusterView } from '@/components/clusters/ClusterView';
import { idOrNotFound } from '@/server/pages';

export const dynamic = 'force-dynamic';

export default async function ClusterPage({ params }: { params: Promise<{ id: string }> }) {
  const id = await idOrNotFound('clusters', (await params).id);
  return <ClusterView id={id} />;
}
