import { HallView } from '@/components/plant/HallView';

export default async function HallPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <HallView id={Number(id)} />;
}
