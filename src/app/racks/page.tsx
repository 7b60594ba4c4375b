import { RackList } from '@/components/plant/RackList';

export default function RacksPage() {
  return <RackList />;
}
