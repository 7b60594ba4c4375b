'use client';

import { useSubscription } from '@trpc/tanstack-react-query';
import { formatDateTime } from '@/domain/units';
import { useTRPC } from '@/trpc/client';

/** Streams the database clock over a tRPC SSE subscription: proves live data reaches the browser. */
export function LivePulse() {
  const trpc = useTRPC();
  const subscription = useSubscription(trpc.system.pulse.subscriptionOptions(undefined));
  const data = subscription.data?.data;
  return (
    <dl className="grid grid-cols-3 gap-4 text-sm" data-testid="live-pulse">
      <div>
        <dt className="text-slate-500">Database time</dt>
        <dd className="tabular font-mono" data-testid="live-db-time">
          {data ? formatDateTime(data.dbTime, { milliseconds: true }) : '—'}
        </dd>
      </div>
      <div>
        <dt className="text-slate-500">Update #</dt>
        <dd className="tabular font-mono" data-testid="live-sequence">
          {data?.sequence ?? '—'}
        </dd>
      </div>
      <div>
        <dt className="text-slate-500">Connections</dt>
        <dd className="tabular font-mono">{data ? `${data.connections}` : '—'}</dd>
      </div>
      <p className="col-span-3 text-xs text-slate-500" aria-live="polite">
        Stream: {subscription.status === 'pending' ? 'live' : subscription.status}
      </p>
    </dl>
  );
}
