import { HallView } from '@/components/plant/HallView';
import { idOrNotFound } from '@/server/pages';

export const dynamic = 'force-dynamic';

export default async function HallPage({ params }: { params: Promise<{ id: string }> }) {
  const id = await idOrNotFound('halls', (await params).id);
  return <HallView id={id} />;
}
