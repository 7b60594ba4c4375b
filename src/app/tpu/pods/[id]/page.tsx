import { TpuPodView } from '@/components/tpu/TpuPodView';
import { idOrNotFound } from '@/server/pages';

export const dynamic = 'force-dynamic';

export default async function TpuPodPage({ params }: { params: Promise<{ id: string }> }) {
  const id = await idOrNotFound('tpu_pods', (await params).id);
  return <TpuPodView id={id} />;
}
