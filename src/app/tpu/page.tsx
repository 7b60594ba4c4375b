import { TpuPodsView } from '@/components/tpu/TpuPodsView';

export const dynamic = 'force-dynamic';

export default function TpuPodsPage() {
  return <TpuPodsView />;
}
