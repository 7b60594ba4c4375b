import { createKubernetesAdapter } from './kubernetes';
import { createSlurmAdapter } from './slurm/adapter';
import type { AdapterFactory, ClusterAdapter, ClusterConnection, ClusterKind } from './types';

/** One adapter per engine kind. Each engine's file adds its one line here. */
const factories: Partial<Record<ClusterKind, AdapterFactory>> = {
  kubernetes: createKubernetesAdapter,
  slurm: createSlurmAdapter,
};

export function adapterFor(cluster: ClusterConnection): ClusterAdapter {
  const factory = factories[cluster.kind];
  if (!factory) throw new Error(`no ${cluster.kind} adapter in this build`);
  return factory(cluster);
}
