import { formatDateTime } from '@/components/ui/format';

/** A cluster's health in words: the engine's last error, or when it was last read. */
export function ClusterHealth({ cluster }: { cluster: { lastError: string | null; lastSyncAt: string | Date | null; consecutiveFailures: number } }) {
  if (cluster.lastError) {
    return (
      <p className="text-sm text-red-700" data-testid="cluster-error">
        Cannot read the engine ({cluster.consecutiveFailures} failed {cluster.consecutiveFailures === 1 ? 'read' : 'reads'}): {cluster.lastError}
      </p>
    );
  }
  return <p className="text-sm text-slate-600">{cluster.lastSyncAt ? `Read ${formatDateTime(cluster.lastSyncAt)}` : 'Not read yet: the first read follows within one poll interval.'}</p>;
}
