import { DeviceList } from '@/components/plant/DeviceList';

export default function DevicesPage() {
  return <DeviceList />;
}
