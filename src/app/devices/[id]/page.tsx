import { DeviceView } from '@/components/plant/DeviceView';
import { idOrNotFound } from '@/server/pages';

export const dynamic = 'force-dynamic';

export default async function DevicePage({ params }: { params: Promise<{ id: string }> }) {
  const id = await idOrNotFound('devices', (await params).id);
  return <DeviceView id={id} />;
}
