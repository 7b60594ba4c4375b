import { DeviceView } from '@/components/plant/DeviceView';

export default async function DevicePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <DeviceView id={Number(id)} />;
}
