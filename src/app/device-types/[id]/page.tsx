import { DeviceTypeView } from '@/components/plant/DeviceTypeView';
import { idOrNotFound } from '@/server/pages';

export const dynamic = 'force-dynamic';

export default async function DeviceTypePage({ params }: { params: Promise<{ id: string }> }) {
  const id = await idOrNotFound('device_types', (await params).id);
  return <DeviceTypeView id={id} />;
}
