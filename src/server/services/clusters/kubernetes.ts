import type { ClusterAdapter, ClusterConnection } from './types';

/** Kubernetes through @kubernetes/client-node (filled in by the Kubernetes step). */
export function createKubernetesAdapter(_cluster: ClusterConnection): ClusterAdapter {
  const missing = async (): Promise<never> => {
    throw new Error('Kubernetes adapter not built yet');
  };
  return { read: missing, steerAway: missing, release: missing };
}
