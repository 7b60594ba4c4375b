import { DeviceTypesView } from '@/components/plant/DeviceTypesView';

export default function DeviceTypesPage() {
  return <DeviceTypesView />;
}
