import { ClustersView } from '@/components/clusters/ClustersView';

export default function ClustersPage() {
  return <ClustersView />;
}
