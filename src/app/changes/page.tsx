import { ChangesView } from '@/components/plant/ChangesView';

export default function ChangesPage() {
  return <ChangesView />;
}
