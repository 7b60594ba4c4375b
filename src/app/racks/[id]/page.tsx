import { RackView } from '@/components/plant/RackView';

export default async function RackPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <RackView id={Number(id)} />;
}
