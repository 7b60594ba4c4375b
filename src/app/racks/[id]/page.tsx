import { RackView } from '@/components/plant/RackView';
import { idOrNotFound } from '@/server/pages';

export const dynamic = 'force-dynamic';

export default async function RackPage({ params }: { params: Promise<{ id: string }> }) {
  const id = await idOrNotFound('racks', (await params).id);
  return <RackView id={id} />;
}
